/* purge.c - when usage passes --purge-at of the ceiling (the lower of
 * memory.high and the limit), or pressure its threshold, jeinit asks every
 * agent to return its allocator's free pages (at most once per purge
 * period), and a second later logs what they released: what each could have
 * released by its process's RSS and swap when asked (agentstats_purged),
 * summed with saturation; the other answers are counted apart. Part of the
 * monitor (monitor.h). */
#include <stdlib.h>

#include "log.h"
#include "monitor.h"
#include "util.h"

static uint64_t usage_for_limit(const struct cgroup_usage *u)
{
    /* what the kernel cannot simply drop: usage minus inactive file pages */
    return u->working_set != UINT64_MAX ? u->working_set : u->current;
}

/* Each agent's process as this sample saw it: what its purge can release
 * is judged by that, not by what is left after it. */
static void note_footprints(struct monitor *m)
{
    for (size_t i = 0; i < m->hub->top; i++) {
        struct agent_slot *s = &m->hub->slots[i];
        struct proc_sample key = {.pid = s->pid};
        const struct proc_sample *p =
            bsearch(&key, m->pss_cache, m->npss, sizeof(m->pss_cache[0]), proc_sample_by_pid);
        s->purge_rss = p ? p->rss : UINT64_MAX;
        s->purge_swap = p ? p->swap : UINT64_MAX;
    }
}

void purge_maybe(struct monitor *m)
{
    const struct cgroup_usage *u = &m->usage;
    uint64_t used = usage_for_limit(u);
    int64_t now = now_mono_ms();
    bool over, pressured;

    if (!m->hub || m->hub->nused == 0 || m->purge_reason)
        return;
    if (m->last_purge_ms && now - m->last_purge_ms < m->purge_every_ms)
        return;
    /* against the ceiling: above memory.high the kernel throttles already */
    over =
        (!m->lim->memory_unlimited || m->lim->memory_ceiling_is_high) && used != UINT64_MAX &&
        (double)used * 100.0 >= (double)m->cfg->purge_at_percent * (double)m->lim->memory_ceiling;
    pressured = u->psi_scope && u->psi.some.avg10 >= (double)m->cfg->pressure_percent;
    if (!over && !pressured)
        return;
    m->purge_reason = over ? "usage above --purge-at" : "memory pressure above threshold";
    m->purge_usage_before = u->current;
    /* a sequence space of its own, so memory lines keep consecutive seqs */
    m->purge_seq = (uint32_t)(++m->purges_asked) | 0x80000000u;
    m->last_purge_ms = now;
    note_footprints(m);
    agents_request(m->hub, AGENT_PURGE, m->purge_seq);
    /* purging hundreds of MiB takes a while: give the agents a second */
    (void)timer_arm(m->purge_tfd, 1000, 0);
}

void purge_on_report(struct loop_source *src, uint32_t events)
{
    struct monitor *m = src->ctx;
    uint64_t released = 0;
    unsigned answered = 0, implausible = 0;
    struct jw *w;

    (void)events;
    timer_ack(src->fd);
    if (!m->purge_reason)
        return;
    for (size_t i = 0; i < m->hub->top; i++) {
        const struct agent_slot *s = &m->hub->slots[i];
        if (s->src.fd >= 0 && s->has_purge && s->purge.seq == m->purge_seq) {
            uint64_t r = agentstats_purged(&s->purge, s->purge_rss, s->purge_swap);
            answered++;
            if (r == UINT64_MAX)
                implausible++;
            else
                released = sat_add(released, r);
        }
    }
    cgroup_read_usage(m->cg, &m->usage);
    m->purges++;
    m->purged_bytes = sat_add(m->purged_bytes, released);
    w = log_report(LOG_INFO, "purge");
    jw_str(w, "reason", m->purge_reason);
    jw_u64(w, "agents", answered);
    jw_u64(w, "released_bytes", released);
    jw_u64(w, "implausible_agents", implausible);
    jw_u64_or_null(w, "usage_before_bytes", m->purge_usage_before);
    jw_u64_or_null(w, "usage_after_bytes", m->usage.current);
    log_end(w);
    m->purge_reason = NULL;
}
