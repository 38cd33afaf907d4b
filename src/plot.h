/* plot.h - the model behind `jeinit report`: jeinit's JSON log lines read
 * back, kept as bounded series (the cgroup's usage and limits, each
 * process's RSS, allocated and held bytes) and a bounded list of events.
 * Pure: lines in, a struct plot out; svg.c draws it, plotcmd.c reads the
 * log. Every line is untrusted (a log mixes the program's own output):
 * whatever is not a jeinit line is counted and skipped. */
#ifndef JEINIT_PLOT_H
#define JEINIT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Stored samples: past this, neighbours are merged pairwise (their maxima
 * kept, so that no peak is lost) and each stored sample stands for twice as
 * many lines as before. */
#define PLOT_SAMPLES_MAX 1024
/* Processes followed (pid and name); a new one beyond that replaces the one
 * with the smallest peak RSS when it is larger. */
#define PLOT_PROCS_MAX 48
/* Events kept; past that, important ones (OOM kills, exits) replace the
 * most recent minor one (memory.max, pressure...), minor ones are counted. */
#define PLOT_EVENTS_MAX 256
/* Nesting deeper than this is not a jeinit line (and yajl's tree would
 * free it recursively). */
#define PLOT_DEPTH_MAX 16
/* Lines longer than this are skipped whole by the reader. */
#define PLOT_LINE_MAX ((size_t)256 * 1024)

/* A value not in the log (no allocator figures, no memory.high...). */
#define PLOT_NONE UINT64_MAX

enum plot_event_kind {
    PEV_OOM_KILL,
    PEV_OOM,
    PEV_MEMORY_MAX,
    PEV_MEMORY_HIGH,
    PEV_PURGE,
    PEV_PRESSURE,
    PEV_DIAGNOSIS,
    PEV_HEAP_PROFILE,
    PEV_CHILD_EXIT,
    PEV_EXIT,
    PEV_START,
    PEV_KINDS
};

struct plot_event {
    int64_t t_ms; /* wall clock, ms since the epoch */
    enum plot_event_kind kind;
    char text[112]; /* one short sentence, printable ASCII */
};

struct plot_proc {
    int64_t pid;   /* -1: the "others" summary of a memory line */
    char comm[20]; /* printable ASCII */
    uint64_t peak_rss;
    bool has_allocator;
    uint64_t rss[PLOT_SAMPLES_MAX]; /* per stored sample; PLOT_NONE: absent */
    uint64_t allocated[PLOT_SAMPLES_MAX];
    uint64_t held[PLOT_SAMPLES_MAX];
};

struct plot {
    /* cgroup, one entry per stored sample */
    size_t n;        /* stored samples */
    unsigned stride; /* memory lines per stored sample (a power of two) */
    unsigned fill;   /* memory lines in the last stored sample */
    int64_t t_ms[PLOT_SAMPLES_MAX];
    uint64_t usage[PLOT_SAMPLES_MAX];
    uint64_t limit[PLOT_SAMPLES_MAX];   /* PLOT_NONE: unlimited */
    uint64_t ceiling[PLOT_SAMPLES_MAX]; /* what usage is judged against */
    uint64_t high[PLOT_SAMPLES_MAX];    /* memory.high; PLOT_NONE: none */

    struct plot_proc *proc[PLOT_PROCS_MAX];
    size_t nproc;

    struct plot_event event[PLOT_EVENTS_MAX];
    size_t nevent;
    unsigned event_count[PEV_KINDS]; /* seen, kept or not */

    /* what the log said last */
    uint64_t start_high; /* memory.high from the start line */
    uint64_t memory_seq; /* the last memory line's seq, for its memory_process lines */
    char diagnosis[32];  /* last diagnosis state */
    char last_diagnosis_why[112];
    int64_t t_first, t_last; /* every jeinit line's time (t_first > t_last: none) */

    /* what was read */
    uint64_t lines, jeinit_lines, memory_lines, skipped, too_deep, events_dropped, procs_replaced;
    uint64_t between; /* usage figures from OOM post-mortems (last_samples) */
};

/* Allocates an empty model (NULL when out of memory); plot_free frees it. */
struct plot *plot_new(void);
void plot_free(struct plot *p);

/* Reads one log line (len bytes, no NUL needed, any content). A jeinit line
 * may follow a prefix (kubectl --timestamps, the program's partial output):
 * it is found at `{"ts":`. Returns true when it was a jeinit line. */
bool plot_feed(struct plot *p, const char *line, size_t len);

/* Indices into p->proc of the processes to draw: the largest peak RSS
 * first, at most max. Returns how many. */
size_t plot_top(const struct plot *p, size_t *idx, size_t max);

/* "2026-11-30T16:26:53.205Z" -> ms since the epoch. 0 or -EINVAL. */
int plot_parse_ts(const char *s, size_t len, int64_t *ms);

/* True when the JSON text's nesting stays within max levels. */
bool plot_depth_ok(const char *s, size_t len, unsigned max);

const char *plot_event_name(enum plot_event_kind k);

/* "120 MiB", "1.5 GiB", "?" for PLOT_NONE. */
void plot_format_bytes(uint64_t b, char *buf, size_t bufsz);

#endif
