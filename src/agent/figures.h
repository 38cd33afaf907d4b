/* figures.h - the agent's answer to jeinit: its process's allocator figures
 * (jemalloc's statistics through mallctl, or glibc's mallinfo2), and a purge
 * when asked. Called from the agent's thread only, never from the program's
 * allocations. */
#ifndef JEINIT_AGENT_FIGURES_H
#define JEINIT_AGENT_FIGURES_H

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "proto.h"

typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
typedef struct mallinfo2 (*mallinfo2_fn)(void);

/* jemalloc's index for all arenas at once, in mallctl names */
#define MALLCTL_ARENAS_ALL "4096"

/* mallctl helpers for the agent's thread: a read of exactly size bytes
 * (false if the name is unknown or its size differs); a new statistics
 * epoch; every arena's unused pages purged, returning the resident bytes
 * released by jemalloc's own count. */
bool ctl_read(mallctl_fn mallctl, const char *name, void *v, size_t size);
void ctl_refresh(mallctl_fn mallctl);
uint64_t ctl_purge_all(mallctl_fn mallctl);

/* Fills r for req: STATS, or PURGED after purging (jemalloc: every arena;
 * glibc: malloc_trim). mallctl is NULL without jemalloc; mallinfo2 is NULL
 * when glibc's figures are not the process's (another allocator): the reply
 * then says the allocator is unknown. */
void agent_answer(const struct agent_request *req, struct agent_reply *r, mallctl_fn mallctl,
                  mallinfo2_fn mallinfo2);

#endif
