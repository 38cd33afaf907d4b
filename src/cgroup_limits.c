/* cgroup_limits.c - what the container may use, read once at start: the
 * memory limit (the smallest up the tree), memory.high, swap, the CPU quota,
 * cpuset and affinity, each with the file it came from, and the overrides
 * (--memory-limit, --cpu-limit). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_io.h"
#include "procfs_parse.h"
#include "util.h"

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

/* Reads one directory's figure for file name: 0 with *x, or a negative errno. */
typedef int (*dir_reader)(const char *dir, const char *name, uint64_t *x);

static int read_limit(const char *dir, const char *name, uint64_t *x)
{
    char buf[CG_SMALL_FILE];
    ssize_t len = cg_read_in(dir, name, buf, sizeof(buf));

    return len < 0 ? (int)len : cg_parse_limit(buf, (size_t)len, x);
}

/* v2 cpu.max "QUOTA PERIOD" as millicores (CG_UNLIMITED for max). */
static int read_cpu_max(const char *dir, const char *name, uint64_t *x)
{
    char buf[CG_SMALL_FILE];
    ssize_t len = cg_read_in(dir, name, buf, sizeof(buf));
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
    char q[CG_SMALL_FILE], p[CG_SMALL_FILE];
    ssize_t ql = cg_read_in(dir, name, q, sizeof(q));
    ssize_t pl = cg_read_in(dir, "cpu.cfs_period_us", p, sizeof(p));
    int64_t quota;
    uint64_t period;

    if (ql < 0 || pl < 0 || cg_parse_i64(q, (size_t)ql, &quota) < 0 ||
        cg_parse_u64(p, (size_t)pl, &period) < 0 || period == 0)
        return -EINVAL;
    *x = quota < 0 ? CG_UNLIMITED : ((uint64_t)quota * 1000 + period - 1) / period;
    return 0;
}

/* The smallest figure of file name from dir up to top (both included), as
 * read() reads it, or with largest the largest (the highest on a tie);
 * v->source names the file it came from. A limit on an ancestor binds the
 * container as much as its own. */
