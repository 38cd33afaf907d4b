/* Unit tests of policy.c: container shapes in, allocator settings out. Each
 * row pins the exact options; every row also has to keep the invariants a
 * jemalloc maintainer would check first (arenas bounded by the container's
 * CPUs, nothing the version lacks, decay never above jemalloc's default,
 * profiles ordered). */
#include <stdlib.h>

#include "check.h"
#include "policy.h"

#define MiB  (UINT64_C(1) << 20)
#define GiB  (UINT64_C(1) << 30)
#define NONE UINT64_MAX

/* jemalloc's defaults that the policy is measured against */
#define JE_DEFAULT_DECAY_MS 10000
#define JE_DEFAULT_TCACHE   32768

struct shape {
    const char *name;
    uint64_t cpu_millis, memory, high;
    bool unlimited;
    unsigned workers, host_cpus;
    enum profile profile;
    int major, minor;
    enum thp_mode thp;
    const char *want; /* the options as "key:value,..." in the policy's order */
};

/* Row shorthands: B/M/T profile, version, THP. */
#define B PROFILE_BALANCED
#define M PROFILE_MEMORY
#define T PROFILE_THROUGHPUT

static const struct shape jemalloc_shapes[] = {
    {"0.5 CPU / 256Mi", 500, 256 * MiB, NONE, false, 0, 2, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:4096"},
    {"1 CPU / 512Mi", 1000, 512 * MiB, NONE, false, 0, 64, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"1.5 CPU / 1Gi, THP always", 1500, 1 * GiB, NONE, false, 0, 64, B, 5, 3, THP_ALWAYS,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384,thp:never"},
    {"2 CPU / 2Gi", 2000, 2 * GiB, NONE, false, 0, 64, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"2 CPU / 2Gi, 1 worker", 2000, 2 * GiB, NONE, false, 1, 2, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"4 CPU / 8Gi", 4000, 8 * GiB, NONE, false, 0, 64, B, 5, 3, THP_MADVISE,
     "narenas:2,background_thread:true,max_background_threads:2,dirty_decay_ms:2000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"16 CPU / 64Gi", 16000, 64 * GiB, NONE, false, 0, 64, B, 5, 3, THP_MADVISE,
     "narenas:8,background_thread:true,max_background_threads:8,dirty_decay_ms:5000,"
     "muzzy_decay_ms:0"},
    {"2 CPU, no memory limit (16Gi MemTotal)", 2000, 16 * GiB, NONE, true, 0, 2, B, 5, 3,
     THP_UNKNOWN,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:5000,"
     "muzzy_decay_ms:0"},
    {"2 CPU, no memory limit (1Gi MemTotal)", 2000, 1 * GiB, NONE, true, 0, 2, B, 5, 3, THP_NEVER,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"2 CPU / 4Gi, memory.high 1Gi", 2000, 4 * GiB, 1 * GiB, false, 0, 64, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"2 CPU / 4Gi, memory.high above max", 2000, 4 * GiB, 6 * GiB, false, 0, 64, B, 5, 3,
     THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:2000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"4 CPU / 2Gi, 4 workers", 4000, 2 * GiB, NONE, false, 4, 64, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"4 CPU / 8Gi, 16 workers", 4000, 8 * GiB, NONE, false, 16, 64, B, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:16384"},
    {"16 CPU / 64Gi, 4 workers", 16000, 64 * GiB, NONE, false, 4, 64, B, 5, 3, THP_MADVISE,
     "narenas:2,background_thread:true,max_background_threads:2,dirty_decay_ms:5000,"
     "muzzy_decay_ms:0"},
    {"memory: 0.5 CPU / 128Mi", 500, 128 * MiB, NONE, false, 0, 2, M, 5, 3, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:500,"
     "muzzy_decay_ms:0,tcache_max:1024"},
    {"memory: 2 CPU / 1Gi, THP always", 2000, 1 * GiB, NONE, false, 0, 64, M, 5, 3, THP_ALWAYS,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:1024,thp:never"},
    {"memory: 16 CPU / 64Gi, 16 workers", 16000, 64 * GiB, NONE, false, 16, 64, M, 5, 3,
     THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,tcache_max:1024"},
    {"throughput: 1 CPU / 512Mi", 1000, 512 * MiB, NONE, false, 0, 2, T, 5, 3, THP_MADVISE,
     "narenas:4,background_thread:true,max_background_threads:1,dirty_decay_ms:5000,"
     "muzzy_decay_ms:5000,metadata_thp:auto"},
    {"throughput: 2 CPU / 2Gi, THP always", 2000, 2 * GiB, NONE, false, 0, 64, T, 5, 3, THP_ALWAYS,
     "narenas:8,background_thread:true,max_background_threads:2,dirty_decay_ms:10000,"
     "muzzy_decay_ms:10000,metadata_thp:auto"},
    {"throughput: 16 CPU / 64Gi, 4 workers", 16000, 64 * GiB, NONE, false, 4, 64, T, 5, 3,
     THP_MADVISE,
     "narenas:16,background_thread:true,max_background_threads:16,dirty_decay_ms:10000,"
     "muzzy_decay_ms:10000,metadata_thp:auto"},
    {"5.2: 2 CPU / 1Gi", 2000, 1 * GiB, NONE, false, 0, 64, B, 5, 2, THP_MADVISE,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,lg_tcache_max:14"},
    {"5.2: 4 CPU / 8Gi", 4000, 8 * GiB, NONE, false, 0, 64, B, 5, 2, THP_MADVISE,
     "narenas:2,background_thread:true,max_background_threads:2,dirty_decay_ms:2000,"
     "muzzy_decay_ms:0,lg_tcache_max:14"},
    {"5.1 memory: 1 CPU / 512Mi, THP always", 1000, 512 * MiB, NONE, false, 0, 64, M, 5, 1,
     THP_ALWAYS,
     "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
     "muzzy_decay_ms:0,lg_tcache_max:10,thp:never"},
    {"5.1 throughput: 2 CPU / 2Gi", 2000, 2 * GiB, NONE, false, 0, 2, T, 5, 1, THP_MADVISE,
     "narenas:8,background_thread:true,max_background_threads:2,dirty_decay_ms:10000,"
     "muzzy_decay_ms:10000,metadata_thp:auto"},
    {"5.0: 2 CPU / 1Gi, THP always", 2000, 1 * GiB, NONE, false, 0, 64, B, 5, 0, THP_ALWAYS,
     "narenas:1,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,"
     "lg_tcache_max:14"},
    {"5.0 throughput: 2 CPU / 2Gi", 2000, 2 * GiB, NONE, false, 0, 64, T, 5, 0, THP_MADVISE,
     "narenas:8,background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:10000"},
    {"4.5: 2 CPU / 1Gi", 2000, 1 * GiB, NONE, false, 0, 64, B, 4, 5, THP_ALWAYS, "narenas:1"},
    {"4.5 throughput: 2 CPU / 1Gi", 2000, 1 * GiB, NONE, false, 0, 64, T, 4, 5, THP_MADVISE,
     "narenas:8"},
    {"unknown version: 2 CPU / 1Gi", 2000, 1 * GiB, NONE, false, 0, 64, B, 0, 0, THP_ALWAYS,
     "narenas:1"},
    {"unknown version, memory: 4 CPU / 8Gi", 4000, 8 * GiB, NONE, false, 0, 64, M, 0, 0,
     THP_MADVISE, "narenas:1"},
};

static struct policy_input input_of(const struct shape *s, enum profile profile)
{
    return (struct policy_input){
        .memory_limit = s->memory,
        .memory_unlimited = s->unlimited,
        .memory_high = s->high,
        .cpu_millis = s->cpu_millis,
        .host_cpus = s->host_cpus,
        .profile = profile,
        .workers = s->workers,
        .thp = s->thp,
        .jemalloc_major = s->major,
        .jemalloc_minor = s->minor,
    };
}

static void render(const struct policy *p, char *buf, size_t sz)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < p->n && len < sz; i++)
        len += (size_t)snprintf(buf + len, sz - len, "%s%s:%s", i ? "," : "", p->opt[i].key,
                                p->opt[i].value);
}

static const char *get(const struct policy *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->opt[i].key, key) == 0)
            return p->opt[i].value;
    return NULL;
}

static const char *reason_of(const struct policy *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->opt[i].key, key) == 0)
            return p->opt[i].reason;
    return "";
}

