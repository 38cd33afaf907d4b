/* memevents.c - what happens to the cgroup's memory between samples, told as
 * it happens: OOM kills (a post-mortem: the victim, the processes gone, the
 * largest, the last samples and the diagnosis before the kill), the event
 * counters (memory.high, memory.max, oom) and pressure crossing its
 * threshold. Part of the monitor (monitor.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "log.h"
#include "monitor.h"
#include "procfs_parse.h"
#include "report.h"
#include "util.h"

/* Exited: reaped (no such process) or a zombie (not told near the limit:
 * reading /proc charges the cgroup, see memevents_tight). */
static bool process_gone(struct monitor *m, pid_t pid)
{
    char path[48], buf[512];
    struct proc_stat st;
    ssize_t len;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    if (memevents_tight(m))
        return false;
    (void)str_printf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    len = read_file(path, buf, sizeof(buf));
    if (len < 0)
        return len == -ENOENT || len == -ESRCH;
    return proc_parse_stat(buf, (size_t)len, &st) == 0 && st.state == 'Z';
}

/* What a gone process's entry takes at most (pid, a comm of 15 bytes
 * escaped, 20 digits of RSS, the keys): the list stops short of the limit. */
#define GONE_ENTRY_MAX 160

static void postmortem(struct monitor *m, uint64_t count)
{
    struct jw *w = log_report(LOG_ERROR, "oom_kill");
    size_t first = m->wlen > 6 ? m->wlen - 6 : 0, omitted = 0;
    int64_t now = now_mono_ms();
    char msg[128], usage[24];

    m->oom_kills += count;
    report_human_bytes(m->usage.current == UINT64_MAX ? 0 : m->usage.current, usage, sizeof(usage));
    if (m->killed_pid && now - m->killed_ms < 5000)
        (void)str_printf(msg, sizeof(msg), "OOM kill: %s (pid %d) killed at %s, %s before",
                         m->killed_comm[0] ? m->killed_comm : "a process", (int)m->killed_pid,
                         usage, diag_state_name(m->oom_diag.state));
    else
        (void)str_printf(msg, sizeof(msg), "OOM kill: %llu process(es) killed at %s, %s before",
                         (unsigned long long)count, usage, diag_state_name(m->oom_diag.state));
    jw_str(w, "msg", msg);
    jw_u64(w, "count", count);
    jw_u64(w, "total", m->oom_kills);
    jw_u64(w, "limit_bytes", m->lim->memory_limit);
    /* usage when last sampled, and the cgroup's high-water mark */
    jw_u64_or_null(w, "usage_bytes", m->usage.current);
    jw_u64_or_null(w, "peak_bytes", m->usage.peak);
    if (m->killed_pid && now - m->killed_ms < 5000) {
        jw_map_open(w, "victim");
        jw_i64(w, "pid", m->killed_pid);
        jw_str(w, "comm", m->killed_comm[0] ? m->killed_comm : NULL);
        jw_map_close(w);
    }
    if (m->noom_procs > 0) {
        const struct proc_sample *p = &m->oom_procs[0];
        jw_map_open(w, "largest");
        jw_i64(w, "pid", p->pid);
        jw_str(w, "comm", p->comm);
        jw_u64_or_null(w, "rss_bytes", p->rss);
        jw_u64_or_null(w, "allocated_bytes", p->allocated); /* fresh and plausible only */
        jw_map_close(w);
    }
    jw_array_open(w, "last_samples");
    for (size_t i = first; i < m->wlen; i++) {
        const struct diag_sample *d = &m->window[i];
        jw_map_open(w, NULL);
        jw_double(w, "t_s", (double)(d->t_ms - now) / 1000.0, 1);
        jw_u64_or_null(w, "usage_bytes", d->usage);
        jw_u64_or_null(w, "anon_bytes", d->anon);
        jw_u64_or_null(w, "file_bytes", d->file);
        jw_u64_or_null(w, "rss_bytes", d->rss);
        jw_u64_or_null(w, "allocated_bytes", d->allocated);
        jw_map_close(w);
    }
    jw_array_close(w);
    /* the same object as in memory lines: one type per field name */
    jw_map_open(w, "diagnosis");
    jw_str(w, "state", diag_state_name(m->oom_diag.state));
    jw_str(w, "why", m->oom_diag.why[0] ? m->oom_diag.why : "no samples before the kill");
    jw_map_close(w);
    /* the OOM killer takes the largest: the processes of the sample before
     * the kill that are gone now name the victim when its parent, not
     * jeinit, reaped it (last, as many as fit in the line) */
    jw_array_open(w, "gone_since_last_sample");
    for (size_t i = 0; i < m->noom_procs; i++) {
        const struct proc_sample *p = &m->oom_procs[i];
        if (!process_gone(m, p->pid))
            continue;
        if (log_room(w) < GONE_ENTRY_MAX + 64) {
            omitted++;
            continue;
        }
        jw_map_open(w, NULL);
        jw_i64(w, "pid", p->pid);
        jw_str(w, "comm", p->comm);
        jw_u64_or_null(w, "rss_bytes", p->rss);
        jw_map_close(w);
    }
    jw_array_close(w);
    if (omitted)
        jw_u64(w, "gone_omitted", omitted);
    log_end(w);
}

