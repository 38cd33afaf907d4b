/* Unit tests of elfscan.c: ELF header checks, jemalloc's version string and
 * ld.so.cache lookups, on this system's files and on crafted bytes. Tests
 * that need a system file skip when it is missing. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "slurp.h"
#include "elfscan.h"
#include "util.h"

#define LIBJEMALLOC "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"

#define SKIP(...)                                                                                  \
    do {                                                                                           \
        check_count++;                                                                             \
        printf("ok %d - # SKIP ", check_count);                                                    \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

/* A 64-bit little-endian x86-64 header of the given type, in a 64-byte buffer. */
static void elf_header(unsigned char *h, unsigned char cls, unsigned char data, uint16_t type,
                       uint16_t machine)
{
    memset(h, 0, 64);
    memcpy(h, ELFMAG, SELFMAG);
    h[EI_CLASS] = cls;
    h[EI_DATA] = data;
    h[EI_VERSION] = EV_CURRENT;
    memcpy(h + 16, &type, 2);
    memcpy(h + 18, &machine, 2);
}

static void test_elf_real_files(void)
{
    const char *why = NULL;
    unsigned char *buf;
    size_t len = 0;
    int major = -1, minor = -1, patch = -1;

    buf = slurp(LIBJEMALLOC, &len);
    if (!buf) {
        SKIP("%s not installed", LIBJEMALLOC);
        SKIP("jemalloc version");
    } else {
        CHECK_INT(elf_check_shared_object(buf, len, &why), 0, "libjemalloc.so.2 is loadable");
        CHECK(jemalloc_version_scan(buf, len, &major, &minor, &patch) == 0 && major == 5 &&
                  minor == 3 && patch == 0,
              "libjemalloc.so.2 is 5.3.0 (got %d.%d.%d)", major, minor, patch);
        CHECK_INT(elf_check_shared_object(buf, 19, &why), -ENOEXEC,
                  "its first 19 bytes are too few");
        CHECK_INT(elf_check_shared_object(buf, 20, &why), 0,
                  "its first 20 bytes (through e_machine) are enough");
        CHECK_INT(elf_check_shared_object(buf, 4, &why), -ENOEXEC, "4 bytes: too few");
        CHECK_INT(elf_check_shared_object(buf, 0, &why), -ENOEXEC, "0 bytes: too few");
        free(buf);
    }

    /* A PIE executable is ET_DYN as well: the header check accepts it,
     * though ld.so refuses to preload it ("cannot dynamically load
     * position-independent executable"). The version scan is what tells
     * jeinit that it holds no jemalloc. */
    buf = slurp("/bin/true", &len);
    if (!buf) {
        SKIP("/bin/true unreadable");
        SKIP("/bin/true version");
    } else {
        CHECK_INT(elf_check_shared_object(buf, len, &why), 0,
                  "/bin/true (a PIE) passes the header check");
        CHECK_INT(jemalloc_version_scan(buf, len, &major, &minor, &patch), -ENOENT,
                  "/bin/true holds no jemalloc version");
        free(buf);
    }

    static const unsigned char text[] = "# a shell script, or a README\nexit 0\n";
    why = NULL;
    CHECK_INT(elf_check_shared_object(text, sizeof(text) - 1, &why), -ENOEXEC, "a text file");
    CHECK_STR(why, "not an ELF file", "a text file: not ELF");
}

