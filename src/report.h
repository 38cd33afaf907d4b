/* report.h - the JSON views of what jeinit knows (cgroup, limits, usage, the
 * memory line's body), written through json.h so that the start line, the
 * memory lines and --inspect show the same fields under the same names. Pure:
 * they write into a jw and read nothing else. */
#ifndef JEINIT_REPORT_H
#define JEINIT_REPORT_H

#include <stdbool.h>

#include "cgroup_types.h"
#include "json.h"

void report_cgroup(struct jw *w, const char *key, const struct cgroup *cg);
/* full: every source too (inspect); otherwise the effective figures only. */
void report_limits(struct jw *w, const char *key, const struct cgroup_limits *lim, bool full);
/* with_stat: every memory.stat key (inspect). */
void report_usage(struct jw *w, const struct cgroup_usage *u, bool with_stat);
void report_pressure(struct jw *w, const char *key, const struct cgroup_usage *u);
void report_events(struct jw *w, const char *key, const struct cgroup_usage *u);

struct monitor;
struct diag_sample;
/* The body of a "memory" line: the cgroup, every listed process, totals,
 * the gap and the diagnosis, from the monitor's last sample (d: its sums). */
void report_memory(struct jw *w, const struct monitor *m, const struct diag_sample *d);

#endif
