/* ldso.c - see ldso.h. */
#include "ldso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "elfscan.h"
#include "elfver.h"
#include "util.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#define MUSL_ARCH "x86_64"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#define MUSL_ARCH "aarch64"
#elif defined(__i386__)
#define MULTIARCH "i386-linux-gnu"
#define MUSL_ARCH "i386"
#elif defined(__arm__)
#define MULTIARCH "arm-linux-gnueabihf"
#define MUSL_ARCH "armhf"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MULTIARCH "powerpc64le-linux-gnu"
#define MUSL_ARCH "powerpc64le"
#elif defined(__s390x__)
#define MULTIARCH "s390x-linux-gnu"
#define MUSL_ARCH "s390x"
#else
#define MULTIARCH "unknown-linux-gnu"
#define MUSL_ARCH "unknown"
#endif

const char ldso_multiarch[] = MULTIARCH;
const char *const ldso_lib_dirs[] = {
    "/usr/lib/" MULTIARCH,
    "/lib/" MULTIARCH,
    "/usr/local/lib",
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
};
const size_t ldso_nlib_dirs = ARRAY_SIZE(ldso_lib_dirs);

int ldso_map(const char *path, void **map, size_t *len, const char **why)
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

void ldso_unmap(void *map, size_t len)
{
    (void)munmap(map, len);
}

/* /etc/ld.so.cache, read once. */
int ldso_cache_lookup(const char *name, char *out, size_t outsz)
{
    static unsigned char cache[1 << 20];
    static ssize_t cached = -1;

    if (cached < 0)
        cached = read_file("/etc/ld.so.cache", (char *)cache, sizeof(cache));
    if (cached <= 0)
        return -ENOENT;
    return ldcache_lookup(cache, (size_t)cached, name, out, outsz);
}

/* The first of dir/name over a ':' or '\n' separated list of directories
 * that exists and is a regular file. */
static bool find_in_dirs(const char *dirs, const char *name, char *out, size_t outsz)
{
    struct stat st;

    for (const char *p = dirs; *p;) {
        size_t n = strcspn(p, ":\n");
        if (n > 0 && str_printf(out, outsz, "%.*s/%s", (int)n, p, name) == 0 &&
            stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return true;
        p += n;
        while (*p == ':' || *p == '\n')
            p++;
    }
    return false;
}

/* musl's loader answers for itself to these names (its dynlink.c: "libc",
 * "libpthread", "librt", "libm", "libdl", "libutil", "libxnet" followed by a
 * dot), so they never need a file. */
static bool musl_builtin(const char *name)
{
    static const char *const reserved[] = {"libc.",  "libpthread.", "librt.",  "libm.",
                                           "libdl.", "libutil.",    "libxnet."};

    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
        if (str_has_prefix(name, reserved[i]))
            return true;
    return false;
}

/* Where the program's loader would find the library name: glibc's ld.so
 * through its cache, then its directories (LD_LIBRARY_PATH and RUNPATH are
 * not followed: jeinit's libraries have no RUNPATH, and a path the user sets
 * for the program's own libraries rarely holds its libc); musl's through
 * /etc/ld-musl-ARCH.path or its default path. -ENOENT when it would not. */
static int find_library(const char *name, const struct program_info *prog, char *out, size_t outsz)
{
    char paths[1024];
    struct stat st;

    if (prog->libc == PROGRAM_LIBC_MUSL) {
        ssize_t n = read_file("/etc/ld-musl-" MUSL_ARCH ".path", paths, sizeof(paths));
        if (n <= 0)
            (void)str_copy(paths, sizeof(paths), "/lib:/usr/local/lib:/usr/lib");
        return find_in_dirs(paths, name, out, outsz) ? 0 : -ENOENT;
    }
    /* the interpreter is the library it names (ld-linux-x86-64.so.2) */
    if (prog->interp[0]) {
        const char *base = strrchr(prog->interp, '/');
        if (strcmp(base ? base + 1 : prog->interp, name) == 0 && stat(prog->interp, &st) == 0)
            return str_copy(out, outsz, prog->interp);
    }
    if (ldso_cache_lookup(name, out, outsz) == 0 && stat(out, &st) == 0)
        return 0;
    for (size_t d = 0; d < ldso_nlib_dirs; d++)
        if (str_printf(out, outsz, "%s/%s", ldso_lib_dirs[d], name) == 0 && stat(out, &st) == 0)
            return 0;
    return -ENOENT;
}

bool ldso_is_glibc_built(const unsigned char *map, size_t len)
{
    struct elf_dynamic dyn;

    if (elf_read_dynamic(map, len, &dyn) < 0)
        return false;
    for (size_t i = 0; i < dyn.nneeded; i++)
        if (strcmp(dyn.needed[i], "libc.so.6") == 0)
            return true;
    return false;
}

/* Names up to three of the symbols that need version index, as ", a, b". */
static void symbols_of(const unsigned char *map, size_t len, uint16_t index, char *out,
                       size_t outsz)
{
    char names[4][ELFVER_NAME_MAX];
    size_t n = elf_version_symbols(map, len, index, names, ARRAY_SIZE(names)), used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && i < 3; i++) {
        int w = snprintf(out + used, outsz - used, "%s%s", i ? ", " : " (", names[i]);
        if (w < 0 || (size_t)w >= outsz - used)
            break;
        used += (size_t)w;
    }
    if (n > 0)
        (void)snprintf(out + used, outsz - used, "%s)", n > 3 ? ", ..." : "");
}

