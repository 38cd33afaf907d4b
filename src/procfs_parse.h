/* procfs_parse.h - pure parsers for /proc files jeinit reads: /proc/<pid>/stat,
 * /proc/<pid>/smaps_rollup, /proc/<pid>/status and /proc/meminfo. Same rules
 * as cgroup_parse.h: buffers in, values out, total on every input, no I/O.
 * Each has a libFuzzer harness in tests/fuzz/. */
#ifndef JEINIT_PROCFS_PARSE_H
#define JEINIT_PROCFS_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_COMM_MAX 64

/* /proc/<pid>/stat: "pid (comm) S ppid pgrp session ...". comm may hold
 * spaces and parentheses: it runs to the LAST ')'. Fields after it are
 * read by position: state (3), ppid (4), pgrp (5), utime (14), stime (15),
 * starttime (22), rss pages (24). Missing trailing fields are -EINVAL. */
struct proc_stat {
    pid_t pid;
    char comm[PROC_COMM_MAX];
    char state;
    pid_t ppid;
    pid_t pgrp;
    uint64_t utime_ticks, stime_ticks;
    uint64_t starttime_ticks;
    uint64_t rss_pages;
};
int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out);

/* /proc/<pid>/smaps_rollup (and /proc/<pid>/status VmRSS as the fallback):
 * "Rss:   1234 kB" lines. Values are converted to bytes; absent keys stay
 * UINT64_MAX so the caller can tell "0" from "not reported". -EINVAL when
 * neither Rss nor VmRSS is present. */
struct proc_mem {
    uint64_t rss, pss, pss_anon, pss_file, pss_shmem, anonymous, swap, swap_pss;
};
int proc_parse_smaps_rollup(const char *buf, size_t len, struct proc_mem *out);
int proc_parse_status_rss(const char *buf, size_t len, struct proc_mem *out);

/* /proc/meminfo: MemTotal and MemAvailable in bytes (-ENOENT without
 * MemTotal; MemAvailable UINT64_MAX when absent). */
int proc_parse_meminfo(const char *buf, size_t len, uint64_t *mem_total, uint64_t *mem_available);

#endif
