/* frag.c - a seeded, time-bounded allocation workload that reproduces "heap flat, RSS growing":
 * the live heap plateaus at --live-mb while the allocator keeps (or returns) the memory churned
 * around it. It runs as N threads in one process, or as a pre-fork master with N worker
 * processes (like gunicorn), and prints one JSON line per sample plus a summary.
 *
 * Only libc and pthread: swap the allocator with LD_PRELOAD and tune it with MALLOC_CONF.
 * The workload's own bookkeeping (retained sets, inboxes, counters) lives in mmap'd memory so
 * that the allocator under test sees nothing but the workload's objects, and the reporter never
 * calls malloc, so an idle phase really is idle for the allocator.
 *
 * Build: gcc -std=gnu11 -O2 -pthread -o frag frag.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The shape of the load, calibrated on 2 CPUs with 8 threads (see README.md). Small objects
 * dominate the operation count, so allocator speed (thread caches, arena locks) shows in ops/s;
 * the few large ones dominate the bytes, so extents fragment and purging costs page faults; the
 * retained fraction is small, so most pages hold a few survivors among a lot of garbage. The
 * small exponent is the least of two uniform draws: a log-triangular mix with a median near
 * 200 B, closer to what services allocate than a flat log-uniform one. */
enum {
    BATCH_MIN = 16, /* objects allocated per burst, uniform in [MIN, MAX] */
    BATCH_MAX = 128,
    SMALL_LOG2_MIN = 4, /* small objects: 16 B to 64 KiB, 2^e + uniform(2^e) */
    SMALL_LOG2_MAX = 15,
    SMALL_LOG2_DRAWS = 2, /* the exponent is the least of this many draws: skews small */
    LARGE_LOG2_MIN = 18,  /* large objects: 256 KiB to 4 MiB, log-uniform */
    LARGE_LOG2_MAX = 21,
    LARGE_PER_MILLE = 20,     /* share of allocations that are large */
    KEEP_PER_MILLE = 30,      /* share of a burst moved into the retained set */
    HANDOFF_PER_MILLE = 250,  /* bursts whose garbage another thread frees */
    INBOX_CAP = 256,          /* objects waiting in one thread's inbox */
    INBOX_BUDGET_SHIFT = 4,   /* and at most 1/16 of its retained budget in bytes */
    HEADER_BYTES = 64,        /* written in full; the rest of an object one byte per page */
    TOUCH_STRIDE = 4096,      /* page size for touching; smaller real pages still get touched */
    RETAINED_MIN_SLOTS = 256, /* retained-set slots: budget / RETAINED_SLOT_BYTES, at least this */
    RETAINED_SLOT_BYTES = 1024,
    IDLE_POLL_MS = 20,  /* how often an idle thread looks for the end of the run */
    QUIESCE_MS = 2000,  /* how long the reporter waits for threads to finish their last burst */
    REAP_MS = 5000,     /* how long the master waits for workers before SIGKILL */
    MAX_THREADS = 1024, /* per process */
    MAX_WORKERS = 256,
    MAX_TOTAL_THREADS = 4096,
};

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL
#define MIB       (1024ULL * 1024ULL)

/* ---- options ---------------------------------------------------------------------------- */

struct options {
    unsigned threads; /* per process */
    unsigned workers; /* 0: threads mode */
    double seconds;
    double idle;
    uint64_t seed;
    uint64_t live_mb;
    unsigned report_ms;
};

static const char usage_text[] =
    "usage: frag [--threads N | --workers N [--threads N]] [--seconds S] [--idle S]\n"
    "            [--seed X] [--live-mb M] [--report-ms MS]\n"
    "\n"
    "Churns the allocator with bursts of mixed-size objects while keeping a bounded live set,\n"
    "then idles with the live set held, printing JSON lines with live bytes and RSS.\n"
    "\n"
    "  --threads N     threads in the process (default 8), or per worker with --workers\n"
    "                  (default 1 there)\n"
    "  --workers N     pre-fork mode: a master forks N worker processes and only reports\n"
    "  --seconds S     length of the load phase in seconds (default 10)\n"
    "  --idle S        idle phase after the load, live set kept (default 20)\n"
    "  --seed X        PRNG seed; each thread derives its own stream (default 1)\n"
    "  --live-mb M     target live heap in MiB across all threads and workers (default 256)\n"
    "  --report-ms MS  sampling interval in milliseconds (default 500)\n"
    "  --help          show this text\n";

