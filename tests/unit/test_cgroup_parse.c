/* test_cgroup_parse.c - the cgroup file parsers on real kernel output, edge
 * cases and malformed input.
 *
 * Every parse runs on an exact-size heap copy of its input, never on the
 * NUL-terminated literal, so a sanitizer build catches any read past len. */
#include "cgroup_parse.h"
#include "check.h"

#include <errno.h>
#include <stdlib.h>

/* A literal and its length without the terminating NUL. */
#define L(s) s, sizeof(s) - 1

static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);

    if (!p)
        abort();
    memcpy(p, s, n);
    return p;
}

static int u64(const char *s, size_t n, uint64_t *v)
{
    char *b = exact(s, n);
    int r = cg_parse_u64(b, n, v);

    free(b);
    return r;
}

static int limit(const char *s, size_t n, uint64_t *v)
{
    char *b = exact(s, n);
    int r = cg_parse_limit(b, n, v);

    free(b);
    return r;
}

static int i64(const char *s, size_t n, int64_t *v)
{
    char *b = exact(s, n);
    int r = cg_parse_i64(b, n, v);

    free(b);
    return r;
}

static int cpu_max(const char *s, size_t n, int64_t *q, uint64_t *p)
{
    char *b = exact(s, n);
    int r = cg_parse_cpu_max(b, n, q, p);

    free(b);
    return r;
}

static int cpulist(const char *s, size_t n, unsigned *count)
{
    char *b = exact(s, n);
    int r = cg_parse_cpulist(b, n, count);

    free(b);
    return r;
}

static int keyed(const char *s, size_t n, struct cg_kv *kv, size_t cap, size_t *nkv,
                 size_t *skipped)
{
    char *b = exact(s, n);
    int r = cg_parse_keyed(b, n, kv, cap, nkv, skipped);

    free(b);
    return r;
}

static int pressure(const char *s, size_t n, struct cg_psi *psi)
{
    char *b = exact(s, n);
    int r = cg_parse_pressure(b, n, psi);

    free(b);
    return r;
}

static int proc_cgroup(const char *s, size_t n, struct cg_membership *m)
{
    char *b = exact(s, n);
    int r = cg_parse_proc_cgroup(b, n, m);

    free(b);
    return r;
}

static int mountinfo(const char *s, size_t n, struct cg_mount *m, size_t cap, size_t *nm)
{
    char *b = exact(s, n);
    int r = cg_parse_mountinfo(b, n, m, cap, nm);

    free(b);
    return r;
}

static bool near(double a, double b)
{
    return a - b < 1e-9 && b - a < 1e-9;
}

static void test_u64(void)
{
    uint64_t v = 7;

    CHECK_INT(u64(L("0"), &v), 0, "u64: zero");
    CHECK_U64(v, 0, "u64: zero value");
    CHECK_INT(u64(L("123\n"), &v), 0, "u64: trailing newline");
    CHECK_U64(v, 123, "u64: trailing newline value");
    CHECK_INT(u64(L("  42 \r\n"), &v), 0, "u64: surrounding blanks and CRLF");
    CHECK_U64(v, 42, "u64: surrounding blanks value");
    CHECK_INT(u64(L("007"), &v), 0, "u64: leading zeros");
    CHECK_U64(v, 7, "u64: leading zeros value");
    CHECK_INT(u64(L("18446744073709551615\n"), &v), 0, "u64: UINT64_MAX");
    CHECK_U64(v, UINT64_MAX, "u64: UINT64_MAX value");
    CHECK_INT(u64("12345", 3, &v), 0, "u64: respects len");
    CHECK_U64(v, 123, "u64: respects len value");

    v = 99;
    CHECK_INT(u64(L("18446744073709551616"), &v), -ERANGE, "u64: UINT64_MAX + 1");
    CHECK_INT(u64(L("99999999999999999999999999999999"), &v), -ERANGE, "u64: far too big");
    CHECK_INT(u64(L(""), &v), -EINVAL, "u64: empty");
    CHECK_INT(u64(L(" \n"), &v), -EINVAL, "u64: only blanks");
    CHECK_INT(u64(L("-1"), &v), -EINVAL, "u64: negative");
    CHECK_INT(u64(L("+1"), &v), -EINVAL, "u64: plus sign");
    CHECK_INT(u64(L("12a"), &v), -EINVAL, "u64: trailing garbage");
    CHECK_INT(u64(L("1 2"), &v), -EINVAL, "u64: two numbers");
    CHECK_INT(u64(L("1\0"), &v), -EINVAL, "u64: NUL inside len");
    CHECK_INT(u64(L("0x10"), &v), -EINVAL, "u64: hex");
    CHECK_U64(v, 99, "u64: output untouched on failure");
    CHECK_INT(cg_parse_u64(NULL, 0, &v), -EINVAL, "u64: NULL empty buffer");
    CHECK_INT(cg_parse_u64(NULL, 3, &v), -EINVAL, "u64: NULL buffer with a length");
}

