/* spawn.h - starting the program: its own process group, the tty's
 * foreground when stdin is a tty, jeinit's original signal state and
 * descriptor limit, and exec failures reported back exactly (127 not found,
 * 126 cannot execute, 1 otherwise) through a pipe, or, when no descriptor is
 * left for the pipe, by the child's exit code alone. */
#ifndef JEINIT_SPAWN_H
#define JEINIT_SPAWN_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "signals.h"

struct spawn_request {
    char *const *argv;
    char *const *envp;
    const struct signal_state *signals;
    const struct rlimit *nofile; /* RLIMIT_NOFILE to give back to the program, or NULL */
};

/* Forks and execs argv[0] (searched in PATH). Returns 0 with *pid set, or a
 * negative errno when fork failed. *exec_errno is 0, or the errno of a failed
 * exec: the child has then exited with exec_failure_exit_code() and still has
 * to be reaped. */
int spawn_child(const struct spawn_request *req, pid_t *pid, int *exec_errno);

/* As tini: 127 for ENOENT (not found), 126 for EACCES (not executable), 1
 * for any other exec failure. */
int exec_failure_exit_code(int err);

#endif
