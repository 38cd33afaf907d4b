/* allocator_types.h - which allocator the program will get, as allocator.c
 * found it. Plain data (no I/O): tuning.c and its tests include this, not
 * allocator.h, whose functions look at files. */
#ifndef JEINIT_ALLOCATOR_TYPES_H
#define JEINIT_ALLOCATOR_TYPES_H

#include <limits.h>
#include <stdbool.h>

#include "policy.h"
#include "warnings.h"

/* The C library the program runs on, from the interpreter its executable
 * names (PT_INTERP): what can be preloaded into it and which variables mean
 * anything to its malloc. Unknown when the program cannot be resolved (not
 * found, not ELF, a script whose interpreter is missing): jeinit then does
 * what it does for glibc. */
enum program_libc {
    PROGRAM_LIBC_UNKNOWN,
    PROGRAM_LIBC_GLIBC,
    PROGRAM_LIBC_MUSL,
    PROGRAM_LIBC_STATIC
};

static inline const char *program_libc_name(enum program_libc l)
{
    static const char *const names[] = {"unknown", "glibc", "musl", "static"};

    return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "unknown";
}

struct program_info {
    enum program_libc libc;
    char path[PATH_MAX];   /* the ELF file exec runs (after PATH and one #! line), or "" */
    char interp[PATH_MAX]; /* its interpreter (PT_INTERP), or "" */
};

struct allocator {
    bool jemalloc;       /* preload (or keep) a jemalloc */
    bool user_preloaded; /* the user's LD_PRELOAD already holds it */
    bool user_allocator; /* the user's LD_PRELOAD holds another malloc: it wins */
    char user_allocator_path[PATH_MAX];
    char jemalloc_path[PATH_MAX];
    const char *found_by;    /* how it was found */
    int major, minor, patch; /* 0 when unknown */
    bool prof;               /* built with profiling (jemalloc_prof_scan) */
    bool own;                /* jeinit's own build (jemalloc_own_scan): cheap prof */
    bool agent;
    char agent_path[PATH_MAX];
    /* a candidate was built for glibc and the program runs on musl */
    bool jemalloc_wrong_libc, agent_wrong_libc;
    struct program_info program;
    enum thp_mode thp;
    unsigned host_cpus;
    struct warnings warnings;
};

#endif
