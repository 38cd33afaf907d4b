/* util.c - see util.h. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>

int str_copy(char *dst, size_t dstsz, const char *src)
{
    size_t n = strlen(src);

    if (dstsz == 0)
        return -ENAMETOOLONG;
    if (n >= dstsz) {
        memcpy(dst, src, dstsz - 1);
        dst[dstsz - 1] = '\0';
        return -ENAMETOOLONG;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int str_printf(char *dst, size_t dstsz, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(dst, dstsz, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    return (size_t)n >= dstsz ? -ENAMETOOLONG : 0;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One descriptor held back for when every other is taken (EMFILE): a read
 * that matters (a cgroup or /proc file) gets it, and it is taken back. */
static int reserve_fd = -1;

void fd_reserve_take(void)
{
    if (reserve_fd < 0)
        reserve_fd = eventfd(0, EFD_CLOEXEC);
}

static int openat_reserved(int dirfd, const char *name, int flags)
{
    int fd = openat(dirfd, name, flags);

    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {
        (void)close(reserve_fd);
        reserve_fd = -1;
        fd = openat(dirfd, name, flags);
    }
    return fd;
}

ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t bufsz)
{
    /* O_NONBLOCK: a FIFO where a cgroup file was expected must not stop PID
     * 1 in open() or read(); only regular files (procfs, sysfs and cgroupfs
     * files are) are read. */
    int fd = openat_reserved(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    ssize_t r;

    if (fd < 0)
        return -errno;
    r = read_regular(fd, buf, bufsz, false);
    (void)close(fd);
    fd_reserve_take(); /* back, if it was lent */
    return r;
}

ssize_t read_regular(int fd, char *buf, size_t bufsz, bool from_start)
{
    struct stat st;
    size_t used = 0;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    if (bufsz == 0)
        return -EINVAL;
    while (used < bufsz - 1) {
        /* from_start: pread from 0, so a kept-open cgroup or proc file is
         * generated anew */
        ssize_t n = from_start ? pread(fd, buf + used, bufsz - 1 - used, (off_t)used)
                               : read(fd, buf + used, bufsz - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    return (ssize_t)used;
}

ssize_t read_file(const char *path, char *buf, size_t bufsz)
{
    return read_file_at(AT_FDCWD, path, buf, bufsz);
}

int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, yy;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

void utc_format(int64_t wall_ms, char *buf, size_t bufsz)
{
    int64_t s = wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000;
    int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400, y;
    int64_t secs = s - days * 86400;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    (void)snprintf(buf, bufsz, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
                   (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60),
                   (unsigned)(wall_ms - s * 1000));
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t now_wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}