static long get_long(const struct policy *p, const char *key, long dflt)
{
    const char *v = get(p, key);

    return v ? strtol(v, NULL, 10) : dflt;
}

/* The largest size the tcache holds, whichever way it was written. */
static long tcache_limit(const struct policy *p)
{
    const char *lg = get(p, "lg_tcache_max");

    if (lg)
        return 1L << strtol(lg, NULL, 10);
    return get_long(p, "tcache_max", JE_DEFAULT_TCACHE);
}

static bool at_least(const struct shape *s, int major, int minor)
{
    return s->major > major || (s->major == major && s->minor >= minor);
}

/* The version that introduced each option (lg_tcache_max: every version;
 * 5.3 still reads it, as a size in log2). */
static bool known_to(const struct shape *s, const char *key)
{
    static const struct {
        const char *key;
        int major, minor;
    } since[] = {
        {"narenas", 0, 0},           {"lg_tcache_max", 0, 0},
        {"background_thread", 5, 0}, {"dirty_decay_ms", 5, 0},
        {"muzzy_decay_ms", 5, 0},    {"max_background_threads", 5, 1},
        {"metadata_thp", 5, 1},      {"thp", 5, 1},
        {"tcache_max", 5, 3},
    };

    for (size_t i = 0; i < sizeof(since) / sizeof(since[0]); i++)
        if (strcmp(since[i].key, key) == 0)
            return at_least(s, since[i].major, since[i].minor);
    return false;
}

