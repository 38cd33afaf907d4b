/* util.h - small helpers shared by every module: cleanup attributes, bounded
 * string building and whole-file reads into caller-owned buffers. */
#ifndef JEINIT_UTIL_H
#define JEINIT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void cleanup_freep(void *p)
{
    free(*(void **)p);
}

static inline void cleanup_closep(const int *fd)
{
    if (*fd >= 0)
        (void)close(*fd);
}

static inline void cleanup_close_pairp(int (*fds)[2])
{
    cleanup_closep(&(*fds)[0]);
    cleanup_closep(&(*fds)[1]);
}

#define cleanup_free       __attribute__((cleanup(cleanup_freep)))
#define cleanup_close      __attribute__((cleanup(cleanup_closep)))
#define cleanup_close_pair __attribute__((cleanup(cleanup_close_pairp))) /* int fds[2] */

/* Hands a descriptor guarded by cleanup_close over to its new owner. */
static inline int take_fd(int *fd)
{
    int r = *fd;

    *fd = -1;
    return r;
}

/* Copies src into dst (size dstsz, always NUL-terminated when dstsz > 0).
 * Returns 0, or -ENAMETOOLONG when src did not fit (dst then holds a prefix). */
int str_copy(char *dst, size_t dstsz, const char *src);

/* snprintf that reports truncation: 0 or -ENAMETOOLONG. */
int str_printf(char *dst, size_t dstsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True when s starts with prefix. */
bool str_has_prefix(const char *s, const char *prefix);

/* Reads at most bufsz - 1 bytes of the file at path into buf and NUL-terminates
 * it. Returns the byte count, or a negative errno. A file longer than the buffer
 * is truncated, never an error: every parser is total on truncated input.
 * Never blocks on what is not a regular file: a FIFO, socket or device is
 * -EINVAL (opened O_NONBLOCK, checked with fstat before any read). */
ssize_t read_file(const char *path, char *buf, size_t bufsz);

/* Same, relative to an open directory descriptor. */
ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t bufsz);

/* The same read of an open descriptor (a regular file only); from_start:
 * with pread from offset 0, for files kept open and read again. */
ssize_t read_regular(int fd, char *buf, size_t bufsz, bool from_start);

/* Holds one descriptor back (an eventfd) that read_file_at lends itself when
 * every other one is taken (EMFILE), and takes back after. Call once at
 * start; again after a read is harmless. */
void fd_reserve_take(void);

/* write(2) until done, retrying EINTR. For blocking descriptors only (stdout of
 * --inspect, pipes owned by jeinit). Returns 0 or a negative errno. */
int write_all(int fd, const void *buf, size_t len);

/* RFC 3339 UTC with milliseconds ("2026-11-26T17:00:00.123Z") for a wall
 * clock in ms. Pure arithmetic: gmtime_r would read /etc/localtime first. */
void utc_format(int64_t wall_ms, char *buf, size_t bufsz);

/* Monotonic and wall clocks in milliseconds. */
int64_t now_mono_ms(void);
int64_t now_wall_ms(void);

#endif
