/* allocator.c - see allocator.h. */
#include "allocator.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfscan.h"
#include "util.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#elif defined(__arm__)
#define MULTIARCH "arm-linux-gnueabihf"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MULTIARCH "powerpc64le-linux-gnu"
#elif defined(__s390x__)
#define MULTIARCH "s390x-linux-gnu"
#else
#define MULTIARCH "unknown-linux-gnu"
#endif

static const char *const lib_dirs[] = {
    "/usr/lib/" MULTIARCH,
    "/lib/" MULTIARCH,
    "/usr/local/lib",
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
};
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

/* /etc/ld.so.cache, read once. */
static const unsigned char *ldcache(size_t *len)
{
    static unsigned char cache[1 << 20];
    static ssize_t cached = -1;

    if (cached < 0)
        cached = read_file("/etc/ld.so.cache", (char *)cache, sizeof(cache));
    *len = cached > 0 ? (size_t)cached : 0;
    return cache;
}

/* Would ld.so find library name? The library directories, then
 * ld.so.cache. (Not the dependent library's own directory: Debian's jemalloc
 * has no $ORIGIN runpath, so ld.so would not look there.) */
static bool library_present(const char *name)
{
    char path[PATH_MAX + 64], found[PATH_MAX];
    const unsigned char *cache;
    size_t len;

    for (size_t d = 0; d < ARRAY_SIZE(lib_dirs); d++)
        if (str_printf(path, sizeof(path), "%s/%s", lib_dirs[d], name) == 0 &&
            access(path, F_OK) == 0)
            return true;
    cache = ldcache(&len);
    return len > 0 && ldcache_lookup(cache, len, name, found, sizeof(found)) == 0 &&
           access(found, F_OK) == 0;
}

/* The libraries it needs are here (jemalloc needs libstdc++, which slim and
 * distroless images may lack: preloaded anyway, it would stop every program
 * from starting), and it is not an executable. */
static int check_dependencies(const unsigned char *map, size_t len, const char **why)
{
    static char reason[ELF_NAME_MAX + 64];
    struct elf_dynamic dyn;

    if (elf_read_dynamic(map, len, &dyn) < 0) {
        *why = "its ELF program headers are damaged";
        return -ENOEXEC;
    }
    if (dyn.pie) {
        *why = "a position-independent executable, which ld.so will not preload";
        return -ENOEXEC;
    }
    for (size_t i = 0; i < dyn.nneeded; i++) {
        if (library_present(dyn.needed[i]))
            continue;
        (void)snprintf(reason, sizeof(reason), "it needs %s, which is not installed here",
                       dyn.needed[i]);
        *why = reason;
        return -ENOENT;
    }
    return 0;
}

/* Maps a library file read-only (never a FIFO or device: O_NONBLOCK, and
 * regular files only). 0 with *map and *len, or a negative errno with *why. */
static int map_library(const char *path, void **map, size_t *len, const char **why)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;

    if (fd < 0) {
        *why = strerror(errno);
        return -errno;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        return -ENOEXEC;
    }
    if (st.st_size < 64) {
        *why = "not an ELF file (too short)";
        return -ENOEXEC;
    }
    *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (*map == MAP_FAILED) {
        int e = errno ? errno : ENOMEM;
        *why = strerror(e);
        return -e;
    }
    *len = (size_t)st.st_size;
    return 0;
}

/* Maps a library and checks it; with want_version, scans for jemalloc's
 * version. 0, or a negative errno with *why. */
static int check_library(const char *path, bool want_version, struct allocator *a, const char **why)
{
    void *map = NULL;
    size_t len = 0;
    int r = map_library(path, &map, &len, why);

    if (r < 0)
        return r;
    r = elf_check_shared_object(map, len, why);
    if (r == 0)
        r = check_dependencies(map, len, why);
    if (r == 0 && want_version &&
        jemalloc_version_scan(map, len, &a->major, &a->minor, &a->patch) < 0)
        a->major = a->minor = a->patch = 0;
    (void)munmap(map, len);
    return r;
}

