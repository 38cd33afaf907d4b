/* monitor.c - see monitor.h. This file owns the sampling and the loop: the
 * timers and their rounds, the container's processes (RSS every sample, PSS
 * when it may have moved), the agents' figures matched to them and judged
 * (agentstats.c, pure), the diagnosis window, and the memory line (its body
 * is report_memory's). Events and OOM post-mortems are memevents.c's,
 * purges purge.c's. */
#include "monitor.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "procfs_parse.h"
#include "report.h"
#include "util.h"

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
 * 30 s or as soon as RSS moved by more than 1/32 (3%) since (rss_close). */
#define PSS_REFRESH_MS 30000

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
    cached = bsearch(p, m->pss_cache, m->npss, sizeof(m->pss_cache[0]), proc_sample_by_pid);
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

/* The last sample's processes back, as they were (by RSS). */
static void restore_processes(struct monitor *m, size_t nskipped)
{
    memcpy(m->procs, m->pss_cache, m->npss * sizeof(m->procs[0]));
    m->nprocs = m->npss;
    m->nskipped = nskipped;
    qsort(m->procs, m->nprocs, sizeof(m->procs[0]), by_rss_desc);
}

/* The container's processes: all of the namespace as PID 1, else jeinit and
 * its descendants. Zombies have no memory to report. False at the limit
 * (memevents_tight): then the last sample's processes, as they were. */
static bool scan_processes(struct monitor *m)
{
    int64_t now = now_mono_ms();
    size_t n = 0, nskipped = m->nskipped;
    int r;

    if (memevents_tight(m)) {
        restore_processes(m, nskipped);
        return false;
    }
    r = proctree_scan(&m->tree, all_procs, PROCTREE_MAX, &n);
    m->nprocs = m->nskipped = 0;
    if (r < 0 && r != -ENOSPC)
        return true;
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
        if (memevents_tight(m)) {
            restore_processes(m, nskipped);
            return false;
        }
        p = &m->procs[m->nprocs++];
        memset(p, 0, sizeof(*p));
        p->pid = all_procs[i].pid;
        (void)str_copy(p->comm, sizeof(p->comm), all_procs[i].comm);
        read_process_memory(m, p, now);
    }
    /* the agents' figures, judged, and their change since the last sample
     * (agentstats.c: procs and the cache sorted by pid) */
    qsort(m->procs, m->nprocs, sizeof(m->procs[0]), proc_sample_by_pid);
    if (m->hub)
        agentstats_attach(m->procs, m->nprocs, m->hub->slots, m->hub->top, m->seq, now);
    agentstats_step(m->procs, m->nprocs, m->pss_cache, m->npss, &m->step);
    memcpy(m->pss_cache, m->procs, m->nprocs * sizeof(m->procs[0]));
    m->npss = m->nprocs;
    qsort(m->procs, m->nprocs, sizeof(m->procs[0]), by_rss_desc);
    return true;
}

/* --- the memory line ------------------------------------------------------- */

static void push_window(struct monitor *m, const struct diag_sample *d)
{
    if (m->wlen == m->wcap) {
        memmove(m->window, m->window + 1, (m->wcap - 1) * sizeof(m->window[0]));
        m->wlen--;
    }
    m->window[m->wlen++] = *d;
}

/* Whether this sample gets a line (logpolicy.c), and the line: the largest
 * processes that fit, or with --log-processes all a memory_process line
 * for each process. */
