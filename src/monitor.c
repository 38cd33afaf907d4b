/* monitor.c - see monitor.h. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "procfs_parse.h"
#include "report.h"
#include "util.h"

#define MiB (1024.0 * 1024.0)

/* Shared by the scans; touched only as far as there are processes. */
static struct proc_entry all_procs[PROCTREE_MAX];
static unsigned char member[PROCTREE_MAX];

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* --- processes --------------------------------------------------------------- */

/* PSS walks every page table of the process (1-2 ms for a 30 MB Python
 * worker, under its mmap lock): RSS is read every sample, PSS again after
 * 30 s or as soon as RSS moved by more than an eighth since. */
#define PSS_REFRESH_MS 30000

static int by_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_sample *)a)->pid, y = ((const struct proc_sample *)b)->pid;

    return (x > y) - (x < y);
}

/* Within 1/32 (3%) of each other: a PSS read at RSS b still describes RSS a. */
static bool rss_close(uint64_t a, uint64_t b)
{
    uint64_t d = a > b ? a - b : b - a;

    return d <= b / 32;
}

static void read_process_memory(struct monitor *m, struct proc_sample *p, int64_t now)
{
    char path[48], buf[4096];
    struct proc_mem mem;
    const struct proc_sample *cached;
    ssize_t len;

    p->rss = p->pss = p->anon = p->swap = UINT64_MAX;
    (void)str_printf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
    len = read_file(path, buf, sizeof(buf));
    if (len < 0 || proc_parse_status_rss(buf, (size_t)len, &mem) < 0)
        return;
    p->rss = mem.rss;
    p->anon = mem.anonymous;
    p->swap = mem.swap;
    cached = bsearch(p, m->pss_cache, m->npss, sizeof(m->pss_cache[0]), by_pid);
    if (cached && cached->pss != UINT64_MAX && cached->pss <= p->rss &&
        now - cached->pss_ms < PSS_REFRESH_MS && rss_close(p->rss, cached->pss_rss)) {
        p->pss = cached->pss;
        p->pss_ms = cached->pss_ms;
        p->pss_rss = cached->pss_rss;
        return;
    }
    (void)str_printf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)p->pid);
    len = read_file(path, buf, sizeof(buf));
    if (len >= 0 && proc_parse_smaps_rollup(buf, (size_t)len, &mem) == 0) {
        p->pss = mem.pss;
        p->pss_ms = now;
        p->pss_rss = p->rss;
    }
}

static int by_rss_desc(const void *a, const void *b)
{
    uint64_t x = ((const struct proc_sample *)a)->rss, y = ((const struct proc_sample *)b)->rss;

    if (x == UINT64_MAX)
        x = 0;
    if (y == UINT64_MAX)
        y = 0;
    return (x < y) - (x > y);
}

static int64_t diff(uint64_t now, uint64_t before)
{
    return (int64_t)now - (int64_t)before;
}

/* The agents' figures, and their change since the last sample over the
 * processes that reported in both (procs and the cache sorted by pid): a
 * worker that starts or exits is not growth or shrinkage. */
static void measure_step(struct monitor *m)
{
    struct diag_sample *d = &m->step;

    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < m->nprocs; i++) {
        struct proc_sample *p = &m->procs[i];
        const struct proc_sample *before;
        bool usable = p->agent && p->fresh && p->agent->stats.allocated != UINT64_MAX &&
                      p->agent->stats.held != UINT64_MAX && p->rss != UINT64_MAX;

        p->allocated = usable ? p->agent->stats.allocated : UINT64_MAX;
        p->held = usable ? p->agent->stats.held : UINT64_MAX;
        if (!usable)
            continue;
        before = bsearch(p, m->pss_cache, m->npss, sizeof(m->pss_cache[0]), by_pid);
        if (!before || before->allocated == UINT64_MAX || before->rss == UINT64_MAX)
            continue;
        d->has_delta = true;
        d->d_allocated += diff(p->allocated, before->allocated);
        d->d_held += diff(p->held, before->held);
        d->d_agent_rss += diff(p->rss, before->rss);
    }
}

/* The container's processes: all of the namespace as PID 1, else jeinit and
 * its descendants. Zombies have no memory to report. */
