/* metrics.c - see metrics.h. The socket side: accept, read a request, answer
 * it from a fixed buffer, close; everything bounded in count, size and time. */
#include "metrics.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agents.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

#define ACCEPTS_PER_WAKEUP 16
#define LINGER_DRAIN_MAX   ((size_t)64 * 1024) /* then the connection is closed, drained or not */
#define PAUSE_MS           1000 /* the listener rests this long when accept runs dry */
#define HEAD_MAX           192  /* the status line and headers, before the page */
#define SNDBUF             4096 /* per connection; the kernel doubles it: 8 KiB */

/* --- the deadline timer ----------------------------------------------------------- */

static void rearm(struct metrics_server *s)
{
    int64_t next = s->paused_until_ms, now = now_mono_ms();

    for (size_t i = 0; i < METRICS_CONNS; i++) {
        const struct metrics_conn *c = &s->conns[i];
        if (c->src.fd >= 0 && (next == 0 || c->deadline_ms < next))
            next = c->deadline_ms;
    }
    if (s->timer_fd < 0)
        return;
    /* 0 disarms: an expired deadline fires in 1 ms */
    (void)timer_arm(s->timer_fd, next == 0 ? 0 : next > now ? next - now : 1, 0);
}

static void conn_close(struct metrics_conn *c)
{
    if (c->src.fd < 0)
        return;
    loop_del(c->srv->loop, &c->src);
    (void)close(c->src.fd);
    c->src.fd = -1;
    c->state = CONN_FREE;
}

static void reject(struct metrics_conn *c, enum metrics_reject_reason r)
{
    c->srv->health.rejected[r]++;
    conn_close(c);
}

/* --- answers -------------------------------------------------------------------- */

static void fill_view(const struct metrics_server *s, struct metrics_view *v)
{
    const struct monitor *m = s->mon;

    memset(v, 0, sizeof(*v));
    v->version = s->version ? s->version : "unknown";
    v->health = s->health;
    v->health.log_dropped = log_dropped();
    if (s->hub) {
        v->health.have_agents = true;
        v->health.agents_connected = s->hub->nused;
        v->health.agents_registered = s->hub->registered;
        v->health.agents_rejected = s->hub->rejected;
    }
    if (!m)
        return;
    v->monitor = true;
    v->lim = m->lim;
    v->samples = m->samples;
    v->oom_kills = m->oom_kills;
    v->purges = m->purges;
    v->purged_bytes = m->purged_bytes;
    if (m->samples == 0 || m->wlen == 0)
        return;
    v->have_sample = true;
    v->usage = &m->usage;
    v->procs = m->procs;
    v->nprocs = m->nprocs;
    v->nskipped = m->nskipped;
    v->sums = &m->window[m->wlen - 1];
    v->diag = &m->diag;
    v->lag_ms = m->lag_ms;
    v->sample_age_ms = now_mono_ms() - v->sums->t_ms;
    if (v->sample_age_ms < 0)
        v->sample_age_ms = 0;
}

/* The body is in c->out[HEAD_MAX, HEAD_MAX + blen): the head goes right
 * before it, so that the answer is one contiguous run for send(). */
static void put_head(struct metrics_conn *c, int code, const char *reason, const char *type,
                     const char *extra, size_t blen)
{
    char head[HEAD_MAX];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     code, reason, type, blen, extra);

    if (n < 0 || (size_t)n >= sizeof(head))
        n = 0; /* cannot happen: the longest head is about 120 bytes */
    memcpy(c->out + HEAD_MAX - (size_t)n, head, (size_t)n);
    c->off = HEAD_MAX - (size_t)n;
    c->len = HEAD_MAX + blen;
}

static void answer_text(struct metrics_conn *c, int code, const char *reason, const char *extra,
                        const char *body)
{
    size_t blen = strlen(body);

    memcpy(c->out + HEAD_MAX, body, blen);
    put_head(c, code, reason, "text/plain; charset=utf-8", extra, blen);
}