static void emit_memory_line(struct monitor *m, const struct diag_sample *d)
{
    pid_t pids[MON_PROCS_MAX];
    const struct cgroup_usage *u = &m->usage;
    bool pressure_high = u->psi_scope && u->psi.some.avg10 >= (double)m->cfg->pressure_percent;
    struct logpolicy_sample s = {
        .now_ms = d->t_ms,
        .usage = u->current,
        .diag_state = (int)m->diag.state,
        .event = pressure_high != m->pressure_high,
        .oom_risk = m->period_ms != m->cfg->interval_ms,
        .purges = m->purges,
        .pids = pids,
        .npids = m->npss,
    };
    const uint64_t *counters[][2] = {{&u->ev_high, &m->prev.ev_high},
                                     {&u->ev_max, &m->prev.ev_max},
                                     {&u->ev_oom, &m->prev.ev_oom},
                                     {&u->ev_oom_kill, &m->prev.ev_oom_kill}};
    enum log_reason reason;
    struct jw *w;

    for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
        uint64_t delta = mon_delta(*counters[i][0], *counters[i][1]);
        if (delta != UINT64_MAX && delta > 0)
            s.event = true;
    }
    for (size_t i = 0; i < m->npss; i++)
        pids[i] = m->pss_cache[i].pid; /* sorted by pid */
    reason = logpolicy_decide(&m->policy, &s);
    if (reason == LR_NONE)
        return;
    w = log_report(LOG_INFO, "memory");
    if (!w)
        return;
    m->lines++;
    report_memory(w, m, d, log_reason_name(reason), log_room(w) + jw_len(w) + 1);
    log_end(w);
    if (m->cfg->log_processes != LOG_PROCESSES_ALL)
        return;
    for (size_t i = 0; i < m->nprocs; i++) {
        char msg[96], rss[24];
        const struct proc_sample *p = &m->procs[i];
        w = log_report(LOG_INFO, "memory_process");
        if (!w)
            return;
        report_human_bytes(p->rss == UINT64_MAX ? 0 : p->rss, rss, sizeof(rss));
        (void)str_printf(msg, sizeof(msg), "process %d (%s) RSS %s", (int)p->pid, p->comm, rss);
        jw_str(w, "msg", msg);
        jw_u64(w, "seq", m->seq);
        report_process_fields(w, p);
        log_end(w);
    }
}

static void fill_diag_sample(struct monitor *m, struct diag_sample *d, int64_t now)
{
    *d = m->step;
    d->t_ms = now;
    d->usage = m->usage.current;
    d->anon = m->usage.anon;
    d->file = m->usage.file;
    d->ev_high = m->usage.ev_high;
    d->psi_some10 = m->usage.psi_scope ? m->usage.psi.some.avg10 : -1.0;
    agentstats_sums(m->procs, m->nprocs, d);
}

/* With memory.oom.group set and jeinit not spared, an OOM kill leaves no
 * post-mortem: from MON_FAST_PCT of the ceiling, or as soon as the limit is
 * hit, the memory lines come every MON_FAST_MS, so that the last one before
 * the kill is close to it. Back to --interval once usage is down again. */
static void pace(struct monitor *m)
{
    const struct cgroup_usage *u = &m->usage;
    uint64_t hits = mon_delta(u->ev_max, m->prev.ev_max);
    bool high = m->bounds.ceiling && u->current != UINT64_MAX &&
                (double)u->current * 100.0 >= MON_FAST_PCT * (double)m->bounds.ceiling;
    bool at_risk = m->lim->oom_group.present && m->lim->oom_group.value == 1 &&
                   !m->lim->oom_guarded &&
                   (high || m->diag.state == DIAG_THROTTLED || (hits != UINT64_MAX && hits > 0));
    int64_t want = at_risk && m->cfg->interval_ms > MON_FAST_MS ? MON_FAST_MS : m->cfg->interval_ms;

    if (want == m->period_ms || timer_arm(m->tick_tfd, want, want) < 0)
        return;
    m->period_ms = want;
    m->due_ms = now_mono_ms() + want;
}

/* --- the loop's callbacks -------------------------------------------------------- */

