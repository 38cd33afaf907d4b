/* policy.c - see policy.h. */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

const char *thp_mode_name(enum thp_mode m)
{
    switch (m) {
    case THP_ALWAYS:
        return "always";
    case THP_MADVISE:
        return "madvise";
    case THP_NEVER:
        return "never";
    case THP_UNKNOWN:
        break;
    }
    return "unknown";
}

unsigned policy_cpus(uint64_t cpu_millis)
{
    uint64_t c = cpu_millis / 1000 + (cpu_millis % 1000 != 0); /* no wrap near UINT64_MAX */

    if (c < 1)
        return 1;
    return c > 65536 ? 65536 : (unsigned)c;
}

static void add(struct policy *p, const char *key, const char *reason, const char *value_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds key:value (value formatted from value_fmt) with a reason, copied as
 * it is: a reason that needs numbers is formatted by set_reason. */
static void add(struct policy *p, const char *key, const char *reason, const char *value_fmt, ...)
{
    struct policy_option *o;
    va_list ap;

    if (p->n >= POLICY_OPTIONS_MAX)
        return;
    o = &p->opt[p->n++];
    (void)snprintf(o->key, sizeof(o->key), "%s", key);
    va_start(ap, value_fmt);
    (void)vsnprintf(o->value, sizeof(o->value), value_fmt, ap);
    va_end(ap);
    (void)snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

static void note(struct policy *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct policy *p, const char *fmt, ...)
{
    va_list ap;

    if (p->nnotes >= sizeof(p->notes) / sizeof(p->notes[0]))
        return;
    va_start(ap, fmt);
    (void)vsnprintf(p->notes[p->nnotes++], POLICY_REASON_MAX, fmt, ap);
    va_end(ap);
}

static void set_reason(struct policy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct policy *p, const char *fmt, ...)
{
    va_list ap;

    if (p->n == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(p->opt[p->n - 1].reason, POLICY_REASON_MAX, fmt, ap);
    va_end(ap);
}

static bool version_at_least(const struct policy_input *in, int major, int minor)
{
    return in->jemalloc_major > major ||
           (in->jemalloc_major == major && in->jemalloc_minor >= minor);
}

/* Memory one process may count on: the limit (or memory.high when lower,
 * since reclaim starts there), shared by the workers when there are several. */
static uint64_t process_budget(const struct policy_input *in)
{
    uint64_t limit = in->memory_limit;

    if (in->memory_high != UINT64_MAX && in->memory_high < limit)
        limit = in->memory_high;
    return limit / (in->workers > 1 ? in->workers : 1);
}

static void fmt_bytes(char *buf, size_t sz, uint64_t b)
{
    if (b >= GiB && b % (GiB / 10) == 0)
        (void)snprintf(buf, sz, "%.1f GiB", (double)b / (double)GiB);
    else if (b >= GiB)
        (void)snprintf(buf, sz, "%.2f GiB", (double)b / (double)GiB);
    else
        (void)snprintf(buf, sz, "%llu MiB", (unsigned long long)(b / MiB));
}

/* jemalloc sizes itself for the host: 4 arenas per CPU. */
#define JE_ARENAS_PER_CPU 4

/* B <= b, as the strict bound a budget step holds (budgets are integers). */
#define AT_MOST(b) ((b) + 1)

/* What each profile asks of jemalloc (see policy.h for the columns).
 * README.md's policy table mirrors these rows: change both together. The
 * reasons in policy_jemalloc name the arena ratios in words ("one arena",
 * "one per two", "jemalloc's own ratio"). */
static const struct policy_profile profiles[] =
    {
        [PROFILE_BALANCED] =
            {
                /* thread caches take most allocations off the arenas: one arena
                 * per two CPUs keeps lock contention negligible and holds less
                 * memory (tests/bench/policy.sh: same throughput as one per CPU,
                 * lower peak) */
                .narenas = 1,
                .narenas_per_cpus = 2,
                .dirty_decay_ms = {.step = {{AT_MOST(2 * GiB), 1000}, {AT_MOST(8 * GiB), 2000}},
                                   .otherwise = 5000},
                .muzzy_as_dirty = false,
                /* 4 KiB where memory is tight (TUNING.md's memory example); 16
                 * KiB otherwise: half jemalloc's default, and the sizes between 4
                 * and 16 KiB are where an arena lock is paid most
                 * (tests/bench/policy.sh) */
                .tcache_max = {.step = {{AT_MOST(256 * MiB), 4096}, {AT_MOST(8 * GiB), 16384}},
                               .otherwise = 0},
                .metadata_thp = false,
                .thp_never = true,
            },
        [PROFILE_MEMORY] =
            {
                .narenas = 1,
                .narenas_per_cpus = 0,
                .dirty_decay_ms = {.step = {{256 * MiB, 500}}, .otherwise = 1000},
                .muzzy_as_dirty = false,
                .tcache_max = {.otherwise = 1024},
                .metadata_thp = false,
                .thp_never = true,
            },
        [PROFILE_THROUGHPUT] =
            {
                .narenas = JE_ARENAS_PER_CPU,
                .narenas_per_cpus = 1,
                .dirty_decay_ms = {.step = {{1 * GiB, 5000}}, .otherwise = 10000},
                .muzzy_as_dirty = true,
                .tcache_max = {.otherwise = 0},
                .metadata_thp = true,
                .thp_never = false,
            },
};

const struct policy_profile *policy_profile_params(enum profile profile)
{
    if ((unsigned)profile >= sizeof(profiles) / sizeof(profiles[0]))
        return &profiles[PROFILE_BALANCED];
    return &profiles[profile];
}

static long budget_step(const struct policy_budget_steps *s, uint64_t budget)
{
    for (size_t i = 0; i < sizeof(s->step) / sizeof(s->step[0]) && s->step[i].below; i++)
        if (budget < s->step[i].below)
            return s->step[i].value;
    return s->otherwise;
}

void policy_jemalloc(const struct policy_input *in, struct policy *out)
{
    const struct policy_profile *pp = policy_profile_params(in->profile);
    unsigned cpus = policy_cpus(in->cpu_millis);
    unsigned workers = in->workers > 1 ? in->workers : 1;
    unsigned per_worker_cpus = (cpus + workers - 1) / workers;
    unsigned je_default_narenas = JE_ARENAS_PER_CPU * in->host_cpus;
    uint64_t budget = process_budget(in);
    unsigned narenas, bg_threads;
    long dirty, muzzy, tcache_max;
    char budget_s[32], who[96];
    bool v5 = version_at_least(in, 5, 0), v51 = version_at_least(in, 5, 1);

    memset(out, 0, sizeof(*out));
    fmt_bytes(budget_s, sizeof(budget_s), budget);
    if (workers > 1)
        (void)snprintf(who, sizeof(who), "each of %u worker processes", workers);
    else
        (void)snprintf(who, sizeof(who), "the process");

    /* narenas: arenas multiply fragmentation; parallelism is bounded by the
     * container's CPUs, not the host's. */
    if (pp->narenas_per_cpus == 0)
        narenas = pp->narenas;
    else
        narenas = (per_worker_cpus * pp->narenas + pp->narenas_per_cpus - 1) / pp->narenas_per_cpus;
    add(out, "narenas", "", "%u", narenas);
    if (pp->narenas_per_cpus == 0)
        set_reason(out,
                   "one arena: fewest places for freed memory to sit (memory profile); "
                   "jemalloc's default would be 4 per host CPU = %u",
                   je_default_narenas);
    else if (workers > 1)
        set_reason(out,
                   "%u CPU(s) shared by %u worker processes: %u arena(s) per process; jemalloc's "
                   "default would be 4 per host CPU = %u in every worker",
                   cpus, workers, narenas, je_default_narenas);
    else if (pp->narenas == JE_ARENAS_PER_CPU * pp->narenas_per_cpus)
        set_reason(out,
                   "4 arenas per CPU the container may use (%u): jemalloc's own ratio, applied to "
                   "the container instead of the host (4 per host CPU = %u arenas)",
                   cpus, je_default_narenas);
    else
        set_reason(out,
                   "%u arena(s) for the %u CPU(s) the container may use, one per two: thread "
                   "caches take most allocations off the arenas. jemalloc's default sizes for "
                   "the host: 4 per host CPU = %u arenas, each holding its own freed memory",
                   narenas, cpus, je_default_narenas);

    if (!v5) {
        note(out, "jemalloc version unknown or older than 5.0: only narenas is set");
        return;
    }

    /* background threads: purging on a timer, so idle processes shrink too */
    add(out, "background_thread",
        "purge unused pages on a timer in jemalloc's own threads: without them decay advances only "
        "when the application allocates, so an idle process keeps its peak (TUNING.md)",
        "true");
    bg_threads = cpus < narenas ? cpus : narenas;
    if (bg_threads < 1)
        bg_threads = 1;
    if (v51) {
        add(out, "max_background_threads", "", "%u", bg_threads);
        set_reason(out,
                   "no more purging threads than the container's CPUs (%u) or arenas; jemalloc's "
                   "default is the host's CPU count (%u)",
                   cpus, in->host_cpus);
    }

    /* decay: how long freed pages stay resident for reuse */
    dirty = budget_step(&pp->dirty_decay_ms, budget);
    muzzy = pp->muzzy_as_dirty ? dirty : 0;
    add(out, "dirty_decay_ms", "", "%ld", dirty);
    set_reason(out,
               "%s may use %s%s: freed pages are returned within ~%.1f s of going unused, "
               "instead of jemalloc's 10 s",
               who, budget_s,
               in->memory_unlimited ? " (no cgroup limit: the machine's memory)" : "",
               (double)dirty / 1000.0);
    if (dirty == 10000)
        set_reason(out,
                   "%s may use %s: jemalloc's 10 s default decay is affordable and keeps "
                   "reuse cheap",
                   who, budget_s);
    add(out, "muzzy_decay_ms", "", "%ld", muzzy);
    if (muzzy == 0)
        set_reason(out, "purge with MADV_DONTNEED at once: MADV_FREE'd (muzzy) pages still count "
                        "in the cgroup's usage and RSS until the kernel needs them, so the limit "
                        "and the monitoring would see memory the allocator no longer uses");
    else
        set_reason(out, "keep lazily freed (MADV_FREE) pages as long as dirty ones: reusing them "
                        "is cheaper and there is room under the limit");

    /* tcache: kept (turning it off costs throughput), bounded when memory is tight */
    tcache_max = budget_step(&pp->tcache_max, budget);
    if (tcache_max) {
        if (version_at_least(in, 5, 3)) {
            add(out, "tcache_max", "", "%ld", tcache_max);
        } else {
            int lg = 0;
            while ((1L << (lg + 1)) <= tcache_max)
                lg++;
            add(out, "lg_tcache_max", "", "%d", lg);
        }
        set_reason(out,
                   "keep thread caches (tcache:false costs throughput) but cache only sizes up to "
                   "%ld bytes per thread instead of 32 KiB: %s may use %s",
                   tcache_max, who, budget_s);
    } else {
        note(out, "tcache: jemalloc's default (sizes up to 32 KiB cached per thread) kept");
    }

    if (pp->metadata_thp && v51)
        add(out, "metadata_thp",
            "huge pages for jemalloc's own metadata cut TLB misses at a small memory cost "
            "(TUNING.md, prioritizing CPU)",
            "auto");
    if (in->thp == THP_ALWAYS && pp->thp_never && v51)
        add(out, "thp",
            "transparent huge pages are \"always\" on this host: a 2 MiB page stays resident "
            "while any of its bytes is live, which defeats purging under a memory limit",
            "never");

    /* profiling ready, sampling off: prof can only be set at start, and
     * prof.active then costs nothing until jeinit turns it on (heapprof.c) */
    if (in->heap_profile) {
        add(out, "prof",
            "heap profiles ready (--heap-profile auto): jeinit samples allocations only when it "
            "sees the heap grow, and dumps two profiles a window apart",
            "true");
        add(out, "prof_active",
            "sampling off until jeinit turns it on (prof.active) in a process whose heap grows",
            "false");
        /* inactive, jemalloc still counts down to a sample every 2^lg bytes
         * (a slow-path allocation each time); and a thread's countdown drawn
         * at one rate is not redrawn when prof.reset changes it: the rate
         * jeinit samples at (HP_LG_SAMPLE), from the start */
        add(out, "lg_prof_sample",
            "one sample per MiB allocated when sampling (jemalloc's default: 512 KiB): half the "
            "cost of sampling, and of counting down to samples while it is off",
            "20");
    }
}

void policy_glibc(const struct policy_input *in, struct policy *out)
{
    unsigned cpus = policy_cpus(in->cpu_millis);
    unsigned workers = in->workers > 1 ? in->workers : 1;
    unsigned arenas = (cpus + workers - 1) / workers;

    memset(out, 0, sizeof(*out));
    if (in->profile == PROFILE_MEMORY)
        arenas = 1;
    else if (in->profile == PROFILE_THROUGHPUT)
        arenas *= 4;
    add(out, "MALLOC_ARENA_MAX", "", "%u", arenas);
    set_reason(out,
               "glibc makes up to 8 arenas per host CPU (%u here), each keeping its own freed "
               "memory; %u CPU(s)%s allow %u",
               8 * in->host_cpus, cpus, workers > 1 ? " shared by the workers" : "", arenas);
    if (in->profile == PROFILE_THROUGHPUT) {
        note(out, "glibc's sliding mmap and trim thresholds kept (throughput profile)");
        return;
    }
    add(out, "glibc.malloc.mmap_threshold",
        "a fixed 128 KiB mmap threshold: blocks of 128 KiB and up are unmapped when freed; "
        "by default the threshold slides up to 32 MiB after the first large free, and from then "
        "on such blocks stay on the heap",
        "131072");
    add(out, "glibc.malloc.trim_threshold",
        "return free memory at the top of the heap once it reaches 128 KiB; setting it also stops "
        "glibc from raising it along with the mmap threshold",
        "131072");
}
