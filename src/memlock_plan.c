/* memlock_plan.c - see memlock.h: the pure part of locking PID 1's pages
 * (the maps and status parsers, the decision against RLIMIT_MEMLOCK). */
#include <errno.h>
#include <string.h>

#include "memlock.h"
#include "scan.h"

static int memlock_hex(const char *p, size_t n, uintptr_t *out)
{
    uintptr_t v = 0;

    if (n == 0 || n > 2 * sizeof(uintptr_t))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        unsigned d;

        if (scan_is_digit(c))
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -EINVAL;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* One line of /proc/self/maps, "start-end perms offset dev inode [path]"
 * (the path may be empty or hold spaces). 0, or -EINVAL when malformed. */
int memlock_parse_maps_line(const char *line, size_t n, struct memlock_map *out)
{
    const char *p = line, *end = line + n, *w, *dash;
    size_t wn;

    scan_word(&p, end, &w, &wn);
    dash = wn ? memchr(w, '-', wn) : NULL;
    if (!dash || memlock_hex(w, (size_t)(dash - w), &out->start) < 0 ||
        memlock_hex(dash + 1, wn - (size_t)(dash - w) - 1, &out->end) < 0 || out->end <= out->start)
        return -EINVAL;
    scan_word(&p, end, &w, &wn); /* perms: rwxp */
    if (wn != 4)
        return -EINVAL;
    out->kind = w[0] == '-' && w[1] == '-' && w[2] == '-' ? MEMLOCK_SKIP : MEMLOCK_FILE;
    for (int field = 0; field < 3; field++) { /* offset, dev, inode */
        scan_word(&p, end, &w, &wn);
        if (wn == 0)
            return -EINVAL;
    }
    if (out->kind == MEMLOCK_SKIP)
        return 0;
    while (p < end && scan_is_blank(*p))
        p++;
    wn = (size_t)(end - p);
    if (wn == 0 || scan_span_eq(p, wn, "[heap]") || (wn > 6 && memcmp(p, "[anon:", 6) == 0))
        out->kind = MEMLOCK_ANON;
    else if (scan_span_eq(p, wn, "[stack]"))
        out->kind = MEMLOCK_STACK;
    else if (*p != '/') /* [vdso], [vvar], [vsyscall], anon_inode:... */
        out->kind = MEMLOCK_SKIP;
    return 0;
}

/* VmLck of /proc/self/status ("VmLck:     1452 kB") in bytes: 0, -ENOENT
 * without the line, -EINVAL when it is malformed. */
int memlock_parse_vmlck(const char *buf, size_t len, uint64_t *bytes)
{
    struct scan_lines it = {buf, len};
    const char *line, *p, *w;
    size_t n, wn;
    uint64_t kib;

    while (scan_line(&it, &line, &n)) {
        if (n < 6 || memcmp(line, "VmLck:", 6) != 0)
            continue;
        p = line + 6;
        scan_word(&p, line + n, &w, &wn);
        if (scan_digits(w, wn, &kib) < 0 || kib > UINT64_MAX / 1024)
            return -EINVAL;
        *bytes = kib * 1024;
        return 0;
    }
    return -ENOENT;
}

/* What to lock, given what the file-backed and the anonymous pages need
 * against RLIMIT_MEMLOCK (soft, hard; UINT64_MAX: unlimited). The file
 * pages come first: they are what reclaim takes from an init (anonymous
 * ones go to swap, if any). A soft limit too low is raised to the hard one.
 * Above the hard limit only CAP_IPC_LOCK lets mlock through: all is tried,
 * and the kernel says. */
struct memlock_plan memlock_decide(uint64_t files, uint64_t anon, uint64_t soft, uint64_t hard)
{
    uint64_t all = files > UINT64_MAX - anon ? UINT64_MAX : files + anon;

    if (all <= soft)
        return (struct memlock_plan){.anon = true};
    if (all <= hard)
        return (struct memlock_plan){.raise = true, .anon = true};
    if (files <= soft)
        return (struct memlock_plan){.anon = false};
    if (files <= hard)
        return (struct memlock_plan){.raise = true, .anon = false};
    return (struct memlock_plan){.anon = true, .over = true};
}

/* What memlock_self did, for the start line. */