/* Pure parsers: 0 or a negative errno, nothing printed. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double min, double max, double *out)
{
    if (s == NULL || ((*s < '0' || *s > '9') && *s != '.'))
        return -EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno == ERANGE || !isfinite(v))
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

enum opt_id {
    OPT_THREADS,
    OPT_WORKERS,
    OPT_SECONDS,
    OPT_IDLE,
    OPT_SEED,
    OPT_LIVE_MB,
    OPT_REPORT_MS
};

struct opt_spec {
    const char *name;
    enum opt_id id;
    bool is_seconds;
    uint64_t min, max; /* integers */
    double fmin, fmax; /* seconds */
    const char *expected;
};

static const struct opt_spec opt_specs[] = {
    {"--threads", OPT_THREADS, false, 1, MAX_THREADS, 0, 0, "an integer from 1 to 1024"},
    {"--workers", OPT_WORKERS, false, 1, MAX_WORKERS, 0, 0, "an integer from 1 to 256"},
    {"--seconds", OPT_SECONDS, true, 0, 0, 0.1, 86400, "a number of seconds from 0.1 to 86400"},
    {"--idle", OPT_IDLE, true, 0, 0, 0, 86400, "a number of seconds from 0 to 86400"},
    {"--seed", OPT_SEED, false, 0, UINT64_MAX, 0, 0, "an unsigned 64-bit integer"},
    {"--live-mb", OPT_LIVE_MB, false, 1, 1048576, 0, 0,
     "an integer number of MiB from 1 to 1048576"},
    {"--report-ms", OPT_REPORT_MS, false, 10, 60000, 0, 0,
     "an integer number of milliseconds from 10 to 60000"},
};

enum parse_result { PARSE_OK, PARSE_HELP, PARSE_ERROR };

