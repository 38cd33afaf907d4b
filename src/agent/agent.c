/* agent.c - libjeinit-agent.so, preloaded by jeinit (after jemalloc) into the
 * program and every process it starts.
 *
 * It answers jeinit's requests with the allocator's own figures (jemalloc's
 * stats.* through mallctl, or glibc's mallinfo2) and purges on request. Rules,
 * because this code runs inside someone else's program:
 *   - inert unless the inherited channel is jeinit's (JEINIT_AGENT_FD is a
 *     unix datagram socket whose creator is JEINIT_AGENT_PID);
 *   - one detached thread, all signals blocked, blocked in recv() when idle;
 *     it takes no lock the program could hold and holds none across calls;
 *   - fork-safe: a forked worker drops its parent's connection and registers
 *     as itself (after a short delay, so fork+exec costs nothing); jemalloc
 *     turns background threads off in a fork child, the agent turns them back
 *     on when the options asked for them. The worker's thread starts in the
 *     atfork child handler, only where fork_child_may_allocate showed that
 *     to be safe; elsewhere fork children stay silent;
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

#include "proto.h"

#define FD_FLOOR           48
#define STACK_SIZE         ((size_t)128 * 1024)
#define FORK_DELAY_MS      100
#define PROBE_SIZE         4096 /* above glibc's tcache sizes */
#define MALLCTL_ARENAS_ALL "4096"

typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
typedef struct mallinfo2 (*mallinfo2_fn)(void);

struct fd_id {
    int fd;
    dev_t dev;
    ino_t ino;
};

static struct {
    bool on;
    bool fork_thread_ok; /* fork_child_may_allocate() held at registration */
    struct fd_id shared; /* our close-on-exec copy of the inherited channel */
    struct fd_id priv;   /* our end of the private socket */
    mallctl_fn mallctl;
    mallinfo2_fn mallinfo2;
} A = {.shared = {.fd = -1}, .priv = {.fd = -1}};

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

/* --- allocator figures ----------------------------------------------------- */

static uint64_t ctl_size(const char *name)
{
    size_t v = 0, len = sizeof(v);

    if (A.mallctl(name, &v, &len, NULL, 0) != 0 || len != sizeof(v))
        return UINT64_MAX;
    return v;
}

static void ctl_refresh(void)
{
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);

    (void)A.mallctl("epoch", &epoch, &len, &epoch, len);
}

static void jemalloc_stats(struct agent_reply *r)
{
    unsigned narenas = 0;
    bool bg = false;
    const char *version = NULL;
    size_t len;

    r->allocator = AGENT_ALLOC_JEMALLOC;
    ctl_refresh();
    r->allocated = ctl_size("stats.allocated");
    r->active = ctl_size("stats.active");
    r->metadata = ctl_size("stats.metadata");
    r->resident = ctl_size("stats.resident");
    r->mapped = ctl_size("stats.mapped");
    r->retained = ctl_size("stats.retained");
    if (r->resident != UINT64_MAX && r->allocated != UINT64_MAX)
        r->held = r->resident > r->allocated ? r->resident - r->allocated : 0;
    len = sizeof(narenas);
    if (A.mallctl("arenas.narenas", &narenas, &len, NULL, 0) == 0)
        r->narenas = narenas;
    len = sizeof(bg);
    if (A.mallctl("background_thread", &bg, &len, NULL, 0) == 0)
        r->background_enabled = bg;
    {
        uint64_t n = ctl_size("stats.background_thread.num_threads");
        r->background_threads = n == UINT64_MAX ? 0 : (uint32_t)n;
    }
    len = sizeof(version);
    if (A.mallctl("version", &version, &len, NULL, 0) == 0 && version)
        (void)strncpy(r->version_str, version, sizeof(r->version_str) - 1);
}

static uint64_t self_rss(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n;
    unsigned long long size = 0, resident = 0;
    char *p;

    if (fd < 0)
        return UINT64_MAX;
    n = read(fd, buf, sizeof(buf) - 1);
    (void)close(fd);
    if (n <= 0)
        return UINT64_MAX;
    buf[n] = '\0';
    size = strtoull(buf, &p, 10);
    resident = strtoull(p, NULL, 10);
    (void)size;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void glibc_stats(struct agent_reply *r)
{
    struct mallinfo2 mi;

    if (!A.mallinfo2) {
        /* the user's own allocator (tcmalloc, mimalloc...): no figures */
        r->allocator = AGENT_ALLOC_UNKNOWN;
        (void)strncpy(r->version_str, "unknown", sizeof(r->version_str) - 1);
        return;
    }
    mi = A.mallinfo2();
    r->allocator = AGENT_ALLOC_GLIBC;
    r->allocated = mi.uordblks + mi.hblkhd;
    r->mapped = mi.arena + mi.hblkhd;
    r->held = mi.fordblks;
    (void)strncpy(r->version_str, "glibc", sizeof(r->version_str) - 1);
}

static uint64_t elapsed_ns(const struct timespec *t0)
{
    struct timespec t1;

    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)(t1.tv_nsec - t0->tv_nsec);
}

