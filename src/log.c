/* log.c - see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

#define LOG_QUEUE_SIZE ((size_t)256 * 1024)
#define LOG_LINE_MAX   ((size_t)64 * 1024)

enum out_kind {
    OUT_NONE,     /* closed or unusable: silent */
    OUT_NONBLOCK, /* our own O_NONBLOCK open of the pipe/tty/fifo */
    OUT_SOCKET,   /* send(MSG_DONTWAIT) */
    OUT_POLLED,   /* a pipe or tty that could not be reopened (no /proc): written
                   * only when poll says so, at most PIPE_BUF bytes at a time */
    OUT_FILE,     /* regular file or similar: writes do not wait on a reader */
};

static struct {
    bool ready;
    enum out_kind kind;
    int fd;
    enum log_format format;
    int verbosity;
    yajl_gen gen;
    struct jw w;
    bool building;
    uint64_t dropped, dropped_reported;
    size_t qlen;
    char text[LOG_LINE_MAX];
    char queue[LOG_QUEUE_SIZE];
} L; /* zero-initialised: the buffers stay out of the binary's data */

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

/* Opens a second, private file description for the pipe or tty behind fd so
 * that O_NONBLOCK does not leak into the application's stderr, which shares
 * the original description. */
static int open_output(int fd, enum out_kind *kind)
{
    struct stat st;
    char path[64];
    int nfd;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISSOCK(st.st_mode)) {
        *kind = OUT_SOCKET;
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return nfd < 0 ? -errno : nfd;
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        (void)str_printf(path, sizeof(path), "/proc/self/fd/%d", fd);
        nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_APPEND);
        if (nfd >= 0 && nfd < 3) {
            /* never take over 0-2: the child must get them as they are */
            int high = fcntl(nfd, F_DUPFD_CLOEXEC, 3);
            (void)close(nfd);
            nfd = high;
        }
        if (nfd >= 0) {
            *kind = OUT_NONBLOCK;
            return nfd;
        }
        /* No /proc: O_NONBLOCK on the shared description would reach the
         * program's stderr too. A pipe write of at most PIPE_BUF bytes into
         * a pipe that poll calls writable does not block (unless the program
         * fills the pipe in between: a full pipe nobody reads, at that). */
        *kind = OUT_POLLED;
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return nfd < 0 ? -errno : nfd;
    }
    /* regular files, or no /proc: plain writes */
    *kind = OUT_FILE;
    nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return nfd < 0 ? -errno : nfd;
}

int log_setup(int fd, enum log_format format, int verbosity)
{
    if (!L.ready) {
        int nfd = open_output(fd, &L.kind);
        L.fd = nfd;
        if (nfd < 0)
            L.kind = OUT_NONE;
        L.gen = jw_gen_new(false);
        if (!L.gen) {
            L.kind = OUT_NONE;
            return -ENOMEM;
        }
        L.ready = true;
    }
    if (format == LOG_FORMAT_AUTO)
        format = isatty(fd) ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
    L.format = format;
    L.verbosity = verbosity;
    return 0;
}

/* tini's scale: 0 fatal errors only, 1 (default) warnings, 2 (-v) info,
 * 3 (-vv) debug, 4 (-vvv) trace. */
bool log_enabled(enum log_level level)
{
    return L.ready && L.kind != OUT_NONE && (int)level <= L.verbosity;
}

static void format_ts(char *buf, size_t sz)
{
    utc_format(now_wall_ms(), buf, sz);
}

static struct jw *begin(enum log_level level, const char *event)
{
    char ts[96];
    struct jw *w = &L.w;

    if (!L.ready || L.kind == OUT_NONE || L.building)
        return NULL;
    L.building = true;
    format_ts(ts, sizeof(ts));
    yajl_gen_reset(L.gen, NULL);
    yajl_gen_clear(L.gen);
    memset(w, 0, sizeof(*w));
    w->g = L.gen;
    if (L.format == LOG_FORMAT_TEXT) {
        w->text = true;
        w->text_buf = L.text;
        w->text_cap = sizeof(L.text);
        jw_text_append(w, ts, strlen(ts));
        jw_text_append(w, " ", 1);
        jw_text_append(w, level_names[level], strlen(level_names[level]));
        jw_text_append(w, " ", 1);
        jw_text_append(w, event, strlen(event));
        return w;
    }
    (void)yajl_gen_map_open(L.gen);
    jw_str(w, "ts", ts);
    jw_str(w, "level", level_names[level]);
    jw_str(w, "event", event);
    return w;
}

