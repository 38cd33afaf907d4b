/* cgroup.c - see cgroup.h. This file owns discovery: which memory, cpu and
 * cpuset directories are this process's, from /proc/self/cgroup and
 * mountinfo (or --cgroup-root), through the pure parsers of cgroup_parse.c.
 * Limits are cgroup_limits.c's, usage cgroup_usage.c's, libcgroup's view
 * (--inspect only) cgroup_libcgroup.c's. */
#include "cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_io.h"
#include "util.h"

#define MOUNTS_MAX    128
#define MOUNTINFO_MAX (512 * 1024)

/* Discovery-time buffers: used once at start, never on the sample path. */
static char mountinfo_buf[MOUNTINFO_MAX];
static struct cg_mount mounts[MOUNTS_MAX];

bool cg_exists_in(const char *dir, const char *name)
{
    char path[CG_PATH_MAX + 64];

    if (!*dir || str_printf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return false;
    return access(path, F_OK) == 0;
}

/* Reads dir/name into buf; 0-terminated length, or a negative errno. */
ssize_t cg_read_in(const char *dir, const char *name, char *buf, size_t bufsz)
{
    char path[CG_PATH_MAX + 64];

    if (!*dir)
        return -ENOENT;
    if (str_printf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return -ENAMETOOLONG;
    return read_file(path, buf, bufsz);
}

/* --- discovery ----------------------------------------------------------- */

static void discover_given(struct cgroup *cg, const char *root)
{
    char sub[CG_PATH_MAX];

    cg->layout = CG_LAYOUT_GIVEN;
    cg->discovered_by = "--cgroup-root";
    if (cg_exists_in(root, "cgroup.controllers") || cg_exists_in(root, "memory.max")) {
        cg->memory_version = 2;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), root);
        (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), root);
        (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), root);
    } else if (cg_exists_in(root, "memory.limit_in_bytes")) {
        /* one v1 controller's directory */
        cg->memory_version = 1;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), root);
        if (cg_exists_in(root, "cpu.cfs_quota_us"))
            (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), root);
        if (cg_exists_in(root, "cpuset.cpus"))
            (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), root);
    } else if (cg_exists_in(root, "memory/memory.limit_in_bytes")) {
        /* a v1 /sys/fs/cgroup: one directory per controller */
        cg->memory_version = 1;
        (void)str_printf(cg->memory_dir, sizeof(cg->memory_dir), "%s/memory", root);
        static const char *const cpu_names[] = {"cpu", "cpu,cpuacct"};
        for (size_t i = 0; i < ARRAY_SIZE(cpu_names) && !cg->cpu_dir[0]; i++)
            if (str_printf(sub, sizeof(sub), "%s/%s", root, cpu_names[i]) == 0 &&
                cg_exists_in(sub, "cpu.cfs_quota_us"))
                (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), sub);
        if (str_printf(sub, sizeof(sub), "%s/cpuset", root) == 0 &&
            cg_exists_in(sub, "cpuset.cpus"))
            (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), sub);
    } else {
        warnings_add(&cg->warnings, "no cgroup v1 or v2 memory files in --cgroup-root %s", root);
    }
    /* nothing above the given directory is looked at */
    (void)str_copy(cg->memory_top, sizeof(cg->memory_top), cg->memory_dir);
    (void)str_copy(cg->cpu_top, sizeof(cg->cpu_top), cg->cpu_dir);
}

/* True when a later mount sits on the same mount point: mountinfo lists
 * mounts in the order they were made, and the last one hides the others
 * (a bind mount of the container's cgroup over the host's). */
static bool overmounted(const struct cg_mount *m, size_t n, size_t i)
{
    for (size_t j = i + 1; j < n; j++) {
        if (strcmp(m[j].mount_point, m[i].mount_point) == 0)
            return true;
    }
    return false;
}

/* The directory of path under the best mount of the wanted kind: a mount
 * whose root contains the path beats one that does not. */
static const struct cg_mount *resolve(const struct cg_mount *m, size_t n, bool v2, unsigned ctl,
                                      const char *path, char *dir, size_t dirsz, bool *outside)
{
    const struct cg_mount *best = NULL;
    bool best_outside = true;

    for (size_t i = 0; i < n; i++) {
        char d[CG_PATH_MAX];
        bool out = false;

        if (m[i].v2 != v2 || (!v2 && !(m[i].controllers & ctl)) || overmounted(m, n, i))
            continue;
        if (cg_resolve_dir(&m[i], path, d, sizeof(d), &out) < 0)
            continue;
        if (!best || (best_outside && !out)) {
            best = &m[i];
            best_outside = out;
            (void)str_copy(dir, dirsz, d);
        }
    }
    *outside = best_outside;
    return best;
}

