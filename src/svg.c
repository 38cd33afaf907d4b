/* svg.c - see svg.h. */
#include "svg.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define W      1000.0
#define LEFT   78.0
#define RIGHT  24.0
#define PW     (W - LEFT - RIGHT)
#define LANE_Y 84.0 /* the event markers' first row */
#define LANES  3    /* rows of markers, so that close events stay apart */
#define P1_TOP 146.0
#define PH     210.0
#define P2_TOP (P1_TOP + PH + 78.0)

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void out(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct sbuf *b, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !b->oom; tries++) {
        va_list ap;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 65536;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* Text content and attribute values: XML-escaped; plot.c already made it
 * printable ASCII, anything else becomes '?' here too. */
static void out_text(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            out(b, "&amp;");
            break;
        case '<':
            out(b, "&lt;");
            break;
        case '>':
            out(b, "&gt;");
            break;
        case '"':
            out(b, "&quot;");
            break;
        default:
            out(b, "%c", *s >= 0x20 && *s < 0x7f ? *s : '?');
        }
    }
}

/* The drawing's frame: time and bytes to pixels. */
struct frame {
    int64_t t0, t1;
    double top;   /* panel's top y */
    uint64_t max; /* bytes at the top */
};

static double xof(const struct frame *f, int64_t t)
{
    if (t < f->t0)
        t = f->t0;
    if (t > f->t1)
        t = f->t1;
    return LEFT + PW * (double)(t - f->t0) / (double)(f->t1 - f->t0);
}

static double yof(const struct frame *f, uint64_t v)
{
    double y = (double)v / (double)f->max;

    return f->top + PH - PH * (y > 1.0 ? 1.0 : y);
}

static const char *const proc_colour[SVG_TOP_PROCS] = {"#1f77b4", "#d95f02", "#2ca02c",
                                                       "#7570b3", "#e7298a", "#8c6d31"};

static const struct {
    const char *colour, *glyph, *legend;
} kind_style[PEV_KINDS] = {
    [PEV_OOM_KILL] = {"#d62728", "K", "OOM kill (the kernel killed a process)"},
    [PEV_OOM] = {"#8c564b", "O", "cgroup out of memory"},
    [PEV_MEMORY_MAX] = {"#ff7f0e", "M", "usage reached the limit (memory.max / limit_in_bytes)"},
    [PEV_MEMORY_HIGH] = {"#bcbd22", "H", "usage went over memory.high (throttled)"},
    [PEV_PURGE] = {"#2ca02c", "P", "jeinit asked the allocators to purge"},
    [PEV_PRESSURE] = {"#9467bd", "S", "memory pressure (PSI) changed: stalls"},
    [PEV_DIAGNOSIS] = {"#17becf", "D", "jeinit's diagnosis changed"},
    [PEV_HEAP_PROFILE] = {"#e377c2", "A", "a heap profile named the allocation sites that grew"},
    [PEV_CHILD_EXIT] = {"#555555", "E", "the program exited"},
    [PEV_EXIT] = {"#000000", "X", "jeinit exited"},
    [PEV_START] = {"#000000", "S", "jeinit started"},
};

static void clock_label(int64_t t, int64_t span, int64_t step, char *buf, size_t bufsz)
{
    char iso[40];

    utc_format(t, iso, sizeof(iso)); /* 2026-11-30T16:26:53.205Z */
    if (span > 86400000)
        (void)snprintf(buf, bufsz, "%.5s %.5s", iso + 5, iso + 11);
    else if (step < 60000)
        (void)snprintf(buf, bufsz, "%.8s", iso + 11);
    else
        (void)snprintf(buf, bufsz, "%.5s", iso + 11);
}

static void time_axis(struct sbuf *b, const struct frame *f, bool label)
{
    static const int64_t steps[] = {1000,     2000,     5000,     10000,     15000,
                                    30000,    60000,    120000,   300000,    600000,
                                    900000,   1800000,  3600000,  7200000,   10800000,
                                    21600000, 43200000, 86400000, 172800000, 604800000};
    int64_t span = f->t1 - f->t0, step = steps[ARRAY_SIZE(steps) - 1];
    double base = f->top + PH;
    char lab[32];

    for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
        if (span / steps[i] <= 8) {
            step = steps[i];
            break;
        }
    if (span / step > 8) /* years: whole days, at most 9 ticks */
        step = (span / 8 / 86400000 + 1) * 86400000;
    out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", LEFT, base,
        LEFT + PW, base);
    for (int64_t t = (f->t0 / step + 1) * step; t < f->t1 && step > 0; t += step) {
        double x = xof(f, t);
        clock_label(t, span, step, lab, sizeof(lab));
        out(b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
            x, f->top, x, base + 4, x, base + 16, lab);
    }
    if (label)
        out(b,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">"
            "time (UTC, from the log's ts)</text>\n",
            LEFT + PW / 2, base + 32);
}

