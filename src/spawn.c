/* spawn.c - see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

/* tini's codes, which shells use too: 127 not found, 126 not executable,
 * 1 for every other failure (ENOTDIR, ENOEXEC, E2BIG, ENOMEM, ELOOP...). */
int exec_failure_exit_code(int err)
{
    switch (err) {
    case ENOENT:
        return 127;
    case EACCES:
        return 126;
    default:
        return 1;
    }
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child_exec(const struct spawn_request *req, int errpipe)
{
    int err;

    /* the limit jeinit was given, if it raised its own */
    if (req->nofile)
        (void)setrlimit(RLIMIT_NOFILE, req->nofile);
    /* Own process group, so that -g and the tty's job control reach the
     * program's whole group and not jeinit. */
    (void)setpgid(0, 0);
    /* Take the terminal's foreground (SIGTTOU is still ignored here, as in
     * jeinit, so a background group may do it). Not a tty, or not ours:
     * nothing to do. */
    if (isatty(STDIN_FILENO))
        (void)tcsetpgrp(STDIN_FILENO, getpgrp());
    signals_restore_for_child(req->signals);
    execvpe(req->argv[0], req->argv, req->envp);
    err = errno;
    while (errpipe >= 0 && write(errpipe, &err, sizeof(err)) < 0 && errno == EINTR)
        ;
    _exit(exec_failure_exit_code(err));
}

int spawn_child(const struct spawn_request *req, pid_t *pid, int *exec_errno)
{
    cleanup_close_pair int fds[2] = {-1, -1};
    int err = 0;
    ssize_t n;
    pid_t p;

    *exec_errno = 0;
    /* Out of descriptors (ulimit -n): the program still starts; a failed
     * exec then shows only in its exit code. */
    if (pipe2(fds, O_CLOEXEC) < 0 && errno != EMFILE && errno != ENFILE)
        return -errno;
    p = fork();
    if (p < 0)
        return -errno;
    if (p == 0) {
        if (fds[0] >= 0)
            (void)close(fds[0]);
        child_exec(req, fds[1]);
    }
    *pid = p;
    /* Also from this side, so that a signal for the group cannot arrive
     * before the child has made it; EACCES after the exec is harmless. */
    (void)setpgid(p, p);
    if (fds[0] < 0)
        return 0;
    (void)close(take_fd(&fds[1]));
    /* The write end closes on a successful exec (O_CLOEXEC): EOF means the
     * program runs; an int means exec failed with that errno. */
    do {
        n = read(fds[0], &err, sizeof(err));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(err))
        *exec_errno = err ? err : EIO;
    return 0;
}
