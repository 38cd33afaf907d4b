/* report.c - see report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "logpolicy.h"

#include "monitor.h"

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

void report_cgroup(struct jw *w, const char *key, const struct cgroup *cg)
{
    jw_map_open(w, key);
    jw_str(w, "layout", cg_layout_name(cg->layout));
    jw_i64(w, "memory_version", cg->memory_version);
    jw_bool(w, "namespaced", cg->namespaced);
    jw_str(w, "discovered_by", cg->discovered_by);
    jw_str(w, "path", cg->cg_path[0] ? cg->cg_path : NULL);
    jw_str(w, "memory_dir", cg->memory_dir[0] ? cg->memory_dir : NULL);
    jw_str(w, "cpu_dir", cg->cpu_dir[0] ? cg->cpu_dir : NULL);
    jw_str(w, "cpuset_dir", cg->cpuset_dir[0] ? cg->cpuset_dir : NULL);
    jw_str(w, "libcgroup", cg->libcgroup_note[0] ? cg->libcgroup_note : NULL);
    jw_map_close(w);
}

/* {"bytes": N|null, "unlimited": bool, "source": "..."} */
static void limit(struct jw *w, const char *key, const struct cg_value *v, const char *unit)
{
    jw_map_open(w, key);
    if (!v->present) {
        jw_null(w, unit);
        jw_null(w, "source");
    } else {
        jw_u64_or_null(w, unit, v->value);
        jw_bool(w, "unlimited", v->value == CG_UNLIMITED);
        jw_str(w, "source", v->source);
    }
    jw_map_close(w);
}

void report_limits(struct jw *w, const char *key, const struct cgroup_limits *lim, bool full)
{
    jw_map_open(w, key);
    jw_u64(w, "memory_bytes", lim->memory_limit);
    jw_bool(w, "memory_unlimited", lim->memory_unlimited);
    jw_str(w, "memory_source", lim->memory_limit_source);
    jw_u64_or_null(w, "memory_high_bytes",
                   lim->memory_high.present ? lim->memory_high.value : CG_UNLIMITED);
    jw_double(w, "cpus", (double)lim->cpu_millis / 1000.0, 3);
    jw_str(w, "cpu_source", lim->cpu_source);
    jw_u64(w, "memory_ceiling_bytes", lim->memory_ceiling);
    jw_str(w, "memory_ceiling_source", lim->memory_ceiling_source);
    if (lim->oom_group.present)
        jw_bool(w, "oom_group", lim->oom_group.value == 1);
    else
        jw_null(w, "oom_group");
    jw_str(w, "oom_guard", lim->oom_guard);
    if (full) {
        limit(w, "memory_max", &lim->memory_max, "bytes");
        limit(w, "memory_ancestors", &lim->memory_ancestors, "bytes");
        limit(w, "memory_high", &lim->memory_high, "bytes");
        limit(w, "swap_max", &lim->swap_max, "bytes");
        limit(w, "memory_oom_group", &lim->oom_group, "value");
        limit(w, "mem_total", &lim->mem_total, "bytes");
        limit(w, "cpu_quota", &lim->cpu_quota, "millicores");
        limit(w, "cpuset_cpus", &lim->cpuset_cpus, "count");
        jw_u64(w, "affinity_cpus", lim->affinity_cpus);
    }
    jw_map_close(w);
}

void report_events(struct jw *w, const char *key, const struct cgroup_usage *u)
{
    jw_map_open(w, key);
    jw_u64_or_null(w, "low", u->ev_low);
    jw_u64_or_null(w, "high", u->ev_high);
    jw_u64_or_null(w, "max", u->ev_max);
    jw_u64_or_null(w, "oom", u->ev_oom);
    jw_u64_or_null(w, "oom_kill", u->ev_oom_kill);
    jw_map_close(w);
}

static void psi_line(struct jw *w, const char *key, const struct cg_psi_line *l)
{
    if (!l->present) {
        jw_null(w, key);
        return;
    }
    jw_map_open(w, key);
    jw_double(w, "avg10", l->avg10, 2);
    jw_double(w, "avg60", l->avg60, 2);
    jw_double(w, "avg300", l->avg300, 2);
    jw_u64(w, "total_us", l->total_us);
    jw_map_close(w);
}

void report_pressure(struct jw *w, const char *key, const struct cgroup_usage *u)
{
    jw_map_open(w, key);
    jw_str(w, "scope", u->psi_scope ? u->psi_scope : "unavailable");
    if (u->psi_scope) {
        psi_line(w, "some", &u->psi.some);
        psi_line(w, "full", &u->psi.full);
    }
    jw_map_close(w);
}

