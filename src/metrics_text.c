/* metrics_text.c - see metrics_text.h. */
#include "metrics_text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_parse.h"

#define UNKNOWN UINT64_MAX

const char *metrics_reject_reason_name(enum metrics_reject_reason r)
{
    static const char *const names[] = {"not_found", "method",  "bad_request",
                                        "too_large", "timeout", "evicted"};

    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* --- grouping by name ------------------------------------------------------- */

static void group_add(struct metrics_group *g, const struct proc_sample *p)
{
    g->processes++;
    if (p->rss != UNKNOWN)
        g->rss = sat_add(g->rss, p->rss);
    if (p->pss != UNKNOWN) {
        g->pss = sat_add(g->pss, p->pss);
        g->with_pss++;
    }
    if (p->allocated != UNKNOWN && p->held != UNKNOWN) {
        g->allocated = sat_add(g->allocated, p->allocated);
        g->held = sat_add(g->held, p->held);
        g->reporting++;
    }
}

static void group_merge(struct metrics_group *into, const struct metrics_group *g)
{
    into->processes = sat_add(into->processes, g->processes);
    into->rss = sat_add(into->rss, g->rss);
    into->pss = sat_add(into->pss, g->pss);
    into->allocated = sat_add(into->allocated, g->allocated);
    into->held = sat_add(into->held, g->held);
    into->with_pss = sat_add(into->with_pss, g->with_pss);
    into->reporting = sat_add(into->reporting, g->reporting);
}

static int by_rss_then_name(const void *a, const void *b)
{
    const struct metrics_group *x = a, *y = b;

    if (x->rss != y->rss)
        return x->rss < y->rss ? 1 : -1;
    return strcmp(x->comm, y->comm);
}

void metrics_group_procs(const struct proc_sample *procs, size_t n, struct metrics_groups *out)
{
    struct metrics_group other = {.comm = "other"};
    size_t ng = 0;

    for (size_t i = 0; i < n; i++) {
        char label[sizeof(out->g[0].comm)];
        size_t j;

        (void)metrics_label_value(label, sizeof(label), procs[i].comm, sizeof(procs[i].comm));
        if (strcmp(label, "other") == 0) {
            group_add(&other, &procs[i]);
            continue;
        }
        for (j = 0; j < ng && strcmp(out->g[j].comm, label) != 0; j++)
            ;
        if (j == ng) {
            if (ng == METRICS_GROUPS_MAX) {
                group_add(&other, &procs[i]);
                continue;
            }
            memset(&out->g[ng], 0, sizeof(out->g[ng]));
            memcpy(out->g[ng].comm, label, sizeof(label));
            ng++;
        }
        group_add(&out->g[j], &procs[i]);
    }
    qsort(out->g, ng, sizeof(out->g[0]), by_rss_then_name);
    for (size_t j = METRICS_TOP_GROUPS; j < ng; j++)
        group_merge(&other, &out->g[j]);
    out->n = ng < METRICS_TOP_GROUPS ? ng : METRICS_TOP_GROUPS;
    if (other.processes)
        out->g[out->n++] = other;
}

/* --- the writer: whole families or none ----------------------------------------- */

struct page {
    char *buf;
    size_t cap, len;
    size_t mark;     /* where the open family began */
    size_t nsamples; /* in the open family */
    bool full;       /* a family did not fit: nothing more is written */
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct page *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= p->cap - p->len)
        p->full = true;
    else
        p->len += (size_t)n;
}