static void scan_processes(struct monitor *m)
{
    int64_t now = now_mono_ms();
    size_t n = 0;
    int r = proctree_scan(&m->tree, all_procs, PROCTREE_MAX, &n);

    m->nprocs = m->nskipped = 0;
    if (r < 0 && r != -ENOSPC)
        return;
    if (!m->pid1)
        (void)proctree_descendants(all_procs, n, m->self, member);
    for (size_t i = 0; i < n; i++) {
        struct proc_sample *p;
        bool ours = m->pid1 || all_procs[i].pid == m->self || member[i];
        if (!ours || all_procs[i].state == 'Z')
            continue;
        if (m->nprocs >= MON_PROCS_MAX) {
            m->nskipped++;
            continue;
        }
        p = &m->procs[m->nprocs++];
        memset(p, 0, sizeof(*p));
        p->pid = all_procs[i].pid;
        (void)str_copy(p->comm, sizeof(p->comm), all_procs[i].comm);
        read_process_memory(m, p, now);
    }
    /* match agents: one pass over the slots, binary search in the pids */
    qsort(m->procs, m->nprocs, sizeof(m->procs[0]), by_pid);
    for (size_t i = 0; m->hub && i < m->hub->top; i++) {
        const struct agent_slot *s = &m->hub->slots[i];
        struct proc_sample key = {.pid = s->pid}, *p;
        if (s->src.fd < 0 || !s->has_stats)
            continue;
        p = bsearch(&key, m->procs, m->nprocs, sizeof(m->procs[0]), by_pid);
        if (p) {
            p->agent = s;
            p->fresh = s->stats.seq == m->seq;
        }
    }
    measure_step(m);
    memcpy(m->pss_cache, m->procs, m->nprocs * sizeof(m->procs[0]));
    m->npss = m->nprocs;
    qsort(m->procs, m->nprocs, sizeof(m->procs[0]), by_rss_desc);
}

/* --- the memory line ------------------------------------------------------- */

static uint64_t add_known(uint64_t sum, uint64_t v)
{
    if (v == UINT64_MAX)
        return sum;
    return sum == UINT64_MAX ? v : sum + v;
}

static const char *allocator_name(uint32_t a)
{
    return a == AGENT_ALLOC_JEMALLOC ? "jemalloc" : a == AGENT_ALLOC_GLIBC ? "glibc" : "unknown";
}

static void write_process(struct jw *w, const struct proc_sample *p)
{
    jw_map_open(w, NULL);
    jw_i64(w, "pid", p->pid);
    jw_str(w, "comm", p->comm);
    jw_u64_or_null(w, "rss_bytes", p->rss);
    jw_u64_or_null(w, "pss_bytes", p->pss);
    jw_u64_or_null(w, "anon_bytes", p->anon);
    jw_u64_or_null(w, "swap_bytes", p->swap);
    if (p->agent) {
        const struct agent_reply *r = &p->agent->stats;
        jw_str(w, "allocator", allocator_name(r->allocator));
        jw_u64_or_null(w, "allocated_bytes", r->allocated);
        jw_u64_or_null(w, "active_bytes", r->active);
        jw_u64_or_null(w, "resident_bytes", r->resident);
        jw_u64_or_null(w, "retained_bytes", r->retained);
        jw_u64_or_null(w, "held_bytes", r->held);
        jw_u64_or_null(w, "metadata_bytes", r->metadata);
        jw_u64_or_null(w, "mapped_bytes", r->mapped);
        if (r->allocator == AGENT_ALLOC_JEMALLOC) {
            jw_u64(w, "narenas", r->narenas);
            jw_u64(w, "background_threads", r->background_threads);
        }
        if (!p->fresh)
            jw_bool(w, "stale", true);
    } else {
        jw_null(w, "allocator");
    }
    jw_map_close(w);
}

static void push_window(struct monitor *m, const struct diag_sample *d)
{
    if (m->wlen == m->wcap) {
        memmove(m->window, m->window + 1, (m->wcap - 1) * sizeof(m->window[0]));
        m->wlen--;
    }
    m->window[m->wlen++] = *d;
}

static uint64_t delta_or_null(uint64_t now, uint64_t before)
{
    if (now == UINT64_MAX || before == UINT64_MAX || now < before)
        return UINT64_MAX;
    return now - before;
}