static bool walk_extreme(const char *dir, const char *top, const char *name, dir_reader read,
                         bool largest, struct cg_value *v)
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
            if (!any || (largest ? x >= v->value : x < v->value))
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
    char buf[CG_SMALL_FILE];
    ssize_t len;
    uint64_t x;

    if (cg->memory_version == 2) {
        len = cg_read_in(cg->memory_dir, "memory.max", buf, sizeof(buf));
        if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
            set_value(&lim->memory_max, x, "%s/memory.max", cg->memory_dir);
        else if (len < 0 && len != -ENOENT)
            warnings_add(&cg->warnings, "cannot read %s/memory.max: %s", cg->memory_dir,
                         strerror((int)-len));
        else if (len >= 0)
            warnings_add(&cg->warnings,
                         "cannot parse %s/memory.max: expected a number of bytes or \"max\"",
                         cg->memory_dir);
        (void)walk_extreme(cg->memory_dir, cg->memory_top, "memory.max", read_limit, false,
                           &lim->memory_ancestors);
        (void)walk_extreme(cg->memory_dir, cg->memory_top, "memory.high", read_limit, false,
                           &lim->memory_high);
        (void)walk_extreme(cg->memory_dir, cg->memory_top, "memory.swap.max", read_limit, false,
                           &lim->swap_max);
        (void)walk_extreme(cg->memory_dir, cg->memory_top, "memory.oom.group", read_limit, true,
                           &lim->oom_group);
        return;
    }
    if (cg->memory_version != 1)
        return;
    len = cg_read_in(cg->memory_dir, "memory.limit_in_bytes", buf, sizeof(buf));
    if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
        set_value(&lim->memory_max, x, "%s/memory.limit_in_bytes", cg->memory_dir);
    else
        warnings_add(&cg->warnings, "cannot read %s/memory.limit_in_bytes: %s", cg->memory_dir,
                     len < 0 ? strerror((int)-len) : "expected a number of bytes");
    len = cg_read_in(cg->memory_dir, "memory.soft_limit_in_bytes", buf, sizeof(buf));
    if (len >= 0 && cg_parse_limit(buf, (size_t)len, &x) == 0)
        set_value(&lim->memory_high, x, "%s/memory.soft_limit_in_bytes", cg->memory_dir);
    /* v1 computes the smallest limit over every ancestor, even those a
     * container cannot see, and reports it in memory.stat. */
    len = cg_read_in(cg->memory_dir, "memory.stat", cg_stat_buf, sizeof(cg_stat_buf));
    if (len >= 0) {
        static struct cg_kv kv[CG_STAT_MAX];
        size_t n = 0;
        (void)cg_parse_keyed(cg_stat_buf, (size_t)len, kv, CG_STAT_MAX, &n, NULL);
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

/* What the policy uses for memory: the smallest real limit (none at all
 * means the machine's memory), and the ceiling under it. */
static void derive_memory(const struct cgroup *cg, const struct config *cfg,
                          struct cgroup_limits *lim)
{
    uint64_t best = CG_UNLIMITED;
    const char *best_src = NULL;

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
        (void)str_printf(
            lim->memory_limit_source, sizeof(lim->memory_limit_source), "%s: physical memory (%s)",
            cg->limits_unknown ? "cgroup limits unknown (see the warnings)" : "no cgroup limit",
            lim->mem_total.present ? lim->mem_total.source : "unknown");
    } else {
        lim->memory_limit = best;
        (void)str_copy(lim->memory_limit_source, sizeof(lim->memory_limit_source), best_src);
    }

    /* the ceiling: memory.high where it is below the limit (v2 only: v1's
     * soft limit throttles nothing) */
    lim->memory_ceiling = lim->memory_limit;
    (void)str_copy(lim->memory_ceiling_source, sizeof(lim->memory_ceiling_source),
                   lim->memory_limit_source);
    if (cg->memory_version == 2 && lim->memory_high.present &&
        lim->memory_high.value != CG_UNLIMITED &&
        (lim->memory_unlimited || lim->memory_high.value < lim->memory_limit)) {
        lim->memory_ceiling = lim->memory_high.value;
        lim->memory_ceiling_is_high = true;
        (void)str_copy(lim->memory_ceiling_source, sizeof(lim->memory_ceiling_source),
                       lim->memory_high.source);
    }
}