struct jw *log_begin(enum log_level level, const char *event)
{
    return log_enabled(level) ? begin(level, event) : NULL;
}

struct jw *log_report(enum log_level level, const char *event)
{
    return begin(level, event);
}

/* Queues one whole line or drops it. */
static void enqueue(const char *line, size_t len)
{
    if (len + 1 > sizeof(L.queue) - L.qlen) {
        L.dropped++;
        return;
    }
    memcpy(L.queue + L.qlen, line, len);
    L.queue[L.qlen + len] = '\n';
    L.qlen += len + 1;
}

void log_end(struct jw *w)
{
    const unsigned char *buf;
    size_t len;

    if (!w)
        return;
    while (w->depth > 0)
        jw_map_close(w);
    if (w->text) {
        enqueue(L.text, w->text_len);
    } else {
        (void)yajl_gen_map_close(L.gen);
        if (yajl_gen_get_buf(L.gen, &buf, &len) == yajl_gen_status_ok && len <= LOG_LINE_MAX)
            enqueue((const char *)buf, len);
        else
            L.dropped++;
    }
    /* A large line leaves a large buffer behind; yajl keeps it, bounded by
     * LOG_LINE_MAX plus one line's overshoot. */
    yajl_gen_reset(L.gen, NULL);
    yajl_gen_clear(L.gen);
    L.building = false;
    log_flush();
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    struct jw *w = log_begin(level, event);

    if (!w)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jw_str(w, "msg", msg);
    log_end(w);
}

static ssize_t out_write(const char *buf, size_t len)
{
    if (L.kind == OUT_SOCKET)
        return send(L.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (L.kind == OUT_POLLED) {
        struct pollfd p = {.fd = L.fd, .events = POLLOUT};
        const char *nl;

        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            errno = EAGAIN;
            return -1;
        }
        if (len > PIPE_BUF) {
            /* whole lines when they fit */
            nl = memrchr(buf, '\n', PIPE_BUF);
            len = nl ? (size_t)(nl - buf) + 1 : PIPE_BUF;
        }
    }
    return write(L.fd, buf, len);
}

static void report_drops(void)
{
    char line[256];
    char ts[96];
    uint64_t n = L.dropped - L.dropped_reported;
    int len;

    if (n == 0 || L.kind == OUT_NONE)
        return;
    format_ts(ts, sizeof(ts));
    if (L.format == LOG_FORMAT_TEXT)
        len = snprintf(line, sizeof(line), "%s warn log_dropped count=%llu", ts,
                       (unsigned long long)n);
    else
        len =
            snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"warn\",\"event\":\"log_dropped\",\"count\":%llu}",
                     ts, (unsigned long long)n);
    if (len > 0 && (size_t)len + 1 <= sizeof(L.queue) - L.qlen) {
        enqueue(line, (size_t)len);
        L.dropped_reported = L.dropped;
    }
}

void log_flush(void)
{
    size_t done = 0;

    if (L.kind == OUT_NONE) {
        L.dropped += L.qlen ? 1 : 0;
        L.qlen = 0;
        return;
    }
    while (done < L.qlen) {
        ssize_t n = out_write(L.queue + done, L.qlen - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* EPIPE, EBADF, EIO...: nobody is reading; stay silent from now on */
            L.kind = OUT_NONE;
            L.qlen = 0;
            return;
        }
        done += (size_t)n;
    }
    if (done > 0) {
        memmove(L.queue, L.queue + done, L.qlen - done);
        L.qlen -= done;
    }
    if (L.qlen == 0 && L.dropped > L.dropped_reported) {
        report_drops();
        if (L.qlen > 0)
            log_flush();
    }
}

bool log_pending(void)
{
    return L.kind != OUT_NONE && L.qlen > 0;
}

int log_poll_fd(void)
{
    return L.kind == OUT_NONE ? -1 : L.fd;
}

void log_drain(int timeout_ms)
{
    int64_t deadline = now_mono_ms() + timeout_ms;

    log_flush();
    while (log_pending()) {
        struct pollfd p = {.fd = L.fd, .events = POLLOUT};
        int64_t left = deadline - now_mono_ms();
        if (left <= 0)
            break;
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            break;
        log_flush();
    }
}

uint64_t log_dropped(void)
{
    return L.dropped;
}
