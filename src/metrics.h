/* metrics.h - the opt-in metrics endpoint (--metrics ADDR:PORT): GET
 * /metrics answered from PID 1's event loop with the last sample's figures
 * (metrics_text.c renders them; nothing is sampled for a scrape).
 *
 * A minimal HTTP/1.1 responder, not a library. Debian's libmicrohttpd
 * could be driven from this loop (MHD_USE_EPOLL, MHD_run), but its
 * libmicrohttpd.a is built with HTTPS and needs GnuTLS; a static GnuTLS
 * needs a static p11-kit, which Debian does not ship, so `make static`
 * could not link it (and the library is 137 KB of code, allocates a pool
 * per connection, for one GET). What one GET needs is here: a non-blocking
 * listening socket (SOCK_CLOEXEC: never in the program), at most
 * METRICS_CONNS connections (a newer one evicts the oldest that has not
 * finished its request, so idle connections cannot lock scrapes out), at
 * most METRICS_REQUEST_MAX bytes of request, METRICS_DEADLINE_MS for each
 * connection from accept to close, partial writes resumed on EPOLLOUT, and
 * fixed buffers: nothing is allocated after metrics_open. Each answer
 * closes its connection (Connection: close). */
#ifndef JEINIT_METRICS_H
#define JEINIT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "metrics_parse.h"
#include "metrics_text.h"

#define METRICS_CONNS       4
#define METRICS_REQUEST_MAX 4096
#define METRICS_PAGE_MAX    ((size_t)32 * 1024)
#define METRICS_DEADLINE_MS 5000
#define METRICS_LINGER_MS   1000 /* after the answer, to read what the client still sends */

struct monitor;
struct agent_hub;
struct metrics_server;

enum metrics_conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_LINGER };

struct metrics_conn {
    struct loop_source src; /* src.fd: -1 when free */
    struct metrics_server *srv;
    enum metrics_conn_state state;
    int64_t opened_ms, deadline_ms;
    size_t inlen, drained;
    size_t off, len; /* what is left to write: out[off, len) */
    char in[METRICS_REQUEST_MAX];
    char out[METRICS_PAGE_MAX];
};

struct metrics_server {
    struct loop *loop;
    int listen_fd, timer_fd;
    struct loop_source listen_src, timer_src;
    bool listening;          /* listen_fd is watched (off while descriptors run out) */
    int64_t paused_until_ms; /* 0, or when to watch listen_fd again */
    const struct monitor *mon;
    const struct agent_hub *hub;
    const char *version; /* for jeinit_build_info: jeinit.c's (make sets it) */
    struct metrics_health health;
    char shown[80]; /* the address, for the log */
    struct metrics_groups groups;
    struct metrics_conn conns[METRICS_CONNS];
};

/* Listens on addr and watches the socket on loop. Returns 0, or a negative
 * errno with *what naming the call that failed (the server is then off, and
 * metrics_close is still safe). */
int metrics_open(struct metrics_server *s, const struct metrics_addr *addr, struct loop *loop,
                 const char **what);
/* Where the figures come from, once there (m and h may be NULL). */
void metrics_attach(struct metrics_server *s, const struct monitor *m, const struct agent_hub *h,
                    const char *version);
void metrics_close(struct metrics_server *s);

#endif
