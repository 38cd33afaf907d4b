/* cgroup_paths.c - see cgroup_parse.h: where a process's cgroups are, from
 * /proc/<pid>/cgroup and /proc/<pid>/mountinfo, and the directory that holds
 * a cgroup's files. Pure, as the value parsers in cgroup_parse.c. */
#include "cgroup_parse.h"

#include <errno.h>
#include <string.h>

#include "scan.h"

#define CG_KNOWN_CONTROLLER (CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET)

/* A cgroup path as shown by the kernel: absolute, no NUL. -ENAMETOOLONG when
 * it does not fit. */
static int copy_path(const char *p, size_t n, char *dst)
{
    if (n == 0 || p[0] != '/' || memchr(p, '\0', n))
        return -EINVAL;
    if (n >= CG_PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

static unsigned controller_bit(const char *p, size_t n)
{
    if (scan_span_eq(p, n, "memory"))
        return CG_MEMORY;
    if (scan_span_eq(p, n, "cpu"))
        return CG_CPU;
    if (scan_span_eq(p, n, "cpuacct"))
        return CG_CPUACCT;
    if (scan_span_eq(p, n, "cpuset"))
        return CG_CPUSET;
    return 0;
}

static char *membership_path(struct cg_membership *m, unsigned bit)
{
    switch (bit) {
    case CG_MEMORY:
        return m->memory_path;
    case CG_CPU:
        return m->cpu_path;
    case CG_CPUACCT:
        return m->cpuacct_path;
    default:
        return m->cpuset_path;
    }
}

/* One "ID:CONTROLLERS:PATH" line. PATH is the rest of the line: cgroup names
 * may contain ':'. Returns false for a malformed line. */
static bool proc_cgroup_line(const char *line, size_t n, struct cg_membership *out)
{
    const char *c1, *c2, *ctrl, *path;
    size_t clen, plen;
    uint64_t id;
    char tmp[CG_PATH_MAX];
    unsigned mask = 0;
    struct scan_fields it;
    const char *f;
    size_t flen;
    int r;

    c1 = memchr(line, ':', n);
    if (!c1 || scan_digits(line, (size_t)(c1 - line), &id) < 0)
        return false;
    ctrl = c1 + 1;
    c2 = memchr(ctrl, ':', n - (size_t)(ctrl - line));
    if (!c2)
        return false;
    clen = (size_t)(c2 - ctrl);
    path = c2 + 1;
    plen = n - (size_t)(path - line);

    r = copy_path(path, plen, tmp);
    if (r == -EINVAL)
        return false;

    if (clen == 0) {
        /* The unified hierarchy is always hierarchy 0. */
        if (id != 0)
            return false;
        if (r == 0 && !out->has_v2) {
            memcpy(out->v2_path, tmp, sizeof(tmp));
            out->has_v2 = true;
        }
        return true;
    }
    if (id == 0)
        return false;

    it = scan_fields_of(ctrl, clen, ',');
    while (scan_field_next(&it, &f, &flen)) {
        if (flen == 0)
            return false;
        mask |= controller_bit(f, flen);
    }
    if (r < 0)
        return true;
    for (unsigned bit = 1; bit & CG_KNOWN_CONTROLLER; bit <<= 1) {
        if (!(mask & bit) || (out->v1_mask & bit))
            continue;
        memcpy(membership_path(out, bit), tmp, sizeof(tmp));
        out->v1_mask |= bit;
    }
    return true;
}

int cg_parse_proc_cgroup(const char *buf, size_t len, struct cg_membership *out)
{
    struct scan_lines it;
    const char *line;
    size_t llen;
    bool any = false;

    if (!out || !scan_nonnull(&buf, len))
        return -EINVAL;
    it = (struct scan_lines){.p = buf, .left = len};
    memset(out, 0, sizeof(*out));
    while (scan_line(&it, &line, &llen)) {
        if (llen > 0 && proc_cgroup_line(line, llen, out))
            any = true;
    }
    return any ? 0 : -EINVAL;
}

static int octal_digit(char c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* Decodes mountinfo's \ooo escapes (the kernel escapes space, tab, newline and
 * backslash). A backslash not starting a valid escape is kept as is. */
static int unescape_path(const char *p, size_t n, char *dst)
{
    size_t o = 0;

    if (n == 0 || p[0] != '/')
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];

        if (c == '\\' && n - i >= 4) {
            int a = octal_digit(p[i + 1]), b = octal_digit(p[i + 2]), d = octal_digit(p[i + 3]);

            if (a >= 0 && b >= 0 && d >= 0 && a <= 3) {
                c = (char)(a * 64 + b * 8 + d);
                i += 3;
            }
        }
        if (c == '\0')
            return -EINVAL;
        if (o + 1 >= CG_PATH_MAX)
            return -ENAMETOOLONG;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return 0;
}

static bool all_digits(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!scan_is_digit(p[i]))
            return false;
    }
    return true;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
 * Fields are split on single spaces, since SOURCE may be empty. Returns true
 * and fills *m for a well-formed cgroup or cgroup2 line. */
