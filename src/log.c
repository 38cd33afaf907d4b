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
/* A line and its newline: PIPE_BUF, so that one write() into the pipe that
 * jeinit shares with the program is atomic. */
#define LOG_LINE_MAX ((size_t)4096)
/* Held lines wait in the queue's first bytes, touched by log_setup: holding
 * them charges the cgroup nothing (log_hold). */
#define LOG_HOLD_ROOM (8 * LOG_LINE_MAX)
_Static_assert(4096 <= PIPE_BUF, "a line must fit in one atomic pipe write");
/* Any one string of a line, escapes counted: room for the rest of the line. */
#define LOG_STR_MAX ((size_t)1024)
/* Text mode: what a cut line ends with (" truncated=true"). */
#define LOG_TEXT_TAIL ((size_t)32)

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
    bool held;         /* log_hold: lines wait in the queue */
    const char *event; /* the line being built's */
    char ts[40];
    enum log_level level;
    uint64_t dropped, dropped_reported;
    uint64_t truncated; /* lines cut to fit LOG_LINE_MAX */
    size_t longest;     /* the longest line written, newline included */
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
        /* the memory a line and a held queue use, touched now (log_hold) */
        jw_gen_reserve(L.gen, LOG_LINE_MAX + 1);
        memset(L.queue, 0, LOG_HOLD_ROOM);
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
    L.event = event;
    L.level = level;
    format_ts(ts, sizeof(ts));
    (void)str_copy(L.ts, sizeof(L.ts), ts);
    yajl_gen_reset(L.gen, NULL);
    yajl_gen_clear(L.gen);
    memset(w, 0, sizeof(*w));
    w->g = L.gen;
    w->str_max = LOG_STR_MAX;
    if (L.format == LOG_FORMAT_TEXT) {
        w->text = true;
        w->text_buf = L.text;
        w->text_cap = sizeof(L.text) - LOG_TEXT_TAIL;
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
    /* beyond the touched room, a hold would cost what it saves */
    if (L.held && L.qlen + len + 1 > LOG_HOLD_ROOM)
        L.held = false;
    if (len + 1 > sizeof(L.queue) - L.qlen) {
        L.dropped++;
        return;
    }
    memcpy(L.queue + L.qlen, line, len);
    L.queue[L.qlen + len] = '\n';
    L.qlen += len + 1;
}

/* What a line without a "msg" of its own says: a plain sentence per event,
 * so that a log viewer that shows msg shows something for every line. */
static const char *default_msg(const char *event)
{
    static const struct {
        const char *event, *msg;
    } table[] = {
        {"start", "jeinit started the program"},
        {"exit", "jeinit is exiting"},
        {"signal", "signal forwarded to the program"},
        {"terminate", "SIGTERM sent to the processes left"},
        {"kill", "SIGKILL sent to the processes left"},
        {"child_exit", "the program exited"},
        {"reaped", "reaped a process"},
        {"purge", "the allocators were asked to release free memory"},
        {"pressure", "memory pressure changed"},
        {"exec_failed", "the program could not be started"},
        {"log_dropped", "log lines were dropped"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(table); i++)
        if (strcmp(table[i].event, event) == 0)
            return table[i].msg;
    return event;
}

/* len, less a UTF-8 sequence cut short at the end of s. */
static size_t utf8_whole(const char *s, size_t len)
{
    size_t back = 0;

    while (back < 3 && back < len && ((unsigned char)s[len - 1 - back] & 0xc0) == 0x80)
        back++;
    if (back < len) {
        unsigned char lead = (unsigned char)s[len - 1 - back];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (need > back + 1)
            return len - 1 - back;
    }
    return len;
}

/* A JSON line that came out over LOG_LINE_MAX all the same (many long
 * strings): what it was about, and that its fields were left out. */
static void enqueue_oversized(size_t len)
{
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"%s\",\"msg\":\"%s line of %zu "
                     "bytes cut: its fields are left out\",\"truncated\":true}",
                     L.ts, level_names[L.level], L.event, L.event, len);

    if (n > 0 && (size_t)n < sizeof(line))
        enqueue(line, (size_t)n);
    else
        L.dropped++;
}

