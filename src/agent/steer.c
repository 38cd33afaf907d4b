/* steer.c - see steer.h. Pure: no clock, no mallctl, no globals. */
#include "steer.h"

#include <stdlib.h>

static uint64_t since(uint64_t now, uint64_t then)
{
    return now > then ? now - then : 0;
}

static uint64_t later(uint64_t t, uint64_t ms)
{
    return t > UINT64_MAX - ms ? UINT64_MAX : t + ms;
}

/* The program's threads used under 1/STEER_IDLE_CPU_DIV of a CPU since the
 * last tick: it cannot be allocating hard, whatever jemalloc would say. */
static bool cpu_idle(const struct steer *s, uint64_t now_ms, uint64_t cpu_us)
{
    uint64_t dt_us = since(now_ms, s->at_ms) * 1000u;

    return since(cpu_us, s->cpu_us) * STEER_IDLE_CPU_DIV < dt_us;
}

static bool steering(const struct steer *s)
{
    return s->mode == STEER_SHORT || s->mode == STEER_LONG;
}

/* This tick's observation, the next one's baseline. */
static void remember(struct steer *s, uint64_t now_ms, uint64_t cpu_us, const struct steer_obs *obs)
{
    s->at_ms = now_ms;
    s->cpu_us = cpu_us;
    s->requests = obs ? obs->requests : 0;
    s->purged = obs ? obs->purged : 0;
    s->requests_known = obs != NULL;
}

bool steer_needs_requests(const struct steer *s, uint64_t now_ms, uint64_t cpu_us)
{
    if (!steering(s))
        return false;
    if (!s->primed)
        return true;
    if (now_ms < s->hold_until_ms)
        return false;
    return !cpu_idle(s, now_ms, cpu_us);
}

static uint64_t per_s(uint64_t now, uint64_t then, uint64_t dt_ms)
{
    uint64_t d = since(now, then);

    return dt_ms == 0 ? 0 : d > UINT64_MAX / 1000u ? UINT64_MAX : d * 1000u / dt_ms;
}

enum steer_action steer_decide(struct steer *s, uint64_t now_ms, uint64_t cpu_us,
                               const struct steer_obs *obs)
{
    bool idle, busy = false, quiet, held, rated;
    uint64_t rate = 0, purging = 0, dt = since(now_ms, s->at_ms);
    enum steer_action act = STEER_KEEP;

    if (!steering(s))
        return STEER_KEEP;
    if (!s->primed) {
        s->primed = true;
        s->fresh = true;
        remember(s, now_ms, cpu_us, obs);
        return STEER_KEEP;
    }
    /* a first reading after a rest: the rate comes at the next tick, soon */
    s->fresh = obs && !s->requests_known;
    idle = cpu_idle(s, now_ms, cpu_us);
    /* a rate needs two readings, counters that only grow, and time between */
    rated = !idle && obs && s->requests_known && obs->requests >= s->requests &&
            obs->purged >= s->purged && dt > 0;
    if (rated) {
        rate = per_s(obs->requests, s->requests, dt);
        purging = per_s(obs->purged, s->purged, dt);
        busy = rate >= STEER_BUSY_PER_S ||
               (rate >= STEER_BUSY_PER_S / 8 && purging >= STEER_PURGING_PAGES_PER_S);
    }
    quiet = idle || (rated && rate < STEER_BUSY_PER_S / 8);

    held = now_ms < s->hold_until_ms;
    if (held || s->mode != STEER_LONG || !quiet)
        s->quiet = 0; /* the quiet ticks that end a load are consecutive */
    if (!held && s->mode == STEER_SHORT && busy) {
        s->mode = STEER_LONG;
        act = STEER_GO_LONG;
    } else if (!held && s->mode == STEER_LONG && quiet && ++s->quiet >= STEER_QUIET_TICKS) {
        s->mode = STEER_SHORT;
        s->quiet = 0;
        act = STEER_GO_SHORT_PURGE;
    }
    remember(s, now_ms, cpu_us, obs);
    return act;
}

bool steer_hold(struct steer *s, uint64_t now_ms)
{
    bool was_long = s->mode == STEER_LONG;

    if (!steering(s))
        return false;
    s->hold_until_ms = later(now_ms, STEER_HOLD_MS);
    s->quiet = 0;
    s->mode = STEER_SHORT;
    return was_long;
}

uint64_t steer_next_ms(const struct steer *s)
{
    if (!steering(s))
        return 0;
    if (!s->primed)
        return s->at_ms ? s->at_ms : 1;
    return later(s->at_ms,
                 s->mode == STEER_LONG || s->fresh ? STEER_TICK_LONG_MS : STEER_TICK_SHORT_MS);
}

bool steer_parse_env(const char *v, long *short_ms, long *long_ms)
{
    char *end;
    long s, l;

    if (!v || *v < '0' || *v > '9')
        return false;
    s = strtol(v, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9')
        return false;
    l = strtol(end + 1, &end, 10);
    /* jemalloc's own bounds are wider; these are what jeinit ever asks */
    if (*end || s <= 0 || l <= s || l > 3600000)
        return false;
    *short_ms = s;
    *long_ms = l;
    return true;
}
