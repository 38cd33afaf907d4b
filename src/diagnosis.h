/* diagnosis.h - names what memory is doing, from a sliding window of
 * samples. Pure: samples in, a verdict and a sentence out.
 *
 * States, first match wins:
 *   warming-up           fewer than 3 samples
 *   heap-growth          the allocators' allocated bytes are rising: the
 *                        program keeps more live objects (a leak, or a cache)
 *   allocator-retention  RSS rising (or far above the heap) while the heap
 *                        is flat: freed memory kept by the allocator
 *   rss-growth           anonymous memory rising and no allocator figures
 *                        to tell which of the two it is
 *   page-cache           file pages rising, anonymous memory flat: caching,
 *                        reclaimable, not a leak
 *   near-limit           usage above 90% of the limit and none of the above
 *   stable               none of the above
 * near_limit is reported beside any state. */
#ifndef JEINIT_DIAGNOSIS_H
#define JEINIT_DIAGNOSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAG_UNKNOWN UINT64_MAX

struct diag_sample {
    int64_t t_ms;
    uint64_t usage, anon, file; /* cgroup; DIAG_UNKNOWN when not read */
    uint64_t rss;               /* all processes */
    uint64_t agent_rss;         /* processes with allocator figures */
    uint64_t allocated;         /* their allocated bytes; DIAG_UNKNOWN without agents */
    uint64_t resident;          /* their allocator-resident bytes (jemalloc) */
    unsigned reporting;         /* processes with allocator figures */
};

enum diag_state {
    DIAG_WARMING_UP,
    DIAG_HEAP_GROWTH,
    DIAG_RETENTION,
    DIAG_RSS_GROWTH,
    DIAG_PAGE_CACHE,
    DIAG_NEAR_LIMIT,
    DIAG_STABLE,
};

struct diagnosis {
    enum diag_state state;
    bool near_limit;
    double window_s;
    char why[256];
};

/* s: the window, oldest first. limit: bytes (0 or UINT64_MAX: none). */
void diagnose(const struct diag_sample *s, size_t n, uint64_t limit, struct diagnosis *out);

const char *diag_state_name(enum diag_state s);

#endif
