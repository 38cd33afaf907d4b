/* cgroup_procs.h - is a pid listed in a cgroup.procs file? The file is read
 * in pieces of any size (a pid may straddle two), so the scan keeps its state
 * between them. Pure and total: any bytes are accepted; a line counts only
 * when it is the pid in decimal, nothing else. Fuzzed by fuzz_cgroup_procs. */
#ifndef JEINIT_CGROUP_PROCS_H
#define JEINIT_CGROUP_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cg_pid_scan {
    uint64_t want;  /* the pid looked for */
    uint64_t value; /* the current line's number so far */
    bool digits;    /* the current line has digits, and nothing else so far */
    bool bad;       /* the current line is not a plain number */
    bool found;
};

void cg_pid_scan_init(struct cg_pid_scan *s, uint64_t pid);
void cg_pid_scan_feed(struct cg_pid_scan *s, const char *buf, size_t len);
/* The end of the file (a last line without a newline counts): found? */
bool cg_pid_scan_end(struct cg_pid_scan *s);

#endif
