/* memhog - memory behaviours for jeinit's monitor tests. Each mode is one
 * real pattern; all are bounded in time and print one line when done.
 *
 *   memhog leak SECONDS MB_PER_S     live heap grows steadily (touched)
 *   memhog retain SECONDS MB         glibc fragmentation: allocate MB in 1 KiB
 *                                    blocks, free all but every 64th, idle
 *                                    (heap flat and small, RSS stays high)
 *   memhog oom MB [MB_PER_S]         allocate and touch MB, 1 MiB at a time
 *   memhog oomthread MB [MB_PER_S]   the same in a second thread, after the
 *                                    main thread exited: the thread that is
 *                                    OOM-killed tears the address space down
 *                                    while the kernel's OOM killer no longer
 *                                    sees the process (a dead leader)
 *   memhog churn SECONDS MB          allocate MB in 64 KiB blocks, free them
 *                                    all, idle: only a purge returns them when
 *                                    decay is off
 *   memhog hold BEFORE AFTER MB      allocate MB in 64 KiB blocks at once,
 *                                    BEFORE seconds later free them all, idle
 *                                    AFTER seconds: nothing allocated after
 *                                    the start (write(2), not stdio)
 *   memhog fdchaos SECONDS           after 1.5 s close every descriptor >= 3
 *                                    and reuse the agent's numbers for its
 *                                    own pipe; fails if anything else wrote
 *                                    to or read from them
 *   memhog spin SECONDS              allocation-heavy loop; prints ops/s
 *   memhog load SECONDS MB IDLE [MS] a load: MB live in 8-136 KiB blocks, one
 *                                    replaced at a time (freed pages are
 *                                    reused or decay), then all freed, idle
 *                                    IDLE seconds; with MS, the program sets
 *                                    its own dirty decay first (mallctl) */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int leak(double seconds, double mb_per_s)
{
    double start = now_s(), total = 0;

    while (now_s() - start < seconds) {
        size_t n = (size_t)(mb_per_s * 1024 * 1024 / 10);
        char *p = malloc(n);
        if (!p)
            return 1;
        memset(p, 1, n); /* kept: this is the leak */
        total += (double)n;
        sleep_s(0.1);
    }
    printf("leaked %.0f MiB\n", total / 1048576);
    return 0;
}

static int retain(double seconds, double mb)
{
    size_t n = (size_t)(mb * 1024), kept = 0;
    char **blocks = calloc(n, sizeof(char *));

    if (!blocks)
        return 1;
    for (size_t i = 0; i < n; i++) {
        blocks[i] = malloc(1000);
        if (!blocks[i])
            return 1;
        memset(blocks[i], 2, 1000);
    }
    /* every 64th block pins its part of the heap: nothing can be trimmed */
    for (size_t i = 0; i < n; i++) {
        if (i % 64 == 0) {
            kept++;
            continue;
        }
        free(blocks[i]);
    }
    printf("kept %zu of %zu blocks\n", kept, n);
    fflush(stdout);
    sleep_s(seconds);
    return 0;
}

static int oom(double mb, double mb_per_s)
{
    for (double i = 0; i < mb; i++) {
        char *p = malloc(1 << 20);
        if (!p)
            return 1;
        memset(p, 3, 1 << 20);
        if (mb_per_s > 0)
            sleep_s(1.0 / mb_per_s);
    }
    printf("survived %.0f MiB\n", mb);
    return 0;
}

static double oom_mb, oom_rate;

static void *oom_thread(void *arg)
{
    (void)arg;
    exit(oom(oom_mb, oom_rate));
}

static int oomthread(double mb, double mb_per_s)
{
    pthread_t t;

    oom_mb = mb;
    oom_rate = mb_per_s;
    if (pthread_create(&t, NULL, oom_thread, NULL) != 0)
        return 1;
    pthread_exit(NULL);
}

/* MB in 64 KiB blocks, each touched with fill; *n set to their count.
 * NULL when an allocation fails. */
static char **touched_blocks(double mb, int fill, size_t *n)
{
    char **blocks;

    *n = (size_t)(mb * 16);
    blocks = calloc(*n, sizeof(char *));
    if (!blocks)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        blocks[i] = malloc(64 * 1024);
        if (!blocks[i])
            return NULL;
        memset(blocks[i], fill, 64 * 1024);
    }
    return blocks;
}

static int hold(double before, double after, double mb)
{
    static const char msg[] = "freed\n";
    size_t n;
    char **blocks = touched_blocks(mb, 5, &n);

    if (!blocks)
        return 1;
    sleep_s(before);
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
        return 1;
    sleep_s(after);
    return 0;
}

static int churn(double seconds, double mb)
{
    size_t n;
    char **blocks = touched_blocks(mb, 4, &n);

    if (!blocks)
        return 1;
    for (size_t i = 0; i < n; i++)
        free(blocks[i]);
    printf("freed %.0f MiB\n", mb);
    fflush(stdout);
    sleep_s(seconds);
    return 0;
}

