/* agents.c - see agents.h. */
#include "agents.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentstats.h"
#include "log.h"
#include "util.h"

/* Per wakeup, so one chatty process cannot keep the loop busy. */
#define READS_PER_WAKEUP 32

int agents_open(struct agent_hub *h, struct loop *loop)
{
    cleanup_close_pair int sv[2] = {-1, -1};
    int on = 1;

    memset(h, 0, offsetof(struct agent_hub, slots));
    h->loop = loop;
    h->shared_fd = h->child_fd = -1;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        return -errno;
    /* the kernel, not the payload, says who sent a registration */
    if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
        return -errno;
    /* the program's end: inherited across exec, and blocking for senders
     * is the agents' choice (they send with MSG_DONTWAIT) */
    if (fcntl(sv[1], F_SETFD, 0) < 0)
        return -errno;
    h->shared_fd = take_fd(&sv[0]);
    h->child_fd = take_fd(&sv[1]);
    return 0;
}

static void slot_close(struct agent_slot *s)
{
    struct agent_hub *h = s->hub;

    if (s->src.fd < 0)
        return;
    loop_del(h->loop, &s->src);
    (void)close(s->src.fd);
    s->src.fd = -1;
    s->pid = 0;
    s->has_stats = s->has_purge = s->has_prof = false;
    s->prof_status = 0;
    h->nused--;
}

static void on_reply(struct loop_source *src, uint32_t events)
{
    struct agent_slot *s = src->ctx;
    struct agent_reply r;

    if (s->src.fd < 0)
        return;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        ssize_t n = recv(s->src.fd, &r, sizeof(r), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            slot_close(s);
            return;
        }
        if (n == 0) {
            slot_close(s); /* the process exited or exec'd */
            return;
        }
        (void)agentstats_take_reply(s, &r, (long)n, now_mono_ms());
    }
    if (events & (EPOLLHUP | EPOLLERR))
        slot_close(s);
}

struct agent_slot *agents_find(struct agent_hub *h, pid_t pid)
{
    for (size_t i = 0; i < h->top; i++)
        if (h->slots[i].src.fd >= 0 && h->slots[i].pid == pid)
            return &h->slots[i];
    return NULL;
}

static bool is_seqpacket(int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);

    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

/* Who made the socket pair fd belongs to (the kernel's record, in jeinit's
 * pid namespace); 0 when it cannot say. */
static pid_t socket_maker(int fd)
{
    struct ucred cred = {0};
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
        return 0;
    return cred.pid;
}

/* A registration claiming pid whose socket maker made: refused unless they
 * are the same process. */
static bool claim_proven(struct agent_hub *h, pid_t pid, pid_t maker)
{
    if (maker == pid)
        return true;
    h->impostors++;
    if (!h->impostor_warned) {
        log_msg(LOG_WARN, "agents",
                "a registration claiming pid %d was refused: its socket was made by pid %d "
                "(credentials naming another pid need CAP_SYS_ADMIN); pid %d %s",
                (int)pid, (int)maker, (int)pid,
                agents_find(h, pid) ? "keeps its own agent"
                                    : "stays unreported until it registers");
        h->impostor_warned = true;
    }
    return false;
}

static void adopt(struct agent_hub *h, pid_t pid, int fd)
{
    struct agent_slot *s = agents_find(h, pid);

    if (s)
        slot_close(s); /* the same process again (proven): it exec'd */
    for (size_t i = 0; !s && i < h->top; i++)
        if (h->slots[i].src.fd < 0)
            s = &h->slots[i];
    if (!s && h->top < AGENTS_MAX) {
        /* a slot never used before: untouched until now */
        s = &h->slots[h->top++];
        s->src.fd = -1;
    }
    if (!s) {
        h->rejected++;
        if (!h->full_warned) {
            log_msg(LOG_WARN, "agents",
                    "more than %d processes with agents: pid %d and later "
                    "ones go unreported",
                    AGENTS_MAX, (int)pid);
            h->full_warned = true;
        }
        (void)close(fd);
        return;
    }
    memset(s, 0, sizeof(*s));
    s->hub = h;
    s->pid = pid;
    s->src = (struct loop_source){.fd = fd, .cb = on_reply, .ctx = s};
    if (loop_add(h->loop, &s->src, EPOLLIN) < 0) {
        (void)close(fd);
        s->src.fd = -1;
        return;
    }
    h->nused++;
    h->registered++;
}