/* Every non-weak version the library needs of file, against what the
 * library the program would load under that name defines (ld.so's
 * _dl_check_map_versions: a file without DT_VERDEF satisfies any version). */
static int check_versions_of(const unsigned char *map, size_t len, const struct elf_needs_of *f,
                             const struct program_info *prog, struct elf_verdef *defs, char *why,
                             size_t whysz)
{
    char path[PATH_MAX], syms[256];
    const char *why_map = "", *highest;
    void *lib = NULL;
    size_t liblen = 0;
    int r;

    if (find_library(f->file, prog, path, sizeof(path)) < 0)
        return 0; /* a missing library is the dependency check's to report */
    if (ldso_map(path, &lib, &liblen, &why_map) < 0)
        return 0;
    r = elf_read_verdef(lib, liblen, defs);
    ldso_unmap(lib, liblen);
    if (r < 0 || !defs->present)
        return 0;
    for (size_t i = 0; i < f->n; i++) {
        const struct elf_version_need *v = &f->v[i];
        if (v->weak || elf_verdef_has(defs, v->name))
            continue;
        symbols_of(map, len, v->index, syms, sizeof(syms));
        highest = elf_verdef_highest(defs, v->name);
        if (highest)
            (void)snprintf(why, whysz,
                           "it needs %s%s of %s, but this image's %s (%s) defines up to %s",
                           v->name, syms, f->file, f->file, path, highest);
        else
            (void)snprintf(why, whysz, "it needs %s%s of %s, which this image's %s (%s) lacks",
                           v->name, syms, f->file, f->file, path);
        return -ENOEXEC;
    }
    return 0;
}

static bool library_present(const char *name, const struct program_info *prog)
{
    char path[PATH_MAX];

    if (prog->libc == PROGRAM_LIBC_MUSL && musl_builtin(name))
        return true;
    return find_library(name, prog, path, sizeof(path)) == 0;
}

/* The version tables (24 KiB) live in a mapping of their own for the check:
 * PID 1 keeps (and locks) what it touched, so they are not left in its
 * .bss or stack. */
struct version_scratch {
    struct elf_verneed need;
    struct elf_verdef defs;
};

static int check_versions(const unsigned char *map, size_t len, const struct program_info *prog,
                          char *why, size_t whysz)
{
    struct version_scratch *s =
        mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int r;

    if (s == MAP_FAILED)
        return 0; /* not checked: as before this check existed */
    r = elf_read_verneed(map, len, &s->need);
    if (r < 0)
        (void)str_copy(why, whysz, "its symbol version needs (DT_VERNEED) are damaged");
    for (size_t i = 0; r == 0 && i < s->need.nfiles; i++)
        r = check_versions_of(map, len, &s->need.f[i], prog, &s->defs, why, whysz);
    (void)munmap(s, sizeof(*s));
    return r;
}

int ldso_check_library(const unsigned char *map, size_t len, const struct program_info *prog,
                       char *why, size_t whysz)
{
    struct elf_dynamic dyn;

    if (elf_read_dynamic(map, len, &dyn) < 0) {
        (void)str_copy(why, whysz, "its ELF program headers are damaged");
        return -ENOEXEC;
    }
    if (dyn.pie) {
        (void)str_copy(why, whysz,
                       "a position-independent executable, which ld.so will not preload");
        return -ENOEXEC;
    }
    if (prog->libc == PROGRAM_LIBC_MUSL && ldso_is_glibc_built(map, len)) {
        (void)str_copy(why, whysz, "built for glibc (it needs libc.so.6), which musl cannot load");
        return -ENOEXEC;
    }
    for (size_t i = 0; i < dyn.nneeded; i++) {
        if (library_present(dyn.needed[i], prog))
            continue;
        (void)snprintf(why, whysz, "it needs %s, which is not installed here", dyn.needed[i]);
        return -ENOENT;
    }
    /* musl does not check symbol versions */
    if (prog->libc == PROGRAM_LIBC_MUSL)
        return 0;
    return check_versions(map, len, prog, why, whysz);
}