static void test_elf_crafted(void)
{
    static const struct {
        const char *what;
        unsigned char cls, data;
        uint16_t type, machine;
        int ret;
        const char *why_has;
    } cases[] = {
        {"x86-64 ET_DYN", ELFCLASS64, ELFDATA2LSB, ET_DYN, EM_X86_64, 0, NULL},
        {"32-bit", ELFCLASS32, ELFDATA2LSB, ET_DYN, EM_386, -ENOEXEC, "32-bit"},
        {"big-endian", ELFCLASS64, ELFDATA2MSB, ET_DYN, EM_X86_64, -ENOEXEC, "byte order"},
        {"ET_EXEC", ELFCLASS64, ELFDATA2LSB, ET_EXEC, EM_X86_64, -ENOEXEC, "not a shared object"},
        {"ET_REL", ELFCLASS64, ELFDATA2LSB, ET_REL, EM_X86_64, -ENOEXEC, "not a shared object"},
        {"ET_CORE", ELFCLASS64, ELFDATA2LSB, ET_CORE, EM_X86_64, -ENOEXEC, "not a shared object"},
        {"aarch64", ELFCLASS64, ELFDATA2LSB, ET_DYN, EM_AARCH64, -ENOEXEC, "architecture"},
        {"class none", ELFCLASSNONE, ELFDATA2LSB, ET_DYN, EM_X86_64, -ENOEXEC, "bit"},
    };
    unsigned char h[64];

#if !defined(__x86_64__)
    SKIP("crafted headers are x86-64's");
    return;
#endif
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;
        elf_header(h, cases[i].cls, cases[i].data, cases[i].type, cases[i].machine);
        CHECK_INT(elf_check_shared_object(h, sizeof(h), &why), cases[i].ret, "%s", cases[i].what);
        if (cases[i].why_has)
            CHECK(why && strstr(why, cases[i].why_has), "%s: why says '%s': %s", cases[i].what,
                  cases[i].why_has, why ? why : "(null)");
    }
    elf_header(h, ELFCLASS64, ELFDATA2LSB, ET_DYN, EM_X86_64);
    h[3] = 'f';
    CHECK_INT(elf_check_shared_object(h, sizeof(h), &(const char *){NULL}), -ENOEXEC, "bad magic");
}

#define SHA40 "54eaed1d8b56b1aa528be3bdd1877e59c56fa90c"

static int scan(const char *bytes, size_t len, int *v)
{
    return jemalloc_version_scan((const unsigned char *)bytes, len, &v[0], &v[1], &v[2]);
}

