/* diagnosis.h - names what memory is doing, from a sliding window of
 * samples. Pure: samples in, a verdict and a sentence out.
 *
 * Allocator figures come from the processes whose agent answered. Their
 * changes are measured sample to sample over the processes present in both
 * samples, so a worker that starts, exits or is respawned does not look like
 * growth or shrinkage.
 *
 * States, first match wins:
 *   warming-up           fewer than 3 samples
 *   heap-growth          the allocators' allocated bytes are rising: more live
 *                        objects (a leak, or an unbounded cache)
 *   allocator-retention  the memory allocators keep beyond the live heap
 *                        ("held": jemalloc resident - allocated, glibc free
 *                        chunks) is rising while the heap is flat, or is large
 *                        (over 64 MiB and half the heap): freed memory kept
 *   rss-growth           RSS rising while the heap and the held memory are
 *                        flat (memory from outside malloc: CPython's object
 *                        arenas, thread stacks, a JIT), or anonymous memory
 *                        rising with no usable allocator figures (the why
 *                        says which: none, stale since N s, or implausible)
 *   page-cache           file pages rising, anonymous memory flat: caching,
 *                        reclaimable, not a leak
 *   near-limit           usage above 90% of the ceiling and none of the above
 *   stable               none of the above
 * and over all of these but warming-up:
 *   throttled            memory.high events climbing (the last 3 samples)
 *                        with pressure at or above the threshold: the kernel
 *                        holds the container at memory.high, and without
 *                        swap it may stay there for minutes without an OOM
 *                        kill; the why names the state underneath
 * near_limit is reported beside any state. The ceiling is the lower of
 * memory.high (v2) and the memory limit: usage is judged against it. */
#ifndef JEINIT_DIAGNOSIS_H
#define JEINIT_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAG_UNKNOWN UINT64_MAX

struct diag_sample {
    int64_t t_ms;
    uint64_t usage, anon, file; /* the cgroup's; DIAG_UNKNOWN when not read */
    uint64_t rss;               /* all the container's processes */
    /* processes whose agent answered with plausible figures: their totals now */
    unsigned reporting;
    uint64_t allocated, held, agent_rss; /* DIAG_UNKNOWN without any */
    /* processes with an agent left out: it did not answer this round (stale:
     * the longest silence in ms), or its figures are implausible */
    unsigned stale, implausible;
    int64_t stale_ms;
    /* their change since the previous sample, over the processes in both */
    bool has_delta;
    int64_t d_allocated, d_held, d_agent_rss;
    uint64_t ev_high;  /* memory.events high; DIAG_UNKNOWN when not read */
    double psi_some10; /* memory pressure, some avg10 (%); negative: unknown */
};

/* What the samples are judged against. */
struct diag_bounds {
    uint64_t ceiling;     /* bytes: the lower of memory.high and the limit (0: none) */
    bool ceiling_is_high; /* it is memory.high, where the kernel throttles */
    double pressure_pct;  /* pressure from which memory is called under pressure */
};

enum diag_state {
    DIAG_WARMING_UP,
    DIAG_HEAP_GROWTH,
    DIAG_RETENTION,
    DIAG_RSS_GROWTH,
    DIAG_PAGE_CACHE,
    DIAG_NEAR_LIMIT,
    DIAG_STABLE,
    DIAG_THROTTLED,
};

struct diagnosis {
    enum diag_state state;
    bool near_limit;
    double window_s;
    char why[320];
};

/* s: the window, oldest first. */
void diagnose(const struct diag_sample *s, size_t n, const struct diag_bounds *b,
              struct diagnosis *out);

const char *diag_state_name(enum diag_state s);

#endif
