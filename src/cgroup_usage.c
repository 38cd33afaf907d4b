/* cgroup_usage.c - what the container is using, at every sample: usage,
 * peak, memory.stat, the event counters and PSI, into fixed buffers. Each
 * file is opened once, relative to the memory directory (no path walks),
 * kept open and read again from offset 0: a container that later runs out
 * of descriptors still gets its cgroup figures. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_io.h"
#include "util.h"

/* memory.stat-sized files: shared with cgroup_limits.c (v1's memory.stat). */
char cg_stat_buf[CG_STAT_FILE];

/* name in the memory directory, through the descriptor kept in slot (opened
 * the first time; a file that cannot be opened now is tried again next
 * time, and meanwhile read with read_file_at's reserve descriptor). */
static ssize_t read_kept(struct cgroup *cg, enum cg_kept slot, const char *name, char *buf,
                         size_t bufsz)
{
    int *fd = &cg->kept[slot];

    if (*fd < 0) {
        *fd = openat(cg->memfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (*fd < 0)
            return read_file_at(cg->memfd, name, buf, bufsz);
    }
    return read_regular(*fd, buf, bufsz, true);
}

static uint64_t read_u64_kept(struct cgroup *cg, enum cg_kept slot, const char *name)
{
    char buf[64];
    ssize_t len = read_kept(cg, slot, name, buf, sizeof(buf));
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
        len = read_kept(cg, CG_KEPT_EVENTS, "memory.events", cg_stat_buf, sizeof(cg_stat_buf));
        if (len < 0)
            return;
        (void)cg_parse_keyed(cg_stat_buf, (size_t)len, ev, ARRAY_SIZE(ev), &n, NULL);
        u->ev_low = cg_kv_get(ev, n, "low", &x) == 0 ? x : UINT64_MAX;
        u->ev_high = cg_kv_get(ev, n, "high", &x) == 0 ? x : UINT64_MAX;
        u->ev_max = cg_kv_get(ev, n, "max", &x) == 0 ? x : UINT64_MAX;
        u->ev_oom = cg_kv_get(ev, n, "oom", &x) == 0 ? x : UINT64_MAX;
        u->ev_oom_kill = cg_kv_get(ev, n, "oom_kill", &x) == 0 ? x : UINT64_MAX;
        return;
    }
    u->ev_max = read_u64_kept(cg, CG_KEPT_EVENTS, "memory.failcnt");
    len = read_kept(cg, CG_KEPT_OOM, "memory.oom_control", cg_stat_buf, sizeof(cg_stat_buf));
    if (len < 0)
        return;
    (void)cg_parse_keyed(cg_stat_buf, (size_t)len, ev, ARRAY_SIZE(ev), &n, NULL);
    u->ev_oom_kill = cg_kv_get(ev, n, "oom_kill", &x) == 0 ? x : UINT64_MAX;
    u->under_oom = cg_kv_get(ev, n, "under_oom", &x) == 0 && x > 0;
}

static void read_pressure(struct cgroup *cg, struct cgroup_usage *u)
{
    char path[CG_PATH_MAX + 32], buf[512];
    ssize_t len = -ENOENT;

    if (cg->memory_version == 2 && cg->memfd >= 0) {
        len = read_kept(cg, CG_KEPT_PRESSURE, "memory.pressure", buf, sizeof(buf));
        if (len >= 0 && cg_parse_pressure(buf, (size_t)len, &u->psi) == 0) {
            u->psi_scope = "cgroup";
            return;
        }
    }
    /* v1, or PSI off for cgroups: the whole machine's pressure, said so */
    (void)str_printf(path, sizeof(path), "%s/pressure/memory", cg->proc_root);
    if (cg->memory_version == 1 && cg->kept[CG_KEPT_PRESSURE] < 0)
        cg->kept[CG_KEPT_PRESSURE] = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (cg->memory_version == 1 && cg->kept[CG_KEPT_PRESSURE] >= 0)
        len = read_regular(cg->kept[CG_KEPT_PRESSURE], buf, sizeof(buf), true);
    else
        len = read_file(path, buf, sizeof(buf));
    if (len >= 0 && cg_parse_pressure(buf, (size_t)len, &u->psi) == 0)
        u->psi_scope = "system";
}

uint64_t cgroup_read_current(struct cgroup *cg)
{
    if (cg->memfd < 0)
        return UINT64_MAX;
    return read_u64_kept(cg, CG_KEPT_CURRENT,
                         cg->memory_version == 2 ? "memory.current" : "memory.usage_in_bytes");
}

uint64_t cgroup_read_file_pages(struct cgroup *cg)
{
    static const char *const keys[2][2] = {{"total_active_file", "total_inactive_file"},
                                           {"active_file", "inactive_file"}};
    const char *const *k = keys[cg->memory_version == 2];
    ssize_t len;
    uint64_t a, i;

    if (cg->memfd < 0)
        return UINT64_MAX;
    /* cg_stat_buf: every sample reads memory.stat into it, so it is resident */
    len = read_kept(cg, CG_KEPT_STAT, "memory.stat", cg_stat_buf, sizeof(cg_stat_buf));
    if (len < 0 || cg_keyed_find(cg_stat_buf, (size_t)len, k[0], &a) < 0 ||
        cg_keyed_find(cg_stat_buf, (size_t)len, k[1], &i) < 0 || a > UINT64_MAX - i)
        return UINT64_MAX;
    return a + i;
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
    u->current = cgroup_read_current(cg);
    u->peak = read_u64_kept(cg, CG_KEPT_PEAK,
                            cg->memory_version == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
    read_events(cg, u);
    return true;
}

void cgroup_read_usage(struct cgroup *cg, struct cgroup_usage *u)
{
    ssize_t len;

    if (cgroup_read_counters(cg, u)) {
        len = read_kept(cg, CG_KEPT_STAT, "memory.stat", cg_stat_buf, sizeof(cg_stat_buf));
        if (len >= 0)
            (void)cg_parse_keyed(cg_stat_buf, (size_t)len, u->stat, CG_STAT_MAX, &u->nstat, NULL);
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
            u->kernel = read_u64_kept(cg, CG_KEPT_KMEM, "memory.kmem.usage_in_bytes");
            u->sock = read_u64_kept(cg, CG_KEPT_KMEM_TCP, "memory.kmem.tcp.usage_in_bytes");
        }
        if (u->current != UINT64_MAX)
            u->working_set =
                u->current - (u->inactive_file != UINT64_MAX && u->inactive_file < u->current
                                  ? u->inactive_file
                                  : 0);
    }
    read_pressure(cg, u);
}
