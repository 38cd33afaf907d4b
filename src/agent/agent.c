/* agent.c - libjeinit-agent.so, preloaded by jeinit (after jemalloc) into the
 * program and every process it starts.
 *
 * It answers jeinit's requests with the allocator's own figures (jemalloc's
 * stats.* through mallctl, or glibc's mallinfo2: figures.c) and purges on
 * request. Rules,
 * because this code runs inside someone else's program:
 *   - inert unless the inherited channel is jeinit's (JEINIT_AGENT_FD is a
 *     unix datagram socket whose creator is JEINIT_AGENT_PID);
 *   - nothing until the process has lived JEINIT_AGENT_DELAY_MS: no thread,
 *     no socket, no registration; it wakes on the first allocation or free
 *     after that (jemalloc's hooks, or under glibc its own malloc), so
 *     short-lived processes and privilege-dropping entrypoints never carry a
 *     thread of ours, nor jemalloc's background threads, which it starts;
 *   - then one detached thread, all signals blocked, blocked in recv()
 *     between jeinit's requests and the ticks of its decay steering
 *     (decay.c: 250 ms to 1 s); it takes no lock the program could hold and
 *     holds none across calls;
 *   - fork-safe: a forked worker drops its parent's connection and starts
 *     over as an exec'd program does (armed, its own clock); the thread is
 *     only ever started from an allocation, never from a fork handler;
 *   - silent: never writes to the program's stdout/stderr, never exits, and
 *     stops quietly when jeinit is gone or the program closed its sockets;
 *   - descriptors from 48 up (clear of stdio and of the low numbers programs
 *     dup2 onto, yet below 64 so that the descriptor table need not grow),
 *     close-on-exec, and checked by identity before every use, so a program
 *     that closes and reuses descriptors is never read from or written to by
 *     the agent. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decay.h"
#include "figures.h"
#include "prof.h"
#include "proto.h"

#define FD_FLOOR   48
#define STACK_SIZE ((size_t)128 * 1024)
#define PROBE_SIZE 4096 /* above glibc's tcache sizes */

/* jeinit's own jemalloc exports these (src/jemalloc/hook_entry.c): the same
 * hook without mallctl, whose first call initialises jemalloc's statistics
 * in every process, 30 page faults of an exec. Weak: NULL with any other. */
extern void *jeinit_hook_install(void *hooks) __attribute__((weak, visibility("default")));
extern void jeinit_hook_remove(void *handle) __attribute__((weak, visibility("default")));

struct fd_id {
    int fd;
    dev_t dev;
    ino_t ino;
};

static struct {
    /* from the environment, read once in the constructor */
    uint64_t delay_ms;
    bool want_background;
    long decay_short_ms, decay_long_ms; /* JEINIT_AGENT_DECAY; 0: not steered */
    /* waking up */
    bool armed;       /* the next allocations may start the thread */
    uint64_t bytes;   /* requested while armed: a big heap matters at any age */
    uint64_t born_ms; /* exec or fork, CLOCK_MONOTONIC_COARSE */
    pid_t pid;
    bool gone;  /* jeinit went away: forked children need not wake */
    void *hook; /* jemalloc's handle of our allocation hook, while installed */
    pthread_mutex_t hook_lock;
    /* the thread's */
    struct fd_id shared; /* our close-on-exec copy of the inherited channel */
    struct fd_id priv;   /* our end of the private socket */
    mallctl_fn mallctl;
    mallinfo2_fn mallinfo2;
} A = {.shared = {.fd = -1}, .priv = {.fd = -1}, .hook_lock = PTHREAD_MUTEX_INITIALIZER};

/* --- descriptors, checked by identity ------------------------------------ */

static bool fd_remember(struct fd_id *id, int fd)
{
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return false;
    id->fd = fd;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return true;
}

/* Still ours? A program may close any descriptor and get its number back for
 * something else; then the agent must not touch it. */
static bool fd_still_ours(const struct fd_id *id)
{
    struct stat st;

    return id->fd >= 0 && fstat(id->fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
}

static void fd_forget(struct fd_id *id, bool close_it)
{
    if (close_it && fd_still_ours(id))
        (void)close(id->fd);
    id->fd = -1;
}

/* Out of the program's way: above FD_FLOOR when the limit allows. */
static int high_dup(int fd)
{
    int h = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);

    if (h < 0)
        h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return h;
}

static bool parse_int(const char *s, long *out)
{
    long v = 0;

    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

/* The channel is jeinit's: a unix datagram socket made by JEINIT_AGENT_PID. */
static bool channel_is_jeinits(int fd, long jeinit_pid)
{
    struct stat st;
    struct ucred cred;
    int type = 0, domain = 0;
    socklen_t len = sizeof(type);

    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_DGRAM)
        return false;
    len = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX)
        return false;
    len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    return cred.pid == (pid_t)jeinit_pid;
}