/* Fills opts from argv. On PARSE_ERROR, msg holds a one-line explanation. */
static enum parse_result parse_options(int argc, char **argv, struct options *opts, char *msg,
                                       size_t msgsz)
{
    bool threads_given = false;
    *opts = (struct options){
        .threads = 8, .seconds = 10, .idle = 20, .seed = 1, .live_mb = 256, .report_ms = 500};

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return PARSE_HELP;

        const struct opt_spec *spec = NULL;
        const char *value = NULL;
        for (size_t k = 0; k < sizeof(opt_specs) / sizeof(opt_specs[0]); k++) {
            size_t len = strlen(opt_specs[k].name);
            if (strncmp(arg, opt_specs[k].name, len) != 0)
                continue;
            if (arg[len] == '\0') {
                spec = &opt_specs[k];
                if (i + 1 < argc)
                    value = argv[++i];
            } else if (arg[len] == '=') {
                spec = &opt_specs[k];
                value = arg + len + 1;
            }
            if (spec != NULL)
                break;
        }
        if (spec == NULL) {
            snprintf(msg, msgsz, "unknown option '%s' (see --help)", arg);
            return PARSE_ERROR;
        }
        if (value == NULL) {
            snprintf(msg, msgsz, "%s: expected %s after it", spec->name, spec->expected);
            return PARSE_ERROR;
        }

        uint64_t u = 0;
        double d = 0;
        int r = spec->is_seconds ? parse_seconds(value, spec->fmin, spec->fmax, &d)
                                 : parse_u64(value, spec->min, spec->max, &u);
        if (r < 0) {
            snprintf(msg, msgsz, "%s: expected %s, got '%s'", spec->name, spec->expected, value);
            return PARSE_ERROR;
        }

        switch (spec->id) {
        case OPT_THREADS:
            opts->threads = (unsigned)u;
            threads_given = true;
            break;
        case OPT_WORKERS:
            opts->workers = (unsigned)u;
            break;
        case OPT_SECONDS:
            opts->seconds = d;
            break;
        case OPT_IDLE:
            opts->idle = d;
            break;
        case OPT_SEED:
            opts->seed = u;
            break;
        case OPT_LIVE_MB:
            opts->live_mb = u;
            break;
        case OPT_REPORT_MS:
            opts->report_ms = (unsigned)u;
            break;
        }
    }

    if (opts->workers > 0 && !threads_given)
        opts->threads = 1;
    if ((uint64_t)opts->threads * (opts->workers ? opts->workers : 1) > MAX_TOTAL_THREADS) {
        snprintf(msg, msgsz, "--threads: expected at most %d threads in all workers together",
                 MAX_TOTAL_THREADS);
        return PARSE_ERROR;
    }
    return PARSE_OK;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void sleep_until_ns(int64_t deadline)
{
    struct timespec ts = {.tv_sec = deadline / NS_PER_S, .tv_nsec = deadline % NS_PER_S};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void sleep_ms(int64_t ms)
{
    sleep_until_ns(now_ns() + ms * NS_PER_MS);
}

/* Anonymous memory outside the allocator under test; shared when the master must read it. */
static void *map_zeroed(size_t size, bool shared)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One line to stdout with a single write(2): no stdio buffer, no malloc, flushed by design. */
__attribute__((format(printf, 1, 2))) static int emit(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -EOVERFLOW;
    return write_all(STDOUT_FILENO, line, (size_t)n);
}

/* Resident bytes of a process from /proc/<pid>/statm (pid 0: self), or a negative errno. */
static int64_t rss_bytes_of(pid_t pid)
{
    char path[64], buf[256];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/statm");
    else
        snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int saved = errno;
    close(fd);
    if (n < 0)
        return -saved;
    buf[n] = '\0';

    unsigned long long size_pages, resident_pages;
    if (sscanf(buf, "%llu %llu", &size_pages, &resident_pages) != 2)
        return -EINVAL;
    return (int64_t)resident_pages * sysconf(_SC_PAGESIZE);
}

/* ---- PRNG: splitmix64 to seed xoshiro256**, one stream per thread ------------------------ */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is far below what matters). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static bool rng_per_mille(struct rng *r, unsigned per_mille)
{
    return rng_below(r, 1000) < per_mille;
}

/* ---- shared state: what the reporter reads and the threads write ------------------------ */

/* One cache line per thread so that counting costs no contention. live_bytes may go negative
 * in one slot (an object freed by another thread); the sum over slots is exact. */
struct counter {
    _Alignas(64) _Atomic int64_t live_bytes;
    _Atomic uint64_t ops;
};

struct shared {
    int64_t load_end_ns; /* CLOCK_MONOTONIC is system-wide, so workers read it too */
    _Atomic int stop;    /* reporter: end the load early (output failed) */
    _Atomic int done;    /* reporter: idle phase over, exit */
    _Atomic unsigned quiesced;
    _Atomic int alloc_failed;
    struct counter counters[];
};

/* ---- the load --------------------------------------------------------------------------- */

struct obj {
    void *p;
    size_t size;
};

struct inbox {
    pthread_mutex_t lock;
    size_t count;
    size_t bytes, max_bytes;
    struct obj items[INBOX_CAP];
};

struct process;

struct load_thread {
    struct process *proc;
    unsigned index; /* within the process */
    struct counter *counter;
    struct rng rng;
    pthread_t tid;

    struct obj *retained; /* random-replacement set of survivors, fixed capacity */
    size_t retained_count, retained_cap;
    size_t retained_bytes, retained_budget;

    int64_t pending_live; /* folded into *counter after each burst */
    uint64_t pending_ops;

    struct inbox inbox; /* garbage handed over by other threads, freed by this one */
};

struct process {
    struct shared *shared;
    unsigned nthreads;
    pthread_barrier_t barrier;
    struct load_thread *threads;
};

