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
        [DIAG_THROTTLED] = "throttled",
    };

    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "stable";
}

static bool known(uint64_t v)
{
    return v != DIAG_UNKNOWN;
}

/* A change that matters: 8 MiB, or 5% of where it started. */
static double threshold(uint64_t base)
{
    double t = known(base) ? (double)base * 0.05 : 0.0;

    return t > 8.0 * MiB ? t : 8.0 * MiB;
}

/* A series over the window: its change, and whether it is rising (up by more
 * than thr overall, ending no lower than the highest point of the window's
 * first half: a spike that came back down is not growth). */
struct trend {
    double change;
    bool rising, flat;
};

static struct trend trend_of(const double *cum, size_t n, double thr)
{
    struct trend t = {cum[n - 1], false, false};
    double half_max = cum[0];

    for (size_t i = 1; i < n / 2; i++)
        if (cum[i] > half_max)
            half_max = cum[i];
    t.rising = t.change > thr && cum[n - 1] >= half_max;
    t.flat = t.change <= thr && t.change >= -thr;
    return t;
}

/* Cumulative change of a level field (cgroup figures: the whole container). */
static bool level_series(const struct diag_sample *s, size_t n, size_t off, double *cum)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = *(const uint64_t *)((const char *)&s[i] + off);
        uint64_t v0 = *(const uint64_t *)((const char *)&s[0] + off);
        if (!known(v) || !known(v0))
            return false;
        cum[i] = (double)v - (double)v0;
    }
    return true;
}

/* Cumulative change of a per-process field, summed from the sample-to-sample
 * deltas (only processes present in both samples of each step count). */
static bool delta_series(const struct diag_sample *s, size_t n, size_t off, double *cum)
{
    cum[0] = 0;
    for (size_t i = 1; i < n; i++) {
        if (!s[i].has_delta)
            return false;
        cum[i] = cum[i - 1] + (double)*(const int64_t *)((const char *)&s[i] + off);
    }
    return true;
}

/* Why the last sample has no allocator figures to go by: say what is true. */
static void why_no_figures(const struct diag_sample *b, char *buf, size_t size)
{
    if (b->stale > 0)
        (void)snprintf(buf, size, "allocator figures stale: %u process%s not answered for %.0f s",
                       b->stale, b->stale == 1 ? " has" : "es have", (double)b->stale_ms / 1000.0);
    else if (b->implausible > 0)
        (void)snprintf(buf, size, "allocator figures implausible for %u process%s", b->implausible,
                       b->implausible == 1 ? "" : "es");
    else if (b->reporting > 0)
        (void)snprintf(buf, size,
                       "allocator figures not comparable across the window (processes came "
                       "and went)");
    else
        (void)snprintf(buf, size, "no allocator figures (agent off or absent)");
}

#define WINDOW_MAX 256

/* The trends, first match wins (diagnosis.h's list but throttled). */
static void diagnose_trends(const struct diag_sample *s, size_t n, uint64_t limit,
                            struct diagnosis *out)
{
    double alloc_c[WINDOW_MAX], held_c[WINDOW_MAX], rss_c[WINDOW_MAX], anon_c[WINDOW_MAX],
        file_c[WINDOW_MAX];
    const struct diag_sample *a, *b, *aw;
    size_t k, m;
    double aws;
    bool agents;

