/* cgroup_parse.c - see cgroup_parse.h.
 *
 * Buffers are never assumed to be NUL-terminated: every scan is bounded by the
 * length the caller passed, numbers are read by hand with overflow checks
 * (strtoull would run past the end), and scalar outputs are written only on
 * success so a caller's default survives a failed parse. */
#include "cgroup_parse.h"

#include <errno.h>
#include <string.h>

#include "scan.h"

#define CG_CPU_LIMIT        4096
#define CG_DEFAULT_PERIOD   100000
#define CG_PSI_FRAC_DIGITS  9
#define CG_PSI_INT_DIGITS   3
#define CG_KNOWN_CONTROLLER (CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET)

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && scan_is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && scan_is_space((*p)[*len - 1]))
        (*len)--;
}

/* Yields the fields of [p, end) split on one separator character; two
 * separators in a row yield an empty field. */
struct field_iter {
    const char *p, *end;
    char sep;
    bool done;
};

static bool field_next(struct field_iter *it, const char **f, size_t *n)
{
    const char *s;

    if (it->done)
        return false;
    s = memchr(it->p, it->sep, (size_t)(it->end - it->p));
    *f = it->p;
    if (!s) {
        *n = (size_t)(it->end - it->p);
        it->p = it->end;
        it->done = true;
    } else {
        *n = (size_t)(s - it->p);
        it->p = s + 1;
    }
    return true;
}

static struct field_iter fields(const char *p, size_t n, char sep)
{
    return (struct field_iter){.p = p, .end = p + n, .sep = sep, .done = false};
}

int cg_parse_u64(const char *buf, size_t len, uint64_t *out)
{
    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    trim(&buf, &len);
    return scan_digits(buf, len, out);
}

int cg_parse_limit(const char *buf, size_t len, uint64_t *out)
{
    uint64_t v;
    int r;

    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    trim(&buf, &len);
    if (scan_span_eq(buf, len, "max")) {
        *out = CG_UNLIMITED;
        return 0;
    }
    if (len > 0 && buf[0] == '-') {
        /* -1 is v1's "no limit"; any other negative is out of range. */
        r = scan_digits(buf + 1, len - 1, &v);
        if (r == -EINVAL)
            return r;
        if (r < 0 || v > 1)
            return -ERANGE;
        *out = v == 1 ? CG_UNLIMITED : 0;
        return 0;
    }
    r = scan_digits(buf, len, &v);
    if (r < 0)
        return r;
    *out = v >= CG_V1_UNLIMITED_FLOOR ? CG_UNLIMITED : v;
    return 0;
}

int cg_parse_i64(const char *buf, size_t len, int64_t *out)
{
    bool neg = false;
    uint64_t mag;
    int r;

    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    trim(&buf, &len);
    if (len > 0 && buf[0] == '-') {
        neg = true;
        buf++;
        len--;
    }
    r = scan_digits(buf, len, &mag);
    if (r < 0)
        return r;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        *out = (int64_t)mag;
    }
    return 0;
}

int cg_parse_cpu_max(const char *buf, size_t len, int64_t *quota_us, uint64_t *period_us)
{
    const char *p, *end, *w;
    size_t n;
    int64_t quota;
    uint64_t v, period = CG_DEFAULT_PERIOD;
    int r;

    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    trim(&buf, &len);
    p = buf;
    end = buf + len;

    scan_word(&p, end, &w, &n);
    if (scan_span_eq(w, n, "max")) {
        quota = -1;
    } else {
        r = scan_digits(w, n, &v);
        if (r < 0)
            return r;
        if (v > (uint64_t)INT64_MAX)
            return -ERANGE;
        quota = (int64_t)v;
    }

    scan_word(&p, end, &w, &n);
    if (n > 0) {
        r = scan_digits(w, n, &period);
        if (r < 0)
            return r;
        /* The kernel never reports a zero period, and callers divide by it. */
        if (period == 0)
            return -ERANGE;
        scan_word(&p, end, &w, &n);
        if (n > 0)
            return -EINVAL;
    }

    *quota_us = quota;
    *period_us = period;
    return 0;
}

/* One CPU number of a list, starting at *i. Values past CG_CPU_LIMIT stop
 * accumulating, so no length of digits can overflow. */
