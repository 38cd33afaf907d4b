/* Unit tests of the agent's decay steering decision (src/agent/steer.c):
 * a load, its end, a pause inside it, jeinit's purge, and JEINIT_AGENT_DECAY. */
#include "agent/steer.h"
#include "check.h"

static uint64_t purged; /* jemalloc's dirty_purged, in pages */

/* One tick of the agent's loop: requests are read only when asked for. */
static enum steer_action tick(struct steer *s, uint64_t now, uint64_t cpu_us, uint64_t requests)
{
    struct steer_obs o = {requests, purged};

    return steer_decide(s, now, cpu_us, steer_needs_requests(s, now, cpu_us) ? &o : NULL);
}

static struct steer started(void)
{
    struct steer s = {.mode = STEER_SHORT, .at_ms = 1000};

    return s;
}

int main(void)
{
    struct steer s = started();
    uint64_t t = 1000, cpu = 0, req = 0;
    long a, b;
    int i;

    CHECK_U64(steer_next_ms(&s), 1000, "the first tick is due at once");
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "the first tick is a baseline");
    CHECK_U64(steer_next_ms(&s), 1000 + STEER_TICK_LONG_MS, "the first real tick soon");
    t += 250, cpu += 100;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "idle: nothing");
    CHECK_U64(steer_next_ms(&s), t + STEER_TICK_SHORT_MS, "at rest a tick a second");

    /* a load: a CPU busy and 1 M requests a second (after a baseline) */
    t += 1000, cpu += 900000, req += 1000000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "busy after idle: a baseline first");
    CHECK_U64(steer_next_ms(&s), t + STEER_TICK_LONG_MS, "and the rate a tick later");
    t += 250, cpu += 225000, req += 250000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_LONG, "allocating hard: the long decay");
    CHECK_INT(s.mode, STEER_LONG, "long");
    CHECK_U64(steer_next_ms(&s), t + STEER_TICK_LONG_MS, "while long, a tick every 250 ms");
    for (i = 0; i < 8; i++) {
        t += 250, cpu += 240000, req += 250000;
        CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "the load goes on: long stays (%d)", i);
    }

    /* busy CPU, few allocations (a compute phase): quiet by the requests */
    t += 250, cpu += 240000, req += 100;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "one quiet tick is not the end");
    t += 250, cpu += 240000, req += 100;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_SHORT_PURGE, "two: purge, and the short decay");
    CHECK_INT(s.mode, STEER_SHORT, "short");

    /* a pause of one tick inside a load does not end it */
    t += 1000, cpu += 900000, req += 1000000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_LONG, "allocating again: long");
    t += 250, cpu += 1000, req += 0;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "an idle tick (no statistics read)");
    CHECK(!s.requests_known, "an idle tick reads no jemalloc statistics");
    t += 250, cpu += 240000, req += 250000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "busy again: a baseline, still long");
    t += 250, cpu += 240000, req += 250000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "and long");
    CHECK_INT(s.mode, STEER_LONG, "the pause did not purge");

    /* the end of the load: the CPU goes idle */
    t += 250, cpu += 500;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "idle once");
    t += 250, cpu += 500;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_SHORT_PURGE, "idle twice: purge within 0.5 s");

    /* moderate traffic, between the thresholds: no flapping either way */
    for (i = 0; i < 5; i++) {
        t += 1000, cpu += 50000, req += STEER_BUSY_PER_S / 2;
        CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "moderate: short stays (%d)", i);
    }

    /* the same traffic while the short decay purges 4 MiB a second: long */
    t += 1000, cpu += 50000, req += STEER_BUSY_PER_S / 2, purged += 1024;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_LONG, "purging what it allocates again: long");
    t += 250, cpu += 12500, req += STEER_BUSY_PER_S / 8;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "the traffic goes on: long stays");
    t += 250, cpu += 200;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "idle once");
    t += 250, cpu += 200;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_SHORT_PURGE, "idle twice: short");
    /* purges at rest (the decay of the last load) are not a load */
    for (i = 0; i < 3; i++) {
        t += 1000, cpu += 20000, req += 100, purged += 4096;
        CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "purging, few requests: short (%d)", i);
    }

    /* jeinit purges (the cgroup is short of memory): short for STEER_HOLD_MS */
    t += 1000, cpu += 900000, req += 1000000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_LONG, "long again");
    CHECK(steer_hold(&s, t), "jeinit's purge ends the long decay");
    CHECK(!steer_hold(&s, t), "a second one changes nothing");
    for (i = 0; i < 9; i++) {
        t += 1000, cpu += 900000, req += 1000000;
        CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "held short under load (%d)", i);
    }
    t += 1000, cpu += 900000, req += 1000000;
    t += 1000, cpu += 900000, req += 1000000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_KEEP, "after the hold, a baseline first");
    t += 1000, cpu += 900000, req += 1000000;
    CHECK_INT(tick(&s, t, cpu, req), STEER_GO_LONG, "then long again");

    /* counters that go backwards or jump to the top do not overflow */
    t += 250, cpu += 240000;
    CHECK_INT(tick(&s, t, cpu, 5), STEER_KEEP, "requests went backwards: no rate");
    t += 250, cpu += 240000;
    CHECK_INT(tick(&s, t, cpu, UINT64_MAX), STEER_KEEP, "UINT64_MAX requests: busy, no overflow");
    CHECK_INT(s.mode, STEER_LONG, "still long");
    t += 1, cpu = 0;
    CHECK_INT(tick(&s, t, cpu, UINT64_MAX), STEER_KEEP, "CPU time went backwards: idle");

    /* not steering: nothing to do, never a tick */
    s = (struct steer){.mode = STEER_PROGRAM};
    CHECK_INT(tick(&s, 5000, 1, 1), STEER_KEEP, "the program's decay: left alone");
    CHECK_U64(steer_next_ms(&s), 0, "no tick");
    CHECK(!steer_hold(&s, 5000), "no hold either");
    s = (struct steer){.mode = STEER_OFF};
    CHECK_U64(steer_next_ms(&s), 0, "off: no tick");

    CHECK(steer_parse_env("1000:10000", &a, &b) && a == 1000 && b == 10000, "1000:10000");
    CHECK(!steer_parse_env(NULL, &a, &b), "absent");
    CHECK(!steer_parse_env("", &a, &b), "empty");
    CHECK(!steer_parse_env("10000:1000", &a, &b), "long must be longer");
    CHECK(!steer_parse_env("0:1000", &a, &b), "no zero decay");
    CHECK(!steer_parse_env("-1:1000", &a, &b), "no negative decay");
    CHECK(!steer_parse_env("1000:", &a, &b), "no long");
    CHECK(!steer_parse_env("1000:10000x", &a, &b), "trailing bytes");
    CHECK(!steer_parse_env("1000 :10000", &a, &b), "a space");
    CHECK(!steer_parse_env("1000:3600001", &a, &b), "over an hour");
    CHECK(!steer_parse_env("99999999999999999999999:1", &a, &b), "overflow");
    CHECK(!steer_parse_env("1000:99999999999999999999999", &a, &b), "overflow of long");
    return check_done();
}
