/* Unit tests of elfver.c: PT_INTERP, DT_VERNEED and DT_VERDEF read from
 * images built here in each class and byte order (so that ELF32 and
 * big-endian are covered on any machine), the same images damaged, and this
 * system's own libc, loader and jemalloc (skipped when missing). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "slurp.h"
#include "elfver.h"

#define SKIP(...)                                                                                  \
    do {                                                                                           \
        check_count++;                                                                             \
        printf("ok %d - # SKIP ", check_count);                                                    \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

/* --- an image built field by field -------------------------------------- */

#define IMG_SIZE   0x400
#define OFF_INTERP 0x100
#define OFF_STR    0x140
#define OFF_VN     0x240
#define OFF_VD     0x2c0
#define OFF_DYN    0x340

struct builder {
    unsigned char b[IMG_SIZE];
    bool is64, be;
    size_t strsz;
};

static void put(struct builder *im, size_t off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++)
        im->b[off + (im->be ? size - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}

/* Adds s to the string table; its index. */
static uint64_t str(struct builder *im, const char *s)
{
    size_t idx = im->strsz, n = strlen(s) + 1;

    memcpy(im->b + OFF_STR + idx, s, n);
    im->strsz += n;
    return idx;
}

/* A shared object of class is64 and byte order be, loaded at vaddr 0 (file
 * offset = address), needing GLIBC_2.34 and (weak) GLIBC_2.2.5 of
 * libc.so.6, defining libc.so.6's base plus GLIBC_2.2.5, GLIBC_2.31 and
 * GLIBC_2.9, with interpreter interp (NULL: none). */
static void build(struct builder *im, bool is64, bool be, const char *interp)
{
    unsigned w = is64 ? 8 : 4, phent = is64 ? 56 : 32, ehsize = is64 ? 64 : 52;
    size_t ph = ehsize, dyn = OFF_DYN;
    uint64_t libc, v234, v225, v231, v29;
    int nph = 0;

    memset(im, 0, sizeof(*im));
    im->is64 = is64;
    im->be = be;
    im->strsz = 1; /* index 0: the empty string */
    memcpy(im->b, ELFMAG, SELFMAG);
    im->b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
    im->b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
    im->b[EI_VERSION] = EV_CURRENT;
    put(im, 16, 2, ET_DYN);
    put(im, 18, 2, is64 ? EM_X86_64 : EM_386);

    /* program headers: PT_LOAD over the whole image, PT_DYNAMIC, PT_INTERP */
    {
        const struct {
            uint32_t type;
            uint64_t off, size;
        } phs[] = {{PT_LOAD, 0, IMG_SIZE},
                   {PT_DYNAMIC, OFF_DYN, 7 * 2 * (uint64_t)w},
                   {PT_INTERP, OFF_INTERP, interp ? strlen(interp) + 1 : 0}};
        for (size_t i = 0; i < 3; i++) {
            size_t o = ph + (size_t)nph * phent;
            if (phs[i].type == PT_INTERP && !interp)
                continue;
            put(im, o, 4, phs[i].type);
            if (is64) {
                put(im, o + 8, 8, phs[i].off);
                put(im, o + 16, 8, phs[i].off);
                put(im, o + 32, 8, phs[i].size);
                put(im, o + 40, 8, phs[i].size);
            } else {
                put(im, o + 4, 4, phs[i].off);
                put(im, o + 8, 4, phs[i].off);
                put(im, o + 16, 4, phs[i].size);
                put(im, o + 20, 4, phs[i].size);
            }
            nph++;
        }
    }
    put(im, is64 ? 32 : 28, w, ph);
    put(im, is64 ? 54 : 42, 2, phent);
    put(im, is64 ? 56 : 44, 2, (uint64_t)nph);
    if (interp)
        memcpy(im->b + OFF_INTERP, interp, strlen(interp) + 1);

    libc = str(im, "libc.so.6");
    v234 = str(im, "GLIBC_2.34");
    v225 = str(im, "GLIBC_2.2.5");
    v231 = str(im, "GLIBC_2.31");
    v29 = str(im, "GLIBC_2.9");

    /* Verneed: libc.so.6, two Vernaux */
    put(im, OFF_VN, 2, 1);
    put(im, OFF_VN + 2, 2, 2);
    put(im, OFF_VN + 4, 4, libc);
    put(im, OFF_VN + 8, 4, 16);
    put(im, OFF_VN + 12, 4, 0);
    put(im, OFF_VN + 16 + 6, 2, 2);
    put(im, OFF_VN + 16 + 8, 4, v234);
    put(im, OFF_VN + 16 + 12, 4, 16);
    put(im, OFF_VN + 32 + 4, 2, VER_FLG_WEAK);
    put(im, OFF_VN + 32 + 6, 2, 3);
    put(im, OFF_VN + 32 + 8, 4, v225);

    /* Verdef: the base, then three versions; each a Verdef and one Verdaux */
    {
        const uint64_t names[] = {libc, v225, v231, v29};
        for (size_t i = 0; i < 4; i++) {
            size_t o = OFF_VD + i * 28;
            put(im, o, 2, 1);
            put(im, o + 2, 2, i == 0 ? VER_FLG_BASE : 0);
            put(im, o + 4, 2, i + 1);
            put(im, o + 6, 2, 1);
            put(im, o + 12, 4, 20);
            put(im, o + 16, 4, i < 3 ? 28 : 0);
            put(im, o + 20, 4, names[i]);
        }
    }

    /* the dynamic section */
    {
        const uint64_t tags[][2] = {{DT_STRTAB, OFF_STR}, {DT_STRSZ, im->strsz},
                                    {DT_VERNEED, OFF_VN}, {DT_VERNEEDNUM, 1},
                                    {DT_VERDEF, OFF_VD},  {DT_VERDEFNUM, 4}};
        for (size_t i = 0; i < 6; i++) {
            put(im, dyn + i * 2 * w, w, tags[i][0]);
            put(im, dyn + i * 2 * w + w, w, tags[i][1]);
        }
    }
}

static void test_built(bool is64, bool be)
{
    static struct builder im;
    static struct elf_verneed need;
    static struct elf_verdef def;
    const char *what = is64 ? (be ? "ELF64 BE" : "ELF64 LE") : (be ? "ELF32 BE" : "ELF32 LE");
    char interp[64];

    build(&im, is64, be, "/lib/ld-musl-x86_64.so.1");
    CHECK_INT(elf_read_interp(im.b, IMG_SIZE, interp, sizeof(interp)), 0, "%s: interp read", what);
    CHECK_STR(interp, "/lib/ld-musl-x86_64.so.1", "%s: interp", what);
    CHECK_INT(elf_read_interp(im.b, IMG_SIZE, interp, 10), -ENAMETOOLONG,
              "%s: interp longer than the buffer", what);

    CHECK_INT(elf_read_verneed(im.b, IMG_SIZE, &need), 0, "%s: verneed read", what);
    CHECK(need.nfiles == 1 && strcmp(need.f[0].file, "libc.so.6") == 0 && need.f[0].n == 2,
          "%s: one file, libc.so.6, two versions", what);
    CHECK(strcmp(need.f[0].v[0].name, "GLIBC_2.34") == 0 && need.f[0].v[0].index == 2 &&
              !need.f[0].v[0].weak,
          "%s: GLIBC_2.34, index 2, not weak", what);
    CHECK(strcmp(need.f[0].v[1].name, "GLIBC_2.2.5") == 0 && need.f[0].v[1].weak,
          "%s: GLIBC_2.2.5 weak", what);
    CHECK(!need.truncated, "%s: nothing left out", what);

    CHECK_INT(elf_read_verdef(im.b, IMG_SIZE, &def), 0, "%s: verdef read", what);
    CHECK(def.present && def.n == 3, "%s: three versions, the base left out (got %zu)", what,
          def.n);
    CHECK(elf_verdef_has(&def, "GLIBC_2.31") && !elf_verdef_has(&def, "GLIBC_2.34") &&
              !elf_verdef_has(&def, "libc.so.6"),
          "%s: has 2.31, not 2.34, not the soname", what);
    CHECK_STR(elf_verdef_highest(&def, "GLIBC_2.34"), "GLIBC_2.31",
              "%s: highest GLIBC_ is 2.31 (not 2.9, which sorts after it as text)", what);

    build(&im, is64, be, NULL);
    CHECK_INT(elf_read_interp(im.b, IMG_SIZE, interp, sizeof(interp)), -ENOENT,
              "%s: no PT_INTERP: static or a library", what);
}

/* The same image, damaged where a hostile file would be. */
static void test_damaged(void)
{
    static struct builder im;
    static struct elf_verneed need;
    static struct elf_verdef def;
    char interp[64];

    build(&im, true, false, "/lib64/ld-linux-x86-64.so.2");
    for (size_t len = 0; len < IMG_SIZE; len += 7) {
        int a = elf_read_verneed(im.b, len, &need), b = elf_read_verdef(im.b, len, &def);
        int c = elf_read_interp(im.b, len, interp, sizeof(interp));
        if ((a != 0 && a != -ENOEXEC) || (b != 0 && b != -ENOEXEC) ||
            (c != 0 && c != -ENOENT && c != -ENOEXEC)) {
            CHECK(false, "cut at %zu: %d %d %d", len, a, b, c);
            return;
        }
    }
    CHECK(true, "every cut image: a value, never a crash");

    /* Vernaux chain pointing outside */
    put(&im, OFF_VN + 8, 4, 0x7fffffff);
    CHECK_INT(elf_read_verneed(im.b, IMG_SIZE, &need), -ENOEXEC, "vn_aux outside: refused");

    /* a chain that never ends (vn_next 0 missing, counts huge): bounded */
    build(&im, true, false, NULL);
    put(&im, OFF_VN + 2, 2, 0xffff);
    put(&im, OFF_VN + 32 + 12, 4, 0);              /* the last Vernaux ends the inner chain */
    put(&im, OFF_DYN + 3 * 16 + 8, 8, 0xffffffff); /* DT_VERNEEDNUM */
    put(&im, OFF_VN + 12, 4, 0);
    CHECK_INT(elf_read_verneed(im.b, IMG_SIZE, &need), 0, "huge counts: read");
    CHECK_INT(need.f[0].n, 2, "huge vn_cnt: the chain's end (vna_next 0) still ends it");

    /* a name index past the string table: left out, flagged */
    build(&im, true, false, NULL);
    put(&im, OFF_VN + 16 + 8, 4, 5000);
    CHECK_INT(elf_read_verneed(im.b, IMG_SIZE, &need), 0, "bad name index: read");
    CHECK(need.truncated && need.f[0].n == 1, "bad name index: that version left out, flagged");

    /* the string table outside the image */
    build(&im, true, false, NULL);
    put(&im, OFF_DYN + 8, 8, 0x100000);
    CHECK_INT(elf_read_verdef(im.b, IMG_SIZE, &def), -ENOEXEC, "strtab outside: refused");

    /* an unterminated interpreter */
    build(&im, true, false, "/x");
    memset(im.b + OFF_INTERP, 'a', 3);
    CHECK_INT(elf_read_interp(im.b, IMG_SIZE, interp, sizeof(interp)), -ENOEXEC,
              "unterminated PT_INTERP: refused");

    /* not ELF, and a phnum that points past the end */
    CHECK_INT(elf_read_interp((const unsigned char *)"#!/bin/sh\n", 10, interp, 64), -ENOEXEC,
              "a script: not ELF");
    build(&im, true, false, NULL);
    put(&im, 56, 2, 0xffff);
    CHECK_INT(elf_read_verdef(im.b, IMG_SIZE, &def), -ENOEXEC, "phnum past the end: refused");
}

static void test_compare(void)
{
    CHECK(elf_version_compare("GLIBC_2.9", "GLIBC_2.34") < 0, "2.9 < 2.34");
    CHECK(elf_version_compare("GLIBC_2.34", "GLIBC_2.34.1") < 0, "2.34 < 2.34.1");
    CHECK(elf_version_compare("GLIBC_2.2.5", "GLIBC_2.3") < 0, "2.2.5 < 2.3");
    CHECK_INT(elf_version_compare("GLIBC_2.17", "GLIBC_2.17"), 0, "equal");
    CHECK(elf_version_compare("GLIBC_2.17", "GCC_3.0") != 0, "other families differ");
    CHECK(elf_version_compare("GLIBC_99999999999999999999999", "GLIBC_1") > 0,
          "a huge number does not wrap");

    CHECK_INT(elf_interp_libc("/lib64/ld-linux-x86-64.so.2"), ELF_LIBC_GLIBC, "x86-64 glibc");
    CHECK_INT(elf_interp_libc("/lib/ld-linux-aarch64.so.1"), ELF_LIBC_GLIBC, "aarch64 glibc");
    CHECK_INT(elf_interp_libc("/lib/ld-linux.so.2"), ELF_LIBC_GLIBC, "i386 glibc");
    CHECK_INT(elf_interp_libc("/lib/ld64.so.1"), ELF_LIBC_GLIBC, "s390x glibc");
    CHECK_INT(elf_interp_libc("/lib/ld-musl-x86_64.so.1"), ELF_LIBC_MUSL, "musl");
    CHECK_INT(elf_interp_libc("/system/bin/linker64"), ELF_LIBC_OTHER, "bionic: other");
}

/* Debian 12 (glibc 2.36, jemalloc 5.3.0) as shipped. */
static void test_system(void)
{
    static struct elf_verneed need;
    static struct elf_verdef def;
    char interp[256], syms[4][ELFVER_NAME_MAX];
    unsigned char *buf;
    size_t len = 0;

    buf = slurp("/lib/x86_64-linux-gnu/libc.so.6", &len);
    if (!buf) {
        SKIP("no x86-64 libc.so.6");
    } else {
        CHECK(elf_read_verdef(buf, len, &def) == 0 && elf_verdef_has(&def, "GLIBC_2.2.5") &&
                  elf_verdef_has(&def, "GLIBC_2.34") && elf_verdef_has(&def, "GLIBC_PRIVATE"),
              "libc.so.6 defines GLIBC_2.2.5, GLIBC_2.34 and GLIBC_PRIVATE (%zu versions)", def.n);
        free(buf);
    }

    buf = slurp("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", &len);
    if (!buf) {
        SKIP("no libjemalloc.so.2");
    } else {
        const struct elf_version_need *v234 = NULL;
        CHECK_INT(elf_read_verneed(buf, len, &need), 0, "libjemalloc.so.2: verneed read");
        for (size_t i = 0; i < need.nfiles; i++)
            for (size_t j = 0; j < need.f[i].n; j++)
                if (strcmp(need.f[i].file, "libc.so.6") == 0 &&
                    strcmp(need.f[i].v[j].name, "GLIBC_2.34") == 0)
                    v234 = &need.f[i].v[j];
        CHECK(v234 != NULL, "libjemalloc.so.2 needs GLIBC_2.34 of libc.so.6 (issue 10)");
        CHECK(v234 && elf_version_symbols(buf, len, v234->index, syms, 4) >= 1,
              "and names the symbols that need it (%s...)", v234 ? syms[0] : "");
        free(buf);
    }

    buf = slurp("/bin/true", &len);
    if (!buf) {
        SKIP("no /bin/true");
    } else {
        CHECK(elf_read_interp(buf, len, interp, sizeof(interp)) == 0 &&
                  elf_interp_libc(interp) == ELF_LIBC_GLIBC,
              "/bin/true runs on glibc (%s)", interp);
        free(buf);
    }
}

int main(void)
{
    test_built(true, false);
    test_built(true, true);
    test_built(false, false);
    test_built(false, true);
    test_damaged();
    test_compare();
    test_system();
    return check_done();
}
