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

#define CG_CPU_LIMIT       4096
#define CG_DEFAULT_PERIOD  100000
#define CG_PSI_FRAC_DIGITS 9
#define CG_PSI_INT_DIGITS  3

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && scan_is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && scan_is_space((*p)[*len - 1]))
        (*len)--;
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
    struct scan_fields it;
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

    it = scan_fields_of(buf, len, ',');
    while (scan_field_next(&it, &f, &n)) {
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

int cg_keyed_find(const char *buf, size_t len, const char *key, uint64_t *value)
{
    struct scan_lines it;
    const char *line;
    size_t llen;

    if (!key || !scan_nonnull(&buf, len))
        return -EINVAL;
    it = (struct scan_lines){.p = buf, .left = len};
    while (scan_line(&it, &line, &llen)) {
        struct cg_kv kv;
        if (llen > 0 && keyed_line(line, llen, &kv) && cg_kv_get(&kv, 1, key, value) == 0)
            return 0;
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
