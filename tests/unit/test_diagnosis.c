/* Unit tests of diagnosis.c: synthetic windows for every state. */
#include <string.h>

#include "check.h"
#include "diagnosis.h"

#define MiB (UINT64_C(1) << 20)
#define N   8

static struct diag_sample w[N];

/* A window of N samples 1 s apart: cgroup anon/file and the agents' levels
 * move linearly from their start by the given total change; the deltas are
 * the per-step changes, as the monitor computes them. */
static void window(uint64_t anon, int64_t d_anon, uint64_t file, int64_t d_file, uint64_t alloc,
                   int64_t d_alloc, uint64_t held, int64_t d_held, uint64_t rss, int64_t d_rss,
                   unsigned reporting)
{
    for (int i = 0; i < N; i++) {
        struct diag_sample *s = &w[i];
        s->t_ms = (int64_t)1000 * i;
        s->anon = anon + (uint64_t)(d_anon * i / (N - 1));
        s->file = file + (uint64_t)(d_file * i / (N - 1));
        s->usage = s->anon + s->file;
        s->reporting = reporting;
        s->allocated = reporting ? alloc + (uint64_t)(d_alloc * i / (N - 1)) : DIAG_UNKNOWN;
        s->held = reporting ? held + (uint64_t)(d_held * i / (N - 1)) : DIAG_UNKNOWN;
        s->agent_rss = reporting ? rss + (uint64_t)(d_rss * i / (N - 1)) : DIAG_UNKNOWN;
        s->rss = s->agent_rss;
        s->has_delta = reporting && i > 0;
        if (s->has_delta) {
            s->d_allocated = (int64_t)(s->allocated - w[i - 1].allocated);
            s->d_held = (int64_t)(s->held - w[i - 1].held);
            s->d_agent_rss = (int64_t)(s->agent_rss - w[i - 1].agent_rss);
        }
    }
}

static enum diag_state state(uint64_t limit, struct diagnosis *d)
{
    struct diag_bounds b = {.ceiling = limit, .pressure_pct = 10};

    diagnose(w, N, &b, d);
    return d->state;
}