static size_t draw_size(struct rng *r)
{
    unsigned e;
    if (rng_per_mille(r, LARGE_PER_MILLE)) {
        e = LARGE_LOG2_MIN + (unsigned)rng_below(r, LARGE_LOG2_MAX - LARGE_LOG2_MIN + 1);
    } else {
        e = SMALL_LOG2_MAX;
        for (unsigned i = 0; i < SMALL_LOG2_DRAWS; i++) {
            unsigned d =
                SMALL_LOG2_MIN + (unsigned)rng_below(r, SMALL_LOG2_MAX - SMALL_LOG2_MIN + 1);
            if (d < e)
                e = d;
        }
    }
    return ((size_t)1 << e) + (size_t)rng_below(r, (uint64_t)1 << e);
}

/* Writes a header and one byte in every page the object spans, so its pages are resident. */
static void touch(unsigned char *p, size_t size, unsigned char fill)
{
    memset(p, fill, size < HEADER_BYTES ? size : HEADER_BYTES);
    for (size_t off = TOUCH_STRIDE; off < size; off += TOUCH_STRIDE)
        p[off] = fill;
    p[size - 1] = fill;
    __asm__ volatile("" : : "r"(p) : "memory");
}

static void obj_free(struct load_thread *t, struct obj o)
{
    free(o.p);
    t->pending_live -= (int64_t)o.size;
    t->pending_ops++;
}

static void counters_flush(struct load_thread *t)
{
    atomic_fetch_add_explicit(&t->counter->live_bytes, t->pending_live, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->counter->ops, t->pending_ops, memory_order_relaxed);
    t->pending_live = 0;
    t->pending_ops = 0;
}

static void retained_evict(struct load_thread *t, size_t slot)
{
    struct obj victim = t->retained[slot];
    t->retained[slot] = t->retained[--t->retained_count];
    t->retained_bytes -= victim.size;
    obj_free(t, victim);
}

/* Random replacement under a byte budget: the live heap plateaus instead of growing. */
static void retain(struct load_thread *t, struct obj o)
{
    if (o.size > t->retained_budget) {
        obj_free(t, o);
        return;
    }
    if (t->retained_count == t->retained_cap)
        retained_evict(t, (size_t)rng_below(&t->rng, t->retained_count));
    t->retained[t->retained_count++] = o;
    t->retained_bytes += o.size;
    while (t->retained_bytes > t->retained_budget)
        retained_evict(t, (size_t)rng_below(&t->rng, t->retained_count));
}

static void inbox_drain(struct load_thread *t)
{
    struct obj local[INBOX_CAP];
    pthread_mutex_lock(&t->inbox.lock);
    size_t n = t->inbox.count;
    memcpy(local, t->inbox.items, n * sizeof(local[0]));
    t->inbox.count = 0;
    t->inbox.bytes = 0;
    pthread_mutex_unlock(&t->inbox.lock);
    for (size_t i = 0; i < n; i++)
        obj_free(t, local[i]);
}

/* Hands up to n objects to peer, like a request finished on another thread; returns how many
 * it took. The receiver's live bytes go down when it frees them, the sender's went up. */
static size_t inbox_push(struct load_thread *peer, const struct obj *objs, size_t n)
{
    struct inbox *in = &peer->inbox;
    size_t taken = 0;
    pthread_mutex_lock(&in->lock);
    while (taken < n && in->count < INBOX_CAP && in->bytes + objs[taken].size <= in->max_bytes) {
        in->bytes += objs[taken].size;
        in->items[in->count++] = objs[taken++];
    }
    pthread_mutex_unlock(&in->lock);
    return taken;
}

/* Frees garbage[0..n) in one of three orders: allocation order, reverse, or shuffled. */
static void free_garbage(struct load_thread *t, struct obj *garbage, size_t n)
{
    switch (rng_below(&t->rng, 3)) {
    case 0:
        for (size_t i = 0; i < n; i++)
            obj_free(t, garbage[i]);
        break;
    case 1:
        for (size_t i = n; i-- > 0;)
            obj_free(t, garbage[i]);
        break;
    default:
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)rng_below(&t->rng, i);
            struct obj tmp = garbage[i - 1];
            garbage[i - 1] = garbage[j];
            garbage[j] = tmp;
        }
        for (size_t i = 0; i < n; i++)
            obj_free(t, garbage[i]);
        break;
    }
}

