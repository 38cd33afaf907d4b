/* signals.c - see signals.h. */
#include "signals.h"

#include <errno.h>
#include <sys/signalfd.h>

#include "util.h"

static const int synchronous[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};

bool signal_is_synchronous(int sig)
{
    for (size_t i = 0; i < ARRAY_SIZE(synchronous); i++)
        if (synchronous[i] == sig)
            return true;
    return false;
}

void signals_routed(sigset_t *set)
{
    (void)sigfillset(set);
    for (size_t i = 0; i < ARRAY_SIZE(synchronous); i++)
        (void)sigdelset(set, synchronous[i]);
    /* Ignored, so never pending and never forwarded. */
    (void)sigdelset(set, SIGPIPE);
    (void)sigdelset(set, SIGTTIN);
    (void)sigdelset(set, SIGTTOU);
}

int signals_setup(struct signal_state *st, const char **what)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t set;

    st->sigfd = -1;
    signals_routed(&set);
    (void)sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, &st->orig_pipe) < 0 ||
        sigaction(SIGTTIN, &ign, &st->orig_ttin) < 0 ||
        sigaction(SIGTTOU, &ign, &st->orig_ttou) < 0) {
        *what = "sigaction";
        return -errno;
    }
    if (sigprocmask(SIG_SETMASK, &set, &st->orig_mask) < 0) {
        *what = "sigprocmask";
        return -errno;
    }
    st->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (st->sigfd < 0) {
        *what = "signalfd";
        return -errno;
    }
    return 0;
}

void signals_restore_for_child(const struct signal_state *st)
{
    /* Failures here cannot be reported and change nothing the exec would not. */
    (void)sigaction(SIGPIPE, &st->orig_pipe, NULL);
    (void)sigaction(SIGTTIN, &st->orig_ttin, NULL);
    (void)sigaction(SIGTTOU, &st->orig_ttou, NULL);
    (void)sigprocmask(SIG_SETMASK, &st->orig_mask, NULL);
}
