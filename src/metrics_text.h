/* metrics_text.h - the metrics page, in the Prometheus text exposition
 * format (version 0.0.4, which every scraper reads). Pure: the last
 * sample's figures in, text in a caller's fixed buffer out; no clock, no
 * files, no allocation.
 *
 * Names follow the Prometheus naming guide: jeinit_ prefix, base units
 * (_bytes, _seconds, ratios 0-1), _total on counters, HELP and TYPE for each
 * family. Per-process figures are grouped by process name (comm: untrusted,
 * made a safe label value by metrics_label_value) and bounded: the
 * METRICS_TOP_GROUPS names with the most RSS, and the rest summed under
 * comm="other" (a process named "other" goes there too), so that a
 * container with thousands of names still makes at most 17 series per
 * figure. A family that does not fit the buffer is left out whole, with
 * every family after it (each page is a prefix of the whole page at a
 * family boundary), and counted in *truncated. */
#ifndef JEINIT_METRICS_TEXT_H
#define JEINIT_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentstats.h"
#include "cgroup_types.h"
#include "diagnosis.h"

#define METRICS_TOP_GROUPS 16
#define METRICS_GROUPS_MAX 256 /* as many names as the monitor samples processes */

/* jeinit's own health, whatever the monitor does. */
struct metrics_health {
    uint64_t scrapes, rejected[6]; /* by metrics_reject_reason */
    uint64_t truncated;            /* pages cut short so far */
    uint64_t log_dropped;
    bool have_agents; /* the agent channel is open */
    uint64_t agents_connected, agents_registered, agents_rejected;
};

enum metrics_reject_reason {
    METRICS_REJ_NOT_FOUND, /* 404 */
    METRICS_REJ_METHOD,    /* 405 */
    METRICS_REJ_BAD,       /* 400 */
    METRICS_REJ_TOO_LARGE, /* 431: the request did not fit */
    METRICS_REJ_TIMEOUT,   /* closed at its deadline, unanswered */
    METRICS_REJ_EVICTED,   /* closed unanswered to make room for a newer one */
};
const char *metrics_reject_reason_name(enum metrics_reject_reason r);

/* What the page shows; NULL pointers and have_sample false leave their
 * families out. */
struct metrics_view {
    const char *version;
    struct metrics_health health;

    bool monitor; /* the memory monitor runs */
    const struct cgroup_limits *lim;
    bool have_sample; /* the figures below are a sample's */
    const struct cgroup_usage *usage;
    const struct proc_sample *procs; /* that sample's processes, any order */
    size_t nprocs, nskipped;
    const struct diag_sample *sums; /* that sample's totals (agentstats_sums) */
    const struct diagnosis *diag;
    uint64_t samples, oom_kills, purges, purged_bytes;
    int64_t lag_ms;        /* how late the last sample was against its schedule */
    int64_t sample_age_ms; /* how long ago it was taken */
};

/* One process name's sums. */
struct metrics_group {
    char comm[34]; /* a label value: 15 bytes, each escaped at most to 2 */
    uint64_t processes, rss, pss, allocated, held;
    uint64_t with_pss, reporting; /* processes whose pss / allocator figures are summed */
};

/* Scratch for metrics_render, METRICS_GROUPS_MAX + 1 entries: the caller's,
 * allocated once. */
struct metrics_groups {
    struct metrics_group g[METRICS_GROUPS_MAX + 1];
    size_t n;
};

/* Groups procs by name: the top METRICS_TOP_GROUPS by RSS, sorted, then at
 * most one "other". Exposed for the unit test. */
void metrics_group_procs(const struct proc_sample *procs, size_t n, struct metrics_groups *out);

/* Writes the page into buf (cap bytes: the page and a NUL, which is not
 * part of it). Returns its length; *truncated is set when families were
 * left out. */
size_t metrics_render(const struct metrics_view *v, struct metrics_groups *scratch, char *buf,
                      size_t cap, bool *truncated);

#endif
