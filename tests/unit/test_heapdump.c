/* Unit tests of heapdump.c: jemalloc's heap_v2 dumps parsed, unbiased as
 * jeprof does, two dumps subtracted; allocator frames told from the
 * program's; malformed dumps. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "heapdump.h"

#define CAP 16

static struct hd_stack sa[CAP], sb[CAP], out[CAP];
static struct hd_map ma[CAP], mb[CAP];

static int parse(const char *text, struct heapdump *d, struct hd_stack *s, struct hd_map *m)
{
    *d = (struct heapdump){.stacks = s, .cap_stacks = CAP, .maps = m, .cap_maps = CAP};
    return heapdump_parse(text, strlen(text), d);
}

static int near(double a, double b)
{
    double d = a > b ? a - b : b - a;

    return d <= 1e-6 * (b > 0 ? b : -b) + 1e-9;
}

static const char dump1[] =
    "heap_v2/524288\n"
    "  t*: 3: 3145728 [0: 0]\n"
    "  t0: 3: 3145728 [0: 0]\n"
    "@ 0x7f0000001000 0x555500001345 0x555500001400\n"
    "  t*: 2: 2097152 [0: 0]\n"
    "  t0: 2: 2097152 [0: 0]\n"
    "@ 0x7f0000001000 0x555500002000\n"
    "  t*: 1: 1048576 [0: 0]\n"
    "  t0: 1: 1048576 [0: 0]\n"
    "\n"
    "MAPPED_LIBRARIES:\n"
    "555500000000-555500001000 r--p 00000000 08:01 123 /usr/bin/leaker\n"
    "555500001000-555500003000 r-xp 00001000 08:01 123 /usr/bin/leaker\n"
    "7f0000000000-7f0000010000 r-xp 00000000 08:01 456 /opt/lib/libjemalloc.so.2\n"
    "7ffc00000000-7ffc00001000 r-xp 00000000 00:00 0 [vdso]\n";

/* the first stack doubled, the second gone, a new one */
static const char dump2[] = "heap_v2/524288\n"
                            "  t*: 6: 6291456 [0: 0]\n"
                            "@ 0x7f0000001000 0x555500001345 0x555500001400\n"
                            "  t*: 4: 4194304 [0: 0]\n"
                            "@ 0x7f0000001000 0x555500002222\n"
                            "  t*: 2: 1024 [0: 0]\n"
                            "\n"
                            "MAPPED_LIBRARIES:\n"
                            "555500001000-555500003000 r-xp 00001000 08:01 123 /usr/bin/leaker\n";

static void test_parse(void)
{
    struct heapdump d;
    double f = heapdump_unbias_factor(2, 2097152, 524288);

    CHECK_INT(parse(dump1, &d, sa, ma), 0, "a heap_v2 dump parses");
    CHECK_U64(d.period, 524288, "the sample period from the header");
    CHECK_INT(d.nstacks, 2, "two stacks");
    CHECK_INT(d.stacks[0].nframes, 3, "the first stack's three frames");
    CHECK_U64(d.stacks[0].frames[1], 0x555500001345, "frames in order, leaf first");
    /* jeprof: ratio = (bytes/objs)/period = 2; scale = 1/(1-exp(-2)) */
    CHECK(near(f, 1.1565176427496657), "the unbias factor is jeprof's 1/(1-exp(-2)) (%.12f)", f);
    CHECK(near(d.stacks[0].bytes, 2097152 * f), "bytes scaled by it");
    CHECK(near(d.stacks[0].objs, 2 * f), "objects scaled by it");
    CHECK_INT(d.nmaps, 2, "the executable mappings with a path (not r--p, not [vdso])");
    CHECK_STR(d.maps[0].path, "/usr/bin/leaker", "the path");
    CHECK_U64(d.maps[0].offset, 0x1000, "the file offset");
    CHECK(heapdump_map_of(&d, 0x555500001345) == &d.maps[0], "an address finds its mapping");
    CHECK(heapdump_map_of(&d, 0x1) == NULL, "an address outside every mapping: none");
    CHECK(near(heapdump_unbias_factor(1, 1 << 30, 524288), 1.0), "huge objects: factor 1");
    CHECK(near(heapdump_unbias_factor(0, 0, 524288), 1.0), "no objects: factor 1");
    /* small objects: ~ period/size */
    f = heapdump_unbias_factor(1000, 16000, 524288);
    CHECK(f > 32768 * 0.99 && f < 32768 * 1.01, "16-byte objects: ~period/16 (%.1f)", f);
}