/* The round's line: its figures, the diagnosis, the events after it. */
static void collect(struct monitor *m)
{
    struct diag_sample d;
    int64_t now = now_mono_ms(), due = m->round_due_ms + (m->round_asked ? m->collect_delay_ms : 0);

    m->round_pending = false;
    m->lag_ms = now > due ? now - due : 0;
    m->prev = m->usage;
    /* processes first, counters after: a kill between the two is then seen
     * by this sample's counters while its processes still show the victim
     * (the other way round, the post-mortem's "before" view lacked it) */
    if (!scan_processes(m)) {
        m->samples_at_limit++;
        memevents_hold(m); /* this line and the next wait for the room */
    } else {
        memevents_limits(m, now);
    }
    cgroup_read_usage(m->cg, &m->usage);
    fill_diag_sample(m, &d, now);
    push_window(m, &d);
    m->prev_diag = m->diag;
    diagnose(m->window, m->wlen, &m->bounds, &m->diag);
    if (m->usage.current != UINT64_MAX && m->usage.current > m->peak_usage)
        m->peak_usage = m->usage.current;
    m->samples++;
    emit_memory_line(m, &d);
    /* at the limit, no step: a directory, a request or a fork is memory
     * charged to the cgroup (memevents_tight); the agent ends sampling by
     * itself if it stays on too long */
    if (!memevents_tight(m))
        heapprof_after_sample(&m->heap, &m->diag, m->procs, m->nprocs, now);
    memevents_check(m);
    m->nlast = m->nprocs < MON_PROCS_LISTED ? m->nprocs : MON_PROCS_LISTED;
    memcpy(m->last_procs, m->procs, m->nlast * sizeof(m->procs[0]));
    purge_maybe(m);
    pace(m);
    if (m->samples == 1 && m->after_first_sample)
        m->after_first_sample(m->after_first_ctx);
}

/* A timerfd's expirations since the last read (0: none, a spurious wakeup). */
static uint64_t timer_expirations(int tfd)
{
    uint64_t n = 0;

    while (read(tfd, &n, sizeof(n)) < 0) {
        if (errno != EINTR)
            return 0;
    }
    return n;
}

static void on_collect(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;

    (void)events;
    /* a round taken early by a late tick leaves nothing to collect */
    if (timer_expirations(src->fd) == 0 || !m->round_pending)
        return;
    collect(m);
}