static void test_version_crafted(void)
{
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
        int ret, major, minor, patch;
    } cases[] = {
#define C(w, s, r, a, b, c) {w, s, sizeof(s) - 1, r, a, b, c}
        C("at the very start", "5.3.0-0-g" SHA40 "\0tail", 0, 5, 3, 0),
        C("at the very end, NUL",
          "head\0"
          "5.2.1-0-g" SHA40 "\0",
          0, 5, 2, 1),
        C("at the very end, no NUL",
          "head\0"
          "5.1.0-0-g" SHA40,
          0, 5, 1, 0),
        C("multi-digit", "xx10.20.30-400-g" SHA40, 0, 10, 20, 30),
        C("dev build",
          "\0"
          "5.3.0-196-g" SHA40 "\0",
          0, 5, 3, 0),
        C("39 hex",
          "5.3.0-0-g"
          "54eaed1d8b56b1aa528be3bdd1877e59c56fa90"
          "\0",
          -ENOENT, 0, 0, 0),
        C("41 hex", "5.3.0-0-g" SHA40 "0\0", -ENOENT, 0, 0, 0),
        C("upper-case hex", "5.3.0-0-g54EAED1D8B56B1AA528BE3BDD1877E59C56FA90C\0", -ENOENT, 0, 0,
          0),
        C("no patch", "5.3-0-g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("no count", "5.3.0-g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("no g", "5.3.0-0-" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("dots for dashes", "5.3.0.0.g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("no major", ".3.0-0-g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("letters for numbers", "a.b.c-0-g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("5-digit count", "5.3.0-12345-g" SHA40 "\0", -ENOENT, 0, 0, 0),
        C("a near miss, then the real one",
          "4.5.0-0-g"
          "54eaed1d8b56b1aa528be3bdd1877e59c56fa9x"
          "\0"
          "5.3.0-0-g" SHA40 "\0",
          0, 5, 3, 0),
        C("the first of two",
          "4.5.0-0-g" SHA40 "\0"
          "5.3.0-0-g" SHA40 "\0",
          0, 4, 5, 0),
        C("empty", "", -ENOENT, 0, 0, 0),
        C("one short",
          "5.3.0-0-g"
          "54eaed1d8b56b1aa528be3bdd1877e59c56fa90",
          -ENOENT, 0, 0, 0),
#undef C
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int v[3] = {-1, -1, -1};
        int r = scan(cases[i].bytes, cases[i].len, v);
        CHECK_INT(r, cases[i].ret, "version %s: %d", cases[i].what, cases[i].ret);
        if (cases[i].ret == 0)
            CHECK(v[0] == cases[i].major && v[1] == cases[i].minor && v[2] == cases[i].patch,
                  "version %s: %d.%d.%d (got %d.%d.%d)", cases[i].what, cases[i].major,
                  cases[i].minor, cases[i].patch, v[0], v[1], v[2]);
        else
            CHECK(v[0] == -1 && v[1] == -1 && v[2] == -1, "version %s: outputs untouched",
                  cases[i].what);
    }
}

static void test_ldcache_real(void)
{
    unsigned char *buf;
    size_t len = 0;
    char path[PATH_MAX], tiny[8];

    buf = slurp("/etc/ld.so.cache", &len);
    if (!buf) {
        SKIP("no /etc/ld.so.cache");
        return;
    }
    if (access(LIBJEMALLOC, F_OK) == 0) {
        CHECK_INT(ldcache_lookup(buf, len, "libjemalloc.so.2", path, sizeof(path)), 0,
                  "libjemalloc.so.2 in ld.so.cache");
        CHECK(access(path, F_OK) == 0 && strstr(path, "/libjemalloc.so.2"), "the path exists: %s",
              path);
    } else {
        SKIP("libjemalloc not installed");
    }
    CHECK_INT(ldcache_lookup(buf, len, "libc.so.6", path, sizeof(path)), 0,
              "libc.so.6 in ld.so.cache");
    CHECK(access(path, F_OK) == 0, "the path exists: %s", path);
    CHECK_INT(ldcache_lookup(buf, len, "libnothing-here.so.9", path, sizeof(path)), -ENOENT,
              "an unknown library: -ENOENT");
    CHECK_INT(ldcache_lookup(buf, len, "libc.so.", path, sizeof(path)), -ENOENT,
              "a prefix of a name is not the name");
    CHECK_INT(ldcache_lookup(buf, len, "libc.so.6", tiny, sizeof(tiny)), -ENAMETOOLONG,
              "a path longer than out: -ENAMETOOLONG");
    CHECK_INT(ldcache_lookup(buf, 47, "libc.so.6", path, sizeof(path)), -EINVAL,
              "cut inside the header: -EINVAL");
    CHECK_INT(ldcache_lookup(buf, 48 + 24, "libc.so.6", path, sizeof(path)), -EINVAL,
              "cut inside the entries: -EINVAL");
    free(buf);
}

/* A minimal "glibc-ld.so.cache1.1" image: header, entries, strings. */
struct cache {
    unsigned char b[1024];
    size_t len, base, nlibs, strings;
};

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void cache_init(struct cache *c, size_t base, size_t nlibs)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->b + base, "glibc-ld.so.cache1.1", 20);
    put32(c->b + base + 20, (uint32_t)nlibs);
    c->base = base;
    c->strings = 48 + 24 * nlibs;
    c->len = base + c->strings;
}

/* Entry i: flags, and the strings key and value appended to the string table. */
static void cache_entry(struct cache *c, size_t i, uint32_t flags, const char *key,
                        const char *value)
{
    unsigned char *e = c->b + c->base + 48 + 24 * i;
    size_t k = c->len - c->base, v = k + strlen(key) + 1;

    put32(e, flags);
    put32(e + 4, (uint32_t)k);
    put32(e + 8, (uint32_t)v);
    memcpy(c->b + c->len, key, strlen(key) + 1);
    memcpy(c->b + c->base + v, value, strlen(value) + 1);
    c->len = c->base + v + strlen(value) + 1;
    if (c->nlibs < i + 1)
        c->nlibs = i + 1;
}

#define X8664_FLAGS 0x0303
#define I386_FLAGS  0x0003

static int lookup(const struct cache *c, size_t len, const char *name, char *out, size_t outsz)
{
    return ldcache_lookup(c->b, len, name, out, outsz);
}

static void test_ldcache_crafted(void)
{
    static struct cache c;
    char path[256];

#if !defined(__x86_64__)
    SKIP("crafted caches use x86-64 flags");
    return;
#endif
    cache_init(&c, 0, 2);
    cache_entry(&c, 0, I386_FLAGS, "libjemalloc.so.2", "/usr/lib/i386-linux-gnu/libjemalloc.so.2");
    cache_entry(&c, 1, X8664_FLAGS, "libjemalloc.so.2", "/opt/lib64/libjemalloc.so.2");
    CHECK_INT(lookup(&c, c.len, "libjemalloc.so.2", path, sizeof(path)), 0, "crafted cache");
    CHECK_STR(path, "/opt/lib64/libjemalloc.so.2", "the entry of this architecture, not i386's");
    CHECK_INT(lookup(&c, c.len, "libfoo.so", path, sizeof(path)), -ENOENT, "absent: -ENOENT");
    CHECK_INT(lookup(&c, c.len, "libjemalloc.so.2", path, strlen("/opt/lib64/libjemalloc.so.2")),
              -ENAMETOOLONG, "no room for the NUL: -ENAMETOOLONG");
    CHECK_INT(
        lookup(&c, c.len, "libjemalloc.so.2", path, strlen("/opt/lib64/libjemalloc.so.2") + 1), 0,
        "exactly enough room");
    CHECK_INT(lookup(&c, c.len - 1, "libjemalloc.so.2", path, sizeof(path)), -ENOENT,
              "value cut before its NUL: skipped");
    CHECK_INT(lookup(&c, c.base + 48 + 48 + 3, "libjemalloc.so.2", path, sizeof(path)), -ENOENT,
              "strings cut off: the offsets are out of range, skipped");
    CHECK_INT(lookup(&c, c.base + 48 + 24, "libjemalloc.so.2", path, sizeof(path)), -EINVAL,
              "entries cut off: -EINVAL");
    CHECK_INT(lookup(&c, 20, "libjemalloc.so.2", path, sizeof(path)), -EINVAL,
              "magic alone: -EINVAL");
    CHECK_INT(lookup(&c, 0, "libjemalloc.so.2", path, sizeof(path)), -EINVAL, "empty: -EINVAL");

    /* out-of-range offsets */
    cache_init(&c, 0, 1);
    cache_entry(&c, 0, X8664_FLAGS, "libz.so.1", "/lib/libz.so.1");
    put32(c.b + 48 + 4, 0xffffffffu);
    CHECK_INT(lookup(&c, c.len, "libz.so.1", path, sizeof(path)), -ENOENT,
              "key offset 0xffffffff: skipped");
    cache_init(&c, 0, 1);
    cache_entry(&c, 0, X8664_FLAGS, "libz.so.1", "/lib/libz.so.1");
    put32(c.b + 48 + 8, (uint32_t)c.len);
    CHECK_INT(lookup(&c, c.len, "libz.so.1", path, sizeof(path)), -ENOENT,
              "value offset at the end: skipped");
    put32(c.b + 20, 0x7fffffffu);
    CHECK_INT(lookup(&c, c.len, "libz.so.1", path, sizeof(path)), -EINVAL,
              "nlibs larger than the file: -EINVAL");

    /* after the old format, at a 4-byte boundary */
    cache_init(&c, 16, 1);
    memcpy(c.b, "ld.so-1.7.0", 12);
    cache_entry(&c, 0, X8664_FLAGS, "libjemalloc.so.2", "/usr/lib/libjemalloc.so.2");
    CHECK(lookup(&c, c.len, "libjemalloc.so.2", path, sizeof(path)) == 0 &&
              strcmp(path, "/usr/lib/libjemalloc.so.2") == 0,
          "new format after the old one: offsets from the new header");
    memcpy(c.b + 16, "glibc-ld.so.cache1.0", 20);
    CHECK_INT(lookup(&c, c.len, "libjemalloc.so.2", path, sizeof(path)), -EINVAL,
              "another version: -EINVAL");

    cache_init(&c, 0, 0);
    CHECK_INT(lookup(&c, c.len, "libjemalloc.so.2", path, sizeof(path)), -ENOENT,
              "no entries: -ENOENT");
}

static void test_dynamic(void)
{
    static unsigned char buf[1 << 22];
    struct elf_dynamic d;
    ssize_t n = read_file("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", (char *)buf, sizeof(buf));
    bool stdcxx = false;

    CHECK(n > 0 && elf_read_dynamic(buf, (size_t)n, &d) == 0, "libjemalloc's dynamic section read");
    for (size_t i = 0; i < d.nneeded; i++)
        stdcxx |= strcmp(d.needed[i], "libstdc++.so.6") == 0;
    CHECK(stdcxx && !d.pie, "libjemalloc needs libstdc++.so.6 and is not an executable");
    n = read_file("/bin/true", (char *)buf, sizeof(buf));
    CHECK(n > 0 && elf_read_dynamic(buf, (size_t)n, &d) == 0 && d.pie,
          "/bin/true is a position-independent executable");
    CHECK(d.nneeded == 1 && strcmp(d.needed[0], "libc.so.6") == 0, "/bin/true needs libc.so.6");
    CHECK(elf_read_dynamic(buf, 40, &d) == -ENOEXEC, "a truncated header is refused");
    buf[0] = 'X';
    CHECK(elf_read_dynamic(buf, (size_t)n, &d) == -ENOEXEC, "not ELF: refused");
    memset(buf, 0, 128);
    CHECK(elf_read_dynamic((const unsigned char *)"", 0, &d) == -ENOEXEC, "empty: refused");
}

/* A library with section headers: the version in .rodata is the one read,
 * not a lookalike elsewhere in the file (as in a comment or a debug string). */
static void test_version_in_rodata(void)
{
    enum { RODATA = 512, STRTAB = 640, SHDRS = 704, SIZE = SHDRS + 3 * sizeof(Elf64_Shdr) };
    static const char decoy[] = "9.9.9-0-g0123456789abcdef0123456789abcdef01234567";
    static const char real[] = "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c";
    static const char names[] = "\0.rodata\0.shstrtab";
    unsigned char buf[SIZE];
    Elf64_Ehdr eh;
    Elf64_Shdr sh[3];
    int v[3] = {-1, -1, -1};

    memset(buf, 0, sizeof(buf));
    memset(&eh, 0, sizeof(eh));
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_DYN;
    eh.e_shoff = SHDRS;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    eh.e_shstrndx = 2;
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + 128, decoy, sizeof(decoy)); /* before .rodata, in file order */
    memcpy(buf + RODATA, real, sizeof(real));
    memcpy(buf + STRTAB, names, sizeof(names));
    memset(sh, 0, sizeof(sh));
    sh[1] = (Elf64_Shdr){
        .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_offset = RODATA, .sh_size = sizeof(real)};
    sh[2] = (Elf64_Shdr){
        .sh_name = 9, .sh_type = SHT_STRTAB, .sh_offset = STRTAB, .sh_size = sizeof(names)};
    memcpy(buf + SHDRS, sh, sizeof(sh));
    CHECK(jemalloc_version_scan(buf, sizeof(buf), &v[0], &v[1], &v[2]) == 0 && v[0] == 5 &&
              v[1] == 3 && v[2] == 0,
          "the version in .rodata, not the lookalike before it (got %d.%d.%d)", v[0], v[1], v[2]);
    /* .rodata without it: the whole file after all */
    memset(buf + RODATA, 'x', sizeof(real));
    CHECK(jemalloc_version_scan(buf, sizeof(buf), &v[0], &v[1], &v[2]) == 0 && v[0] == 9,
          "no version in .rodata: the whole file is scanned");
    /* section headers out of bounds: the whole file */
    CHECK(jemalloc_version_scan(buf, SHDRS + 10, &v[0], &v[1], &v[2]) == 0 && v[0] == 9,
          "truncated section headers: the whole file is scanned");
}

