/* Unit tests of tuning.c: what the program's environment becomes, from
 * synthetic limits, allocators and user environments. */
#include <stdlib.h>

#include "check.h"
#include "tuning.h"

#define MiB   (UINT64_C(1) << 20)
#define GiB   (UINT64_C(1) << 30)
#define JE    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
#define AGENT "/opt/jeinit/libjeinit-agent.so"

/* What policy_jemalloc derives for 2 CPUs / 2Gi on jemalloc 5.3. */
#define DERIVED_2CPU_2GI                                                                           \
    "narenas:1,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"               \
    "muzzy_decay_ms:0,tcache_max:16384"
/* with the agent, which starts the background threads itself */
#define DERIVED_AGENT_2CPU_2GI                                                                     \
    "narenas:1,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:16384"
#define TUNABLES "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072"

static struct config cfg;
static struct cgroup_limits lim;
static struct allocator alloc;
static struct tuning t;

/* 2 CPUs, 2Gi, balanced, jemalloc 5.3 found by jeinit; MALLOC_CONF from envp. */
static void setup(bool jemalloc, char *const envp[])
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = PROFILE_BALANCED;
    cfg.user_malloc_conf = env_lookup(envp, "MALLOC_CONF");
    cfg.extra_malloc_conf = env_lookup(envp, "JEINIT_MALLOC_CONF");
    memset(&lim, 0, sizeof(lim));
    lim.memory_limit = 2 * GiB;
    lim.cpu_millis = 2000;
    memset(&alloc, 0, sizeof(alloc));
    alloc.jemalloc = jemalloc;
    if (jemalloc) {
        (void)snprintf(alloc.jemalloc_path, sizeof(alloc.jemalloc_path), "%s", JE);
        alloc.major = 5;
        alloc.minor = 3;
    }
    alloc.host_cpus = 64;
    alloc.thp = THP_MADVISE;
}

static const char *changed(const char *key)
{
    for (size_t i = 0; i < t.nchanges; i++)
        if (strcmp(t.changes[i].key, key) == 0)
            return t.changes[i].value ? t.changes[i].value : "(removed)";
    return NULL;
}

static bool warned(const char *needle)
{
    for (int i = 0; i < t.warnings.n; i++)
        if (strstr(t.warnings.msg[i], needle))
            return true;
    return false;
}

static void test_jemalloc(void)
{
    char *envp[] = {"PATH=/bin", "LD_PRELOAD=/x/libfoo.so /y/libbar.so", NULL};

    setup(true, envp);
    tuning_plan(&cfg, &lim, &alloc, AGENT, envp, &t);
    CHECK(t.jemalloc, "jemalloc planned");
    CHECK_STR(changed("LD_PRELOAD"), JE ":" AGENT ":/x/libfoo.so:/y/libbar.so",
              "LD_PRELOAD: jemalloc, the agent, then the user's entries");
    CHECK_STR(changed("MALLOC_CONF"), DERIVED_AGENT_2CPU_2GI,
              "MALLOC_CONF: the derived options, background threads left to the agent");
    CHECK_STR(changed("JEINIT_AGENT_BACKGROUND"), "1", "the agent starts background threads");
    CHECK(!changed("MALLOC_ARENA_MAX") && !changed("GLIBC_TUNABLES"), "no glibc settings");
    CHECK_STR(changed("JEINIT_AGENT_DECAY"), "1000:10000", "the agent steers 1000 to 10000 ms");
    CHECK_INT(t.nchanges, 4, "four changes");
    CHECK_INT(t.warnings.n, 0, "no warnings");
    CHECK(t.input.memory_high == UINT64_MAX && t.input.cpu_millis == 2000 &&
              t.input.host_cpus == 64 && t.input.jemalloc_major == 5,
          "policy input from the limits and the allocator");

    setup(true, envp);
    tuning_plan(&cfg, &lim, &alloc, NULL, envp, &t);
    CHECK_STR(changed("LD_PRELOAD"), JE ":/x/libfoo.so:/y/libbar.so", "no agent: jemalloc first");
    CHECK_STR(changed("MALLOC_CONF"), DERIVED_2CPU_2GI,
              "no agent: background threads from MALLOC_CONF");
    CHECK(!changed("JEINIT_AGENT_BACKGROUND"), "no agent: nobody to start them later");

    char *bg_off[] = {"MALLOC_CONF=background_thread:false", NULL};
    setup(true, bg_off);
    tuning_plan(&cfg, &lim, &alloc, AGENT, bg_off, &t);
    CHECK(!changed("JEINIT_AGENT_BACKGROUND"), "the user's background_thread:false stands");

    lim.memory_high.present = true;
    lim.memory_high.value = 200 * MiB;
    tuning_plan(&cfg, &lim, &alloc, NULL, envp, &t);
    CHECK(t.input.memory_high == 200 * MiB && strstr(changed("MALLOC_CONF"), "tcache_max:4096"),
          "memory.high reaches the policy: %s", changed("MALLOC_CONF"));

    setup(true, envp);
    alloc.major = alloc.minor = 0;
    tuning_plan(&cfg, &lim, &alloc, NULL, envp, &t);
    CHECK_STR(changed("MALLOC_CONF"), "narenas:1", "unknown version: narenas alone");
}