/* Background threads are the agent's to turn on (JEINIT_AGENT_BACKGROUND),
 * once the process has lived: jemalloc would start them at its initialisation,
 * in every process, before a privilege-dropping entrypoint changes its ids.
 * jemalloc also turns them off in a fork child; a worker gets them back here. */
static void start_background_threads(void)
{
    bool want = A.want_background, on = false, yes = true;
    size_t len = sizeof(want);

    if (!A.mallctl)
        return;
    if (!want && (A.mallctl("opt.background_thread", &want, &len, NULL, 0) != 0 || !want))
        return;
    len = sizeof(on);
    if (A.mallctl("background_thread", &on, &len, NULL, 0) == 0 && !on)
        (void)A.mallctl("background_thread", NULL, NULL, &yes, sizeof(yes));
}

/* --- the channel ------------------------------------------------------------- */

static bool register_self(void)
{
    struct agent_request hello = {
        .magic = AGENT_MAGIC, .version = AGENT_VERSION, .type = AGENT_HELLO};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {&hello, sizeof(hello)};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c;
    int sv[2], mine;
    bool ok;

    if (!fd_still_ours(&A.shared))
        return false;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return false;
    mine = high_dup(sv[0]);
    (void)close(sv[0]);
    if (mine < 0 || !fd_remember(&A.priv, mine)) {
        if (mine >= 0)
            (void)close(mine);
        (void)close(sv[1]);
        return false;
    }
    memset(&ctl, 0, sizeof(ctl));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
    /* never wait: if jeinit is not reading, this process goes unreported */
    ok = sendmsg(A.shared.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(hello);
    (void)close(sv[1]);
    if (!ok)
        fd_forget(&A.priv, true);
    return ok;
}

/* Neither jemalloc nor glibc's malloc counted a probe: the program runs on
 * another allocator, whose figures mallinfo2 does not know. */
static void check_allocator(void)
{
    struct mallinfo2 before, after;
    void *p;

    if (A.mallctl || !A.mallinfo2)
        return; /* jemalloc's own hook woke us: its figures are the program's */
    before = A.mallinfo2();
    p = malloc(PROBE_SIZE);
    if (!p) {
        A.mallinfo2 = NULL;
        return;
    }
    __asm__ volatile("" : : "r"(p) : "memory"); /* keep the allocation */
    after = A.mallinfo2();
    free(p);
    if (after.uordblks + after.hblkhd < before.uordblks + before.hblkhd + PROBE_SIZE)
        A.mallinfo2 = NULL;
}

static void remove_hook(void)
{
    void *h;

    (void)pthread_mutex_lock(&A.hook_lock);
    h = A.hook;
    A.hook = NULL;
    if (h && jeinit_hook_remove)
        jeinit_hook_remove(h);
    else if (h)
        (void)A.mallctl("experimental.hooks.remove", NULL, NULL, &h, sizeof(h));
    (void)pthread_mutex_unlock(&A.hook_lock);
}

static uint64_t now_ms(void);

/* recv waits at most until the next deadline (SO_RCVTIMEO on our own
 * socket): the end of a profile jeinit started, or the decay steering's next
 * tick; 0: none, recv waits for jeinit. */
static void set_recv_deadline(uint64_t deadline_ms)
{
    uint64_t now = now_ms(), left = deadline_ms > now ? deadline_ms - now : 1;
    struct timeval tv = {0, 0};

    if (deadline_ms) {
        tv.tv_sec = (time_t)(left / 1000);
        tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
    }
    (void)setsockopt(A.priv.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

static void *agent_main(void *arg)
{
    struct agent_request req;
    struct agent_reply rep;
    struct decay decay;
    uint64_t prof_deadline = 0; /* sampling on until then, unless jeinit says off */

    (void)arg;
    if (A.mallctl)
        remove_hook(); /* its work is done: the program's allocations go fast again */
    check_allocator();
    if (!register_self())
        return NULL; /* jeinit busy or gone: this process goes unreported */
    start_background_threads();
    decay_start(&decay, A.mallctl, A.decay_short_ms, A.decay_long_ms,
                __atomic_load_n(&A.bytes, __ATOMIC_RELAXED) >= AGENT_WAKE_BYTES, now_ms());
    for (;;) {
        uint64_t now;
        ssize_t n;

        if (!fd_still_ours(&A.priv))
            break;
        set_recv_deadline(earliest(prof_deadline, decay_next_ms(&decay)));
        n = recv(A.priv.fd, &req, sizeof(req), 0);
        now = now_ms();
        if (prof_deadline && now >= prof_deadline) {
            agent_prof_expire(A.mallctl); /* no word from jeinit: sampling off */
            prof_deadline = 0;
        }
        if (decay_next_ms(&decay) && now >= decay_next_ms(&decay))
            decay_tick(&decay, now);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            break; /* jeinit is gone: stop quietly */
        if (!agent_request_valid(&req, n))
            continue;
        if (req.type == AGENT_PROF_ON || req.type == AGENT_PROF_DUMP ||
            req.type == AGENT_PROF_OFF) {
            agent_prof(&req, &rep, A.mallctl);
            if (req.type == AGENT_PROF_ON && rep.status == 0)
                prof_deadline = now + (uint64_t)(req.limit_s ? req.limit_s : 1) * 1000u;
            else if (req.type == AGENT_PROF_OFF)
                prof_deadline = 0;
        } else {
            if (req.type == AGENT_PURGE)
                decay_on_purge(&decay, now); /* the cgroup is short of memory */
            agent_answer(&req, &rep, A.mallctl, A.mallinfo2);
        }
        decay_report(&decay, &rep);
        if (!fd_still_ours(&A.priv))
            break;
        if (send(A.priv.fd, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
            errno != EAGAIN && errno != EINTR)
            break;
    }
    if (prof_deadline)
        agent_prof_expire(A.mallctl); /* jeinit is gone: nobody will say off */
    decay_stop(&decay);               /* nor steer: the short decay stays */
    fd_forget(&A.priv, true);
    A.gone = true;
    return NULL;
}

static void start_thread(void)
{
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;

    if (pthread_attr_init(&attr) != 0)
        return;
    (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    (void)pthread_attr_setstacksize(&attr, STACK_SIZE);
    /* every signal stays with the program's own threads */
    (void)sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&t, &attr, agent_main, NULL) == 0)
        (void)pthread_setname_np(t, "jeinit-agent");
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)pthread_attr_destroy(&attr);
}

/* --- waking up: nothing until the process has lived A.delay_ms ------------ */

static uint64_t now_ms(void)
{
    struct timespec t;

    (void)clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Called on the program's allocations (and, under jemalloc, frees) while
 * armed: an addition and a coarse clock read (vDSO, a few ns). The thread
 * starts on the first allocation or free after the delay, or once the
 * process has asked for AGENT_WAKE_BYTES (a process building a big heap at
 * once matters whatever its age; a privilege-dropping wrapper asks for
 * kilobytes), in whichever thread makes it. Not in a vfork child (same
 * memory, other pid): that must not start anything. */
static void maybe_wake(uint64_t size)
{
    uint64_t asked = __atomic_add_fetch(&A.bytes, size, __ATOMIC_RELAXED);

    if ((now_ms() - A.born_ms < A.delay_ms && asked < AGENT_WAKE_BYTES) || getpid() != A.pid)
        return;
    if (__atomic_exchange_n(&A.armed, false, __ATOMIC_ACQ_REL))
        start_thread();
}

/* jemalloc's allocation and deallocation hooks (experimental.hooks, 5.1+).
 * Installed, they send every allocation and free through jemalloc's slow
 * path; removed by the thread. */
typedef void (*je_hook_alloc)(void *extra, int type, void *result, uintptr_t result_raw,
                              uintptr_t args_raw[3]);
typedef void (*je_hook_dalloc)(void *extra, int type, void *address, uintptr_t args_raw[3]);
struct je_hooks {
    je_hook_alloc alloc_hook;
    je_hook_dalloc dalloc_hook;
    void *expand_hook;
    void *extra;
};

/* jemalloc's hook_alloc_t: where each entry point's size is among its
 * arguments (malloc, posix_memalign, aligned_alloc, calloc, memalign, valloc,
 * mallocx, realloc, rallocx). */
static uint64_t requested(int type, const uintptr_t a[3])
{
    switch (type) {
    case 0: /* malloc */
    case 5: /* valloc */
    case 6: /* mallocx */
        return a[0];
    case 1: /* posix_memalign */
        return a[2];
    case 3: /* calloc */
        return a[1] != 0 && a[0] > UINT64_MAX / a[1] ? UINT64_MAX : (uint64_t)a[0] * a[1];
    default: /* aligned_alloc, memalign, realloc, rallocx */
        return a[1];
    }
}

static void on_alloc(void *extra, int type, void *result, uintptr_t result_raw,
                     uintptr_t args_raw[3])
{
    (void)extra, (void)result, (void)result_raw;
    if (__atomic_load_n(&A.armed, __ATOMIC_RELAXED))
        maybe_wake(requested(type, args_raw));
}

/* A free wakes the agent too: a process that built its heap early and
 * frees it later (a worker done with a request, a batch job between
 * phases) is the one whose allocator holds what it freed, and it may never
 * allocate again. jemalloc calls this before the free, outside its locks. */
static void on_dalloc(void *extra, int type, void *address, uintptr_t args_raw[3])
{
    (void)extra, (void)type, (void)args_raw;
    if (address && __atomic_load_n(&A.armed, __ATOMIC_RELAXED))
        maybe_wake(0);
}

static bool install_hook(void)
{
    struct je_hooks hooks = {on_alloc, on_dalloc, NULL, NULL};
    void *h = NULL;
    size_t len = sizeof(h);

    if (jeinit_hook_install)
        h = jeinit_hook_install(&hooks);
    else if (A.mallctl("experimental.hooks.install", &h, &len, &hooks, sizeof(hooks)) != 0)
        h = NULL;
    if (!h)
        return false;
    A.hook = h;
    return true;
}

/* Without jemalloc, the agent's own malloc is the wake-up call: it forwards
 * to the next malloc in the search order (glibc's, or whichever library comes
 * after the agent), so that free() and the allocation always agree. jemalloc,
 * preloaded before the agent, is found first and this is never called. */
extern void *__libc_malloc(size_t size);
static void *(*next_malloc)(size_t);
static bool resolving;

__attribute__((visibility("default"))) void *malloc(size_t size)
{
    void *(*f)(size_t) = __atomic_load_n(&next_malloc, __ATOMIC_ACQUIRE);
    void *p;

    if (__builtin_expect(f == NULL, 0)) {
        if (__atomic_exchange_n(&resolving, true, __ATOMIC_ACQ_REL))
            return __libc_malloc(size); /* dlsym's own allocation, or a race */
        f = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
        if (!f)
            f = __libc_malloc;
        __atomic_store_n(&next_malloc, f, __ATOMIC_RELEASE);
    }
    p = f(size);
    if (__builtin_expect(__atomic_load_n(&A.armed, __ATOMIC_RELAXED), 0))
        maybe_wake(size);
    return p;
}

static void arm(void)
{
    A.pid = getpid();
    A.born_ms = now_ms();
    __atomic_store_n(&A.bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&A.armed, true, __ATOMIC_RELEASE);
}

/* --- fork -------------------------------------------------------------------- */

/* The hook lock keeps fork from copying a half-removed hook (jemalloc's hook
 * mutex is not among those it resets in a fork child). Contended once in a
 * process's life, when the thread removes the hook. */
static void before_fork(void)
{
    (void)pthread_mutex_lock(&A.hook_lock);
}

static void after_fork_in_parent(void)
{
    (void)pthread_mutex_unlock(&A.hook_lock);
}

/* Invariant: runs after jemalloc's own child handler (see agent_init), so the
 * mallctl that puts the hook back finds jemalloc's locks reset. A forked
 * worker starts as an exec'd program does: no thread, armed, its own clock. */
static void after_fork_in_child(void)
{
    (void)pthread_mutex_unlock(&A.hook_lock);
    /* the parent's connection is the parent's: drop it, keep the shared one */
    fd_forget(&A.priv, true);
    if (A.gone)
        return; /* nobody to report to: no wake-up call either */
    if (A.mallctl && !A.hook && !install_hook())
        return; /* no wake-up call: this worker stays unreported */
    arm();
}

__attribute__((constructor)) static void agent_init(void)
{
    long fd, jeinit_pid, delay;
    int mine;
    const char *bg = getenv("JEINIT_AGENT_BACKGROUND");

    if (!parse_int(getenv("JEINIT_AGENT_FD"), &fd) ||
        !parse_int(getenv("JEINIT_AGENT_PID"), &jeinit_pid))
        return;
    if (!parse_int(getenv("JEINIT_AGENT_DELAY_MS"), &delay) || delay > 60000)
        delay = AGENT_DELAY_MAX_MS;
    /* the channel is checked and copied now, before the program can close or
     * reuse the inherited number: daemons close every descriptor at start */
    if (!channel_is_jeinits((int)fd, jeinit_pid))
        return;
    mine = high_dup((int)fd);
    if (mine < 0 || !fd_remember(&A.shared, mine)) {
        if (mine >= 0)
            (void)close(mine);
        return;
    }
    A.delay_ms = (uint64_t)delay;
    A.want_background = bg && bg[0] == '1' && bg[1] == '\0';
    if (!steer_parse_env(getenv("JEINIT_AGENT_DECAY"), &A.decay_short_ms, &A.decay_long_ms))
        A.decay_short_ms = A.decay_long_ms = 0;
    A.mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    A.mallinfo2 = (mallinfo2_fn)dlsym(RTLD_DEFAULT, "mallinfo2");
    /* A successful mallctl has initialised jemalloc, which registers its fork
     * handlers then: ours, registered after, run after its child handler
     * (ld.so runs this constructor before jemalloc's, so order is not given). */
    if ((A.mallctl && !install_hook()) ||
        pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) != 0) {
        /* a jemalloc without hooks (before 5.1), or no room for handlers */
        if (A.hook)
            remove_hook();
        fd_forget(&A.shared, true);
        return;
    }
    arm();
}
