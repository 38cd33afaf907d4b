/* Unit tests of memlock.h's pure parts: which mappings of /proc/self/maps
 * are locked and how, what to do about RLIMIT_MEMLOCK, VmLck. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "memlock.h"

static int parse(const char *line, struct memlock_map *m)
{
    *m = (struct memlock_map){0};
    return memlock_parse_maps_line(line, strlen(line), m);
}

static void check_kind(const char *line, enum memlock_kind want, const char *what)
{
    struct memlock_map m;
    int r = parse(line, &m);

    CHECK(r == 0 && m.kind == want, "%s", what);
    if (r != 0 || m.kind != want)
        printf("#   r %d, kind %d, want %d\n", r, (int)m.kind, (int)want);
}

static void check_maps_lines(void)
{
    struct memlock_map m;

    CHECK_INT(parse("556c41ef7000-556c41f1e000 r-xp 00004000 fe:01 1312       "
                    "/usr/local/bin/jeinit",
                    &m),
              0, "a text line parses");
    CHECK_U64(m.start, 0x556c41ef7000, "start");
    CHECK_U64(m.end, 0x556c41f1e000, "end");
    CHECK_INT(m.kind, MEMLOCK_FILE, "text is file-backed: locked whole");
    check_kind(
        "7fe395b9f000-7fe395cf5000 r-xp 00026000 fe:01 42 /usr/lib/x86_64-linux-gnu/libc.so.6",
        MEMLOCK_FILE, "libc's text: whole");
    check_kind("00523000-00526000 rw-p 00122000 fe:01 77 /usr/local/bin/jeinit-static",
               MEMLOCK_FILE, "data: whole");
    check_kind("7f00000000-7f00001000 r--p 00000000 00:1f 9 /tmp/dir with spaces/lib.so",
               MEMLOCK_FILE, "a path with spaces");
    check_kind("7f00000000-7f00001000 r--p 00000000 fe:01 9 /usr/lib/libx.so (deleted)",
               MEMLOCK_FILE, "a deleted file is still file-backed");
    check_kind("556c41f2e000-556c424e0000 rw-p 00000000 00:00 0 ", MEMLOCK_ANON,
               "bss (no path): resident pages");
    check_kind("556c41f2e000-556c424e0000 rw-p 00000000 00:00 0", MEMLOCK_ANON,
               "no path, no trailing blanks");
    check_kind("556c66be8000-556c66c09000 rw-p 00000000 00:00 0          [heap]", MEMLOCK_ANON,
               "[heap]: resident pages");
    check_kind("7f0000000000-7f0000100000 rw-p 00000000 00:00 0 [anon:glibc: malloc arena]",
               MEMLOCK_ANON, "a named anonymous mapping");
    check_kind("7ffeacf47000-7ffeacf68000 rw-p 00000000 00:00 0          [stack]", MEMLOCK_STACK,
               "[stack]");
    check_kind("7fe395d6e000-7fe395d70000 r-xp 00000000 00:00 0          [vdso]", MEMLOCK_SKIP,
               "[vdso] is the kernel's");
    check_kind("7fe395d68000-7fe395d6c000 r--p 00000000 00:00 0          [vvar]", MEMLOCK_SKIP,
               "[vvar] is the kernel's");
    check_kind("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]", MEMLOCK_SKIP,
               "[vsyscall] is outside the address space");
    check_kind("7f0000000000-7f0000001000 ---p 00000000 00:00 0 ", MEMLOCK_SKIP,
               "a guard page (no access)");
    check_kind("7f0000000000-7f0000001000 ---p 0001c000 fe:01 42 /usr/lib/libc.so.6", MEMLOCK_SKIP,
               "a library's reserved gap (no access)");
    check_kind("7f0000000000-7f0000001000 rw-s 00000000 00:0e 12 anon_inode:[io_uring]",
               MEMLOCK_SKIP, "anon_inode mappings are not ours to lock");

    CHECK_INT(parse("", &m), -EINVAL, "empty line");
    CHECK_INT(parse("556c41ef7000 r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "no dash");
    CHECK_INT(parse("556c41ef7000- r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "no end");
    CHECK_INT(parse("-556c41ef7000 r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "no start");
    CHECK_INT(parse("2000-1000 r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "end before start");
    CHECK_INT(parse("1000-1000 r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "empty range");
    CHECK_INT(parse("10g0-2000 r-xp 00004000 fe:01 1312 /x", &m), -EINVAL, "not hex");
    CHECK_INT(parse("1000-2000 r-xp 0 fe:01", &m), -EINVAL, "no inode");
    CHECK_INT(parse("1000-2000 rx 0 fe:01 1 /x", &m), -EINVAL, "perms of 2 letters");
    CHECK_INT(parse("11112222333344445-11112222333344446 r--p 0 0:0 0 /x", &m), -EINVAL,
              "more hex digits than an address holds");
    /* the length bounds the line: what follows is not read */
    {
        const char buf[] = "1000-2000 r--p 0 0:0 0 /lib.so\n3000-4000 rw-p 0 0:0 0 [heap]";
        CHECK_INT(memlock_parse_maps_line(buf, 22, &m), 0, "a line cut before its path");
        CHECK_INT(m.kind, MEMLOCK_ANON, "is anonymous: no path within the span");
    }
}

