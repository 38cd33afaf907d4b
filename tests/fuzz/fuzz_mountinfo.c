/* fuzz_mountinfo.c - libFuzzer harness for cg_parse_mountinfo and
 * cg_resolve_dir. Every mount found is resolved against a few cgroup paths
 * (fixed ones, ones built from the mount's root, and one taken from the
 * input), into a roomy buffer and into a tight one, both allocated to their
 * exact size so ASan sees any write past outsz. */
#include "cgroup_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define BIG_CAP 64
#define KNOWN   (CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET)
#define ROOMY   (CG_PATH_MAX * 3)

/* The mount point as the resolver writes it: single slashes, no trailing
 * one, "/" when nothing is left. */
static void normalise(const char *in, char *out)
{
    size_t o = 0;

    for (const char *p = in; *p;) {
        size_t n;

        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n > 0) {
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
}

/* The oracle, written differently from cgroup_parse.c's check: "/" + p + "/"
 * holds "/./" or "/../" exactly when p has a "." or ".." component. */
static bool has_dot_component(const char *p)
{
    static char framed[ROOMY + 3];
    size_t n = strlen(p);

    if (n + 3 > sizeof(framed))
        return false;
    framed[0] = '/';
    memcpy(framed + 1, p, n);
    framed[n + 1] = '/';
    framed[n + 2] = '\0';
    return strstr(framed, "/./") != NULL || strstr(framed, "/../") != NULL;
}

static void check_resolve(const struct cg_mount *m, const char *cg_path, size_t tight)
{
    char mp[CG_PATH_MAX + 1];
    char *big = malloc(ROOMY), *small = malloc(tight);
    bool outside = false, small_outside = false;
    size_t n, mplen;
    int r, rs;

    if (!big || !small)
        abort();
    normalise(m->mount_point, mp);
    mplen = strlen(mp);

    r = cg_resolve_dir(m, cg_path, big, ROOMY, &outside);
    INVARIANT(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
    INVARIANT(strnlen(big, ROOMY) < ROOMY);
    INVARIANT((r == -EINVAL) == (cg_path[0] != '/'));
    if (r == 0) {
        n = strlen(big);
        INVARIANT(big[0] == '/' && strstr(big, "//") == NULL);
        INVARIANT(n == 1 || big[n - 1] != '/');
        /* Always the mount point or below it, never above. */
        INVARIANT(strncmp(big, mp, mplen) == 0);
        INVARIANT(mplen == 1 || big[mplen] == '\0' || big[mplen] == '/');
        /* Whatever follows the mount point never climbs. */
        INVARIANT(!has_dot_component(big + (mplen == 1 ? 0 : mplen)));
        if (outside)
            INVARIANT(strcmp(big, mp) == 0);
        if (strcmp(cg_path, m->root) == 0)
            INVARIANT(strcmp(big, mp) == 0);
    } else {
        INVARIANT(big[0] == '\0');
    }

    rs = cg_resolve_dir(m, cg_path, small, tight, &small_outside);
    INVARIANT(strnlen(small, tight) < tight);
    if (r == 0) {
        INVARIANT(rs == 0 || rs == -ENAMETOOLONG);
        INVARIANT(rs == (strlen(big) < tight ? 0 : -ENAMETOOLONG));
        if (rs == 0)
            INVARIANT(strcmp(small, big) == 0 && small_outside == outside);
        else
            INVARIANT(small[0] == '\0');
    }
    INVARIANT(cg_resolve_dir(m, cg_path, big, ROOMY, NULL) == r);

    free(small);
    free(big);
}

static void check_mount(const struct cg_mount *m, const char *input_path, size_t tight)
{
    static const char *const fixed[] = {"/",       "/a/b",   "/..", "/../x",
                                        "//x//y/", "/a/./b", "rel", ""};
    char path[CG_PATH_MAX * 2 + 16];
    size_t rl = strnlen(m->root, CG_PATH_MAX), ml = strnlen(m->mount_point, CG_PATH_MAX);

    INVARIANT(rl > 0 && rl < CG_PATH_MAX && m->root[0] == '/');
    INVARIANT(ml > 0 && ml < CG_PATH_MAX && m->mount_point[0] == '/');
    INVARIANT((m->controllers & ~(unsigned)KNOWN) == 0);
    if (m->v2)
        INVARIANT(m->controllers == 0);

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_resolve(m, fixed[i], tight);
    check_resolve(m, m->root, tight);
    snprintf(path, sizeof(path), "%s/sub", m->root);
    check_resolve(m, path, tight);
    snprintf(path, sizeof(path), "%sx", m->root); /* a sibling: "/ab" for root "/a" */
    check_resolve(m, path, tight);
    snprintf(path, sizeof(path), "%s/%s", m->root, m->mount_point);
    check_resolve(m, path, tight);
    check_resolve(m, input_path, tight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t small_cap = size % 8, tight = size % 48 + 1;
    struct cg_mount *big = malloc(BIG_CAP * sizeof(*big));
    struct cg_mount *small = small_cap ? malloc(small_cap * sizeof(*small)) : NULL;
    size_t nb = SIZE_MAX, ns = SIZE_MAX, tail;
    char input_path[128];
    int rb, rs;

    if (!big || (small_cap && !small))
        abort();

    /* The last bytes of the input double as a cgroup path. */
    tail = size < sizeof(input_path) - 1 ? size : sizeof(input_path) - 1;
    memcpy(input_path, buf + size - tail, tail);
    input_path[tail] = '\0';

    rb = cg_parse_mountinfo(buf, size, big, BIG_CAP, &nb);
    INVARIANT(rb == 0 || rb == -ENOSPC);
    INVARIANT(nb <= BIG_CAP && (rb == 0 || nb == BIG_CAP));
    for (size_t i = 0; i < nb; i++)
        check_mount(&big[i], input_path, tight);

    rs = cg_parse_mountinfo(buf, size, small, small_cap, &ns);
    INVARIANT(rs == 0 || rs == -ENOSPC);
    INVARIANT(ns <= small_cap && (rs == 0 || ns == small_cap));
    if (rb == 0)
        INVARIANT(rs == (nb > small_cap ? -ENOSPC : 0) && ns == (nb < small_cap ? nb : small_cap));
    for (size_t i = 0; i < ns; i++)
        INVARIANT(small[i].v2 == big[i].v2 && small[i].controllers == big[i].controllers &&
                  strcmp(small[i].root, big[i].root) == 0 &&
                  strcmp(small[i].mount_point, big[i].mount_point) == 0);

    free(small);
    free(big);
    return 0;
}