static int fdchaos(double seconds)
{
    int p[2], bad = 0;
    char buf[64];
    double start = now_s();

    /* first a process like any other, allocating now and then (its agent
     * wakes and registers), then the chaos */
    while (now_s() - start < 1.5) {
        char *volatile q = malloc(4096); /* volatile: the pair stays a call */
        free(q);
        sleep_s(0.05);
    }
    for (int fd = 3; fd < 4096; fd++)
        (void)close(fd);
    if (pipe(p) < 0)
        return 1;
    /* take the numbers the agent used, and more */
    for (int fd = 900; fd < 920; fd++)
        if (dup2(p[1], fd) < 0)
            return 1;
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    while (now_s() - start < seconds) {
        for (int i = 0; i < 1000; i++)
            free(malloc((size_t)(i % 512) * 64 + 16));
        sleep_s(0.05);
        /* nothing but us writes to the pipe; we write nothing: it must be empty */
        if (read(p[0], buf, sizeof(buf)) > 0)
            bad++;
    }
    printf("fdchaos %s\n", bad ? "CORRUPTED" : "clean");
    return bad ? 1 : 0;
}

static int spin(double seconds)
{
    void *slots[1024] = {0};
    unsigned long long ops = 0;
    unsigned x = 12345;
    double start = now_s(), el;

    while ((el = now_s() - start) < seconds) {
        for (int i = 0; i < 10000; i++) {
            x = x * 1103515245 + 12345;
            size_t k = (x >> 8) % 1024;
            free(slots[k]);
            slots[k] = malloc(16 + (x >> 20) % 4096);
            ops += 2;
        }
    }
    printf("{\"ops_per_s\":%.0f}\n", (double)ops / el);
    return 0;
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

/* jemalloc's arena 0 dirty decay as the program sees it; -2 without jemalloc. */
static long decay_now(void)
{
    mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    ssize_t v = -2;
    size_t len = sizeof(v);

    if (!mallctl || mallctl("arena.0.dirty_decay_ms", &v, &len, NULL, 0) != 0)
        return -2;
    return (long)v;
}

/* The program's own decay, as a program that tunes jemalloc itself sets it:
 * every arena's and the default of new ones. */
static int set_own_decay(long ms)
{
    mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    unsigned narenas = 0;
    size_t len = sizeof(narenas);
    ssize_t v = ms;
    char name[48];

    if (!mallctl || mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0 ||
        mallctl("arenas.dirty_decay_ms", NULL, NULL, &v, sizeof(v)) != 0)
        return 1;
    for (unsigned i = 0; i < narenas; i++) {
        snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
        (void)mallctl(name, NULL, NULL, &v, sizeof(v));
    }
    return 0;
}

static int load(double seconds, double mb, double idle, long own_decay_ms)
{
    size_t n = (size_t)(mb * 1024 / 72), ops = 0;
    char **blocks = calloc(n ? n : 1, sizeof(char *));
    uint64_t x = 88172645463325252ull;
    double start = now_s();

    if (!blocks || (own_decay_ms >= 0 && set_own_decay(own_decay_ms) != 0))
        return 1;
    while (now_s() - start < seconds) {
        for (int i = 0; i < 1000; i++, ops++) {
            size_t k, size;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            k = (size_t)(x % n);
            size = 8192 + (size_t)((x >> 32) % 128) * 1024;
            free(blocks[k]);
            blocks[k] = malloc(size);
            if (!blocks[k])
                return 1;
            memset(blocks[k], 3, size);
        }
    }
    for (size_t k = 0; k < n; k++)
        free(blocks[k]);
    free(blocks);
    printf("load done: %zu replacements, decay %ld\n", ops, decay_now());
    sleep_s(idle);
    printf("idle done: decay %ld\n", decay_now());
    return 0;
}

int main(int argc, char **argv)
{
    double a = argc > 2 ? atof(argv[2]) : 0, b = argc > 3 ? atof(argv[3]) : 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        goto usage;
    if (!strcmp(argv[1], "leak") && argc == 4)
        return leak(a, b);
    if (!strcmp(argv[1], "retain") && argc == 4)
        return retain(a, b);
    if (!strcmp(argv[1], "oom") && (argc == 3 || argc == 4))
        return oom(a, b);
    if (!strcmp(argv[1], "oomthread") && (argc == 3 || argc == 4))
        return oomthread(a, b);
    if (!strcmp(argv[1], "churn") && argc == 4)
        return churn(a, b);
    if (!strcmp(argv[1], "hold") && argc == 5)
        return hold(a, b, atof(argv[4]));
    if (!strcmp(argv[1], "fdchaos") && argc == 3)
        return fdchaos(a);
    if (!strcmp(argv[1], "spin") && argc == 3)
        return spin(a);
    if (!strcmp(argv[1], "load") && (argc == 5 || argc == 6))
        return load(a, b, atof(argv[4]), argc == 6 ? atol(argv[5]) : -1);
usage:
    fprintf(stderr, "usage: memhog leak S MBPS | retain S MB | oom MB [MBPS] | oomthread MB [MBPS] "
                    "| churn S MB | hold S "
                    "S MB | fdchaos S | "
                    "spin S | load S MB IDLE [DECAY_MS]\n");
    return 2;
}