/* A sample sees the OOM counter move before jeinit reaps the victim (or
 * never, when its parent reaps it): the post-mortem waits a moment so that a
 * reap can name the victim. */
#define OOM_WAIT_MS 300

void memevents_flush_oom(struct monitor *m)
{
    if (m->oom_pending == 0)
        return;
    if (memevents_tight(m))
        memevents_hold(m);
    postmortem(m, m->oom_pending);
    m->oom_pending = 0;
    if (m->oom_tfd >= 0)
        (void)timer_arm(m->oom_tfd, 0, 0);
}

/* OOM kills since the last look. reaped: a SIGKILLed child was just reaped,
 * the likely victim: report now. */
void memevents_check_oom(struct monitor *m, bool reaped)
{
    uint64_t seen = m->usage.ev_oom_kill;

    if (seen == UINT64_MAX)
        return;
    if (!m->oom_base_known) {
        m->oom_base = seen;
        m->oom_base_known = true;
        return;
    }
    if (seen > m->oom_base + m->oom_kills + m->oom_pending) {
        /* the wait starts with the first kill seen, and is not pushed back */
        bool waiting = m->oom_pending > 0;
        if (!waiting) {
            /* the view before the kill: the previous sample when a sample
             * saw it, the last one when a reap did */
            m->noom_procs = m->nlast;
            memcpy(m->oom_procs, m->last_procs, m->nlast * sizeof(m->last_procs[0]));
            m->oom_diag = reaped ? m->diag : m->prev_diag;
        }
        m->oom_pending = seen - m->oom_base - m->oom_kills;
        if (!reaped && !waiting && m->oom_tfd >= 0)
            (void)timer_arm(m->oom_tfd, OOM_WAIT_MS, 0);
    }
    if (m->oom_pending > 0 && (reaped || m->oom_tfd < 0))
        memevents_flush_oom(m);
}

/* Reading a fresh /proc file charges the cgroup (the open file, proc
 * inodes, the seq_file buffer: a few KiB). At the limit, with no page cache
 * to reclaim, that charge is an OOM kill waiting to happen, and one made
 * while the kernel cannot see the victim of the kill before it takes
 * somebody else: once an OOM-killed process's leader has exited, the
 * thread that tears its address space down (milliseconds per 100 MB)
 * belongs to a process the OOM killer's task iterator skips (a dead leader
 * with no live thread), so a charge that enters reclaim before the kill and
 * retries after it kills a bystander, or jeinit. Before this guard: a
 * second kill in 4 runs of 30 (512 MiB OOM, 150 processes, --interval 0.1),
 * none with the monitor off, and in CI jeinit killed 2 ms after its
 * program. So near the limit, jeinit reads only the descriptors it keeps
 * open, which allocate nothing, and the processes keep the last figures. */
