/* proctree.h - the processes jeinit answers for, from /proc: everything in
 * the pid namespace when jeinit is PID 1, its descendants otherwise. Scans use
 * one directory descriptor and fixed buffers (no allocation), so the monitor
 * and the shutdown path can call them at any time. */
#ifndef JEINIT_PROCTREE_H
#define JEINIT_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "procfs_parse.h"

#define PROCTREE_MAX 16384

struct proc_entry {
    pid_t pid;
    pid_t ppid;
    char state;
    char comm[16];
};

struct proctree {
    int procfd;
    char dents[16384] __attribute__((aligned(8))); /* linux_dirent64 records */
};

int proctree_open(struct proctree *t, const char *proc_root);
void proctree_close(struct proctree *t);

/* Lists every process in /proc. -ENOSPC when there were more than cap (the
 * first cap are kept); other errors are negative errnos. */
int proctree_scan(struct proctree *t, struct proc_entry *out, size_t cap, size_t *n);

/* Pure: sorts e by pid, then sets mark[i] to 1 for the entries that descend
 * from root (root itself excluded), 0 for the others, and returns how many
 * descend. mark has room for n. Total on any table, cycles included. */
size_t proctree_descendants(struct proc_entry *e, size_t n, pid_t root, unsigned char *mark);

/* Sends sig to every descendant of root (or, when root is 1 in its own
 * namespace, every process but root). Returns how many were signalled, or a
 * negative errno when /proc could not be read. */
int proctree_signal_descendants(struct proctree *t, pid_t root, int sig);

#endif
