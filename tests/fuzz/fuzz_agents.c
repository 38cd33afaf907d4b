/* fuzz_agents.c - libFuzzer harness for what agents tell jeinit, from the
 * datagram to the memory line: agentstats_take_reply (the reply's
 * validation), agentstats_attach, agentstats_step and agentstats_sums
 * (plausibility and the saturating arithmetic the monitor does), diagnose
 * over the window, agentstats_purged with the purge line's sum, and
 * report_memory (the line's body), whose output must parse.
 *
 * The input is a script of rounds. Each round, for each of PROCS processes:
 * a flags byte (in the sample; a reply arrives; the reply is raw input
 * bytes or built from input figures; it answers this round or an older
 * one; a purge reply), the kernel's RSS and swap, then the reply. Figures
 * are drawn from the edges that matter: unknown (UINT64_MAX), 2^63, 2^64-2,
 * raw 64-bit words, and ordinary sizes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "agentstats.h"
#include "diagnosis.h"
#include "monitor.h"
#include "report.h"
#include "fuzz.h"

#define PROCS  6
#define ROUNDS 16

struct input {
    const uint8_t *p;
    size_t n;
};

static struct monitor mon;
static struct agent_slot slots[PROCS];
static struct config cfg;
static struct cgroup_limits lim;
static char json[1 << 16];

static uint8_t take_u8(struct input *in)
{
    uint8_t v = 0;

    if (in->n > 0) {
        v = *in->p++;
        in->n--;
    }
    return v;
}

static uint64_t take_u64(struct input *in)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | take_u8(in);
    return v;
}

static uint64_t take_figure(struct input *in)
{
    uint8_t k = take_u8(in);

    switch (k % 8) {
    case 0:
        return UINT64_MAX;
    case 1:
        return take_u64(in);
    case 2:
        return UINT64_MAX - 1 - take_u8(in);
    case 3:
        return (UINT64_C(1) << 63) + take_u8(in) - 128;
    case 4:
        return AGENTSTATS_ALLOWANCE + take_u8(in) - 128;
    default:
        return (uint64_t)(take_u64(in) >> 32) * 4096;
    }
}

static void take_reply(struct input *in, struct agent_reply *r, long *len, uint8_t flags,
                       uint32_t seq)
{
    memset(r, 0, sizeof(*r));
    if (flags & 4) {
        /* raw bytes, any length: the validation must hold */
        size_t n = in->n < sizeof(*r) ? in->n : sizeof(*r);
        memcpy(r, in->p, n);
        in->p += n;
        in->n -= n;
        *len = take_u8(in) & 1 ? (long)sizeof(*r) : (long)take_u8(in) * 2 - 100;
        return;
    }
    r->magic = AGENT_MAGIC;
    r->version = AGENT_VERSION;
    r->type = flags & 16 ? AGENT_PURGED : AGENT_STATS;
    r->seq = flags & 8 ? seq : seq - 1 - take_u8(in);
    r->allocator = take_u8(in) % 4;
    r->allocated = take_figure(in);
    r->active = take_figure(in);
    r->metadata = take_figure(in);
    r->resident = take_figure(in);
    r->mapped = take_figure(in);
    r->retained = take_figure(in);
    r->held = take_figure(in);
    r->purged = take_figure(in);
    *len = sizeof(*r);
}

/* A memory line's room: the log budget's 4,096 bytes. */
#define LINE_MAX_BYTES 4096

/* The line's body must parse, fit, and its totals be the sample's. */
static void check_line(const struct diag_sample *d)
{
    struct jw w = {.g = jw_gen_new(false)};
    const unsigned char *buf;
    size_t len;
    yajl_val root, v;
    const char *path[] = {"totals", "allocated_bytes", NULL};

    INVARIANT(w.g != NULL);
    (void)yajl_gen_map_open(w.g);
    report_memory(&w, &mon, d, "heartbeat", LINE_MAX_BYTES);
    INVARIANT(yajl_gen_map_close(w.g) == yajl_gen_status_ok);
    INVARIANT(yajl_gen_get_buf(w.g, &buf, &len) == yajl_gen_status_ok);
    INVARIANT(len < LINE_MAX_BYTES); /* the body fits the line it was given */
    INVARIANT(len < sizeof(json));
    memcpy(json, buf, len);
    json[len] = '\0';
    yajl_gen_free(w.g);
    root = yajl_tree_parse(json, NULL, 0);
    INVARIANT(root != NULL);
    v = yajl_tree_get(root, path, yajl_t_any);
    INVARIANT(v != NULL);
    if (d->allocated == DIAG_UNKNOWN)
        INVARIANT(YAJL_IS_NULL(v));
    else
        INVARIANT(YAJL_IS_NUMBER(v));
    yajl_tree_free(root);
}

