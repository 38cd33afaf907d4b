/* cgroup.h - what the container may use and is using, from its cgroup.
 *
 * Discovery finds this process's memory, cpu and cpuset cgroup directories in
 * every layout users run: v2 with or without a cgroup namespace, v1 where the
 * mount's root is the container's own cgroup (/docker/<id>,
 * /libpod_parent/libpod-<id>), v1 nested (kubepods/...), hybrid (v1
 * controllers plus a v2 mount), and none. libcgroup is asked first when the
 * real /proc is read; mountinfo (whose root field libcgroup ignores) decides
 * where they disagree. Limits are read once at start, usage at each sample.
 * Nothing here fails the start: what cannot be read becomes a warning. */
#ifndef JEINIT_CGROUP_H
#define JEINIT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup_parse.h"
#include "config.h"

#define CG_SOURCE_MAX   (CG_PATH_MAX + 64)
#define CG_WARNINGS_MAX 8
#define CG_STAT_MAX     128

enum cg_layout { CG_LAYOUT_NONE, CG_LAYOUT_V1, CG_LAYOUT_V2, CG_LAYOUT_HYBRID, CG_LAYOUT_GIVEN };

/* A value and where it came from: a file path or a description. */
struct cg_value {
    bool present;
    uint64_t value; /* CG_UNLIMITED: no limit */
    char source[CG_SOURCE_MAX];
};

struct cgroup {
    enum cg_layout layout;
    int memory_version;        /* 0: no memory controller found, 1 or 2 */
    bool namespaced;           /* cgroup namespace (v2 path "/", or shown relative to it) */
    const char *discovered_by; /* "libcgroup", "mountinfo", "--cgroup-root", "none" */
    char cg_path[CG_PATH_MAX]; /* as /proc/self/cgroup names it */
    char memory_dir[CG_PATH_MAX], cpu_dir[CG_PATH_MAX], cpuset_dir[CG_PATH_MAX];
    char memory_top[CG_PATH_MAX], cpu_top[CG_PATH_MAX]; /* where ancestor walks stop */
    char proc_root[CG_PATH_MAX];
    char memory_mount_root[CG_PATH_MAX]; /* mountinfo's root field of the memory mount */
    char libcgroup_note[CG_SOURCE_MAX];
    int memfd; /* memory_dir, open for the samples; -1 */
    int nwarnings;
    char warnings[CG_WARNINGS_MAX][CG_SOURCE_MAX];
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

    /* What the policy uses: the smallest of the above and the overrides. */
    uint64_t memory_limit;
    bool memory_unlimited; /* no limit anywhere: memory_limit is MemTotal */
    char memory_limit_source[CG_SOURCE_MAX];
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

int cgroup_discover(struct cgroup *cg, const struct config *cfg);

/* libcgroup's view, for the real /proc: asked in a short-lived child process
 * so that its tables (800 KiB, cleared by cgroup_init) and its time stay out
 * of PID 1. start before discovery, finish after it: the comparison goes into
 * cg->discovered_by and cg->libcgroup_note. */
struct libcgroup_probe {
    pid_t pid; /* -1: not asked */
    int fd;
};
void cgroup_libcgroup_start(struct libcgroup_probe *p);
void cgroup_libcgroup_finish(struct cgroup *cg, struct libcgroup_probe *p, int timeout_ms);
void cgroup_read_limits(struct cgroup *cg, const struct config *cfg, struct cgroup_limits *lim);
/* Fills u; never fails (missing files leave fields at UINT64_MAX). Opens
 * nothing new after the first call: the memory directory stays open. */
void cgroup_read_usage(struct cgroup *cg, struct cgroup_usage *u);
/* Resets u and reads only usage, peak and the event counters (no memory.stat,
 * no PSI): for the start, a reaped SIGKILL and the exit, which need no more.
 * False when the memory directory cannot be opened. */
bool cgroup_read_counters(struct cgroup *cg, struct cgroup_usage *u);
void cgroup_close(struct cgroup *cg);

const char *cg_layout_name(enum cg_layout l);

#endif