static void check_invariants(const struct shape *s, const struct policy *p)
{
    unsigned cpus = policy_cpus(s->cpu_millis);
    long narenas = get_long(p, "narenas", -1);
    const char *mbt = get(p, "max_background_threads");
    bool dup = false, reasons = true, known = true;

    CHECK(p->n >= 1 && p->n <= POLICY_OPTIONS_MAX, "%s: 1..%d options", s->name,
          POLICY_OPTIONS_MAX);
    CHECK(narenas >= 1 && narenas <= 4L * cpus, "%s: narenas %ld in 1..4x%u CPUs", s->name, narenas,
          cpus);
    CHECK(!get(p, "background_thread") == !at_least(s, 5, 0), "%s: background_thread only from 5.0",
          s->name);
    if (at_least(s, 5, 1))
        CHECK(mbt && atol(mbt) >= 1 && atol(mbt) <= narenas && atol(mbt) <= (long)cpus,
              "%s: max_background_threads %s <= narenas and <= %u CPUs", s->name,
              mbt ? mbt : "(unset)", cpus);
    else
        CHECK(!mbt, "%s: no max_background_threads before 5.1", s->name);
    if (at_least(s, 5, 3))
        CHECK(!get(p, "lg_tcache_max"), "%s: tcache_max, not lg_tcache_max, from 5.3", s->name);
    else
        CHECK(!get(p, "tcache_max"), "%s: lg_tcache_max, not tcache_max, before 5.3", s->name);
    CHECK(get_long(p, "dirty_decay_ms", 0) <= JE_DEFAULT_DECAY_MS &&
              get_long(p, "muzzy_decay_ms", 0) <= JE_DEFAULT_DECAY_MS,
          "%s: decay never above jemalloc's 10 s default", s->name);
    CHECK(tcache_limit(p) <= JE_DEFAULT_TCACHE, "%s: tcache never above jemalloc's 32 KiB",
          s->name);
    for (size_t i = 0; i < p->n; i++) {
        reasons = reasons && p->opt[i].reason[0] != '\0';
        known = known && known_to(s, p->opt[i].key);
        for (size_t j = i + 1; j < p->n; j++)
            dup = dup || strcmp(p->opt[i].key, p->opt[j].key) == 0;
    }
    CHECK(reasons, "%s: every option has a reason", s->name);
    CHECK(!dup, "%s: no key twice", s->name);
    CHECK(known, "%s: every option known to jemalloc %d.%d", s->name, s->major, s->minor);
    if (!at_least(s, 5, 0))
        CHECK(p->nnotes >= 1 && p->notes[0][0], "%s: a note says why only narenas is set", s->name);
}

/* memory <= balanced <= throughput, option by option, for the same shape. */
static void check_profile_order(const struct shape *s)
{
    struct policy_input in;
    struct policy by[3];
    static const enum profile order[3] = {PROFILE_MEMORY, PROFILE_BALANCED, PROFILE_THROUGHPUT};
    bool ordered = true;

    for (int i = 0; i < 3; i++) {
        in = input_of(s, order[i]);
        policy_jemalloc(&in, &by[i]);
    }
    for (int i = 0; i + 1 < 3; i++) {
        ordered = ordered && get_long(&by[i], "narenas", 0) <= get_long(&by[i + 1], "narenas", 0);
        ordered = ordered && get_long(&by[i], "dirty_decay_ms", JE_DEFAULT_DECAY_MS) <=
                                 get_long(&by[i + 1], "dirty_decay_ms", JE_DEFAULT_DECAY_MS);
        ordered = ordered && get_long(&by[i], "muzzy_decay_ms", JE_DEFAULT_DECAY_MS) <=
                                 get_long(&by[i + 1], "muzzy_decay_ms", JE_DEFAULT_DECAY_MS);
        ordered = ordered && tcache_limit(&by[i]) <= tcache_limit(&by[i + 1]);
        ordered = ordered && get_long(&by[i], "max_background_threads", 0) <=
                                 get_long(&by[i + 1], "max_background_threads", 0);
    }
    CHECK(ordered, "%s: memory never looser than balanced, throughput never tighter", s->name);
}

