/* figures.h - the agent's answer to jeinit: its process's allocator figures
 * (jemalloc's statistics through mallctl, or glibc's mallinfo2), and a purge
 * when asked. Called from the agent's thread only, never from the program's
 * allocations. */
#ifndef JEINIT_AGENT_FIGURES_H
#define JEINIT_AGENT_FIGURES_H

#include <malloc.h>
#include <stddef.h>

#include "proto.h"

typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
typedef struct mallinfo2 (*mallinfo2_fn)(void);

/* Fills r for req: STATS, or PURGED after purging (jemalloc: every arena;
 * glibc: malloc_trim). mallctl is NULL without jemalloc; mallinfo2 is NULL
 * when glibc's figures are not the process's (another allocator): the reply
 * then says the allocator is unknown. */
void agent_answer(const struct agent_request *req, struct agent_reply *r, mallctl_fn mallctl,
                  mallinfo2_fn mallinfo2);

#endif