static void test_jemalloc_user(void)
{
    char *user[] = {"MALLOC_CONF=narenas:8,prof:true", NULL};
    char *bad[] = {"MALLOC_CONF=narenas:8,oops,x-y:1", NULL};
    char *extra_bad[] = {"JEINIT_MALLOC_CONF=dirty_decay_ms:500,nope", NULL};
    char *all[] = {"MALLOC_CONF=narenas:1,background_thread:false,max_background_threads:1,"
                   "dirty_decay_ms:0,muzzy_decay_ms:0,tcache_max:1024",
                   NULL};

    setup(true, user);
    tuning_plan(&cfg, &lim, &alloc, NULL, user, &t);
    CHECK_STR(changed("MALLOC_CONF"),
              "background_thread:true,max_background_threads:1,dirty_decay_ms:1000,"
              "muzzy_decay_ms:0,tcache_max:16384,narenas:8,prof:true",
              "the user's narenas wins, their string last");
    CHECK(t.mc.noverridden == 1 && strcmp(t.mc.overridden[0], "narenas") == 0,
          "narenas reported as overridden");

    setup(true, bad);
    tuning_plan(&cfg, &lim, &alloc, NULL, bad, &t);
    CHECK(warned("MALLOC_CONF: malformed pair 'oops'"), "a bad MALLOC_CONF pair named: %s",
          t.warnings.n ? t.warnings.msg[0] : "(none)");
    CHECK(strstr(changed("MALLOC_CONF"), ",narenas:8,oops,x-y:1") != NULL, "passed on as it is: %s",
          changed("MALLOC_CONF"));

    setup(true, extra_bad);
    tuning_plan(&cfg, &lim, &alloc, NULL, extra_bad, &t);
    CHECK(warned("JEINIT_MALLOC_CONF: malformed pair 'nope'"),
          "a bad JEINIT_MALLOC_CONF pair named: %s", t.warnings.n ? t.warnings.msg[0] : "(none)");

    setup(true, all);
    tuning_plan(&cfg, &lim, &alloc, NULL, all, &t);
    CHECK(!changed("MALLOC_CONF"), "the user set every derived key: MALLOC_CONF left alone");
    CHECK_INT(t.mc.noverridden, 6, "all six overridden");
}

static void test_jemalloc_user_preloaded(void)
{
    char *envp[] = {"LD_PRELOAD=/a.so:/opt/libjemalloc.so.2", NULL};

    setup(true, envp);
    (void)snprintf(alloc.jemalloc_path, sizeof(alloc.jemalloc_path), "/opt/libjemalloc.so.2");
    alloc.user_preloaded = true;
    tuning_plan(&cfg, &lim, &alloc, AGENT, envp, &t);
    CHECK_STR(changed("LD_PRELOAD"), "/opt/libjemalloc.so.2:" AGENT ":/a.so",
              "the user's jemalloc moved before the agent");

    char *only[] = {"LD_PRELOAD=/opt/libjemalloc.so.2", NULL};
    setup(true, only);
    (void)snprintf(alloc.jemalloc_path, sizeof(alloc.jemalloc_path), "/opt/libjemalloc.so.2");
    tuning_plan(&cfg, &lim, &alloc, NULL, only, &t);
    CHECK(!changed("LD_PRELOAD"), "the user's jemalloc alone, no agent: LD_PRELOAD unchanged");
    CHECK_STR(changed("MALLOC_CONF"), DERIVED_2CPU_2GI, "still tuned");
}

