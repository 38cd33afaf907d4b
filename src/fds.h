/* fds.h - PID 1's own descriptors. jeinit needs a few for itself (the log,
 * the signalfd, epoll, timers) and, with the agents and the monitor on, one
 * per reporting process and a few more; a container's RLIMIT_NOFILE can be
 * far lower (ulimit -n 8 is seen), or its soft limit lower than the hard one.
 * jeinit raises its own soft limit to the hard one, gives the program back
 * the limit it was started with (spawn.c), and runs the optional parts only
 * where enough descriptors are left for them: the program always starts. */
#ifndef JEINIT_FDS_H
#define JEINIT_FDS_H

#include <stdbool.h>
#include <sys/resource.h>

/* Free descriptors below which there is no agent channel and no monitor:
 * what is left keeps the init itself (signalfd, epoll, the exec-error pipe,
 * /proc, one file at a time) working. */
#define FDS_FOR_EXTRAS 24
/* The soft limit jeinit raises itself to, at most (the hard limit may be
 * "unlimited"): enough for every agent slot and the monitor. */
#define FDS_WANT 4096

struct fds_limit {
    struct rlimit original; /* as jeinit was started: the program's */
    rlim_t own;             /* jeinit's soft limit now */
    rlim_t free;            /* of those, not open yet (inherited ones count); 0: unknown */
    bool raised;
};

/* Reads RLIMIT_NOFILE and raises jeinit's soft limit towards the hard one.
 * Never fails: without getrlimit, own is 0 ("unknown") and nothing changes. */
void fds_prepare(struct fds_limit *f);

/* Pure: whether the agent channel and the monitor may run with this many
 * free descriptors (0: unknown, taken as enough). */
bool fds_enough_for_extras(rlim_t free);

#endif
