/* monitor.h - memory visibility, in the event loop of PID 1.
 *
 * Every --interval, a sample; a "memory" line when something changed, or
 * every --heartbeat (logpolicy.c decides), with the cgroup's limit, usage,
 * anon/file/kernel, pressure, event counters and their deltas, the largest
 * processes (RSS/PSS from smaps_rollup, allocator figures from its agent)
 * and the sums of the others, totals, the gap between what processes hold
 * and what their heaps use, and a diagnosis over a sliding window; each
 * line at most 4,096 bytes. As they happen: oom_kill (a post-mortem),
 * memory_high / memory_max events, pressure crossing its threshold, and
 * purges asked of the agents when usage or pressure is high. Fixed tables:
 * nothing is allocated after monitor_init. */
#ifndef JEINIT_MONITOR_H
#define JEINIT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agents.h"
#include "agentstats.h"
#include "cgroup.h"
#include "config.h"
#include "diagnosis.h"
#include "heapprof.h"
#include "json.h"
#include "logpolicy.h"
#include "loop.h"
#include "proctree.h"

#define MON_PROCS_MAX    256
#define MON_PROCS_LISTED 64
#define MON_WINDOW_MAX   64
#define MON_FAST_MS      1000
#define MON_FAST_PCT     80.0

struct monitor {
    const struct config *cfg;
    struct cgroup *cg;
    struct cgroup_limits *lim; /* jeinit's: a changed limit is followed (memevents_limits) */
    struct diag_bounds bounds; /* what the diagnosis judges against */
    struct agent_hub *hub;     /* NULL without agents */
    struct loop *loop;
    pid_t self;
    bool pid1;
    struct proctree tree;

    int tick_tfd, collect_tfd, purge_tfd, oom_tfd, hold_tfd;
    struct loop_source tick_src, collect_src, purge_src, oom_src, hold_src;
    /* A round: a tick, the agents asked (seq), one memory line (seq) once
     * they had time to answer. Rounds never overlap, so lines carry
     * consecutive seqs; a late tick or collect makes a late line (lag_ms),
     * never a second one. */
    uint32_t seq;
    bool round_pending, round_asked;
    int64_t due_ms;       /* when the tick timer is next due */
    int64_t round_due_ms; /* when this round was due */
    int64_t lag_ms;       /* how late the last line was against its schedule */
    int64_t started_ms, collect_delay_ms, purge_every_ms;
    /* the tick's period: --interval, or MON_FAST_MS near the ceiling when an
     * OOM kill would take jeinit with the rest (oom.group, unguarded) */
    int64_t period_ms;

    struct cgroup_usage usage, prev;
    bool have_prev;
    size_t nprocs, nskipped;
    size_t npss;
    struct diag_sample step; /* change since the last sample, over the processes in both */
    size_t nlast;

    size_t wlen, wcap;
    struct diagnosis diag, prev_diag;

    bool pressure_high;
    int64_t last_purge_ms;
    uint32_t purge_seq;
    const char *purge_reason;
    uint64_t purge_usage_before;
    uint64_t purges, purged_bytes, purges_asked; /* purged_bytes: plausible only, saturating */

    uint64_t oom_kills, oom_base; /* reported since start; counter at start */
    uint64_t oom_pending;         /* seen by a sample, waiting a moment for the victim's reap */
    size_t noom_procs;
    struct diagnosis oom_diag; /* and what memory was doing then */
    bool oom_base_known;
    char main_comm[16]; /* the program's name, for a victim never sampled */
    pid_t main_pid;
    pid_t killed_pid; /* last process reaped after SIGKILL */
    char killed_comm[16];
    int64_t killed_ms;
    uint64_t samples_at_limit; /* that kept the last per-process figures (memevents_tight) */
    int64_t held_ms;           /* since when the log waits (memevents_hold); 0: it does not */
    int64_t limits_ms;         /* the limits were last read again */
    uint64_t log_holds;
    uint64_t peak_usage, samples, lines;
    yajl_gen scratch;     /* report_memory measures a process's entry in it */
    struct heapprof heap; /* heap profiles on persisting heap growth (heapprof.h) */
    void (*after_first_sample)(void *ctx); /* set after monitor_init, or NULL */
    void *after_first_ctx;