static __int128 clamp64(__int128 v)
{
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/* Per process: only fresh, plausible figures count, and each within its
 * bound; the sums are the saturated sums of exactly those, and the step is
 * what 128-bit arithmetic says, clamped term by term. */
static void check_sample(const struct diag_sample *d, const struct diag_sample *step)
{
    unsigned __int128 alloc = 0, held = 0;
    __int128 d_alloc = 0, d_held = 0;
    unsigned reporting = 0;
    bool has_delta = false;

    for (size_t i = 0; i < mon.nprocs; i++) {
        const struct proc_sample *p = &mon.procs[i], *b;
        uint64_t bound = agentstats_bound(p->rss, p->swap);
        if (p->allocated == UINT64_MAX) {
            INVARIANT(p->held == UINT64_MAX);
            continue;
        }
        INVARIANT(p->agent && p->fresh && !p->implausible && p->rss != UINT64_MAX);
        INVARIANT(agentstats_implausible(&p->agent->stats, p->rss, p->swap) == NULL);
        INVARIANT(p->allocated <= bound && p->held <= bound && p->held != UINT64_MAX);
        reporting++;
        alloc += p->allocated;
        held += p->held;
        b = bsearch(p, mon.pss_cache, mon.npss, sizeof(mon.pss_cache[0]), proc_sample_by_pid);
        if (b && b->allocated != UINT64_MAX && b->held != UINT64_MAX && b->rss != UINT64_MAX) {
            has_delta = true;
            d_alloc = clamp64(d_alloc + clamp64((__int128)p->allocated - b->allocated));
            d_held = clamp64(d_held + clamp64((__int128)p->held - b->held));
        }
    }
    INVARIANT(d->reporting == reporting);
    INVARIANT((reporting == 0) == (d->allocated == DIAG_UNKNOWN));
    INVARIANT((reporting == 0) == (d->held == DIAG_UNKNOWN));
    if (reporting > 0) {
        INVARIANT(d->allocated == (alloc > UINT64_MAX - 1 ? UINT64_MAX - 1 : (uint64_t)alloc));
        INVARIANT(d->held == (held > UINT64_MAX - 1 ? UINT64_MAX - 1 : (uint64_t)held));
    }
    INVARIANT(step->has_delta == has_delta);
    INVARIANT(step->d_allocated == d_alloc && step->d_held == d_held);
    if (!has_delta)
        INVARIANT(step->d_agent_rss == 0);
}

static void check_diagnosis(void)
{
    const struct diag_sample *b = &mon.window[mon.wlen - 1];

    diagnose(mon.window, mon.wlen,
             &(struct diag_bounds){.ceiling = lim.memory_limit, .pressure_pct = 10}, &mon.diag);
    INVARIANT(strnlen(mon.diag.why, sizeof(mon.diag.why)) < sizeof(mon.diag.why));
    INVARIANT(mon.diag.why[0] != '\0');
    /* without usable figures now, no verdict about allocators */
    if (b->reporting == 0)
        INVARIANT(mon.diag.state != DIAG_HEAP_GROWTH && mon.diag.state != DIAG_RETENTION);
}

/* The purge line's sum: saturating, each answer within its process's bound. */
static void check_purge(void)
{
    uint64_t released = 0;
    unsigned __int128 bounds = 0;

    for (size_t i = 0; i < mon.nprocs; i++) {
        const struct proc_sample *p = &mon.procs[i];
        const struct agent_slot *s = &slots[p->pid - 100];
        uint64_t r;
        if (!s->has_purge)
            continue;
        r = agentstats_purged(&s->purge, p->rss, p->swap);
        if (r == UINT64_MAX)
            continue;
        INVARIANT(r <= agentstats_bound(p->rss, p->swap));
        bounds += agentstats_bound(p->rss, p->swap);
        released = sat_add(released, r);
    }
    INVARIANT(released < UINT64_MAX && released <= bounds);
}

static void round_of(struct input *in, uint32_t seq, int64_t now)
{
    struct diag_sample d;
    size_t n = 0;

    for (int i = 0; i < PROCS; i++) {
        uint8_t flags = take_u8(in);
        struct proc_sample *p;
        struct agent_reply r;
        long len;
        slots[i].src.fd = flags & 32 ? -1 : 3; /* registered, or gone */
        if (flags & 2) {
            struct agent_reply was = slots[i].stats;
            bool had = slots[i].has_stats;
            int64_t was_ms = slots[i].stats_ms;
            take_reply(in, &r, &len, flags, seq);
            if (!agentstats_take_reply(&slots[i], &r, len, now)) {
                INVARIANT(slots[i].has_stats == had && slots[i].stats_ms == was_ms);
                INVARIANT(memcmp(&slots[i].stats, &was, sizeof(was)) == 0);
            } else {
                INVARIANT(agent_reply_valid(&r, len));
                INVARIANT(slots[i].has_stats && slots[i].stats_ms == now);
                INVARIANT(memcmp(&slots[i].stats, &r, sizeof(r)) == 0);
            }
        }
        if (!(flags & 1))
            continue;
        p = &mon.procs[n++];
        memset(p, 0, sizeof(*p));
        p->pid = 100 + i;
        memcpy(p->comm, "proc", 5);
        p->rss = take_figure(in);
        p->swap = take_figure(in);
        p->pss = p->anon = UINT64_MAX;
    }
    mon.nprocs = n;
    mon.seq = seq;
    mon.lag_ms = (int64_t)take_u8(in) * 10;
    agentstats_attach(mon.procs, n, slots, PROCS, seq, now);
    agentstats_step(mon.procs, n, mon.pss_cache, mon.npss, &mon.step);
    d = mon.step;
    d.t_ms = now;
    mon.usage.current = d.usage = take_figure(in);
    mon.usage.anon = d.anon = take_figure(in);
    mon.usage.file = d.file = take_figure(in);
    agentstats_sums(mon.procs, n, &d);
    check_sample(&d, &mon.step);
    if (mon.wlen == mon.wcap) {
        memmove(mon.window, mon.window + 1, (mon.wcap - 1) * sizeof(mon.window[0]));
        mon.wlen--;
    }
    mon.window[mon.wlen++] = d;
    check_diagnosis();
    check_line(&d);
    check_purge();
    memcpy(mon.pss_cache, mon.procs, n * sizeof(mon.procs[0]));
    mon.npss = n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    uint32_t seq = 1000;
    int64_t now = 1000000;
    uint8_t setup = take_u8(&in);

    memset(&mon, 0, offsetof(struct monitor, procs));
    memset(slots, 0, sizeof(slots));
    for (int i = 0; i < PROCS; i++) {
        slots[i].pid = 100 + i;
        slots[i].src.fd = 3;
    }
    cfg.interval_ms = 1000;
    lim.memory_limit = setup & 1 ? UINT64_C(512) << 20 : UINT64_C(64) << 30;
    lim.memory_unlimited = !(setup & 1);
    mon.cfg = &cfg;
    mon.lim = &lim;
    mon.wcap = 3 + setup % 8;
    mon.usage.ev_low = mon.usage.ev_high = mon.usage.ev_max = UINT64_MAX;
    mon.usage.ev_oom = mon.usage.ev_oom_kill = UINT64_MAX;
    mon.prev = mon.usage;
    for (int r = 0; r < ROUNDS && in.n > 0; r++) {
        now += 100 + take_u8(&in) * 20;
        round_of(&in, ++seq, now);
    }
    return 0;
}