/* One request: allocate a batch, keep a few objects, drop or hand over the rest.
 * Returns false when malloc failed. */
static bool burst(struct load_thread *t)
{
    struct obj batch[BATCH_MAX];
    size_t n = BATCH_MIN + (size_t)rng_below(&t->rng, BATCH_MAX - BATCH_MIN + 1);
    size_t allocated = 0;
    bool ok = true;

    for (; allocated < n; allocated++) {
        size_t size = draw_size(&t->rng);
        void *p = malloc(size);
        if (p == NULL) {
            ok = false;
            break;
        }
        touch(p, size, (unsigned char)(allocated + t->index));
        batch[allocated] = (struct obj){p, size};
        t->pending_live += (int64_t)size;
        t->pending_ops++;
    }

    size_t garbage = 0;
    for (size_t i = 0; i < allocated; i++) {
        if (rng_per_mille(&t->rng, KEEP_PER_MILLE))
            retain(t, batch[i]);
        else
            batch[garbage++] = batch[i];
    }

    size_t handed = 0;
    unsigned nthreads = t->proc->nthreads;
    if (nthreads > 1 && garbage > 0 && rng_per_mille(&t->rng, HANDOFF_PER_MILLE)) {
        unsigned peer = (t->index + 1 + (unsigned)rng_below(&t->rng, nthreads - 1)) % nthreads;
        handed = inbox_push(&t->proc->threads[peer], batch, garbage);
    }
    free_garbage(t, batch + handed, garbage - handed);
    return ok;
}

static void *load_thread_main(void *arg)
{
    struct load_thread *t = arg;
    struct shared *shared = t->proc->shared;

    while (now_ns() < shared->load_end_ns && !atomic_load(&shared->stop)) {
        inbox_drain(t);
        bool ok = burst(t);
        counters_flush(t);
        if (!ok) {
            atomic_store(&shared->alloc_failed, 1);
            break;
        }
    }

    /* Nobody hands over anything past the barrier, so one more drain empties every inbox and
     * the idle phase holds exactly the retained sets. */
    if (t->proc->nthreads > 1)
        pthread_barrier_wait(&t->proc->barrier);
    inbox_drain(t);
    counters_flush(t);
    atomic_fetch_add(&shared->quiesced, 1);

    /* Stay alive, as a server's threads do: an exiting thread would flush its caches. */
    while (!atomic_load(&shared->done))
        sleep_ms(IDLE_POLL_MS);

    /* The summary is out: give the live set back so leak checkers see a clean exit. */
    while (t->retained_count > 0)
        retained_evict(t, t->retained_count - 1);
    return NULL;
}

/* Sets up nthreads load threads whose counters start at counters[first]. 0 or -errno. */
static int process_init(struct process *proc, struct shared *shared, unsigned nthreads,
                        unsigned first, const struct options *opts)
{
    unsigned total = nthreads * (opts->workers ? opts->workers : 1);
    size_t budget = (size_t)(opts->live_mb * MIB / total);
    size_t cap = budget / RETAINED_SLOT_BYTES;
    if (cap < RETAINED_MIN_SLOTS)
        cap = RETAINED_MIN_SLOTS;

    proc->shared = shared;
    proc->nthreads = nthreads;
    proc->threads = map_zeroed(nthreads * sizeof(proc->threads[0]), false);
    if (proc->threads == NULL)
        return -errno;
    int r = pthread_barrier_init(&proc->barrier, NULL, nthreads);
    if (r != 0)
        return -r;

    for (unsigned i = 0; i < nthreads; i++) {
        struct load_thread *t = &proc->threads[i];
        t->proc = proc;
        t->index = i;
        t->counter = &shared->counters[first + i];
        rng_seed(&t->rng, opts->seed, first + i);
        t->retained_cap = cap;
        t->retained_budget = budget;
        t->retained = map_zeroed(cap * sizeof(t->retained[0]), false);
        if (t->retained == NULL)
            return -errno;
        t->inbox.max_bytes = budget >> INBOX_BUDGET_SHIFT;
        r = pthread_mutex_init(&t->inbox.lock, NULL);
        if (r != 0)
            return -r;
    }
    return 0;
}