/* jemalloc_prof_scan on the real libraries: jeinit's own (--enable-prof),
 * Debian's libjemalloc2 (built with prof too), libc (no), and a jemalloc
 * built without prof when JEINIT_NOPROF_JEMALLOC names one (tests/bench and
 * heapprof.bats build it from the same source: configure without
 * --enable-prof). prof:true on the last prints "Invalid conf pair" in every
 * process, so a wrong 1 there is the failure that matters. */
static void test_prof_scan_real(void)
{
    const char *build = getenv("JEINIT_BUILD");
    const char *noprof = getenv("JEINIT_NOPROF_JEMALLOC");
    char own[PATH_MAX];
    struct {
        const char *path;
        int want;
    } libs[] = {{own, 1}, {LIBJEMALLOC, 1}, {"/lib/x86_64-linux-gnu/libc.so.6", 0}, {noprof, 0}};

    (void)snprintf(own, sizeof(own), "%s/libjemalloc.so.2", build && *build ? build : "build");
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        size_t len = 0;
        unsigned char *b = libs[i].path ? slurp(libs[i].path, &len) : NULL;
        if (!b) {
            SKIP("prof scan: %s not there", libs[i].path ? libs[i].path : "JEINIT_NOPROF_JEMALLOC");
            continue;
        }
        CHECK_INT(jemalloc_prof_scan(b, len), libs[i].want, "prof scan: %s %s", libs[i].path,
                  libs[i].want ? "has profiling" : "has no profiling");
        /* jeinit's own build alone exports jeinit_hook_install */
        CHECK_INT(jemalloc_own_scan(b, len), i == 0, "own scan: %s %s", libs[i].path,
                  i == 0 ? "is jeinit's" : "is not jeinit's");
        free(b);
    }
    {
        static const unsigned char half[] = "xx heap_v2/%lu yy";
        static const unsigned char both[] = "heap_v2/%lu\0\nMAPPED_LIBRARIES:\n";
        CHECK_INT(jemalloc_prof_scan(half, sizeof(half)), 0,
                  "prof scan: the header alone is not enough");
        CHECK_INT(jemalloc_prof_scan(both, sizeof(both)), 1, "prof scan: both strings, no ELF: 1");
        CHECK_INT(jemalloc_prof_scan(NULL, 0), 0, "prof scan: nothing: 0");
        CHECK_INT(jemalloc_own_scan((const unsigned char *)"jeinit_hook_installed", 22), 0,
                  "own scan: the name, not a prefix");
        CHECK_INT(jemalloc_own_scan(NULL, 0), 0, "own scan: nothing: 0");
    }
}

