/* cgroup_types.h - what jeinit knows of its cgroup: the directories found,
 * the limits with their sources, the usage of a sample. Plain data (no I/O):
 * the pure modules (tuning, report) and their tests include this, not
 * cgroup.h, whose functions read the files. */
#ifndef JEINIT_CGROUP_TYPES_H
#define JEINIT_CGROUP_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_parse.h"
#include "warnings.h"

#define CG_SOURCE_MAX (CG_PATH_MAX + 64)
#define CG_STAT_MAX   128

enum cg_kept {
    CG_KEPT_CURRENT,  /* memory.current / memory.usage_in_bytes */
    CG_KEPT_PEAK,     /* memory.peak / memory.max_usage_in_bytes */
    CG_KEPT_STAT,     /* memory.stat */
    CG_KEPT_EVENTS,   /* memory.events / memory.failcnt */
    CG_KEPT_OOM,      /* v1 memory.oom_control */
    CG_KEPT_PRESSURE, /* memory.pressure, or the system's /proc/pressure/memory */
    CG_KEPT_KMEM,     /* v1 memory.kmem.usage_in_bytes */
    CG_KEPT_KMEM_TCP, /* v1 memory.kmem.tcp.usage_in_bytes */
};

enum cg_layout { CG_LAYOUT_NONE, CG_LAYOUT_V1, CG_LAYOUT_V2, CG_LAYOUT_HYBRID, CG_LAYOUT_GIVEN };

/* A value and where it came from: a file path or a description. */
struct cg_value {
    bool present;
    uint64_t value; /* CG_UNLIMITED: no limit */
    char source[CG_SOURCE_MAX];
};

struct cgroup {
    enum cg_layout layout;
    int memory_version;  /* 0: no memory controller found, 1 or 2 */
    bool namespaced;     /* cgroup namespace (v2 path "/", or shown relative to it) */
    bool found_by_procs; /* the mount hides our directory: found by its cgroup.procs */
    bool limits_unknown; /* ... and not found: no limits are known */
    const char
        *discovered_by; /* "libcgroup", "mountinfo", "cgroup.procs", "--cgroup-root", "none" */
    char cg_path[CG_PATH_MAX]; /* as /proc/self/cgroup names it */
    char memory_dir[CG_PATH_MAX], cpu_dir[CG_PATH_MAX], cpuset_dir[CG_PATH_MAX];
    char memory_top[CG_PATH_MAX], cpu_top[CG_PATH_MAX]; /* where ancestor walks stop */
    char proc_root[CG_PATH_MAX];
    char memory_mount_root[CG_PATH_MAX]; /* mountinfo's root field of the memory mount */
    char libcgroup_note[CG_SOURCE_MAX];
    int memfd; /* memory_dir, open for the samples; -1 */
    /* The files read at every sample, kept open and read again from offset
     * 0 (CG_KEPT_*), so that running out of descriptors later cannot blank
     * the cgroup's figures; -1 until opened. */
    int kept[8];
    struct warnings warnings;
};

struct cgroup_limits {
    struct cg_value memory_max; /* memory.max / memory.limit_in_bytes of our own cgroup */
    struct cg_value
        memory_high; /* memory.high (smallest up the tree) / memory.soft_limit_in_bytes */
    struct cg_value
        memory_ancestors;        /* smallest memory.max up the tree / hierarchical_memory_limit */
    struct cg_value swap_max;    /* memory.swap.max / memsw minus memory */
    struct cg_value mem_total;   /* MemTotal */
    struct cg_value cpu_quota;   /* millicores from cpu.max / cfs_quota_us, smallest up the tree */
    struct cg_value cpuset_cpus; /* cpuset.cpus.effective / cpuset.effective_cpus */
    unsigned affinity_cpus;      /* sched_getaffinity */

    /* v2 memory.oom.group, 1 when set on our cgroup or an ancestor (source:
     * the highest, whose whole subtree an OOM kill then takes: jeinit too) */
    struct cg_value oom_group;
    /* what jeinit did to stay out of OOM kills (cgroup_guard_oom): NULL
     * when nothing was tried, else how it stays alive or why it cannot */
    const char *oom_guard;
    bool oom_guarded;

    /* What the policy uses: the smallest of the above and the overrides. */
    uint64_t memory_limit;
    bool memory_unlimited; /* no limit anywhere: memory_limit is MemTotal */
    char memory_limit_source[CG_SOURCE_MAX];
    /* What usage is judged against (usage_pct, near-limit, purge): the lower
     * of v2 memory.high and memory_limit. Above memory.high the kernel
     * throttles, and without swap may hold the container there for minutes
     * without reaching memory.max. */
    uint64_t memory_ceiling;
    bool memory_ceiling_is_high;
    char memory_ceiling_source[CG_SOURCE_MAX];
    uint64_t cpu_millis;
    char cpu_source[CG_SOURCE_MAX];
};

struct cgroup_usage {
    bool present;
    uint64_t current, peak; /* UINT64_MAX: not available */
    uint64_t anon, file, kernel, shmem, sock, inactive_file, working_set;
    struct cg_kv stat[CG_STAT_MAX];
    size_t nstat;
    /* memory.events (v1: failcnt as max, oom_control's oom_kill) */
    uint64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
    bool under_oom;
    struct cg_psi psi;
    const char *psi_scope; /* "cgroup", "system" or NULL: unavailable */
};

const char *cg_layout_name(enum cg_layout l);

#endif
