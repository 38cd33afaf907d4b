/* heapprof.h - heap profiles when the heap grows (--heap-profile auto).
 *
 * The program's jemalloc starts with profiling ready and sampling off
 * (prof:true,prof_active:false: policy.c). When the diagnosis says
 * heap-growth at HP_PERSIST samples in a row, jeinit picks the processes
 * whose allocated bytes grew most (at most HP_TARGETS), and through their
 * agents: turns sampling on (lg_prof_sample HP_LG_SAMPLE), waits a window,
 * dumps a profile, waits a window, dumps a second one and turns sampling off.
 * A child process (heapprof_child.c: time-bounded, with the process's own
 * ids) then reads both dumps, subtracts them, names the sites with the
 * mapped objects' ELF symbols, and sends the result back through a pipe; the
 * loop writes one heap_profile line per process.
 *
 * The dumps stay for jeprof in a private directory: HP_DIR_PARENT/jeinit-heap.XXXXXX
 * (0711, jeinit's), one subdirectory per process (0700, the process's uid,
 * which writes its dump there), the last HP_KEEP processes' only, within
 * HP_DIR_MAX bytes (a dump over HP_DUMP_MAX is removed at once); a
 * subdirectory goes when its process is gone, all of it at jeinit's exit.
 * Any failure (an agent's error, a dump missing or too big, the analysis
 * timing out) is one warning line and no more profiling of that process. */
#ifndef JEINIT_HEAPPROF_H
#define JEINIT_HEAPPROF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agents.h"
#include "agentstats.h"
#include "diagnosis.h"
#include "loop.h"

/* HP_LG_SAMPLE: one sample per MiB allocated, on average. Sampling costs
 * per sample (a backtrace: ~1.5 us of unwinding), so per byte allocated.
 * policy.c writes the same lg_prof_sample into MALLOC_CONF: a thread's
 * countdown to its next sample, drawn at start, is not redrawn by
 * prof.reset. */
#define HP_PERSIST     2 /* heap-growth samples in a row before profiling */
#define HP_TARGETS     4 /* processes profiled at once */
#define HP_KEEP        8 /* processes whose dumps are kept */
#define HP_LG_SAMPLE   20
#define HP_WINDOW_MIN  1000 /* ms between the steps: sampling on, dump 1, dump 2 */
#define HP_WINDOW_MAX  60000
#define HP_CHILD_MS    5000        /* the analysis, then SIGKILL */
#define HP_DUMP_MAX    (8u << 20)  /* a dump larger is removed, not analysed */
#define HP_DIR_MAX     (32u << 20) /* the dumps kept, all processes: the oldest go first */
#define HP_COOLDOWN_MS 600000      /* a process profiled is not profiled again before */
#define HP_SITES_MAX   10
#define HP_WATCH_MAX   64       /* processes whose growth is followed */
#define HP_DUMP_FIRST  "1.heap" /* the two dumps, in each process's subdirectory */
#define HP_DUMP_SECOND "2.heap"

/* What the analysis child sends back for one process: one write, within
 * PIPE_BUF (atomic). */
struct hp_site {
    char fn[112];    /* the function, or "" when no symbol covers it */
    char module[48]; /* the mapped object's base name */
    uint64_t vaddr;  /* the address in the object's terms (addr2line -e) */
    double bytes, objects;
};

struct hp_result {
    uint32_t magic;
    int32_t status; /* 0, or a negative errno */
    pid_t pid;
    uint32_t nsites, nstacks;
    uint64_t period;
    double bytes, objects; /* grown between the dumps, over the stacks that grew */
    struct hp_site sites[HP_SITES_MAX];
    char why[160]; /* when status < 0 */
};

struct hp_target {
    pid_t pid;
    char comm[16];
    uid_t uid;
    gid_t gid;
    uint64_t grown;    /* allocated bytes, over the persisting growth */
    uint32_t last_seq; /* of the last request sent to its agent */
    bool failed;
    bool done;
};

struct hp_kept {
    pid_t pid;
    int64_t ms;     /* profiled then */
    uint64_t bytes; /* its dumps' */
};

enum hp_phase { HP_IDLE, HP_SAMPLING, HP_DUMPED, HP_WAITING, HP_ANALYSING };

struct heapprof {
    bool enabled;
    const char *why_not; /* when not enabled */
    bool told;           /* why_not logged */
    struct agent_hub *hub;
    struct loop *loop;
    int64_t window_ms;
    enum hp_phase phase;
    int64_t phase_ms;
    unsigned streak;
    uint32_t seq;
    char dir[64]; /* the private directory, "" until the first profile */
    /* allocated bytes at the streak's start, by pid */
    size_t nwatch;
    struct {
        pid_t pid;
        uint64_t allocated;
    } watch[HP_WATCH_MAX];
    size_t ntargets;
    struct hp_target targets[HP_TARGETS];
    size_t nkept;
    struct hp_kept kept[HP_KEEP];
    pid_t refused[HP_KEEP]; /* failed once: never again */
    size_t nrefused;
    /* the analysis */
    pid_t child;
    pid_t unreaped; /* the last analysis child, until the supervisor reaps it */
    int pipe_fd, timer_fd;
    struct loop_source pipe_src, timer_src;
    int64_t started_ms, window_start_ms, window_end_ms;
    uint64_t profiles, failures;
};

/* ready: the program's jemalloc has prof:true (tuning); else why says why
 * not, told once if heap growth persists (NULL: never told). */
void heapprof_init(struct heapprof *hp, bool ready, const char *why, struct agent_hub *hub,
                   struct loop *loop, int64_t interval_ms);
/* After each sample: the diagnosis and the processes (with their agents). */
void heapprof_after_sample(struct heapprof *hp, const struct diagnosis *d,
                           const struct proc_sample *procs, size_t nprocs, int64_t now_ms);
/* From the supervisor, for every pid it reaps (hp may be NULL): true when
 * it was jeinit's own analysis child, not one of the program's processes
 * (not counted, not reported). */
bool heapprof_reaped(struct heapprof *hp, pid_t pid);
/* At exit: the child killed, the directory removed. */
void heapprof_fini(struct heapprof *hp);

/* --- between heapprof's files --- */

/* heapprof_dir.c: the private directory. */
int heapprof_dir_make(struct heapprof *hp); /* once; 0 or a negative errno */
void heapprof_dir_path(const struct heapprof *hp, pid_t pid, const char *name, char *out,
                       size_t n); /* name NULL: the subdirectory */
int heapprof_dir_make_sub(const struct heapprof *hp, const struct hp_target *t);
void heapprof_dir_remove(const struct heapprof *hp, pid_t pid); /* a subdirectory, emptied */
void heapprof_dir_keep(struct heapprof *hp, pid_t pid, int64_t now);
void heapprof_dir_prune(struct heapprof *hp); /* the subdirectories of processes gone */
/* A process's dumps' bytes, or UINT64_MAX after removing a dump over HP_DUMP_MAX. */
uint64_t heapprof_dir_measure(const struct heapprof *hp, pid_t pid);
void heapprof_dir_bound(struct heapprof *hp); /* the kept dumps within HP_DIR_MAX */

/* heapprof_child.c: in the forked child, for each target, the result
 * written to fd. Never returns. */
void heapprof_child_run(const struct heapprof *hp, int fd) __attribute__((noreturn));

#endif
