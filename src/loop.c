/* loop.c - see loop.h. */
#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util.h"

int loop_init(struct loop *l)
{
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    return l->epfd < 0 ? -errno : 0;
}

void loop_fini(struct loop *l)
{
    if (l->epfd >= 0)
        (void)close(l->epfd);
    l->epfd = -1;
}

static int ctl(struct loop *l, int op, struct loop_source *src, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = src};

    return epoll_ctl(l->epfd, op, src->fd, &ev) < 0 ? -errno : 0;
}

int loop_add(struct loop *l, struct loop_source *src, uint32_t events)
{
    return ctl(l, EPOLL_CTL_ADD, src, events);
}

int loop_mod(struct loop *l, struct loop_source *src, uint32_t events)
{
    return ctl(l, EPOLL_CTL_MOD, src, events);
}

void loop_del(struct loop *l, struct loop_source *src)
{
    (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
    struct epoll_event evs[32];
    int n = epoll_wait(l->epfd, evs, (int)ARRAY_SIZE(evs), timeout_ms);

    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct loop_source *src = evs[i].data.ptr;
        src->cb(src, evs[i].events);
    }
    return n;
}

int timer_new(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

    return fd < 0 ? -errno : fd;
}

int timer_arm(int tfd, int64_t first_ms, int64_t period_ms)
{
    struct itimerspec its = {
        .it_value = {.tv_sec = first_ms / 1000, .tv_nsec = (first_ms % 1000) * 1000000},
        .it_interval = {.tv_sec = period_ms / 1000, .tv_nsec = (period_ms % 1000) * 1000000},
    };

    return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

void timer_ack(int tfd)
{
    uint64_t expirations;

    /* EAGAIN: already read; the count itself is not needed. */
    while (read(tfd, &expirations, sizeof(expirations)) < 0 && errno == EINTR)
        ;
}