static void write_pressure_flat(struct jw *w, const struct cgroup_usage *u)
{
    jw_map_open(w, "pressure");
    jw_str(w, "scope", u->psi_scope ? u->psi_scope : "unavailable");
    if (u->psi_scope) {
        jw_double(w, "some_avg10", u->psi.some.avg10, 2);
        jw_double(w, "some_avg60", u->psi.some.avg60, 2);
        if (u->psi.full.present) {
            jw_double(w, "full_avg10", u->psi.full.avg10, 2);
            jw_double(w, "full_avg60", u->psi.full.avg60, 2);
        }
    }
    jw_map_close(w);
}

static uint64_t usage_for_limit(const struct cgroup_usage *u)
{
    /* what the kernel cannot simply drop: usage minus inactive file pages */
    return u->working_set != UINT64_MAX ? u->working_set : u->current;
}

static void emit_memory_line(struct monitor *m, const struct diag_sample *d)
{
    const struct cgroup_usage *u = &m->usage;
    struct jw *w = log_report(LOG_INFO, "memory");
    uint64_t pss = UINT64_MAX;

    if (!w)
        return;
    jw_u64(w, "seq", m->seq);
    jw_double(w, "interval_s", (double)m->cfg->interval_ms / 1000.0, 1);
    jw_u64(w, "limit_bytes", m->lim->memory_limit);
    jw_bool(w, "limit_unlimited", m->lim->memory_unlimited);
    if (u->current != UINT64_MAX && m->lim->memory_limit)
        jw_double(w, "usage_pct", 100.0 * (double)u->current / (double)m->lim->memory_limit, 1);
    else
        jw_null(w, "usage_pct");
    report_usage(w, u, false);
    write_pressure_flat(w, u);
    report_events(w, "events", u);
    jw_map_open(w, "events_delta");
    jw_u64_or_null(w, "high", delta_or_null(u->ev_high, m->prev.ev_high));
    jw_u64_or_null(w, "max", delta_or_null(u->ev_max, m->prev.ev_max));
    jw_u64_or_null(w, "oom", delta_or_null(u->ev_oom, m->prev.ev_oom));
    jw_u64_or_null(w, "oom_kill", delta_or_null(u->ev_oom_kill, m->prev.ev_oom_kill));
    jw_map_close(w);

    jw_array_open(w, "processes");
    for (size_t i = 0; i < m->nprocs; i++) {
        if (i < MON_PROCS_LISTED)
            write_process(w, &m->procs[i]);
        pss = add_known(pss, m->procs[i].pss);
    }
    jw_array_close(w);
    jw_u64(w, "processes_omitted",
           (m->nprocs > MON_PROCS_LISTED ? m->nprocs - MON_PROCS_LISTED : 0) + m->nskipped);
    jw_map_open(w, "totals");
    jw_u64(w, "processes", m->nprocs + m->nskipped);
    jw_u64(w, "reporting", d->reporting);
    jw_u64_or_null(w, "rss_bytes", d->rss);
    jw_u64_or_null(w, "pss_bytes", pss);
    jw_u64_or_null(w, "allocated_bytes", d->allocated);
    jw_u64_or_null(w, "held_bytes", d->held);
    jw_map_close(w);
    /* what the reporting processes hold beyond their malloc heaps: all of it
     * (code, stacks, other allocators included), and the allocators' part */
    jw_map_open(w, "gap");
    jw_u64_or_null(w, "rss_minus_allocated_bytes",
                   d->agent_rss != UINT64_MAX && d->allocated != UINT64_MAX
                       ? (d->agent_rss > d->allocated ? d->agent_rss - d->allocated : 0)
                       : UINT64_MAX);
    jw_u64_or_null(w, "allocator_held_bytes", d->held);
    jw_map_close(w);
    jw_map_open(w, "diagnosis");
    jw_str(w, "state", diag_state_name(m->diag.state));
    jw_bool(w, "near_limit", m->diag.near_limit);
    jw_double(w, "window_s", m->diag.window_s, 0);
    jw_str(w, "why", m->diag.why);
    jw_map_close(w);
    log_end(w);
}

static void fill_diag_sample(struct monitor *m, struct diag_sample *d)
{
    *d = m->step;
    d->t_ms = now_mono_ms();
    d->usage = m->usage.current;
    d->anon = m->usage.anon;
    d->file = m->usage.file;
    d->rss = d->agent_rss = d->allocated = d->held = DIAG_UNKNOWN;
    d->reporting = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct proc_sample *p = &m->procs[i];
        d->rss = add_known(d->rss, p->rss);
        if (p->allocated == UINT64_MAX)
            continue;
        d->reporting++;
        d->agent_rss = add_known(d->agent_rss, p->rss);
        d->allocated = add_known(d->allocated, p->allocated);
        d->held = add_known(d->held, p->held);
    }
}