void report_usage(struct jw *w, const struct cgroup_usage *u, bool with_stat)
{
    jw_u64_or_null(w, "usage_bytes", u->current);
    jw_u64_or_null(w, "peak_bytes", u->peak);
    jw_u64_or_null(w, "working_set_bytes", u->working_set);
    jw_u64_or_null(w, "anon_bytes", u->anon);
    jw_u64_or_null(w, "file_bytes", u->file);
    jw_u64_or_null(w, "kernel_bytes", u->kernel);
    jw_u64_or_null(w, "shmem_bytes", u->shmem);
    jw_u64_or_null(w, "sock_bytes", u->sock);
    if (with_stat) {
        jw_map_open(w, "stat");
        for (size_t i = 0; i < u->nstat; i++)
            jw_u64(w, u->stat[i].key, u->stat[i].value);
        jw_map_close(w);
    }
}

/* --- the memory line ------------------------------------------------------- */

static const char *allocator_name(uint32_t a)
{
    return a == AGENT_ALLOC_JEMALLOC ? "jemalloc" : a == AGENT_ALLOC_GLIBC ? "glibc" : "unknown";
}

/* The agent's decay steering (src/agent/steer.h): long while the process
 * allocates hard, short at rest, the program's when it set one itself. */
static const char *decay_name(uint32_t m)
{
    return m == AGENT_DECAY_LONG ? "long" : m == AGENT_DECAY_SHORT ? "short" : "program";
}

void report_process_fields(struct jw *w, const struct proc_sample *p)
{
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
            if (r->decay_mode != AGENT_DECAY_OFF) {
                jw_str(w, "decay", decay_name(r->decay_mode));
                jw_u64(w, "decay_purges", r->decay_purges);
                jw_u64(w, "decay_purged_bytes", r->decay_purged);
            }
        }
        if (!p->fresh)
            jw_bool(w, "stale", true);
        /* the agent's claims, as made; the totals leave them out */
        if (p->implausible)
            jw_str(w, "implausible", p->implausible);
    } else {
        jw_null(w, "allocator");
    }
}

static void report_process(struct jw *w, const struct proc_sample *p)
{
    jw_map_open(w, NULL);
    report_process_fields(w, p);
    jw_map_close(w);
}