static void test_growth(void)
{
    struct heapdump a, b;
    size_t n;

    (void)parse(dump1, &a, sa, ma);
    (void)parse(dump2, &b, sb, mb);
    heapdump_sort(&a);
    heapdump_sort(&b);
    n = heapdump_growth(&a, &b, out, CAP);
    CHECK_INT(n, 2, "two stacks grew (the gone one is not growth)");
    CHECK_U64(out[0].frames[1], 0x555500001345, "the largest growth first");
    CHECK(near(out[0].bytes, (4194304.0 - 2097152.0) * heapdump_unbias_factor(2, 2097152, 524288)),
          "its growth is the difference of the unbiased bytes");
    CHECK_U64(out[1].frames[1], 0x555500002222, "a new stack counts in full");
    CHECK_INT(heapdump_growth(&b, &a, out, CAP), 1,
              "backwards: only the stack new in a (the other shrank)");
    CHECK_INT(heapdump_growth(&a, &b, out, 1), 1, "bounded by the caller's room");
}

static void test_allocator_frames(void)
{
    CHECK(heapdump_allocator_frame("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "je_foo"),
          "jemalloc's frames are the allocator's");
    CHECK(heapdump_allocator_frame("/work/build/libjemalloc.so.2", NULL),
          "whatever symbol, in jemalloc");
    CHECK(heapdump_allocator_frame("/usr/lib/libstdc++.so.6", "_Znwm"), "operator new");
    CHECK(heapdump_allocator_frame("/usr/lib/libstdc++.so.6", "_ZnamRKSt9nothrow_t"),
          "operator new[] (nothrow)");
    CHECK(heapdump_allocator_frame("/lib/libc.so.6", "calloc"), "calloc");
    CHECK(!heapdump_allocator_frame("/usr/bin/leaker", "leak_into_the_distinctive_sink"),
          "the program's function is a site");
    CHECK(!heapdump_allocator_frame("/lib/libc.so.6", "strdup"), "strdup is a site (its caller's)");
    CHECK(!heapdump_allocator_frame("/usr/bin/x", NULL), "an unnamed frame of the program: a site");
    CHECK(heapdump_allocator_frame("/usr/lib/libpython3.11.so.1.0", "_PyObject_Malloc"),
          "CPython's _PyObject_Malloc is the allocator's");
    CHECK(heapdump_allocator_frame("/usr/bin/python3", "PyMem_RawMalloc"), "and PyMem_RawMalloc");
    CHECK(!heapdump_allocator_frame("/usr/lib/libpython3.11.so.1.0", "PyByteArray_Resize"),
          "PyByteArray_Resize is a site");
}

static void test_malformed(void)
{
    static const char *const bad_headers[] = {
        "", "heap_v2/", "heap_v2/0\n", "heap_v1/4\n", "heap_v2/12x\n", "@ 0x1\n"};
    static const char odd[] = "heap_v2/4096\n"
                              "@ 0x1 0xzz 0x3\n" /* frames stop at the bad word */
                              "  t*: 1: 10 [0: 0]\n"
                              "@\n" /* no frames: dropped */
                              "  t*: 1: 10 [0: 0]\n"
                              "@ 0x5\n"                 /* no counts line: not counted */
                              "@ 0x12345678901234567\n" /* too long for 64 bits */
                              "  t*: x: 1\n"
                              "MAPPED_LIBRARIES:\n"
                              "zz-10 r-xp 0 0 0 /a\n"
                              "20-10 r-xp 0 0 0 /a\n"
                              "10-20 r-xp 0 00:00 0 relative\n"
                              "10-20 r-xp 0 00:00 0 /ok\n";
    struct heapdump d;

    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++)
        CHECK_INT(parse(bad_headers[i], &d, sa, ma), -EINVAL, "not a dump: header %zu", i);
    CHECK_INT(heapdump_parse(NULL, 0, &d), -EINVAL, "NULL: -EINVAL");
    CHECK_INT(parse(odd, &d, sa, ma), 0, "a dump with odd lines still parses");
    CHECK_INT(d.nstacks, 1, "only the stack with frames and counts");
    CHECK_INT(d.stacks[0].nframes, 1, "its frames up to the bad word");
    CHECK_INT(d.dropped_stacks, 1, "the stack without frames is counted as dropped");
    CHECK_INT(d.nmaps, 1, "one good mapping");
    CHECK_INT(d.dropped_maps, 2, "two malformed mappings counted");
    {
        /* more stacks than room */
        char big[4096] = "heap_v2/4096\n";
        for (int i = 0; i < CAP + 4; i++)
            (void)snprintf(big + strlen(big), sizeof(big) - strlen(big),
                           "@ 0x%x\n  t*: 1: 100 [0: 0]\n", i + 1);
        CHECK_INT(parse(big, &d, sa, ma), 0, "more stacks than room: parses");
        CHECK_INT(d.nstacks, CAP, "as many as fit");
        CHECK_INT(d.dropped_stacks, 4, "the rest counted");
    }
}

int main(void)
{
    test_parse();
    test_growth();
    test_allocator_frames();
    test_malformed();
    return check_done();
}
