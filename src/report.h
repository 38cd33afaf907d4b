/* report.h - the JSON views of what jeinit knows (cgroup, limits, usage, the
 * memory line's body), written through json.h so that the start line, the
 * memory lines and --inspect show the same fields under the same names. Pure:
 * they write into a jw and read nothing else. */
#ifndef JEINIT_REPORT_H
#define JEINIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
struct proc_sample;
/* The body of a "memory" line: why it was written (reason, a log_reason
 * name), a msg, the cgroup, the largest processes as far as they fit in a
 * line of line_max bytes (--log-processes at most; none with "all") and the
 * sums of the others, totals, the gap and the diagnosis, from the monitor's
 * last sample (d: its sums). */
void report_memory(struct jw *w, const struct monitor *m, const struct diag_sample *d,
                   const char *reason, size_t line_max);
/* One process's fields (a memory_process line's body). */
void report_process_fields(struct jw *w, const struct proc_sample *p);
/* "412 MiB": a size for people, into buf. */
void report_human_bytes(uint64_t bytes, char *buf, size_t sz);

#endif
