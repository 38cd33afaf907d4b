/* plot.c - see plot.h. */
#include "plot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

struct plot *plot_new(void)
{
    struct plot *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->stride = 1;
    p->start_high = PLOT_NONE;
    p->memory_seq = PLOT_NONE;
    p->t_first = INT64_MAX;
    p->t_last = INT64_MIN;
    return p;
}

void plot_free(struct plot *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nproc; i++)
        free(p->proc[i]);
    free(p);
}

const char *plot_event_name(enum plot_event_kind k)
{
    static const char *const names[PEV_KINDS] = {
        "oom_kill",  "oom",          "memory_max", "memory_high", "purge", "pressure",
        "diagnosis", "heap_profile", "child_exit", "exit",        "start",
    };
    return (unsigned)k < PEV_KINDS ? names[k] : "?";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

int plot_parse_ts(const char *s, size_t len, int64_t *ms)
{
    unsigned y, mo, d, h, mi, sec, milli;

    /* 2026-11-30T16:26:53.205Z: exactly what log.c writes */
    if (len != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[23] != 'Z')
        return -EINVAL;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) ||
        !digits(s + 20, 3, &milli))
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    *ms =
        ((days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec) * 1000) +
        milli;
    return 0;
}

bool plot_depth_ok(const char *s, size_t len, unsigned max)
{
    unsigned depth = 0;
    bool in_str = false, esc = false;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return true;
}

