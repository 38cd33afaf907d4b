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
    PHASE_RUN,  /* the program runs (signals are forwarded, never escalated) */
    PHASE_STOP, /* the program is gone; SIGTERM sent to what it left, waiting up to --grace */
    PHASE_KILL, /* SIGKILL sent to what is left; waiting (bounded) for the last reaps */
};

struct supervisor {
    const struct config *cfg;
    struct loop *loop;
    struct monitor *monitor; /* may be NULL */
    pid_t self;
    bool pid1;
    bool subreaper; /* a child subreaper (set by -s, or inherited), not PID 1 */

    pid_t child;
    bool child_running;
    pid_t tty_fg;     /* the terminal's foreground group before the program took it, or -1 */
    int child_status; /* wait status of the program */

    enum phase phase;
    bool rest_terminated; /* the processes left after the program got SIGTERM */
    bool no_children;     /* waitpid said ECHILD */
    int64_t started_ms, stop_ms, grace_deadline_ms, kill_deadline_ms;
    uint64_t reaped_others;
    uint64_t forwarded[65];        /* signals passed to the program, by number (_NSIG is 65) */
    uint64_t signal_coalesced[65]; /* forwarded since its last signal line, not logged */
    int64_t signal_logged_ms[65];  /* when its last signal line was written */

    struct loop_source sig_src, log_src;
    bool log_watched;
    struct proctree tree;
};

/* The program, as spawned. */
struct supervised {
    pid_t pid;
    pid_t tty_fg;   /* the terminal's foreground group before the program took it, or -1 */
    bool subreaper; /* jeinit is a child subreaper (-s, or the bit was inherited) */
};

/* Sets up the supervisor's sources on loop for the program. Returns 0 or a
 * negative errno with *what naming the failing call. */
int supervisor_init(struct supervisor *s, const struct config *cfg, struct loop *loop,
                    const struct signal_state *sig, const struct supervised *prog,
                    const char **what);

/* Runs until the program has exited and every other child is reaped (or the
 * bounded wait after SIGKILL is over). */
void supervisor_run(struct supervisor *s);

void supervisor_fini(struct supervisor *s);

/* Without a signalfd or epoll (no descriptor left, ulimit -n): tini's loop,
 * sigtimedwait on the routed signals; forwards them, reaps every child, and
 * returns the program's wait status once it has exited. What it leaves is
 * not terminated here (as PID 1, the kernel does that when jeinit exits). */
int supervisor_run_bare(const struct config *cfg, pid_t child);

/* Pure: jeinit's exit code for the program's wait status (code, 128+N for
 * signal N, then -e remapping). */
int exit_code_for_status(int wstatus, const struct config *cfg);

#endif