static int cpu_number(const char *p, size_t n, size_t *i, unsigned *cpu)
{
    unsigned v = 0;
    size_t start = *i;

    while (*i < n && scan_is_digit(p[*i])) {
        if (v < CG_CPU_LIMIT)
            v = v * 10 + (unsigned)(p[*i] - '0');
        (*i)++;
    }
    if (*i == start)
        return -EINVAL;
    if (v >= CG_CPU_LIMIT)
        return -ERANGE;
    *cpu = v;
    return 0;
}

int cg_parse_cpulist(const char *buf, size_t len, unsigned *count)
{
    /* A bitmap, not a running sum, so overlapping ranges count once. */
    uint64_t set[CG_CPU_LIMIT / 64] = {0};
    struct field_iter it;
    const char *f;
    size_t n;
    unsigned total = 0;

    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    trim(&buf, &len);
    if (len == 0) {
        *count = 0;
        return 0;
    }

    it = fields(buf, len, ',');
    while (field_next(&it, &f, &n)) {
        size_t i = 0;
        unsigned lo, hi;
        int r;

        r = cpu_number(f, n, &i, &lo);
        if (r < 0)
            return r;
        hi = lo;
        if (i < n && f[i] == '-') {
            i++;
            r = cpu_number(f, n, &i, &hi);
            if (r < 0)
                return r;
            if (hi < lo)
                return -EINVAL;
        }
        if (i != n)
            return -EINVAL;
        for (unsigned c = lo; c <= hi; c++)
            set[c / 64] |= UINT64_C(1) << (c % 64);
    }

    for (size_t w = 0; w < sizeof(set) / sizeof(set[0]); w++)
        total += (unsigned)__builtin_popcountll(set[w]);
    *count = total;
    return 0;
}

/* Printable ASCII but blank: no key holds a NUL, a control or a space. */
static bool is_key_char(char c)
{
    return c > ' ' && c < 0x7f;
}

/* "key value": a key of printable non-blank characters that fits, blanks, a
 * decimal, optional trailing blanks. */
static bool keyed_line(const char *line, size_t n, struct cg_kv *kv)
{
    const char *p = line, *end = line + n, *w;
    size_t klen, vlen;

    while (p < end && is_key_char(*p))
        p++;
    klen = (size_t)(p - line);
    if (klen == 0 || klen >= CG_KEY_MAX || p == end || !scan_is_blank(*p))
        return false;
    scan_word(&p, end, &w, &vlen);
    if (scan_digits(w, vlen, &kv->value) < 0)
        return false;
    while (p < end && scan_is_blank(*p))
        p++;
    if (p != end)
        return false;
    memcpy(kv->key, line, klen);
    kv->key[klen] = '\0';
    return true;
}

int cg_parse_keyed(const char *buf, size_t len, struct cg_kv *out, size_t cap, size_t *n,
                   size_t *skipped)
{
    struct scan_lines it;
    const char *line;
    size_t llen, bad = 0;
    int r = 0;

    if (!n || !scan_nonnull(&buf, len) || (!out && cap > 0))
        return -EINVAL;
    it = (struct scan_lines){.p = buf, .left = len};
    *n = 0;
    while (scan_line(&it, &line, &llen)) {
        struct cg_kv kv;

        if (llen == 0)
            continue;
        if (!keyed_line(line, llen, &kv)) {
            bad++;
            continue;
        }
        if (*n == cap) {
            r = -ENOSPC;
            break;
        }
        out[(*n)++] = kv;
    }
    if (skipped)
        *skipped = bad;
    return r;
}

int cg_kv_get(const struct cg_kv *kv, size_t n, const char *key, uint64_t *value)
{
    size_t klen;

    if ((!kv && n > 0) || !key)
        return -EINVAL;
    klen = strnlen(key, CG_KEY_MAX);
    if (klen == CG_KEY_MAX)
        return -ENOENT;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(kv[i].key, key, klen + 1) == 0) {
            *value = kv[i].value;
            return 0;
        }
    }
    return -ENOENT;
}

/* A PSI average: up to three integer digits, an optional fraction, 0..100. */
static bool psi_percent(const char *p, size_t n, double *out)
{
    size_t i = 0, idigits;
    uint64_t ipart = 0, fpart = 0, scale = 1;
    double v;

    while (i < n && scan_is_digit(p[i]) && i <= CG_PSI_INT_DIGITS)
        ipart = ipart * 10 + (uint64_t)(p[i++] - '0');
    idigits = i;
    if (idigits == 0 || idigits > CG_PSI_INT_DIGITS)
        return false;
    if (i < n) {
        if (p[i++] != '.')
            return false;
        size_t fdigits = n - i;

        if (fdigits == 0 || fdigits > CG_PSI_FRAC_DIGITS)
            return false;
        for (; i < n; i++) {
            if (!scan_is_digit(p[i]))
                return false;
            fpart = fpart * 10 + (uint64_t)(p[i] - '0');
            scale *= 10;
        }
    }
    v = (double)ipart + (double)fpart / (double)scale;
    if (v > 100.0)
        return false;
    *out = v;
    return true;
}