/* --- events ------------------------------------------------------------------ */

/* Exited: reaped (no such process) or a zombie. */
static bool process_gone(pid_t pid)
{
    char path[48], buf[512];
    struct proc_stat st;
    ssize_t len;

    (void)str_printf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    len = read_file(path, buf, sizeof(buf));
    if (len < 0)
        return len == -ENOENT || len == -ESRCH;
    return proc_parse_stat(buf, (size_t)len, &st) == 0 && st.state == 'Z';
}

static void postmortem(struct monitor *m, uint64_t count)
{
    struct jw *w = log_report(LOG_ERROR, "oom_kill");
    size_t first = m->wlen > 6 ? m->wlen - 6 : 0;
    int64_t now = now_mono_ms();

    m->oom_kills += count;
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
    /* the OOM killer takes the largest: the processes of the sample before
     * the kill that are gone now name the victim when its parent, not
     * jeinit, reaped it */
    jw_array_open(w, "gone_since_last_sample");
    for (size_t i = 0; i < m->noom_procs; i++) {
        const struct proc_sample *p = &m->oom_procs[i];
        if (!process_gone(p->pid))
            continue;
        jw_map_open(w, NULL);
        jw_i64(w, "pid", p->pid);
        jw_str(w, "comm", p->comm);
        jw_u64_or_null(w, "rss_bytes", p->rss);
        jw_map_close(w);
    }
    jw_array_close(w);
    if (m->noom_procs > 0) {
        const struct proc_sample *p = &m->oom_procs[0];
        jw_map_open(w, "largest");
        jw_i64(w, "pid", p->pid);
        jw_str(w, "comm", p->comm);
        jw_u64_or_null(w, "rss_bytes", p->rss);
        jw_u64_or_null(w, "allocated_bytes",
                       p->agent && p->fresh ? p->agent->stats.allocated : UINT64_MAX);
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
    log_end(w);
}

/* A sample sees the OOM counter move before jeinit reaps the victim (or
 * never, when its parent reaps it): the post-mortem waits a moment so that a
 * reap can name the victim. */
#define OOM_WAIT_MS 300

static void flush_oom(struct monitor *m)
{
    if (m->oom_pending == 0)
        return;
    postmortem(m, m->oom_pending);
    m->oom_pending = 0;
    if (m->oom_tfd >= 0)
        (void)timer_arm(m->oom_tfd, 0, 0);
}

/* OOM kills since the last look. reaped: a SIGKILLed child was just reaped,
 * the likely victim: report now. */
static void check_oom(struct monitor *m, bool reaped)
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
        flush_oom(m);
}

static void on_oom_wait(struct loop_source *src, uint32_t events)
{
    (void)events;
    timer_ack(src->fd);
    flush_oom(src->ctx);
}

static void check_counter(const char *event, const char *what, uint64_t now, uint64_t before)
{
    uint64_t d = delta_or_null(now, before);
    struct jw *w;

    if (d == UINT64_MAX || d == 0)
        return;
    w = log_report(LOG_WARN, event);
    jw_u64(w, "count", d);
    jw_u64(w, "total", now);
    jw_str(w, "msg", what);
    log_end(w);
}

