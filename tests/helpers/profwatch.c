/* profwatch - a heap that grows, and a watch on jemalloc's prof.active, for
 * heapprof.bats: whether jeinit's agent turned sampling on and off again.
 *
 *   profwatch SECONDS MB_PER_S
 *
 * Keeps MB_PER_S MiB a second (64 KiB blocks, touched) and, every 50 ms,
 * reads prof.active through jemalloc's mallctl (found with dlsym: the
 * jemalloc jeinit preloads); prints "prof.active 1 at T" and "prof.active 0
 * at T" (seconds since start) when it changes. Exits 3 without jemalloc. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    double seconds, mb, start = now_s(), t;
    size_t per_tick;
    int last = -1;
    struct timespec tick = {0, 50 * 1000 * 1000};

    if (argc < 3) {
        fprintf(stderr, "usage: profwatch SECONDS MB_PER_S\n");
        return 2;
    }
    if (!mallctl) {
        fprintf(stderr, "profwatch: no jemalloc\n");
        return 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    seconds = atof(argv[1]);
    mb = atof(argv[2]);
    per_tick = (size_t)(mb * 16 / 20);
    if (per_tick == 0)
        per_tick = 1;
    while ((t = now_s() - start) < seconds) {
        bool active = false;
        size_t len = sizeof(active);
        for (size_t i = 0; i < per_tick; i++) {
            char *p = malloc(64 * 1024);
            if (p)
                memset(p, 1, 64 * 1024); /* kept: the leak */
        }
        if (mallctl("prof.active", &active, &len, NULL, 0) == 0 && (int)active != last) {
            printf("prof.active %d at %.1f\n", (int)active, t);
            last = active;
        }
        nanosleep(&tick, NULL);
    }
    return 0;
}