static void on_hello(struct loop_source *src, uint32_t events)
{
    struct agent_hub *h = src->ctx;

    (void)events;
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        struct agent_request hello;
        union {
            char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {&hello, sizeof(hello)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf)};
        int fds[4], nfds = 0;
        pid_t pid = 0;
        ssize_t n = recvmsg(h->shared_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN, or nothing sensible to do */
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET)
                continue;
            if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                pid = cred.pid;
            } else if (c->cmsg_type == SCM_RIGHTS) {
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t j = 0; j < k; j++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
                    if (nfds < (int)ARRAY_SIZE(fds))
                        fds[nfds++] = fd;
                    else
                        (void)close(fd);
                }
            }
        }
        /* exactly one SEQPACKET socket, a valid HELLO, a pid the kernel vouches
         * for twice: the sender's credentials and the socket's maker */
        if (n == (ssize_t)sizeof(hello) && hello.magic == AGENT_MAGIC &&
            hello.version == AGENT_VERSION && hello.type == AGENT_HELLO && pid > 0 && nfds == 1 &&
            !(msg.msg_flags & MSG_CTRUNC) && is_seqpacket(fds[0]) &&
            claim_proven(h, pid, socket_maker(fds[0]))) {
            adopt(h, pid, fds[0]);
            continue;
        }
        h->rejected++;
        for (int j = 0; j < nfds; j++)
            (void)close(fds[j]);
        /* a good HELLO whose socket the kernel had to drop: jeinit is out
         * of descriptors (ulimit -n) */
        if (n == (ssize_t)sizeof(hello) && hello.magic == AGENT_MAGIC && nfds == 0 &&
            (msg.msg_flags & MSG_CTRUNC)) {
            if (h->unfollowed++ == 0)
                log_msg(LOG_WARN, "fds",
                        "out of descriptors (ulimit -n): the agent of pid %d could not be "
                        "followed; the exit line counts the processes that could not be "
                        "followed (memory.agents_unfollowed)",
                        (int)pid);
        }
    }
}

int agents_start(struct agent_hub *h)
{
    if (h->child_fd >= 0) {
        (void)close(h->child_fd);
        h->child_fd = -1;
    }
    h->shared_src = (struct loop_source){.fd = h->shared_fd, .cb = on_hello, .ctx = h};
    return loop_add(h->loop, &h->shared_src, EPOLLIN);
}

void agents_request(struct agent_hub *h, uint16_t type, uint32_t seq)
{
    struct agent_request req = {
        .magic = AGENT_MAGIC, .version = AGENT_VERSION, .type = type, .seq = seq};

    for (size_t i = 0; i < h->top; i++) {
        struct agent_slot *s = &h->slots[i];
        if (s->src.fd < 0)
            continue;
        if (send(s->src.fd, &req, sizeof(req), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            if (errno == EAGAIN || errno == EINTR)
                h->dropped_requests++; /* it is not reading; it is not waited for */
            else
                slot_close(s);
        }
    }
}

int agents_send(struct agent_slot *s, const struct agent_request *req)
{
    if (s->src.fd < 0)
        return -EBADF;
    while (send(s->src.fd, req, sizeof(*req), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return -EAGAIN;
        {
            int e = errno;
            slot_close(s);
            return -e;
        }
    }
    return 0;
}

void agents_close(struct agent_hub *h)
{
    for (size_t i = 0; i < h->top; i++)
        slot_close(&h->slots[i]);
    if (h->shared_fd >= 0) {
        loop_del(h->loop, &h->shared_src);
        (void)close(h->shared_fd);
    }
    if (h->child_fd >= 0)
        (void)close(h->child_fd);
    h->shared_fd = h->child_fd = -1;
}