/* Ticks at a round number of MiB or GiB; returns the top of the scale. */
static uint64_t bytes_scale(uint64_t max, uint64_t *step_out)
{
    static const uint64_t mib[] = {
        1,    2,     5,     10,    20,     50,     100,    200,     250,     500,     1024,    2048,
        5120, 10240, 20480, 51200, 102400, 204800, 512000, 1048576, 2097152, 5242880, 10485760};
    uint64_t step = mib[ARRAY_SIZE(mib) - 1] << 20;

    if (max == 0 || max == PLOT_NONE)
        max = 1 << 20;
    if (max > (UINT64_C(1) << 62)) /* 4 EiB: no cgroup has more; keeps the sums below in range */
        max = UINT64_C(1) << 62;
    for (size_t i = 0; i < ARRAY_SIZE(mib); i++)
        if (max / (mib[i] << 20) < 6) {
            step = mib[i] << 20;
            break;
        }
    if (max / step >= 6) /* at most 6 ticks, whatever the log claims */
        step = max / 5;
    *step_out = step;
    return (max / step + 1) * step;
}

static void bytes_axis(struct sbuf *b, const struct frame *f, uint64_t step, const char *title)
{
    char lab[32];

    for (uint64_t v = 0; v <= f->max && step > 0; v += step) {
        double y = yof(f, v);
        if (v >= (UINT64_C(1) << 30))
            (void)snprintf(lab, sizeof(lab), "%g GiB", (double)v / 1073741824.0);
        else
            (void)snprintf(lab, sizeof(lab), "%llu MiB", (unsigned long long)(v >> 20));
        out(b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
            LEFT, y, LEFT + PW, y, LEFT - 6, y + 4, lab);
    }
    out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", LEFT,
        f->top, LEFT, f->top + PH);
    out(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">", LEFT, f->top - 8);
    out_text(b, title);
    out(b, "</text>\n");
}

/* A step line: each value holds until the next sample (memory lines are
 * written on change, then as a heartbeat), the last one until t_end.
 * Absent values break the line. */
static void steps(struct sbuf *b, const struct frame *f, const struct plot *p, const uint64_t *v,
                  int64_t t_end, const char *style)
{
    bool open = false;

    for (size_t i = 0; i < p->n; i++) {
        if (v[i] == PLOT_NONE) {
            if (open)
                out(b, "\" %s/>\n", style);
            open = false;
            continue;
        }
        double x = xof(f, p->t_ms[i]), y = yof(f, v[i]);
        double x2 = xof(f, i + 1 < p->n ? p->t_ms[i + 1] : t_end);
        if (!open)
            out(b, "<path fill=\"none\" d=\"M%.1f %.1f", x, y);
        else
            out(b, "V%.1f", y);
        out(b, "H%.1f", x2);
        open = true;
    }
    if (open)
        out(b, "\" %s/>\n", style);
}

static void usage_area(struct sbuf *b, const struct frame *f, const struct plot *p, int64_t t_end)
{
    bool any = false;
    double first = 0, base = f->top + PH;

    for (size_t i = 0; i < p->n; i++) {
        if (p->usage[i] == PLOT_NONE)
            continue;
        double x = xof(f, p->t_ms[i]), y = yof(f, p->usage[i]);
        double x2 = xof(f, i + 1 < p->n ? p->t_ms[i + 1] : t_end);
        if (!any) {
            out(b, "<path fill=\"#1f77b4\" fill-opacity=\"0.18\" stroke=\"none\" d=\"M%.1f %.1f", x,
                base);
            first = x;
        }
        out(b, "V%.1fH%.1f", y, x2);
        any = true;
    }
    if (any)
        out(b, "V%.1fH%.1fZ\"/>\n", base, first);
}

static uint64_t max_of(const uint64_t *v, size_t n)
{
    uint64_t m = 0;

    for (size_t i = 0; i < n; i++)
        if (v[i] != PLOT_NONE && v[i] > m)
            m = v[i];
    return m;
}

