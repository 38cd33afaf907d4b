/* leaker - a heap that grows in one function, for heapprof.bats.
 *
 *   leaker SECONDS MB_PER_S [WORKERS]
 *
 * leak_into_the_distinctive_sink() keeps MB_PER_S MiB a second (64 KiB
 * blocks, touched); steady_churn_elsewhere() allocates and frees as much
 * again and must not be blamed. With WORKERS, the process pre-forks that
 * many workers which each do the same (the parent waits), as a pre-fork
 * server does. Bounded in time; prints one line when done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (64 * 1024)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void **kept;
static size_t nkept, capkept;

__attribute__((noinline)) static void leak_into_the_distinctive_sink(size_t blocks)
{
    for (size_t i = 0; i < blocks; i++) {
        char *p = malloc(BLOCK);
        if (!p)
            return;
        memset(p, 0x5a, BLOCK);
        if (nkept == capkept) {
            size_t cap = capkept ? capkept * 2 : 1024;
            void **k = realloc(kept, cap * sizeof(*k));
            if (!k) {
                free(p);
                return;
            }
            kept = k;
            capkept = cap;
        }
        kept[nkept++] = p;
    }
}

__attribute__((noinline)) static void steady_churn_elsewhere(size_t blocks)
{
    void *held[64];
    size_t n = blocks < 64 ? blocks : 64;

    for (size_t i = 0; i < n; i++) {
        held[i] = malloc(BLOCK);
        if (held[i])
            memset(held[i], 1, 64);
    }
    for (size_t i = 0; i < n; i++)
        free(held[i]);
}

static void run(double seconds, double mb_per_s)
{
    double start = now_s(), t;
    size_t per_tick = (size_t)(mb_per_s * 1024 * 1024 / BLOCK / 20); /* 20 ticks a second */
    struct timespec tick = {0, 50 * 1000 * 1000};

    if (per_tick == 0)
        per_tick = 1;
    while ((t = now_s()) - start < seconds) {
        leak_into_the_distinctive_sink(per_tick);
        steady_churn_elsewhere(per_tick);
        nanosleep(&tick, NULL);
    }
}

int main(int argc, char **argv)
{
    double seconds, mb;
    int workers = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: leaker SECONDS MB_PER_S [WORKERS]\n");
        return 2;
    }
    seconds = atof(argv[1]);
    mb = atof(argv[2]);
    if (argc > 3)
        workers = atoi(argv[3]);
    if (workers > 0) {
        for (int i = 0; i < workers; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                run(seconds, mb);
                _exit(0);
            }
        }
        while (wait(NULL) > 0)
            ;
        printf("leaker: %d workers done\n", workers);
        return 0;
    }
    run(seconds, mb);
    printf("leaker: kept %zu blocks\n", nkept);
    return 0;
}
