/* tuning.h - from what jeinit found (limits, allocator, the user's
 * environment) to what the program gets: the policy's options, the merged
 * MALLOC_CONF, LD_PRELOAD, and the glibc fallback. Pure: envp is read, not
 * changed; the caller builds the new environment from tuning.changes. */
#ifndef JEINIT_TUNING_H
#define JEINIT_TUNING_H

#include "allocator_types.h"
#include "cgroup_types.h"
#include "config.h"
#include "envplan.h"
#include "malloc_conf.h"
#include "policy.h"
#include "warnings.h"

#define TUNING_CHANGES_MAX 6

struct tuning {
    bool jemalloc;
    bool heap_profile; /* the program's jemalloc will have prof:true: sampling can be turned on */
    const char *heap_profile_why; /* "ready ...", or why not (the start line says it) */
    const char *agent;            /* the agent library preloaded, or NULL */
    /* the agent steers dirty_decay_ms (JEINIT_AGENT_DECAY), and the start
     * line's word on it: "steered: ..." or why not */
    bool decay_steered;
    char decay_why[160];
    char decay_env[32];
    struct policy_input input;
    struct policy policy;
    char ld_preload[ENV_VALUE_MAX];
    char tunables[ENV_VALUE_MAX];
    char arena_max[16];
    size_t nchanges;
    struct env_change changes[TUNING_CHANGES_MAX];
    struct warnings warnings;
    struct mc_merge mc; /* jemalloc only; last: tuning_plan does not clear it */
};

/* agent: the agent library to preload, or NULL (no agent, or no channel). */
void tuning_plan(const struct config *cfg, const struct cgroup_limits *lim,
                 const struct allocator *a, const char *agent, char *const envp[],
                 struct tuning *t);

#endif