static void check_events(struct monitor *m)
{
    const struct cgroup_usage *u = &m->usage, *p = &m->prev;

    if (m->have_prev) {
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
    check_oom(m, false);
    if (u->psi_scope) {
        bool high = u->psi.some.avg10 >= (double)m->cfg->pressure_percent;
        if (high != m->pressure_high) {
            struct jw *w = log_report(high ? LOG_WARN : LOG_INFO, "pressure");
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

/* --- purge --------------------------------------------------------------------- */

static void maybe_purge(struct monitor *m)
{
    const struct cgroup_usage *u = &m->usage;
    uint64_t used = usage_for_limit(u);
    int64_t now = now_mono_ms();
    bool over, pressured;

    if (!m->hub || m->hub->nused == 0 || m->purge_reason)
        return;
    if (m->last_purge_ms && now - m->last_purge_ms < m->purge_every_ms)
        return;
    over = !m->lim->memory_unlimited && used != UINT64_MAX &&
           (double)used * 100.0 >= (double)m->cfg->purge_at_percent * (double)m->lim->memory_limit;
    pressured = u->psi_scope && u->psi.some.avg10 >= (double)m->cfg->pressure_percent;
    if (!over && !pressured)
        return;
    m->purge_reason = over ? "usage above --purge-at" : "memory pressure above threshold";
    m->purge_usage_before = u->current;
    /* a sequence space of its own, so memory lines keep consecutive seqs */
    m->purge_seq = (uint32_t)(++m->purges_asked) | 0x80000000u;
    m->last_purge_ms = now;
    agents_request(m->hub, AGENT_PURGE, m->purge_seq);
    /* purging hundreds of MiB takes a while: give the agents a second */
    (void)timer_arm(m->purge_tfd, 1000, 0);
}

static void on_purge_report(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;
    uint64_t released = 0;
    unsigned answered = 0;
    struct jw *w;

    (void)events;
    timer_ack(src->fd);
    if (!m->purge_reason)
        return;
    for (size_t i = 0; i < m->hub->top; i++) {
        const struct agent_slot *s = &m->hub->slots[i];
        if (s->src.fd >= 0 && s->has_purge && s->purge.seq == m->purge_seq) {
            answered++;
            released += s->purge.purged;
        }
    }
    cgroup_read_usage(m->cg, &m->usage);
    m->purges++;
    m->purged_bytes += released;
    w = log_report(LOG_INFO, "purge");
    jw_str(w, "reason", m->purge_reason);
    jw_u64(w, "agents", answered);
    jw_u64(w, "released_bytes", released);
    jw_u64_or_null(w, "usage_before_bytes", m->purge_usage_before);
    jw_u64_or_null(w, "usage_after_bytes", m->usage.current);
    log_end(w);
    m->purge_reason = NULL;
}

/* --- the loop's callbacks -------------------------------------------------------- */

static void collect(struct monitor *m)
{
    struct diag_sample d;

    m->prev = m->usage;
    cgroup_read_usage(m->cg, &m->usage);
    scan_processes(m);
    fill_diag_sample(m, &d);
    push_window(m, &d);
    m->prev_diag = m->diag;
    diagnose(m->window, m->wlen, m->lim->memory_unlimited ? 0 : m->lim->memory_limit, &m->diag);
    if (m->usage.current != UINT64_MAX && m->usage.current > m->peak_usage)
        m->peak_usage = m->usage.current;
    m->samples++;
    emit_memory_line(m, &d);
    check_events(m);
    m->nlast = m->nprocs < MON_PROCS_LISTED ? m->nprocs : MON_PROCS_LISTED;
    memcpy(m->last_procs, m->procs, m->nlast * sizeof(m->procs[0]));
    maybe_purge(m);
}

static void on_collect(struct loop_source *src, uint32_t events)
{
    (void)events;
    timer_ack(src->fd);
    collect(src->ctx);
}

static void on_tick(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;

    (void)events;
    timer_ack(src->fd);
    m->seq++;
    if (m->hub && m->hub->nused > 0) {
        /* ask now, write the line once the answers had time to come */
        agents_request(m->hub, AGENT_SAMPLE, m->seq);
        (void)timer_arm(m->collect_tfd, m->collect_delay_ms, 0);
        return;
    }
    collect(m);
}

void monitor_on_reaped(struct monitor *m, pid_t pid, int wstatus)
{
    if (!m || m->tick_tfd < 0)
        return;
    if (!WIFSIGNALED(wstatus) || WTERMSIG(wstatus) != SIGKILL)
        return;
    /* a SIGKILL may be the OOM killer's: look now, before the exit line */
    m->killed_pid = pid;
    m->killed_ms = now_mono_ms();
    m->killed_comm[0] = '\0';
    if (pid == m->main_pid)
        (void)str_copy(m->killed_comm, sizeof(m->killed_comm), m->main_comm);
    for (size_t i = 0; i < m->nlast; i++)
        if (m->last_procs[i].pid == pid)
            (void)str_copy(m->killed_comm, sizeof(m->killed_comm), m->last_procs[i].comm);
    /* only the OOM counter is looked at here; the sample's figures stay */
    {
        struct cgroup_usage now;
        (void)cgroup_read_counters(m->cg, &now);
        m->usage.ev_oom_kill = now.ev_oom_kill;
        if (now.peak != UINT64_MAX)
            m->usage.peak = now.peak;
    }
    check_oom(m, true);
}

void monitor_finish(struct monitor *m)
{
    if (!m || m->tick_tfd < 0)
        return;
    (void)cgroup_read_counters(m->cg, &m->usage);
    check_oom(m, false);
    flush_oom(m);
}

void monitor_exit_fields(struct monitor *m, struct jw *w)
{
    if (!m || m->tick_tfd < 0)
        return;
    if (m->usage.current != UINT64_MAX && m->usage.current > m->peak_usage)
        m->peak_usage = m->usage.current;
    jw_map_open(w, "memory");
    /* the highest usage jeinit saw, and the cgroup's own high-water mark
     * (which may predate jeinit when the cgroup is shared) */
    jw_u64_or_null(w, "peak_bytes", m->peak_usage ? m->peak_usage : UINT64_MAX);
    jw_u64_or_null(w, "cgroup_peak_bytes", m->usage.peak);
    jw_u64(w, "limit_bytes", m->lim->memory_limit);
    jw_u64(w, "oom_kills", m->oom_kills);
    jw_u64(w, "samples", m->samples);
    jw_u64(w, "purges", m->purges);
    jw_u64(w, "purged_bytes", m->purged_bytes);
    jw_str(w, "last_diagnosis", m->samples ? diag_state_name(m->diag.state) : NULL);
    jw_map_close(w);
}

int monitor_init(struct monitor *m, const struct config *cfg, struct cgroup *cg,
                 const struct cgroup_limits *lim, struct agent_hub *hub, struct loop *loop,
                 pid_t main_pid)
{
    const char *base;
    int64_t interval = cfg->interval_ms;
    int r;

    memset(m, 0, offsetof(struct monitor, procs));
    m->tick_tfd = m->collect_tfd = m->purge_tfd = m->oom_tfd = -1;
    m->tree.procfd = -1;
    m->cfg = cfg;
    m->cg = cg;
    m->lim = lim;
    m->hub = hub;
    m->loop = loop;
    m->self = getpid();
    m->pid1 = m->self == 1;
    m->started_ms = now_mono_ms();
    m->main_pid = main_pid;
    base = strrchr(cfg->child_argv[0], '/');
    (void)str_copy(m->main_comm, sizeof(m->main_comm), base ? base + 1 : cfg->child_argv[0]);
    m->wcap = (size_t)clamp64(interval ? (60000 + interval - 1) / interval : 6, 6, MON_WINDOW_MAX);
    m->collect_delay_ms = clamp64(interval / 4, 50, 300);
    m->purge_every_ms = clamp64(5 * interval, 2000, 60000);
    /* counters as they are now: deltas and OOM kills count from here */
    (void)cgroup_read_counters(cg, &m->usage);
    m->have_prev = true;
    check_oom(m, false);
    if (interval == 0)
        return 0;
    r = proctree_open(&m->tree, "/proc");
    if (r < 0)
        return r;
    m->tick_tfd = timer_new();
    m->collect_tfd = timer_new();
    m->purge_tfd = timer_new();
    m->oom_tfd = timer_new();
    if (m->tick_tfd < 0 || m->collect_tfd < 0 || m->purge_tfd < 0 || m->oom_tfd < 0) {
        monitor_fini(m);
        return -EMFILE;
    }
    m->tick_src = (struct loop_source){.fd = m->tick_tfd, .cb = on_tick, .ctx = m};
    m->collect_src = (struct loop_source){.fd = m->collect_tfd, .cb = on_collect, .ctx = m};
    m->purge_src = (struct loop_source){.fd = m->purge_tfd, .cb = on_purge_report, .ctx = m};
    m->oom_src = (struct loop_source){.fd = m->oom_tfd, .cb = on_oom_wait, .ctx = m};
    r = loop_add(loop, &m->tick_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->collect_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->purge_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->oom_src, EPOLLIN);
    /* the first sample soon, so short runs and new containers show one */
    if (r == 0)
        r = timer_arm(m->tick_tfd, interval < 1000 ? interval : 1000, interval);
    if (r < 0)
        monitor_fini(m);
    return r;
}

void monitor_fini(struct monitor *m)
{
    int *fds[] = {&m->tick_tfd, &m->collect_tfd, &m->purge_tfd, &m->oom_tfd};

    for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
        if (*fds[i] >= 0)
            (void)close(*fds[i]);
        *fds[i] = -1;
    }
    proctree_close(&m->tree);
}
