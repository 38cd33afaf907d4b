/* diagnosis.c - see diagnosis.h. */
#include "diagnosis.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

const char *diag_state_name(enum diag_state s)
{
    static const char *const names[] = {
        [DIAG_WARMING_UP] = "warming-up",
        [DIAG_HEAP_GROWTH] = "heap-growth",
        [DIAG_RETENTION] = "allocator-retention",
        [DIAG_RSS_GROWTH] = "rss-growth",
        [DIAG_PAGE_CACHE] = "page-cache",
        [DIAG_NEAR_LIMIT] = "near-limit",
        [DIAG_STABLE] = "stable",
    };

    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "stable";
}

/* A change that matters: 8 MiB, or 5% of where it started. */
static double threshold(uint64_t base)
{
    double t = (double)base * 0.05;

    return t > 8.0 * MiB ? t : 8.0 * MiB;
}

static bool known(uint64_t v)
{
    return v != DIAG_UNKNOWN;
}

static double delta(uint64_t first, uint64_t last)
{
    return (double)last - (double)first;
}

/* Rising: up by more than the threshold overall, and the last sample is
 * not below the window's first half (a spike that came back is not growth). */
static bool rising(const struct diag_sample *s, size_t n, size_t off)
{
    const uint64_t *first = (const uint64_t *)((const char *)&s[0] + off);
    const uint64_t *last = (const uint64_t *)((const char *)&s[n - 1] + off);
    uint64_t half_max = 0;

    if (!known(*first) || !known(*last))
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        const uint64_t *v = (const uint64_t *)((const char *)&s[i] + off);
        if (known(*v) && *v > half_max)
            half_max = *v;
    }
    return delta(*first, *last) > threshold(*first) && *last >= half_max;
}

static bool flat(uint64_t first, uint64_t last)
{
    double d = delta(first, last);

    return known(first) && known(last) && d <= threshold(first) && d >= -threshold(first);
}

void diagnose(const struct diag_sample *s, size_t n, uint64_t limit, struct diagnosis *out)
{
    const struct diag_sample *a, *b;
    bool agents;

    memset(out, 0, sizeof(*out));
    out->state = DIAG_STABLE;
    if (n == 0) {
        out->state = DIAG_WARMING_UP;
        (void)snprintf(out->why, sizeof(out->why), "no samples yet");
        return;
    }
    a = &s[0];
    b = &s[n - 1];
    out->window_s = (double)(b->t_ms - a->t_ms) / 1000.0;
    out->near_limit =
        limit && limit != DIAG_UNKNOWN && known(b->usage) && (double)b->usage > 0.9 * (double)limit;
    if (n < 3) {
        out->state = DIAG_WARMING_UP;
        (void)snprintf(out->why, sizeof(out->why), "%zu sample(s); 3 are needed", n);
        return;
    }
    /* allocator figures count only when the same processes report throughout */
    agents = known(a->allocated) && known(b->allocated) && a->reporting > 0 &&
             a->reporting == b->reporting;

    if (agents && rising(s, n, offsetof(struct diag_sample, allocated))) {
        out->state = DIAG_HEAP_GROWTH;
        (void)snprintf(out->why, sizeof(out->why),
                       "allocated %+.1f MiB over %.0f s (now %.1f MiB): live heap growing",
                       delta(a->allocated, b->allocated) / MiB, out->window_s,
                       (double)b->allocated / MiB);
        return;
    }
    if (agents && flat(a->allocated, b->allocated)) {
        double gap = (double)b->agent_rss - (double)b->allocated;
        if (rising(s, n, offsetof(struct diag_sample, agent_rss))) {
            out->state = DIAG_RETENTION;
            (void)snprintf(out->why, sizeof(out->why),
                           "RSS %+.1f MiB over %.0f s while allocated stayed at %.1f MiB "
                           "(%+.1f MiB): freed memory kept by the allocator",
                           delta(a->agent_rss, b->agent_rss) / MiB, out->window_s,
                           (double)b->allocated / MiB, delta(a->allocated, b->allocated) / MiB);
            return;
        }
        if (gap > 64.0 * MiB && gap > 0.5 * (double)b->allocated) {
            out->state = DIAG_RETENTION;
            (void)snprintf(out->why, sizeof(out->why),
                           "RSS %.1f MiB for %.1f MiB allocated: %.1f MiB freed but kept by the "
                           "allocator",
                           (double)b->agent_rss / MiB, (double)b->allocated / MiB, gap / MiB);
            return;
        }
    }
    if (!agents && rising(s, n, offsetof(struct diag_sample, anon))) {
        out->state = DIAG_RSS_GROWTH;
        (void)snprintf(out->why, sizeof(out->why),
                       "anonymous memory %+.1f MiB over %.0f s; no allocator figures (agent off "
                       "or absent) to tell a growing heap from retention",
                       delta(a->anon, b->anon) / MiB, out->window_s);
        return;
    }
    if (rising(s, n, offsetof(struct diag_sample, file)) && flat(a->anon, b->anon)) {
        out->state = DIAG_PAGE_CACHE;
        (void)snprintf(out->why, sizeof(out->why),
                       "file pages %+.1f MiB over %.0f s with anonymous memory flat: page cache, "
                       "reclaimable",
                       delta(a->file, b->file) / MiB, out->window_s);
        return;
    }
    if (out->near_limit) {
        out->state = DIAG_NEAR_LIMIT;
        (void)snprintf(out->why, sizeof(out->why), "usage %.1f MiB is %.0f%% of the limit",
                       (double)b->usage / MiB, 100.0 * (double)b->usage / (double)limit);
        return;
    }
    (void)snprintf(out->why, sizeof(out->why), "no sustained change over %.0f s", out->window_s);
}
