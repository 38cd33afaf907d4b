/* decay.h - the agent's decay steering (see steer.h for the decision): the
 * mallctl calls that read the process's allocation requests, set
 * arena.<i>.dirty_decay_ms and purge. Runs in the agent's thread only.
 *
 * Steered only when jeinit asked for it (JEINIT_AGENT_DECAY=short:long, set
 * when the user's MALLOC_CONF says nothing of decay) and this process's
 * jemalloc really runs with jeinit's short decay (opt.dirty_decay_ms): a
 * program that execs another with its own MALLOC_CONF is not steered. A
 * program that sets a decay itself at run time (mallctl) is noticed at the
 * next change and left alone from then on. */
#ifndef JEINIT_AGENT_DECAY_H
#define JEINIT_AGENT_DECAY_H

#include <sys/types.h>

#include "steer.h"
#include "figures.h"
#include "proto.h"

struct decay {
    mallctl_fn mallctl;
    ssize_t short_ms, long_ms;
    ssize_t set_ms; /* the decay the agent set last (or found) */
    struct steer s;
    uint32_t purges;
    uint64_t purged;
};

/* Called by the thread when it starts (after exec, or in a forked worker);
 * hard: the process woke its agent by the bytes it asked for, not by age. */
void decay_start(struct decay *d, mallctl_fn mallctl, ssize_t short_ms, ssize_t long_ms, bool hard,
                 uint64_t now_ms);
/* When the next tick is due (absolute ms), 0 when not steering. */
uint64_t decay_next_ms(const struct decay *d);
/* A tick: observe, decide, act. */
void decay_tick(struct decay *d, uint64_t now_ms);
/* jeinit purged this process (its cgroup is short of memory): short now. */
void decay_on_purge(struct decay *d, uint64_t now_ms);
/* The thread ends (jeinit is gone): the short decay back, for good. */
void decay_stop(struct decay *d);
/* The steering's state, in a reply to jeinit. */
void decay_report(const struct decay *d, struct agent_reply *r);

#endif