void report_human_bytes(uint64_t bytes, char *buf, size_t sz)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;

    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    (void)snprintf(buf, sz, u == 0 ? "%.0f %s" : v < 10.0 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* "memory 412 MiB of 512 MiB (80%), allocator-retention, 8 processes" */
static void memory_msg(struct jw *w, const struct monitor *m, size_t nprocs)
{
    char msg[160], used[24], lim[24];
    const char *state = diag_state_name(m->diag.state);
    uint64_t cur = m->usage.current, ceil = m->lim->memory_ceiling;

    if (cur == UINT64_MAX) {
        (void)snprintf(msg, sizeof(msg), "memory usage unknown, %s, %zu processes", state, nprocs);
    } else {
        report_human_bytes(cur, used, sizeof(used));
        if (ceil && !(m->lim->memory_unlimited && !m->lim->memory_ceiling_is_high)) {
            report_human_bytes(ceil, lim, sizeof(lim));
            (void)snprintf(msg, sizeof(msg), "memory %s of %s (%.0f%%), %s, %zu processes", used,
                           lim, 100.0 * (double)cur / (double)ceil, state, nprocs);
        } else {
            (void)snprintf(msg, sizeof(msg), "memory %s, no limit, %s, %zu processes", used, state,
                           nprocs);
        }
    }
    jw_str(w, "msg", msg);
}

/* How many of the largest processes are listed: --log-processes, as far as
 * their entries fit in the line (measured in the monitor's scratch
 * generator), with room kept for what follows them. */
#define REPORT_TAIL_ROOM 320

static size_t listed_processes(struct jw *w, const struct monitor *m, size_t line_max)
{
    size_t len[MON_PROCS_MAX];
    size_t want = m->cfg->log_processes == LOG_PROCESSES_ALL ? 0 : m->cfg->log_processes;
    size_t n = m->nprocs < want ? m->nprocs : want, used = jw_len(w);
    struct jw sw = {.g = m->scratch, .str_max = w->str_max};

    if (n == 0 || !m->scratch || used + REPORT_TAIL_ROOM >= line_max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *buf;
        yajl_gen_reset(m->scratch, NULL);
        yajl_gen_clear(m->scratch);
        sw.depth = 0;
        report_process(&sw, &m->procs[i]);
        if (yajl_gen_get_buf(m->scratch, &buf, &len[i]) != yajl_gen_status_ok)
            len[i] = line_max;
    }
    yajl_gen_reset(m->scratch, NULL);
    yajl_gen_clear(m->scratch);
    return logpolicy_fit(len, n, line_max - used - REPORT_TAIL_ROOM, want);
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

void report_memory(struct jw *w, const struct monitor *m, const struct diag_sample *d,
                   const char *reason, size_t line_max)
{
    const struct cgroup_usage *u = &m->usage;
    uint64_t pss = UINT64_MAX, o_rss = UINT64_MAX, o_pss = UINT64_MAX, o_alloc = UINT64_MAX,
             o_held = UINT64_MAX;
    size_t listed;

    memory_msg(w, m, m->nprocs + m->nskipped);
    jw_str(w, "reason", reason);
    jw_u64(w, "seq", m->seq);
    jw_double(w, "interval_s", (double)m->period_ms / 1000.0, 1);
    jw_double(w, "heartbeat_s", (double)m->cfg->heartbeat_ms / 1000.0, 1);
    /* how late this sample is against its schedule (a stopped or busy loop) */
    jw_double(w, "lag_s", (double)m->lag_ms / 1000.0, 3);
    jw_u64(w, "limit_bytes", m->lim->memory_limit);
    jw_bool(w, "limit_unlimited", m->lim->memory_unlimited);
    /* usage against the ceiling: memory.high where it is lower */
    jw_u64(w, "ceiling_bytes", m->lim->memory_ceiling);
    if (u->current != UINT64_MAX && m->lim->memory_ceiling)
        jw_double(w, "usage_pct", 100.0 * (double)u->current / (double)m->lim->memory_ceiling, 1);
    else
        jw_null(w, "usage_pct");
    /* with oom.group and jeinit unguarded, this line may be the last word */
    if (m->lim->oom_group.present)
        jw_bool(w, "oom_group", m->lim->oom_group.value == 1);
    report_usage(w, u, false);
    write_pressure_flat(w, u);
    report_events(w, "events", u);
    jw_map_open(w, "events_delta");
    jw_u64_or_null(w, "high", mon_delta(u->ev_high, m->prev.ev_high));
    jw_u64_or_null(w, "max", mon_delta(u->ev_max, m->prev.ev_max));
    jw_u64_or_null(w, "oom", mon_delta(u->ev_oom, m->prev.ev_oom));
    jw_u64_or_null(w, "oom_kill", mon_delta(u->ev_oom_kill, m->prev.ev_oom_kill));
    jw_map_close(w);
    for (size_t i = 0; i < m->nprocs; i++)
        pss = sat_sum_known(pss, m->procs[i].pss);
    jw_map_open(w, "totals");
    jw_u64(w, "processes", m->nprocs + m->nskipped);
    jw_u64(w, "reporting", d->reporting);
    jw_u64_or_null(w, "rss_bytes", d->rss);
    jw_u64_or_null(w, "pss_bytes", pss);
    jw_u64_or_null(w, "allocated_bytes", d->allocated);
    jw_u64_or_null(w, "held_bytes", d->held);
    /* settled processes (seen by two samples) new since the last line, and
     * processes of the last line gone */
    jw_u64(w, "appeared", m->policy.appeared);
    jw_u64(w, "exited", m->policy.exited);
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

    /* last, the largest processes as far as they fit, then the others' sums */
    listed = listed_processes(w, m, line_max);
    jw_array_open(w, "processes");
    for (size_t i = 0; i < listed; i++)
        report_process(w, &m->procs[i]);
    jw_array_close(w);
    for (size_t i = listed; i < m->nprocs; i++) {
        const struct proc_sample *p = &m->procs[i];
        o_rss = sat_sum_known(o_rss, p->rss);
        o_pss = sat_sum_known(o_pss, p->pss);
        o_alloc = sat_sum_known(o_alloc, p->allocated);
        o_held = sat_sum_known(o_held, p->held);
    }
    jw_map_open(w, "others");
    jw_u64(w, "processes", m->nprocs - listed + m->nskipped);
    jw_u64_or_null(w, "rss_bytes", o_rss);
    jw_u64_or_null(w, "pss_bytes", o_pss);
    jw_u64_or_null(w, "allocated_bytes", o_alloc);
    jw_u64_or_null(w, "held_bytes", o_held);
    jw_map_close(w);
    jw_u64(w, "processes_omitted", m->nprocs - listed + m->nskipped);
}
