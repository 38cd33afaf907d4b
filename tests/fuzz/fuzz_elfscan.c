/* fuzz_elfscan.c - libFuzzer harness for elf_check_shared_object,
 * jemalloc_version_scan and ldcache_lookup, on an exact-size copy of the
 * input (so that any read past it is an ASan report). Results are checked
 * against the bytes: an accepted header has the fields this build needs, a
 * version found is in the buffer, a path found is a NUL-terminated string of
 * the cache. */
#include "elfscan.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void check_elf(const unsigned char *buf, size_t len)
{
    const char *why = NULL;
    int r = elf_check_shared_object(buf, len, &why);
    uint16_t type, machine;

    INVARIANT(r == 0 || r == -ENOEXEC);
    if (r < 0) {
        INVARIANT(why != NULL && why[0] != '\0');
        return;
    }
    INVARIANT(len >= 20 && memcmp(buf, ELFMAG, SELFMAG) == 0);
    INVARIANT(buf[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32));
    memcpy(&type, buf + 16, 2);
    memcpy(&machine, buf + 18, 2);
    INVARIANT(type == ET_DYN);
#if defined(__x86_64__)
    INVARIANT(buf[EI_DATA] == ELFDATA2LSB && machine == EM_X86_64);
#endif
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The value of the 1-4 digits ending just before *end, moving *end to their
 * start; -1 when there are none. */
static int digits_before(const unsigned char *buf, size_t *end)
{
    int v = 0, mult = 1, n = 0;

    while (*end > 0 && n < 4 && buf[*end - 1] >= '0' && buf[*end - 1] <= '9') {
        v += (buf[--*end] - '0') * mult;
        mult *= 10;
        n++;
    }
    return n ? v : -1;
}

/* The first "MAJ.MIN.PATCH-N-g<40 hex>" that ends in a NUL or at the
 * buffer's end (numbers of up to 4 digits: their last 4 for the major). */
static bool first_version(const unsigned char *buf, size_t len, int out[3])
{
    for (size_t g = 0; g + 42 <= len; g++) {
        size_t e = g, h = 0;
        int v[4];

        if (buf[g] != '-' || buf[g + 1] != 'g' || (g + 42 < len && buf[g + 42] != '\0'))
            continue;
        while (h < 40 && is_hex(buf[g + 2 + h]))
            h++;
        if (h != 40)
            continue;
        v[3] = digits_before(buf, &e); /* commits since the tag */
        if (v[3] < 0 || e == 0 || buf[--e] != '-')
            continue;
        v[2] = digits_before(buf, &e);
        if (v[2] < 0 || e == 0 || buf[--e] != '.')
            continue;
        v[1] = digits_before(buf, &e);
        if (v[1] < 0 || e == 0 || buf[--e] != '.')
            continue;
        v[0] = digits_before(buf, &e);
        if (v[0] < 0)
            continue;
        memcpy(out, v, 3 * sizeof(int));
        return true;
    }
    return false;
}

static void check_version(const unsigned char *buf, size_t len)
{
    int major = -7, minor = -7, patch = -7, want[3];
    int r = jemalloc_version_scan(buf, len, &major, &minor, &patch);

    INVARIANT(r == 0 || r == -ENOENT);
    INVARIANT((r == 0) == first_version(buf, len, want));
    if (r < 0) {
        INVARIANT(major == -7 && minor == -7 && patch == -7);
        return;
    }
    INVARIANT(major == want[0] && minor == want[1] && patch == want[2]);
}

static void check_ldcache(const unsigned char *buf, size_t len, const char *name, size_t outsz)
{
    char out[4096];
    int r;

    memset(out, 0x5a, sizeof(out));
    r = ldcache_lookup(buf, len, name, out, outsz);
    INVARIANT(r == 0 || r == -ENOENT || r == -EINVAL || r == -ENAMETOOLONG);
    if (r != -EINVAL)
        INVARIANT(memmem(buf, len, "glibc-ld.so.cache1.1", 20) != NULL);
    if (r != 0)
        return;
    size_t n = strnlen(out, outsz);
    INVARIANT(n < outsz);
    /* the path is a NUL-terminated string inside the cache, the name too */
    INVARIANT(memmem(buf, len, out, n + 1) != NULL);
    INVARIANT(memmem(buf, len, name, strlen(name) + 1) != NULL);
}

/* elf_read_dynamic: every name NUL-terminated, non-empty, within bounds */
static void check_dynamic(const unsigned char *buf, size_t size)
{
    struct elf_dynamic d;
    int r = elf_read_dynamic(buf, size, &d);

    if (r != 0 && r != -ENOEXEC)
        abort();
    if (d.nneeded > ELF_NEEDED_MAX)
        abort();
    for (size_t i = 0; i < d.nneeded; i++) {
        size_t n = strnlen(d.needed[i], ELF_NAME_MAX);
        if (n == 0 || n >= ELF_NAME_MAX)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"libjemalloc.so.2", "libc.so.6", "a"};
    unsigned char *buf = malloc(size ? size : 1);
    size_t outsz;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    check_elf(buf, size);
    check_dynamic(buf, size);
    check_version(buf, size);
    for (size_t i = 0; i < 2; i++) {
        int r = elf_defines_symbol(buf, size, i ? "malloc" : "x");
        INVARIANT(r == 0 || r == 1 || r == -ENOEXEC);
    }
    outsz = size ? (size_t)data[size - 1] % 64 + 1 : 1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        check_ldcache(buf, size, names[i], 4096);
        check_ldcache(buf, size, names[i], outsz);
    }
    free(buf);
    return 0;
}