int main(void)
{
    test_prof_scan_real();
    test_elf_real_files();
    test_version_in_rodata();
    test_elf_crafted();
    test_version_crafted();
    test_ldcache_real();
    test_ldcache_crafted();
    test_dynamic();
    /* elf_defines_symbol: what an LD_PRELOAD entry defines for ld.so */
    {
        static const char *const with_malloc[] = {LIBJEMALLOC, "/lib/x86_64-linux-gnu/libc.so.6"};
        size_t n = 0;
        unsigned char *m = slurp("/lib/x86_64-linux-gnu/libm.so.6", &n);

        for (size_t i = 0; i < 2; i++) {
            size_t len = 0;
            unsigned char *b = slurp(with_malloc[i], &len);
            CHECK(b && elf_defines_symbol(b, len, "malloc") == 1, "%s defines malloc",
                  with_malloc[i]);
            CHECK(b && elf_defines_symbol(b, len, "mallo") == 0, "%s: no prefix match",
                  with_malloc[i]);
            CHECK(b && elf_defines_symbol(b, len / 2, "malloc") == -ENOEXEC,
                  "%s cut in half: -ENOEXEC (the section headers are at the end)", with_malloc[i]);
            free(b);
        }
        CHECK(m && elf_defines_symbol(m, n, "malloc") == 0,
              "libm calls malloc but does not define it");
        CHECK(m && elf_defines_symbol(m, 10, "malloc") == -ENOEXEC, "10 bytes: -ENOEXEC");
        free(m);
    }
    return check_done();
}