    memset(out, 0, sizeof(*out));
    out->state = DIAG_STABLE;
    if (n == 0) {
        out->state = DIAG_WARMING_UP;
        (void)snprintf(out->why, sizeof(out->why), "no samples yet");
        return;
    }
    if (n > WINDOW_MAX) {
        s += n - WINDOW_MAX;
        n = WINDOW_MAX;
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
    /* The allocator figures' own window starts at the last sample that does
     * not compare with the one before it (a process registered, or left):
     * agents wake when their process has lived a while, so a window across a
     * registration is the rule, not a fault. */
    k = n - 1;
    while (k > 0 && s[k].has_delta)
        k--;
    m = n - k;
    aw = &s[k];
    aws = (double)(b->t_ms - aw->t_ms) / 1000.0;
    agents = b->reporting > 0 && known(b->allocated) && m >= 3 &&
             delta_series(aw, m, offsetof(struct diag_sample, d_allocated), alloc_c) &&
             delta_series(aw, m, offsetof(struct diag_sample, d_held), held_c) &&
             delta_series(aw, m, offsetof(struct diag_sample, d_agent_rss), rss_c);

    if (agents) {
        struct trend alloc = trend_of(alloc_c, m, threshold(aw->allocated));
        struct trend held = trend_of(held_c, m, threshold(aw->held));
        struct trend rss = trend_of(rss_c, m, threshold(aw->agent_rss));
        double held_now = known(b->held) ? (double)b->held : 0;

        if (alloc.rising) {
            out->state = DIAG_HEAP_GROWTH;
            (void)snprintf(out->why, sizeof(out->why),
                           "allocated %+.1f MiB over %.0f s (now %.1f MiB): the live heap grows",
                           alloc.change / MiB, aws, (double)b->allocated / MiB);
            return;
        }
        if (alloc.flat && held.rising) {
            out->state = DIAG_RETENTION;
            (void)snprintf(out->why, sizeof(out->why),
                           "memory held by the allocators %+.1f MiB over %.0f s (now %.1f MiB) "
                           "while allocated stayed at %.1f MiB (%+.1f MiB): freed memory kept",
                           held.change / MiB, aws, held_now / MiB, (double)b->allocated / MiB,
                           alloc.change / MiB);
            return;
        }
        if (held_now > 64.0 * MiB && held_now > 0.5 * (double)b->allocated) {
            out->state = DIAG_RETENTION;
            (void)snprintf(out->why, sizeof(out->why),
                           "the allocators hold %.1f MiB of freed memory for %.1f MiB allocated",
                           held_now / MiB, (double)b->allocated / MiB);
            return;
        }
        if (alloc.flat && held.flat && rss.rising) {
            out->state = DIAG_RSS_GROWTH;
            (void)snprintf(out->why, sizeof(out->why),
                           "RSS %+.1f MiB over %.0f s while the malloc heap and the memory its "
                           "allocators hold stayed flat: memory from outside malloc (mmap'd "
                           "arenas such as CPython's, thread stacks, a JIT)",
                           rss.change / MiB, aws);
            return;
        }
    } else if (level_series(s, n, offsetof(struct diag_sample, anon), anon_c) &&
               trend_of(anon_c, n, threshold(a->anon)).rising) {
        char none[128];
        out->state = DIAG_RSS_GROWTH;
        why_no_figures(b, none, sizeof(none));
        (void)snprintf(out->why, sizeof(out->why),
                       "anonymous memory %+.1f MiB over %.0f s, and %s: nothing tells a growing "
                       "heap from retention",
                       anon_c[n - 1] / MiB, out->window_s, none);
        return;
    }
    if (level_series(s, n, offsetof(struct diag_sample, file), file_c) &&
        trend_of(file_c, n, threshold(a->file)).rising &&
        level_series(s, n, offsetof(struct diag_sample, anon), anon_c) &&
        trend_of(anon_c, n, threshold(a->anon)).flat) {
        out->state = DIAG_PAGE_CACHE;
        (void)snprintf(out->why, sizeof(out->why),
                       "file pages %+.1f MiB over %.0f s with anonymous memory flat: page cache, "
                       "reclaimable",
                       file_c[n - 1] / MiB, out->window_s);
        return;
    }
    if (out->near_limit) {
        out->state = DIAG_NEAR_LIMIT;
        (void)snprintf(out->why, sizeof(out->why), "usage %.1f MiB is %.0f%% of the ceiling",
                       (double)b->usage / MiB, 100.0 * (double)b->usage / (double)limit);
        return;
    }
    (void)snprintf(out->why, sizeof(out->why), "no sustained change over %.0f s", out->window_s);
}

/* memory.high events over the last 3 samples (0: none, or unknown) */
static uint64_t recent_high_events(const struct diag_sample *s, size_t n, double *span_s)
{
    const struct diag_sample *a = &s[n >= 3 ? n - 3 : 0], *b = &s[n - 1];

    *span_s = (double)(b->t_ms - a->t_ms) / 1000.0;
    if (!known(a->ev_high) || !known(b->ev_high) || b->ev_high <= a->ev_high)
        return 0;
    return b->ev_high - a->ev_high;
}

void diagnose(const struct diag_sample *s, size_t n, const struct diag_bounds *bounds,
              struct diagnosis *out)
{
    const struct diag_sample *last;
    struct diagnosis under;
    uint64_t events;
    double span_s;

    diagnose_trends(s, n, bounds->ceiling, out);
    if (n < 2 || out->state == DIAG_WARMING_UP)
        return;
    last = &s[n - 1];
    events = recent_high_events(s, n, &span_s);
    if (events == 0 || last->psi_some10 < 0 || last->psi_some10 < bounds->pressure_pct)
        return;
    under = *out;
    out->state = DIAG_THROTTLED;
    /* above memory.high without swap, reclaim finds little and the kernel
     * slows every allocation instead: minutes short of memory.max */
    (void)snprintf(out->why, sizeof(out->why),
                   "memory.high events +%llu in %.0f s, pressure %.0f%% (some avg10): the kernel "
                   "throttles the container at memory.high (ceiling %.1f MiB); underneath: %s "
                   "(%.80s)",
                   (unsigned long long)events, span_s, last->psi_some10,
                   (double)bounds->ceiling / MiB, diag_state_name(under.state), under.why);
}