static void answer_page(struct metrics_conn *c)
{
    struct metrics_server *s = c->srv;
    struct metrics_view v;
    bool truncated = false;
    size_t blen;

    s->health.scrapes++;
    fill_view(s, &v);
    blen = metrics_render(&v, &s->groups, c->out + HEAD_MAX, sizeof(c->out) - HEAD_MAX, &truncated);
    if (truncated)
        s->health.truncated++;
    put_head(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", "", blen);
}

static void start_write(struct metrics_conn *c);

static void answer(struct metrics_conn *c, enum metrics_req r, bool too_large)
{
    struct metrics_health *h = &c->srv->health;
    const char *reason;
    int code = metrics_req_status(r, &reason);

    if (too_large) {
        h->rejected[METRICS_REJ_TOO_LARGE]++;
        answer_text(c, 431, "Request Header Fields Too Large", "", "request too large\n");
    } else if (r == METRICS_REQ_METRICS) {
        answer_page(c);
    } else if (r == METRICS_REQ_ROOT) {
        answer_text(c, code, reason, "", "jeinit: metrics at /metrics\n");
    } else if (r == METRICS_REQ_NOT_FOUND) {
        h->rejected[METRICS_REJ_NOT_FOUND]++;
        answer_text(c, code, reason, "", "not found: metrics at /metrics\n");
    } else if (r == METRICS_REQ_METHOD) {
        h->rejected[METRICS_REJ_METHOD]++;
        answer_text(c, code, reason, "Allow: GET\r\n", "method not allowed: GET /metrics\n");
    } else {
        h->rejected[METRICS_REJ_BAD]++;
        answer_text(c, code, reason, "", "bad request\n");
    }
    start_write(c);
}

/* --- a connection's life -------------------------------------------------------- */

static void on_conn(struct loop_source *src, uint32_t events);

/* The answer is out: stop sending, and read what the client still sends
 * until it closes (closing with unread bytes would reset the connection, and
 * the client could lose the answer), for at most METRICS_LINGER_MS. */
static void start_linger(struct metrics_conn *c)
{
    int64_t until = now_mono_ms() + METRICS_LINGER_MS;

    (void)shutdown(c->src.fd, SHUT_WR);
    c->state = CONN_LINGER;
    c->drained = 0;
    if (until < c->deadline_ms)
        c->deadline_ms = until;
    if (loop_mod(c->srv->loop, &c->src, EPOLLIN) < 0)
        conn_close(c);
    rearm(c->srv);
}

static void do_write(struct metrics_conn *c)
{
    while (c->off < c->len) {
        ssize_t n = send(c->src.fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* EPOLLOUT brings us back */
        if (n <= 0) {
            conn_close(c); /* the client is gone */
            return;
        }
        c->off += (size_t)n;
    }
    start_linger(c);
}

static void start_write(struct metrics_conn *c)
{
    c->state = CONN_WRITE;
    if (loop_mod(c->srv->loop, &c->src, EPOLLOUT) < 0) {
        conn_close(c);
        return;
    }
    do_write(c);
}

static void do_read(struct metrics_conn *c)
{
    for (;;) {
        bool linger = c->state == CONN_LINGER;
        char *to = linger ? c->in : c->in + c->inlen;
        size_t room = linger ? sizeof(c->in) : sizeof(c->in) - c->inlen;
        ssize_t n = read(c->src.fd, to, room);
        enum metrics_req r;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            conn_close(c); /* EOF or an error: done, or gone before asking */
            return;
        }
        if (linger) {
            c->drained += (size_t)n;
            if (c->drained > LINGER_DRAIN_MAX) {
                conn_close(c);
                return;
            }
            continue;
        }
        c->inlen += (size_t)n;
        r = metrics_parse_request(c->in, c->inlen);
        if (r != METRICS_REQ_INCOMPLETE) {
            answer(c, r, false);
            return;
        }
        if (c->inlen == sizeof(c->in)) {
            answer(c, r, true);
            return;
        }
    }
}

static void on_conn(struct loop_source *src, uint32_t events)
{
    struct metrics_conn *c = src->ctx;

    if (events & EPOLLERR) {
        conn_close(c);
    } else if (c->state == CONN_WRITE) {
        do_write(c);
    } else {
        do_read(c);
    }
    rearm(c->srv);
}

/* A free slot, or the one to give up for a new connection: the oldest that
 * has not finished its request (an idle or slow client), else the oldest
 * that is only being drained; NULL when every one is writing an answer. */
static struct metrics_conn *take_slot(struct metrics_server *s)
{
    struct metrics_conn *oldest_read = NULL, *oldest_linger = NULL;

    for (size_t i = 0; i < METRICS_CONNS; i++) {
        struct metrics_conn *c = &s->conns[i];
        if (c->src.fd < 0)
            return c;
        if (c->state == CONN_READ && (!oldest_read || c->opened_ms < oldest_read->opened_ms))
            oldest_read = c;
        if (c->state == CONN_LINGER && (!oldest_linger || c->opened_ms < oldest_linger->opened_ms))
            oldest_linger = c;
    }
    if (oldest_read) {
        reject(oldest_read, METRICS_REJ_EVICTED);
        return oldest_read;
    }
    if (oldest_linger) {
        conn_close(oldest_linger);
        return oldest_linger;
    }
    return NULL;
}

static void pause_listener(struct metrics_server *s)
{
    if (s->listening && loop_mod(s->loop, &s->listen_src, 0) == 0)
        s->listening = false;
    s->paused_until_ms = now_mono_ms() + PAUSE_MS;
}

static void on_accept(struct loop_source *src, uint32_t events)
{
    struct metrics_server *s = src->ctx;
    int sndbuf = SNDBUF;

    (void)events;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct metrics_conn *c;

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_listener(s); /* else the socket stays ready and the loop spins */
            break; /* EAGAIN, or a connection that failed before accept: next time */
        }
        /* a small send buffer: a client that stops reading holds at most
         * this much kernel memory, and a page is written in a few turns of
         * the loop (so the EPOLLOUT path runs on every scrape, and is tested) */
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        c = take_slot(s);
        if (!c) {
            s->health.rejected[METRICS_REJ_EVICTED]++;
            (void)close(fd);
            continue;
        }
        c->src = (struct loop_source){.fd = fd, .cb = on_conn, .ctx = c};
        c->srv = s;
        c->state = CONN_READ;
        c->inlen = c->off = c->len = c->drained = 0;
        c->opened_ms = now_mono_ms();
        c->deadline_ms = c->opened_ms + METRICS_DEADLINE_MS;
        if (loop_add(s->loop, &c->src, EPOLLIN) < 0) {
            (void)close(fd);
            c->src.fd = -1;
            c->state = CONN_FREE;
        }
    }
    rearm(s);
}

