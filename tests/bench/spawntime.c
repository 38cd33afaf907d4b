/* spawntime - start-to-exit wall time of several commands, interleaved.
 * Usage: spawntime [-p] RUNS WARMUP :: LABEL CMD [ARGS...] :: LABEL CMD [ARGS...] ...
 * Runs every command RUNS times (after WARMUP untimed runs each). Each round
 * runs every command once, in a fresh random order, so that drift of the
 * machine (frequency, cache, other load) falls on all commands alike.
 * With -p each run is started as PID 1 of a new PID namespace (as in a
 * container); otherwise as a plain child. stdin, stdout and stderr of each run
 * are /dev/null. The clock (CLOCK_MONOTONIC) starts just before the clone and
 * stops when waitpid returns. Prints one line per command:
 *   LABEL median_us p10_us p90_us min_us max_us failures
 * Exit 0 when every run exited 0, 1 otherwise, 2 on usage or setup errors.
 * Written for tests/bench/init.sh; needs root for -p. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clone() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS    16
#define STACK_BYTES (64 * 1024)

extern char **environ;

struct cmd {
    const char *label;
    char **argv;
    double *us;
    int failures;
};

static int null_fd = -1;

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int child_main(void *arg)
{
    char **argv = arg;

    if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
        _exit(126);
    execve(argv[0], argv, environ);
    _exit(127);
}

/* One timed run: microseconds, and *ok set when it exited 0. */
static double run_once(struct cmd *c, int newpid, char *stack, int *ok)
{
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (newpid ? CLONE_NEWPID : 0);
    double t0 = now_us(), t1;
    int st = 0;
    pid_t pid;

    pid = clone(child_main, stack + STACK_BYTES, flags, c->argv);
    if (pid < 0) {
        perror("spawntime: clone");
        exit(2);
    }
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            perror("spawntime: waitpid");
            exit(2);
        }
    }
    t1 = now_us();
    /* As PID 1 of a namespace, whatever was orphaned ends up here. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    *ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
    double pos = p * (n - 1);
    int i = (int)pos;

    if (i + 1 >= n)
        return sorted[n - 1];
    return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

int main(int argc, char **argv)
{
    struct cmd cmds[MAX_CMDS];
    int order[MAX_CMDS];
    int ncmd = 0, newpid = 0, runs, warmup, a = 1, bad = 0;
    unsigned seed = 12345;
    char *stack;

    if (a < argc && strcmp(argv[a], "-p") == 0) {
        newpid = 1;
        a++;
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: spawntime [-p] RUNS WARMUP :: LABEL CMD [ARGS...] ...\n");
        return 2;
    }
    runs = atoi(argv[a++]);
    warmup = atoi(argv[a++]);
    if (runs < 1 || warmup < 0) {
        fprintf(stderr, "spawntime: bad RUNS or WARMUP\n");
        return 2;
    }
    /* Split the rest at "::"; each piece is LABEL CMD [ARGS...]. */
    while (a < argc) {
        int start, n;

        if (strcmp(argv[a], "::") != 0 || ncmd == MAX_CMDS) {
            fprintf(stderr, "spawntime: expected '::' (at most %d commands)\n", MAX_CMDS);
            return 2;
        }
        start = ++a;
        while (a < argc && strcmp(argv[a], "::") != 0)
            a++;
        n = a - start - 1; /* words of CMD [ARGS...] */
        if (n < 1) {
            fprintf(stderr, "spawntime: each command needs LABEL and CMD\n");
            return 2;
        }
        cmds[ncmd].label = argv[start];
        cmds[ncmd].argv = calloc((size_t)n + 1, sizeof(char *));
        cmds[ncmd].us = calloc((size_t)runs, sizeof(double));
        cmds[ncmd].failures = 0;
        if (!cmds[ncmd].argv || !cmds[ncmd].us)
            return 2;
        memcpy(cmds[ncmd].argv, &argv[start + 1], (size_t)n * sizeof(char *));
        ncmd++;
    }
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    stack = malloc(STACK_BYTES);
    if (null_fd < 0 || !stack || ncmd == 0)
        return 2;

    for (int r = -warmup; r < runs; r++) {
        for (int i = 0; i < ncmd; i++)
            order[i] = i;
        for (int i = ncmd - 1; i > 0; i--) {
            int j = (int)(rand_r(&seed) % (unsigned)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int k = 0; k < ncmd; k++) {
            struct cmd *c = &cmds[order[k]];
            int ok;
            double us = run_once(c, newpid, stack, &ok);

            if (r < 0)
                continue;
            c->us[r] = us;
            if (!ok)
                c->failures++;
        }
    }
    for (int i = 0; i < ncmd; i++) {
        struct cmd *c = &cmds[i];

        qsort(c->us, (size_t)runs, sizeof(double), cmp_double);
        printf("%s %.1f %.1f %.1f %.1f %.1f %d\n", c->label, pct(c->us, runs, 0.5),
               pct(c->us, runs, 0.1), pct(c->us, runs, 0.9), c->us[0], c->us[runs - 1],
               c->failures);
        if (c->failures)
            bad = 1;
    }
    return bad;
}