static bool try_jemalloc(struct allocator *a, const char *path, const char *how)
{
    const char *why = "";

    if (access(path, F_OK) != 0)
        return false;
    if (check_library(path, true, a, &why) < 0) {
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
    const unsigned char *cache;
    const char *path = entry, *why;
    size_t len = 0;
    void *map = NULL;
    int r;

    if (!strchr(entry, '/')) {
        cache = ldcache(&len);
        if (len == 0 || ldcache_lookup(cache, len, entry, found, sizeof(found)) < 0)
            return false;
        path = found;
    }
    if (map_library(path, &map, &len, &why) < 0)
        return false;
    r = elf_defines_symbol(map, len, "malloc");
    (void)munmap(map, len);
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

static void search_jemalloc(struct allocator *a)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    const unsigned char *cache;
    size_t len;

    if (exe_dir(dir, sizeof(dir))) {
        for (size_t n = 0; n < ARRAY_SIZE(jemalloc_names); n++) {
            if (str_printf(path, sizeof(path), "%s/%s", dir, jemalloc_names[n]) == 0 &&
                try_jemalloc(a, path, "next to jeinit"))
                return;
        }
    }
    for (size_t d = 0; d < ARRAY_SIZE(lib_dirs); d++) {
        for (size_t n = 0; n < ARRAY_SIZE(jemalloc_names); n++) {
            if (str_printf(path, sizeof(path), "%s/%s", lib_dirs[d], jemalloc_names[n]) == 0 &&
                try_jemalloc(a, path, "library directory"))
                return;
        }
    }
    cache = ldcache(&len);
    if (len > 0 && ldcache_lookup(cache, len, "libjemalloc.so.2", path, sizeof(path)) == 0)
        (void)try_jemalloc(a, path, "ld.so.cache");
}

static void find_agent(const struct config *cfg, struct allocator *a)
{
    char dir[PATH_MAX], path[PATH_MAX + 64];
    const char *why = "";
    static const char *const rel[] = {"/libjeinit-agent.so", "/../lib/jeinit/libjeinit-agent.so"};

    if (!cfg->agent)
        return;
    if (cfg->agent_path) {
        if (check_library(cfg->agent_path, false, a, &why) == 0) {
            (void)str_copy(a->agent_path, sizeof(a->agent_path), cfg->agent_path);
            a->agent = true;
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
        if (check_library(resolved, false, a, &why) < 0) {
            alloc_warn(a, "agent %s unusable (%s)", resolved, why);
            continue;
        }
        (void)str_copy(a->agent_path, sizeof(a->agent_path), resolved);
        a->agent = true;
        return;
    }
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

void allocator_find(const struct config *cfg, char *const envp[], struct allocator *a)
{
    const char *preload = env_lookup(envp, "LD_PRELOAD");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    memset(a, 0, sizeof(*a));
    a->host_cpus = cpus > 0 ? (unsigned)cpus : 1;
    a->thp = read_thp();
    find_agent(cfg, a);

    if (strcmp(cfg->jemalloc, "off") == 0)
        return;
    /* a jemalloc the user preloads is kept, and tuned */
    if (preload) {
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
                    return;
                }
                if (strncmp(base, "libjemalloc", 11) != 0 && preload_defines_malloc(entry)) {
                    a->user_allocator = true;
                    (void)str_copy(a->user_allocator_path, sizeof(a->user_allocator_path), entry);
                    return;
                }
            }
            p += n;
            while (*p == ':' || *p == ' ')
                p++;
        }
    }
    if (strcmp(cfg->jemalloc, "auto") == 0) {
        int before = a->warnings.n;

        search_jemalloc(a);
        if (!a->jemalloc)
            alloc_warn(a,
                       "no usable libjemalloc (%s beside jeinit, in /usr/lib/" MULTIARCH
                       " and the other library directories, and in ld.so.cache): tuning glibc "
                       "malloc instead; install libjemalloc2 for the full effect",
                       a->warnings.n > before ? "the ones above are unusable; looked" : "looked");
        return;
    }
    if (!try_jemalloc(a, cfg->jemalloc, "--jemalloc / JEINIT_JEMALLOC") && a->warnings.n == 0)
        alloc_warn(a, "--jemalloc %s: no such file; tuning glibc malloc instead", cfg->jemalloc);
}
