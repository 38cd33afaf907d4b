/* memlock.c - see memlock.h. */
#include "memlock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "parse.h"
#include "scan.h"
#include "util.h"

/* jeinit's maps are 12-40 lines (1-4 KiB); a longer file is locked as far
 * as it was read. */
#define MAPS_MAX    8192
#define MINCORE_VEC 4096 /* pages per mincore() call: 16 MiB */
/* An anonymous mapping this large is a reservation (a sanitizer's shadow,
 * a NORESERVE arena), not PID 1's working memory: not scanned page by page. */
#define ANON_SCAN_MAX ((uintptr_t)256 << 20)

struct walk {
    size_t page;
    bool lock;                  /* false: count only */
    bool anon;                  /* the anonymous pages too */
    uint64_t files, anon_bytes; /* counted, or locked so far */
    const char *failed;         /* the call that failed, with errno */
};

static int lock_range(struct walk *wk, uintptr_t start, uintptr_t end, uint64_t *bytes)
{
    if (end <= start)
        return 0;
    if (wk->lock && mlock2((void *)start, end - start, MLOCK_ONFAULT) < 0) {
        wk->failed = "mlock2";
        return -errno;
    }
    *bytes += end - start;
    return 0;
}

/* The runs of resident pages in [start, end). */
static int lock_resident(struct walk *wk, uintptr_t start, uintptr_t end)
{
    unsigned char vec[MINCORE_VEC];

    while (start < end) {
        size_t pages = (end - start) / wk->page, run = 0;
        int r;

        if (pages == 0) /* never: mappings are whole pages */
            return 0;
        if (pages > sizeof(vec))
            pages = sizeof(vec);
        if (mincore((void *)start, pages * wk->page, vec) < 0) {
            wk->failed = "mincore";
            return -errno;
        }
        for (size_t i = 0; i <= pages; i++) {
            if (i < pages && (vec[i] & 1)) {
                run++;
                continue;
            }
            r = lock_range(wk, start + (i - run) * wk->page, start + i * wk->page, &wk->anon_bytes);
            if (r < 0)
                return r;
            run = 0;
        }
        start += pages * wk->page;
    }
    return 0;
}

static int walk_maps(struct walk *wk, const char *maps, size_t len)
{
    struct scan_lines it = {maps, len};
    const char *line;
    size_t n;

    while (scan_line(&it, &line, &n)) {
        struct memlock_map m;
        int r = 0;

        if (memlock_parse_maps_line(line, n, &m) < 0)
            continue;
        if (m.kind == MEMLOCK_FILE)
            r = lock_range(wk, m.start, m.end, &wk->files);
        else if (m.kind == MEMLOCK_ANON && wk->anon && m.end - m.start <= ANON_SCAN_MAX)
            r = lock_resident(wk, m.start, m.end);
        else if (m.kind == MEMLOCK_STACK && wk->anon)
            r = lock_resident(wk, m.start + wk->page, m.end);
        if (r < 0)
            return r;
    }
    return 0;
}

