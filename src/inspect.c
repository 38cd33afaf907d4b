/* inspect.c - see inspect.h. */
#include "inspect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "version.h"

/* What serves the program's mallocs: jemalloc, the user's own preloaded
 * allocator, or its libc's (glibc tuned; musl's and a static program's left
 * as they are). */
static const char *allocator_kind(const struct allocator *a, const struct tuning *t)
{
    if (t->jemalloc)
        return "jemalloc";
    if (a->user_allocator)
        return "user";
    if (a->program.libc == PROGRAM_LIBC_MUSL)
        return "musl";
    if (a->program.libc == PROGRAM_LIBC_STATIC)
        return "builtin";
    return "glibc";
}

void report_tuning(struct jw *w, const char *key, const struct allocator *a, const struct tuning *t,
                   bool full)
{
    char version[32];

    jw_map_open(w, key);
    jw_str(w, "kind", allocator_kind(a, t));
    jw_str(w, "program_libc", program_libc_name(a->program.libc));
    if (a->user_allocator) {
        jw_str(w, "path", a->user_allocator_path);
        jw_str(w, "found_by", "LD_PRELOAD (the user's)");
    } else if (t->jemalloc) {
        jw_str(w, "path", a->jemalloc_path);
        if (a->major) {
            (void)snprintf(version, sizeof(version), "%d.%d.%d", a->major, a->minor, a->patch);
            jw_str(w, "version", version);
        } else {
            jw_null(w, "version");
        }
        jw_str(w, "found_by", a->found_by);
        jw_str(w, "malloc_conf", t->mc.conf);
    } else if (strcmp(allocator_kind(a, t), "glibc") == 0) {
        jw_str(w, "arena_max", t->arena_max[0] ? t->arena_max : NULL);
        jw_str(w, "glibc_tunables", t->tunables[0] ? t->tunables : NULL);
    }
    jw_str(w, "profile", profile_name(t->input.profile));
    jw_str(w, "agent", t->agent);
    jw_str(w, "heap_profile", t->heap_profile_why);
    jw_str(w, "decay", t->decay_why);
    if (full) {
        jw_array_open(w, "options");
        for (size_t i = 0; i < t->policy.n; i++) {
            const struct policy_option *o = &t->policy.opt[i];
            bool overridden = false;
            for (size_t j = 0; j < t->mc.noverridden; j++)
                overridden |= strcmp(t->mc.overridden[j], o->key) == 0;
            jw_map_open(w, NULL);
            jw_str(w, "key", o->key);
            jw_str(w, "value", o->value);
            jw_str(w, "reason", o->reason);
            if (overridden)
                jw_str(w, "overridden_by", "the user's MALLOC_CONF or JEINIT_MALLOC_CONF");
            for (size_t j = 0; j < t->mc.ndropped; j++)
                if (strcmp(t->mc.dropped[j], o->key) == 0)
                    jw_str(w, "dropped_by",
                           "the MALLOC_CONF length cap (jemalloc echoes it in a 4096-byte buffer)");
            jw_map_close(w);
        }
        jw_array_close(w);
        jw_array_open(w, "notes");
        for (size_t i = 0; i < t->policy.nnotes; i++)
            jw_str(w, NULL, t->policy.notes[i]);
        jw_array_close(w);
        jw_str(w, "thp", thp_mode_name(a->thp));
        jw_u64(w, "host_cpus", a->host_cpus);
        jw_u64(w, "workers", t->input.workers);
        jw_map_open(w, "environment");
        for (size_t i = 0; i < t->nchanges; i++)
            jw_str(w, t->changes[i].key, t->changes[i].value);
        jw_map_close(w);
    }
    jw_map_close(w);
}

static void warn_list(struct jw *w, const struct warnings *list)
{
    char msg[64];

    for (int i = 0; i < list->n; i++)
        jw_str(w, NULL, list->msg[i]);
    if (list->dropped) {
        (void)str_printf(msg, sizeof(msg), "%u more warnings did not fit", list->dropped);
        jw_str(w, NULL, msg);
    }
}

void report_warnings(struct jw *w, const struct findings *f)
{
    jw_array_open(w, "warnings");
    warn_list(w, &f->cfg->warnings);
    warn_list(w, &f->cg->warnings);
    warn_list(w, &f->alloc->warnings);
    warn_list(w, &f->tuning->warnings);
    jw_array_close(w);
}

int inspect_print(int fd, const struct findings *f)
{
    yajl_gen g = jw_gen_new(true);
    struct jw w = {.g = g};
    const unsigned char *buf;
    size_t len;
    int r;

    if (!g)
        return -ENOMEM;
    (void)yajl_gen_map_open(g);
    jw_str(&w, "version", JEINIT_VERSION);
    report_cgroup(&w, "cgroup", f->cg);
    report_limits(&w, "limits", f->lim, true);
    jw_map_open(&w, "usage");
    report_usage(&w, f->usage, true);
    jw_map_close(&w);
    report_events(&w, "events", f->usage);
    report_pressure(&w, "pressure", f->usage);
    report_tuning(&w, "allocator", f->alloc, f->tuning, true);
    report_warnings(&w, f);
    (void)yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return -EIO;
    }
    r = write_all(fd, buf, len);
    yajl_gen_free(g);
    return r;
}

int inspect_print_text(int fd, const struct findings *f)
{
    char head[160];
    int r;

    (void)str_printf(head, sizeof(head),
                     "jeinit %s --inspect (every figure, as JSON: --inspect=json)\n",
                     JEINIT_VERSION);
    r = write_all(fd, head, strlen(head));
    return r < 0 ? r : inspect_text_body(fd, f);
}

int print_env(int fd, const struct tuning *t)
{
    char line[ENV_VALUE_MAX * 4 + 128];

    for (size_t i = 0; i < t->nchanges; i++) {
        const struct env_change *c = &t->changes[i];
        int r;
        if (!c->value)
            continue;
        r = env_format_line(c->key, c->value, line, sizeof(line));
        if (r == 0)
            r = write_all(fd, line, strlen(line));
        if (r < 0)
            return r;
    }
    return 0;
}