static void legend_item(struct sbuf *b, double *x, double y, const char *colour, const char *dash,
                        double width, const char *text)
{
    out(b,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\" "
        "stroke-dasharray=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">",
        *x, y - 4, *x + 22, y - 4, colour, width, dash, *x + 27, y);
    out_text(b, text);
    out(b, "</text>\n");
    *x += 36 + 6.2 * (double)strlen(text);
}

static void cgroup_panel(struct sbuf *b, const struct plot *p, struct frame *f)
{
    uint64_t peak = max_of(p->usage, p->n), lim = max_of(p->limit, p->n);
    uint64_t high = max_of(p->high, p->n), top = peak, step;
    bool lim_on = lim > 0 && lim / 16 <= peak; /* else far off the scale */
    bool high_on = high > 0 && high / 16 <= peak && high != lim;
    double lx = LEFT + 205, ly = f->top - 8;
    char text[96], a[32];

    if (lim_on && lim > top)
        top = lim;
    if (high_on && high > top)
        top = high;
    f->max = bytes_scale(top > (UINT64_C(1) << 62) ? top : top + top / 20, &step);
    bytes_axis(b, f, step, "Container (cgroup) memory");
    usage_area(b, f, p, p->t_last);
    steps(b, f, p, p->usage, p->t_last, "stroke=\"#1f77b4\" stroke-width=\"2\"");
    if (lim_on)
        steps(b, f, p, p->limit, p->t_last,
              "stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"8 4\"");
    if (high_on)
        steps(b, f, p, p->high, p->t_last,
              "stroke=\"#ff7f0e\" stroke-width=\"1.5\" stroke-dasharray=\"3 3\"");
    legend_item(b, &lx, ly, "#1f77b4", "none", 3, "usage (memory.usage_in_bytes / memory.current)");
    plot_format_bytes(lim, a, sizeof(a));
    if (lim_on)
        (void)snprintf(text, sizeof(text), "limit, %s (OOM kill above)", a);
    else
        (void)snprintf(text, sizeof(text), lim ? "limit %s: off the scale" : "no limit", a);
    legend_item(b, &lx, ly, "#d62728", lim_on ? "8 4" : "1 30", 1.5, text);
    plot_format_bytes(high, a, sizeof(a));
    if (high_on) {
        (void)snprintf(text, sizeof(text), "memory.high, %s (throttled above)", a);
        legend_item(b, &lx, ly, "#ff7f0e", "3 3", 1.5, text);
    }
    time_axis(b, f, false);
}

