/* loop.h - the one event loop of PID 1: an epoll set whose entries carry a
 * callback. Signals (signalfd), timers (timerfd), the agent channel and the
 * log's writability all come through here; nothing else waits. */
#ifndef JEINIT_LOOP_H
#define JEINIT_LOOP_H

#include <stdint.h>

struct loop_source;
typedef void (*loop_cb)(struct loop_source *src, uint32_t events);

struct loop_source {
    int fd;
    loop_cb cb;
    void *ctx;
};

struct loop {
    int epfd;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Returns 0 or a negative errno. */
int loop_add(struct loop *l, struct loop_source *src, uint32_t events);
int loop_mod(struct loop *l, struct loop_source *src, uint32_t events);
void loop_del(struct loop *l, struct loop_source *src);
/* Waits at most timeout_ms (-1: no limit) and dispatches what is ready.
 * Returns the number of events, 0 on timeout or EINTR, or a negative errno. */
int loop_run_once(struct loop *l, int timeout_ms);

/* A timerfd: first expiry after first_ms, then every period_ms (0: once).
 * first_ms 0 disarms. */
int timer_new(void);
int timer_arm(int tfd, int64_t first_ms, int64_t period_ms);
/* Reads and discards the expiry count. */
void timer_ack(int tfd);

#endif
