/* allocator.c - see allocator.h. */
#include "allocator.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elfscan.h"
#include "ldso.h"
#include "util.h"

static const char *const jemalloc_names[] = {"libjemalloc.so.2", "libjemalloc.so.1",
                                             "libjemalloc.so"};

static void alloc_warn(struct allocator *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void alloc_warn(struct allocator *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warnings_vadd(&a->warnings, fmt, ap);
    va_end(ap);
}

#define WHY_MAX 512

/* Maps a library and checks that the program's loader would take it (see
 * ldso_check_library); with want_version, scans for jemalloc's version. 0,
 * or a negative errno with why: -ELIBBAD when it is built for another libc
 * than the program's. */
static int check_library(const char *path, bool want_version, struct allocator *a, char *why,
                         size_t whysz)
{
    const char *why_map = "", *why_elf = "";
    void *map = NULL;
    size_t len = 0;
    int r = ldso_map(path, &map, &len, &why_map);

    if (r < 0) {
        (void)str_copy(why, whysz, why_map);
        return r;
    }
    r = elf_check_shared_object(map, len, &why_elf);
    if (r < 0)
        (void)str_copy(why, whysz, why_elf);
    else if (a->program.libc == PROGRAM_LIBC_MUSL && ldso_is_glibc_built(map, len))
        r = -ELIBBAD; /* said once, by musl_summary */
    else
        r = ldso_check_library(map, len, &a->program, why, whysz);
    if (r == 0 && want_version &&
        jemalloc_version_scan(map, len, &a->major, &a->minor, &a->patch) < 0)
        a->major = a->minor = a->patch = 0;
    if (r == 0 && want_version) {
        a->prof = jemalloc_prof_scan(map, len) == 1;
        a->own = jemalloc_own_scan(map, len) == 1;
    }
    ldso_unmap(map, len);
    return r;
}

static bool try_jemalloc(struct allocator *a, const char *path, const char *how)
{
    char why[WHY_MAX];
    int r;

    if (access(path, F_OK) != 0)
        return false;
    r = check_library(path, true, a, why, sizeof(why));
    if (r == -ELIBBAD) {
        a->jemalloc_wrong_libc = true;
        return false;
    }
    if (r < 0) {
        alloc_warn(a, "ignoring %s: %s", path, why);
        return false;
    }
    (void)str_copy(a->jemalloc_path, sizeof(a->jemalloc_path), path);
    a->found_by = how;
    a->jemalloc = true;
    if (a->major == 0)
        alloc_warn(a,
                   "cannot tell the jemalloc version of %s: only version-independent options "
                   "are set",
                   path);
    return true;
}

/* Whether a user's LD_PRELOAD entry (a path, or a name ld.so finds in its
 * cache) is a library that defines malloc: an allocator of the user's
 * choosing, which jemalloc must not replace. */
static bool preload_defines_malloc(const char *entry)
{
    char found[PATH_MAX];
    const char *path = entry, *why;
    size_t len = 0;
    void *map = NULL;
    int r;

    if (!strchr(entry, '/')) {
        if (ldso_cache_lookup(entry, found, sizeof(found)) < 0)
            return false;
        path = found;
    }
    if (ldso_map(path, &map, &len, &why) < 0)
        return false;
    r = elf_defines_symbol(map, len, "malloc");
    ldso_unmap(map, len);
    return r == 1;
}

/* The directory jeinit runs from (where the Kubernetes init container puts
 * jemalloc and the agent beside it). */
static bool exe_dir(char *dir, size_t sz)
{
    ssize_t n = readlink("/proc/self/exe", dir, sz - 1);
    char *slash;

    if (n <= 0)
        return false;
    dir[n] = '\0';
    slash = strrchr(dir, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return true;
}

/* jeinit's own jemalloc (`make install`: PREFIX/lib/jeinit/, built for the
 * oldest glibc it can), then one beside jeinit (the Kubernetes init
 * container's copy), then the system's. */
static void search_jemalloc(struct allocator *a)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], resolved[PATH_MAX];

    if (exe_dir(dir, sizeof(dir))) {
        if (str_printf(path, sizeof(path), "%s/../lib/jeinit/libjemalloc.so.2", dir) == 0 &&
            access(path, F_OK) == 0 && realpath(path, resolved) &&
            try_jemalloc(a, resolved, "jeinit's own (lib/jeinit)"))
            return;
        for (size_t n = 0; n < ARRAY_SIZE(jemalloc_names); n++) {
            if (str_printf(path, sizeof(path), "%s/%s", dir, jemalloc_names[n]) == 0 &&
                try_jemalloc(a, path, "next to jeinit"))
                return;
        }
    }
    for (size_t d = 0; d < ldso_nlib_dirs; d++) {
        for (size_t n = 0; n < ARRAY_SIZE(jemalloc_names); n++) {
            if (str_printf(path, sizeof(path), "%s/%s", ldso_lib_dirs[d], jemalloc_names[n]) == 0 &&
                try_jemalloc(a, path, "library directory"))
                return;
        }
    }
    /* musl's loader does not read glibc's cache */
    if (a->program.libc != PROGRAM_LIBC_MUSL &&
        ldso_cache_lookup("libjemalloc.so.2", path, sizeof(path)) == 0)
        (void)try_jemalloc(a, path, "ld.so.cache");
}

