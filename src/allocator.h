/* allocator.h - which allocator the program will get: finds libjemalloc
 * (--jemalloc PATH|auto|off), checks it is a loadable ELF shared object,
 * reads its version, finds the stats agent, and reads the host's THP mode.
 * Anything missing is a warning: the program then runs on glibc malloc. */
#ifndef JEINIT_ALLOCATOR_H
#define JEINIT_ALLOCATOR_H

#include "allocator_types.h"
#include "config.h"

void allocator_find(const struct config *cfg, char *const envp[], struct allocator *a);

#endif
