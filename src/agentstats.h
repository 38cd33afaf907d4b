/* agentstats.h - the agents' figures, checked, and what a sample makes of
 * them. Pure: replies and the kernel's per-process figures in, a sample's
 * sums and step out; no files, no clock, no printing.
 *
 * The agent channel is open to every process of the container, by design,
 * so a reply is a claim made by that process about itself. A claim no
 * process of its size could make is *implausible*: it stays in that
 * process's own processes[] entry, marked, and is left out of the totals,
 * the step and the diagnosis. With footprint = RSS + swap (the kernel's
 * figures), a reply is implausible when
 *   - allocated, active, resident, metadata or held exceeds
 *     footprint + max(footprint, 256 MiB): far above what the process has
 *     (the allowance is for memory allocated but never touched, which the
 *     allocators count and RSS does not, and for the reply predating RSS);
 *   - it contradicts itself: allocated above mapped (both allocators map
 *     what they hand out); for jemalloc allocated or held above resident
 *     (held is resident - allocated); for glibc held above mapped (free
 *     chunks lie in the arenas).
 * A plausible liar can still move the totals by what a real process of its
 * size could; it can never wrap them, and never touch another pid's entry
 * (agents.c: a registration's socket must be the claimed pid's own).
 *
 * All arithmetic on figures saturates: UINT64_MAX stays "unknown" and a sum
 * stops at UINT64_MAX - 1; differences are clamped to int64_t. */
#ifndef JEINIT_AGENTSTATS_H
#define JEINIT_AGENTSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/proto.h"
#include "agents.h"
#include "diagnosis.h"

#define AGENTSTATS_ALLOWANCE (UINT64_C(256) << 20)

/* One process in one sample. */
struct proc_sample {
    pid_t pid;
    char comm[16];
    uint64_t rss, pss, anon, swap;
    int64_t pss_ms;           /* when pss was read: smaps_rollup is costly, so not every sample */
    uint64_t pss_rss;         /* rss then: a pss is reused only while rss has not moved much */
    uint64_t allocated, held; /* the agent's usable figures this round, else UINT64_MAX */
    const struct agent_slot *agent; /* NULL: no agent with figures */
    bool fresh;                     /* the agent answered this round */
    const char *implausible;        /* NULL, or the first figure no such process can have */
    int64_t stats_age_ms;           /* how long ago the agent last answered */
};

/* a + b, stopping at UINT64_MAX - 1 (UINT64_MAX means unknown). */
uint64_t sat_add(uint64_t a, uint64_t b);
/* The sum of the known values: UINT64_MAX until one is known. */
uint64_t sat_sum_known(uint64_t sum, uint64_t v);
/* now - before, clamped to the range of int64_t. */
int64_t sat_diff(uint64_t now, uint64_t before);
int64_t sat_add_i64(int64_t a, int64_t b);

/* The most a process with this RSS and swap can report (UINT64_MAX when
 * rss is unknown: no bound). */
uint64_t agentstats_bound(uint64_t rss, uint64_t swap);
/* NULL when the reply is plausible for a process with this RSS and swap,
 * else the name of the first figure that is not ("allocated_bytes"...). */
const char *agentstats_implausible(const struct agent_reply *r, uint64_t rss, uint64_t swap);
/* What a purge reply released, when a process with this RSS and swap (when
 * the purge was asked) could have released it; UINT64_MAX when not. */
uint64_t agentstats_purged(const struct agent_reply *r, uint64_t rss, uint64_t swap);

/* A datagram of n bytes from s's agent (n < 0: none): kept when it is a
 * valid reply. Returns true when it was. */
bool agentstats_take_reply(struct agent_slot *s, const struct agent_reply *r, long n,
                           int64_t now_ms);

/* qsort/bsearch order of proc_sample by pid. */
int proc_sample_by_pid(const void *a, const void *b);

/* Attaches every registered agent with figures to its process (procs
 * sorted by pid), judges its reply, and notes whether it answered round seq. */
void agentstats_attach(struct proc_sample *procs, size_t n, const struct agent_slot *slots,
                       size_t nslots, uint32_t seq, int64_t now_ms);
/* Sets each process's usable figures and computes the step: their change
 * since the previous sample (before: sorted by pid) over the processes
 * usable in both, so that a worker that starts or exits is not growth. */
void agentstats_step(struct proc_sample *procs, size_t n, const struct proc_sample *before,
                     size_t nbefore, struct diag_sample *step);
/* The sample's per-process sums (rss; the reporting processes' agent_rss,
 * allocated, held; the stale and implausible counts). The cgroup's fields,
 * the time and the step are the caller's. */
void agentstats_sums(const struct proc_sample *procs, size_t n, struct diag_sample *d);

#endif