static void test_limit(void)
{
    uint64_t v = 0;

    CHECK_INT(limit(L("max\n"), &v), 0, "limit: v2 max");
    CHECK_U64(v, CG_UNLIMITED, "limit: v2 max is unlimited");
    CHECK_INT(limit(L("536870912\n"), &v), 0, "limit: v2 512 MiB");
    CHECK_U64(v, 536870912, "limit: v2 512 MiB value");
    /* Read from memory.limit_in_bytes on this machine (v1, 4 KiB pages). */
    v = 0;
    CHECK_INT(limit(L("9223372036854771712\n"), &v), 0, "limit: v1 unlimited");
    CHECK_U64(v, CG_UNLIMITED, "limit: v1 page-rounded LONG_MAX is unlimited");
    v = 0;
    CHECK_INT(limit(L("9223372036854710272\n"), &v), 0, "limit: v1 unlimited, 64 KiB pages");
    CHECK_U64(v, CG_UNLIMITED, "limit: 64 KiB page-rounded LONG_MAX is unlimited");
    v = 0;
    CHECK_INT(limit(L("4611686018427387904"), &v), 0, "limit: 2^62");
    CHECK_U64(v, CG_UNLIMITED, "limit: 2^62 is the unlimited floor");
    CHECK_INT(limit(L("4611686018427387903"), &v), 0, "limit: 2^62 - 1");
    CHECK_U64(v, UINT64_C(4611686018427387903), "limit: just below the floor is a limit");
    CHECK_INT(limit(L("18446744073709551615"), &v), 0, "limit: UINT64_MAX");
    CHECK_U64(v, CG_UNLIMITED, "limit: UINT64_MAX is unlimited");
    v = 0;
    CHECK_INT(limit(L("-1\n"), &v), 0, "limit: v1 soft limit -1");
    CHECK_U64(v, CG_UNLIMITED, "limit: -1 is unlimited");
    v = 0;
    CHECK_INT(limit(L("-0001"), &v), 0, "limit: -1 with leading zeros");
    CHECK_U64(v, CG_UNLIMITED, "limit: -0001 is -1");
    CHECK_INT(limit(L("-0"), &v), 0, "limit: -0");
    CHECK_U64(v, 0, "limit: -0 is 0");
    CHECK_INT(limit(L("0"), &v), 0, "limit: zero");
    CHECK_U64(v, 0, "limit: zero is a (harsh) limit");

    v = 5;
    CHECK_INT(limit(L("-2"), &v), -ERANGE, "limit: other negatives are out of range");
    CHECK_INT(limit(L("-99999999999999999999999"), &v), -ERANGE, "limit: huge negative");
    CHECK_INT(limit(L("99999999999999999999999"), &v), -ERANGE, "limit: huge positive");
    CHECK_INT(limit(L("-"), &v), -EINVAL, "limit: lone minus");
    CHECK_INT(limit(L("-max"), &v), -EINVAL, "limit: -max");
    CHECK_INT(limit(L("max2"), &v), -EINVAL, "limit: max2");
    CHECK_INT(limit(L("MAX"), &v), -EINVAL, "limit: upper-case MAX");
    CHECK_INT(limit(L("ma"), &v), -EINVAL, "limit: truncated max");
    CHECK_INT(limit(L(""), &v), -EINVAL, "limit: empty");
    CHECK_INT(limit(L("1G"), &v), -EINVAL, "limit: suffix");
    CHECK_U64(v, 5, "limit: output untouched on failure");
}

static void test_i64(void)
{
    int64_t v = 0;

    /* cpu.cfs_quota_us on this machine. */
    CHECK_INT(i64(L("-1\n"), &v), 0, "i64: v1 no quota");
    CHECK_INT(v, -1, "i64: -1");
    CHECK_INT(i64(L("50000\n"), &v), 0, "i64: quota");
    CHECK_INT(v, 50000, "i64: quota value");
    CHECK_INT(i64(L("-0"), &v), 0, "i64: -0");
    CHECK_INT(v, 0, "i64: -0 is 0");
    CHECK_INT(i64(L("9223372036854775807"), &v), 0, "i64: INT64_MAX");
    CHECK(v == INT64_MAX, "i64: INT64_MAX value");
    CHECK_INT(i64(L("-9223372036854775808"), &v), 0, "i64: INT64_MIN");
    CHECK(v == INT64_MIN, "i64: INT64_MIN value");

    v = 3;
    CHECK_INT(i64(L("9223372036854775808"), &v), -ERANGE, "i64: INT64_MAX + 1");
    CHECK_INT(i64(L("-9223372036854775809"), &v), -ERANGE, "i64: INT64_MIN - 1");
    CHECK_INT(i64(L("--1"), &v), -EINVAL, "i64: double minus");
    CHECK_INT(i64(L("-"), &v), -EINVAL, "i64: lone minus");
    CHECK_INT(i64(L("1-"), &v), -EINVAL, "i64: trailing minus");
    CHECK_INT(i64(L("- 1"), &v), -EINVAL, "i64: blank after minus");
    CHECK_INT(i64(L(""), &v), -EINVAL, "i64: empty");
    CHECK_INT(v, 3, "i64: output untouched on failure");
}

static void test_cpu_max(void)
{
    int64_t q = 0;
    uint64_t p = 0;

    CHECK_INT(cpu_max(L("max 100000\n"), &q, &p), 0, "cpu.max: unlimited");
    CHECK_INT(q, -1, "cpu.max: max quota is -1");
    CHECK_U64(p, 100000, "cpu.max: period");
    CHECK_INT(cpu_max(L("150000 100000\n"), &q, &p), 0, "cpu.max: 1.5 CPUs");
    CHECK_INT(q, 150000, "cpu.max: quota");
    CHECK_U64(p, 100000, "cpu.max: period 100000");
    CHECK_INT(cpu_max(L("50000 20000"), &q, &p), 0, "cpu.max: no newline");
    CHECK_U64(p, 20000, "cpu.max: other period");
    CHECK_INT(cpu_max(L("max"), &q, &p), 0, "cpu.max: period omitted");
    CHECK_INT(q, -1, "cpu.max: period omitted, max");
    CHECK_U64(p, 100000, "cpu.max: period defaults to 100000");
    CHECK_INT(cpu_max(L("200000\n"), &q, &p), 0, "cpu.max: quota only");
    CHECK_INT(q, 200000, "cpu.max: quota only value");
    CHECK_INT(cpu_max(L("  max \t 100000 \r\n"), &q, &p), 0, "cpu.max: extra blanks, CRLF");

    q = 1;
    p = 2;
    CHECK_INT(cpu_max(L("max 0"), &q, &p), -ERANGE, "cpu.max: zero period");
    CHECK_INT(cpu_max(L("max 100000 7"), &q, &p), -EINVAL, "cpu.max: third field");
    CHECK_INT(cpu_max(L(""), &q, &p), -EINVAL, "cpu.max: empty");
    CHECK_INT(cpu_max(L("-1 100000"), &q, &p), -EINVAL, "cpu.max: v1-style -1");
    CHECK_INT(cpu_max(L("max abc"), &q, &p), -EINVAL, "cpu.max: bad period");
    CHECK_INT(cpu_max(L("9223372036854775808 100000"), &q, &p), -ERANGE,
              "cpu.max: quota beyond INT64_MAX");
    CHECK_INT(cpu_max(L("max 18446744073709551616"), &q, &p), -ERANGE, "cpu.max: huge period");
    CHECK_INT(cpu_max(L("max\0 100000"), &q, &p), -EINVAL, "cpu.max: NUL inside");
    CHECK(q == 1 && p == 2, "cpu.max: outputs untouched on failure");
}

