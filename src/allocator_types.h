/* allocator_types.h - which allocator the program will get, as allocator.c
 * found it. Plain data (no I/O): tuning.c and its tests include this, not
 * allocator.h, whose functions look at files. */
#ifndef JEINIT_ALLOCATOR_TYPES_H
#define JEINIT_ALLOCATOR_TYPES_H

#include <limits.h>
#include <stdbool.h>

#include "policy.h"
#include "warnings.h"

struct allocator {
    bool jemalloc;       /* preload (or keep) a jemalloc */
    bool user_preloaded; /* the user's LD_PRELOAD already holds it */
    bool user_allocator; /* the user's LD_PRELOAD holds another malloc: it wins */
    char user_allocator_path[PATH_MAX];
    char jemalloc_path[PATH_MAX];
    const char *found_by;    /* how it was found */
    int major, minor, patch; /* 0 when unknown */
    bool agent;
    char agent_path[PATH_MAX];
    enum thp_mode thp;
    unsigned host_cpus;
    struct warnings warnings;
};

#endif