static void test_glibc(void)
{
    char *envp[] = {"GLIBC_TUNABLES=glibc.malloc.check=3", "MALLOC_CONF=narenas:1", NULL};

    setup(false, envp);
    tuning_plan(&cfg, &lim, &alloc, AGENT, envp, &t);
    CHECK(!t.jemalloc, "glibc planned");
    CHECK_STR(changed("LD_PRELOAD"), AGENT, "the agent alone in LD_PRELOAD");
    CHECK_STR(changed("MALLOC_ARENA_MAX"), "2", "MALLOC_ARENA_MAX for 2 CPUs");
    CHECK_STR(changed("GLIBC_TUNABLES"), TUNABLES ":glibc.malloc.check=3",
              "GLIBC_TUNABLES merged into the user's");
    CHECK(!changed("MALLOC_CONF"), "MALLOC_CONF untouched without jemalloc");
    CHECK_INT(t.nchanges, 3, "three changes");

    char *none[] = {NULL};
    setup(false, none);
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK(!changed("LD_PRELOAD"), "no agent: no LD_PRELOAD");
    CHECK_STR(changed("GLIBC_TUNABLES"), TUNABLES, "GLIBC_TUNABLES: ours");

    char *arena[] = {"MALLOC_ARENA_MAX=4", NULL};
    setup(false, arena);
    tuning_plan(&cfg, &lim, &alloc, NULL, arena, &t);
    CHECK(!changed("MALLOC_ARENA_MAX"), "the user's MALLOC_ARENA_MAX wins");
    CHECK_STR(changed("GLIBC_TUNABLES"), TUNABLES, "thresholds still set");

    char *arena_tunable[] = {"GLIBC_TUNABLES=glibc.malloc.arena_max=4", NULL};
    setup(false, arena_tunable);
    tuning_plan(&cfg, &lim, &alloc, NULL, arena_tunable, &t);
    CHECK(!changed("MALLOC_ARENA_MAX"), "the user's glibc.malloc.arena_max wins");
    CHECK_STR(changed("GLIBC_TUNABLES"), TUNABLES ":glibc.malloc.arena_max=4", "kept, last");

    /* glibc reads MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ as
     * aliases of the tunables, but GLIBC_TUNABLES beats them: ours must not
     * be set over the user's. */
    char *alias[] = {"MALLOC_TRIM_THRESHOLD_=0", NULL};
    setup(false, alias);
    tuning_plan(&cfg, &lim, &alloc, NULL, alias, &t);
    CHECK_STR(changed("GLIBC_TUNABLES"), "glibc.malloc.mmap_threshold=131072",
              "the user's MALLOC_TRIM_THRESHOLD_ wins");
    char *both[] = {"MALLOC_TRIM_THRESHOLD_=0", "MALLOC_MMAP_THRESHOLD_=1048576", NULL};
    setup(false, both);
    tuning_plan(&cfg, &lim, &alloc, NULL, both, &t);
    CHECK(!changed("GLIBC_TUNABLES"), "both thresholds the user's: GLIBC_TUNABLES not set");

    char *same[] = {"GLIBC_TUNABLES=" TUNABLES, NULL};
    setup(false, same);
    tuning_plan(&cfg, &lim, &alloc, NULL, same, &t);
    CHECK(!changed("GLIBC_TUNABLES"), "the user already has ours: GLIBC_TUNABLES unchanged");

    setup(false, none);
    cfg.profile = PROFILE_THROUGHPUT;
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK_STR(changed("MALLOC_ARENA_MAX"), "8", "throughput: 4 arenas per CPU");
    CHECK(!changed("GLIBC_TUNABLES"), "throughput: thresholds left to glibc");
}

static void test_too_long(void)
{
    static char conf[MC_STRING_MAX + 64], preload[ENV_VALUE_MAX + 64];
    char *envp[] = {conf, preload, NULL};

    memcpy(conf, "MALLOC_CONF=x:", 14);
    memset(conf + 14, 'y', MC_STRING_MAX + 20);
    memcpy(preload, "LD_PRELOAD=/", 12);
    memset(preload + 12, 'p', ENV_VALUE_MAX + 20);

    setup(true, envp);
    tuning_plan(&cfg, &lim, &alloc, AGENT, envp, &t);
    CHECK(warned("LD_PRELOAD would exceed"), "LD_PRELOAD too long: warned");
    CHECK(!changed("LD_PRELOAD"), "LD_PRELOAD too long: left as it is");
    CHECK(t.mc.truncated && warned("passed on alone"), "MALLOC_CONF too long: warned");
    CHECK(!changed("MALLOC_CONF"), "a MALLOC_CONF longer than jeinit's buffer is never cut");

    /* short enough alone, too long with ours */
    conf[MC_STRING_MAX - 10] = '\0';
    setup(true, envp);
    tuning_plan(&cfg, &lim, &alloc, NULL, envp, &t);
    CHECK(t.mc.truncated, "MALLOC_CONF that fits alone: truncated");
    CHECK(!changed("MALLOC_CONF"), "the user's MALLOC_CONF alone: no change needed");
}

