/* report.c - see report.h. */
#include "report.h"

#include <string.h>

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
    if (full) {
        limit(w, "memory_max", &lim->memory_max, "bytes");
        limit(w, "memory_ancestors", &lim->memory_ancestors, "bytes");
        limit(w, "memory_high", &lim->memory_high, "bytes");
        limit(w, "swap_max", &lim->swap_max, "bytes");
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
