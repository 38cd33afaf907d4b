/* heapdump.c - see heapdump.h. */
#include "heapdump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

/* exp(-x) for x >= 0 without libm (the pure modules link no -lm): halve x
 * until small, a Taylor series, then square back. Relative error ~1e-12,
 * far below the sampling's own noise. */
static double exp_neg(double x)
{
    double term = 1.0, sum = 1.0, y;
    int halvings = 0;

    if (!(x > 0.0))
        return 1.0;
    if (x > 700.0)
        return 0.0;
    while (x > 0.03125 && halvings < 40) {
        x /= 2.0;
        halvings++;
    }
    y = -x;
    for (int k = 1; k < 12; k++) {
        term *= y / k;
        sum += term;
    }
    while (halvings-- > 0)
        sum *= sum;
    return sum;
}

double heapdump_unbias_factor(double objs, double bytes, uint64_t period)
{
    double ratio, q;

    if (!(objs > 0.0) || !(bytes > 0.0) || period == 0)
        return 1.0;
    ratio = (bytes / objs) / (double)period;
    q = 1.0 - exp_neg(ratio);
    return q > 1e-12 ? 1.0 / q : 1e12;
}

static bool hex_word(const char *w, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n < 3 || n > 18 || w[0] != '0' || (w[1] != 'x' && w[1] != 'X'))
        return false;
    for (size_t i = 2; i < n; i++) {
        char c = w[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* A hexadecimal number without 0x (the maps lines). */
static bool hex_plain(const char *w, size_t n, uint64_t *out)
{
    char tmp[20] = "0x";

    if (n == 0 || n > 16)
        return false;
    memcpy(tmp + 2, w, n);
    return hex_word(tmp, n + 2, out);
}

/* "t*: <objs>: <bytes> ..." after blanks: the current counts. */
static bool parse_counts(const char *p, size_t n, uint64_t *objs, uint64_t *bytes)
{
    const char *end = p + n, *w;
    size_t wn;

    scan_word(&p, end, &w, &wn);
    if (!scan_span_eq(w, wn, "t*:"))
        return false;
    scan_word(&p, end, &w, &wn);
    if (wn < 2 || w[wn - 1] != ':' || scan_digits(w, wn - 1, objs) < 0)
        return false;
    scan_word(&p, end, &w, &wn);
    return wn > 0 && scan_digits(w, wn, bytes) == 0;
}

static void parse_stack(const char *line, size_t n, struct hd_stack *s)
{
    const char *p = line + 1, *end = line + n, *w;
    size_t wn;
    uint64_t a;

    s->nframes = 0;
    for (;;) {
        scan_word(&p, end, &w, &wn);
        if (wn == 0 || !hex_word(w, wn, &a))
            break;
        if (s->nframes < HD_FRAMES_MAX)
            s->frames[s->nframes++] = a;
    }
}

/* "start-end perms offset dev inode path": executable mappings with a path. */
static void parse_map(const char *line, size_t n, struct heapdump *d)
{
    const char *p = line, *end = line + n, *w, *dash;
    size_t wn;
    struct hd_map m = {0};

    scan_word(&p, end, &w, &wn);
    dash = wn ? memchr(w, '-', wn) : NULL;
    if (!dash || !hex_plain(w, (size_t)(dash - w), &m.start) ||
        !hex_plain(dash + 1, wn - (size_t)(dash - w) - 1, &m.end) || m.end <= m.start)
        goto bad;
    scan_word(&p, end, &w, &wn); /* perms */
    if (wn < 3 || w[2] != 'x')
        return; /* not code: no frame points there */
    scan_word(&p, end, &w, &wn);
    if (!hex_plain(w, wn, &m.offset))
        goto bad;
    scan_word(&p, end, &w, &wn); /* dev */
    scan_word(&p, end, &w, &wn); /* inode */
    while (p < end && scan_is_blank(*p))
        p++;
    wn = (size_t)(end - p);
    if (wn == 0 || *p != '/')
        return; /* anonymous, [vdso]...: nothing to read symbols from */
    if (wn >= sizeof(m.path) || memchr(p, '\0', wn))
        goto bad;
    memcpy(m.path, p, wn);
    m.path[wn] = '\0';
    if (d->nmaps >= d->cap_maps)
        goto bad;
    d->maps[d->nmaps++] = m;
    return;
bad:
    d->dropped_maps++;
}

int heapdump_parse(const char *buf, size_t len, struct heapdump *d)
{
    struct scan_lines it;
    const char *line;
    size_t n;
    uint64_t objs, bytes;
    bool in_maps = false, header = false;
    struct hd_stack *cur = NULL;

    d->period = 0;
    d->objs = d->bytes = 0;
    d->nstacks = d->nmaps = d->dropped_stacks = d->dropped_maps = 0;
    if (!scan_nonnull(&buf, len))
        return -EINVAL;
    it = (struct scan_lines){buf, len};
    if (!scan_line(&it, &line, &n) || n <= 8 || memcmp(line, "heap_v2/", 8) != 0 ||
        scan_digits(line + 8, n - 8, &d->period) < 0 || d->period == 0)
        return -EINVAL;
    while (scan_line(&it, &line, &n)) {
        if (in_maps) {
            parse_map(line, n, d);
            continue;
        }
        if (scan_span_eq(line, n, "MAPPED_LIBRARIES:")) {
            in_maps = true;
            cur = NULL;
            continue;
        }
        if (n > 0 && line[0] == '@') {
            cur = NULL;
            if (d->nstacks >= d->cap_stacks) {
                d->dropped_stacks++;
                continue;
            }
            cur = &d->stacks[d->nstacks];
            parse_stack(line, n, cur);
            cur->objs = cur->bytes = -1; /* until its t*: line */
            continue;
        }
        if (!parse_counts(line, n, &objs, &bytes))
            continue; /* per-thread lines, blank lines */
        if (cur) {
            double f = heapdump_unbias_factor((double)objs, (double)bytes, d->period);
            cur->objs = (double)objs * f;
            cur->bytes = (double)bytes * f;
            if (cur->nframes > 0)
                d->nstacks++;
            else
                d->dropped_stacks++;
            cur = NULL;
        } else if (!header && d->nstacks == 0) {
            /* the totals: jeprof scales them as one stack */
            double f = heapdump_unbias_factor((double)objs, (double)bytes, d->period);
            d->objs = (double)objs * f;
            d->bytes = (double)bytes * f;
            header = true;
        }
    }
    return 0;
}

static int stack_cmp(const void *x, const void *y)
{
    const struct hd_stack *a = x, *b = y;
    uint32_t n = a->nframes < b->nframes ? a->nframes : b->nframes;

    for (uint32_t i = 0; i < n; i++)
        if (a->frames[i] != b->frames[i])
            return a->frames[i] < b->frames[i] ? -1 : 1;
    return (a->nframes > b->nframes) - (a->nframes < b->nframes);
}

void heapdump_sort(struct heapdump *d)
{
    if (d->nstacks > 1)
        qsort(d->stacks, d->nstacks, sizeof(d->stacks[0]), stack_cmp);
}

static int by_bytes_desc(const void *x, const void *y)
{
    const struct hd_stack *a = x, *b = y;

    return (a->bytes < b->bytes) - (a->bytes > b->bytes);
}

size_t heapdump_growth(const struct heapdump *a, const struct heapdump *b, struct hd_stack *out,
                       size_t cap)
{
    size_t n = 0, i = 0;

    for (size_t j = 0; j < b->nstacks && n < cap; j++) {
        const struct hd_stack *s = &b->stacks[j];
        double objs = s->objs, bytes = s->bytes;
        int c = 1;
        while (i < a->nstacks && (c = stack_cmp(&a->stacks[i], s)) < 0)
            i++;
        if (i < a->nstacks && c == 0) {
            objs -= a->stacks[i].objs;
            bytes -= a->stacks[i].bytes;
        }
        if (!(bytes > 0.0))
            continue;
        out[n] = *s;
        out[n].objs = objs > 0.0 ? objs : 0.0;
        out[n].bytes = bytes;
        n++;
    }
    if (n > 1)
        qsort(out, n, sizeof(out[0]), by_bytes_desc);
    return n;
}

const struct hd_map *heapdump_map_of(const struct heapdump *d, uint64_t addr)
{
    for (size_t i = 0; i < d->nmaps; i++)
        if (addr >= d->maps[i].start && addr < d->maps[i].end)
            return &d->maps[i];
    return NULL;
}

bool heapdump_allocator_frame(const char *module, const char *symbol)
{
    static const char *const entries[] = {
        "malloc",        "calloc",   "realloc",       "reallocarray",  "posix_memalign",
        "aligned_alloc", "memalign", "valloc",        "pvalloc",       "mallocx",
        "rallocx",       "xallocx",  "__libc_malloc", "__libc_calloc", "__libc_realloc"};
    static const char *const python[] = {"PyMem_",           "_PyMem_",          "PyObject_Malloc",
                                         "PyObject_Calloc",  "PyObject_Realloc", "_PyObject_Malloc",
                                         "_PyObject_Calloc", "_PyObject_Realloc"};
    const char *base = module ? strrchr(module, '/') : NULL;

    base = base ? base + 1 : module;
    if (base && strncmp(base, "libjemalloc", 11) == 0)
        return true;
    if (!symbol)
        return false;
    /* operator new and new[], every overload (Itanium mangling) */
    if (strncmp(symbol, "_Znw", 4) == 0 || strncmp(symbol, "_Zna", 4) == 0)
        return true;
    /* CPython's allocation entry points, whose callers are the sites */
    for (size_t i = 0; i < sizeof(python) / sizeof(python[0]); i++)
        if (strncmp(symbol, python[i], strlen(python[i])) == 0)
            return true;
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
        if (strcmp(symbol, entries[i]) == 0)
            return true;
    return false;
}