static void proc_panel(struct sbuf *b, const struct plot *p, struct frame *f, double *y_after)
{
    size_t idx[SVG_TOP_PROCS], n = plot_top(p, idx, SVG_TOP_PROCS);
    uint64_t top = 0, step;
    bool any_alloc = false;
    char text[112], a[32];
    double lx = LEFT, ly;

    for (size_t k = 0; k < n; k++) {
        const struct plot_proc *pr = p->proc[idx[k]];
        uint64_t m = max_of(pr->rss, p->n);
        if (max_of(pr->allocated, p->n) > m)
            m = max_of(pr->allocated, p->n);
        top = m > top ? m : top;
        any_alloc |= pr->has_allocator;
    }
    f->max = bytes_scale(top > (UINT64_C(1) << 62) ? top : top + top / 20, &step);
    (void)snprintf(text, sizeof(text), "Processes: the %zu largest by peak RSS (of %zu seen)", n,
                   p->nproc);
    bytes_axis(b, f, step, text);
    for (size_t k = 0; k < n; k++) {
        const struct plot_proc *pr = p->proc[idx[k]];
        char st[96];
        (void)snprintf(st, sizeof(st), "stroke=\"%s\" stroke-width=\"2\"", proc_colour[k]);
        steps(b, f, p, pr->rss, p->t_last, st);
        (void)snprintf(st, sizeof(st),
                       "stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"7 4\"",
                       proc_colour[k]);
        steps(b, f, p, pr->allocated, p->t_last, st);
        (void)snprintf(st, sizeof(st),
                       "stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"1 3\"",
                       proc_colour[k]);
        steps(b, f, p, pr->held, p->t_last, st);
    }
    time_axis(b, f, true);
    ly = f->top + PH + 54;
    legend_item(b, &lx, ly, "#333", "none", 2, "RSS (resident, from /proc)");
    if (any_alloc) {
        legend_item(b, &lx, ly, "#333", "7 4", 1.5, "allocated (live heap, the allocator's count)");
        legend_item(b, &lx, ly, "#333", "1 3", 1.5, "held (freed, kept resident by the allocator)");
    } else {
        out(b,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">no allocator figures in this log "
            "(no agent): RSS only</text>\n",
            lx, ly);
    }
    for (size_t k = 0; k < n; k++) {
        const struct plot_proc *pr = p->proc[idx[k]];
        if (k % 3 == 0) {
            lx = LEFT;
            ly += 18;
        }
        plot_format_bytes(pr->peak_rss, a, sizeof(a));
        if (pr->pid < 0)
            (void)snprintf(text, sizeof(text), "all other processes, peak %s", a);
        else
            (void)snprintf(text, sizeof(text), "%s (pid %lld), peak %s", pr->comm,
                           (long long)pr->pid, a);
        out(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"8\" fill=\"%s\"/>", lx, ly - 8,
            proc_colour[k]);
        out(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", lx + 27, ly);
        out_text(b, text);
        out(b, "</text>\n");
        lx += 280;
    }
    *y_after = ly + 14;
}

static void marker(struct sbuf *b, double x, double y, enum plot_event_kind k, const char *title)
{
    out(b,
        "<g><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"%s\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" fill=\"#fff\" "
        "font-weight=\"bold\">%s</text>",
        x, y, kind_style[k].colour, x, y + 3, kind_style[k].glyph);
    if (title) {
        out(b, "<title>");
        out_text(b, title);
        out(b, "</title>");
    }
    out(b, "</g>\n");
}

/* Each event: a marker in the first row where it does not cover another
 * (hover: its sentence), and a line down both panels; OOM kills and exits
 * solid, drawn last so that they stay on top. */
static void event_marks(struct sbuf *b, const struct plot *p, const struct frame *f)
{
    double last[LANES];

    for (int major = 0; major < 2; major++) {
        for (size_t i = 0; i < p->nevent; i++) {
            const struct plot_event *e = &p->event[i];
            double x = xof(f, e->t_ms);
            bool is_major =
                e->kind == PEV_OOM_KILL || e->kind == PEV_OOM || e->kind == PEV_CHILD_EXIT;
            if (e->kind == PEV_START || e->kind == PEV_EXIT || is_major != (major == 1))
                continue;
            out(b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"%s\" stroke-opacity=\"0.7\"%s/>\n",
                x, LANE_Y, x, P2_TOP + PH, kind_style[e->kind].colour, is_major ? "2" : "1",
                is_major ? "" : " stroke-dasharray=\"2 3\"");
        }
    }
    for (int r = 0; r < LANES; r++)
        last[r] = -100;
    for (size_t i = 0; i < p->nevent; i++) {
        const struct plot_event *e = &p->event[i];
        double x = xof(f, e->t_ms);
        int row = -1, oldest = 0;
        if (e->kind == PEV_START)
            continue;
        for (int r = 0; r < LANES && row < 0; r++) {
            if (x - last[r] >= 15)
                row = r;
            else if (last[r] < last[oldest])
                oldest = r;
        }
        if (row < 0)
            row = oldest;
        last[row] = x;
        marker(b, x, LANE_Y + 16.0 * row, e->kind, e->text);
    }
}

/* Listed in words: what tells the story. Counters and pressure changes can
 * come every sample: they are marked on the axis and counted only. */
static bool listed(enum plot_event_kind k)
{
    return k != PEV_MEMORY_MAX && k != PEV_MEMORY_HIGH && k != PEV_PRESSURE && k != PEV_START;
}

/* The legend of the markers, then the events in words. */
static double event_list(struct sbuf *b, const struct plot *p, double y)
{
    double x = LEFT;
    size_t shown = 0;
    char iso[40], text[96];

    out(b,
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">Events "
        "(marked on the time axis above; hover a marker for its line)</text>\n",
        LEFT, y);
    y += 20;
    for (int k = 0; k < PEV_KINDS; k++) {
        if (!p->event_count[k] || k == PEV_START)
            continue;
        if (x > LEFT + PW - 300) {
            x = LEFT;
            y += 18;
        }
        marker(b, x + 7, y - 4, (enum plot_event_kind)k, NULL);
        (void)snprintf(text, sizeof(text), "%s: %u", kind_style[k].legend, p->event_count[k]);
        out(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", x + 19, y);
        out_text(b, text);
        out(b, "</text>\n");
        x += 40 + 5.8 * (double)strlen(text);
    }
    y += 22;
    for (size_t i = 0; i < p->nevent && shown < SVG_EVENT_ROWS; i++) {
        if (!listed(p->event[i].kind))
            continue;
        utc_format(p->event[i].t_ms, iso, sizeof(iso));
        out(b,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-family=\"monospace\">%.12s</text>",
            LEFT, y, iso + 11);
        marker(b, LEFT + 104, y - 4, p->event[i].kind, NULL);
        out(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", LEFT + 118, y);
        out_text(b, p->event[i].text);
        out(b, "</text>\n");
        y += 17;
        shown++;
    }
    if (shown < p->nevent || p->events_dropped) {
        out(b,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">%zu more events are "
            "only marked on the axis (memory.max and memory.high counts, pressure, start)%s"
            "</text>\n",
            LEFT, y, p->nevent - shown + p->events_dropped,
            p->events_dropped ? "; some were dropped to bound memory" : "");
        y += 17;
    }
    return y;
}

static void header(struct sbuf *b, const struct plot *p)
{
    char from[40], to[40], peak[32], lim[32], text[256], more[128] = "";
    uint64_t lim_b = max_of(p->limit, p->n);
    double span = (double)(p->t_last - p->t_first) / 1000.0;

    utc_format(p->t_first, from, sizeof(from));
    utc_format(p->t_last, to, sizeof(to));
    plot_format_bytes(max_of(p->usage, p->n), peak, sizeof(peak));
    plot_format_bytes(lim_b, lim, sizeof(lim));
    /* the end's date too when it is another day */
    (void)snprintf(text, sizeof(text),
                   "jeinit memory report: %.10s %.8s to %.*s%s%.8s UTC (%.1f %s)", from, from + 11,
                   memcmp(from, to, 10) ? 10 : 0, to, memcmp(from, to, 10) ? " " : "", to + 11,
                   span < 120    ? span
                   : span < 7200 ? span / 60
                                 : span / 3600,
                   span < 120    ? "s"
                   : span < 7200 ? "min"
                                 : "h");
    out(b, "<text x=\"%.1f\" y=\"26\" font-size=\"17\" font-weight=\"bold\">", LEFT);
    out_text(b, text);
    out(b, "</text>\n");
    (void)snprintf(text, sizeof(text), "peak usage %s, limit %s; %u OOM kill%s; %llu memory lines",
                   peak, lim_b ? lim : "none", p->event_count[PEV_OOM_KILL],
                   p->event_count[PEV_OOM_KILL] == 1 ? "" : "s",
                   (unsigned long long)p->memory_lines);
    if (p->between)
        (void)snprintf(more, sizeof(more), " + %llu usage points from OOM post-mortems",
                       (unsigned long long)p->between);
    if (p->stride > 1)
        (void)snprintf(more + strlen(more), sizeof(more) - strlen(more),
                       "; a point is the maximum of %u lines", p->stride);
    out(b, "<text x=\"%.1f\" y=\"46\" font-size=\"12\">", LEFT);
    out_text(b, text);
    out_text(b, more);
    out(b, "</text>\n");
    if (p->diagnosis[0]) {
        (void)snprintf(text, sizeof(text), "diagnosis at the end: %s%s%s", p->diagnosis,
                       p->last_diagnosis_why[0] ? ": " : "", p->last_diagnosis_why);
        out(b, "<text x=\"%.1f\" y=\"63\" font-size=\"11\" fill=\"#444\">", LEFT);
        out_text(b, text);
        out(b, "</text>\n");
    }
}

char *svg_render(const struct plot *p, size_t *len)
{
    struct sbuf body = {0}, doc = {0};
    struct frame f1 = {p->t_first, p->t_last, P1_TOP, 1}, f2 = f1;
    double y_end;

    if (f1.t1 <= f1.t0)
        f1.t1 = f2.t1 = f1.t0 + 1000;
    f2.top = P2_TOP;
    header(&body, p);
    cgroup_panel(&body, p, &f1);
    proc_panel(&body, p, &f2, &y_end);
    event_marks(&body, p, &f1);
    y_end = event_list(&body, p, y_end + 16);
    out(&doc,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        "<title>jeinit memory report</title>\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
        W, y_end + 8, W, y_end + 8);
    if (!body.oom && body.p)
        out(&doc, "%s", body.p);
    out(&doc, "</svg>\n");
    free(body.p);
    if (doc.oom || body.oom) {
        free(doc.p);
        return NULL;
    }
    *len = doc.len;
    return doc.p;
}