static bool mountinfo_line(const char *line, size_t n, struct cg_mount *m)
{
    struct scan_fields it = scan_fields_of(line, n, ' ');
    const char *f[6] = {0}, *fs, *src, *opts, *colon;
    size_t fl[6] = {0}, fsl, srcl, optsl;
    const char *sep;
    size_t sepl;

    for (int i = 0; i < 6; i++) {
        if (!scan_field_next(&it, &f[i], &fl[i]) || fl[i] == 0)
            return false;
    }
    colon = memchr(f[2], ':', fl[2]);
    if (!all_digits(f[0], fl[0]) || !all_digits(f[1], fl[1]) || !colon ||
        !all_digits(f[2], (size_t)(colon - f[2])) ||
        !all_digits(colon + 1, fl[2] - (size_t)(colon - f[2]) - 1))
        return false;
    do {
        if (!scan_field_next(&it, &sep, &sepl))
            return false;
    } while (!scan_span_eq(sep, sepl, "-"));
    if (!scan_field_next(&it, &fs, &fsl) || !scan_field_next(&it, &src, &srcl) ||
        !scan_field_next(&it, &opts, &optsl))
        return false;

    memset(m, 0, sizeof(*m));
    if (scan_span_eq(fs, fsl, "cgroup2")) {
        m->v2 = true;
    } else if (scan_span_eq(fs, fsl, "cgroup")) {
        struct scan_fields o = scan_fields_of(opts, optsl, ',');
        const char *opt;
        size_t ol;

        while (scan_field_next(&o, &opt, &ol))
            m->controllers |= controller_bit(opt, ol);
    } else {
        return false;
    }
    return unescape_path(f[3], fl[3], m->root) == 0 &&
           unescape_path(f[4], fl[4], m->mount_point) == 0;
}

int cg_parse_mountinfo(const char *buf, size_t len, struct cg_mount *out, size_t cap, size_t *n)
{
    struct scan_lines it;
    const char *line;
    size_t llen;

    if (!n || !scan_nonnull(&buf, len) || (!out && cap > 0))
        return -EINVAL;
    it = (struct scan_lines){.p = buf, .left = len};
    *n = 0;
    while (scan_line(&it, &line, &llen)) {
        struct cg_mount m;

        if (!mountinfo_line(line, llen, &m))
            continue;
        if (*n == cap)
            return -ENOSPC;
        out[(*n)++] = m;
    }
    return 0;
}

static int append(char *out, size_t outsz, size_t *pos, const char *s, size_t n)
{
    if (n >= outsz - *pos)
        return -ENAMETOOLONG;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return 0;
}

/* Appends each component of [p, p + n) as "/name": runs of slashes collapse
 * and trailing ones vanish. */
static int append_components(char *out, size_t outsz, size_t *pos, const char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t start;
        int r;

        while (i < n && p[i] == '/')
            i++;
        start = i;
        while (i < n && p[i] != '/')
            i++;
        if (i == start)
            continue;
        r = append(out, outsz, pos, "/", 1);
        if (r == 0)
            r = append(out, outsz, pos, p + start, i - start);
        if (r < 0)
            return r;
    }
    return 0;
}

/* True when the path has a "." or ".." component: a cgroup outside the
 * namespace root ("/../x") must never resolve above the mount point. */
static bool has_dot_component(const char *p)
{
    while (*p) {
        size_t n;

        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return true;
        p += n;
    }
    return false;
}

int cg_resolve_dir(const struct cg_mount *m, const char *cg_path, char *out, size_t outsz,
                   bool *outside)
{
    size_t rlen, mlen, pos = 0;
    const char *rest;
    bool under;
    int r;

    if (!m || !cg_path || !out || outsz == 0)
        return -EINVAL;
    out[0] = '\0';
    rlen = strnlen(m->root, CG_PATH_MAX);
    mlen = strnlen(m->mount_point, CG_PATH_MAX);
    if (rlen == CG_PATH_MAX || mlen == CG_PATH_MAX || m->root[0] != '/' ||
        m->mount_point[0] != '/' || cg_path[0] != '/')
        return -EINVAL;

    /* A trailing slash carries no meaning; root "/" becomes the empty prefix. */
    while (rlen > 0 && m->root[rlen - 1] == '/')
        rlen--;

    /* A prefix match must end on a component boundary: "/ab" is not under
     * root "/a". strncmp stops at cg_path's NUL, so cg_path[rlen] is only
     * read when cg_path is at least rlen long. Dot components in the matched
     * prefix are the root's own ("/.." for a mount made outside the reader's
     * cgroup namespace); one in the rest would climb, so it counts as
     * outside. */
    under = strncmp(cg_path, m->root, rlen) == 0 &&
            (cg_path[rlen] == '\0' || cg_path[rlen] == '/') && !has_dot_component(cg_path + rlen);
    rest = under ? cg_path + rlen : "";

    r = append_components(out, outsz, &pos, m->mount_point, mlen);
    if (r == 0)
        r = append_components(out, outsz, &pos, rest, strlen(rest));
    if (r == 0 && pos == 0)
        r = append(out, outsz, &pos, "/", 1);
    if (r < 0) {
        out[0] = '\0';
        return r;
    }
    if (outside)
        *outside = !under;
    return 0;
}
