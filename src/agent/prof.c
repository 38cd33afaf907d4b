/* prof.c - see prof.h. Runs in the agent's thread only. */
#include "prof.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* lg_prof_sample jeinit may ask for: 2^16 (64 KiB) to 2^30 between samples. */
#define LG_SAMPLE_MIN 16
#define LG_SAMPLE_MAX 30

/* A path jeinit named: absolute, NUL-terminated within the field, no "..". */
static bool path_ok(const char *p, size_t cap)
{
    size_t n = strnlen(p, cap);

    return n > 1 && n < cap && p[0] == '/' && !strstr(p, "/../") &&
           !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

/* jemalloc's mallctl answers EINVAL, ENOENT (no such name: prof off, or a
 * jemalloc without it), EFAULT (the dump could not be written)... */
static uint32_t ctl_status(int r)
{
    return r == 0 ? 0 : r > 0 ? (uint32_t)r : EIO;
}

static int set_active(mallctl_fn mallctl, bool on)
{
    return mallctl("prof.active", NULL, NULL, &on, sizeof(on));
}

void agent_prof(const struct agent_request *req, struct agent_reply *r, mallctl_fn mallctl)
{
    bool prof = false;
    size_t len = sizeof(prof);

    memset(r, 0, sizeof(*r));
    r->magic = AGENT_MAGIC;
    r->version = AGENT_VERSION;
    r->type = AGENT_PROF;
    r->seq = req->seq;
    r->allocated = r->active = r->metadata = r->resident = r->mapped = r->retained = r->held =
        UINT64_MAX;
    if (!mallctl) {
        r->status = ENOTSUP;
        return;
    }
    r->allocator = AGENT_ALLOC_JEMALLOC;
    /* opt.prof: set at start only; off, none of the rest can work */
    if (mallctl("opt.prof", &prof, &len, NULL, 0) != 0 || !prof) {
        r->status = ENOTSUP;
        return;
    }
    switch (req->type) {
    case AGENT_PROF_ON: {
        size_t lg = req->arg;
        if (lg < LG_SAMPLE_MIN || lg > LG_SAMPLE_MAX) {
            r->status = EINVAL;
            return;
        }
        /* a reset starts the counts afresh at this rate */
        r->status = ctl_status(mallctl("prof.reset", NULL, NULL, &lg, sizeof(lg)));
        if (r->status == 0)
            r->status = ctl_status(set_active(mallctl, true));
        return;
    }
    case AGENT_PROF_DUMP: {
        const char *path = req->path;
        if (!path_ok(req->path, sizeof(req->path))) {
            r->status = EINVAL;
            return;
        }
        r->status = ctl_status(mallctl("prof.dump", NULL, NULL, &path, sizeof(path)));
        return;
    }
    case AGENT_PROF_OFF:
        r->status = ctl_status(set_active(mallctl, false));
        return;
    default:
        r->status = EINVAL;
        return;
    }
}

void agent_prof_expire(mallctl_fn mallctl)
{
    if (mallctl)
        (void)set_active(mallctl, false);
}