    /* The tables, last (120 KiB): monitor_init clears them with the rest, so
     * that their pages are touched then, and locked with jeinit's (memlock.h),
     * not first touched by a sample at the limit, where a page faulted in is
     * a charge that can OOM-kill a bystander (memevents_tight). */
    struct proc_sample procs[MON_PROCS_MAX];
    struct proc_sample pss_cache[MON_PROCS_MAX];     /* the last sample's, by pid */
    struct proc_sample last_procs[MON_PROCS_LISTED]; /* for post-mortems */
    struct proc_sample oom_procs[MON_PROCS_LISTED];  /* the processes before the kill */
    struct diag_sample window[MON_WINDOW_MAX];
    struct logpolicy policy; /* when a memory line is written */
};

/* Returns 0, or a negative errno (then the monitor stays off; jeinit runs on).
 * First keeps jeinit out of the OOM killer's choice and of a group OOM kill
 * where it may (cgroup_guard_oom: lim->oom_guard, for the start line). */
int monitor_init(struct monitor *m, const struct config *cfg, struct cgroup *cg,
                 struct cgroup_limits *lim, struct agent_hub *hub, struct loop *loop,
                 pid_t main_pid);
/* From the supervisor for every reaped process (m may be NULL). */
void monitor_on_reaped(struct monitor *m, pid_t pid, int wstatus);
/* The exit line's "memory" summary (m may be NULL): last_diagnosis is the
 * last sample's; after an OOM kill, diagnosis_before_oom is the one that
 * preceded the last kill (the post-mortem's). */
void monitor_exit_fields(struct monitor *m, struct jw *w);
/* Before the exit line: a last look at the counters, whose changes since
 * the last sample are told as during the run (memory_high, memory_max, oom,
 * oom_kill), pending post-mortems written (m may be NULL). */
void monitor_finish(struct monitor *m);
void monitor_fini(struct monitor *m);

/* --- between the monitor's files: monitor.c (sampling, the loop),
 * memevents.c (events, OOM post-mortems), purge.c, report.c (the line) --- */

/* A counter's growth; UINT64_MAX when either is unknown or it went back. */
static inline uint64_t mon_delta(uint64_t now, uint64_t before)
{
    if (now == UINT64_MAX || before == UINT64_MAX || now < before)
        return UINT64_MAX;
    return now - before;
}

/* What usage is judged against (lines, diagnosis, log policy): the ceiling,
 * 0 when there is none (no limit and no memory.high). */
static inline uint64_t mon_ceiling(const struct cgroup_limits *lim)
{
    return lim->memory_unlimited && !lim->memory_ceiling_is_high ? 0 : lim->memory_ceiling;
}

void memevents_check(struct monitor *m); /* after each sample */
/* at exit: now, the counters read then */
void memevents_final(struct monitor *m, const struct cgroup_usage *now);
void memevents_check_oom(struct monitor *m, bool reaped); /* reaped: a SIGKILL was just reaped */
void memevents_flush_oom(struct monitor *m);              /* a pending post-mortem, now */
void memevents_on_oom_wait(struct loop_source *src, uint32_t events);
/* True when the cgroup is at its limit with no page cache to reclaim:
 * jeinit then opens nothing under /proc, since the charge could be the one
 * that OOM-kills (memevents.c). */
bool memevents_tight(struct monitor *m);
/* While tight, the log waits (log_hold): until the room is back, checked
 * every 20 ms, for 2 s at most. release: it writes again, now. */
void memevents_hold(struct monitor *m);
void memevents_release(struct monitor *m);
void memevents_on_hold(struct loop_source *src, uint32_t events);
/* After a sample that was not at the limit: the memory limits read again
 * (every second at most); a change is followed, and told. */
void memevents_limits(struct monitor *m, int64_t now);
void purge_maybe(struct monitor *m); /* after each sample */
void purge_on_report(struct loop_source *src, uint32_t events);

#endif
