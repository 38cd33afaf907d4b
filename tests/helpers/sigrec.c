/* sigrec - a test program that records the signals it receives.
 * Usage: sigrec FILE
 * Writes "ready pid=P pgid=G tpgid=T" to FILE once its handlers are in place,
 * then one line per signal ("SIGUSR1"). Exits 0 on SIGTERM, after recording it;
 * gives up after 60 s (exit 3) so a broken test cannot leave it behind. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int out = -1;

static void on_signal(int sig)
{
    char line[32];
    const char *name = sigabbrev_np(sig);
    int n = snprintf(line, sizeof(line), "SIG%s\n", name ? name : "?");

    if (n > 0)
        (void)!write(out, line, (size_t)n);
    if (sig == SIGTERM)
        _exit(0);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    char line[128];
    int n;

    if (argc != 2) {
        fprintf(stderr, "usage: sigrec FILE\n");
        return 2;
    }
    out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) {
        perror(argv[1]);
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig < 32; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS ||
            sig == SIGFPE || sig == SIGILL || sig == SIGTTIN || sig == SIGTTOU)
            continue;
        (void)sigaction(sig, &sa, NULL);
    }
    n = snprintf(line, sizeof(line), "ready pid=%d pgid=%d tpgid=%d\n", (int)getpid(),
                 (int)getpgrp(), (int)tcgetpgrp(STDIN_FILENO));
    if (n > 0)
        (void)!write(out, line, (size_t)n);
    alarm(60);
    for (;;)
        pause();
}