static void answer(const struct agent_request *req, struct agent_reply *r)
{
    struct timespec t0;

    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(r, 0, sizeof(*r));
    r->magic = AGENT_MAGIC;
    r->version = AGENT_VERSION;
    r->seq = req->seq;
    r->allocated = r->active = r->metadata = r->resident = r->mapped = r->retained = r->held =
        UINT64_MAX;
    r->type = req->type == AGENT_PURGE ? AGENT_PURGED : AGENT_STATS;
    if (req->type == AGENT_PURGE) {
        uint64_t before, after;
        if (A.mallctl) {
            ctl_refresh();
            before = ctl_size("stats.resident");
            (void)A.mallctl("arena." MALLCTL_ARENAS_ALL ".purge", NULL, NULL, NULL, 0);
        } else {
            before = self_rss();
            (void)malloc_trim(0);
        }
        if (A.mallctl) {
            ctl_refresh();
            after = ctl_size("stats.resident");
        } else {
            after = self_rss();
        }
        r->purged =
            (before != UINT64_MAX && after != UINT64_MAX && before > after) ? before - after : 0;
    }
    if (A.mallctl)
        jemalloc_stats(r);
    else
        glibc_stats(r);
    r->cost_ns = elapsed_ns(&t0);
}

/* jemalloc turns background threads off in a fork child; when the options
 * asked for them, a forked worker gets them back. */
static void restore_background_threads(void)
{
    bool want = false, on = false, yes = true;
    size_t len = sizeof(want);

    if (!A.mallctl || A.mallctl("opt.background_thread", &want, &len, NULL, 0) != 0 || !want)
        return;
    len = sizeof(on);
    if (A.mallctl("background_thread", &on, &len, NULL, 0) == 0 && !on)
        (void)A.mallctl("background_thread", NULL, NULL, &yes, sizeof(yes));
}

/* --- the channel ------------------------------------------------------------- */

static bool register_self(void)
{
    struct agent_request hello = {AGENT_MAGIC, AGENT_VERSION, AGENT_HELLO, 0, 0};
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

static void *agent_main(void *arg)
{
    bool forked = arg != NULL;
    struct agent_request req;
    struct agent_reply rep;

    if (forked) {
        struct timespec d = {0, FORK_DELAY_MS * 1000000L};
        while (nanosleep(&d, &d) < 0 && errno == EINTR)
            ;
    }
    if (!register_self())
        return NULL;
    if (forked)
        restore_background_threads();
    for (;;) {
        ssize_t n;

        if (!fd_still_ours(&A.priv))
            break;
        n = recv(A.priv.fd, &req, sizeof(req), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* jeinit is gone: stop quietly */
        if (!agent_request_valid(&req, n))
            continue;
        answer(&req, &rep);
        if (!fd_still_ours(&A.priv))
            break;
        if (send(A.priv.fd, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
            errno != EAGAIN && errno != EINTR)
            break;
    }
    fd_forget(&A.priv, true);
    return NULL;
}

static void start_thread(void *arg)
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
    if (pthread_create(&t, &attr, agent_main, arg) == 0)
        (void)pthread_setname_np(t, "jeinit-agent");
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)pthread_attr_destroy(&attr);
}

/* What the allocator we read has handed out, by its own count. */
static uint64_t allocator_count(void)
{
    uint64_t n = 0;
    size_t len = sizeof(n);

    if (A.mallctl)
        return A.mallctl("thread.allocated", &n, &len, NULL, 0) == 0 ? n : 0;
    if (A.mallinfo2) {
        struct mallinfo2 mi = A.mallinfo2();
        return mi.uordblks + mi.hblkhd;
    }
    return 0;
}

/* The atfork child handler creates a thread, which may allocate (its DTV, with
 * the program's malloc): safe once the allocator's locks are reset. glibc
 * resets its own inside fork(), before any child handler; jemalloc in its own
 * child handler, registered when it initialises, which a successful mallctl
 * proves. Child handlers run in registration order, so this mallctl, before
 * our pthread_atfork, puts ours after jemalloc's (constructor order does not:
 * ld.so runs ours first). The probe must show in that allocator's count, so
 * it is the program's malloc (dlsym cannot say: a non-PIE program's PLT entry
 * is what it returns). See src/agent/README.md. */
static bool fork_child_may_allocate(void)
{
    uint64_t before = allocator_count(), after;
    void *p = malloc(PROBE_SIZE);

    if (!p)
        return false;
    __asm__ volatile("" : : "r"(p) : "memory"); /* keep the allocation */
    after = allocator_count();
    free(p);
    return after >= before + PROBE_SIZE;
}

/* Invariant: runs after the allocator's child handler (fork_child_may_allocate),
 * so start_thread may allocate; nothing before it does. */
static void after_fork_in_child(void)
{
    if (!A.on)
        return;
    /* the parent's connection is the parent's: drop it, keep the shared one */
    fd_forget(&A.priv, true);
    if (A.fork_thread_ok)
        start_thread((void *)1);
}

__attribute__((constructor)) static void agent_init(void)
{
    long fd, jeinit_pid;
    int mine;

    if (!parse_int(getenv("JEINIT_AGENT_FD"), &fd) ||
        !parse_int(getenv("JEINIT_AGENT_PID"), &jeinit_pid))
        return;
    if (!channel_is_jeinits((int)fd, jeinit_pid))
        return;
    mine = high_dup((int)fd);
    if (mine < 0 || !fd_remember(&A.shared, mine)) {
        if (mine >= 0)
            (void)close(mine);
        return;
    }
    A.mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    A.mallinfo2 = (mallinfo2_fn)dlsym(RTLD_DEFAULT, "mallinfo2");
    A.fork_thread_ok = fork_child_may_allocate(); /* before pthread_atfork */
    /* Neither jemalloc nor glibc's malloc counted the probe: the program
     * runs on another allocator, whose figures mallinfo2 does not know. */
    if (!A.fork_thread_ok && !A.mallctl)
        A.mallinfo2 = NULL;
    if (pthread_atfork(NULL, NULL, after_fork_in_child) != 0) {
        fd_forget(&A.shared, true);
        return;
    }
    A.on = true;
    start_thread(NULL);
}
