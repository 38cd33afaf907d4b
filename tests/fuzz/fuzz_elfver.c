/* fuzz_elfver.c - libFuzzer harness for elfver.c (PT_INTERP, DT_VERNEED,
 * DT_VERDEF, a version's symbols, version ordering) on an exact-size copy of
 * the input, so that any read past it is an ASan report. What comes back is
 * checked against the bytes: every name is a non-empty NUL-terminated string
 * that the image holds, counts stay within their bounds, the highest version
 * is one of those defined and none of its family is higher, and the ordering
 * is antisymmetric. */
#include "elfver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* A name as the parsers return it: non-empty, terminated within max, and a
 * NUL-terminated string of the image. */
static void check_name(const unsigned char *buf, size_t len, const char *name, size_t max)
{
    size_t n = strnlen(name, max);

    INVARIANT(n > 0 && n < max);
    INVARIANT(memmem(buf, len, name, n + 1) != NULL);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void check_versions(const unsigned char *buf, size_t len)
{
    static struct elf_verneed need;
    static struct elf_verdef def;
    char syms[4][ELFVER_NAME_MAX];
    int r;

    r = elf_read_verneed(buf, len, &need);
    INVARIANT(r == 0 || r == -ENOEXEC);
    INVARIANT(need.nfiles <= ELFVER_FILES_MAX);
    for (size_t i = 0; r == 0 && i < need.nfiles; i++) {
        check_name(buf, len, need.f[i].file, ELFVER_NAME_MAX);
        INVARIANT(need.f[i].n <= ELFVER_NEEDS_MAX);
        for (size_t j = 0; j < need.f[i].n; j++) {
            const struct elf_version_need *v = &need.f[i].v[j];
            size_t got = elf_version_symbols(buf, len, v->index, syms, 4);
            check_name(buf, len, v->name, ELFVER_NAME_MAX);
            INVARIANT(v->index <= 0x7fff && got <= 4);
            for (size_t k = 0; k < got; k++)
                check_name(buf, len, syms[k], ELFVER_NAME_MAX);
        }
    }

    r = elf_read_verdef(buf, len, &def);
    INVARIANT(r == 0 || r == -ENOEXEC);
    INVARIANT(def.n <= ELFVER_DEFS_MAX);
    INVARIANT(def.present || def.n == 0);
    for (size_t i = 0; r == 0 && i < def.n; i++) {
        const char *hi = elf_verdef_highest(&def, def.name[i]);
        check_name(buf, len, def.name[i], ELFVER_NAME_MAX);
        INVARIANT(elf_verdef_has(&def, def.name[i]));
        if (!hi)
            continue;
        INVARIANT(elf_verdef_has(&def, hi));
        /* no other version of the family sorts above the highest */
        for (size_t j = 0; j < def.n; j++)
            if (elf_verdef_highest(&def, def.name[j]) == hi)
                INVARIANT(elf_version_compare(def.name[j], hi) <= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    char interp[64];
    size_t outsz = size ? (size_t)data[size - 1] % sizeof(interp) + 1 : 1;
    int r;

    if (!buf)
        return 0;
    memcpy(buf, data, size);

    r = elf_read_interp(buf, size, interp, outsz);
    INVARIANT(r == 0 || r == -ENOENT || r == -ENOEXEC || r == -ENAMETOOLONG);
    if (r == 0) {
        check_name(buf, size, interp, outsz);
        (void)elf_interp_libc(interp);
    }
    check_versions(buf, size);

    /* the ordering, on two strings cut from the input */
    {
        char a[32] = {0}, b[32] = {0};
        size_t half = size / 2;
        memcpy(a, data, half < sizeof(a) - 1 ? half : sizeof(a) - 1);
        memcpy(b, data + half, size - half < sizeof(b) - 1 ? size - half : sizeof(b) - 1);
        INVARIANT(sign(elf_version_compare(a, b)) == -sign(elf_version_compare(b, a)));
        INVARIANT(elf_version_compare(a, a) == 0);
    }
    free(buf);
    return 0;
}