static void on_tick(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;
    uint64_t missed = timer_expirations(src->fd);
    int64_t due = m->due_ms;

    (void)events;
    if (missed == 0)
        return;
    /* the ticks the loop slept through are not made up: the next is due
     * after the last one that passed */
    m->due_ms += (int64_t)(missed < 1000000 ? missed : 1000000) * m->period_ms;
    if (m->round_pending) {
        /* the last round's answers waited for a loop that was late: write
         * its line now, late, and let this tick go (one line per round) */
        (void)timer_arm(m->collect_tfd, 0, 0);
        collect(m);
        return;
    }
    m->seq++;
    m->round_due_ms = due;
    /* a request is a socket buffer charged to the cgroup: not at the limit,
     * where the answers would not be read either (memevents_tight) */
    m->round_asked = m->hub && m->hub->nused > 0 && !memevents_tight(m);
    m->round_pending = true;
    if (m->round_asked) {
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
    memevents_check_oom(m, true);
}

void monitor_finish(struct monitor *m)
{
    struct cgroup_usage now;

    if (!m || m->tick_tfd < 0)
        return;
    (void)cgroup_read_counters(m->cg, &now);
    memevents_release(m);
    memevents_final(m, &now);
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
    jw_u64(w, "samples_at_limit", m->samples_at_limit);
    jw_u64(w, "log_holds", m->log_holds);
    jw_u64(w, "samples", m->samples);
    jw_u64(w, "lines", m->lines);
    jw_u64(w, "purges", m->purges);
    jw_u64(w, "purged_bytes", m->purged_bytes);
    jw_str(w, "last_diagnosis", m->samples ? diag_state_name(m->diag.state) : NULL);
    jw_str(w, "diagnosis_before_oom", m->oom_kills ? diag_state_name(m->oom_diag.state) : NULL);
    jw_u64(w, "agents_unfollowed", m->hub ? m->hub->unfollowed : 0);
    jw_map_close(w);
}

int monitor_init(struct monitor *m, const struct config *cfg, struct cgroup *cg,
                 struct cgroup_limits *lim, struct agent_hub *hub, struct loop *loop,
                 pid_t main_pid)
{
    const char *base;
    int64_t interval = cfg->interval_ms;
    int r;

    memset(m, 0, sizeof(*m));
    m->tick_tfd = m->collect_tfd = m->purge_tfd = m->oom_tfd = m->hold_tfd = -1;
    heapprof_init(&m->heap, false, NULL, hub, loop, interval); /* jeinit.c turns it on */
    logpolicy_init(&m->policy, cfg->heartbeat_ms, cfg->interval_ms, mon_ceiling(lim),
                   cfg->purge_at_percent, (unsigned)MON_FAST_PCT);
    m->tree.procfd = -1;
    m->cfg = cfg;
    m->cg = cg;
    cgroup_guard_oom(lim);
    m->lim = lim;
    m->bounds = (struct diag_bounds){
        .ceiling = mon_ceiling(lim),
        .ceiling_is_high = lim->memory_ceiling_is_high,
        .pressure_pct = (double)cfg->pressure_percent,
    };
    m->period_ms = cfg->interval_ms;
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
    memevents_check_oom(m, false);
    if (interval == 0)
        return 0;
    r = proctree_open(&m->tree, "/proc");
    if (r < 0)
        return r;
    /* allocated once: entries are measured in it before they go in a line */
    m->scratch = jw_gen_new(false);
    if (!m->scratch) {
        monitor_fini(m);
        return -ENOMEM;
    }
    jw_gen_reserve(m->scratch, 4096);
    m->tick_tfd = timer_new();
    m->collect_tfd = timer_new();
    m->purge_tfd = timer_new();
    m->oom_tfd = timer_new();
    m->hold_tfd = timer_new();
    if (m->tick_tfd < 0 || m->collect_tfd < 0 || m->purge_tfd < 0 || m->oom_tfd < 0 ||
        m->hold_tfd < 0) {
        monitor_fini(m);
        return -EMFILE;
    }
    m->tick_src = (struct loop_source){.fd = m->tick_tfd, .cb = on_tick, .ctx = m};
    m->collect_src = (struct loop_source){.fd = m->collect_tfd, .cb = on_collect, .ctx = m};
    m->purge_src = (struct loop_source){.fd = m->purge_tfd, .cb = purge_on_report, .ctx = m};
    m->oom_src = (struct loop_source){.fd = m->oom_tfd, .cb = memevents_on_oom_wait, .ctx = m};
    m->hold_src = (struct loop_source){.fd = m->hold_tfd, .cb = memevents_on_hold, .ctx = m};
    r = loop_add(loop, &m->tick_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->collect_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->purge_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->oom_src, EPOLLIN);
    if (r == 0)
        r = loop_add(loop, &m->hold_src, EPOLLIN);
    /* the first sample soon, so short runs and new containers show one */
    m->due_ms = now_mono_ms() + (interval < 1000 ? interval : 1000);
    if (r == 0)
        r = timer_arm(m->tick_tfd, interval < 1000 ? interval : 1000, interval);
    if (r < 0)
        monitor_fini(m);
    return r;
}

void monitor_fini(struct monitor *m)
{
    int *fds[] = {&m->tick_tfd, &m->collect_tfd, &m->purge_tfd, &m->oom_tfd, &m->hold_tfd};

    for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
        if (*fds[i] >= 0)
            (void)close(*fds[i]);
        *fds[i] = -1;
    }
    heapprof_fini(&m->heap);
    proctree_close(&m->tree);
    if (m->scratch)
        yajl_gen_free(m->scratch);
    m->scratch = NULL;
}
