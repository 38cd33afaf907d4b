/* cgroup.c - see cgroup.h. Thin I/O around the pure parsers of
 * cgroup_parse.c: find the directories, read the files, keep the sources. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <libcgroup.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs_parse.h"
#include "util.h"

#define MOUNTS_MAX    128
#define MOUNTINFO_MAX (512 * 1024)
#define SMALL_FILE    4096
#define STAT_FILE     16384

/* Discovery-time buffers: used once at start, never on the sample path. */
static char mountinfo_buf[MOUNTINFO_MAX];
static struct cg_mount mounts[MOUNTS_MAX];
/* Sample-time buffer. */
static char stat_buf[STAT_FILE];

const char *cg_layout_name(enum cg_layout l)
{
    switch (l) {
    case CG_LAYOUT_V1:
        return "v1";
    case CG_LAYOUT_V2:
        return "v2";
    case CG_LAYOUT_HYBRID:
        return "hybrid";
    case CG_LAYOUT_GIVEN:
        return "given";
    case CG_LAYOUT_NONE:
        break;
    }
    return "none";
}

static void cg_warn(struct cgroup *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cg_warn(struct cgroup *cg, const char *fmt, ...)
{
    va_list ap;

    if (cg->nwarnings >= CG_WARNINGS_MAX)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(cg->warnings[cg->nwarnings++], CG_SOURCE_MAX, fmt, ap);
    va_end(ap);
}

static bool exists_in(const char *dir, const char *name)
{
    char path[CG_PATH_MAX + 64];

    if (!*dir || str_printf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return false;
    return access(path, F_OK) == 0;
}

/* Reads dir/name into buf; 0-terminated length, or a negative errno. */
static ssize_t read_in(const char *dir, const char *name, char *buf, size_t bufsz)
{
    char path[CG_PATH_MAX + 64];

    if (!*dir)
        return -ENOENT;
    if (str_printf(path, sizeof(path), "%s/%s", dir, name) < 0)
        return -ENAMETOOLONG;
    return read_file(path, buf, bufsz);
}

static void set_value(struct cg_value *v, uint64_t value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_value(struct cg_value *v, uint64_t value, const char *fmt, ...)
{
    va_list ap;

    v->present = true;
    v->value = value;
    va_start(ap, fmt);
    (void)vsnprintf(v->source, sizeof(v->source), fmt, ap);
    va_end(ap);
}

/* --- discovery ----------------------------------------------------------- */

static void discover_given(struct cgroup *cg, const char *root)
{
    char sub[CG_PATH_MAX];

    cg->layout = CG_LAYOUT_GIVEN;
    cg->discovered_by = "--cgroup-root";
    if (exists_in(root, "cgroup.controllers") || exists_in(root, "memory.max")) {
        cg->memory_version = 2;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), root);
        (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), root);
        (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), root);
    } else if (exists_in(root, "memory.limit_in_bytes")) {
        /* one v1 controller's directory */
        cg->memory_version = 1;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), root);
        if (exists_in(root, "cpu.cfs_quota_us"))
            (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), root);
        if (exists_in(root, "cpuset.cpus"))
            (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), root);
    } else if (exists_in(root, "memory/memory.limit_in_bytes")) {
        /* a v1 /sys/fs/cgroup: one directory per controller */
        cg->memory_version = 1;
        (void)str_printf(cg->memory_dir, sizeof(cg->memory_dir), "%s/memory", root);
        static const char *const cpu_names[] = {"cpu", "cpu,cpuacct"};
        for (size_t i = 0; i < ARRAY_SIZE(cpu_names) && !cg->cpu_dir[0]; i++)
            if (str_printf(sub, sizeof(sub), "%s/%s", root, cpu_names[i]) == 0 &&
                exists_in(sub, "cpu.cfs_quota_us"))
                (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), sub);
        if (str_printf(sub, sizeof(sub), "%s/cpuset", root) == 0 && exists_in(sub, "cpuset.cpus"))
            (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), sub);
    } else {
        cg_warn(cg, "no cgroup v1 or v2 memory files in --cgroup-root %s", root);
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

/* In the child: libcgroup's memory mount point and our path in it, as one
 * line "OK\tMOUNT\tPATH" or "ERR\tREASON". */
static void __attribute__((noreturn)) libcgroup_child(int fd)
{
    char *mp = NULL, *path = NULL, line[CG_PATH_MAX * 2 + 16];
    int r = cgroup_init(), n;

    if (r == 0)
        r = cgroup_get_subsys_mount_point("memory", &mp);
    if (r == 0)
        r = cgroup_get_current_controller_path(getpid(), "memory", &path);
    if (r == 0 && mp && path)
        n = snprintf(line, sizeof(line), "OK\t%s\t%s\n", mp, path);
    else
        n = snprintf(line, sizeof(line), "ERR\t%s\n", cgroup_strerror(r));
    if (n > 0)
        (void)write_all(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    _exit(0);
}

void cgroup_libcgroup_start(struct libcgroup_probe *p)
{
    int fds[2];

    p->pid = -1;
    p->fd = -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return;
    p->pid = fork();
    if (p->pid == 0) {
        (void)close(fds[0]);
        libcgroup_child(fds[1]);
    }
    (void)close(fds[1]);
    if (p->pid < 0) {
        (void)close(fds[0]);
        return;
    }
    p->fd = fds[0];
}

void cgroup_libcgroup_finish(struct cgroup *cg, struct libcgroup_probe *p, int timeout_ms)
{
    char buf[CG_PATH_MAX * 2 + 16], joined[sizeof(buf) + 8], *mp, *path, *nl;
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    size_t used = 0;
    int64_t deadline = now_mono_ms() + timeout_ms;

    if (p->pid <= 0)
        return;
    /* a few reads at most: the child writes one short line and exits */
    while (used < sizeof(buf) - 1) {
        int64_t left = deadline - now_mono_ms();
        ssize_t n;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        n = read(p->fd, buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    (void)close(p->fd);
    if (!memchr(buf, '\n', used))
        (void)kill(p->pid, SIGKILL); /* stuck: it must not outlive the answer */
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    p->pid = -1;
    if (!cg->memory_version)
        return;
    nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    if (strncmp(buf, "OK\t", 3) != 0) {
        (void)snprintf(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                       "libcgroup found no memory cgroup: %.200s",
                       strncmp(buf, "ERR\t", 4) == 0 ? buf + 4 : "no answer");
        return;
    }
    mp = buf + 3;
    path = strchr(mp, '\t');
    if (!path)
        return;
    *path++ = '\0';
    (void)snprintf(joined, sizeof(joined), "%s%s", mp, strcmp(path, "/") == 0 ? "" : path);
    if (strcmp(joined, cg->memory_dir) == 0) {
        cg->discovered_by = "libcgroup";
        (void)str_copy(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                       "libcgroup and mountinfo agree");
        return;
    }
    /* libcgroup joins the mount point and /proc/self/cgroup's path; it does
     * not read mountinfo's root field, so where the mount's root is the
     * container's own cgroup it names a directory that is not there. */
    (void)snprintf(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                   "libcgroup names %.160s (mount point + cgroup path), ignoring the mount's "
                   "root %.100s; used %.160s from mountinfo",
                   joined, cg->memory_mount_root, cg->memory_dir);
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
        cg_warn(cg, "cannot read %s: %s; no cgroup limits known", path, strerror((int)-len));
        return;
    }
    r = cg_parse_proc_cgroup(mountinfo_buf, (size_t)len, &mem);
    if (r < 0) {
        if (len > 0)
            cg_warn(cg, "cannot parse %s: expected ID:CONTROLLERS:PATH lines", path);
        return;
    }
    (void)str_printf(path, sizeof(path), "%s/self/mountinfo", cg->proc_root);
    len = read_file(path, mountinfo_buf, sizeof(mountinfo_buf));
    if (len < 0) {
        cg_warn(cg, "cannot read %s: %s; no cgroup limits known", path, strerror((int)-len));
        return;
    }
    if ((size_t)len >= sizeof(mountinfo_buf) - 1)
        cg_warn(cg, "%s is longer than %zu bytes; later mounts were not read", path,
                sizeof(mountinfo_buf) - 1);
    r = cg_parse_mountinfo(mountinfo_buf, (size_t)len, mounts, MOUNTS_MAX, &n);
    if (r == -ENOSPC)
        cg_warn(cg, "more than %d cgroup mounts in %s; later ones ignored", MOUNTS_MAX, path);

    for (size_t i = 0; i < n; i++)
        any_v1 |= !mounts[i].v2;
    if (mem.v1_mask & CG_MEMORY)
        m1 = resolve(mounts, n, false, CG_MEMORY, mem.memory_path, cg->memory_dir,
                     sizeof(cg->memory_dir), &out1);
    if (mem.has_v2)
        m2 = resolve(mounts, n, true, 0, mem.v2_path, v2dir, sizeof(v2dir), &out2);

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
        cg->namespaced = out1;
    } else if (m2 && (exists_in(v2dir, "memory.max") || exists_in(v2dir, "memory.stat"))) {
        cg->memory_version = 2;
        (void)str_copy(cg->memory_dir, sizeof(cg->memory_dir), v2dir);
        (void)str_copy(cg->cg_path, sizeof(cg->cg_path), mem.v2_path);
        (void)str_copy(cg->memory_top, sizeof(cg->memory_top), m2->mount_point);
        cg->namespaced = out2 || strcmp(mem.v2_path, "/") == 0;
    } else {
        cg->memory_dir[0] = '\0';
        if (cg->layout != CG_LAYOUT_NONE)
            cg_warn(cg, "no memory controller for this process in %s/self/cgroup", cg->proc_root);
    }
    if (cg->memory_version && (cg->memory_version == 1 ? out1 : out2))
        cg_warn(cg, "cgroup path %s is outside the mount's root; using the mount point %s",
                cg->cg_path, cg->memory_dir);

    /* cpu and cpuset: v1 controllers where mounted, else the v2 directory */
    mc = (mem.v1_mask & CG_CPU) ? resolve(mounts, n, false, CG_CPU, mem.cpu_path, cg->cpu_dir,
                                          sizeof(cg->cpu_dir), &outc)
                                : NULL;
    if (mc)
        (void)str_copy(cg->cpu_top, sizeof(cg->cpu_top), mc->mount_point);
    else if (m2) {
        (void)str_copy(cg->cpu_dir, sizeof(cg->cpu_dir), v2dir);
        (void)str_copy(cg->cpu_top, sizeof(cg->cpu_top), m2->mount_point);
    }
    ms = (mem.v1_mask & CG_CPUSET) ? resolve(mounts, n, false, CG_CPUSET, mem.cpuset_path,
                                             cg->cpuset_dir, sizeof(cg->cpuset_dir), &outs)
                                   : NULL;
    if (!ms && m2)
        (void)str_copy(cg->cpuset_dir, sizeof(cg->cpuset_dir), v2dir);

    if (cg->memory_version) {
        cg->discovered_by = "mountinfo";
        (void)str_copy(cg->memory_mount_root, sizeof(cg->memory_mount_root),
                       cg->memory_version == 1 ? m1->root : m2->root);
    }
}

int cgroup_discover(struct cgroup *cg, const struct config *cfg)
{
    memset(cg, 0, sizeof(*cg));
    cg->memfd = -1;
    (void)str_copy(cg->proc_root, sizeof(cg->proc_root), cfg->proc_root);
    if (cfg->cgroup_root)
        discover_given(cg, cfg->cgroup_root);
    else
        discover_proc(cg);
    return 0;
}

/* --- limits ---------------------------------------------------------------- */

/* The smallest limit in file name from dir up to top (both included), as
 * parse() reads it; *source names the file it came from. */
/* Reads one directory's figure for file name: 0 with *x, or a negative errno. */
typedef int (*dir_reader)(const char *dir, const char *name, uint64_t *x);

static int read_limit(const char *dir, const char *name, uint64_t *x)
{
    char buf[SMALL_FILE];
    ssize_t len = read_in(dir, name, buf, sizeof(buf));

    return len < 0 ? (int)len : cg_parse_limit(buf, (size_t)len, x);
}

/* v2 cpu.max "QUOTA PERIOD" as millicores (CG_UNLIMITED for max). */
static int read_cpu_max(const char *dir, const char *name, uint64_t *x)
{
    char buf[SMALL_FILE];
    ssize_t len = read_in(dir, name, buf, sizeof(buf));
    int64_t quota;
    uint64_t period;
    int r;

    if (len < 0)
        return (int)len;
    r = cg_parse_cpu_max(buf, (size_t)len, &quota, &period);
    if (r < 0)
        return r;
    *x = quota < 0 ? CG_UNLIMITED : ((uint64_t)quota * 1000 + period - 1) / period;
    return 0;
}

/* v1 cpu.cfs_quota_us, with cpu.cfs_period_us beside it, as millicores. */
static int read_cfs_quota(const char *dir, const char *name, uint64_t *x)
{
    char q[SMALL_FILE], p[SMALL_FILE];
    ssize_t ql = read_in(dir, name, q, sizeof(q));
    ssize_t pl = read_in(dir, "cpu.cfs_period_us", p, sizeof(p));
    int64_t quota;
    uint64_t period;

    if (ql < 0 || pl < 0 || cg_parse_i64(q, (size_t)ql, &quota) < 0 ||
        cg_parse_u64(p, (size_t)pl, &period) < 0 || period == 0)
        return -EINVAL;
    *x = quota < 0 ? CG_UNLIMITED : ((uint64_t)quota * 1000 + period - 1) / period;
    return 0;
}

/* The smallest figure of file name from dir up to top (both included), as
 * read() reads it; v->source names the file it came from. A limit on an
 * ancestor binds the container as much as its own. */
static bool walk_min(const char *dir, const char *top, const char *name, dir_reader read,
                     struct cg_value *v)
{
    char d[CG_PATH_MAX];
    bool any = false;
    size_t toplen = strlen(top);

    if (!*dir)
        return false;
    (void)str_copy(d, sizeof(d), dir);
    for (;;) {
        uint64_t x;
        char *slash;

        if (read(d, name, &x) == 0) {
            if (!any || x < v->value)
                set_value(v, x, "%s/%s", d, name);
            any = true;
        }
        /* stop at the top of the visible hierarchy */
        if (strlen(d) <= toplen || strcmp(d, top) == 0)
            break;
        slash = strrchr(d, '/');
        if (!slash || slash == d)
            break;
        *slash = '\0';
    }
    return any;
}

static unsigned affinity_count(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return (unsigned)CPU_COUNT(&set);
    /* more CPUs than cpu_set_t holds: ask with a larger set */
    {
        size_t sz = CPU_ALLOC_SIZE(16384);
        cpu_set_t *big = CPU_ALLOC(16384);
        unsigned n = 0;

        if (big && sched_getaffinity(0, sz, big) == 0)
            n = (unsigned)CPU_COUNT_S(sz, big);
        CPU_FREE(big);
        if (n)
            return n;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (unsigned)online : 1;
}

static void read_memory_limits(struct cgroup *cg, struct cgroup_limits *lim)
{
    char buf[SMALL_FILE];
    ssize_t len;
    uint64_t x;

    if (cg->memory_version == 2) {
        len = read_in(cg->memory_dir, "memory.max", buf, sizeof(buf));
        if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
            set_value(&lim->memory_max, x, "%s/memory.max", cg->memory_dir);
        else if (len < 0 && len != -ENOENT)
            cg_warn(cg, "cannot read %s/memory.max: %s", cg->memory_dir, strerror((int)-len));
        else if (len >= 0)
            cg_warn(cg, "cannot parse %s/memory.max: expected a number of bytes or \"max\"",
                    cg->memory_dir);
        (void)walk_min(cg->memory_dir, cg->memory_top, "memory.max", read_limit,
                       &lim->memory_ancestors);
        (void)walk_min(cg->memory_dir, cg->memory_top, "memory.high", read_limit,
                       &lim->memory_high);
        (void)walk_min(cg->memory_dir, cg->memory_top, "memory.swap.max", read_limit,
                       &lim->swap_max);
        return;
    }
    if (cg->memory_version != 1)
        return;
    len = read_in(cg->memory_dir, "memory.limit_in_bytes", buf, sizeof(buf));
    if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
        set_value(&lim->memory_max, x, "%s/memory.limit_in_bytes", cg->memory_dir);
    else
        cg_warn(cg, "cannot read %s/memory.limit_in_bytes: %s", cg->memory_dir,
                len < 0 ? strerror((int)-len) : "expected a number of bytes");
    len = read_in(cg->memory_dir, "memory.soft_limit_in_bytes", buf, sizeof(buf));
    if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
        set_value(&lim->memory_high, x, "%s/memory.soft_limit_in_bytes", cg->memory_dir);
    /* v1 computes the smallest limit over every ancestor, even those a
     * container cannot see, and reports it in memory.stat. */
    len = read_in(cg->memory_dir, "memory.stat", stat_buf, sizeof(stat_buf));
    if (len >= 0) {
        static struct cg_kv kv[CG_STAT_MAX];
        size_t n = 0;
        (void)cg_parse_keyed(stat_buf, (size_t)len, kv, CG_STAT_MAX, &n, NULL);
        if (cg_kv_get(kv, n, "hierarchical_memory_limit", &x) == 0)
            set_value(&lim->memory_ancestors, x >= CG_V1_UNLIMITED_FLOOR ? CG_UNLIMITED : x,
                      "%s/memory.stat hierarchical_memory_limit", cg->memory_dir);
        if (cg_kv_get(kv, n, "hierarchical_memsw_limit", &x) == 0 && x < CG_V1_UNLIMITED_FLOOR &&
            lim->memory_ancestors.present && lim->memory_ancestors.value != CG_UNLIMITED)
            set_value(&lim->swap_max,
                      x > lim->memory_ancestors.value ? x - lim->memory_ancestors.value : 0,
                      "%s/memory.stat hierarchical_memsw_limit minus memory", cg->memory_dir);
    }
}

void cgroup_read_limits(struct cgroup *cg, const struct config *cfg, struct cgroup_limits *lim)
{
    char buf[SMALL_FILE], path[CG_PATH_MAX + 32];
    uint64_t total, avail, best;
    const char *best_src;
    ssize_t len;
    unsigned count;

    memset(lim, 0, sizeof(*lim));
    (void)str_printf(path, sizeof(path), "%s/meminfo", cg->proc_root);
    len = read_file(path, buf, sizeof(buf));
    if (len >= 0 && proc_parse_meminfo(buf, (size_t)len, &total, &avail) == 0)
        set_value(&lim->mem_total, total, "%s MemTotal", path);
    else
        cg_warn(cg, "cannot read MemTotal from %s", path);

    read_memory_limits(cg, lim);

    if (cg->cpu_dir[0]) {
        bool v2 = exists_in(cg->cpu_dir, "cpu.max");
        const char *name = v2 ? "cpu.max" : "cpu.cfs_quota_us";
        dir_reader read = v2 ? read_cpu_max : read_cfs_quota;
        uint64_t millis;

        /* the walk skips what it cannot read; our own quota must not vanish silently */
        if (exists_in(cg->cpu_dir, name) && read(cg->cpu_dir, name, &millis) < 0)
            cg_warn(cg, "cannot parse %s/%s: expected %s", cg->cpu_dir, name,
                    v2 ? "\"QUOTA PERIOD\" or \"max PERIOD\"" : "a number of microseconds or -1");
        (void)walk_min(cg->cpu_dir, cg->cpu_top, name, read, &lim->cpu_quota);
    }
    if (cg->cpuset_dir[0]) {
        static const char *const names[] = {"cpuset.cpus.effective", "cpuset.effective_cpus",
                                            "cpuset.cpus"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
            len = read_in(cg->cpuset_dir, names[i], buf, sizeof(buf));
            if (len >= 0 && cg_parse_cpulist(buf, (size_t)len, &count) == 0 && count > 0) {
                set_value(&lim->cpuset_cpus, count, "%s/%s", cg->cpuset_dir, names[i]);
                break;
            }
        }
    }
    lim->affinity_cpus = affinity_count();

    /* memory: the smallest real limit; none at all means the machine's memory */
    best = CG_UNLIMITED;
    best_src = NULL;
    if (lim->memory_max.present && lim->memory_max.value < best) {
        best = lim->memory_max.value;
        best_src = lim->memory_max.source;
    }
    if (lim->memory_ancestors.present && lim->memory_ancestors.value < best) {
        best = lim->memory_ancestors.value;
        best_src = lim->memory_ancestors.source;
    }
    if (cfg->memory_limit && cfg->memory_limit < best) {
        best = cfg->memory_limit;
        best_src = "--memory-limit / JEINIT_MEMORY_LIMIT";
    }
    if (best != CG_UNLIMITED && lim->mem_total.present && best > lim->mem_total.value) {
        /* a limit above the machine's memory is no limit */
        best = CG_UNLIMITED;
        best_src = NULL;
    }
    if (best == CG_UNLIMITED) {
        lim->memory_unlimited = true;
        lim->memory_limit = lim->mem_total.present ? lim->mem_total.value : 0;
        (void)str_printf(lim->memory_limit_source, sizeof(lim->memory_limit_source),
                         "no cgroup limit: physical memory (%s)",
                         lim->mem_total.present ? lim->mem_total.source : "unknown");
    } else {
        lim->memory_limit = best;
        (void)str_copy(lim->memory_limit_source, sizeof(lim->memory_limit_source), best_src);
    }

    /* CPUs: quota, cpuset, affinity, override; the smallest wins */
    lim->cpu_millis = (uint64_t)lim->affinity_cpus * 1000;
    (void)str_copy(lim->cpu_source, sizeof(lim->cpu_source), "sched_getaffinity");
    if (lim->cpuset_cpus.present && lim->cpuset_cpus.value * 1000 < lim->cpu_millis) {
        lim->cpu_millis = lim->cpuset_cpus.value * 1000;
        (void)str_copy(lim->cpu_source, sizeof(lim->cpu_source), lim->cpuset_cpus.source);
    }
    if (lim->cpu_quota.present && lim->cpu_quota.value < lim->cpu_millis) {
        lim->cpu_millis = lim->cpu_quota.value;
        (void)str_copy(lim->cpu_source, sizeof(lim->cpu_source), lim->cpu_quota.source);
    }
    if (cfg->cpu_limit_millis && cfg->cpu_limit_millis < lim->cpu_millis) {
        lim->cpu_millis = cfg->cpu_limit_millis;
        (void)str_copy(lim->cpu_source, sizeof(lim->cpu_source), "--cpu-limit / JEINIT_CPU_LIMIT");
    }
}

/* --- usage --------------------------------------------------------------- */

static uint64_t read_u64_at(int dirfd, const char *name)
{
    char buf[64];
    ssize_t len = read_file_at(dirfd, name, buf, sizeof(buf));
    uint64_t x;

    if (len < 0 || cg_parse_u64(buf, (size_t)len, &x) < 0)
        return UINT64_MAX;
    return x;
}

static uint64_t kv(const struct cgroup_usage *u, const char *key)
{
    uint64_t x;

    return cg_kv_get(u->stat, u->nstat, key, &x) == 0 ? x : UINT64_MAX;
}

static uint64_t sum_present(uint64_t a, uint64_t b)
{
    if (a == UINT64_MAX)
        return b;
    if (b == UINT64_MAX)
        return a;
    return a + b;
}

static void read_events(struct cgroup *cg, struct cgroup_usage *u)
{
    struct cg_kv ev[16];
    size_t n = 0;
    ssize_t len;
    uint64_t x;

    if (cg->memory_version == 2) {
        len = read_file_at(cg->memfd, "memory.events", stat_buf, sizeof(stat_buf));
        if (len < 0)
            return;
        (void)cg_parse_keyed(stat_buf, (size_t)len, ev, ARRAY_SIZE(ev), &n, NULL);
        u->ev_low = cg_kv_get(ev, n, "low", &x) == 0 ? x : UINT64_MAX;
        u->ev_high = cg_kv_get(ev, n, "high", &x) == 0 ? x : UINT64_MAX;
        u->ev_max = cg_kv_get(ev, n, "max", &x) == 0 ? x : UINT64_MAX;
        u->ev_oom = cg_kv_get(ev, n, "oom", &x) == 0 ? x : UINT64_MAX;
        u->ev_oom_kill = cg_kv_get(ev, n, "oom_kill", &x) == 0 ? x : UINT64_MAX;
        return;
    }
    u->ev_max = read_u64_at(cg->memfd, "memory.failcnt");
    len = read_file_at(cg->memfd, "memory.oom_control", stat_buf, sizeof(stat_buf));
    if (len < 0)
        return;
    (void)cg_parse_keyed(stat_buf, (size_t)len, ev, ARRAY_SIZE(ev), &n, NULL);
    u->ev_oom_kill = cg_kv_get(ev, n, "oom_kill", &x) == 0 ? x : UINT64_MAX;
    u->under_oom = cg_kv_get(ev, n, "under_oom", &x) == 0 && x > 0;
}

static void read_pressure(struct cgroup *cg, struct cgroup_usage *u)
{
    char path[CG_PATH_MAX + 32], buf[512];
    ssize_t len = -ENOENT;

    if (cg->memory_version == 2 && cg->memfd >= 0) {
        len = read_file_at(cg->memfd, "memory.pressure", buf, sizeof(buf));
        if (len >= 0 && cg_parse_pressure(buf, (size_t)len, &u->psi) == 0) {
            u->psi_scope = "cgroup";
            return;
        }
    }
    /* v1, or PSI off for cgroups: the whole machine's pressure, said so */
    (void)str_printf(path, sizeof(path), "%s/pressure/memory", cg->proc_root);
    len = read_file(path, buf, sizeof(buf));
    if (len >= 0 && cg_parse_pressure(buf, (size_t)len, &u->psi) == 0)
        u->psi_scope = "system";
}

bool cgroup_read_counters(struct cgroup *cg, struct cgroup_usage *u)
{
    memset(u, 0xff, offsetof(struct cgroup_usage, stat));
    u->present = false;
    u->nstat = 0;
    /* the events follow the stat table, past the memset: v1 has no low, high
     * or oom counts, and an unreadable file must not keep the last sample's */
    u->ev_low = u->ev_high = u->ev_max = u->ev_oom = u->ev_oom_kill = UINT64_MAX;
    u->under_oom = false;
    memset(&u->psi, 0, sizeof(u->psi));
    u->psi_scope = NULL;
    if (cg->memfd < 0 && cg->memory_dir[0])
        cg->memfd = open(cg->memory_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg->memfd < 0)
        return false;
    u->present = true;
    if (cg->memory_version == 2) {
        u->current = read_u64_at(cg->memfd, "memory.current");
        u->peak = read_u64_at(cg->memfd, "memory.peak");
    } else {
        u->current = read_u64_at(cg->memfd, "memory.usage_in_bytes");
        u->peak = read_u64_at(cg->memfd, "memory.max_usage_in_bytes");
    }
    read_events(cg, u);
    return true;
}

void cgroup_read_usage(struct cgroup *cg, struct cgroup_usage *u)
{
    ssize_t len;

    if (cgroup_read_counters(cg, u)) {
        len = read_file_at(cg->memfd, "memory.stat", stat_buf, sizeof(stat_buf));
        if (len >= 0)
            (void)cg_parse_keyed(stat_buf, (size_t)len, u->stat, CG_STAT_MAX, &u->nstat, NULL);
        if (cg->memory_version == 2) {
            u->anon = kv(u, "anon");
            u->file = kv(u, "file");
            u->kernel = kv(u, "kernel");
            if (u->kernel == UINT64_MAX) {
                /* before 5.18: the parts the "kernel" key later sums */
                static const char *const parts[] = {"kernel_stack", "pagetables", "percpu", "slab",
                                                    "vmalloc"};
                for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                    u->kernel = sum_present(u->kernel, kv(u, parts[i]));
            }
            u->shmem = kv(u, "shmem");
            u->sock = kv(u, "sock");
            u->inactive_file = kv(u, "inactive_file");
        } else {
            /* v1: total_* include the container's child cgroups */
            u->anon = kv(u, "total_rss");
            u->file = kv(u, "total_cache");
            u->shmem = kv(u, "total_shmem");
            u->inactive_file = kv(u, "total_inactive_file");
            u->kernel = read_u64_at(cg->memfd, "memory.kmem.usage_in_bytes");
            u->sock = read_u64_at(cg->memfd, "memory.kmem.tcp.usage_in_bytes");
        }
        if (u->current != UINT64_MAX)
            u->working_set =
                u->current - (u->inactive_file != UINT64_MAX && u->inactive_file < u->current
                                  ? u->inactive_file
                                  : 0);
    }
    read_pressure(cg, u);
}

void cgroup_close(struct cgroup *cg)
{
    if (cg->memfd >= 0)
        (void)close(cg->memfd);
    cg->memfd = -1;
}
