/* Unit tests of symtab.c: functions named from ELF symbol tables, on this
 * test's own executable (.symtab: it is built with its symbols) and on libc
 * (.dynsym), through the file offsets /proc/self/maps gives, as jemalloc's
 * dumps do; and on crafted or cut images. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "slurp.h"
#include "symtab.h"

__attribute__((noinline)) int symtab_test_distinctive_function(int x);
__attribute__((noinline)) int symtab_test_distinctive_function(int x)
{
    return x * 3 + 1;
}

/* The file and the file offset of a code address, from /proc/self/maps. */
static int where(uintptr_t addr, char *path, size_t pathsz, uint64_t *off)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 128];
    int found = -1;

    if (!f)
        return -1;
    while (found < 0 && fgets(line, sizeof(line), f)) {
        unsigned long start, end, offset;
        char perms[8], p[PATH_MAX];
        p[0] = '\0';
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms, &offset, p) < 4)
            continue;
        if (addr >= start && addr < end && p[0] == '/') {
            (void)snprintf(path, pathsz, "%s", p);
            *off = addr - start + offset;
            found = 0;
        }
    }
    (void)fclose(f);
    return found;
}

static void test_own_function(void)
{
    char path[PATH_MAX], name[128];
    uint64_t off = 0;
    size_t len = 0;
    unsigned char *buf;
    struct symtab_hit hit;
    uintptr_t addr = (uintptr_t)&symtab_test_distinctive_function + 1;

    CHECK(symtab_test_distinctive_function(1) == 4, "the function runs");
    if (where(addr, path, sizeof(path), &off) < 0 || !(buf = slurp(path, &len))) {
        CHECK(0, "this test's own mapping found in /proc/self/maps");
        return;
    }
    CHECK_INT(symtab_lookup(buf, len, off, name, sizeof(name), &hit), 0,
              "an address in this test's function is named");
    CHECK_STR(name, "symtab_test_distinctive_function", "by its name");
    CHECK_U64(hit.offset, 1, "1 byte into it");
    CHECK_STR(hit.table, ".symtab", "from .symtab (the executable keeps its symbols)");
    CHECK_INT(symtab_lookup(buf, len, off, name, 8, &hit), 0, "a short buffer: still found");
    CHECK_STR(name, "symtab_", "the name cut to fit");
    CHECK_INT(symtab_lookup(buf, len / 3, off, name, sizeof(name), &hit) < 0, 1,
              "the file cut: no name (the section headers are at the end)");
    CHECK_INT(symtab_lookup(buf, len, (uint64_t)len + 100, name, sizeof(name), &hit), -ENOENT,
              "an offset outside every segment: -ENOENT");
    free(buf);
}

static void test_libc_function(void)
{
    char path[PATH_MAX], name[128];
    uint64_t off = 0;
    size_t len = 0;
    unsigned char *buf;
    struct symtab_hit hit;
    uintptr_t addr = (uintptr_t)&getppid;

    if (where(addr, path, sizeof(path), &off) < 0 || !(buf = slurp(path, &len))) {
        CHECK(0, "libc's mapping found in /proc/self/maps");
        return;
    }
    CHECK_INT(symtab_lookup(buf, len, off, name, sizeof(name), &hit), 0, "getppid in %s", path);
    CHECK(strstr(name, "getppid") != NULL, "named getppid or an alias (%s, from %s)", name,
          hit.table);
    free(buf);
}

static void test_crafted(void)
{
    unsigned char junk[256];
    char name[32];
    struct symtab_hit hit;

    memset(junk, 0x41, sizeof(junk));
    CHECK_INT(symtab_lookup(junk, sizeof(junk), 0, name, sizeof(name), &hit), -ENOEXEC,
              "not ELF: -ENOEXEC");
    CHECK_INT(symtab_lookup(junk, 10, 0, name, sizeof(name), &hit), -ENOEXEC, "10 bytes: -ENOEXEC");
    memcpy(junk, "\177ELF\002\001\001", 7); /* ELF64 LE, headers pointing anywhere */
    CHECK(symtab_lookup(junk, sizeof(junk), 0, name, sizeof(name), &hit) < 0,
          "ELF header with wild offsets: an error, no crash");
    CHECK_INT(symtab_lookup(junk, sizeof(junk), 0, name, 0, &hit), -EINVAL, "no room: -EINVAL");
}

int main(void)
{
    test_own_function();
    test_libc_function();
    test_crafted();
    return check_done();
}