static void test_cpulist(void)
{
    unsigned c = 99;

    CHECK_INT(cpulist(L("0-3,5,7-8\n"), &c), 0, "cpulist: ranges and singles");
    CHECK_INT(c, 7, "cpulist: 0-3,5,7-8 is 7 CPUs");
    CHECK_INT(cpulist(L("0-1\n"), &c), 0, "cpulist: this machine's cpuset.cpus");
    CHECK_INT(c, 2, "cpulist: 0-1 is 2 CPUs");
    CHECK_INT(cpulist(L("7"), &c), 0, "cpulist: single CPU, no newline");
    CHECK_INT(c, 1, "cpulist: single CPU count");
    c = 99;
    CHECK_INT(cpulist(L(""), &c), 0, "cpulist: empty");
    CHECK_INT(c, 0, "cpulist: empty is 0 CPUs (unset v2 cpuset)");
    c = 99;
    CHECK_INT(cpulist(L("\n"), &c), 0, "cpulist: lone newline");
    CHECK_INT(c, 0, "cpulist: lone newline is 0 CPUs");
    CHECK_INT(cpulist(L("0-4095"), &c), 0, "cpulist: the largest range");
    CHECK_INT(c, 4096, "cpulist: 4096 CPUs");
    CHECK_INT(cpulist(L("0-3,2-5"), &c), 0, "cpulist: overlapping ranges");
    CHECK_INT(c, 6, "cpulist: overlap counted once");
    CHECK_INT(cpulist(L("1,1,1"), &c), 0, "cpulist: repeats");
    CHECK_INT(c, 1, "cpulist: repeats counted once");
    CHECK_INT(cpulist(L("3-3\r\n"), &c), 0, "cpulist: one-CPU range, CRLF");
    CHECK_INT(c, 1, "cpulist: 3-3 is 1 CPU");

    c = 42;
    CHECK_INT(cpulist(L("4096"), &c), -ERANGE, "cpulist: CPU 4096");
    CHECK_INT(cpulist(L("0-4096"), &c), -ERANGE, "cpulist: range to 4096");
    CHECK_INT(cpulist(L("99999999999999999999999"), &c), -ERANGE, "cpulist: huge number");
    CHECK_INT(cpulist(L("3-1"), &c), -EINVAL, "cpulist: reversed range");
    CHECK_INT(cpulist(L("0,,1"), &c), -EINVAL, "cpulist: empty element");
    CHECK_INT(cpulist(L("0,"), &c), -EINVAL, "cpulist: trailing comma");
    CHECK_INT(cpulist(L(",0"), &c), -EINVAL, "cpulist: leading comma");
    CHECK_INT(cpulist(L("0-"), &c), -EINVAL, "cpulist: open range");
    CHECK_INT(cpulist(L("-1"), &c), -EINVAL, "cpulist: negative");
    CHECK_INT(cpulist(L("0-1-2"), &c), -EINVAL, "cpulist: double range");
    CHECK_INT(cpulist(L("0 - 3"), &c), -EINVAL, "cpulist: blanks inside");
    CHECK_INT(cpulist(L("0-7:2/4"), &c), -EINVAL, "cpulist: group syntax is input-only");
    CHECK_INT(cpulist(L("a"), &c), -EINVAL, "cpulist: garbage");
    CHECK_INT(cpulist(L("0\0"), &c), -EINVAL, "cpulist: NUL inside");
    CHECK_INT(c, 42, "cpulist: output untouched on failure");
}

/* /sys/fs/cgroup/memory/memory.stat on the machine these tests were written
 * on (cgroup v1, kernel 6.18). */
static const char real_v1_memory_stat[] = "cache 9326592\n"
                                          "rss 4923392\n"
                                          "rss_huge 0\n"
                                          "shmem 8998912\n"
                                          "mapped_file 7426048\n"
                                          "dirty 12288\n"
                                          "writeback 0\n"
                                          "workingset_refault_anon 0\n"
                                          "workingset_refault_file 612\n"
                                          "swap 0\n"
                                          "swapcached 0\n"
                                          "pgpgin 33991\n"
                                          "pgpgout 30512\n"
                                          "pgfault 36750\n"
                                          "pgmajfault 0\n"
                                          "inactive_anon 0\n"
                                          "active_anon 1531904\n"
                                          "inactive_file 28672\n"
                                          "active_file 299008\n"
                                          "unevictable 12386304\n"
                                          "hierarchical_memory_limit 9223372036854771712\n"
                                          "hierarchical_memsw_limit 9223372036854771712\n"
                                          "total_cache 79527936\n"
                                          "total_rss 8986624\n"
                                          "total_rss_huge 0\n"
                                          "total_shmem 9084928\n"
                                          "total_mapped_file 10899456\n"
                                          "total_dirty 81920\n"
                                          "total_writeback 0\n"
                                          "total_workingset_refault_anon 0\n"
                                          "total_workingset_refault_file 49976\n"
                                          "total_swap 0\n"
                                          "total_swapcached 0\n"
                                          "total_pgpgin 1840700\n"
                                          "total_pgpgout 1820922\n"
                                          "total_pgfault 2902763\n"
                                          "total_pgmajfault 926\n"
                                          "total_inactive_anon 3903488\n"
                                          "total_active_anon 1646592\n"
                                          "total_inactive_file 58744832\n"
                                          "total_active_file 11698176\n"
                                          "total_unevictable 12386304\n";