/* The plan applied: the environment the program gets. */
static void test_env_applied(void)
{
    char *envp[] = {"HOME=/root", "LD_PRELOAD=/x/libfoo.so", "MALLOC_CONF=prof:true", NULL};
    char **env;

    setup(true, envp);
    tuning_plan(&cfg, &lim, &alloc, AGENT, envp, &t);
    env = env_build(envp, t.changes, t.nchanges);
    CHECK(env != NULL, "env_build");
    if (!env)
        return;
    CHECK_STR(env_lookup(env, "HOME"), "/root", "HOME kept");
    CHECK_STR(env_lookup(env, "LD_PRELOAD"), JE ":" AGENT ":/x/libfoo.so", "LD_PRELOAD");
    CHECK_STR(env_lookup(env, "MALLOC_CONF"), DERIVED_AGENT_2CPU_2GI ",prof:true", "MALLOC_CONF");
    CHECK(env[4] && !env[5],
          "five entries: three replaced, JEINIT_AGENT_BACKGROUND and JEINIT_AGENT_DECAY added");
    free(env);
}

/* musl's malloc and a static program's read none of glibc's variables. */
static void test_not_glibc(void)
{
    char *none[] = {NULL};
    char *musl_je[] = {"MALLOC_CONF=prof:true", NULL};

    setup(false, none);
    alloc.program.libc = PROGRAM_LIBC_MUSL;
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK_INT(t.nchanges, 0, "musl without jemalloc: nothing set");
    setup(false, none);
    alloc.program.libc = PROGRAM_LIBC_STATIC;
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK_INT(t.nchanges, 0, "a static program: nothing set");

    /* a jemalloc built for musl is tuned as any other */
    setup(true, musl_je);
    alloc.program.libc = PROGRAM_LIBC_MUSL;
    tuning_plan(&cfg, &lim, &alloc, NULL, musl_je, &t);
    CHECK(changed("MALLOC_CONF") && changed("LD_PRELOAD") && !changed("MALLOC_ARENA_MAX") &&
              !changed("GLIBC_TUNABLES"),
          "musl with a musl jemalloc: MALLOC_CONF and LD_PRELOAD, no glibc variables");

    /* unknown: as glibc */
    setup(false, none);
    alloc.program.libc = PROGRAM_LIBC_UNKNOWN;
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK(changed("MALLOC_ARENA_MAX") != NULL, "a program of unknown libc: glibc tuned");
}

/* --heap-profile auto: prof:true,prof_active:false only when the jemalloc
 * has profiling, is jeinit's own (its fork handlers take 80 profiling locks,
 * not 1,280) and an agent can turn sampling on; on: any jemalloc with
 * profiling; the user's prof wins. */
static void test_heap_profile(void)
{
    char *const none[] = {NULL};
    char *const user_off[] = {"MALLOC_CONF=prof:false", NULL};
    char *const user_on[] = {"MALLOC_CONF=prof:true,prof_active:true", NULL};

    setup(true, none);
    cfg.heap_profile = HEAP_PROFILE_AUTO;
    alloc.prof = true;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!strstr(t.mc.conf, "prof") && !t.heap_profile &&
              strncmp(t.heap_profile_why, "off: this jemalloc is not jeinit's", 34) == 0,
          "auto, another jemalloc with profiling: no prof (every fork would pay), and why (%s)",
          t.heap_profile_why);
    cfg.heap_profile = HEAP_PROFILE_ON;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(t.heap_profile && strstr(t.mc.conf, "prof:true,prof_active:false"),
          "on: any jemalloc with profiling gets it");
    cfg.heap_profile = HEAP_PROFILE_AUTO;
    alloc.own = true;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK_STR(changed("MALLOC_CONF"),
              DERIVED_AGENT_2CPU_2GI ",prof:true,prof_active:false,lg_prof_sample:20",
              "heap profiles ready: prof:true,prof_active:false after the policy's options");
    CHECK(t.heap_profile && strncmp(t.heap_profile_why, "ready", 5) == 0, "and said ready");
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK(!strstr(t.mc.conf, "prof") && !t.heap_profile &&
              strcmp(t.heap_profile_why, "unavailable: no agent to turn sampling on") == 0,
          "no agent: no prof (nobody could turn sampling on), and why");
    alloc.prof = false;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!strstr(t.mc.conf, "prof") &&
              strcmp(t.heap_profile_why, "unavailable: this jemalloc is built without profiling") ==
                  0,
          "a jemalloc without profiling: no prof (it would print Invalid conf pair), and why");
    alloc.prof = true;
    cfg.heap_profile = HEAP_PROFILE_OFF;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!strstr(t.mc.conf, "prof") && strcmp(t.heap_profile_why, "off (--heap-profile off)") == 0,
          "--heap-profile off: no prof");
    setup(true, user_off);
    cfg.heap_profile = HEAP_PROFILE_AUTO;
    alloc.prof = alloc.own = true;
    tuning_plan(&cfg, &lim, &alloc, AGENT, user_off, &t);
    CHECK(!t.heap_profile && strstr(t.mc.conf, "prof:false") && !strstr(t.mc.conf, "prof:true") &&
              strncmp(t.heap_profile_why, "off: MALLOC_CONF", 16) == 0,
          "the user's prof:false wins: off, and why (%s)", t.mc.conf);
    setup(true, user_on);
    cfg.heap_profile = HEAP_PROFILE_AUTO;
    alloc.prof = true; /* not jeinit's: the user's own prof:true is theirs to pay */
    tuning_plan(&cfg, &lim, &alloc, AGENT, user_on, &t);
    CHECK(t.heap_profile && strstr(t.mc.conf, "prof_active:true"),
          "the user's own prof:true (sampling on) counts as ready, their prof_active kept");
    setup(false, none);
    cfg.heap_profile = HEAP_PROFILE_AUTO;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!t.heap_profile &&
              strcmp(t.heap_profile_why, "unavailable: the program does not run on jemalloc") == 0,
          "glibc: unavailable, and why");
}

