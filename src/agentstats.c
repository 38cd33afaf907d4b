/* agentstats.c - see agentstats.h. */
#include "agentstats.h"

#include <stdlib.h>

uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - 1 - b ? UINT64_MAX - 1 : a + b;
}

uint64_t sat_sum_known(uint64_t sum, uint64_t v)
{
    if (v == UINT64_MAX)
        return sum;
    return sum == UINT64_MAX ? v : sat_add(sum, v);
}

int64_t sat_diff(uint64_t now, uint64_t before)
{
    if (now >= before)
        return now - before > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(now - before);
    return before - now > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)(before - now);
}

int64_t sat_add_i64(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

uint64_t agentstats_bound(uint64_t rss, uint64_t swap)
{
    uint64_t footprint;

    if (rss == UINT64_MAX)
        return UINT64_MAX;
    footprint = sat_add(rss, swap == UINT64_MAX ? 0 : swap);
    return sat_add(footprint, footprint > AGENTSTATS_ALLOWANCE ? footprint : AGENTSTATS_ALLOWANCE);
}

/* Known, and above limit (UINT64_MAX: no limit). */
static bool above(uint64_t v, uint64_t limit)
{
    return v != UINT64_MAX && limit != UINT64_MAX && v > limit;
}

const char *agentstats_implausible(const struct agent_reply *r, uint64_t rss, uint64_t swap)
{
    uint64_t bound = agentstats_bound(rss, swap);

    if (above(r->allocated, bound) || above(r->allocated, r->mapped))
        return "allocated_bytes";
    if (above(r->active, bound))
        return "active_bytes";
    if (above(r->resident, bound))
        return "resident_bytes";
    if (above(r->metadata, bound))
        return "metadata_bytes";
    if (above(r->held, bound))
        return "held_bytes";
    if (r->allocator == AGENT_ALLOC_JEMALLOC &&
        (above(r->allocated, r->resident) || above(r->held, r->resident)))
        return above(r->allocated, r->resident) ? "allocated_bytes" : "held_bytes";
    if (r->allocator == AGENT_ALLOC_GLIBC && above(r->held, r->mapped))
        return "held_bytes";
    return NULL;
}

uint64_t agentstats_purged(const struct agent_reply *r, uint64_t rss, uint64_t swap)
{
    uint64_t bound = agentstats_bound(rss, swap);

    if (r->purged == 0)
        return 0;
    /* a purge returns pages the process had: none can be vouched for
     * without its figures */
    if (bound == UINT64_MAX || r->purged > bound)
        return UINT64_MAX;
    return r->purged;
}

bool agentstats_take_reply(struct agent_slot *s, const struct agent_reply *r, long n,
                           int64_t now_ms)
{
    if (!agent_reply_valid(r, n))
        return false;
    if (r->type == AGENT_PROF) {
        /* the first error stays until heapprof.c clears it: a dump's
         * failure is not hidden by the success of the step after it */
        s->prof_seq = r->seq;
        if (r->status != 0 && s->prof_status == 0)
            s->prof_status = r->status;
        s->has_prof = true;
        return true; /* no figures in it */
    }
    if (r->type == AGENT_STATS) {
        s->stats = *r;
    } else if (r->type == AGENT_PURGED) {
        s->purge = *r;
        s->has_purge = true;
        s->stats = *r; /* a purge reply carries fresh figures too */
    } else {
        return false;
    }
    s->has_stats = true;
    s->stats_ms = now_ms;
    return true;
}

int proc_sample_by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_sample *)a)->pid, y = ((const struct proc_sample *)b)->pid;

    return (x > y) - (x < y);
}

void agentstats_attach(struct proc_sample *procs, size_t n, const struct agent_slot *slots,
                       size_t nslots, uint32_t seq, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        procs[i].agent = NULL;
        procs[i].fresh = false;
        procs[i].implausible = NULL;
        procs[i].stats_age_ms = 0;
    }
    for (size_t i = 0; i < nslots; i++) {
        const struct agent_slot *s = &slots[i];
        struct proc_sample key = {.pid = s->pid}, *p;
        if (s->src.fd < 0 || !s->has_stats)
            continue;
        p = bsearch(&key, procs, n, sizeof(procs[0]), proc_sample_by_pid);
        if (!p)
            continue;
        p->agent = s;
        p->fresh = s->stats.seq == seq;
        p->implausible = agentstats_implausible(&s->stats, p->rss, p->swap);
        p->stats_age_ms = now_ms > s->stats_ms ? now_ms - s->stats_ms : 0;
    }
}

void agentstats_step(struct proc_sample *procs, size_t n, const struct proc_sample *before,
                     size_t nbefore, struct diag_sample *step)
{
    step->has_delta = false;
    step->d_allocated = step->d_held = step->d_agent_rss = 0;
    for (size_t i = 0; i < n; i++) {
        struct proc_sample *p = &procs[i];
        const struct proc_sample *b;
        const struct agent_reply *r = p->agent ? &p->agent->stats : NULL;
        bool usable = r && p->fresh && !p->implausible && r->allocated != UINT64_MAX &&
                      r->held != UINT64_MAX && p->rss != UINT64_MAX;

        p->allocated = usable ? r->allocated : UINT64_MAX;
        p->held = usable ? r->held : UINT64_MAX;
        if (!usable)
            continue;
        b = bsearch(p, before, nbefore, sizeof(before[0]), proc_sample_by_pid);
        if (!b || b->allocated == UINT64_MAX || b->held == UINT64_MAX || b->rss == UINT64_MAX)
            continue;
        step->has_delta = true;
        step->d_allocated = sat_add_i64(step->d_allocated, sat_diff(p->allocated, b->allocated));
        step->d_held = sat_add_i64(step->d_held, sat_diff(p->held, b->held));
        step->d_agent_rss = sat_add_i64(step->d_agent_rss, sat_diff(p->rss, b->rss));
    }
}

void agentstats_sums(const struct proc_sample *procs, size_t n, struct diag_sample *d)
{
    d->rss = d->agent_rss = d->allocated = d->held = DIAG_UNKNOWN;
    d->reporting = d->stale = d->implausible = 0;
    d->stale_ms = 0;
    for (size_t i = 0; i < n; i++) {
        const struct proc_sample *p = &procs[i];
        d->rss = sat_sum_known(d->rss, p->rss);
        if (p->agent && p->implausible)
            d->implausible++;
        else if (p->agent && !p->fresh) {
            d->stale++;
            if (p->stats_age_ms > d->stale_ms)
                d->stale_ms = p->stats_age_ms;
        }
        if (p->allocated == UINT64_MAX)
            continue;
        d->reporting++;
        d->agent_rss = sat_sum_known(d->agent_rss, p->rss);
        d->allocated = sat_sum_known(d->allocated, p->allocated);
        d->held = sat_sum_known(d->held, p->held);
    }
}
