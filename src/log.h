/* log.h - jeinit's log: one line per event on stderr, JSON or text.
 *
 * Every line is at most 4,096 bytes (PIPE_BUF) with its newline and goes out
 * in one write(): a string is cut at 1 KiB (whole UTF-8 sequences, ending in
 * "..."), and a line that was cut says "truncated": true. Every line has a
 * "msg": its writer's, or a plain sentence for its event.
 *
 * PID 1 must never block or die on its own log: lines are built in a bounded
 * buffer and queued; the queue is written without blocking (a private
 * non-blocking open of the same pipe or tty, MSG_DONTWAIT on sockets) and
 * flushed from the event loop when the descriptor is writable. When the queue
 * is full, whole lines are dropped and counted, and a "log_dropped" line says
 * how many once there is room. A closed stderr silences the log. */
#ifndef JEINIT_LOG_H
#define JEINIT_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "json.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

/* Sets up the output on fd (normally 2). Safe to call again to change the
 * format and verbosity. Returns 0 or a negative errno (out of memory); the
 * log then stays silent. */
int log_setup(int fd, enum log_format format, int verbosity);

bool log_enabled(enum log_level level);

/* Starts a line: ts, level, event are written. Returns NULL when the level
 * is filtered out by the verbosity (tini's: 0 errors, 1 warnings, 2 info,
 * 3 debug, 4 trace); every jw_* call and log_end accept NULL. Only one line
 * is built at a time. */
struct jw *log_begin(enum log_level level, const char *event);

/* Starts a line of jeinit's report (start, memory, memory events, purge,
 * OOM post-mortem, exit): written at every verbosity, since it is what
 * jeinit is run for; --interval and the report settings govern it. */
struct jw *log_report(enum log_level level, const char *event);
void log_end(struct jw *w);

/* A line with a "msg" field. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The descriptor to poll for writability while log_pending(), or -1. */
int log_poll_fd(void);
bool log_pending(void);
/* on: lines wait in the queue, up to 8 of 4 KiB, in memory touched at
 * setup; off: they are written. Writing a line charges the cgroup (page
 * cache, pipe buffers); at the limit, while the kernel tears an OOM kill's
 * victim down, that charge kills another process (memevents.c). More lines
 * than that room, or log_drain, end the hold. */
void log_hold(bool on);
/* Writes what it can without blocking (nothing while held). */
void log_flush(void);
/* At exit: keeps writing for at most timeout_ms. */
void log_drain(int timeout_ms);

/* Lines dropped since start (queue full or output gone). */
uint64_t log_dropped(void);
/* Lines cut to fit LOG_LINE_MAX since start, and the longest line written
 * (its newline included). */
uint64_t log_truncated(void);
size_t log_longest(void);
/* Bytes still free in the line being built before it reaches the limit
 * (4,096 bytes with its newline); 0 for NULL. Writers of lists stop when a
 * next entry would not fit, and say how many they left out. */
size_t log_room(const struct jw *w);

#endif