static uint64_t rlim_bytes(rlim_t v)
{
    return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

static bool wanted(char *const envp[])
{
    const char *v = env_lookup(envp, "JEINIT_MEMLOCK");
    bool on = true;

    if (v && *v && parse_bool(v, &on) < 0) {
        log_msg(LOG_WARN, "memlock", "ignoring JEINIT_MEMLOCK='%.64s': expected 1 or 0; locking",
                v);
        return true;
    }
    return on;
}

static void format_kib(char *buf, size_t sz, uint64_t bytes)
{
    if (bytes == UINT64_MAX)
        (void)str_copy(buf, sz, "unlimited");
    else
        (void)str_printf(buf, sz, "%llu KiB", (unsigned long long)(bytes / 1024));
}

/* Not locked: the reason, and the one warning. over_limit: the need is
 * above the hard limit, which is then the reason, whatever mlock2 said. */
static void give_up(struct memlock *m, uint64_t hard, bool over_limit, const char *call, int err)
{
    char need[32], soft_s[32], hard_s[32];

    format_kib(need, sizeof(need), m->need);
    format_kib(soft_s, sizeof(soft_s), m->limit);
    format_kib(hard_s, sizeof(hard_s), hard);
    if (over_limit)
        (void)str_printf(m->reason, sizeof(m->reason),
                         "RLIMIT_MEMLOCK %s (hard %s) is below the %s to lock", soft_s, hard_s,
                         need);
    else
        (void)str_printf(m->reason, sizeof(m->reason), "%s failed: %s (RLIMIT_MEMLOCK %s, hard %s)",
                         call, strerror(err), soft_s, hard_s);
    log_msg(LOG_WARN, "memlock",
            "cannot lock jeinit in memory: %s; under memory.high PID 1 may then be slow to "
            "forward signals (raise the limit, e.g. docker run --ulimit memlock=8388608, or "
            "grant CAP_IPC_LOCK)",
            m->reason);
}

/* /proc/self/maps, read into here: memlock_self and memlock_refresh. */
static char maps[MAPS_MAX];

static ssize_t read_maps(void)
{
    ssize_t len = read_file("/proc/self/maps", maps, sizeof(maps));

    if (len == (ssize_t)sizeof(maps) - 1) { /* cut: its last line may be too */
        const char *nl = memrchr(maps, '\n', (size_t)len);
        len = nl ? nl - maps + 1 : 0;
    }
    return len;
}

void memlock_refresh(struct memlock *m)
{
    struct walk wk = {.page = (size_t)sysconf(_SC_PAGESIZE), .anon = true};
    ssize_t len;

    if (!m->locked || m->files_only)
        return;
    len = read_maps();
    if (len < 0 || walk_maps(&wk, maps, (size_t)len) < 0)
        return;
    if (m->limit != UINT64_MAX && wk.files + wk.anon_bytes > m->limit)
        return; /* what is locked stays; the rest would not fit */
    wk = (struct walk){.page = wk.page, .lock = true, .anon = true};
    (void)walk_maps(&wk, maps, (size_t)len); /* a failure keeps the earlier locks */
}

void memlock_self(char *const envp[], struct memlock *m)
{
    char status[4096], kib[2][32];
    struct walk wk = {.page = (size_t)sysconf(_SC_PAGESIZE), .anon = true};
    struct memlock_plan plan;
    struct rlimit rl;
    uint64_t hard;
    ssize_t len;
    int r;

    *m = (struct memlock){.need = UINT64_MAX, .limit = UINT64_MAX};
    if (!wanted(envp)) {
        (void)str_copy(m->reason, sizeof(m->reason), "turned off by JEINIT_MEMLOCK");
        return;
    }
    if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
        give_up(m, UINT64_MAX, false, "getrlimit", errno);
        return;
    }
    m->limit = rlim_bytes(rl.rlim_cur);
    hard = rlim_bytes(rl.rlim_max);
    len = read_maps();
    if (len < 0) {
        give_up(m, hard, false, "reading /proc/self/maps", (int)-len);
        return;
    }
    r = walk_maps(&wk, maps, (size_t)len);
    if (r < 0) {
        give_up(m, hard, false, wk.failed, -r);
        return;
    }
    m->need = wk.files + wk.anon_bytes;
    plan = memlock_decide(wk.files, wk.anon_bytes, m->limit, hard);
    if (plan.raise) {
        /* the program was spawned already: it keeps the limits it was given */
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
            m->raised = true;
            m->limit = hard;
        }
    }
    wk = (struct walk){.page = wk.page, .lock = true, .anon = plan.anon};
    r = walk_maps(&wk, maps, (size_t)len);
    if (r < 0) {
        (void)munlockall(); /* no half-locked state */
        give_up(m, hard, plan.over, wk.failed, -r);
        return;
    }
    m->locked = true;
    if (!plan.anon) {
        m->files_only = true;
        format_kib(kib[0], sizeof(kib[0]), m->limit);
        format_kib(kib[1], sizeof(kib[1]), m->need - wk.files);
        (void)str_printf(m->reason, sizeof(m->reason),
                         "RLIMIT_MEMLOCK %s leaves out the %s of resident anonymous pages", kib[0],
                         kib[1]);
    }
    len = read_file("/proc/self/status", status, sizeof(status));
    m->bytes = wk.files + wk.anon_bytes;
    if (len >= 0)
        (void)memlock_parse_vmlck(status, (size_t)len, &m->bytes);
}

void memlock_report(struct jw *w, const char *key, const struct memlock *m)
{
    const char *how = m->files_only ? "mlock2 onfault, file pages only" : "mlock2 onfault";

    jw_map_open(w, key);
    jw_bool(w, "locked", m->locked);
    jw_u64(w, "bytes", m->locked ? m->bytes : 0);
    jw_u64_or_null(w, "need_bytes", m->need);
    jw_u64_or_null(w, "limit_bytes", m->limit);
    jw_bool(w, "raised", m->raised);
    jw_str(w, "how", m->locked ? how : NULL);
    jw_str(w, "reason", m->reason[0] ? m->reason : NULL);
    jw_map_close(w);
}