/* The agent steers the decay only where jeinit set it and the user did not. */
static void test_decay_steering(void)
{
    char *none[] = {NULL};
    char *user_dirty[] = {"MALLOC_CONF=dirty_decay_ms:3000", NULL};
    char *user_muzzy[] = {"JEINIT_MALLOC_CONF=muzzy_decay_ms:0", NULL};
    char *user_other[] = {"MALLOC_CONF=narenas:2", NULL};

    setup(true, none);
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(t.decay_steered, "steered by default");
    CHECK_STR(t.decay_why,
              "steered by the agent: 10000 ms while a process allocates hard, then a purge and "
              "1000 ms",
              "and the start line says how");
    for (size_t i = 0; i < t.policy.n; i++)
        if (strcmp(t.policy.opt[i].key, "dirty_decay_ms") == 0)
            CHECK(strstr(t.policy.opt[i].reason, "while a process allocates hard its agent sets "
                                                 "10000 ms") != NULL,
                  "dirty_decay_ms's reason tells of the steering");
    setup(true, user_other);
    tuning_plan(&cfg, &lim, &alloc, AGENT, user_other, &t);
    CHECK(t.decay_steered, "the user's other options leave it steered");
    setup(true, user_dirty);
    tuning_plan(&cfg, &lim, &alloc, AGENT, user_dirty, &t);
    CHECK(!t.decay_steered && !changed("JEINIT_AGENT_DECAY"), "the user's dirty_decay_ms: off");
    CHECK_STR(t.decay_why, "off: MALLOC_CONF sets dirty_decay_ms (the user's wins)", "why");
    setup(true, user_muzzy);
    tuning_plan(&cfg, &lim, &alloc, AGENT, user_muzzy, &t);
    CHECK(!t.decay_steered, "JEINIT_MALLOC_CONF's muzzy_decay_ms: off");
    setup(true, none);
    cfg.profile = PROFILE_MEMORY;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!t.decay_steered && !changed("JEINIT_AGENT_DECAY"), "memory profile: off");
    setup(true, none);
    cfg.profile = PROFILE_THROUGHPUT;
    lim.memory_limit = 4 * GiB;
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!t.decay_steered, "throughput with 10 s already: off");
    CHECK_STR(t.decay_why, "off: the decay is already jemalloc's default (10000 ms)", "why");
    setup(true, none);
    tuning_plan(&cfg, &lim, &alloc, NULL, none, &t);
    CHECK(!t.decay_steered && !changed("JEINIT_AGENT_DECAY"), "no agent: off");
    setup(false, none);
    tuning_plan(&cfg, &lim, &alloc, AGENT, none, &t);
    CHECK(!t.decay_steered && !changed("JEINIT_AGENT_DECAY"), "glibc: off");
    CHECK_STR(t.decay_why, "off: the program does not run on jemalloc", "why");
}

int main(void)
{
    test_decay_steering();
    test_heap_profile();
    test_jemalloc();
    test_jemalloc_user();
    test_jemalloc_user_preloaded();
    test_glibc();
    test_not_glibc();
    test_too_long();
    test_env_applied();
    return check_done();
}
