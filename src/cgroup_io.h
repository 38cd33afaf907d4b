/* cgroup_io.h - what the cgroup files share (cgroup.c: discovery;
 * cgroup_limits.c; cgroup_usage.c; cgroup_libcgroup.c): reading a file in a
 * directory, and one buffer for memory.stat-sized files, reused (PID 1 reads
 * them one at a time, and keeps no second copy resident). */
#ifndef JEINIT_CGROUP_IO_H
#define JEINIT_CGROUP_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CG_SMALL_FILE 4096
#define CG_STAT_FILE  16384

extern char cg_stat_buf[CG_STAT_FILE];

bool cg_exists_in(const char *dir, const char *name);
/* Reads dir/name into buf; 0-terminated length, or a negative errno. */
ssize_t cg_read_in(const char *dir, const char *name, char *buf, size_t bufsz);

/* cgroup_find.c: the directory at or below top (depth and count bounded)
 * whose cgroup.procs lists pid: 0 and dir; -ENOENT when none does, -E2BIG
 * when the bound was reached first, another negative errno when top cannot
 * be opened. *searched: the directories read. */
int cg_find_by_pid(const char *top, uint64_t pid, char *dir, size_t dirsz, unsigned *searched);

#endif
