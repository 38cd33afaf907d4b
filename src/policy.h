/* policy.h - the tuning policy: container shape in, allocator settings out,
 * each with the reason a jemalloc maintainer would accept. Pure: no files,
 * no globals, no allocation; unit-tested over a table of shapes.
 *
 * The jemalloc settings follow jemalloc's TUNING.md (5.3), fitted to what the
 * container may use instead of what the host has:
 *   balanced    TUNING.md's "prioritizing memory usage": background threads,
 *               one arena per container CPU, bounded tcache, decay scaled to
 *               the memory each process may use
 *   memory      TUNING.md's "low resource consumption": narenas:1,
 *               tcache_max:1024, dirty_decay_ms:1000 or less, muzzy 0
 *   throughput  TUNING.md's "prioritizing CPU utilization": 4 arenas per
 *               container CPU, metadata_thp:auto, jemalloc's default decay
 * The glibc fallback bounds arenas and fixes glibc's sliding mmap/trim
 * thresholds, the two reasons glibc keeps freed memory. */
#ifndef JEINIT_POLICY_H
#define JEINIT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum thp_mode { THP_UNKNOWN, THP_ALWAYS, THP_MADVISE, THP_NEVER };
const char *thp_mode_name(enum thp_mode m);

struct policy_input {
    uint64_t memory_limit; /* bytes the container may use (MemTotal when unlimited) */
    bool memory_unlimited;
    uint64_t memory_high; /* memory.high, UINT64_MAX when none */
    uint64_t cpu_millis;  /* CPUs the container may use, in millicores */
    unsigned host_cpus;   /* what jemalloc would size itself for */
    enum profile profile;
    unsigned workers; /* pre-fork worker processes, 0 when unknown */
    enum thp_mode thp;
    int jemalloc_major, jemalloc_minor; /* 0.0 when unknown */
    bool
        heap_profile; /* profiling ready: --heap-profile auto, a jemalloc built with it, an agent */
};

#define POLICY_OPTIONS_MAX 12
#define POLICY_KEY_MAX     32
#define POLICY_VALUE_MAX   32
#define POLICY_REASON_MAX  256

struct policy_option {
    char key[POLICY_KEY_MAX];
    char value[POLICY_VALUE_MAX];
    char reason[POLICY_REASON_MAX];
};

struct policy {
    size_t n;
    struct policy_option opt[POLICY_OPTIONS_MAX];
    /* what was left alone and why (e.g. an option this jemalloc lacks) */
    size_t nnotes;
    char notes[4][POLICY_REASON_MAX];
};

/* A value that steps with B, the memory one process may count on: the value
 * of the first step whose bound B is below, else `otherwise`. */
struct policy_budget_steps {
    struct {
        uint64_t below; /* applies when B < below; 0 ends the steps */
        long value;
    } step[2];
    long otherwise;
};

/* What a profile asks of jemalloc, before the version decides which options
 * can be written. One row per profile in policy.c; README.md's policy table
 * mirrors the rows. */
struct policy_profile {
    /* arenas per process: narenas per narenas_per_cpus of its CPUs (⌈C/W⌉),
     * rounded up; narenas_per_cpus 0: narenas, whatever the CPUs */
    unsigned narenas, narenas_per_cpus;
    struct policy_budget_steps dirty_decay_ms; /* how long freed pages stay for reuse */
    bool muzzy_as_dirty; /* muzzy_decay_ms = dirty_decay_ms; else 0 (purge at once) */
    struct policy_budget_steps tcache_max; /* largest size cached per thread, in bytes;
                                            * 0: jemalloc's default (32 KiB) */
    bool metadata_thp; /* metadata_thp:auto (huge pages for jemalloc's metadata) */
    bool thp_never;    /* thp:never when the host's THP is "always" */
};

/* The row for a profile (balanced for a value outside enum profile). */
const struct policy_profile *policy_profile_params(enum profile profile);

/* jemalloc options for MALLOC_CONF, only those the version knows. */
void policy_jemalloc(const struct policy_input *in, struct policy *out);

/* glibc malloc: "MALLOC_ARENA_MAX" and "glibc.malloc.*" tunables (keys as
 * they go into the environment / GLIBC_TUNABLES). */
void policy_glibc(const struct policy_input *in, struct policy *out);

/* Whole CPUs for the container: millicores rounded up, at least 1. */
unsigned policy_cpus(uint64_t cpu_millis);

#endif