static void check_plan(uint64_t files, uint64_t anon, uint64_t soft, uint64_t hard, bool raise,
                       bool with_anon, bool over, const char *what)
{
    struct memlock_plan p = memlock_decide(files, anon, soft, hard);

    CHECK(p.raise == raise && p.anon == with_anon && p.over == over, "%s", what);
    if (p.raise != raise || p.anon != with_anon || p.over != over)
        printf("#   raise %d anon %d over %d\n", p.raise, p.anon, p.over);
}

static void check_decide(void)
{
    const uint64_t kib = 1024, mib = kib * kib, unlimited = UINT64_MAX;

    check_plan(1200 * kib, 250 * kib, 8 * mib, 8 * mib, false, true, false,
               "1.4 MiB within an 8 MiB soft limit: all, as is");
    check_plan(6 * mib, 2 * mib, 8 * mib, 8 * mib, false, true, false, "exactly the limit: all");
    check_plan(1200 * kib, 250 * kib, 64 * kib, 8 * mib, true, true, false,
               "soft 64 KiB, hard 8 MiB: raise the soft limit, then all");
    check_plan(1200 * kib, 250 * kib, 64 * kib, unlimited, true, true, false,
               "hard unlimited: raise, then all");
    check_plan(1200 * kib, 250 * kib, unlimited, unlimited, false, true, false, "unlimited: all");
    check_plan(1200 * kib, 4 * mib, 2 * mib, 2 * mib, false, false, false,
               "2 MiB pages in the bss (THP) do not fit: the file pages alone");
    check_plan(1200 * kib, 4 * mib, 64 * kib, 2 * mib, true, false, false,
               "raised, still only the file pages fit");
    check_plan(2300 * kib, 300 * kib, 64 * kib, 64 * kib, false, true, true,
               "above the hard limit: only CAP_IPC_LOCK can help, try all");
    check_plan(2300 * kib, 300 * kib, 0, 0, false, true, true, "ulimit -l 0: try all");
    check_plan(0, 0, 0, 0, false, true, false, "nothing to lock fits any limit");
    check_plan(unlimited, unlimited, unlimited, unlimited, false, true, false,
               "sums saturate, never wrap");
    check_plan(1, unlimited, 8 * mib, 8 * mib, false, false, false,
               "a sum that would wrap is too large, not small");
}

static void check_vmlck(void)
{
    const char status[] = "Name:\tjeinit\nVmPeak:\t    8524 kB\nVmSize:\t    8524 kB\n"
                          "VmLck:\t    2572 kB\nVmPin:\t       0 kB\n";
    uint64_t bytes = 7;

    CHECK_INT(memlock_parse_vmlck(status, strlen(status), &bytes), 0, "VmLck found");
    CHECK_U64(bytes, 2572 * 1024, "in bytes");
    bytes = 7;
    CHECK_INT(memlock_parse_vmlck("VmSize:\t 1 kB\n", 14, &bytes), -ENOENT, "no VmLck line");
    CHECK_U64(bytes, 7, "left alone");
    CHECK_INT(memlock_parse_vmlck("VmLck:\t x kB\n", 13, &bytes), -EINVAL, "not a number");
    CHECK_INT(memlock_parse_vmlck("VmLck:", 6, &bytes), -EINVAL, "no value");
    CHECK_INT(memlock_parse_vmlck("VmLck:\t99999999999999999999 kB", 30, &bytes), -EINVAL,
              "too large");
    CHECK_INT(memlock_parse_vmlck("VmLck:\t0 kB", 11, &bytes), 0, "zero");
    CHECK_U64(bytes, 0, "is 0");
}

int main(void)
{
    check_maps_lines();
    check_decide();
    check_vmlck();
    return check_done();
}
