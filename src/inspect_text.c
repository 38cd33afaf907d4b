/* inspect_text.c - `jeinit --inspect` for people (on a tty, or
 * --inspect=text): what jeinit sees, what it sets and why, what it could
 * not do, in aligned lines wrapped to 100 columns. The JSON (inspect.c)
 * holds every figure; this holds what a person reads first. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "inspect.h"
#include "plot.h"
#include "util.h"

#define WIDTH 100
#define KEY_W 22 /* the value column starts at 2 + KEY_W + 1 */

/* A line may end before s[i]: at a space, or after a '/' (paths) or a ','
 * (MALLOC_CONF), so that what is cut reads back whole. */
static bool breaks_after(const char *s, size_t i)
{
    return s[i] == ' ' || (i > 0 && (s[i - 1] == '/' || s[i - 1] == ','));
}

/* "  key<pad> value", the value wrapped (breaks_after) to WIDTH, continuation
 * lines indented to the value column. Returns 0 or a negative errno. */
static int row(int fd, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int row(int fd, const char *key, const char *fmt, ...)
{
    char value[2048], out[4096];
    size_t len = 0, col = 2 + KEY_W + 1;
    const char *s = value;
    va_list ap;
    int n;

    va_start(ap, fmt);
    (void)vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    n = snprintf(out, sizeof(out), "  %-*.40s ", KEY_W, key);
    if (n < 0)
        return -EINVAL;
    len = (size_t)n;
    if (len > col) { /* a key longer than its column: the value on the next line */
        out[len - 1] = '\n';
        memset(out + len, ' ', col);
        len += col;
    }
    /* value (< 2048) plus at most col + 1 per line of >= 37: fits in out */
    while (*s && len + col + WIDTH + 2 < sizeof(out)) {
        size_t room = WIDTH - col, take = strlen(s);
        if (take > room) {
            size_t cut = room;
            while (cut > room / 2 && !breaks_after(s, cut))
                cut--;
            take = breaks_after(s, cut) ? cut : room;
        }
        for (size_t i = 0; i < take; i++)
            out[len++] = *s++;
        while (*s == ' ')
            s++;
        out[len++] = '\n';
        if (*s) {
            memset(out + len, ' ', col);
            len += col;
        }
    }
    if (s == value)
        out[len++] = '\n';
    return write_all(fd, out, len);
}

static int heading(int fd, const char *text)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "\n%s\n", text);

    return write_all(fd, line, n > 0 ? (size_t)n : 0);
}

/* "128 MiB (134217728 bytes)", "unlimited", "not found" */
static void bytes_text(const struct cg_value *v, char *buf, size_t bufsz)
{
    char h[32];

    if (!v->present) {
        (void)snprintf(buf, bufsz, "not found");
    } else if (v->value == CG_UNLIMITED) {
        (void)snprintf(buf, bufsz, "unlimited");
    } else {
        plot_format_bytes(v->value, h, sizeof(h));
        (void)snprintf(buf, bufsz, "%s (%llu bytes)", h, (unsigned long long)v->value);
    }
}

static int limit_row(int fd, const char *key, const struct cg_value *v, const char *unit)
{
    char text[64];

    if (strcmp(unit, "bytes") == 0)
        bytes_text(v, text, sizeof(text));
    else if (!v->present)
        (void)snprintf(text, sizeof(text), "not found");
    else if (v->value == CG_UNLIMITED)
        (void)snprintf(text, sizeof(text), "unlimited");
    else if (strcmp(unit, "millicores") == 0)
        (void)snprintf(text, sizeof(text), "%.3g CPUs", (double)v->value / 1000.0);
    else
        (void)snprintf(text, sizeof(text), "%llu %s", (unsigned long long)v->value, unit);
    return row(fd, key, "%-26s from %s", text, v->present && v->source[0] ? v->source : "-");
}

