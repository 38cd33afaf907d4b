/* figures.c - see figures.h. Runs in the agent's thread only. */
#include "figures.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool ctl_read(mallctl_fn mallctl, const char *name, void *v, size_t size)
{
    size_t len = size;

    return mallctl(name, v, &len, NULL, 0) == 0 && len == size;
}

static uint64_t ctl_size(mallctl_fn mallctl, const char *name)
{
    size_t v = 0;

    return ctl_read(mallctl, name, &v, sizeof(v)) ? v : UINT64_MAX;
}

void ctl_refresh(mallctl_fn mallctl)
{
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);

    (void)mallctl("epoch", &epoch, &len, &epoch, len);
}

uint64_t ctl_purge_all(mallctl_fn mallctl)
{
    uint64_t before, after;

    ctl_refresh(mallctl);
    before = ctl_size(mallctl, "stats.resident");
    (void)mallctl("arena." MALLCTL_ARENAS_ALL ".purge", NULL, NULL, NULL, 0);
    ctl_refresh(mallctl);
    after = ctl_size(mallctl, "stats.resident");
    return before != UINT64_MAX && after != UINT64_MAX && before > after ? before - after : 0;
}

static void jemalloc_stats(mallctl_fn mallctl, struct agent_reply *r)
{
    unsigned narenas = 0;
    bool bg = false;
    const char *version = NULL;
    size_t len;

    r->allocator = AGENT_ALLOC_JEMALLOC;
    ctl_refresh(mallctl);
    r->allocated = ctl_size(mallctl, "stats.allocated");
    r->active = ctl_size(mallctl, "stats.active");
    r->metadata = ctl_size(mallctl, "stats.metadata");
    r->resident = ctl_size(mallctl, "stats.resident");
    r->mapped = ctl_size(mallctl, "stats.mapped");
    r->retained = ctl_size(mallctl, "stats.retained");
    if (r->resident != UINT64_MAX && r->allocated != UINT64_MAX)
        r->held = r->resident > r->allocated ? r->resident - r->allocated : 0;
    len = sizeof(narenas);
    if (mallctl("arenas.narenas", &narenas, &len, NULL, 0) == 0)
        r->narenas = narenas;
    len = sizeof(bg);
    if (mallctl("background_thread", &bg, &len, NULL, 0) == 0)
        r->background_enabled = bg;
    {
        uint64_t n = ctl_size(mallctl, "stats.background_thread.num_threads");
        r->background_threads = n == UINT64_MAX ? 0 : (uint32_t)n;
    }
    len = sizeof(version);
    if (mallctl("version", &version, &len, NULL, 0) == 0 && version)
        (void)strncpy(r->version_str, version, sizeof(r->version_str) - 1);
}

static uint64_t self_rss(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    unsigned long long size = 0, resident = 0;
    char *p;

    if (fd < 0)
        return UINT64_MAX;
    n = read(fd, buf, sizeof(buf) - 1);
    (void)close(fd);
    if (n <= 0)
        return UINT64_MAX;
    buf[n] = '\0';
    size = strtoull(buf, &p, 10);
    resident = strtoull(p, NULL, 10);
    (void)size;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void glibc_stats(mallinfo2_fn mallinfo2, struct agent_reply *r)
{
    struct mallinfo2 mi;

    if (!mallinfo2) {
        /* the user's own allocator (tcmalloc, mimalloc...): no figures */
        r->allocator = AGENT_ALLOC_UNKNOWN;
        (void)strncpy(r->version_str, "unknown", sizeof(r->version_str) - 1);
        return;
    }
    mi = mallinfo2();
    r->allocator = AGENT_ALLOC_GLIBC;
    r->allocated = mi.uordblks + mi.hblkhd;
    r->mapped = mi.arena + mi.hblkhd;
    r->held = mi.fordblks;
    (void)strncpy(r->version_str, "glibc", sizeof(r->version_str) - 1);
}

static uint64_t elapsed_ns(const struct timespec *t0)
{
    struct timespec t1;

    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)(t1.tv_nsec - t0->tv_nsec);
}

void agent_answer(const struct agent_request *req, struct agent_reply *r, mallctl_fn mallctl,
                  mallinfo2_fn mallinfo2)
{
    struct timespec t0;

    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(r, 0, sizeof(*r));
    r->magic = AGENT_MAGIC;
    r->version = AGENT_VERSION;
    r->seq = req->seq;
    r->allocated = r->active = r->metadata = r->resident = r->mapped = r->retained = r->held =
        UINT64_MAX;
    r->type = req->type == AGENT_PURGE ? AGENT_PURGED : AGENT_STATS;
    if (req->type == AGENT_PURGE && mallctl) {
        r->purged = ctl_purge_all(mallctl);
    } else if (req->type == AGENT_PURGE) {
        uint64_t before = self_rss(), after;
        (void)malloc_trim(0);
        after = self_rss();
        r->purged =
            (before != UINT64_MAX && after != UINT64_MAX && before > after) ? before - after : 0;
    }
    if (mallctl)
        jemalloc_stats(mallctl, r);
    else
        glibc_stats(mallinfo2, r);
    r->cost_ns = elapsed_ns(&t0);
}
