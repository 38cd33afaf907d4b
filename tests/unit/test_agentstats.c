/* Unit tests of agentstats.c: saturating arithmetic, plausibility, and a
 * hostile agent among honest ones, from replies to a sample's sums. */
#include "agentstats.h"
#include "check.h"

#define MiB (UINT64_C(1) << 20)

static struct agent_slot slots[3];
static struct proc_sample procs[3], before[3];

static struct agent_reply reply(uint32_t seq, uint64_t allocated, uint64_t held)
{
    struct agent_reply r = {AGENT_MAGIC, AGENT_VERSION, AGENT_STATS, seq, AGENT_ALLOC_JEMALLOC};

    r.allocated = allocated;
    r.active = allocated;
    r.metadata = 2 * MiB;
    r.resident = allocated + held < allocated ? UINT64_MAX - 1 : allocated + held;
    r.mapped = allocated + 8 * MiB < allocated ? UINT64_MAX - 1 : allocated + 8 * MiB;
    r.retained = 0;
    r.held = held;
    return r;
}

/* Three processes, pids 10 11 12, each with RSS 100 MiB; slot i answers r[i]. */
static void sample(const struct agent_reply *r, uint32_t seq, struct diag_sample *d)
{
    for (int i = 0; i < 3; i++) {
        slots[i].pid = 10 + i;
        slots[i].src.fd = 3;
        CHECK(agentstats_take_reply(&slots[i], &r[i], sizeof(r[i]), 5000), "reply %d taken", i);
        procs[i] = (struct proc_sample){.pid = 10 + i, .rss = 100 * MiB, .swap = 0};
    }
    agentstats_attach(procs, 3, slots, 3, seq, 5000);
    *d = (struct diag_sample){0};
    agentstats_step(procs, 3, before, 3, d);
    agentstats_sums(procs, 3, d);
    for (int i = 0; i < 3; i++)
        before[i] = procs[i];
}

int main(void)
{
    struct agent_reply r[3], bad;
    struct diag_sample d;

    CHECK_U64(sat_add(UINT64_MAX - 2, 5), UINT64_MAX - 1, "sat_add stops short of unknown");
    CHECK_U64(sat_add(3, 4), 7, "sat_add adds");
    CHECK_U64(sat_sum_known(UINT64_MAX, 5), 5, "sat_sum_known: the first known value");
    CHECK_U64(sat_sum_known(5, UINT64_MAX), 5, "sat_sum_known: unknown is skipped");
    CHECK_INT(sat_diff(0, UINT64_C(1) << 63), INT64_MIN, "sat_diff clamps below");
    CHECK_INT(sat_diff(UINT64_MAX - 1, 0), INT64_MAX, "sat_diff clamps above");
    CHECK_INT(sat_diff(5, 7), -2, "sat_diff: negative");
    CHECK_INT(sat_add_i64(INT64_MAX, 1), INT64_MAX, "sat_add_i64 clamps above");
    CHECK_INT(sat_add_i64(INT64_MIN, -1), INT64_MIN, "sat_add_i64 clamps below");
    CHECK_U64(agentstats_bound(10 * MiB, UINT64_MAX), 266 * MiB, "small: RSS + 256 MiB");
    CHECK_U64(agentstats_bound(1024 * MiB, 0), 2048 * MiB, "large: twice RSS + swap");

    /* the figures: each one implausible for a 100 MiB process */
    bad = reply(1, UINT64_MAX - 1, 0);
    CHECK_STR(agentstats_implausible(&bad, 100 * MiB, 0), "allocated_bytes", "2^64-2 allocated");
    bad = reply(1, 10 * MiB, UINT64_C(1) << 63);
    CHECK_STR(agentstats_implausible(&bad, 100 * MiB, 0), "resident_bytes", "2^63 held");
    bad.resident = 20 * MiB;
    CHECK_STR(agentstats_implausible(&bad, 100 * MiB, 0), "held_bytes", "held above resident");
    bad = reply(1, 50 * MiB, 5 * MiB);
    bad.mapped = 10 * MiB;
    CHECK_STR(agentstats_implausible(&bad, 100 * MiB, 0), "allocated_bytes",
              "allocated above mapped");
    bad = reply(1, 300 * MiB, 5 * MiB);
    CHECK(agentstats_implausible(&bad, 100 * MiB, 0) == NULL,
          "300 MiB allocated, 100 MiB RSS: untouched memory, plausible");
    bad.purged = UINT64_MAX - 15;
    CHECK_U64(agentstats_purged(&bad, 100 * MiB, 0), UINT64_MAX, "2^64-16 purged: left out");
    bad.purged = 80 * MiB;
    CHECK_U64(agentstats_purged(&bad, 100 * MiB, 0), 80 * MiB, "80 MiB purged: counted");
    CHECK_U64(agentstats_purged(&bad, UINT64_MAX, 0), UINT64_MAX, "unknown process: left out");
    bad.magic = 0;
    CHECK(!agentstats_take_reply(&slots[0], &bad, sizeof(bad), 1), "bad magic: not taken");
    CHECK(!agentstats_take_reply(&slots[0], &r[0], 3, 1), "short datagram: not taken");

    /* honest processes at 20 MiB; the third lies every other sample */
    for (uint32_t seq = 1; seq <= 4; seq++) {
        r[0] = reply(seq, 20 * MiB, 4 * MiB);
        r[1] = reply(seq, 20 * MiB, 4 * MiB);
        r[2] = seq % 2 ? reply(seq, UINT64_MAX - 1, UINT64_C(1) << 63) : reply(seq, 1 * MiB, 0);
        sample(r, seq, &d);
    }
    CHECK(procs[2].implausible == NULL && procs[2].allocated == 1 * MiB,
          "the liar's plausible sample counts");
    CHECK_INT(d.d_allocated, 0, "no delta from a process implausible in the step before");
    r[2] = reply(5, UINT64_MAX - 1, UINT64_C(1) << 63);
    r[0] = reply(5, 20 * MiB, 4 * MiB);
    r[1] = reply(5, 20 * MiB, 4 * MiB);
    sample(r, 5, &d);
    CHECK_STR(procs[2].implausible, "allocated_bytes", "the liar is marked");
    CHECK_U64(procs[2].allocated, UINT64_MAX, "and its figures are not used");
    CHECK_U64(d.allocated, 40 * MiB, "totals: the honest processes only");
    CHECK_U64(d.held, 8 * MiB, "held: the honest processes only");
    CHECK_INT(d.reporting, 2, "two reporting");
    CHECK_INT(d.implausible, 1, "one implausible");
    CHECK(d.has_delta && d.d_allocated == 0 && d.d_held == 0, "the step is flat");

    /* a process that did not answer: stale, with how long */
    r[0] = reply(5, 20 * MiB, 4 * MiB);
    r[1] = reply(6, 20 * MiB, 4 * MiB);
    r[2] = reply(6, 1 * MiB, 0);
    sample(r, 6, &d);
    slots[0].stats_ms = 2000;
    agentstats_attach(procs, 3, slots, 3, 6, 5000);
    agentstats_sums(procs, 3, &d);
    CHECK(d.stale == 1 && d.stale_ms == 3000, "one stale, silent 3 s (%u, %lld)", d.stale,
          (long long)d.stale_ms);
    return check_done();
}