static void test_keyed(void)
{
    struct cg_kv kv[64];
    size_t n = 0, skipped = 99;
    uint64_t v = 0;
    char longkey[CG_KEY_MAX + 8];

    CHECK_INT(keyed(L(real_v1_memory_stat), kv, 64, &n, &skipped), 0, "keyed: real v1 memory.stat");
    CHECK_INT(n, 42, "keyed: real memory.stat has 42 entries");
    CHECK_INT(skipped, 0, "keyed: real memory.stat has no malformed line");
    CHECK_STR(kv[0].key, "cache", "keyed: file order, first");
    CHECK_STR(kv[41].key, "total_unevictable", "keyed: file order, last");
    CHECK_INT(cg_kv_get(kv, n, "total_inactive_file", &v), 0, "keyed: get total_inactive_file");
    CHECK_U64(v, 58744832, "keyed: total_inactive_file value");
    CHECK_INT(cg_kv_get(kv, n, "hierarchical_memory_limit", &v), 0, "keyed: get v1 limit");
    CHECK_U64(v, UINT64_C(9223372036854771712), "keyed: v1 limit kept raw");
    CHECK_INT(cg_kv_get(kv, n, "anon", &v), -ENOENT, "keyed: v2 key absent in v1 file");
    CHECK_INT(cg_kv_get(kv, n, "total", &v), -ENOENT, "keyed: no prefix match");
    v = 0;
    CHECK_INT(cg_keyed_find(L(real_v1_memory_stat), "total_inactive_file", &v), 0,
              "keyed find: without a table");
    CHECK_U64(v, 58744832, "keyed find: the table's value");
    CHECK_INT(cg_keyed_find(L(real_v1_memory_stat), "total", &v), -ENOENT,
              "keyed find: no prefix match");
    CHECK_INT(cg_keyed_find(L("a 1\nbad line here\nb 2\n"), "b", &v), 0,
              "keyed find: past a bad line");
    CHECK_U64(v, 2, "keyed find: its value");
    CHECK_INT(cg_keyed_find(NULL, 0, "a", &v), -ENOENT, "keyed find: empty buffer");

    CHECK_INT(keyed(L("anon 1216512\nfile 3956736\nkernel 430080\nkernel_stack 65536\n"
                      "pagetables 45056\nsec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\n"
                      "shmem 0\nzswap 0\nzswapped 0\nfile_mapped 2166784\n"),
                    kv, 64, &n, &skipped),
              0, "keyed: v2 memory.stat head");
    CHECK_INT(n, 13, "keyed: v2 memory.stat entries");
    CHECK_INT(cg_kv_get(kv, n, "file_mapped", &v), 0, "keyed: v2 file_mapped");
    CHECK_U64(v, 2166784, "keyed: v2 file_mapped value");

    CHECK_INT(
        keyed(L("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"), kv, 64, &n, NULL),
        0, "keyed: memory.events, skipped may be NULL");
    CHECK_INT(cg_kv_get(kv, n, "oom_kill", &v), 0, "keyed: memory.events oom_kill");
    CHECK_U64(v, 1, "keyed: oom_kill value");
    CHECK_INT(cg_kv_get(kv, n, "max", &v), 0, "keyed: memory.events max");
    CHECK_U64(v, 12, "keyed: max value");

    /* memory.oom_control on this machine. */
    CHECK_INT(keyed(L("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"), kv, 64, &n, &skipped), 0,
              "keyed: v1 memory.oom_control");
    CHECK_INT(n, 3, "keyed: oom_control entries");

    CHECK_INT(keyed(L("a 1\nbad\nb -1\nc 2 3\n d 4\ne 99999999999999999999999\nf:5\ng\t7\n"
                      "h 8 \ni 9"),
                    kv, 64, &n, &skipped),
              0, "keyed: malformed lines skipped");
    CHECK_INT(n, 4, "keyed: four good lines among the bad");
    CHECK_INT(skipped, 6, "keyed: six malformed lines counted");
    CHECK_STR(kv[1].key, "g", "keyed: tab separator accepted");
    CHECK_STR(kv[3].key, "i", "keyed: last line without newline kept");
    CHECK_U64(kv[3].value, 9, "keyed: last line value");

    CHECK_INT(keyed(L("a 1\r\nb 2\r\n\r\n\n"), kv, 64, &n, &skipped), 0, "keyed: CRLF");
    CHECK(n == 2 && skipped == 0, "keyed: CRLF lines, blank lines not counted");
    CHECK_U64(kv[1].value, 2, "keyed: CRLF value");

    CHECK_INT(keyed(L("a 1\na 2\n"), kv, 64, &n, &skipped), 0, "keyed: duplicate key");
    CHECK_INT(n, 2, "keyed: duplicates both kept");
    CHECK_INT(cg_kv_get(kv, n, "a", &v), 0, "keyed: duplicate get");
    CHECK_U64(v, 1, "keyed: first duplicate wins");

    CHECK_INT(keyed(L("a\0b 1\nc 2\0\nd 3\n"), kv, 64, &n, &skipped), 0, "keyed: NUL bytes");
    CHECK(n == 1 && skipped == 2, "keyed: lines with NUL skipped");

    memset(longkey, 'k', sizeof(longkey));
    memcpy(longkey + CG_KEY_MAX - 1, " 1\n", 3); /* a 47-byte key fits */
    CHECK_INT(keyed(longkey, CG_KEY_MAX + 2, kv, 64, &n, &skipped), 0, "keyed: 47-byte key");
    CHECK_INT(n, 1, "keyed: 47-byte key kept");
    CHECK_INT(strlen(kv[0].key), CG_KEY_MAX - 1, "keyed: 47-byte key intact");
    memset(longkey, 'k', sizeof(longkey));
    memcpy(longkey + CG_KEY_MAX, " 1\n", 3); /* a 48-byte key does not */
    CHECK_INT(keyed(longkey, CG_KEY_MAX + 3, kv, 64, &n, &skipped), 0, "keyed: 48-byte key");
    CHECK(n == 0 && skipped == 1, "keyed: 48-byte key skipped");
    longkey[CG_KEY_MAX] = '\0';
    CHECK_INT(cg_kv_get(kv, 0, longkey, &v), -ENOENT, "keyed: get with an over-long key");

    CHECK_INT(keyed(L("a 1\nb 2\nc 3\n"), kv, 2, &n, &skipped), -ENOSPC, "keyed: table full");
    CHECK_INT(n, 2, "keyed: full table keeps the first cap");
    CHECK_STR(kv[1].key, "b", "keyed: full table contents");
    CHECK_INT(keyed(L("a 1\n"), NULL, 0, &n, NULL), -ENOSPC, "keyed: zero cap");
    CHECK_INT(keyed(L(""), NULL, 0, &n, &skipped), 0, "keyed: empty file");
    CHECK(n == 0 && skipped == 0, "keyed: empty file has nothing");
    CHECK_INT(keyed(L("cache 93"), kv, 64, &n, &skipped), 0, "keyed: truncated mid-value");
    CHECK_INT(keyed(L("cach"), kv, 64, &n, &skipped), 0, "keyed: truncated mid-key");
    CHECK(n == 0 && skipped == 1, "keyed: truncated key is malformed");
}