/* Starts the load threads; the first runs in the caller when run_first_inline (a worker with
 * one thread is then truly single-threaded) and this returns only after the run. */
static int process_start(struct process *proc, bool run_first_inline)
{
    pthread_attr_t attr;
    int r = pthread_attr_init(&attr);
    if (r != 0)
        return -r;
    /* Small stacks: the load keeps its batch on the stack and nothing else. */
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (unsigned i = run_first_inline ? 1 : 0; i < proc->nthreads; i++) {
        r = pthread_create(&proc->threads[i].tid, &attr, load_thread_main, &proc->threads[i]);
        if (r != 0) {
            pthread_attr_destroy(&attr);
            return -r;
        }
    }
    pthread_attr_destroy(&attr);
    if (run_first_inline)
        load_thread_main(&proc->threads[0]);
    return 0;
}

static void process_join(struct process *proc, bool first_inline)
{
    for (unsigned i = first_inline ? 1 : 0; i < proc->nthreads; i++)
        pthread_join(proc->threads[i].tid, NULL);
}

/* ---- reporting -------------------------------------------------------------------------- */

struct sample {
    int64_t at_ns;
    int64_t live_bytes;
    int64_t rss_bytes; /* negative: unavailable */
    uint64_t ops;
};

struct run {
    const struct options *opts;
    struct shared *shared;
    unsigned total_threads;
    pid_t *workers; /* NULL in threads mode; a pid of 0 is a worker that is gone */
    unsigned nworkers;
    int64_t t0_ns;
    bool worker_failed;
};