static int sees(int fd, const struct findings *f)
{
    const struct cgroup_limits *l = f->lim;
    const struct cgroup_usage *u = f->usage;
    const struct allocator *a = f->alloc;
    char x[32], y[32], z[32], w[32];
    int r = heading(fd, "What jeinit sees");

    r = r
            ?: row(fd, "cgroup", "%s layout, memory controller v%d, found by %s%s%s%s",
                   cg_layout_name(f->cg->layout), f->cg->memory_version,
                   f->cg->discovered_by ? f->cg->discovered_by : "nothing",
                   f->cg->namespaced ? ", in a cgroup namespace" : "",
                   f->cg->libcgroup_note[0] ? "; " : "", f->cg->libcgroup_note);
    r = r ?: row(fd, "path", "%s", f->cg->cg_path[0] ? f->cg->cg_path : "-");
    r = r ?: row(fd, "memory directory", "%s", f->cg->memory_dir[0] ? f->cg->memory_dir : "-");
    r = r ?: row(fd, "cpu directory", "%s", f->cg->cpu_dir[0] ? f->cg->cpu_dir : "-");
    r = r ?: limit_row(fd, "memory limit", &l->memory_max, "bytes");
    r = r ?: limit_row(fd, "ancestors' limit", &l->memory_ancestors, "bytes");
    r = r ?: limit_row(fd, "memory.high", &l->memory_high, "bytes");
    r = r ?: limit_row(fd, "swap", &l->swap_max, "bytes");
    r = r ?: limit_row(fd, "machine memory", &l->mem_total, "bytes");
    r = r ?: limit_row(fd, "CPU quota", &l->cpu_quota, "millicores");
    r = r ?: limit_row(fd, "cpuset", &l->cpuset_cpus, "CPUs");
    r = r ?: row(fd, "CPU affinity", "%u CPUs", l->affinity_cpus);
    plot_format_bytes(l->memory_limit, x, sizeof(x));
    r = r
            ?: row(fd, "=> fitted to", "%-26s %s", l->memory_unlimited ? "no limit" : x,
                   l->memory_limit_source);
    plot_format_bytes(l->memory_ceiling, x, sizeof(x));
    r = r ?: row(fd, "=> judged against", "%-26s %s", x, l->memory_ceiling_source);
    r = r ?: row(fd, "=> CPUs", "%-26.3g %s", (double)l->cpu_millis / 1000.0, l->cpu_source);
    if (u->present && u->current != UINT64_MAX) {
        plot_format_bytes(u->current, x, sizeof(x));
        plot_format_bytes(u->peak, y, sizeof(y));
        plot_format_bytes(u->anon, z, sizeof(z));
        plot_format_bytes(u->file, w, sizeof(w));
        r = r ?: row(fd, "usage now", "%s (peak %s): anon %s, file %s", x, y, z, w);
        if (u->ev_oom_kill != UINT64_MAX)
            r = r ?: row(fd, "OOM kills so far", "%llu", (unsigned long long)u->ev_oom_kill);
    }
    if (u->psi_scope && u->psi.some.present)
        r = r
                ?: row(fd, "memory pressure", "%.2f%% of the time stalled (some, avg10; %s)",
                       u->psi.some.avg10, u->psi_scope);
    if (f->tuning->jemalloc)
        r = r
                ?: row(fd, "allocator", "jemalloc %d.%d.%d at %s (found %s)", a->major, a->minor,
                       a->patch, a->jemalloc_path, a->found_by ? a->found_by : "");
    else if (a->user_allocator)
        r = r ?: row(fd, "allocator", "the user's own, preloaded: %s", a->user_allocator_path);
    else
        r = r
                ?: row(fd, "allocator", "the program's libc malloc (%s)",
                       program_libc_name(a->program.libc));
    r = r ?: row(fd, "program's libc", "%s", program_libc_name(a->program.libc));
    r = r ?: row(fd, "transparent huge pages", "%s", thp_mode_name(a->thp));
    return r;
}

static bool listed(const char *key, const char (*list)[MC_KEY_MAX], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], key) == 0)
            return true;
    return false;
}

static int sets(int fd, const struct findings *f)
{
    const struct tuning *t = f->tuning;
    char key[POLICY_KEY_MAX + POLICY_VALUE_MAX + 2];
    int r = heading(fd, "What jeinit sets for the program, and why");

    if (t->jemalloc)
        r = r ?: row(fd, "MALLOC_CONF", "%s", t->mc.conf[0] ? t->mc.conf : "(empty)");
    for (size_t i = 0; i < t->policy.n && r == 0; i++) {
        const struct policy_option *o = &t->policy.opt[i];
        const char *mark = "";
        if (listed(o->key, t->mc.overridden, t->mc.noverridden))
            mark = "[yours kept: MALLOC_CONF or JEINIT_MALLOC_CONF set it] ";
        else if (listed(o->key, t->mc.dropped, t->mc.ndropped))
            mark = "[dropped: MALLOC_CONF too long] ";
        (void)snprintf(key, sizeof(key), "%s:%s", o->key, o->value);
        r = row(fd, key, "%s%s", mark, o->reason);
    }
    for (size_t i = 0; i < t->policy.nnotes && r == 0; i++)
        r = row(fd, "note", "%s", t->policy.notes[i]);
    r = r
            ?: row(fd, "profile", "%s (--profile: balanced, memory or throughput)",
                   profile_name(t->input.profile));
    r = r
            ?: row(fd, "agent", "%s",
                   t->agent ? t->agent : "none (no per-process allocator figures)");
    r = r ?: heading(fd, "The program's environment, changed");
    for (size_t i = 0; i < t->nchanges && r == 0; i++)
        r = t->changes[i].value ? row(fd, t->changes[i].key, "%s", t->changes[i].value)
                                : row(fd, t->changes[i].key, "(removed)");
    if (t->nchanges == 0)
        r = r ?: row(fd, "(nothing)", "the program runs with the environment it was given");
    return r;
}

static int warn_rows(int fd, const struct warnings *w, const char *from, int *count)
{
    int r = 0;

    for (int i = 0; i < w->n && r == 0; i++, (*count)++)
        r = row(fd, from, "%s", w->msg[i]);
    if (w->dropped && r == 0) {
        r = row(fd, from, "%u more warnings did not fit", w->dropped);
        (*count)++;
    }
    return r;
}

int inspect_text_body(int fd, const struct findings *f)
{
    int count = 0, r;

    r = sees(fd, f);
    r = r ?: sets(fd, f);
    r = r ?: heading(fd, "What jeinit could not do");
    r = r ?: warn_rows(fd, &f->cfg->warnings, "settings", &count);
    r = r ?: warn_rows(fd, &f->cg->warnings, "cgroup", &count);
    r = r ?: warn_rows(fd, &f->alloc->warnings, "allocator", &count);
    r = r ?: warn_rows(fd, &f->tuning->warnings, "tuning", &count);
    if (count == 0)
        r = r ?: row(fd, "(nothing)", "no warning");
    return r;
}
