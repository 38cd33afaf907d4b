/* fuzz_steer - the agent's decay steering (src/agent/steer.c): any
 * JEINIT_AGENT_DECAY parses to 0 < short < long <= 1 h or not at all, and any
 * sequence of ticks (times, CPU times and jemalloc counters that jump,
 * stall or go backwards, jeinit's purges) keeps the state machine in its two
 * modes, with a next tick due soon. */
#include <string.h>

#include "agent/steer.h"
#include "fuzz.h"

static uint64_t take(const uint8_t **p, size_t *n)
{
    uint64_t v = 0;
    size_t k = *n < 8 ? *n : 8;

    memcpy(&v, *p, k);
    *p += k;
    *n -= k;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char env[64];
    size_t len = size < sizeof(env) - 1 ? size : sizeof(env) - 1;
    long a = 0, b = 0;
    struct steer s = {.mode = STEER_SHORT};
    uint64_t t = 0, cpu = 0, req = 0, purged = 0;

    memcpy(env, data, len);
    env[len] = '\0';
    if (steer_parse_env(env, &a, &b))
        INVARIANT(a > 0 && b > a && b <= 3600000);
    while (size >= 4) {
        uint8_t op = data[0];
        struct steer_obs o;
        enum steer_action act;
        uint64_t next;

        data++, size--;
        /* mostly forward steps, sometimes anything */
        t = op & 1 ? take(&data, &size) : t + (op >> 1) * 10u;
        cpu = op & 2 ? take(&data, &size) : cpu + (op >> 2) * 1000u;
        req = op & 4 ? take(&data, &size) : req + (uint64_t)op * op * 100u;
        purged = op & 8 ? take(&data, &size) : purged + (op & 0x70);
        o = (struct steer_obs){req, purged};
        if (op == 0xff) {
            (void)steer_hold(&s, t);
            INVARIANT(s.mode == STEER_SHORT);
            continue;
        }
        act = steer_decide(&s, t, cpu, steer_needs_requests(&s, t, cpu) ? &o : NULL);
        INVARIANT(s.mode == STEER_SHORT || s.mode == STEER_LONG);
        INVARIANT(act != STEER_GO_LONG || s.mode == STEER_LONG);
        INVARIANT(act != STEER_GO_SHORT_PURGE || s.mode == STEER_SHORT);
        next = steer_next_ms(&s);
        INVARIANT(next > 0 && next >= s.at_ms && next - s.at_ms <= STEER_TICK_SHORT_MS);
    }
    return 0;
}
