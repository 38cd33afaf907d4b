/* spawn.h - starting the program: its own process group, the tty's
 * foreground when stdin is a tty, jeinit's original signal state, and exec
 * failures reported back exactly (127 not found, 126 cannot execute). */
#ifndef JEINIT_SPAWN_H
#define JEINIT_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "signals.h"

struct spawn_request {
    char *const *argv;
    char *const *envp;
    const struct signal_state *signals;
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