static void test_jemalloc_table(void)
{
    char got[512];

    for (size_t i = 0; i < sizeof(jemalloc_shapes) / sizeof(jemalloc_shapes[0]); i++) {
        const struct shape *s = &jemalloc_shapes[i];
        struct policy_input in = input_of(s, s->profile);
        struct policy p;

        policy_jemalloc(&in, &p);
        render(&p, got, sizeof(got));
        CHECK_STR(got, s->want, "%s (%s, jemalloc %d.%d)", s->name, profile_name(s->profile),
                  s->major, s->minor);
        check_invariants(s, &p);
        check_profile_order(s);
    }
}

/* An input of the given profile whose budget B is exactly memory_limit. */
static struct policy_input row_input(enum profile profile, uint64_t memory_limit)
{
    return (struct policy_input){.memory_limit = memory_limit,
                                 .memory_high = NONE,
                                 .cpu_millis = 2000,
                                 .host_cpus = 64,
                                 .profile = profile,
                                 .thp = THP_ALWAYS,
                                 .jemalloc_major = 5,
                                 .jemalloc_minor = 3};
}

/* The row's value at budget b, as policy.h defines the steps. */
static long row_value(const struct policy_budget_steps *s, uint64_t b)
{
    for (size_t i = 0; i < sizeof(s->step) / sizeof(s->step[0]) && s->step[i].below; i++)
        if (b < s->step[i].below)
            return s->step[i].value;
    return s->otherwise;
}

static void add_budget(uint64_t *budgets, size_t *n, size_t max, uint64_t b)
{
    for (size_t i = 0; i < *n; i++)
        if (budgets[i] == b)
            return;
    if (*n < max)
        budgets[(*n)++] = b;
}

/* Each step's bound and bound - 1 (the edges of the steps), and budgets
 * below and above every bound. */
static size_t row_budgets(const struct policy_profile *row, uint64_t *out, size_t max)
{
    const struct policy_budget_steps *cols[] = {&row->dirty_decay_ms, &row->tcache_max};
    size_t n = 0;

    add_budget(out, &n, max, 16 * MiB);
    add_budget(out, &n, max, 64 * GiB);
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < 2 && cols[c]->step[i].below; i++) {
            add_budget(out, &n, max, cols[c]->step[i].below - 1);
            add_budget(out, &n, max, cols[c]->step[i].below);
        }
    return n;
}

/* policy.c's profile table is the policy: for each profile, the options
 * derived at shapes around the row's bounds are the row's values. */
