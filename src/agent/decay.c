/* decay.c - see decay.h. Runs in the agent's thread only. */
#include "decay.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static bool read_ssize(mallctl_fn mallctl, const char *name, ssize_t *v)
{
    return ctl_read(mallctl, name, v, sizeof(*v));
}

static bool read_u64(mallctl_fn mallctl, const char *name, uint64_t *v)
{
    return ctl_read(mallctl, name, v, sizeof(*v));
}

/* Every arena's dirty decay, and the default of arenas made later. Each is
 * read first: one that is neither what the agent set nor what it is about to
 * set was set by the program, which then keeps the say. */
static bool set_decay(struct decay *d, ssize_t ms)
{
    unsigned narenas = 0;
    size_t len = sizeof(narenas);
    ssize_t cur;
    char name[48];

    if (!read_ssize(d->mallctl, "arenas.dirty_decay_ms", &cur) || (cur != d->set_ms && cur != ms))
        return false;
    if (d->mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0)
        return false;
    for (unsigned i = 0; i < narenas; i++) {
        (void)snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
        if (!read_ssize(d->mallctl, name, &cur))
            continue; /* not initialised: it takes arenas.dirty_decay_ms when it is */
        if (cur != d->set_ms && cur != ms)
            return false;
        if (cur != ms)
            (void)d->mallctl(name, NULL, NULL, &ms, sizeof(ms));
    }
    (void)d->mallctl("arenas.dirty_decay_ms", NULL, NULL, &ms, sizeof(ms));
    d->set_ms = ms;
    return true;
}

static void stop_steering(struct decay *d)
{
    d->s.mode = STEER_PROGRAM;
}

void decay_start(struct decay *d, mallctl_fn mallctl, ssize_t short_ms, ssize_t long_ms, bool hard,
                 uint64_t now_ms)
{
    ssize_t opt = 0, cur = 0;
    uint64_t n;

    *d = (struct decay){.mallctl = mallctl, .short_ms = short_ms, .long_ms = long_ms};
    d->s.mode = STEER_OFF;
    if (!mallctl || short_ms <= 0 || long_ms <= short_ms)
        return;
    /* jemalloc runs with jeinit's short decay, and keeps statistics */
    if (!read_ssize(mallctl, "opt.dirty_decay_ms", &opt) || opt != short_ms ||
        !read_ssize(mallctl, "arenas.dirty_decay_ms", &cur) ||
        !read_u64(mallctl, "stats.arenas." MALLCTL_ARENAS_ALL ".small.nrequests", &n))
        return;
    /* a forked worker finds its parent's setting: long or short, or the program's */
    d->set_ms = cur;
    if (cur != short_ms && cur != long_ms) {
        stop_steering(d);
        return;
    }
    d->s.mode = cur == long_ms ? STEER_LONG : STEER_SHORT;
    d->s.at_ms = now_ms;
    /* woken by the bytes it asked for before its first second: a process
     * building or churning a big heap is allocating hard now */
    if (hard && d->s.mode == STEER_SHORT) {
        if (set_decay(d, long_ms))
            d->s.mode = STEER_LONG;
        else
            stop_steering(d);
    }
}

uint64_t decay_next_ms(const struct decay *d)
{
    return steer_next_ms(&d->s);
}

static uint64_t cpu_us_of(const struct rusage *u)
{
    return (uint64_t)u->ru_utime.tv_sec * 1000000u + (uint64_t)u->ru_utime.tv_usec +
           (uint64_t)u->ru_stime.tv_sec * 1000000u + (uint64_t)u->ru_stime.tv_usec;
}

/* CPU time of the program's threads: the process's, less the agent's own. */
static uint64_t program_cpu_us(void)
{
    struct rusage self, me;
    uint64_t a, b;

    if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_THREAD, &me) != 0)
        return 0;
    a = cpu_us_of(&self);
    b = cpu_us_of(&me);
    return a > b ? a - b : 0;
}

static bool observe(mallctl_fn mallctl, struct steer_obs *o)
{
    uint64_t small = 0, large = 0;

    ctl_refresh(mallctl);
    if (!read_u64(mallctl, "stats.arenas." MALLCTL_ARENAS_ALL ".small.nrequests", &small) ||
        !read_u64(mallctl, "stats.arenas." MALLCTL_ARENAS_ALL ".large.nrequests", &large) ||
        !read_u64(mallctl, "stats.arenas." MALLCTL_ARENAS_ALL ".dirty_purged", &o->purged))
        return false;
    o->requests = small + large;
    return true;
}

void decay_tick(struct decay *d, uint64_t now_ms)
{
    uint64_t cpu = program_cpu_us();
    struct steer_obs obs;
    bool known = steer_needs_requests(&d->s, now_ms, cpu) && observe(d->mallctl, &obs);

    switch (steer_decide(&d->s, now_ms, cpu, known ? &obs : NULL)) {
    case STEER_GO_LONG:
        if (!set_decay(d, d->long_ms))
            stop_steering(d);
        break;
    case STEER_GO_SHORT_PURGE:
        if (!set_decay(d, d->short_ms))
            stop_steering(d);
        else {
            /* everything dirty goes back now */
            d->purges++;
            d->purged += ctl_purge_all(d->mallctl);
        }
        break;
    case STEER_KEEP:
        break;
    }
}

void decay_on_purge(struct decay *d, uint64_t now_ms)
{
    if (steer_hold(&d->s, now_ms) && !set_decay(d, d->short_ms))
        stop_steering(d);
}

void decay_stop(struct decay *d)
{
    if (d->s.mode == STEER_LONG)
        (void)set_decay(d, d->short_ms);
    d->s.mode = STEER_OFF;
}

void decay_report(const struct decay *d, struct agent_reply *r)
{
    r->decay_mode = (uint32_t)d->s.mode;
    r->decay_purges = d->purges;
    r->decay_purged = d->purged;
}