static void note_length(size_t len)
{
    if (len + 1 > L.longest)
        L.longest = len + 1;
}

void log_end(struct jw *w)
{
    const unsigned char *buf;
    size_t len;

    if (!w)
        return;
    while (w->depth > 0)
        jw_map_close(w);
    if (!w->has_msg)
        jw_str(w, "msg", default_msg(L.event));
    if (w->text) {
        len = w->text_len;
        if (w->truncated) {
            static const char tail[] = " truncated=true";
            len = utf8_whole(L.text, len);
            memcpy(L.text + len, tail, sizeof(tail) - 1);
            len += sizeof(tail) - 1;
            L.truncated++;
        }
        note_length(len);
        enqueue(L.text, len);
    } else {
        if (w->truncated) {
            jw_bool(w, "truncated", true);
            L.truncated++;
        }
        (void)yajl_gen_map_close(L.gen);
        if (yajl_gen_get_buf(L.gen, &buf, &len) != yajl_gen_status_ok) {
            L.dropped++;
        } else if (len + 1 > LOG_LINE_MAX) {
            L.truncated++;
            enqueue_oversized(len);
        } else {
            note_length(len);
            enqueue((const char *)buf, len);
        }
    }
    /* yajl keeps its buffer: at most one line's worth */
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

/* Whole lines, at most PIPE_BUF bytes: one write() of them into a pipe is
 * atomic (never split by the program's own output), and O_NONBLOCK then
 * writes all of it or nothing. Every line is at most LOG_LINE_MAX ==
 * PIPE_BUF, so there is always at least one. */
static size_t whole_lines(const char *buf, size_t len)
{
    const char *nl;

    if (len <= PIPE_BUF)
        return len;
    nl = memrchr(buf, '\n', PIPE_BUF);
    return nl ? (size_t)(nl - buf) + 1 : PIPE_BUF;
}

static ssize_t out_write(const char *buf, size_t len)
{
    if (L.kind == OUT_FILE)
        return write(L.fd, buf, len);
    len = whole_lines(buf, len);
    if (L.kind == OUT_SOCKET)
        return send(L.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (L.kind == OUT_POLLED) {
        struct pollfd p = {.fd = L.fd, .events = POLLOUT};

        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            errno = EAGAIN;
            return -1;
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
        len = snprintf(line, sizeof(line),
                       "{\"ts\":\"%s\",\"level\":\"warn\",\"event\":\"log_dropped\",\"msg\":\"%llu "
                       "log lines dropped: the output was full or gone\",\"count\":%llu}",
                       ts, (unsigned long long)n, (unsigned long long)n);
    if (len > 0 && (size_t)len + 1 <= sizeof(L.queue) - L.qlen) {
        enqueue(line, (size_t)len);
        L.dropped_reported = L.dropped;
    }
}

void log_flush(void)
{
    size_t done = 0;

    if (L.held)
        return;
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
    return L.kind != OUT_NONE && L.qlen > 0 && !L.held;
}

void log_hold(bool on)
{
    L.held = on;
    if (!on)
        log_flush();
}

int log_poll_fd(void)
{
    return L.kind == OUT_NONE ? -1 : L.fd;
}

void log_drain(int timeout_ms)
{
    int64_t deadline = now_mono_ms() + timeout_ms;

    L.held = false;
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

uint64_t log_truncated(void)
{
    return L.truncated;
}

size_t log_longest(void)
{
    return L.longest;
}

size_t log_room(const struct jw *w)
{
    size_t used = jw_len(w);

    return w && used + 1 < LOG_LINE_MAX ? LOG_LINE_MAX - 1 - used : 0;
}