/* The mount's root lies above this cgroup namespace's root ("/..",
 * "/../.."): the namespace was made after the mount, and the mount point is
 * an ancestor of our cgroup, not our cgroup. */
static bool root_above_namespace(const char *root)
{
    return strcmp(root, "/..") == 0 || strncmp(root, "/../", 4) == 0;
}

/* dir is m's mount point because our path lies outside m's root. Where that
 * root is above our namespace, the directory is found by cgroup.procs
 * instead (cgroup_find.c); when none lists us, dir is emptied and the
 * limits are said to be unknown rather than read from an ancestor. */
static void locate_hidden(struct cgroup *cg, const struct cg_mount *m, const char *what, char *dir,
                          size_t dirsz, bool *outside)
{
    unsigned searched = 0;
    pid_t pid = getpid();
    int r;

    if (!m || !*outside || !root_above_namespace(m->root))
        return;
    r = cg_find_by_pid(m->mount_point, (uint64_t)pid, dir, dirsz, &searched);
    if (r == 0) {
        *outside = false;
        cg->found_by_procs = true;
        return;
    }
    dir[0] = '\0';
    cg->limits_unknown = true;
    warnings_add(&cg->warnings,
                 "cgroup namespace without its own cgroup mount: %s shows root %s, above the "
                 "namespace, and no cgroup.procs under it lists pid %d (%u directories "
                 "searched%s): %s limits unknown",
                 m->mount_point, m->root, (int)pid, searched, r == -E2BIG ? ", the bound" : "",
                 what);
}

