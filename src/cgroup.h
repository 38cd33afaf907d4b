/* cgroup.h - what the container may use and is using, from its cgroup.
 *
 * Discovery finds this process's memory, cpu and cpuset cgroup directories in
 * every layout users run: v2 with or without a cgroup namespace, v1 where the
 * mount's root is the container's own cgroup (/docker/<id>,
 * /libpod_parent/libpod-<id>), v1 nested (kubepods/...), hybrid (v1
 * controllers plus a v2 mount), and none, from mountinfo (whose root field
 * libcgroup ignores: libcgroup is asked only by --inspect, and compared).
 * Limits are read once at start, usage at each sample. Nothing here fails
 * the start: what cannot be read becomes a warning. The types are
 * cgroup_types.h's. */
#ifndef JEINIT_CGROUP_H
#define JEINIT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup_types.h"
#include "config.h"

int cgroup_discover(struct cgroup *cg, const struct config *cfg);

/* libcgroup's view, for the real /proc: asked in a short-lived child process
 * so that its tables (800 KiB, cleared by cgroup_init) and its time stay out
 * of PID 1. start before discovery, finish after it: the comparison goes into
 * cg->discovered_by and cg->libcgroup_note. */
struct libcgroup_probe {
    pid_t pid; /* -1: not asked */
    int fd;
};
void cgroup_libcgroup_start(struct libcgroup_probe *p);
void cgroup_libcgroup_finish(struct cgroup *cg, struct libcgroup_probe *p, int timeout_ms);
void cgroup_read_limits(struct cgroup *cg, const struct config *cfg, struct cgroup_limits *lim);
/* Reads the memory limits again (memory.max or limit_in_bytes, memory.high,
 * the ancestors'; a Kubernetes in-place resize changes them while the
 * program runs). True when the limit or the ceiling changed: lim's memory
 * fields then hold the new ones. Opens files: not at the limit. */
bool cgroup_refresh_memory_limits(struct cgroup *cg, const struct config *cfg,
                                  struct cgroup_limits *lim);
/* After the program is spawned: keep jeinit out of the OOM killer's choice
 * and of a group OOM kill where it may (lim->oom_guard says what happened). */
void cgroup_guard_oom(struct cgroup_limits *lim);
/* Fills u; never fails (missing files leave fields at UINT64_MAX). Opens
 * nothing new after the first call: the memory directory stays open. */
void cgroup_read_usage(struct cgroup *cg, struct cgroup_usage *u);
/* Resets u and reads only usage, peak and the event counters (no memory.stat,
 * no PSI): for the start, a reaped SIGKILL and the exit, which need no more.
 * False when the memory directory cannot be opened. */
bool cgroup_read_counters(struct cgroup *cg, struct cgroup_usage *u);
/* Usage, and the page cache (active + inactive file), alone (UINT64_MAX
 * when unknown): once cgroup_read_usage has run, through descriptors kept
 * open, so that reading them opens and allocates nothing (memevents_tight). */
uint64_t cgroup_read_current(struct cgroup *cg);
uint64_t cgroup_read_file_pages(struct cgroup *cg);
void cgroup_close(struct cgroup *cg);

#endif