static void test_pressure(void)
{
    struct cg_psi psi;

    /* /proc/pressure/memory and /proc/pressure/cpu on this machine. */
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                         "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
                       &psi),
              0, "pressure: real idle memory pressure");
    CHECK(psi.some.present && psi.full.present, "pressure: both lines present");
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.06 avg300=0.64 total=6966719\n"
                         "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
                       &psi),
              0, "pressure: real cpu pressure");
    CHECK(near(psi.some.avg60, 0.06) && near(psi.some.avg300, 0.64), "pressure: averages");
    CHECK_U64(psi.some.total_us, 6966719, "pressure: total");

    CHECK_INT(pressure(L("some avg10=1.03 avg60=0.41 avg300=0.93 total=6897686\n"), &psi), 0,
              "pressure: old kernel cpu, no full line");
    CHECK(psi.some.present && !psi.full.present, "pressure: full absent");
    CHECK(near(psi.some.avg10, 1.03), "pressure: avg10 1.03");
    CHECK_INT(
        pressure(L("some avg10=100.00 avg60=99.5 avg300=7 total=18446744073709551615\r\n"), &psi),
        0, "pressure: bounds, short fractions, CRLF");
    CHECK(near(psi.some.avg10, 100.0) && near(psi.some.avg300, 7.0), "pressure: 100 and 7");
    CHECK_U64(psi.some.total_us, UINT64_MAX, "pressure: total at UINT64_MAX");
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 total=0 avg1=3.00\n"), &psi), 0,
              "pressure: unknown field tolerated");
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                         "full avg10=0.00 avg60=0.00 av"),
                       &psi),
              0, "pressure: truncated full line");
    CHECK(!psi.full.present, "pressure: truncated full line is absent");
    CHECK_INT(pressure(L("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                         "some avg10=2.00 avg60=0.00 avg300=0.00 total=5\n"
                         "some avg10=9.00 avg60=0.00 avg300=0.00 total=9\n"),
                       &psi),
              0, "pressure: line order free, repeat ignored");
    CHECK_U64(psi.some.total_us, 5, "pressure: first some line wins");

    CHECK_INT(pressure(L(""), &psi), -EINVAL, "pressure: empty");
    CHECK(!psi.some.present && !psi.full.present, "pressure: empty leaves nothing present");
    CHECK_INT(pressure(L("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: full without some");
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 tot"), &psi), -EINVAL,
              "pressure: truncated some line");
    CHECK_INT(pressure(L("some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: above 100 percent");
    CHECK_INT(pressure(L("some avg10=0.00 avg10=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: repeated field");
    CHECK_INT(pressure(L("some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: negative average");
    CHECK_INT(pressure(L("some avg10=1. avg60=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: dot without fraction");
    CHECK_INT(
        pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n"), &psi),
        -EINVAL, "pressure: total overflow");
    CHECK_INT(pressure(L("some avg10=0.00 avg60 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: field without =");
    CHECK_INT(pressure(L("something avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"), &psi), -EINVAL,
              "pressure: line word must be exact");
    CHECK_INT(pressure(L("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\0\n"), &psi), -EINVAL,
              "pressure: NUL inside");
}

static void test_proc_cgroup(void)
{
    struct cg_membership m;
    char longline[CG_PATH_MAX + 16];

    /* /proc/self/cgroup on this machine: hybrid v1 + v2. */
    CHECK_INT(proc_cgroup(L("9:name=systemd:/\n"
                            "8:pids:/\n"
                            "7:blkio:/\n"
                            "6:freezer:/\n"
                            "5:devices:/\n"
                            "4:memory:/process_api/9d986e4253c987a74aa8e33a6804c15b\n"
                            "3:cpuset:/\n"
                            "2:cpuacct:/\n"
                            "1:cpu:/\n"
                            "0::/\n"),
                          &m),
              0, "proc cgroup: real hybrid");
    CHECK(m.has_v2, "proc cgroup: hybrid has v2");
    CHECK_STR(m.v2_path, "/", "proc cgroup: hybrid v2 path");
    CHECK_INT(m.v1_mask, CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET, "proc cgroup: v1 mask");
    CHECK_STR(m.memory_path, "/process_api/9d986e4253c987a74aa8e33a6804c15b",
              "proc cgroup: memory path");
    CHECK_STR(m.cpu_path, "/", "proc cgroup: cpu path");

    CHECK_INT(proc_cgroup(L("0::/system.slice/docker-4f2a.scope\n"), &m), 0, "proc cgroup: v2");
    CHECK(m.has_v2 && m.v1_mask == 0, "proc cgroup: v2 only");
    CHECK_STR(m.v2_path, "/system.slice/docker-4f2a.scope", "proc cgroup: v2 path");
    CHECK_STR(m.memory_path, "", "proc cgroup: no v1 memory path");

    CHECK_INT(proc_cgroup(L("12:memory:/docker/abc\n"
                            "11:cpu,cpuacct:/docker/abc\n"
                            "5:cpuset:/docker/abc\n"
                            "1:name=systemd:/docker/abc\n"),
                          &m),
              0, "proc cgroup: v1 docker");
    CHECK(!m.has_v2, "proc cgroup: v1 only");
    CHECK_INT(m.v1_mask, CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET, "proc cgroup: co-mounted");
    CHECK_STR(m.cpu_path, "/docker/abc", "proc cgroup: cpu from cpu,cpuacct");
    CHECK_STR(m.cpuacct_path, "/docker/abc", "proc cgroup: cpuacct from cpu,cpuacct");

    CHECK_INT(proc_cgroup(L("0::/a:b c\r\n"), &m), 0, "proc cgroup: colon and space in path");
    CHECK_STR(m.v2_path, "/a:b c", "proc cgroup: path is the rest of the line");
    CHECK_INT(proc_cgroup(L("0::/../../x"), &m), 0, "proc cgroup: outside the namespace");
    CHECK_STR(m.v2_path, "/../../x", "proc cgroup: outside path kept for the resolver");
    CHECK_INT(proc_cgroup(L("1:name=systemd:/\n"), &m), 0, "proc cgroup: only a named hierarchy");
    CHECK(!m.has_v2 && m.v1_mask == 0, "proc cgroup: named hierarchy ignored");
    CHECK_INT(proc_cgroup(L("4:memory:/first\n3:memory:/second\n"), &m), 0, "proc cgroup: repeat");
    CHECK_STR(m.memory_path, "/first", "proc cgroup: first line wins");

    CHECK_INT(proc_cgroup(L("3::/x\n0:memory:/y\n0::relative\n0::\nx::/\n4:cpu,,cpuset:/z\n"
                            "0::/ok\n"),
                          &m),
              0, "proc cgroup: malformed lines skipped");
    CHECK(m.has_v2 && m.v1_mask == 0, "proc cgroup: only the good line used");
    CHECK_STR(m.v2_path, "/ok", "proc cgroup: good line path");

    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "0::/", 4);
    CHECK_INT(proc_cgroup(longline, sizeof(longline), &m), 0, "proc cgroup: over-long path");
    CHECK(!m.has_v2 && m.v2_path[0] == '\0', "proc cgroup: over-long path is absent");
    memcpy(longline, "4:memory:/", 10);
    CHECK_INT(proc_cgroup(longline, sizeof(longline), &m), 0, "proc cgroup: over-long v1 path");
    CHECK_INT(m.v1_mask, 0, "proc cgroup: over-long v1 path is absent");
    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "0::/", 4);
    CHECK_INT(proc_cgroup(longline, 3 + CG_PATH_MAX - 1, &m), 0, "proc cgroup: longest path");
    CHECK_INT(strlen(m.v2_path), CG_PATH_MAX - 1, "proc cgroup: longest path fits");

    CHECK_INT(proc_cgroup(L(""), &m), -EINVAL, "proc cgroup: empty");
    CHECK_INT(proc_cgroup(L("garbage\n"), &m), -EINVAL, "proc cgroup: garbage");
    CHECK_INT(proc_cgroup(L("0::/a\0b\n"), &m), -EINVAL, "proc cgroup: NUL in path");
    CHECK_INT(proc_cgroup(L("99999999999999999999999::/\n"), &m), -EINVAL,
              "proc cgroup: hierarchy id overflow");
}

/* /proc/self/mountinfo on this machine (hybrid, tail of the file). */
static const char real_mountinfo[] =
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_mountinfo(void)
{
    struct cg_mount m[16];
    size_t n = 0;
    char longline[CG_PATH_MAX + 96];

    CHECK_INT(mountinfo(L(real_mountinfo), m, 16, &n), 0, "mountinfo: real hybrid");
    CHECK_INT(n, 10, "mountinfo: ten cgroup mounts, ext4 and tmpfs skipped");
    CHECK(!m[0].v2 && m[0].controllers == CG_CPU, "mountinfo: cpu hierarchy");
    CHECK_STR(m[0].mount_point, "/sys/fs/cgroup/cpu", "mountinfo: cpu mount point");
    CHECK_STR(m[0].root, "/", "mountinfo: cpu root");
    CHECK_INT(m[1].controllers, CG_CPUACCT, "mountinfo: cpuacct is not cpu");
    CHECK_INT(m[3].controllers, CG_MEMORY, "mountinfo: memory hierarchy");
    CHECK_INT(m[4].controllers, 0, "mountinfo: devices is not a tracked controller");
    CHECK_INT(m[8].controllers, 0, "mountinfo: name=systemd has no controller");
    CHECK(m[9].v2 && m[9].controllers == 0, "mountinfo: cgroup2");
    CHECK_STR(m[9].mount_point, "/sys/fs/cgroup/unified", "mountinfo: cgroup2 mount point");

    CHECK_INT(mountinfo(L("1234 1233 0:33 /docker/abc /sys/fs/cgroup/memory "
                          "ro,nosuid,nodev,noexec,relatime master:15 - cgroup cgroup rw,memory\n"
                          "1235 1233 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct "
                          "ro,nosuid,nodev,noexec,relatime master:11 shared:9 - cgroup cgroup "
                          "rw,cpu,cpuacct\n"),
                        m, 16, &n),
              0, "mountinfo: docker v1 without cgroupns");
    CHECK_INT(n, 2, "mountinfo: two docker mounts");
    CHECK_STR(m[0].root, "/docker/abc", "mountinfo: docker root");
    CHECK_INT(m[1].controllers, CG_CPU | CG_CPUACCT, "mountinfo: cpu,cpuacct co-mounted");
    CHECK_STR(m[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct", "mountinfo: comma in mount point");

    CHECK_INT(mountinfo(L("30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - "
                          "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"),
                        m, 16, &n),
              0, "mountinfo: v2 host, no trailing newline");
    CHECK(n == 1 && m[0].v2, "mountinfo: v2 host mount");

    CHECK_INT(mountinfo(L("40 31 0:37 /a\\040b\\134c /mnt/my\\040cg\\011x\\012 rw - cgroup2 "
                          "cgroup2 rw\r\n"),
                        m, 16, &n),
              0, "mountinfo: octal escapes");
    CHECK_STR(m[0].root, "/a b\\c", "mountinfo: root unescaped");
    CHECK_STR(m[0].mount_point, "/mnt/my cg\tx\n", "mountinfo: mount point unescaped");
    CHECK_INT(mountinfo(L("40 31 0:37 /a\\x /m\\04 rw - cgroup2 cgroup2 rw\n"), m, 16, &n), 0,
              "mountinfo: stray backslashes");
    CHECK_STR(m[0].root, "/a\\x", "mountinfo: stray backslash kept");
    CHECK_STR(m[0].mount_point, "/m\\04", "mountinfo: short escape kept");

    CHECK_INT(mountinfo(L("40 31 0:37 / /m rw - cgroup2  rw\n"), m, 16, &n), 0,
              "mountinfo: empty source");
    CHECK(n == 1 && m[0].v2, "mountinfo: empty source line kept");
    CHECK_INT(mountinfo(L("40 31 0:37 / /m rw - cgroup  rw,memory\n"), m, 16, &n), 0,
              "mountinfo: empty source v1");
    CHECK_INT(m[0].controllers, CG_MEMORY, "mountinfo: empty source, options still read");

    CHECK_INT(mountinfo(L("40 31 0:37 / /a\\000b rw - cgroup2 cgroup2 rw\n"
                          "40 31 0:37 / /a rw cgroup2 cgroup2 rw\n"
                          "40 31 0:37 / /b rw - cgroup2 cgroup2\n"
                          "40 31 0:37 / relative rw - cgroup2 cgroup2 rw\n"
                          "40 31 0:37 x /c rw - cgroup2 cgroup2 rw\n"
                          "x 31 0:37 / /d rw - cgroup2 cgroup2 rw\n"
                          "40 31 037 / /e rw - cgroup2 cgroup2 rw\n"
                          "40 31 0:37 / /f rw - cgroup2fs cgroup2 rw\n"
                          "40 31 0:37 / /g rw - cgroup\n"
                          "40 31 0:37 / /h\0 rw - cgroup2 cgroup2 rw\n"
                          "\n"
                          "40 31 0:37 / /ok rw - cgroup2 cgroup2 rw\n"),
                        m, 16, &n),
              0, "mountinfo: malformed lines");
    CHECK_INT(n, 1, "mountinfo: only the good line");
    CHECK_STR(m[0].mount_point, "/ok", "mountinfo: the good line");

    CHECK_INT(mountinfo(L(real_mountinfo), m, 3, &n), -ENOSPC, "mountinfo: table full");
    CHECK_INT(n, 3, "mountinfo: full table keeps the first cap");
    CHECK_STR(m[2].mount_point, "/sys/fs/cgroup/cpuset", "mountinfo: full table contents");
    CHECK_INT(mountinfo(L(""), NULL, 0, &n), 0, "mountinfo: empty");
    CHECK_INT(n, 0, "mountinfo: empty has no mounts");
    CHECK_INT(mountinfo(L("35 31 0:32 / /sys/fs/cgr"), m, 16, &n), 0, "mountinfo: truncated");
    CHECK_INT(n, 0, "mountinfo: truncated line skipped");

    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "1 2 0:3 / /", 11);
    memcpy(longline + 11 + CG_PATH_MAX, " rw - cgroup2 cgroup2 rw\n", 25);
    CHECK_INT(mountinfo(longline, 11 + CG_PATH_MAX + 25, m, 16, &n), 0, "mountinfo: long path");
    CHECK_INT(n, 0, "mountinfo: mount point beyond CG_PATH_MAX skipped");
    memcpy(longline + 10 + CG_PATH_MAX - 1, " rw - cgroup2 cgroup2 rw\n", 25);
    CHECK_INT(mountinfo(longline, 10 + CG_PATH_MAX - 1 + 25, m, 16, &n), 0,
              "mountinfo: longest path");
    CHECK_INT(n, 1, "mountinfo: mount point of CG_PATH_MAX - 1 kept");
    CHECK_INT(strlen(m[0].mount_point), CG_PATH_MAX - 1, "mountinfo: longest path intact");
}

static struct cg_mount mnt(const char *root, const char *mount_point)
{
    struct cg_mount m = {.v2 = true};

    strncpy(m.root, root, sizeof(m.root) - 1);
    strncpy(m.mount_point, mount_point, sizeof(m.mount_point) - 1);
    return m;
}

static void test_resolve(void)
{
    struct cg_mount m;
    char out[CG_PATH_MAX * 2];
    bool outside = true;

    m = mnt("/", "/sys/fs/cgroup");
    CHECK_INT(cg_resolve_dir(&m, "/a/b", out, sizeof(out), &outside), 0, "resolve: root /");
    CHECK_STR(out, "/sys/fs/cgroup/a/b", "resolve: root / joins the path");
    CHECK(!outside, "resolve: root / is never outside");
    CHECK_INT(cg_resolve_dir(&m, "/", out, sizeof(out), &outside), 0, "resolve: cgroup /");
    CHECK_STR(out, "/sys/fs/cgroup", "resolve: cgroup / is the mount point");
    CHECK_INT(cg_resolve_dir(&m, "//a///b/", out, sizeof(out), &outside), 0, "resolve: slashes");
    CHECK_STR(out, "/sys/fs/cgroup/a/b", "resolve: no double or trailing slash");

    m = mnt("/docker/abc", "/sys/fs/cgroup/memory");
    CHECK_INT(cg_resolve_dir(&m, "/docker/abc", out, sizeof(out), &outside), 0,
              "resolve: v1 without cgroupns");
    CHECK_STR(out, "/sys/fs/cgroup/memory", "resolve: own cgroup is the mount point");
    CHECK(!outside, "resolve: own cgroup is inside");
    CHECK_INT(cg_resolve_dir(&m, "/docker/abc/sub", out, sizeof(out), &outside), 0,
              "resolve: below the root");
    CHECK_STR(out, "/sys/fs/cgroup/memory/sub", "resolve: below the root keeps the rest");
    CHECK_INT(cg_resolve_dir(&m, "/docker/abc/", out, sizeof(out), &outside), 0,
              "resolve: trailing slash");
    CHECK_STR(out, "/sys/fs/cgroup/memory", "resolve: trailing slash dropped");
    CHECK_INT(cg_resolve_dir(&m, "/docker/abcd", out, sizeof(out), &outside), 0,
              "resolve: sibling with a longer name");
    CHECK_STR(out, "/sys/fs/cgroup/memory", "resolve: /docker/abcd is not under /docker/abc");
    CHECK(outside, "resolve: sibling is outside");
    CHECK_INT(cg_resolve_dir(&m, "/", out, sizeof(out), &outside), 0, "resolve: namespace root");
    CHECK_STR(out, "/sys/fs/cgroup/memory", "resolve: namespace root is the mount point");
    CHECK(outside, "resolve: namespace root is outside a deeper mount root");
    CHECK_INT(cg_resolve_dir(&m, "/docker", out, sizeof(out), NULL), 0, "resolve: parent");
    CHECK_STR(out, "/sys/fs/cgroup/memory", "resolve: parent is the mount point; outside NULL");

    m = mnt("/a", "/m");
    outside = false;
    CHECK_INT(cg_resolve_dir(&m, "/ab", out, sizeof(out), &outside), 0, "resolve: /ab vs /a");
    CHECK(outside, "resolve: root /a does not match /ab");
    m = mnt("/a/", "/m/");
    CHECK_INT(cg_resolve_dir(&m, "/a/c", out, sizeof(out), &outside), 0, "resolve: slashes");
    CHECK_STR(out, "/m/c", "resolve: trailing slashes of root and mount point");
    CHECK(!outside, "resolve: /a/c under /a/");

    m = mnt("/", "/sys/fs/cgroup");
    CHECK_INT(cg_resolve_dir(&m, "/../../x", out, sizeof(out), &outside), 0, "resolve: /..");
    CHECK_STR(out, "/sys/fs/cgroup", "resolve: /.. never climbs above the mount point");
    CHECK(outside, "resolve: /.. is outside");
    CHECK_INT(cg_resolve_dir(&m, "/a/./b", out, sizeof(out), &outside), 0, "resolve: /.");
    CHECK(outside, "resolve: a dot component is not trusted");
    CHECK_INT(cg_resolve_dir(&m, "/a/..b/.c", out, sizeof(out), &outside), 0, "resolve: dots");
    CHECK_STR(out, "/sys/fs/cgroup/a/..b/.c", "resolve: dotted names are names");

    /* A mount made outside the reader's cgroup namespace shows its root
     * relative to the namespace root. */
    m = mnt("/..", "/sys/fs/cgroup");
    CHECK_INT(cg_resolve_dir(&m, "/../x", out, sizeof(out), &outside), 0, "resolve: root /..");
    CHECK_STR(out, "/sys/fs/cgroup/x", "resolve: /../x under root /..");
    CHECK(!outside, "resolve: /../x is inside root /..");
    CHECK_INT(cg_resolve_dir(&m, "/", out, sizeof(out), &outside), 0, "resolve: / vs root /..");
    CHECK_STR(out, "/sys/fs/cgroup", "resolve: namespace root under root /.. is unknown");
    CHECK(outside, "resolve: namespace root is outside root /..");
    CHECK_INT(cg_resolve_dir(&m, "/../x/../..", out, sizeof(out), &outside), 0,
              "resolve: climbing below root /..");
    CHECK_STR(out, "/sys/fs/cgroup", "resolve: a climb in the rest is not followed");
    CHECK(outside, "resolve: a climb in the rest is outside");

    m = mnt("/", "/sys//fs/cgroup//");
    CHECK_INT(cg_resolve_dir(&m, "/a", out, sizeof(out), &outside), 0, "resolve: mount slashes");
    CHECK_STR(out, "/sys/fs/cgroup/a", "resolve: mount point normalised too");

    m = mnt("/", "/");
    CHECK_INT(cg_resolve_dir(&m, "/", out, sizeof(out), &outside), 0, "resolve: mounted at /");
    CHECK_STR(out, "/", "resolve: / under /");
    CHECK_INT(cg_resolve_dir(&m, "/x/y", out, sizeof(out), &outside), 0, "resolve: at /, deep");
    CHECK_STR(out, "/x/y", "resolve: no leading double slash");

    m = mnt("/", "/sys/fs/cgroup");
    CHECK_INT(cg_resolve_dir(&m, "/a/b", out, 19, &outside), 0, "resolve: exact fit");
    CHECK_STR(out, "/sys/fs/cgroup/a/b", "resolve: exact fit value");
    CHECK_INT(cg_resolve_dir(&m, "/a/b", out, 18, &outside), -ENAMETOOLONG, "resolve: too long");
    CHECK_STR(out, "", "resolve: too long leaves an empty string");
    CHECK_INT(cg_resolve_dir(&m, "a/b", out, sizeof(out), &outside), -EINVAL, "resolve: relative");
    CHECK_INT(cg_resolve_dir(&m, "", out, sizeof(out), &outside), -EINVAL, "resolve: empty path");
    CHECK_INT(cg_resolve_dir(&m, "/a", out, 0, &outside), -EINVAL, "resolve: no room at all");
    m.mount_point[0] = '\0';
    CHECK_INT(cg_resolve_dir(&m, "/a", out, sizeof(out), &outside), -EINVAL,
              "resolve: empty mount point");
    m = mnt("/", "/m");
    memset(m.root, 'r', sizeof(m.root));
    CHECK_INT(cg_resolve_dir(&m, "/a", out, sizeof(out), &outside), -EINVAL,
              "resolve: unterminated root");
}

int main(void)
{
    test_u64();
    test_limit();
    test_i64();
    test_cpu_max();
    test_cpulist();
    test_keyed();
    test_pressure();
    test_proc_cgroup();
    test_mountinfo();
    test_resolve();
    return check_done();
}