static void test_profile_rows(void)
{
    static const enum profile profiles[] = {PROFILE_BALANCED, PROFILE_MEMORY, PROFILE_THROUGHPUT};
    static const uint64_t cpu_millis[] = {500, 1000, 3000, 16000};
    static const unsigned workers[] = {0, 4};

    for (size_t k = 0; k < sizeof(profiles) / sizeof(profiles[0]); k++) {
        const struct policy_profile *row = policy_profile_params(profiles[k]);
        const char *name = profile_name(profiles[k]);
        struct policy_input in;
        struct policy p;
        uint64_t budgets[12];
        size_t nb = row_budgets(row, budgets, sizeof(budgets) / sizeof(budgets[0]));
        bool narenas_ok = true, ascending = true;

        for (size_t c = 0; c < 2; c++) {
            const struct policy_budget_steps *s = c ? &row->tcache_max : &row->dirty_decay_ms;
            ascending = ascending && (!s->step[1].below || s->step[1].below > s->step[0].below);
        }
        CHECK(ascending, "%s row: budget steps ascend", name);

        for (size_t c = 0; c < sizeof(cpu_millis) / sizeof(cpu_millis[0]); c++)
            for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
                unsigned cpus = policy_cpus(cpu_millis[c]), nw = workers[w] > 1 ? workers[w] : 1;
                unsigned per_worker = (cpus + nw - 1) / nw;
                long want = row->narenas_per_cpus == 0
                                ? (long)row->narenas
                                : ((long)per_worker * row->narenas + row->narenas_per_cpus - 1) /
                                      row->narenas_per_cpus;

                in = row_input(profiles[k], 1 * GiB);
                in.cpu_millis = cpu_millis[c];
                in.workers = workers[w];
                policy_jemalloc(&in, &p);
                narenas_ok = narenas_ok && get_long(&p, "narenas", -1) == want;
            }
        if (row->narenas_per_cpus == 0)
            CHECK(narenas_ok,
                  "%s row: narenas %u whatever the CPUs, at 0.5-16 CPUs, 1 or 4 workers", name,
                  row->narenas);
        else
            CHECK(narenas_ok,
                  "%s row: narenas %u per %u CPU(s) of a process, at 0.5-16 CPUs, 1 or 4 workers",
                  name, row->narenas, row->narenas_per_cpus);

        for (size_t i = 0; i < nb; i++) {
            long dirty = row_value(&row->dirty_decay_ms, budgets[i]);
            long tcache = row_value(&row->tcache_max, budgets[i]);

            in = row_input(profiles[k], budgets[i]);
            policy_jemalloc(&in, &p);
            CHECK(get_long(&p, "dirty_decay_ms", -1) == dirty &&
                      get_long(&p, "muzzy_decay_ms", -1) == (row->muzzy_as_dirty ? dirty : 0) &&
                      tcache_limit(&p) == (tcache ? tcache : JE_DEFAULT_TCACHE) &&
                      !get(&p, "tcache_max") == !tcache,
                  "%s row at B = %llu bytes: dirty_decay_ms %ld, muzzy_decay_ms %ld, tcache_max "
                  "%ld (0: unset)",
                  name, (unsigned long long)budgets[i], dirty, row->muzzy_as_dirty ? dirty : 0,
                  tcache);
        }

        in = row_input(profiles[k], 1 * GiB);
        policy_jemalloc(&in, &p);
        CHECK(!get(&p, "metadata_thp") == !row->metadata_thp && !get(&p, "thp") == !row->thp_never,
              "%s row: metadata_thp %s, thp:never on a THP-always host %s", name,
              row->metadata_thp ? "set" : "unset", row->thp_never ? "set" : "unset");
    }
    CHECK(policy_profile_params((enum profile)3) == policy_profile_params(PROFILE_BALANCED),
          "a profile outside the enum gets the balanced row");
}

/* The same shape sized for a 2- or a 64-CPU host gets the same options: the
 * host only shows in the reasons. */
static void test_host_cpus_only_in_reasons(void)
{
    struct policy_input in = {.memory_limit = 2 * GiB,
                              .memory_high = NONE,
                              .cpu_millis = 2000,
                              .host_cpus = 2,
                              .jemalloc_major = 5,
                              .jemalloc_minor = 3};
    struct policy small, big;
    char a[512], b[512];

    policy_jemalloc(&in, &small);
    in.host_cpus = 64;
    policy_jemalloc(&in, &big);
    render(&small, a, sizeof(a));
    render(&big, b, sizeof(b));
    CHECK_STR(a, b, "host CPUs do not change the options");
    CHECK(strstr(reason_of(&small, "narenas"), "= 8 arenas") &&
              strstr(reason_of(&big, "narenas"), "= 256 arenas"),
          "narenas reason names jemalloc's host default: %s", reason_of(&big, "narenas"));
    CHECK(strstr(reason_of(&big, "max_background_threads"), "(64)") != NULL,
          "max_background_threads reason: %s", reason_of(&big, "max_background_threads"));
}

static void test_reasons(void)
{
    struct policy_input in = {.memory_limit = 2 * GiB,
                              .memory_high = NONE,
                              .cpu_millis = 4000,
                              .host_cpus = 64,
                              .workers = 4,
                              .jemalloc_major = 5,
                              .jemalloc_minor = 3};
    struct policy p;

    policy_jemalloc(&in, &p);
    CHECK(strstr(reason_of(&p, "narenas"), "4 worker processes") != NULL,
          "workers in narenas reason: %s", reason_of(&p, "narenas"));
    CHECK(strstr(reason_of(&p, "dirty_decay_ms"), "512 MiB") != NULL,
          "per-worker budget in the decay reason: %s", reason_of(&p, "dirty_decay_ms"));

    in = (struct policy_input){.memory_limit = 1 * GiB,
                               .memory_unlimited = true,
                               .memory_high = NONE,
                               .cpu_millis = 1000,
                               .host_cpus = 2,
                               .jemalloc_major = 5,
                               .jemalloc_minor = 3};
    policy_jemalloc(&in, &p);
    CHECK(strstr(reason_of(&p, "dirty_decay_ms"), "no cgroup limit") != NULL,
          "unlimited memory said: %s", reason_of(&p, "dirty_decay_ms"));

    in.memory_limit = 64 * GiB;
    in.memory_unlimited = false;
    policy_jemalloc(&in, &p);
    CHECK(p.nnotes == 1 && strstr(p.notes[0], "tcache"), "default tcache noted: %s",
          p.nnotes ? p.notes[0] : "(none)");
}