/* "avg10=A avg60=B avg300=C total=T" after the "some"/"full" word. Each known
 * field exactly once; unknown key=value fields are tolerated for newer
 * kernels. */
static bool psi_line(const char *p, const char *end, struct cg_psi_line *out)
{
    struct cg_psi_line l = {.present = true};
    unsigned seen = 0;
    const char *w;
    size_t n;

    for (scan_word(&p, end, &w, &n); n > 0; scan_word(&p, end, &w, &n)) {
        const char *eq = memchr(w, '=', n);
        size_t klen, vlen;
        const char *val;
        unsigned bit;
        bool ok;

        if (!eq)
            return false;
        klen = (size_t)(eq - w);
        val = eq + 1;
        vlen = n - klen - 1;
        if (scan_span_eq(w, klen, "avg10")) {
            bit = 1;
            ok = psi_percent(val, vlen, &l.avg10);
        } else if (scan_span_eq(w, klen, "avg60")) {
            bit = 2;
            ok = psi_percent(val, vlen, &l.avg60);
        } else if (scan_span_eq(w, klen, "avg300")) {
            bit = 4;
            ok = psi_percent(val, vlen, &l.avg300);
        } else if (scan_span_eq(w, klen, "total")) {
            bit = 8;
            ok = scan_digits(val, vlen, &l.total_us) == 0;
        } else {
            continue;
        }
        if (!ok || (seen & bit))
            return false;
        seen |= bit;
    }
    if (seen != 15)
        return false;
    *out = l;
    return true;
}

int cg_parse_pressure(const char *buf, size_t len, struct cg_psi *out)
{
    struct scan_lines it;
    const char *line;
    size_t llen;

    if (!out || !scan_nonnull(&buf, len))
        return -EINVAL;
    it = (struct scan_lines){.p = buf, .left = len};
    memset(out, 0, sizeof(*out));
    while (scan_line(&it, &line, &llen)) {
        const char *p = line, *end = line + llen, *w;
        size_t n;
        struct cg_psi_line *dst;

        scan_word(&p, end, &w, &n);
        if (scan_span_eq(w, n, "some"))
            dst = &out->some;
        else if (scan_span_eq(w, n, "full"))
            dst = &out->full;
        else
            continue;
        /* The kernel writes each line once; a repeat cannot override. */
        if (!dst->present)
            (void)psi_line(p, end, dst);
    }
    return out->some.present ? 0 : -EINVAL;
}

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
    struct field_iter it;
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

    it = fields(ctrl, clen, ',');
    while (field_next(&it, &f, &flen)) {
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
    struct field_iter it = fields(line, n, ' ');
    const char *f[6] = {0}, *fs, *src, *opts, *colon;
    size_t fl[6] = {0}, fsl, srcl, optsl;
    const char *sep;
    size_t sepl;

    for (int i = 0; i < 6; i++) {
        if (!field_next(&it, &f[i], &fl[i]) || fl[i] == 0)
            return false;
    }
    colon = memchr(f[2], ':', fl[2]);
    if (!all_digits(f[0], fl[0]) || !all_digits(f[1], fl[1]) || !colon ||
        !all_digits(f[2], (size_t)(colon - f[2])) ||
        !all_digits(colon + 1, fl[2] - (size_t)(colon - f[2]) - 1))
        return false;
    do {
        if (!field_next(&it, &sep, &sepl))
            return false;
    } while (!scan_span_eq(sep, sepl, "-"));
    if (!field_next(&it, &fs, &fsl) || !field_next(&it, &src, &srcl) ||
        !field_next(&it, &opts, &optsl))
        return false;

    memset(m, 0, sizeof(*m));
    if (scan_span_eq(fs, fsl, "cgroup2")) {
        m->v2 = true;
    } else if (scan_span_eq(fs, fsl, "cgroup")) {
        struct field_iter o = fields(opts, optsl, ',');
        const char *opt;
        size_t ol;

        while (field_next(&o, &opt, &ol))
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