static void find_agent(const struct config *cfg, struct allocator *a)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], why[WHY_MAX];
    static const char *const rel[] = {"/libjeinit-agent.so", "/../lib/jeinit/libjeinit-agent.so"};
    bool seen = false;
    int r;

    if (!cfg->agent)
        return;
    if (cfg->agent_path) {
        r = check_library(cfg->agent_path, false, a, why, sizeof(why));
        if (r == 0) {
            (void)str_copy(a->agent_path, sizeof(a->agent_path), cfg->agent_path);
            a->agent = true;
        } else if (r == -ELIBBAD) {
            a->agent_wrong_libc = true;
        } else {
            alloc_warn(a, "agent %s unusable (%s): no per-process allocator stats", cfg->agent_path,
                       why);
        }
        return;
    }
    if (!exe_dir(dir, sizeof(dir)))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
        char resolved[PATH_MAX];
        if (str_printf(path, sizeof(path), "%s%s", dir, rel[i]) < 0)
            continue;
        if (access(path, F_OK) != 0 || !realpath(path, resolved))
            continue;
        seen = true;
        r = check_library(resolved, false, a, why, sizeof(why));
        if (r == -ELIBBAD) {
            a->agent_wrong_libc = true;
            continue;
        }
        if (r < 0) {
            alloc_warn(a, "agent %s unusable (%s): no per-process allocator stats", resolved, why);
            continue;
        }
        (void)str_copy(a->agent_path, sizeof(a->agent_path), resolved);
        a->agent = true;
        return;
    }
    /* one that is there but unusable has been named already */
    if (!seen)
        alloc_warn(a,
                   "libjeinit-agent.so not found beside %s: no per-process allocator stats "
                   "(--agent PATH, or --no-agent to silence this)",
                   dir);
}