static const struct {
    const char *name;
    uint64_t cpu_millis;
    unsigned workers;
    enum profile profile;
    const char *want;
} glibc_shapes[] = {
    {"balanced, 0.5 CPU", 500, 0, B,
     "MALLOC_ARENA_MAX:1,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"balanced, 2 CPU", 2000, 0, B,
     "MALLOC_ARENA_MAX:2,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"balanced, 1.5 CPU", 1500, 1, B,
     "MALLOC_ARENA_MAX:2,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"balanced, 16 CPU, 4 workers", 16000, 4, B,
     "MALLOC_ARENA_MAX:4,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"balanced, 4 CPU, 16 workers", 4000, 16, B,
     "MALLOC_ARENA_MAX:1,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"memory, 16 CPU", 16000, 0, M,
     "MALLOC_ARENA_MAX:1,glibc.malloc.mmap_threshold:131072,glibc.malloc.trim_threshold:131072"},
    {"throughput, 2 CPU", 2000, 0, T, "MALLOC_ARENA_MAX:8"},
    {"throughput, 16 CPU, 4 workers", 16000, 4, T, "MALLOC_ARENA_MAX:16"},
};

static void test_glibc_table(void)
{
    char got[512];

    for (size_t i = 0; i < sizeof(glibc_shapes) / sizeof(glibc_shapes[0]); i++) {
        struct policy_input in = {.memory_limit = 1 * GiB,
                                  .memory_high = NONE,
                                  .cpu_millis = glibc_shapes[i].cpu_millis,
                                  .host_cpus = 64,
                                  .profile = glibc_shapes[i].profile,
                                  .workers = glibc_shapes[i].workers};
        struct policy p;
        bool reasons = true;
        long arenas;

        policy_glibc(&in, &p);
        render(&p, got, sizeof(got));
        CHECK_STR(got, glibc_shapes[i].want, "glibc %s", glibc_shapes[i].name);
        arenas = get_long(&p, "MALLOC_ARENA_MAX", 0);
        CHECK(arenas >= 1 && arenas <= 4L * policy_cpus(in.cpu_millis),
              "glibc %s: arena_max %ld in 1..4x CPUs", glibc_shapes[i].name, arenas);
        for (size_t j = 0; j < p.n; j++)
            reasons = reasons && p.opt[j].reason[0] != '\0';
        CHECK(reasons, "glibc %s: every option has a reason", glibc_shapes[i].name);
        if (in.profile == PROFILE_THROUGHPUT)
            CHECK(p.nnotes == 1, "glibc %s: kept thresholds noted", glibc_shapes[i].name);
    }
}

static void test_cpus(void)
{
    CHECK_INT(policy_cpus(1500), 2, "1500 millicores round up to 2 CPUs");
    CHECK_INT(policy_cpus(1), 1, "1 millicore is 1 CPU");
    CHECK_INT(policy_cpus(0), 1, "0 (unknown) is 1 CPU");
    CHECK_INT(policy_cpus(1000), 1, "1000 millicores is 1 CPU");
    CHECK_INT(policy_cpus(1001), 2, "1001 millicores round up to 2");
    CHECK_INT(policy_cpus(64000), 64, "64 CPUs");
    CHECK_INT(policy_cpus(UINT64_C(1) << 40), 65536, "absurd counts are capped");
    CHECK_INT(policy_cpus(UINT64_MAX), 65536, "UINT64_MAX does not wrap to 1");
    CHECK_INT(policy_cpus(UINT64_MAX - 998), 65536, "near UINT64_MAX does not wrap to 1");
}

int main(void)
{
    test_jemalloc_table();
    test_profile_rows();
    test_host_cpus_only_in_reasons();
    test_reasons();
    test_glibc_table();
    test_cpus();
    return check_done();
}