/* Printable ASCII only: the text goes into XML, whatever the log held. */
static void copy_printable(char *dst, size_t dstsz, const char *src)
{
    size_t i = 0;

    if (dstsz == 0)
        return;
    for (; src && src[i] && i + 1 < dstsz; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

static yajl_val get(yajl_val o, const char *key)
{
    if (!YAJL_IS_OBJECT(o))
        return NULL;
    for (size_t i = 0; i < o->u.object.len; i++)
        if (strcmp(o->u.object.keys[i], key) == 0)
            return o->u.object.values[i];
    return NULL;
}

static const char *get_str(yajl_val o, const char *key)
{
    yajl_val v = get(o, key);

    return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* A size or count: a non-negative integer, PLOT_NONE otherwise. */
static uint64_t get_u64(yajl_val o, const char *key)
{
    yajl_val v = get(o, key);

    if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
        return PLOT_NONE;
    return (uint64_t)YAJL_GET_INTEGER(v);
}

static double get_double(yajl_val o, const char *key)
{
    yajl_val v = get(o, key);

    return YAJL_IS_NUMBER(v) ? YAJL_GET_DOUBLE(v) : -1.0;
}

static uint64_t max_none(uint64_t a, uint64_t b)
{
    if (a == PLOT_NONE)
        return b;
    if (b == PLOT_NONE)
        return a;
    return a > b ? a : b;
}

/* later: the newer of two, unless the newer is absent */
static uint64_t later(uint64_t older, uint64_t newer)
{
    return newer == PLOT_NONE ? older : newer;
}

static void proc_clear(struct plot_proc *pr)
{
    memset(pr->rss, 0xff, sizeof(pr->rss));
    memset(pr->allocated, 0xff, sizeof(pr->allocated));
    memset(pr->held, 0xff, sizeof(pr->held));
    pr->peak_rss = 0;
    pr->has_allocator = false;
}

/* Halves the stored samples: neighbours merged, maxima kept. */
static void halve(struct plot *p)
{
    size_t half = p->n / 2;

    for (size_t j = 0; j < half; j++) {
        size_t a = 2 * j, b = a + 1;
        p->t_ms[j] = p->t_ms[a];
        p->usage[j] = max_none(p->usage[a], p->usage[b]);
        p->limit[j] = p->limit[b];
        p->ceiling[j] = p->ceiling[b];
        p->high[j] = p->high[b];
        for (size_t k = 0; k < p->nproc; k++) {
            struct plot_proc *pr = p->proc[k];
            pr->rss[j] = max_none(pr->rss[a], pr->rss[b]);
            pr->allocated[j] = max_none(pr->allocated[a], pr->allocated[b]);
            pr->held[j] = max_none(pr->held[a], pr->held[b]);
        }
    }
    p->n = half;
    p->stride *= 2;
}

/* The stored sample a memory line at t goes into. */
static size_t sample_slot(struct plot *p, int64_t t)
{
    size_t i;

    if (p->n > 0 && p->fill < p->stride) {
        p->fill++;
        return p->n - 1;
    }
    if (p->n == PLOT_SAMPLES_MAX) {
        if (p->stride >= (1u << 30)) { /* 2^40 lines: the last one absorbs the rest */
            return p->n - 1;
        }
        halve(p);
    }
    i = p->n++;
    p->t_ms[i] = t;
    p->usage[i] = p->limit[i] = p->ceiling[i] = p->high[i] = PLOT_NONE;
    for (size_t k = 0; k < p->nproc; k++) {
        p->proc[k]->rss[i] = p->proc[k]->allocated[i] = p->proc[k]->held[i] = PLOT_NONE;
    }
    p->fill = 1;
    return i;
}

static struct plot_proc *proc_find(struct plot *p, int64_t pid, const char *comm, uint64_t rss)
{
    struct plot_proc *pr = NULL;
    char name[sizeof(pr->comm)];
    size_t smallest = 0;

    copy_printable(name, sizeof(name), comm ? comm : "?");
    for (size_t k = 0; k < p->nproc; k++) {
        if (p->proc[k]->pid == pid && strcmp(p->proc[k]->comm, name) == 0)
            return p->proc[k];
        if (p->proc[k]->peak_rss < p->proc[smallest]->peak_rss)
            smallest = k;
    }
    if (p->nproc < PLOT_PROCS_MAX) {
        pr = malloc(sizeof(*pr));
        if (!pr)
            return NULL;
        p->proc[p->nproc++] = pr;
    } else {
        if (rss == PLOT_NONE || p->proc[smallest]->peak_rss >= rss)
            return NULL;
        pr = p->proc[smallest];
        p->procs_replaced++;
    }
    proc_clear(pr);
    pr->pid = pid;
    (void)memcpy(pr->comm, name, sizeof(name));
    return pr;
}

static void proc_sample(struct plot *p, size_t i, yajl_val o, int64_t pid, const char *comm)
{
    uint64_t rss = get_u64(o, "rss_bytes"), alloc = get_u64(o, "allocated_bytes"),
             held = get_u64(o, "held_bytes");
    struct plot_proc *pr;

    if (rss == PLOT_NONE && alloc == PLOT_NONE)
        return;
    pr = proc_find(p, pid, comm, rss);
    if (!pr)
        return;
    pr->rss[i] = max_none(pr->rss[i], rss);
    pr->allocated[i] = max_none(pr->allocated[i], alloc);
    pr->held[i] = max_none(pr->held[i], held);
    pr->peak_rss = max_none(pr->peak_rss, rss);
    pr->has_allocator |= alloc != PLOT_NONE;
}

static bool is_minor(enum plot_event_kind k)
{
    return k == PEV_MEMORY_MAX || k == PEV_MEMORY_HIGH || k == PEV_PRESSURE || k == PEV_PURGE ||
           k == PEV_DIAGNOSIS;
}

static struct plot_event *event_add(struct plot *p, int64_t t, enum plot_event_kind k)
{
    struct plot_event *e = NULL;

    p->event_count[k]++;
    if (p->nevent < PLOT_EVENTS_MAX) {
        e = &p->event[p->nevent++];
    } else if (!is_minor(k)) {
        for (size_t i = p->nevent; i-- > 0 && !e;)
            if (is_minor(p->event[i].kind))
                e = &p->event[i];
        /* kept in time order: the replaced slot moves to the end */
        if (e) {
            size_t at = (size_t)(e - p->event);
            memmove(&p->event[at], &p->event[at + 1], (p->nevent - at - 1) * sizeof(p->event[0]));
            e = &p->event[p->nevent - 1];
        }
        p->events_dropped++;
    } else {
        p->events_dropped++;
    }
    if (e) {
        e->t_ms = t;
        e->kind = k;
        e->text[0] = '\0';
    }
    return e;
}

static void fmt_text(struct plot_event *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fmt_text(struct plot_event *e, const char *fmt, ...)
{
    char raw[sizeof(e->text)];
    va_list ap;

    if (!e)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    copy_printable(e->text, sizeof(e->text), raw);
}

void plot_format_bytes(uint64_t b, char *buf, size_t bufsz)
{
    if (b == PLOT_NONE)
        (void)snprintf(buf, bufsz, "?");
    else if (b >= (UINT64_C(10) << 30))
        (void)snprintf(buf, bufsz, "%.0f GiB", (double)b / 1073741824.0);
    else if (b >= (UINT64_C(1) << 30))
        (void)snprintf(buf, bufsz, "%.1f GiB", (double)b / 1073741824.0);
    else if (b >= (UINT64_C(10) << 20))
        (void)snprintf(buf, bufsz, "%.0f MiB", (double)b / 1048576.0);
    else
        (void)snprintf(buf, bufsz, "%.1f MiB", (double)b / 1048576.0);
}

static void memory_line(struct plot *p, yajl_val o, int64_t t)
{
    yajl_val procs = get(o, "processes"), others = get(o, "others"), diag = get(o, "diagnosis");
    const char *state = get_str(diag, "state"), *why = get_str(diag, "why");
    yajl_val unl = get(o, "limit_unlimited");
    uint64_t high = get_u64(o, "memory_high_bytes");
    size_t i;

    if (p->n > 0 && t < p->t_ms[p->n - 1])
        t = p->t_ms[p->n - 1]; /* a clock step back: kept in order */
    i = sample_slot(p, t);
    p->memory_lines++;
    p->memory_seq = get_u64(o, "seq");
    p->usage[i] = max_none(p->usage[i], get_u64(o, "usage_bytes"));
    p->limit[i] = YAJL_IS_TRUE(unl) ? PLOT_NONE : later(p->limit[i], get_u64(o, "limit_bytes"));
    p->ceiling[i] = later(p->ceiling[i], get_u64(o, "ceiling_bytes"));
    p->high[i] = high != PLOT_NONE ? high : p->start_high;
    if (YAJL_IS_ARRAY(procs)) {
        for (size_t k = 0; k < procs->u.array.len; k++) {
            yajl_val pr = procs->u.array.values[k], pid = get(pr, "pid");
            if (YAJL_IS_INTEGER(pid) && YAJL_GET_INTEGER(pid) >= 0)
                proc_sample(p, i, pr, YAJL_GET_INTEGER(pid), get_str(pr, "comm"));
        }
    }
    if (YAJL_IS_OBJECT(others))
        proc_sample(p, i, others, -1, "others");
    if (state && strcmp(state, "warming-up") != 0 &&
        strncmp(state, p->diagnosis, sizeof(p->diagnosis) - 1) != 0) {
        struct plot_event *e = event_add(p, t, PEV_DIAGNOSIS);
        fmt_text(e, "diagnosis: %.40s", state);
    }
    if (state)
        copy_printable(p->diagnosis, sizeof(p->diagnosis), state);
    if (why)
        copy_printable(p->last_diagnosis_why, sizeof(p->last_diagnosis_why), why);
}

/* A usage figure from between two memory lines (an OOM post-mortem's
 * last_samples, which catch the climb that change-driven lines skip):
 * inserted in time order, with the limits' and processes' values of the
 * line before (a value holds until the next line); folded into its stored
 * sample (the maximum kept) once samples stand for several lines. */
static void usage_between(struct plot *p, int64_t t, uint64_t usage)
{
    size_t i = p->n, at;

    if (usage == PLOT_NONE || p->n == 0 || t < p->t_ms[0])
        return;
    while (i > 0 && p->t_ms[i - 1] > t)
        i--;
    at = i - 1; /* the stored sample whose step covers t */
    p->between++;
    if (p->t_ms[at] == t || p->stride > 1 || p->n == PLOT_SAMPLES_MAX) {
        p->usage[at] = max_none(p->usage[at], usage);
        return;
    }
#define SHIFT(a) memmove(&(a)[i + 1], &(a)[i], (p->n - i) * sizeof((a)[0]))
    SHIFT(p->t_ms);
    SHIFT(p->usage);
    SHIFT(p->limit);
    SHIFT(p->ceiling);
    SHIFT(p->high);
    for (size_t k = 0; k < p->nproc; k++) {
        SHIFT(p->proc[k]->rss);
        SHIFT(p->proc[k]->allocated);
        SHIFT(p->proc[k]->held);
        p->proc[k]->rss[i] = p->proc[k]->rss[at];
        p->proc[k]->allocated[i] = p->proc[k]->allocated[at];
        p->proc[k]->held[i] = p->proc[k]->held[at];
    }
#undef SHIFT
    p->t_ms[i] = t;
    p->usage[i] = usage;
    p->limit[i] = p->limit[at];
    p->ceiling[i] = p->ceiling[at];
    p->high[i] = p->high[at];
    p->n++;
}

static void oom_kill_line(struct plot *p, yajl_val o, int64_t t)
{
    yajl_val last = get(o, "last_samples");

    yajl_val who = get(o, "victim");
    struct plot_event *e = event_add(p, t, PEV_OOM_KILL);
    char rss[32];

    if (!YAJL_IS_OBJECT(who))
        who = get(o, "largest");
    plot_format_bytes(get_u64(who, "rss_bytes"), rss, sizeof(rss));
    if (YAJL_IS_OBJECT(who))
        fmt_text(e, "OOM kill: %.20s (pid %lld, %s RSS)", get_str(who, "comm") ?: "?",
                 (long long)get_u64(who, "pid"), rss);
    else
        fmt_text(e, "OOM kill");
    for (size_t k = 0; YAJL_IS_ARRAY(last) && k < last->u.array.len; k++) {
        double ago = get_double(last->u.array.values[k], "t_s");
        if (ago <= 0 && ago > -3600) /* seconds before the kill */
            usage_between(p, t + (int64_t)(ago * 1000),
                          get_u64(last->u.array.values[k], "usage_bytes"));
    }
}

static void event_line(struct plot *p, const char *ev, yajl_val o, int64_t t)
{
    char a[32], b[32];
    struct plot_event *e;

    if (strcmp(ev, "oom_kill") == 0) {
        oom_kill_line(p, o, t);
    } else if (strcmp(ev, "memory_process") == 0) {
        yajl_val pid = get(o, "pid");
        /* --log-processes all: one line per process after its memory line */
        if (p->n > 0 && p->memory_seq != PLOT_NONE && get_u64(o, "seq") == p->memory_seq &&
            YAJL_IS_INTEGER(pid) && YAJL_GET_INTEGER(pid) >= 0)
            proc_sample(p, p->n - 1, o, YAJL_GET_INTEGER(pid), get_str(o, "comm"));
    } else if (strcmp(ev, "memory_max") == 0 || strcmp(ev, "memory_high") == 0 ||
               strcmp(ev, "oom") == 0) {
        bool oom = strcmp(ev, "oom") == 0, max = strcmp(ev, "memory_max") == 0;
        e = event_add(p, t, oom ? PEV_OOM : max ? PEV_MEMORY_MAX : PEV_MEMORY_HIGH);
        fmt_text(e, "%s (%llu times)",
                 oom   ? "cgroup out of memory"
                 : max ? "usage reached the limit"
                       : "usage went over memory.high",
                 (unsigned long long)get_u64(o, "count"));
    } else if (strcmp(ev, "purge") == 0) {
        plot_format_bytes(get_u64(o, "released_bytes"), a, sizeof(a));
        e = event_add(p, t, PEV_PURGE);
        fmt_text(e, "purge: %s released (%.40s)", a, get_str(o, "reason") ?: "?");
    } else if (strcmp(ev, "pressure") == 0) {
        e = event_add(p, t, PEV_PRESSURE);
        fmt_text(e, "pressure %.8s: some avg10 %.0f%%", get_str(o, "state") ?: "?",
                 get_double(o, "some_avg10"));
    } else if (strcmp(ev, "heap_profile") == 0 && get_str(o, "level") &&
               strcmp(get_str(o, "level"), "info") == 0) {
        /* the sites that grew: the first one named on the picture */
        yajl_val sites = get(o, "sites");
        yajl_val first =
            YAJL_IS_ARRAY(sites) && sites->u.array.len ? sites->u.array.values[0] : NULL;
        plot_format_bytes(get_u64(o, "grown_bytes"), a, sizeof(a));
        e = event_add(p, t, PEV_HEAP_PROFILE);
        fmt_text(e, "heap profile of pid %lld: +%s, top %.48s", (long long)get_u64(o, "pid"), a,
                 (first ? get_str(first, "fn") : NULL) ?: "?");
    } else if (strcmp(ev, "child_exit") == 0) {
        e = event_add(p, t, PEV_CHILD_EXIT);
        if (get_str(o, "signal"))
            fmt_text(e, "program killed by %.12s", get_str(o, "signal"));
        else
            fmt_text(e, "program exited, code %lld", (long long)get_u64(o, "code"));
    } else if (strcmp(ev, "exit") == 0) {
        e = event_add(p, t, PEV_EXIT);
        fmt_text(e, "jeinit exit, code %lld%s%.12s", (long long)get_u64(o, "code"),
                 get_str(o, "signal") ? ", " : "", get_str(o, "signal") ?: "");
    } else if (strcmp(ev, "start") == 0) {
        yajl_val lim = get(o, "limits");
        p->start_high = get_u64(lim, "memory_high_bytes");
        plot_format_bytes(get_u64(lim, "memory_bytes"), a, sizeof(a));
        plot_format_bytes(p->start_high, b, sizeof(b));
        e = event_add(p, t, PEV_START);
        fmt_text(e, "start: limit %s%s%s", YAJL_IS_TRUE(get(lim, "memory_unlimited")) ? "none" : a,
                 p->start_high != PLOT_NONE ? ", memory.high " : "",
                 p->start_high != PLOT_NONE ? b : "");
    }
}

bool plot_feed(struct plot *p, const char *line, size_t len)
{
    static const char marker[] = "{\"ts\":";
    const char *at = memmem(line, len, marker, sizeof(marker) - 1);
    char *copy;
    yajl_val o;
    const char *ts, *ev, *lvl;
    int64_t t;
    bool ok = false;

    p->lines++;
    if (!at) {
        p->skipped++;
        return false;
    }
    len -= (size_t)(at - line);
    if (len > PLOT_LINE_MAX || !plot_depth_ok(at, len, PLOT_DEPTH_MAX)) {
        p->too_deep += len <= PLOT_LINE_MAX;
        p->skipped++;
        return false;
    }
    copy = malloc(len + 1);
    if (!copy) {
        p->skipped++;
        return false;
    }
    memcpy(copy, at, len);
    copy[len] = '\0';
    o = yajl_tree_parse(copy, NULL, 0);
    free(copy);
    ts = get_str(o, "ts");
    ev = get_str(o, "event");
    lvl = get_str(o, "level");
    if (ts && ev && lvl && plot_parse_ts(ts, strlen(ts), &t) == 0) {
        ok = true;
        p->jeinit_lines++;
        p->t_first = t < p->t_first ? t : p->t_first;
        p->t_last = t > p->t_last ? t : p->t_last;
        if (strcmp(ev, "memory") == 0)
            memory_line(p, o, t);
        else
            event_line(p, ev, o, t);
    } else {
        p->skipped++;
    }
    yajl_tree_free(o);
    return ok;
}

size_t plot_top(const struct plot *p, size_t *idx, size_t max)
{
    size_t n = 0;

    /* insertion by peak RSS, largest first; ties keep the log's order */
    for (size_t k = 0; k < p->nproc; k++) {
        size_t j = n < max ? n++ : max;
        if (j == max && (max == 0 || p->proc[idx[max - 1]]->peak_rss >= p->proc[k]->peak_rss))
            continue;
        if (j == max)
            j = max - 1;
        while (j > 0 && p->proc[idx[j - 1]]->peak_rss < p->proc[k]->peak_rss) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    return n;
}