static enum thp_mode read_thp(void)
{
    char buf[128];
    ssize_t n = read_file("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));

    if (n <= 0)
        return THP_UNKNOWN;
    if (strstr(buf, "[always]"))
        return THP_ALWAYS;
    if (strstr(buf, "[madvise]"))
        return THP_MADVISE;
    if (strstr(buf, "[never]"))
        return THP_NEVER;
    return THP_UNKNOWN;
}

/* The user's LD_PRELOAD: a jemalloc there is kept and tuned; another
 * library that defines malloc is the user's allocator, and wins. True when
 * either decided. */
static bool user_preload(const char *preload, struct allocator *a)
{
    char entry[PATH_MAX];

    for (const char *p = preload; *p;) {
        size_t n = strcspn(p, ": ");
        const char *base;
        if (n > 0 && n < sizeof(entry)) {
            memcpy(entry, p, n);
            entry[n] = '\0';
            base = strrchr(entry, '/');
            base = base ? base + 1 : entry;
            if (strncmp(base, "libjemalloc", 11) == 0 &&
                try_jemalloc(a, entry, "LD_PRELOAD (the user's)")) {
                a->user_preloaded = true;
                return true;
            }
            /* the agent defines malloc too (its wake-up call under glibc),
             * and allocates nothing of its own */
            if (strncmp(base, "libjemalloc", 11) != 0 && strcmp(base, "libjeinit-agent.so") != 0 &&
                preload_defines_malloc(entry)) {
                a->user_allocator = true;
                (void)str_copy(a->user_allocator_path, sizeof(a->user_allocator_path), entry);
                return true;
            }
        }
        p += n;
        while (*p == ':' || *p == ' ')
            p++;
    }
    return false;
}

/* A musl program: one warning that says what jeinit did and could not do. */
static void musl_summary(const struct config *cfg, struct allocator *a)
{
    const char *je, *agent = "";
    bool want_je = strcmp(cfg->jemalloc, "off") != 0 && !a->user_allocator;

    if (!want_je && !cfg->agent)
        return;
    if (!want_je || a->jemalloc)
        je = "";
    else if (a->jemalloc_wrong_libc)
        je = "the jemalloc found is built for glibc (it needs libc.so.6) and cannot load there, "
             "and none built for musl was found: it keeps musl's own malloc; ";
    else
        je = "no jemalloc built for musl was found: it keeps musl's own malloc; ";
    if (cfg->agent && !a->agent)
        agent = a->agent_wrong_libc
                    ? "the agent is built for glibc and is not preloaded (no "
                      "per-process allocator figures); "
                    : "no agent built for musl (no per-process allocator figures); ";
    alloc_warn(
        a,
        "%s runs on musl (its loader is %s): %s%sglibc's MALLOC_ARENA_MAX and GLIBC_TUNABLES "
        "mean nothing to it and are not set; the memory monitor still reports its memory",
        a->program.path, a->program.interp, je, agent);
}

void allocator_find(const struct config *cfg, char *const envp[], struct allocator *a)
{
    const char *preload = env_lookup(envp, "LD_PRELOAD");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int before;

    memset(a, 0, sizeof(*a));
    a->host_cpus = cpus > 0 ? (unsigned)cpus : 1;
    a->thp = read_thp();
    ldso_probe_program(cfg->child_argc > 0 ? cfg->child_argv[0] : NULL, envp, &a->program);
    if (a->program.libc == PROGRAM_LIBC_STATIC) {
        /* LD_PRELOAD does not reach it, and its allocator (glibc's, musl's, Go's...) cannot be
         * told from outside: it is left as it is */
        if (strcmp(cfg->jemalloc, "off") != 0 || cfg->agent)
            alloc_warn(a,
                       "%s is statically linked: nothing can be preloaded into it (no jemalloc, no "
                       "agent) and its allocator is left as it is (no MALLOC_CONF, no glibc "
                       "variables); the memory monitor still reports its memory",
                       a->program.path);
        return;
    }
    find_agent(cfg, a);
    before = a->warnings.n;
    if (strcmp(cfg->jemalloc, "off") != 0 && !(preload && user_preload(preload, a))) {
        if (strcmp(cfg->jemalloc, "auto") == 0)
            search_jemalloc(a);
        else
            (void)try_jemalloc(a, cfg->jemalloc, "--jemalloc / JEINIT_JEMALLOC");
    }
    if (a->program.libc == PROGRAM_LIBC_MUSL) {
        musl_summary(cfg, a);
        return;
    }
    if (strcmp(cfg->jemalloc, "off") == 0 || a->jemalloc || a->user_allocator)
        return;
    if (strcmp(cfg->jemalloc, "auto") == 0)
        alloc_warn(a,
                   "no usable libjemalloc (%s in lib/jeinit and beside jeinit, in /usr/lib/%s and "
                   "the other library directories, and in ld.so.cache): tuning glibc malloc "
                   "instead; install libjemalloc2 for the full effect",
                   a->warnings.n > before ? "the ones above are unusable; looked" : "looked",
                   ldso_multiarch);
    else if (a->warnings.n == before)
        alloc_warn(a, "--jemalloc %s: no such file; tuning glibc malloc instead", cfg->jemalloc);
}