/* Notices workers that exited before the end, so their pids are no longer summed. */
static void workers_check(struct run *run)
{
    for (unsigned i = 0; i < run->nworkers; i++) {
        int status;
        if (run->workers[i] <= 0 || waitpid(run->workers[i], &status, WNOHANG) <= 0)
            continue;
        fprintf(stderr, "frag: worker %u (pid %d) ended early: %s %d\n", i, (int)run->workers[i],
                WIFSIGNALED(status) ? "signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        run->workers[i] = 0;
        run->worker_failed = true;
    }
}

static struct sample take_sample(struct run *run)
{
    struct sample s = {.at_ns = now_ns()};
    for (unsigned i = 0; i < run->total_threads; i++) {
        s.live_bytes +=
            atomic_load_explicit(&run->shared->counters[i].live_bytes, memory_order_relaxed);
        s.ops += atomic_load_explicit(&run->shared->counters[i].ops, memory_order_relaxed);
    }
    s.rss_bytes = rss_bytes_of(0);
    if (run->workers != NULL && s.rss_bytes >= 0) {
        workers_check(run);
        for (unsigned i = 0; i < run->nworkers; i++) {
            int64_t w = run->workers[i] > 0 ? rss_bytes_of(run->workers[i]) : 0;
            if (w > 0) /* a worker that exited in between counts as nothing */
                s.rss_bytes += w;
        }
    }
    return s;
}

static double seconds_since(const struct run *run, int64_t at_ns)
{
    return (double)(at_ns - run->t0_ns) / NS_PER_S;
}

static const char *fmt_bytes_or_null(char *buf, size_t bufsz, int64_t v)
{
    if (v < 0)
        return "null";
    snprintf(buf, bufsz, "%" PRId64, v);
    return buf;
}

static int emit_sample(const struct run *run, const struct sample *s, const char *phase,
                       uint64_t ops_per_s)
{
    char rss[32];
    return emit("{\"t\":%.2f,\"phase\":\"%s\",\"live_bytes\":%" PRId64 ",\"rss_bytes\":%s,"
                "\"ops\":%" PRIu64 ",\"ops_per_s\":%" PRIu64 "}\n",
                seconds_since(run, s->at_ns), phase, s->live_bytes,
                fmt_bytes_or_null(rss, sizeof(rss), s->rss_bytes), s->ops, ops_per_s);
}

static uint64_t ops_rate(uint64_t ops, int64_t elapsed_ns)
{
    return elapsed_ns > 0 ? (uint64_t)((double)ops * NS_PER_S / (double)elapsed_ns + 0.5) : 0;
}

/* The idle sample nearest to K seconds after the end of the load, if the idle phase got there. */
struct idle_mark {
    double after_s;
    int64_t rss_bytes;
    double distance;
};

static void idle_mark_offer(struct idle_mark *m, double idle_s, double since_load_s, int64_t rss)
{
    double d = since_load_s > m->after_s ? since_load_s - m->after_s : m->after_s - since_load_s;
    if (idle_s + 1e-9 >= m->after_s && d < m->distance) {
        m->distance = d;
        m->rss_bytes = rss;
    }
}

/* Samples until the end of the run and prints the summary. 0, or -errno if stdout failed. */
static int report(struct run *run)
{
    const struct options *o = run->opts;
    const int64_t step = (int64_t)o->report_ms * NS_PER_MS;
    const int64_t load_end = run->shared->load_end_ns;
    const int64_t idle_end = load_end + (int64_t)(o->idle * NS_PER_S);
    int64_t peak_rss = -1;
    int r;

    for (int64_t at = run->t0_ns + step; at < load_end; at += step) {
        sleep_until_ns(at);
        struct sample s = take_sample(run);
        if (s.rss_bytes > peak_rss)
            peak_rss = s.rss_bytes;
        r = emit_sample(run, &s, "load", ops_rate(s.ops, s.at_ns - run->t0_ns));
        if (r < 0)
            return r;
    }

    /* End of load: let every thread finish its last burst and empty its inbox. */
    sleep_until_ns(load_end);
    for (int64_t give_up = now_ns() + QUIESCE_MS * NS_PER_MS;
         atomic_load(&run->shared->quiesced) < run->total_threads && now_ns() < give_up;)
        sleep_ms(1);
    struct sample end_of_load = take_sample(run);
    uint64_t ops_per_s = ops_rate(end_of_load.ops, end_of_load.at_ns - run->t0_ns);
    if (end_of_load.rss_bytes > peak_rss)
        peak_rss = end_of_load.rss_bytes;
    r = emit_sample(run, &end_of_load, "load", ops_per_s);
    if (r < 0)
        return r;

    struct idle_mark at5 = {5, -1, INFINITY}, at15 = {15, -1, INFINITY};
    struct sample last = end_of_load;
    for (int64_t at = load_end + step; o->idle > 0; at += step) {
        if (at > idle_end)
            at = idle_end;
        sleep_until_ns(at);
        last = take_sample(run);
        if (last.rss_bytes > peak_rss)
            peak_rss = last.rss_bytes;
        double since_load = (double)(last.at_ns - load_end) / NS_PER_S;
        idle_mark_offer(&at5, o->idle, since_load, last.rss_bytes);
        idle_mark_offer(&at15, o->idle, since_load, last.rss_bytes);
        r = emit_sample(run, &last, "idle", ops_per_s);
        if (r < 0)
            return r;
        if (at == idle_end)
            break;
    }

    char b1[32], b2[32], b3[32], b4[32], b5[32];
    return emit("{\"event\":\"summary\",\"threads\":%u,\"workers\":%u,\"seconds\":%g,\"idle\":%g,"
                "\"seed\":%" PRIu64 ",\"live_mb\":%" PRIu64 ",\"ops\":%" PRIu64
                ",\"ops_per_s\":%" PRIu64 ",\"peak_rss_bytes\":%s,\"live_bytes_end\":%" PRId64
                ",\"rss_end_of_load\":%s,\"rss_idle_5s\":%s,\"rss_idle_15s\":%s,\"rss_end\":%s}\n",
                o->threads, o->workers, o->seconds, o->idle, o->seed, o->live_mb, end_of_load.ops,
                ops_per_s, fmt_bytes_or_null(b1, sizeof(b1), peak_rss), last.live_bytes,
                fmt_bytes_or_null(b2, sizeof(b2), end_of_load.rss_bytes),
                fmt_bytes_or_null(b3, sizeof(b3), at5.rss_bytes),
                fmt_bytes_or_null(b4, sizeof(b4), at15.rss_bytes),
                fmt_bytes_or_null(b5, sizeof(b5), last.rss_bytes));
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static _Noreturn void worker_main(struct shared *shared, pid_t master, unsigned index,
                                  const struct options *opts)
{
    /* A worker must not outlive a master that was killed: the run is bounded either way. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != master)
        _exit(1);
    struct process proc;
    int r = process_init(&proc, shared, opts->threads, index * opts->threads, opts);
    if (r == 0)
        r = process_start(&proc, true);
    if (r < 0) {
        fprintf(stderr, "frag: worker %u: cannot start load threads: %s\n", index, strerror(-r));
        _exit(1);
    }
    process_join(&proc, true);
    _exit(0);
}

/* Tells workers the run is over and reaps them, killing any that do not exit in time. */
static void workers_reap(struct run *run)
{
    int64_t give_up = now_ns() + REAP_MS * NS_PER_MS;
    for (unsigned i = 0; i < run->nworkers; i++) {
        pid_t pid = run->workers[i];
        int status;
        while (pid > 0) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) {
                if (w == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                    run->worker_failed = true;
                break;
            }
            if (now_ns() > give_up) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                run->worker_failed = true;
                break;
            }
            sleep_ms(5);
        }
    }
}

int main(int argc, char **argv)
{
    struct options opts;
    char msg[256];
    switch (parse_options(argc, argv, &opts, msg, sizeof(msg))) {
    case PARSE_HELP:
        fputs(usage_text, stdout);
        return 0;
    case PARSE_ERROR:
        fprintf(stderr, "frag: %s\n", msg);
        return 2;
    case PARSE_OK:
        break;
    }

    /* A closed stdout ends the run through emit()'s error, not through a signal. */
    signal(SIGPIPE, SIG_IGN);

    unsigned nprocs = opts.workers ? opts.workers : 1;
    struct run run = {.opts = &opts, .total_threads = opts.threads * nprocs};
    run.shared =
        map_zeroed(sizeof(struct shared) + run.total_threads * sizeof(struct counter), true);
    if (run.shared == NULL) {
        fprintf(stderr, "frag: mmap of shared counters: %s\n", strerror(errno));
        return 1;
    }

    run.t0_ns = now_ns();
    run.shared->load_end_ns = run.t0_ns + (int64_t)(opts.seconds * NS_PER_S);

    struct process proc;
    if (opts.workers > 0) {
        run.nworkers = opts.workers;
        run.workers = map_zeroed(opts.workers * sizeof(pid_t), false);
        if (run.workers == NULL) {
            fprintf(stderr, "frag: mmap of worker table: %s\n", strerror(errno));
            return 1;
        }
        pid_t master = getpid();
        for (unsigned i = 0; i < opts.workers; i++) {
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "frag: fork of worker %u: %s\n", i, strerror(errno));
                atomic_store(&run.shared->stop, 1);
                atomic_store(&run.shared->done, 1);
                workers_reap(&run);
                return 1;
            }
            if (pid == 0)
                worker_main(run.shared, master, i, &opts);
            run.workers[i] = pid;
        }
    } else {
        int r = process_init(&proc, run.shared, opts.threads, 0, &opts);
        if (r == 0)
            r = process_start(&proc, false);
        if (r < 0) {
            fprintf(stderr, "frag: cannot start load threads: %s\n", strerror(-r));
            return 1;
        }
    }

    int r = report(&run);
    if (r < 0) {
        atomic_store(&run.shared->stop, 1);
        fprintf(stderr, "frag: write to stdout: %s\n", strerror(-r));
    }
    atomic_store(&run.shared->done, 1);
    if (opts.workers > 0)
        workers_reap(&run);
    else
        process_join(&proc, false);

    if (atomic_load(&run.shared->alloc_failed))
        fprintf(stderr, "frag: malloc failed during the load: %s\n", strerror(ENOMEM));
    if (run.worker_failed)
        fprintf(stderr, "frag: at least one worker failed\n");
    return r < 0 || run.worker_failed || atomic_load(&run.shared->alloc_failed) ? 1 : 0;
}
