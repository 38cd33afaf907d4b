/* fds.c - see fds.h. */
#include "fds.h"

#include <fcntl.h>

/* Probed only where it matters: a limit this high leaves enough anyway. */
#define FDS_PROBE_MAX 256

bool fds_enough_for_extras(rlim_t free)
{
    return free == 0 || free >= FDS_FOR_EXTRAS;
}

/* Descriptors below limit that are open (inherited ones included). */
static rlim_t count_open(rlim_t limit)
{
    rlim_t n = 0;

    for (rlim_t fd = 0; fd < limit; fd++)
        if (fcntl((int)fd, F_GETFD) >= 0)
            n++;
    return n;
}

void fds_prepare(struct fds_limit *f)
{
    struct rlimit want;

    f->raised = false;
    f->own = f->free = 0;
    if (getrlimit(RLIMIT_NOFILE, &f->original) < 0)
        return;
    f->own = f->original.rlim_cur;
    want = f->original;
    if (want.rlim_cur != RLIM_INFINITY && want.rlim_cur < FDS_WANT &&
        want.rlim_cur < want.rlim_max) {
        want.rlim_cur = want.rlim_max < FDS_WANT ? want.rlim_max : FDS_WANT;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            f->own = want.rlim_cur;
            f->raised = true;
        }
    }
    if (f->own != RLIM_INFINITY && f->own < FDS_PROBE_MAX) {
        rlim_t open = count_open(f->own);
        f->free = f->own > open ? f->own - open : 1; /* 1: known to be none */
    }
}