int main(void)
{
    struct diagnosis d;
    const int64_t M = (int64_t)MiB;

    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    CHECK_INT(state(0, &d), DIAG_STABLE, "everything flat: stable (%s)", d.why);
    diagnose(w, 2, &(struct diag_bounds){.pressure_pct = 10}, &d);
    CHECK_INT(d.state, DIAG_WARMING_UP, "2 samples: warming-up");

    window(200 * MiB, 80 * M, 10 * MiB, 0, 100 * MiB, 80 * M, 10 * MiB, 0, 150 * MiB, 80 * M, 2);
    CHECK_INT(state(0, &d), DIAG_HEAP_GROWTH, "allocated +80 MiB: heap-growth (%s)", d.why);

    window(200 * MiB, 80 * M, 10 * MiB, 0, 100 * MiB, 1 * M, 10 * MiB, 79 * M, 150 * MiB, 80 * M,
           2);
    CHECK_INT(state(0, &d), DIAG_RETENTION, "held +79 MiB, heap flat: allocator-retention (%s)",
              d.why);

    window(400 * MiB, 0, 10 * MiB, 0, 10 * MiB, 0, 200 * MiB, 0, 260 * MiB, 0, 1);
    CHECK_INT(state(0, &d), DIAG_RETENTION, "200 MiB held for 10 MiB allocated: retention (%s)",
              d.why);

    /* the gunicorn case: RSS far above the heap, but the allocators hold
     * little: the rest is CPython's own arenas, not retention */
    window(200 * MiB, 0, 10 * MiB, 0, 50 * MiB, 0, 13 * MiB, 0, 206 * MiB, 0, 5);
    CHECK_INT(state(0, &d), DIAG_STABLE, "RSS >> heap but little held: not retention (%s)", d.why);

    window(200 * MiB, 60 * M, 10 * MiB, 0, 50 * MiB, 0, 13 * MiB, 0, 206 * MiB, 60 * M, 5);
    CHECK_INT(state(0, &d), DIAG_RSS_GROWTH,
              "RSS +60 MiB with heap and held flat: rss-growth outside malloc (%s)", d.why);

    window(200 * MiB, 60 * M, 10 * MiB, 0, 0, 0, 0, 0, 0, 0, 0);
    CHECK_INT(state(0, &d), DIAG_RSS_GROWTH, "no agents, anon +60 MiB: rss-growth (%s)", d.why);

    CHECK(strstr(d.why, "no allocator figures (agent off or absent)") != NULL,
          "no agents at all: said so (%s)", d.why);

    /* an agent that went silent is not an absent one: say stale, since when */
    w[N - 1].stale = 1;
    w[N - 1].stale_ms = 12400;
    CHECK_INT(state(0, &d), DIAG_RSS_GROWTH, "stale agent, anon +60 MiB: rss-growth (%s)", d.why);
    CHECK(strstr(d.why, "allocator figures stale: 1 process has not answered for 12 s") != NULL,
          "stale figures named, with their age (%s)", d.why);
    w[N - 1].stale = 0;
    w[N - 1].implausible = 2;
    (void)state(0, &d);
    CHECK(strstr(d.why, "allocator figures implausible for 2 processes") != NULL,
          "implausible figures named (%s)", d.why);

    window(200 * MiB, 0, 10 * MiB, 150 * M, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    CHECK_INT(state(0, &d), DIAG_PAGE_CACHE, "file +150 MiB, anon flat: page-cache (%s)", d.why);

    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    CHECK_INT(state(220 * MiB, &d), DIAG_NEAR_LIMIT, "210 of 220 MiB: near-limit (%s)", d.why);
    CHECK(d.near_limit, "near_limit flag set");
    window(200 * MiB, 80 * M, 10 * MiB, 0, 100 * MiB, 80 * M, 10 * MiB, 0, 150 * MiB, 80 * M, 2);
    CHECK(state(300 * MiB, &d) == DIAG_HEAP_GROWTH && d.near_limit,
          "heap-growth wins, near_limit still reported");

    /* a spike that came back down is not growth */
    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    w[2].d_allocated = 100 * M;
    w[3].d_allocated = -90 * M;
    CHECK_INT(state(0, &d), DIAG_STABLE, "a spike that came back is not growth: stable (%s)",
              d.why);

    /* a worker that joins mid-window changes the totals, not the deltas */
    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    for (int i = 4; i < N; i++) {
        w[i].allocated += 60 * MiB;
        w[i].agent_rss += 80 * MiB;
        w[i].reporting = 3;
    }
    CHECK_INT(state(0, &d), DIAG_STABLE, "a new worker is not growth (%s)", d.why);

    /* a step the monitor could not measure (an agent registered, or left):
     * the allocator figures are judged from there on, given 3 samples */
    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 80 * M, 10 * MiB, 0, 150 * MiB, 0, 2);
    w[5].has_delta = false;
    CHECK_INT(state(0, &d), DIAG_HEAP_GROWTH,
              "no delta for step 5: the heap grows over samples 5-7: heap-growth (%s)", d.why);
    CHECK(strstr(d.why, "over 2 s") != NULL, "its window is the 2 s after the step (%s)", d.why);
    w[5].has_delta = true;
    w[6].has_delta = false;
    CHECK_INT(state(0, &d), DIAG_STABLE,
              "no delta for step 6: 2 comparable samples, no allocator verdict; the cgroup is "
              "flat: stable (%s)",
              d.why);
    CHECK_INT(diag_state_name(DIAG_RETENTION)[0], 'a', "names: allocator-retention");
    CHECK_STR(diag_state_name((enum diag_state)99), "stable", "unknown state named stable");
    /* memory.high below memory.max: usage is judged against memory.high,
     * and climbing high events with pressure name the state throttled */
    window(200 * MiB, 0, 10 * MiB, 0, 100 * MiB, 0, 10 * MiB, 0, 150 * MiB, 0, 2);
    {
        struct diag_bounds b = {.ceiling = 220 * MiB, .ceiling_is_high = true, .pressure_pct = 10};
        for (int i = 0; i < N; i++) {
            w[i].ev_high = i < N - 2 ? 5 : 5 + (uint64_t)(i - (N - 3)) * 40;
            w[i].psi_some10 = 94.0;
        }
        diagnose(w, N, &b, &d);
        CHECK_INT(d.state, DIAG_THROTTLED, "high events +80 with pressure 94%%: throttled (%s)",
                  d.why);
        CHECK(d.near_limit, "210 MiB is near a 220 MiB memory.high");
        CHECK(strstr(d.why, "+80") && strstr(d.why, "underneath: near-limit"),
              "the why counts the events and names the state underneath");
        w[N - 1].psi_some10 = 5.0;
        diagnose(w, N, &b, &d);
        CHECK_INT(d.state, DIAG_NEAR_LIMIT, "the same events without pressure: near-limit (%s)",
                  d.why);
        w[N - 1].psi_some10 = 94.0;
        for (int i = 0; i < N; i++)
            w[i].ev_high = 5;
        diagnose(w, N, &b, &d);
        CHECK_INT(d.state, DIAG_NEAR_LIMIT, "pressure without new high events: not throttled");
        for (int i = 0; i < N; i++)
            w[i].ev_high = DIAG_UNKNOWN;
        diagnose(w, N, &b, &d);
        CHECK_INT(d.state, DIAG_NEAR_LIMIT, "no memory.events (v1): never throttled");
        for (int i = 0; i < N; i++)
            w[i].psi_some10 = 0;
    }

    return check_done();
}