static void on_timer(struct loop_source *src, uint32_t events)
{
    struct metrics_server *s = src->ctx;
    int64_t now = now_mono_ms();

    (void)events;
    timer_ack(s->timer_fd);
    for (size_t i = 0; i < METRICS_CONNS; i++) {
        struct metrics_conn *c = &s->conns[i];
        if (c->src.fd < 0 || c->deadline_ms > now)
            continue;
        if (c->state == CONN_LINGER)
            conn_close(c); /* answered: not a rejection */
        else
            reject(c, METRICS_REJ_TIMEOUT);
    }
    if (s->paused_until_ms && s->paused_until_ms <= now) {
        s->paused_until_ms = 0;
        if (loop_mod(s->loop, &s->listen_src, EPOLLIN) == 0)
            s->listening = true;
    }
    rearm(s);
}

/* --- setup ------------------------------------------------------------------------ */

/* -errno of the call that failed, after closing fd. */
static int close_failed(int fd)
{
    int err = errno;

    (void)close(fd);
    return -err;
}

static int listen_on(const struct metrics_addr *a, const char **what)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    int one = 1, zero = 0, fd, family = a->family;

    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && a->any && errno == EAFNOSUPPORT) {
        family = AF_INET; /* no IPv6 in this kernel: every IPv4 address */
        fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) {
        *what = "socket";
        return -errno;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a->port);
        if (!a->any)
            memcpy(&sin6->sin6_addr, a->addr, 16);
        len = sizeof(*sin6);
        /* ":PORT" takes IPv4 too, whatever net.ipv6.bindv6only says */
        if (a->any)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(a->port);
        if (!a->any)
            memcpy(&sin->sin_addr, a->addr, 4);
        len = sizeof(*sin);
    }
    /* a restarted jeinit binds at once, past its predecessor's TIME_WAITs */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        *what = "bind";
        return close_failed(fd);
    }
    if (listen(fd, 16) < 0) {
        *what = "listen";
        return close_failed(fd);
    }
    return fd;
}

int metrics_open(struct metrics_server *s, const struct metrics_addr *addr, struct loop *loop,
                 const char **what)
{
    int r;

    /* the connections' buffers stay untouched (not resident) until used */
    memset(s, 0, offsetof(struct metrics_server, conns));
    for (size_t i = 0; i < METRICS_CONNS; i++) {
        s->conns[i].src.fd = -1;
        s->conns[i].state = CONN_FREE;
    }
    s->loop = loop;
    s->listen_fd = s->timer_fd = -1;
    s->listen_src.fd = s->timer_src.fd = -1;
    metrics_addr_format(addr, s->shown, sizeof(s->shown));
    r = listen_on(addr, what);
    if (r < 0)
        return r;
    s->listen_fd = r;
    s->timer_fd = timer_new();
    if (s->timer_fd < 0) {
        *what = "timerfd_create";
        r = s->timer_fd;
        goto fail;
    }
    s->listen_src = (struct loop_source){.fd = s->listen_fd, .cb = on_accept, .ctx = s};
    s->timer_src = (struct loop_source){.fd = s->timer_fd, .cb = on_timer, .ctx = s};
    *what = "epoll_ctl";
    r = loop_add(loop, &s->timer_src, EPOLLIN);
    if (r < 0)
        goto fail;
    r = loop_add(loop, &s->listen_src, EPOLLIN);
    if (r < 0) {
        loop_del(loop, &s->timer_src);
        goto fail;
    }
    s->listening = true;
    return 0;
fail:
    metrics_close(s);
    return r;
}

void metrics_attach(struct metrics_server *s, const struct monitor *m, const struct agent_hub *h,
                    const char *version)
{
    s->mon = m;
    s->hub = h;
    s->version = version;
}

void metrics_close(struct metrics_server *s)
{
    for (size_t i = 0; i < METRICS_CONNS; i++)
        conn_close(&s->conns[i]);
    if (s->listen_fd >= 0) {
        loop_del(s->loop, &s->listen_src); /* harmless when it was never added */
        (void)close(s->listen_fd);
    }
    if (s->timer_fd >= 0) {
        loop_del(s->loop, &s->timer_src);
        (void)close(s->timer_fd);
    }
    s->listen_fd = s->timer_fd = -1;
    s->listening = false;
}