/* --- the program --------------------------------------------------------- */

/* The file execvpe would run for name: a path as it is, else the first
 * executable regular file along PATH. */
static bool resolve_command(const char *name, char *const envp[], char *out, size_t outsz)
{
    const char *path = env_lookup(envp, "PATH");
    struct stat st;

    if (strchr(name, '/'))
        return str_copy(out, outsz, name) == 0;
    if (!path)
        path = "/bin:/usr/bin"; /* glibc's default (confstr _CS_PATH) */
    for (const char *p = path;;) {
        size_t n = strcspn(p, ":");
        /* an empty entry is the current directory */
        if (str_printf(out, outsz, "%.*s%s%s", (int)n, p, n ? "/" : "", name) == 0 &&
            stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return true;
        if (!p[n])
            return false;
        p += n + 1;
    }
}

/* The interpreter of a #! line (and, for `env NAME`, NAME) in head. */
static bool shebang(const char *head, char *interp, size_t isz, char *arg, size_t asz)
{
    const char *p = head + 2, *e;

    arg[0] = '\0';
    while (*p == ' ' || *p == '\t')
        p++;
    e = p + strcspn(p, " \t\n");
    if (e == p || str_printf(interp, isz, "%.*s", (int)(e - p), p) < 0)
        return false;
    p = e + strspn(e, " \t");
    e = p + strcspn(p, " \t\n");
    if (e > p)
        (void)str_printf(arg, asz, "%.*s", (int)(e - p), p);
    return true;
}

/* The libc of the ELF file at path, from its PT_INTERP. */
static enum program_libc elf_program_libc(const char *path, struct program_info *p)
{
    void *map = NULL;
    size_t len = 0;
    const char *why = "";
    struct stat st;
    int r;

    if (ldso_map(path, &map, &len, &why) < 0)
        return PROGRAM_LIBC_UNKNOWN;
    r = elf_read_interp(map, len, p->interp, sizeof(p->interp));
    ldso_unmap(map, len);
    if (r == -ENOENT)
        return PROGRAM_LIBC_STATIC;
    /* a loader that is not there: exec fails, as it would without jeinit */
    if (r < 0 || stat(p->interp, &st) < 0)
        return PROGRAM_LIBC_UNKNOWN;
    switch (elf_interp_libc(p->interp)) {
    case ELF_LIBC_GLIBC:
        return PROGRAM_LIBC_GLIBC;
    case ELF_LIBC_MUSL:
        return PROGRAM_LIBC_MUSL;
    case ELF_LIBC_OTHER:
        break;
    }
    return PROGRAM_LIBC_UNKNOWN;
}

void ldso_probe_program(const char *argv0, char *const envp[], struct program_info *p)
{
    char head[256], interp[PATH_MAX], arg[PATH_MAX];
    const char *base;
    bool via_env;
    ssize_t n;

    memset(p, 0, sizeof(*p));
    if (!argv0 || !argv0[0] || !resolve_command(argv0, envp, p->path, sizeof(p->path)))
        goto unknown;
    n = read_file(p->path, head, sizeof(head));
    if (n < 0)
        goto unknown;
    if (n < 4 || memcmp(head, "\177ELF", 4) != 0) {
        /* a script: its interpreter is the program ld.so loads */
        if (n >= 2 && head[0] == '#' && head[1] == '!') {
            if (!shebang(head, interp, sizeof(interp), arg, sizeof(arg)))
                goto unknown;
        } else {
            (void)str_copy(interp, sizeof(interp), "/bin/sh"); /* execvpe's ENOEXEC */
            arg[0] = '\0';
        }
        base = strrchr(interp, '/');
        base = base ? base + 1 : interp;
        /* `#!/usr/bin/env python3`: python3 is what runs */
        via_env = strcmp(base, "env") == 0 && arg[0] && arg[0] != '-' &&
                  resolve_command(arg, envp, p->path, sizeof(p->path));
        if (!via_env && str_copy(p->path, sizeof(p->path), interp) < 0)
            goto unknown;
    }
    p->libc = elf_program_libc(p->path, p);
    if (p->libc != PROGRAM_LIBC_UNKNOWN)
        return;
unknown:
    p->libc = PROGRAM_LIBC_UNKNOWN;
    p->interp[0] = '\0';
}