#define TIGHT_ROOM_MIN (1ull << 20)
#define TIGHT_ROOM_MAX (32ull << 20)

bool memevents_tight(struct monitor *m)
{
    uint64_t limit = m->lim->memory_limit, current, room, reclaimable;

    if (m->lim->memory_unlimited || limit == 0)
        return false;
    current = cgroup_read_current(m->cg);
    room = limit / 64;
    room = room < TIGHT_ROOM_MIN ? TIGHT_ROOM_MIN : room > TIGHT_ROOM_MAX ? TIGHT_ROOM_MAX : room;
    if (current == UINT64_MAX || current + room <= limit)
        return false;
    /* page cache that reclaim can take first: the charge then succeeds */
    reclaimable = cgroup_read_file_pages(m->cg);
    return reclaimable == UINT64_MAX || reclaimable < 2 * room;
}

/* The log's part of the same discipline: a line written charges a page of
 * the log file's cache or of the pipe, and at the limit, while a victim is
 * torn down, that charge is a second OOM kill (after the guard above, 5
 * runs in 300 of tests/bench/oomrace.sh had one, 0 with the hold: jeinit's
 * write(), or the first touch of a table's page, dmesg said). The victim's
 * memory is back within milliseconds per 100 MB; a cgroup that stays at the
 * limit (a program that holds there) gets its lines HOLD_MAX_MS late,
 * stamped with their own time. */
#define HOLD_CHECK_MS 20
#define HOLD_MAX_MS   2000

void memevents_hold(struct monitor *m)
{
    /* with memory.oom.group an OOM kill takes the whole group: no bystander
     * is left for a charge to kill, and jeinit, unless spared (-1000), dies
     * with the group, taking a held line with it: the last lines before the
     * kill are the evidence, so they go out at once */
    if (m->lim->oom_group.present && m->lim->oom_group.value == 1)
        return;
    if (m->held_ms || m->hold_tfd < 0 || timer_arm(m->hold_tfd, HOLD_CHECK_MS, HOLD_CHECK_MS) < 0)
        return;
    m->held_ms = now_mono_ms();
    m->log_holds++;
    log_hold(true);
}

void memevents_release(struct monitor *m)
{
    if (!m->held_ms)
        return;
    m->held_ms = 0;
    (void)timer_arm(m->hold_tfd, 0, 0);
    log_hold(false);
}

void memevents_on_hold(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;

    (void)events;
    timer_ack(src->fd);
    if (m->held_ms && now_mono_ms() - m->held_ms < HOLD_MAX_MS && memevents_tight(m))
        return;
    memevents_release(m);
}

/* The limits a Kubernetes in-place resize (or an operator's write) changes
 * while the program runs: what the memory lines, the diagnosis, the purge
 * and the guard above judge against follows them. The allocator's settings
 * were made for the limit at the start, and stay. */
#define LIMITS_EVERY_MS 1000
#define STAY            "; the allocator settings made at the start stay"

void memevents_limits(struct monitor *m, int64_t now)
{
    struct cgroup_limits *lim = m->lim;
    uint64_t before = lim->memory_limit, ceiling_before = lim->memory_ceiling;
    bool was_unlimited = lim->memory_unlimited;
    char msg[256], from[24], to[24];
    struct jw *w;

    if (m->limits_ms && now - m->limits_ms < LIMITS_EVERY_MS)
        return;
    m->limits_ms = now;
    if (!cgroup_refresh_memory_limits(m->cg, m->cfg, lim))
        return;
    m->bounds.ceiling = m->policy.ceiling = mon_ceiling(lim);
    m->bounds.ceiling_is_high = lim->memory_ceiling_is_high;
    if (before != lim->memory_limit || was_unlimited != lim->memory_unlimited) {
        report_human_bytes(before, from, sizeof(from));
        report_human_bytes(lim->memory_limit, to, sizeof(to));
        (void)str_printf(msg, sizeof(msg), "the memory limit changed: %s to %s%s",
                         was_unlimited ? "none" : from, lim->memory_unlimited ? "none" : to, STAY);
    } else {
        report_human_bytes(ceiling_before, from, sizeof(from));
        report_human_bytes(lim->memory_ceiling, to, sizeof(to));
        (void)str_printf(msg, sizeof(msg), "the memory ceiling changed (memory.high): %s to %s%s",
                         from, to, STAY);
    }
    w = log_report(LOG_WARN, "memory_limit");
    jw_str(w, "msg", msg);
    jw_u64(w, "limit_bytes", lim->memory_limit);
    jw_bool(w, "limit_unlimited", lim->memory_unlimited);
    jw_u64(w, "previous_limit_bytes", before);
    jw_bool(w, "previous_unlimited", was_unlimited);
    jw_str(w, "source", lim->memory_limit_source);
    jw_u64(w, "ceiling_bytes", lim->memory_ceiling);
    jw_u64(w, "previous_ceiling_bytes", ceiling_before);
    jw_str(w, "ceiling_source", lim->memory_ceiling_source);
    log_end(w);
}

