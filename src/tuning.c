/* tuning.c - see tuning.h. */
#include "tuning.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The decay a process gets while it allocates hard: jemalloc's default. */
#define DECAY_LONG_MS 10000

static void tuning_warn(struct tuning *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tuning_warn(struct tuning *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warnings_vadd(&t->warnings, fmt, ap);
    va_end(ap);
}

static void change(struct tuning *t, const char *key, const char *value)
{
    if (t->nchanges < TUNING_CHANGES_MAX)
        t->changes[t->nchanges++] = (struct env_change){key, value};
}

static void plan_preload(struct tuning *t, const struct allocator *a, const char *agent,
                         char *const envp[])
{
    const char *existing = env_lookup(envp, "LD_PRELOAD");
    const char *add[2] = {t->jemalloc ? a->jemalloc_path : NULL, agent};
    const char *user_je;
    size_t user_je_len;

    if (!add[0] && !add[1])
        return;
    if (preload_merge(existing, add, 2, true, t->ld_preload, sizeof(t->ld_preload), &user_je,
                      &user_je_len) < 0) {
        tuning_warn(t, "LD_PRELOAD would exceed %d bytes: left as it is", ENV_VALUE_MAX);
        return;
    }
    if (!existing || strcmp(existing, t->ld_preload) != 0)
        change(t, "LD_PRELOAD", t->ld_preload);
}

/* With the agent, jemalloc's background threads are the agent's to start,
 * once a process has lived (see src/agent/README.md): started by MALLOC_CONF,
 * they exist from jemalloc's initialisation in every process, short-lived
 * ones and privilege-dropping entrypoints included. Unless the user (or
 * JEINIT_MALLOC_CONF) said something of background_thread: then that stands. */
static void defer_background_threads(struct tuning *t, const struct config *cfg)
{
    struct policy derived = t->policy;
    size_t i, j;

    if (!t->agent || malloc_conf_get(&t->mc.user, "background_thread") ||
        malloc_conf_get(&t->mc.extra, "background_thread"))
        return;
    for (i = 0; i < derived.n; i++)
        if (strcmp(derived.opt[i].key, "background_thread") == 0 &&
            strcmp(derived.opt[i].value, "true") == 0)
            break;
    if (i == derived.n)
        return;
    for (j = i; j + 1 < derived.n; j++)
        derived.opt[j] = derived.opt[j + 1];
    derived.n--;
    malloc_conf_merge(&derived, cfg->extra_malloc_conf, cfg->user_malloc_conf, &t->mc);
    change(t, "JEINIT_AGENT_BACKGROUND", "1");
    (void)snprintf(t->policy.opt[i].reason, sizeof(t->policy.opt[i].reason),
                   "purge unused pages on a timer in jemalloc's own threads, started by the agent "
                   "once a process has lived (not from MALLOC_CONF: no thread in short-lived or "
                   "privilege-dropping processes); without them an idle process keeps its peak");
}

/* Some of jeinit's options left out to keep MALLOC_CONF within MC_CONF_MAX. */
static void warn_dropped(struct tuning *t)
{
    char what[320];
    size_t used = 0;
    int n;

    what[0] = '\0';
    for (size_t i = 0; i < t->mc.ndropped; i++) {
        n = snprintf(what + used, sizeof(what) - used, "%s%s", used ? ", " : "", t->mc.dropped[i]);
        if (n < 0 || (size_t)n >= sizeof(what) - used)
            break;
        used += (size_t)n;
    }
    if (t->mc.extra_dropped && used < sizeof(what))
        (void)snprintf(what + used, sizeof(what) - used, "%s%zu pair(s) of JEINIT_MALLOC_CONF",
                       used ? ", " : "", t->mc.extra_dropped);
    tuning_warn(t,
                "MALLOC_CONF with all of jeinit's options would be %zu bytes, more than the %d "
                "jeinit gives jemalloc (which prints what it says about MALLOC_CONF through a "
                "4096-byte buffer, cut without a newline): left out jeinit's %s; the user's "
                "MALLOC_CONF is passed on untouched",
                t->mc.full_len, MC_CONF_MAX, what);
}

static void plan_jemalloc(struct tuning *t, const struct config *cfg)
{
    policy_jemalloc(&t->input, &t->policy);
    malloc_conf_merge(&t->policy, cfg->extra_malloc_conf, cfg->user_malloc_conf, &t->mc);
    defer_background_threads(t, cfg);
    if (t->mc.extra.nbad)
        tuning_warn(t, "JEINIT_MALLOC_CONF: malformed pair '%s' (expected key:value) dropped",
                    t->mc.extra.first_bad);
    if (t->mc.extra_full)
        tuning_warn(t, "JEINIT_MALLOC_CONF: more than %d pairs; the rest dropped", MC_PAIRS_MAX);
    if (t->mc.user.nbad)
        tuning_warn(t,
                    "MALLOC_CONF: malformed pair '%s' (expected key:value) passed on as it is: "
                    "jemalloc stops reading MALLOC_CONF there",
                    t->mc.user.first_bad);
    if (t->mc.truncated)
        tuning_warn(t,
                    "MALLOC_CONF is longer than the %d bytes jeinit gives jemalloc (which prints "
                    "what it says about MALLOC_CONF through a 4096-byte buffer, cut without a "
                    "newline): the user's MALLOC_CONF is passed on alone, untouched, without "
                    "jeinit's options",
                    MC_CONF_MAX);
    else if (t->mc.ndropped || t->mc.extra_dropped)
        warn_dropped(t);
    /* truncated: the user's MALLOC_CONF stays as it is (conf may hold only part of it) */
    if (t->mc.conf[0] && !t->mc.truncated &&
        (!cfg->user_malloc_conf || strcmp(cfg->user_malloc_conf, t->mc.conf) != 0))
        change(t, "MALLOC_CONF", t->mc.conf);
}

/* The agent steers the dirty decay at run time (src/agent/steer.h): the
 * long decay (jemalloc's default) while a process allocates hard, one purge
 * and the policy's short decay once it stops. Not in the memory profile
 * (its peak is the point), and never over the user's word on decay. */
static void plan_decay_steering(struct tuning *t, const struct config *cfg)
{
    static const char *const user_keys[] = {"dirty_decay_ms", "muzzy_decay_ms", "decay_time"};
    struct policy_option *dirty = NULL;
    long short_ms = 0;
    char *end;

    for (size_t i = 0; i < t->policy.n; i++)
        if (strcmp(t->policy.opt[i].key, "dirty_decay_ms") == 0)
            dirty = &t->policy.opt[i];
    for (size_t i = 0; i < sizeof(user_keys) / sizeof(user_keys[0]); i++)
        if (malloc_conf_get(&t->mc.user, user_keys[i]) ||
            malloc_conf_get(&t->mc.extra, user_keys[i])) {
            (void)snprintf(t->decay_why, sizeof(t->decay_why),
                           "off: MALLOC_CONF sets %s (the user's wins)", user_keys[i]);
            return;
        }
    if (dirty)
        short_ms = strtol(dirty->value, &end, 10);
    if (!t->agent)
        (void)snprintf(t->decay_why, sizeof(t->decay_why), "off: no agent to steer it");
    else if (cfg->profile == PROFILE_MEMORY)
        (void)snprintf(t->decay_why, sizeof(t->decay_why),
                       "off: the memory profile keeps its short decay under load too");
    else if (!dirty || *end || short_ms <= 0 || t->mc.truncated ||
             !strstr(t->mc.conf, "dirty_decay_ms"))
        (void)snprintf(t->decay_why, sizeof(t->decay_why),
                       "off: jeinit sets no dirty_decay_ms for this jemalloc");
    else if (short_ms >= DECAY_LONG_MS)
        (void)snprintf(t->decay_why, sizeof(t->decay_why),
                       "off: the decay is already jemalloc's default (%ld ms)", short_ms);
    else {
        t->decay_steered = true;
        (void)snprintf(dirty->reason, sizeof(dirty->reason),
                       "at rest, freed pages are returned within ~%.1f s; while a process "
                       "allocates hard its agent sets %d ms (jemalloc's default: freed pages stay "
                       "for reuse instead of being purged and faulted again), and purges at once "
                       "when it stops",
                       (double)short_ms / 1000.0, DECAY_LONG_MS);
        (void)snprintf(t->decay_env, sizeof(t->decay_env), "%ld:%d", short_ms, DECAY_LONG_MS);
        change(t, "JEINIT_AGENT_DECAY", t->decay_env);
        (void)snprintf(t->decay_why, sizeof(t->decay_why),
                       "steered by the agent: %d ms while a process allocates hard, then a purge "
                       "and %ld ms",
                       DECAY_LONG_MS, short_ms);
    }
}

static void plan_glibc(struct tuning *t, char *const envp[])
{
    const char *names[POLICY_OPTIONS_MAX], *values[POLICY_OPTIONS_MAX];
    const char *existing = env_lookup(envp, "GLIBC_TUNABLES");
    size_t n = 0;

    policy_glibc(&t->input, &t->policy);
    for (size_t i = 0; i < t->policy.n; i++) {
        const struct policy_option *o = &t->policy.opt[i];
        if (strcmp(o->key, "MALLOC_ARENA_MAX") == 0) {
            /* the user's setting, either way it is written, wins */
            if (env_lookup(envp, "MALLOC_ARENA_MAX") ||
                (existing && strstr(existing, "glibc.malloc.arena_max=")))
                continue;
            (void)snprintf(t->arena_max, sizeof(t->arena_max), "%s", o->value);
            change(t, "MALLOC_ARENA_MAX", t->arena_max);
            continue;
        }
        /* glibc's own aliases of the thresholds lose to GLIBC_TUNABLES: the user's win here */
        if ((strcmp(o->key, "glibc.malloc.mmap_threshold") == 0 &&
             env_lookup(envp, "MALLOC_MMAP_THRESHOLD_")) ||
            (strcmp(o->key, "glibc.malloc.trim_threshold") == 0 &&
             env_lookup(envp, "MALLOC_TRIM_THRESHOLD_")))
            continue;
        names[n] = o->key;
        values[n++] = o->value;
    }
    if (n == 0)
        return;
    if (tunables_merge(existing, names, values, n, t->tunables, sizeof(t->tunables)) < 0) {
        tuning_warn(t, "GLIBC_TUNABLES would exceed %d bytes: left as it is", ENV_VALUE_MAX);
        return;
    }
    if (!existing || strcmp(existing, t->tunables) != 0)
        change(t, "GLIBC_TUNABLES", t->tunables);
}

void tuning_plan(const struct config *cfg, const struct cgroup_limits *lim,
                 const struct allocator *a, const char *agent, char *const envp[], struct tuning *t)
{
    const char *user_prof = NULL;

    /* everything but the MALLOC_CONF tables, which malloc_conf_merge sets up */
    memset(t, 0, offsetof(struct tuning, mc));
    t->mc.conf[0] = '\0';
    t->jemalloc = a->jemalloc;
    t->agent = agent;
    t->input = (struct policy_input){
        .memory_limit = lim->memory_limit,
        .memory_unlimited = lim->memory_unlimited,
        .memory_high = lim->memory_high.present ? lim->memory_high.value : UINT64_MAX,
        .cpu_millis = lim->cpu_millis,
        .host_cpus = a->host_cpus,
        .profile = cfg->profile,
        .workers = cfg->workers,
        .thp = a->thp,
        .jemalloc_major = a->major,
        .jemalloc_minor = a->minor,
        /* without an agent nobody could turn sampling on: prof would be all
         * cost; auto with jeinit's own jemalloc only (see heap_profile_why) */
        .heap_profile = a->jemalloc && a->prof && agent &&
                        (cfg->heap_profile == HEAP_PROFILE_ON ||
                         (cfg->heap_profile == HEAP_PROFILE_AUTO && a->own)),
    };
    plan_preload(t, a, agent, envp);
    (void)snprintf(t->decay_why, sizeof(t->decay_why), "off: the program does not run on jemalloc");
    if (t->jemalloc) {
        plan_jemalloc(t, cfg);
        plan_decay_steering(t, cfg);
        /* the user's (or JEINIT_MALLOC_CONF's) prof wins; a prof:true of
         * theirs on a jemalloc with profiling is as good as jeinit's */
        user_prof = malloc_conf_get(&t->mc.user, "prof");
        if (!user_prof)
            user_prof = malloc_conf_get(&t->mc.extra, "prof");
        t->heap_profile = !t->mc.truncated && a->prof && agent &&
                          cfg->heap_profile != HEAP_PROFILE_OFF &&
                          (user_prof ? strcmp(user_prof, "true") == 0 : t->input.heap_profile);
    }
    /* the user's own allocator is left as it is; musl's and a static
     * program's read none of glibc's variables */
    else if (!a->user_allocator && a->program.libc != PROGRAM_LIBC_MUSL &&
             a->program.libc != PROGRAM_LIBC_STATIC)
        plan_glibc(t, envp);
    /* Another jemalloc with profiling (Debian's libjemalloc2) has 1,024 +
     * 256 profiling locks, which its fork handlers take and the child
     * rewrites in every fork once prof:true: 1.7x fork's CPU, +78 page
     * faults (tests/bench/heapprof.sh). auto does not impose that on every
     * fork in the container; on does. */
    t->heap_profile_why = t->heap_profile ? "ready (prof:true, prof_active:false)"
                          : cfg->heap_profile == HEAP_PROFILE_OFF ? "off (--heap-profile off)"
                          : !a->jemalloc ? "unavailable: the program does not run on jemalloc"
                          : !a->prof     ? "unavailable: this jemalloc is built without profiling"
                          : !agent       ? "unavailable: no agent to turn sampling on"
                          : user_prof
                              ? "off: MALLOC_CONF sets prof (the user's wins)"
                              : "off: this jemalloc is not jeinit's, and with prof:true its "
                                "fork handlers cost every fork 1.7x (--heap-profile on "
                                "to accept that)";
}