static void family(struct page *p, const char *name, const char *type, const char *help)
{
    p->mark = p->len;
    p->nsamples = 0;
    put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Closes the open family: left out when it is empty or did not fit. */
static void end(struct page *p)
{
    if (p->full || p->nsamples == 0)
        p->len = p->mark;
}

/* A sample; labels: "" or `name="value",...` (values already escaped). */
static void u64(struct page *p, const char *name, const char *labels, uint64_t v)
{
    if (v == UNKNOWN)
        return;
    put(p, *labels ? "%s{%s} %" PRIu64 "\n" : "%s%s %" PRIu64 "\n", name, labels, v);
    p->nsamples++;
}

/* Ratios with %.6g; seconds with %.6f, so that a counter keeps its
 * microseconds however large it grows. */
static void dbl(struct page *p, const char *name, const char *labels, double v)
{
    put(p, *labels ? "%s{%s} %.6g\n" : "%s%s %.6g\n", name, labels, v);
    p->nsamples++;
}

static void secs(struct page *p, const char *name, const char *labels, double v)
{
    put(p, *labels ? "%s{%s} %.6f\n" : "%s%s %.6f\n", name, labels, v);
    p->nsamples++;
}

/* One family of one sample. */
static void gauge(struct page *p, const char *name, const char *help, uint64_t v)
{
    family(p, name, "gauge", help);
    u64(p, name, "", v);
    end(p);
}

static void counter(struct page *p, const char *name, const char *help, uint64_t v)
{
    family(p, name, "counter", help);
    u64(p, name, "", v);
    end(p);
}

/* --- the families --------------------------------------------------------------- */

static void health(struct page *p, const struct metrics_view *v)
{
    const struct metrics_health *h = &v->health;
    char labels[64];

    family(p, "jeinit_build_info", "gauge", "jeinit's version (the value is always 1).");
    (void)snprintf(labels, sizeof(labels), "version=\"%.32s\"", v->version);
    u64(p, "jeinit_build_info", labels, 1);
    end(p);
    counter(p, "jeinit_metrics_scrapes_total", "Metrics pages served.", h->scrapes);
    family(p, "jeinit_metrics_requests_rejected_total", "counter",
           "Requests to the metrics endpoint not served a page, by reason.");
    for (unsigned r = 0; r < sizeof(h->rejected) / sizeof(h->rejected[0]); r++) {
        (void)snprintf(labels, sizeof(labels), "reason=\"%s\"", metrics_reject_reason_name(r));
        u64(p, "jeinit_metrics_requests_rejected_total", labels, h->rejected[r]);
    }
    end(p);
    counter(p, "jeinit_metrics_truncated_total",
            "Metrics pages cut short at a family boundary because they did not fit.", h->truncated);
    counter(p, "jeinit_log_lines_dropped_total",
            "Log lines jeinit dropped (its queue full or its output gone).", h->log_dropped);
    if (h->have_agents) {
        gauge(p, "jeinit_agents_connected", "Agents registered and followed now.",
              h->agents_connected);
        counter(p, "jeinit_agents_registered_total", "Agent registrations accepted.",
                h->agents_registered);
        counter(p, "jeinit_agents_rejected_total", "Agent registrations refused.",
                h->agents_rejected);
    }
    gauge(p, "jeinit_monitor_running", "1 when the memory monitor samples, else 0.", v->monitor);
}

static void monitor_totals(struct page *p, const struct metrics_view *v)
{
    const struct cgroup_limits *l = v->lim;

    counter(p, "jeinit_samples_total", "Memory samples taken.", v->samples);
    counter(p, "jeinit_oom_kills_total", "OOM kills in the cgroup since jeinit started.",
            v->oom_kills);
    counter(p, "jeinit_purges_total", "Purges jeinit asked of the agents.", v->purges);
    counter(p, "jeinit_purged_bytes_total", "Bytes the agents reported released by purges.",
            v->purged_bytes);
    if (!l)
        return;
    if (!l->memory_unlimited)
        gauge(p, "jeinit_cgroup_memory_limit_bytes",
              "The memory limit jeinit tunes for (the smallest of the cgroup's and overrides).",
              l->memory_limit);
    if (!l->memory_unlimited || l->memory_ceiling_is_high)
        gauge(p, "jeinit_cgroup_memory_ceiling_bytes",
              "What usage is judged against: the lower of memory.high and the limit.",
              l->memory_ceiling);
    if (l->memory_high.present && l->memory_high.value != CG_UNLIMITED)
        gauge(p, "jeinit_cgroup_memory_high_bytes",
              "memory.high (the smallest up the tree), where the kernel throttles.",
              l->memory_high.value);
}

static void psi(struct page *p, const struct metrics_view *v)
{
    const struct cgroup_usage *u = v->usage;
    const struct cg_psi_line *lines[2] = {&u->psi.some, &u->psi.full};
    const char *kinds[2] = {"some", "full"};
    char labels[96];

    if (!u->psi_scope)
        return;
    family(p, "jeinit_memory_pressure_ratio", "gauge",
           "Memory pressure (PSI): share of time tasks stalled on memory, averaged over window.");
    for (int k = 0; k < 2; k++) {
        if (!lines[k]->present)
            continue;
        (void)snprintf(labels, sizeof(labels), "scope=\"%s\",kind=\"%s\",window=\"10s\"",
                       u->psi_scope, kinds[k]);
        dbl(p, "jeinit_memory_pressure_ratio", labels, lines[k]->avg10 / 100.0);
        (void)snprintf(labels, sizeof(labels), "scope=\"%s\",kind=\"%s\",window=\"60s\"",
                       u->psi_scope, kinds[k]);
        dbl(p, "jeinit_memory_pressure_ratio", labels, lines[k]->avg60 / 100.0);
    }
    end(p);
    family(p, "jeinit_memory_pressure_stalled_seconds_total", "counter",
           "Memory pressure (PSI): total time tasks stalled on memory.");
    for (int k = 0; k < 2; k++) {
        if (!lines[k]->present)
            continue;
        (void)snprintf(labels, sizeof(labels), "scope=\"%s\",kind=\"%s\"", u->psi_scope, kinds[k]);
        secs(p, "jeinit_memory_pressure_stalled_seconds_total", labels,
             (double)lines[k]->total_us / 1e6);
    }
    end(p);
}

static void cgroup_figures(struct page *p, const struct metrics_view *v)
{
    const struct cgroup_usage *u = v->usage;
    static const char *const events[] = {"low", "high", "max", "oom", "oom_kill"};
    uint64_t counts[5];
    char labels[32];

    if (!u->present)
        return;
    gauge(p, "jeinit_cgroup_memory_usage_bytes", "The cgroup's memory usage (memory.current).",
          u->current);
    gauge(p, "jeinit_cgroup_memory_peak_bytes", "The cgroup's highest usage (memory.peak).",
          u->peak);
    gauge(p, "jeinit_cgroup_memory_working_set_bytes",
          "Usage less inactive file pages, as cAdvisor's working set.", u->working_set);
    gauge(p, "jeinit_cgroup_memory_anon_bytes", "Anonymous memory (memory.stat anon).", u->anon);
    gauge(p, "jeinit_cgroup_memory_file_bytes", "Page cache (memory.stat file).", u->file);
    gauge(p, "jeinit_cgroup_memory_kernel_bytes", "Kernel memory charged to the cgroup.",
          u->kernel);
    gauge(p, "jeinit_cgroup_memory_shmem_bytes", "Shared memory and tmpfs (memory.stat shmem).",
          u->shmem);
    counts[0] = u->ev_low;
    counts[1] = u->ev_high;
    counts[2] = u->ev_max;
    counts[3] = u->ev_oom;
    counts[4] = u->ev_oom_kill;
    family(p, "jeinit_cgroup_memory_events_total", "counter",
           "The cgroup's memory.events counters (v1: failcnt as max, oom_kill).");
    for (size_t i = 0; i < 5; i++) {
        (void)snprintf(labels, sizeof(labels), "event=\"%s\"", events[i]);
        u64(p, "jeinit_cgroup_memory_events_total", labels, counts[i]);
    }
    end(p);
    psi(p, v);
}

static void diagnosis_figures(struct page *p, const struct metrics_view *v)
{
    char labels[48];

    family(p, "jeinit_diagnosis_state", "gauge",
           "What memory is doing, as jeinit diagnoses it: 1 for the current state, else 0.");
    for (int s = DIAG_WARMING_UP; s <= DIAG_THROTTLED; s++) {
        (void)snprintf(labels, sizeof(labels), "state=\"%s\"", diag_state_name(s));
        u64(p, "jeinit_diagnosis_state", labels, v->diag->state == (enum diag_state)s);
    }
    end(p);
    gauge(p, "jeinit_diagnosis_near_limit", "1 when usage is above 90% of the ceiling.",
          v->diag->near_limit);
}

static void process_totals(struct page *p, const struct metrics_view *v)
{
    const struct diag_sample *s = v->sums;

    gauge(p, "jeinit_processes", "Processes in the container, as sampled.", v->nprocs);
    gauge(p, "jeinit_processes_unsampled", "Processes beyond the monitor's table, not sampled.",
          v->nskipped);
    if (!s)
        return;
    gauge(p, "jeinit_processes_rss_bytes", "Resident memory of all the processes.", s->rss);
    gauge(p, "jeinit_allocator_reporting_processes",
          "Processes whose allocator figures (from jeinit's agent) are usable.", s->reporting);
    gauge(p, "jeinit_allocator_stale_processes", "Processes whose agent did not answer in time.",
          s->stale);
    gauge(p, "jeinit_allocator_implausible_processes",
          "Processes whose agent reported figures no process of their size can have.",
          s->implausible);
    gauge(p, "jeinit_allocator_allocated_bytes",
          "Bytes the allocators hand out (live heap), over the reporting processes.", s->allocated);
    gauge(p, "jeinit_allocator_held_bytes",
          "Bytes the allocators keep beyond the live heap, over the reporting processes.", s->held);
}

struct group_figure {
    const char *name, *help;
    size_t offset; /* in struct metrics_group */
    size_t when;   /* the count that must be non-zero; offset of it */
};

static void process_groups(struct page *p, const struct metrics_view *v, struct metrics_groups *gs)
{
#define AT(f) offsetof(struct metrics_group, f)
    static const struct group_figure figures[] = {
        {"jeinit_process_group_processes", "Processes with this name.", AT(processes),
         AT(processes)},
        {"jeinit_process_group_rss_bytes", "Resident memory of the processes with this name.",
         AT(rss), AT(processes)},
        {"jeinit_process_group_pss_bytes",
         "Proportional set size of the processes with this name (those whose PSS was read).",
         AT(pss), AT(with_pss)},
        {"jeinit_process_group_reporting_processes",
         "Processes with this name whose allocator figures are usable.", AT(reporting),
         AT(processes)},
        {"jeinit_process_group_allocated_bytes",
         "Live heap of the reporting processes with this name.", AT(allocated), AT(reporting)},
        {"jeinit_process_group_held_bytes",
         "Memory the allocators of the reporting processes with this name keep beyond the heap.",
         AT(held), AT(reporting)},
    };
#undef AT
    char labels[64];

    metrics_group_procs(v->procs, v->nprocs, gs);
    for (size_t f = 0; f < sizeof(figures) / sizeof(figures[0]); f++) {
        family(p, figures[f].name, "gauge", figures[f].help);
        for (size_t i = 0; i < gs->n; i++) {
            const char *g = (const char *)&gs->g[i];
            uint64_t val, when;
            memcpy(&val, g + figures[f].offset, sizeof(val));
            memcpy(&when, g + figures[f].when, sizeof(when));
            if (!when)
                continue;
            (void)snprintf(labels, sizeof(labels), "comm=\"%s\"", gs->g[i].comm);
            u64(p, figures[f].name, labels, val);
        }
        end(p);
    }
}

size_t metrics_render(const struct metrics_view *v, struct metrics_groups *scratch, char *buf,
                      size_t cap, bool *truncated)
{
    struct page p = {.buf = buf, .cap = cap};

    health(&p, v);
    if (v->monitor)
        monitor_totals(&p, v);
    if (v->monitor && v->have_sample) {
        family(&p, "jeinit_sample_lag_seconds", "gauge",
               "How late the last sample was against its schedule.");
        secs(&p, "jeinit_sample_lag_seconds", "", (double)v->lag_ms / 1000.0);
        end(&p);
        family(&p, "jeinit_sample_age_seconds", "gauge", "How long ago the last sample was taken.");
        secs(&p, "jeinit_sample_age_seconds", "", (double)v->sample_age_ms / 1000.0);
        end(&p);
        if (v->usage)
            cgroup_figures(&p, v);
        if (v->diag)
            diagnosis_figures(&p, v);
        process_totals(&p, v);
        if (v->procs && scratch)
            process_groups(&p, v, scratch);
    }
    *truncated = p.full;
    return p.len;
}
