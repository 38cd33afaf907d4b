/* supervisor.h - the life of the running program: forward signals, reap
 * every child, and at the end leave nothing behind (SIGTERM to what remains,
 * SIGKILL after the grace period, exit only once all are reaped). */
#ifndef JEINIT_SUPERVISOR_H
#define JEINIT_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"
#include "proctree.h"
#include "signals.h"

struct monitor;

enum phase {
    PHASE_RUN,  /* the program runs */
    PHASE_STOP, /* SIGTERM sent; waiting up to the grace period */
    PHASE_KILL, /* SIGKILL sent; waiting (bounded) for the last reaps */
};

struct supervisor {
    const struct config *cfg;
    struct loop *loop;
    struct monitor *monitor; /* may be NULL */
    pid_t self;
    bool pid1;

    pid_t child;
    bool child_running;
    pid_t tty_fg;     /* the terminal's foreground group before the program took it, or -1 */
    int child_status; /* wait status of the program */

    enum phase phase;
    bool rest_terminated; /* the processes left after the program got SIGTERM */
    bool no_children;     /* waitpid said ECHILD */
    int64_t started_ms, stop_ms, kill_deadline_ms;
    uint64_t reaped_others;

    struct loop_source sig_src, grace_src, log_src;
    int grace_tfd;
    bool log_watched;
    struct proctree tree;
};

/* Sets up the supervisor's sources on loop for the program child. Returns 0
 * or a negative errno with *what naming the failing call. */
int supervisor_init(struct supervisor *s, const struct config *cfg, struct loop *loop,
                    const struct signal_state *sig, pid_t child, pid_t tty_fg, const char **what);

/* Runs until the program has exited and every other child is reaped (or the
 * bounded wait after SIGKILL is over). */
void supervisor_run(struct supervisor *s);

void supervisor_fini(struct supervisor *s);

/* Pure: jeinit's exit code for the program's wait status (code, 128+N for
 * signal N, then -e remapping). */
int exit_code_for_status(int wstatus, const struct config *cfg);

#endif
