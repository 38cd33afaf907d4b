/* allocator.h - which allocator the program will get: finds libjemalloc
 * (--jemalloc PATH|auto|off), checks it is a loadable ELF shared object,
 * reads its version, finds the stats agent, and reads the host's THP mode.
 * Anything missing is a warning: the program then runs on glibc malloc. */
#ifndef JEINIT_ALLOCATOR_H
#define JEINIT_ALLOCATOR_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"
#include "policy.h"

#define ALLOC_WARNINGS_MAX 4

struct allocator {
    bool jemalloc;       /* preload (or keep) a jemalloc */
    bool user_preloaded; /* the user's LD_PRELOAD already holds it */
    char jemalloc_path[PATH_MAX];
    const char *found_by;    /* how it was found */
    int major, minor, patch; /* 0 when unknown */
    bool agent;
    char agent_path[PATH_MAX];
    enum thp_mode thp;
    unsigned host_cpus;
    int nwarnings;
    char warnings[ALLOC_WARNINGS_MAX][PATH_MAX + 128];
};

void allocator_find(const struct config *cfg, char *const envp[], struct allocator *a);

const char *thp_mode_name(enum thp_mode m);

#endif
