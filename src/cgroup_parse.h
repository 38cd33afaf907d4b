/* cgroup_parse.h - pure parsers for the files under /sys/fs/cgroup
 * (cgroup_parse.c) and for /proc/<pid>/cgroup and /proc/<pid>/mountinfo
 * (cgroup_paths.c).
 *
 * Every function takes a buffer and its length (the buffer need not be
 * NUL-terminated and may be truncated anywhere), touches no files and no
 * globals, never prints, and is total: any input yields 0 or a negative errno
 * (-EINVAL malformed, -ERANGE out of range, -ENOENT key or line absent,
 * -ENOSPC output table full, the rest still filled). Each has a libFuzzer
 * harness in tests/fuzz/. */
#ifndef JEINIT_CGROUP_PARSE_H
#define JEINIT_CGROUP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A limit of "no limit" ("max" in v2, near 2^63 in v1). */
#define CG_UNLIMITED UINT64_MAX

/* v1 reports "no limit" as LONG_MAX rounded down to the page size
 * (9223372036854771712 with 4 KiB pages); anything at or above 2^62 is
 * treated as unlimited, which no real container approaches. */
#define CG_V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

/* One unsigned decimal, optional surrounding whitespace/newline. */
int cg_parse_u64(const char *buf, size_t len, uint64_t *out);

/* A memory limit: "max", a decimal, or a v1 near-2^63 value. Unlimited is
 * reported as CG_UNLIMITED. "-1" (v1 cpu/memory soft limits) is unlimited. */
int cg_parse_limit(const char *buf, size_t len, uint64_t *out);

/* v2 cpu.max: "QUOTA PERIOD" or "max PERIOD" (PERIOD optional, default
 * 100000). *quota_us is -1 for max. */
int cg_parse_cpu_max(const char *buf, size_t len, int64_t *quota_us, uint64_t *period_us);

/* v1 cpu.cfs_quota_us: a signed decimal, -1 meaning no quota. */
int cg_parse_i64(const char *buf, size_t len, int64_t *out);

/* A cpu list "0-3,5,7-8\n" (cpuset.cpus, cpuset.cpus.effective, sysfs
 * online): *count is the number of CPUs listed. CPUs >= 4096 are -ERANGE.
 * An empty list is count 0 (valid: an unset cpuset in v2). */
int cg_parse_cpulist(const char *buf, size_t len, unsigned *count);

/* Flat keyed files, "key value" per line (memory.stat, memory.events,
 * memory.events.local, memory.oom_control, memory.swap.events). Every
 * well-formed line is kept in file order up to cap entries (-ENOSPC beyond,
 * with the first cap kept); malformed lines are skipped, counted in
 * *skipped when skipped is non-NULL. */
#define CG_KEY_MAX 48
struct cg_kv {
    char key[CG_KEY_MAX]; /* NUL-terminated; longer keys are skipped */
    uint64_t value;
};
int cg_parse_keyed(const char *buf, size_t len, struct cg_kv *out, size_t cap, size_t *n,
                   size_t *skipped);
/* Lookup in a parsed table: 0 and *value, or -ENOENT. */
int cg_kv_get(const struct cg_kv *kv, size_t n, const char *key, uint64_t *value);
/* One key straight from the file's text, with no table (for callers that
 * must not touch new memory): 0 and *value, -ENOENT, or -EINVAL. */
int cg_keyed_find(const char *buf, size_t len, const char *key, uint64_t *value);

/* PSI files (memory.pressure, /proc/pressure/memory):
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 * A missing "full" line (old kernels, /proc/pressure/cpu) leaves
 * full.present false. -EINVAL when there is no valid "some" line. */
struct cg_psi_line {
    bool present;
    double avg10, avg60, avg300; /* percent, 0..100 */
    uint64_t total_us;
};
struct cg_psi {
    struct cg_psi_line some, full;
};
int cg_parse_pressure(const char *buf, size_t len, struct cg_psi *out);

/* Controllers jeinit cares about, as bits. */
enum cg_controller {
    CG_MEMORY = 1u << 0,
    CG_CPU = 1u << 1,
    CG_CPUACCT = 1u << 2,
    CG_CPUSET = 1u << 3,
};

#define CG_PATH_MAX 512

/* /proc/<pid>/cgroup: "ID:CONTROLLERS:PATH" lines. v2 is the "0::PATH" line;
 * v1 lines list comma-separated controllers ("4:memory:/x",
 * "2:cpu,cpuacct:/y"). Named hierarchies ("name=systemd") are ignored.
 * A path that does not fit CG_PATH_MAX makes that entry absent. */
struct cg_membership {
    bool has_v2;
    char v2_path[CG_PATH_MAX];
    unsigned v1_mask; /* controllers seen on v1 lines */
    char memory_path[CG_PATH_MAX];
    char cpu_path[CG_PATH_MAX];
    char cpuacct_path[CG_PATH_MAX];
    char cpuset_path[CG_PATH_MAX];
};
int cg_parse_proc_cgroup(const char *buf, size_t len, struct cg_membership *out);

/* /proc/<pid>/mountinfo: the cgroup and cgroup2 mounts, in file order.
 * root and mount_point have mountinfo's octal escapes (\040 etc.) decoded.
 * For v1, controllers is the set from the super options ("rw,memory").
 * Lines of other filesystems are skipped. */
struct cg_mount {
    bool v2;
    unsigned controllers;
    char root[CG_PATH_MAX];
    char mount_point[CG_PATH_MAX];
};
int cg_parse_mountinfo(const char *buf, size_t len, struct cg_mount *out, size_t cap, size_t *n);

/* Where the cgroup at cg_path (from /proc/<pid>/cgroup) sits under a mount:
 * - cg_path under the mount's root: mount_point + the rest ("/" root is the
 *   common case; a root of "/docker/<id>" with cg_path "/docker/<id>" gives
 *   the mount point itself: cgroup v1 without a cgroup namespace);
 * - cg_path not under the root (a cgroup namespace made after the mount, or
 *   a path shown relative to a namespace root "/..", "/"): the mount point
 *   itself, flagged by *outside = true so the caller can say so.
 * Writes a NUL-terminated path; -ENAMETOOLONG when it does not fit. */
int cg_resolve_dir(const struct cg_mount *m, const char *cg_path, char *out, size_t outsz,
                   bool *outside);

#endif