static void discover_proc(struct cgroup *cg)
{
    static struct cg_membership mem;
    char path[CG_PATH_MAX + 32];
    const struct cg_mount *m1 = NULL, *m2 = NULL, *mc, *ms;
    size_t n = 0;
    ssize_t len;
    bool out1 = true, out2 = true, outc, outs, any_v1 = false;
    char v2dir[CG_PATH_MAX] = "";
    int r;

    cg->discovered_by = "none";
    (void)str_printf(path, sizeof(path), "%s/self/cgroup", cg->proc_root);
    len = read_file(path, mountinfo_buf, sizeof(mountinfo_buf));
    if (len < 0) {
        warnings_add(&cg->warnings, "cannot read %s: %s; no cgroup limits known", path,
                     strerror((int)-len));
        return;
    }
    r = cg_parse_proc_cgroup(mountinfo_buf, (size_t)len, &mem);
    if (r < 0) {
        if (len > 0)
            warnings_add(&cg->warnings, "cannot parse %s: expected ID:CONTROLLERS:PATH lines",
                         path);
        return;
    }
    (void)str_printf(path, sizeof(path), "%s/self/mountinfo", cg->proc_root);
    len = read_file(path, mountinfo_buf, sizeof(mountinfo_buf));
    if (len < 0) {
        warnings_add(&cg->warnings, "cannot read %s: %s; no cgroup limits known", path,
                     strerror((int)-len));
        return;
    }
    if ((size_t)len >= sizeof(mountinfo_buf) - 1)
        warnings_add(&cg->warnings, "%s is longer than %zu bytes; later mounts were not read", path,
                     sizeof(mountinfo_buf) - 1);
    r = cg_parse_mountinfo(mountinfo_buf, (size_t)len, mounts, MOUNTS_MAX, &n);
    if (r == -ENOSPC)
        warnings_add(&cg->warnings, "more than %d cgroup mounts in %s; later ones ignored",
                     MOUNTS_MAX, path);

    for (size_t i = 0; i < n; i++)
        any_v1 |= !mounts[i].v2;
    if (mem.v1_mask & CG_MEMORY) {
        m1 = resolve(mounts, n, false, CG_MEMORY, mem.memory_path, cg->memory_dir,
                     sizeof(cg->memory_dir), &out1);
        locate_hidden(cg, m1, "memory", cg->memory_dir, sizeof(cg->memory_dir), &out1);
        if (!cg->memory_dir[0])
            m1 = NULL;
    }
    if (mem.has_v2) {
        m2 = resolve(mounts, n, true, 0, mem.v2_path, v2dir, sizeof(v2dir), &out2);
        if (!m1)
            locate_hidden(cg, m2, "memory and CPU", v2dir, sizeof(v2dir), &out2);
    }

    if (m2)
        cg->layout = any_v1 ? CG_LAYOUT_HYBRID : CG_LAYOUT_V2;
    else if (any_v1)
        cg->layout = CG_LAYOUT_V1;
    else
        cg->layout = CG_LAYOUT_NONE;

    if (m1) {
        cg->memory_version = 1;
        (void)str_copy(cg->cg_path, sizeof(cg->cg_path), mem.memory_path);
        (void)str_copy(cg->memory_top, sizeof(cg->memory_top), m1->mount_point);
        cg->namespaced = out1 || cg->found_by_procs;
    } else if (m2 && (cg_exists_in(v2dir, "memory.max") || cg_exists_in(v2dir, "memory.stat"))) {
        cg->memory_version = 2;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), v2dir);
        (void)str_copy(cg->cg_path, sizeof(cg->cg_path), mem.v2_path);
        (void)str_copy(cg->memory_top, sizeof(cg->memory_top), m2->mount_point);
        cg->namespaced = out2 || strcmp(mem.v2_path, "/") == 0;
    } else {
        cg->memory_dir[0] = '\0';
        if (cg->limits_unknown) {
            (void)str_copy(cg->cg_path, sizeof(cg->cg_path),
                           m1 || !mem.has_v2 ? mem.memory_path : mem.v2_path);
            cg->namespaced = true;
        }
        if (cg->layout != CG_LAYOUT_NONE && !cg->limits_unknown)
            warnings_add(&cg->warnings, "no memory controller for this process in %s/self/cgroup",
                         cg->proc_root);
    }
    if (cg->memory_version && (cg->memory_version == 1 ? out1 : out2))
        warnings_add(&cg->warnings,
                     "cgroup path %s is outside the mount's root; using the mount point %s",
                     cg->cg_path, cg->memory_dir);

    /* cpu and cpuset: v1 controllers where mounted, else the v2 directory */
    mc = (mem.v1_mask & CG_CPU) ? resolve(mounts, n, false, CG_CPU, mem.cpu_path, cg->cpu_dir,
                                          sizeof(cg->cpu_dir), &outc)
                                : NULL;
    if (mc) {
        locate_hidden(cg, mc, "CPU", cg->cpu_dir, sizeof(cg->cpu_dir), &outc);
        (void)str_copy(cg->cpu_top, sizeof(cg->cpu_top), mc->mount_point);
    } else if (m2) {
        (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), v2dir);
        (void)str_copy(cg->cpu_top, sizeof(cg->cpu_top), m2->mount_point);
    }
    ms = (mem.v1_mask & CG_CPUSET) ? resolve(mounts, n, false, CG_CPUSET, mem.cpuset_path,
                                             cg->cpuset_dir, sizeof(cg->cpuset_dir), &outs)
                                   : NULL;
    if (ms)
        locate_hidden(cg, ms, "cpuset", cg->cpuset_dir, sizeof(cg->cpuset_dir), &outs);
    else if (m2)
        (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), v2dir);

    if (cg->memory_version) {
        cg->discovered_by = cg->found_by_procs ? "cgroup.procs" : "mountinfo";
        (void)str_copy(cg->memory_mount_root, sizeof(cg->memory_mount_root),
                       cg->memory_version == 1 ? m1->root : m2->root);
    }
}

int cgroup_discover(struct cgroup *cg, const struct config *cfg)
{
    memset(cg, 0, sizeof(*cg));
    cg->memfd = -1;
    for (size_t i = 0; i < ARRAY_SIZE(cg->kept); i++)
        cg->kept[i] = -1;
    (void)str_copy(cg->proc_root, sizeof(cg->proc_root), cfg->proc_root);
    if (cfg->cgroup_root)
        discover_given(cg, cfg->cgroup_root);
    else
        discover_proc(cg);
    return 0;
}

void cgroup_close(struct cgroup *cg)
{
    if (cg->memfd >= 0)
        (void)close(cg->memfd);
    cg->memfd = -1;
    for (size_t i = 0; i < ARRAY_SIZE(cg->kept); i++) {
        if (cg->kept[i] >= 0)
            (void)close(cg->kept[i]);
        cg->kept[i] = -1;
    }
}