void cgroup_read_limits(struct cgroup *cg, const struct config *cfg, struct cgroup_limits *lim)
{
    char buf[CG_SMALL_FILE], path[CG_PATH_MAX + 32];
    uint64_t total, avail;
    ssize_t len;
    unsigned count;

    memset(lim, 0, sizeof(*lim));
    (void)str_printf(path, sizeof(path), "%s/meminfo", cg->proc_root);
    len = read_file(path, buf, sizeof(buf));
    if (len >= 0 && proc_parse_meminfo(buf, (size_t)len, &total, &avail) == 0)
        set_value(&lim->mem_total, total, "%s MemTotal", path);
    else
        warnings_add(&cg->warnings, "cannot read MemTotal from %s", path);

    read_memory_limits(cg, lim);

    if (cg->cpu_dir[0]) {
        bool v2 = cg_exists_in(cg->cpu_dir, "cpu.max");
        const char *name = v2 ? "cpu.max" : "cpu.cfs_quota_us";
        dir_reader read = v2 ? read_cpu_max : read_cfs_quota;
        uint64_t millis;

        /* the walk skips what it cannot read; our own quota must not vanish silently */
        if (cg_exists_in(cg->cpu_dir, name) && read(cg->cpu_dir, name, &millis) < 0)
            warnings_add(&cg->warnings, "cannot parse %s/%s: expected %s", cg->cpu_dir, name,
                         v2 ? "\"QUOTA PERIOD\" or \"max PERIOD\""
                            : "a number of microseconds or -1");
        (void)walk_extreme(cg->cpu_dir, cg->cpu_top, name, read, false, &lim->cpu_quota);
    }
    if (cg->cpuset_dir[0]) {
        static const char *const names[] = {"cpuset.cpus.effective", "cpuset.effective_cpus",
                                            "cpuset.cpus"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
            len = cg_read_in(cg->cpuset_dir, names[i], buf, sizeof(buf));
            if (len >= 0 && cg_parse_cpulist(buf, (size_t)len, &count) == 0 && count > 0) {
                set_value(&lim->cpuset_cpus, count, "%s/%s", cg->cpuset_dir, names[i]);
                break;
            }
        }
    }
    lim->affinity_cpus = affinity_count();

    derive_memory(cg, cfg, lim);

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

bool cgroup_refresh_memory_limits(struct cgroup *cg, const struct config *cfg,
                                  struct cgroup_limits *lim)
{
    struct cgroup_limits now = *lim;
    const struct cg_value *had[] = {&lim->memory_max, &lim->memory_ancestors, &lim->memory_high};
    const struct cg_value *has[] = {&now.memory_max, &now.memory_ancestors, &now.memory_high};
    int nwarn = cg->warnings.n;
    unsigned dropped = cg->warnings.dropped;

    now.memory_max = now.memory_high = now.memory_ancestors = now.swap_max = (struct cg_value){0};
    now.oom_group = (struct cg_value){0};
    now.memory_ceiling_is_high = now.memory_unlimited = false;
    read_memory_limits(cg, &now);
    /* the start line told what could not be read; a later failure is not news */
    cg->warnings.n = nwarn;
    cg->warnings.dropped = dropped;
    for (size_t i = 0; i < ARRAY_SIZE(had); i++) {
        if (had[i]->present && !has[i]->present)
            return false; /* a file that went missing is not a limit lifted */
    }
    derive_memory(cg, cfg, &now);
    if (now.memory_limit == lim->memory_limit && now.memory_unlimited == lim->memory_unlimited &&
        now.memory_ceiling == lim->memory_ceiling &&
        now.memory_ceiling_is_high == lim->memory_ceiling_is_high)
        return false;
    now.oom_group = lim->oom_group; /* as at the start, which the OOM guard was chosen by */
    *lim = now;
    return true;
}

/* The OOM killer must not pick jeinit. It takes the largest process, but
 * once its victim is marked and its address space torn down, the victim's
 * pages can stay charged for a moment: a charge in that moment (a /proc or
 * cgroup file read allocates a kernel buffer) finds no other candidate and
 * kills jeinit, and the program's exit, the post-mortem and the exit line
 * are lost with it (seen on 6.18: jeinit reading 3 ms after memhog's kill).
 * With memory.oom.group set (the kubelet sets it on v2 since Kubernetes
 * 1.28) an OOM kill takes every process of the group, jeinit too. The
 * kernel never picks a process whose oom_score_adj is -1000
 * (OOM_SCORE_ADJ_MIN) and spares it from a group kill: jeinit asks for that
 * for itself alone, after the program was forked with the score it had.
 * Only with CAP_SYS_RESOURCE (not in a default or restricted pod):
 * otherwise it says why, and the memory lines are the evidence
 * (k8s/README.md). */
void cgroup_guard_oom(struct cgroup_limits *lim)
{
    static char why[160];
    bool group = lim->oom_group.present && lim->oom_group.value == 1;
    int fd, e;

    fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        e = errno;
    } else {
        e = -write_all(fd, "-1000", 5);
        (void)close(fd);
    }
    if (e == 0) {
        lim->oom_guarded = true;
        lim->oom_guard = group ? "oom_score_adj -1000: the OOM killer never picks jeinit, "
                                 "and a group OOM kill spares it"
                               : "oom_score_adj -1000: the OOM killer never picks jeinit";
        return;
    }
    (void)snprintf(why, sizeof(why), "cannot set oom_score_adj -1000 (%s%s): %s", strerror(e),
                   e == EACCES ? ", needs CAP_SYS_RESOURCE" : "",
                   group ? "a group OOM kill takes jeinit too"
                         : "the OOM killer can pick jeinit when nothing else is left to kill");
    lim->oom_guard = why;
}
