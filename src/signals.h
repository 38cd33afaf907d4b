/* signals.h - jeinit's signal setup: every catchable signal is blocked and
 * read from one signalfd in the event loop; SIGPIPE, SIGTTIN and SIGTTOU are
 * ignored (a closed log pipe or a background tty must never stop PID 1). The
 * child gets back the mask and dispositions jeinit started with. */
#ifndef JEINIT_SIGNALS_H
#define JEINIT_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

struct signal_state {
    sigset_t orig_mask;
    struct sigaction orig_pipe, orig_ttin, orig_ttou;
    int sigfd;
};

/* The signals jeinit blocks and routes: all but the synchronous ones and
 * the ignored SIGPIPE, SIGTTIN, SIGTTOU. */
void signals_routed(sigset_t *set);

/* Blocks and routes the signals; returns 0 or a negative errno with the
 * failing call named in *what ("signalfd": they are blocked, sigfd is -1,
 * and sigtimedwait can still take them). */
int signals_setup(struct signal_state *st, const char **what);

/* In the child, before exec: dispositions and mask as jeinit found them. */
void signals_restore_for_child(const struct signal_state *st);

/* Synchronous signals (SIGSEGV...) are never blocked: they mean a bug in
 * jeinit and must kill it rather than be read as a message. */
bool signal_is_synchronous(int sig);

#endif
