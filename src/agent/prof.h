/* prof.h - the agent's part in heap profiles: jemalloc's sampling turned on
 * and off, and a dump written where jeinit says. Called from the agent's
 * thread only; jemalloc itself does the work (prof.reset, prof.active,
 * prof.dump), which reports its errors to the caller and prints nothing. */
#ifndef JEINIT_AGENT_PROF_H
#define JEINIT_AGENT_PROF_H

#include "figures.h"
#include "proto.h"

/* Fills r (type AGENT_PROF, status 0 or an errno) for a PROF_ON, PROF_DUMP
 * or PROF_OFF request. mallctl is NULL without jemalloc: ENOTSUP. */
void agent_prof(const struct agent_request *req, struct agent_reply *r, mallctl_fn mallctl);
/* Sampling off, whatever jeinit said last: when its PROF_ON's limit_s has
 * passed with no PROF_OFF (jeinit gone, busy, or its request lost). */
void agent_prof_expire(mallctl_fn mallctl);

#endif