void memevents_on_oom_wait(struct loop_source *src, uint32_t events)
{
    (void)events;
    timer_ack(src->fd);
    memevents_flush_oom(src->ctx);
}

static void check_counter(const char *event, const char *what, uint64_t now, uint64_t before)
{
    uint64_t d = mon_delta(now, before);
    struct jw *w;

    if (d == UINT64_MAX || d == 0)
        return;
    w = log_report(LOG_WARN, event);
    jw_u64(w, "count", d);
    jw_u64(w, "total", now);
    jw_str(w, "msg", what);
    log_end(w);
}

static void check_counters(const struct cgroup_usage *u, const struct cgroup_usage *p)
{
    check_counter("memory_high",
                  "usage went over memory.high: the kernel reclaimed and "
                  "throttled the container",
                  u->ev_high, p->ev_high);
    check_counter("memory_max",
                  "usage reached the memory limit: the kernel had to reclaim "
                  "before allocating",
                  u->ev_max, p->ev_max);
    check_counter("oom", "the cgroup ran out of memory", u->ev_oom, p->ev_oom);
}

void memevents_check(struct monitor *m)
{
    const struct cgroup_usage *u = &m->usage;

    if (m->have_prev)
        check_counters(u, &m->prev);
    memevents_check_oom(m, false);
    if (u->psi_scope) {
        bool high = u->psi.some.avg10 >= (double)m->cfg->pressure_percent;
        if (high != m->pressure_high) {
            struct jw *w = log_report(high ? LOG_WARN : LOG_INFO, "pressure");
            char msg[96];
            (void)str_printf(
                msg, sizeof(msg), "memory pressure %s: some avg10 %.1f%% (threshold %u%%)",
                high ? "high" : "back to normal", u->psi.some.avg10, m->cfg->pressure_percent);
            jw_str(w, "msg", msg);
            jw_str(w, "state", high ? "high" : "normal");
            jw_str(w, "scope", u->psi_scope);
            jw_double(w, "some_avg10", u->psi.some.avg10, 2);
            jw_double(w, "full_avg10", u->psi.full.present ? u->psi.full.avg10 : 0.0, 2);
            jw_u64(w, "threshold_pct", m->cfg->pressure_percent);
            log_end(w);
            m->pressure_high = high;
        }
    }
}

/* At exit: what changed since the last sample (or since the start, when
 * there was none) is told as it would have been by the next sample. Only
 * the counters and usage are read: the last sample's other figures stay. */
void memevents_final(struct monitor *m, const struct cgroup_usage *now)
{
    struct cgroup_usage *u = &m->usage;

    check_counters(now, u);
    u->ev_low = now->ev_low;
    u->ev_high = now->ev_high;
    u->ev_max = now->ev_max;
    u->ev_oom = now->ev_oom;
    u->ev_oom_kill = now->ev_oom_kill;
    if (now->current != UINT64_MAX)
        u->current = now->current;
    if (now->peak != UINT64_MAX)
        u->peak = now->peak;
    memevents_check_oom(m, false);
    memevents_flush_oom(m);
}
