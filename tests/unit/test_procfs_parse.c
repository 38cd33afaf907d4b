/* test_procfs_parse.c - the /proc parsers on real kernel output, edge cases
 * and malformed input.
 *
 * Every parse runs on an exact-size heap copy of its input, never on the
 * NUL-terminated literal, so a sanitizer build catches any read past len. */
#include "procfs_parse.h"
#include "check.h"

#include <errno.h>
#include <stdbool.h>
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

static int stat_(const char *s, size_t n, struct proc_stat *st)
{
    char *b = exact(s, n);
    int r = proc_parse_stat(b, n, st);

    free(b);
    return r;
}

static int smaps(const char *s, size_t n, struct proc_mem *m)
{
    char *b = exact(s, n);
    int r = proc_parse_smaps_rollup(b, n, m);

    free(b);
    return r;
}

static int status(const char *s, size_t n, struct proc_mem *m)
{
    char *b = exact(s, n);
    int r = proc_parse_status_rss(b, n, m);

    free(b);
    return r;
}

static int meminfo(const char *s, size_t n, uint64_t *total, uint64_t *avail)
{
    char *b = exact(s, n);
    int r = proc_parse_meminfo(b, n, total, avail);

    free(b);
    return r;
}

/* /proc/self/stat of cat(1) on the machine these tests were written on. */
static const char real_stat[] =
    "10776 (cat) R 10765 10765 9890 0 -1 4194304 115 0 0 0 0 0 0 0 20 0 1 0 41173 3133440 389 "
    "18446744073709551615 94900289777664 94900289797545 140725331054544 0 0 0 0 0 0 0 0 0 17 0 0 "
    "0 0 0 0 94900289813552 94900289815168 94900423606272 140725331061379 140725331061399 "
    "140725331061399 140725331062763 0\n";

static void test_stat(void)
{
    struct proc_stat st;
    char comm[PROC_COMM_MAX + 40];
    char line[sizeof(comm) + 128];
    int len;

    CHECK_INT(stat_(L(real_stat), &st), 0, "stat: real");
    CHECK_INT(st.pid, 10776, "stat: pid");
    CHECK_STR(st.comm, "cat", "stat: comm");
    CHECK_INT(st.state, 'R', "stat: state");
    CHECK_INT(st.ppid, 10765, "stat: ppid");
    CHECK_INT(st.pgrp, 10765, "stat: pgrp");
    CHECK_U64(st.utime_ticks, 0, "stat: utime");
    CHECK_U64(st.starttime_ticks, 41173, "stat: starttime");
    CHECK_U64(st.rss_pages, 389, "stat: rss pages");

    CHECK_INT(stat_(L("42 (a) b) c) S 1 42 42 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 1 0 555 1000 "
                      "12 18446744073709551615\n"),
                    &st),
              0, "stat: comm with spaces and parentheses");
    CHECK_STR(st.comm, "a) b) c", "stat: comm runs to the last )");
    CHECK_INT(st.state, 'S', "stat: state after a tricky comm");
    CHECK_U64(st.utime_ticks, 7, "stat: utime after a tricky comm");
    CHECK_U64(st.stime_ticks, 3, "stat: stime after a tricky comm");
    CHECK_U64(st.starttime_ticks, 555, "stat: starttime after a tricky comm");
    CHECK_U64(st.rss_pages, 12, "stat: rss after a tricky comm");

    CHECK_INT(stat_(L("7 (x\ny) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0"), &st), 0,
              "stat: newline in comm, no trailing newline, exactly 24 fields");
    CHECK_STR(st.comm, "x\ny", "stat: newline kept in comm");
    CHECK_INT(st.state, 'Z', "stat: zombie");
    CHECK_U64(st.rss_pages, 0, "stat: rss of a zombie");

    CHECK_INT(stat_(L("1 () S 0 0 0 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3 0 4\r\n"), &st), 0,
              "stat: empty comm, ppid 0, CRLF");
    CHECK_STR(st.comm, "", "stat: empty comm");
    CHECK_INT(st.ppid, 0, "stat: ppid 0 (pid 1)");
    CHECK_U64(st.rss_pages, 4, "stat: rss before CR");

    memset(comm, 'c', sizeof(comm));
    comm[sizeof(comm) - 1] = '\0';
    len = snprintf(line, sizeof(line), "5 (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 6\n",
                   comm);
    CHECK_INT(stat_(line, (size_t)len, &st), 0, "stat: over-long comm");
    CHECK_INT(strlen(st.comm), PROC_COMM_MAX - 1, "stat: over-long comm truncated");
    CHECK_U64(st.rss_pages, 6, "stat: fields after an over-long comm");

    CHECK_INT(stat_(L("10776 (cat) R 10765 10765 9890 0 -1 4194304 115 0 0 0 0 0 0 0 20 0 1 0 "
                      "41173 3133440 389"),
                    &st),
              0, "stat: truncated after rss");
    CHECK_INT(stat_(L("10776 (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"
                      "1 1 1 1"),
                    &st),
              0, "stat: a second line is ignored");

    st.pid = 77;
    CHECK_INT(stat_(L(""), &st), -EINVAL, "stat: empty");
    CHECK_INT(stat_(L("10776 (cat) R 10765 10765 9890 0 -1 4194304 115 0 0 0 0 0 0 0 20 0 1 0 "
                      "41173 3133440\n"),
                    &st),
              -EINVAL, "stat: rss field missing");
    CHECK_INT(stat_(L("10776 (cat"), &st), -EINVAL, "stat: truncated in comm");
    CHECK_INT(stat_(L("10776 (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0\n5"), &st), -EINVAL,
              "stat: fields do not continue past the newline");
    CHECK_INT(stat_(L("0 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: pid 0");
    CHECK_INT(stat_(L("2147483648 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st),
              -ERANGE, "stat: pid beyond pid_t");
    CHECK_INT(stat_(L("-1 (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: negative pid");
    CHECK_INT(stat_(L("1 (x) R -1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: negative ppid");
    CHECK_INT(stat_(L("1 (x) RS 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: two-letter state");
    CHECK_INT(
        stat_(L("1 (x) R 1 1 1 0 -1 0 0 0 0 0 99999999999999999999 0 0 0 20 0 1 0 9 0 5\n"), &st),
        -ERANGE, "stat: utime overflow");
    CHECK_INT(stat_(L("1 (x) \0 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: state must be a letter");
    CHECK_INT(stat_(L("1 (x) R 1 1 1 0 -1 0 0 0 0 0 0\r 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: CR inside the line");
    CHECK_INT(stat_(L("1 (x)R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: no blank after comm");
    CHECK_INT(stat_(L("1 x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: no (");
    CHECK_INT(stat_(L("1 (x\0y) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: NUL in comm");
    CHECK_INT(stat_(L("1  (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 5\n"), &st), -EINVAL,
              "stat: two blanks before comm");
    CHECK_INT(st.pid, 77, "stat: output untouched on failure");
}

/* /proc/self/smaps_rollup of cat(1) on this machine. */
static const char real_smaps_rollup[] =
    "5565ad6fa000-7ffd83f2d000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:                1688 kB\n"
    "Pss:                 522 kB\n"
    "Pss_Dirty:           112 kB\n"
    "Pss_Anon:            112 kB\n"
    "Pss_File:            410 kB\n"
    "Pss_Shmem:             0 kB\n"
    "Shared_Clean:       1496 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:        80 kB\n"
    "Private_Dirty:       112 kB\n"
    "Referenced:         1688 kB\n"
    "Anonymous:           112 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n";

static void test_smaps_rollup(void)
{
    struct proc_mem m;

    CHECK_INT(smaps(L(real_smaps_rollup), &m), 0, "smaps_rollup: real");
    CHECK_U64(m.rss, 1688 * 1024, "smaps_rollup: Rss in bytes");
    CHECK_U64(m.pss, 522 * 1024, "smaps_rollup: Pss");
    CHECK_U64(m.pss_anon, 112 * 1024, "smaps_rollup: Pss_Anon");
    CHECK_U64(m.pss_file, 410 * 1024, "smaps_rollup: Pss_File");
    CHECK_U64(m.pss_shmem, 0, "smaps_rollup: Pss_Shmem");
    CHECK_U64(m.anonymous, 112 * 1024, "smaps_rollup: Anonymous");
    CHECK_U64(m.swap, 0, "smaps_rollup: Swap");
    CHECK_U64(m.swap_pss, 0, "smaps_rollup: SwapPss");

    /* Kernels before 5.x lack Pss_Anon/Pss_File/Pss_Shmem. */
    CHECK_INT(smaps(L("00400000-7fff ---p 00000000 00:00 0  [rollup]\n"
                      "Rss:                 884 kB\n"
                      "Pss:                 385 kB\n"
                      "Anonymous:            68 kB\n"
                      "Swap:                 12 kB\n"
                      "SwapPss:               6 kB\n"),
                    &m),
              0, "smaps_rollup: old kernel");
    CHECK_U64(m.pss_anon, UINT64_MAX, "smaps_rollup: absent key stays UINT64_MAX");
    CHECK_U64(m.swap, 12 * 1024, "smaps_rollup: Swap not confused with SwapPss");
    CHECK_U64(m.swap_pss, 6 * 1024, "smaps_rollup: SwapPss");

    CHECK_INT(smaps(L("Rss:\t5 kB\r\nRss: 9 kB\r\nPss: 1 kB"), &m), 0, "smaps_rollup: odd");
    CHECK_U64(m.rss, 5 * 1024, "smaps_rollup: first Rss wins, CRLF");
    CHECK_U64(m.pss, 1024, "smaps_rollup: last line without newline");
    CHECK_INT(smaps(L("Rss: 18014398509481983 kB\n"), &m), 0, "smaps_rollup: largest value");
    CHECK_U64(m.rss, UINT64_C(18014398509481983) * 1024, "smaps_rollup: largest in bytes");

    CHECK_INT(smaps(L("Rss: 18014398509481984 kB\n"), &m), -ERANGE, "smaps_rollup: kB overflow");
    CHECK_INT(smaps(L("Rss: 99999999999999999999 kB\n"), &m), -ERANGE, "smaps_rollup: overflow");
    CHECK_INT(smaps(L("Rss: 1 kB\nLocked: 99999999999999999999 kB\n"), &m), 0,
              "smaps_rollup: overflow in an unused key is ignored");
    CHECK_INT(smaps(L(""), &m), -EINVAL, "smaps_rollup: empty");
    CHECK_INT(smaps(L("Pss: 5 kB\n"), &m), -EINVAL, "smaps_rollup: no Rss");
    CHECK_U64(m.pss, 5 * 1024, "smaps_rollup: no Rss still reports the rest");
    CHECK_INT(smaps(L("Rss: 5\n"), &m), -EINVAL, "smaps_rollup: no unit");
    CHECK_INT(smaps(L("Rss: 5 MB\n"), &m), -EINVAL, "smaps_rollup: other unit");
    CHECK_INT(smaps(L("Rss: -5 kB\n"), &m), -EINVAL, "smaps_rollup: negative");
    CHECK_INT(smaps(L("Rss: 5 kB x\n"), &m), -EINVAL, "smaps_rollup: trailing field");
    CHECK_INT(smaps(L("Rss 5 kB\n"), &m), -EINVAL, "smaps_rollup: no colon");
    CHECK_INT(smaps(L("RSS: 5 kB\n"), &m), -EINVAL, "smaps_rollup: keys are case-sensitive");
    CHECK_INT(smaps(L("Rss: 5 k"), &m), -EINVAL, "smaps_rollup: truncated unit");
    CHECK_INT(smaps(L("Rss: 5\0 kB\n"), &m), -EINVAL, "smaps_rollup: NUL inside");
    CHECK_INT(smaps(L("Rss\0: 5 kB\n"), &m), -EINVAL, "smaps_rollup: NUL in key");
}

/* The memory lines of /proc/self/status of cat(1) on this machine. */
static const char real_status[] = "Name:\tcat\n"
                                  "Umask:\t0022\n"
                                  "State:\tR (running)\n"
                                  "Tgid:\t10774\n"
                                  "Pid:\t10774\n"
                                  "PPid:\t10765\n"
                                  "VmPeak:\t    3060 kB\n"
                                  "VmSize:\t    3060 kB\n"
                                  "VmLck:\t       0 kB\n"
                                  "VmPin:\t       0 kB\n"
                                  "VmHWM:\t    1712 kB\n"
                                  "VmRSS:\t    1712 kB\n"
                                  "RssAnon:\t     116 kB\n"
                                  "RssFile:\t    1596 kB\n"
                                  "RssShmem:\t       0 kB\n"
                                  "VmData:\t     360 kB\n"
                                  "VmSwap:\t       0 kB\n"
                                  "Threads:\t1\n";

static void test_status(void)
{
    struct proc_mem m;

    CHECK_INT(status(L(real_status), &m), 0, "status: real");
    CHECK_U64(m.rss, 1712 * 1024, "status: VmRSS in bytes, not VmHWM");
    CHECK_U64(m.anonymous, 116 * 1024, "status: RssAnon as anonymous");
    CHECK_U64(m.swap, 0, "status: VmSwap as swap");
    CHECK_U64(m.pss, UINT64_MAX, "status: no Pss");
    CHECK_U64(m.swap_pss, UINT64_MAX, "status: no SwapPss");
    CHECK_INT(status(L("Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n"), &m), -EINVAL,
              "status: kernel thread has no VmRSS");
    CHECK_INT(status(L("VmRSS:\t99999999999999999999 kB\n"), &m), -ERANGE, "status: overflow");
    CHECK_INT(status(L("VmRSS:\t 17"), &m), -EINVAL, "status: truncated mid-line");
    CHECK_INT(status(L("Rss: 5 kB\n"), &m), -EINVAL, "status: smaps key is not VmRSS");
}

/* The head of /proc/meminfo on this machine. */
static const char real_meminfo[] = "MemTotal:       24684096 kB\n"
                                   "MemFree:        24431216 kB\n"
                                   "MemAvailable:   24380420 kB\n"
                                   "Buffers:            2404 kB\n"
                                   "Cached:            75240 kB\n"
                                   "HugePages_Total:       0\n"
                                   "Hugepagesize:       2048 kB\n";

static void test_meminfo(void)
{
    uint64_t total = 0, avail = 0;

    CHECK_INT(meminfo(L(real_meminfo), &total, &avail), 0, "meminfo: real");
    CHECK_U64(total, UINT64_C(24684096) * 1024, "meminfo: MemTotal in bytes");
    CHECK_U64(avail, UINT64_C(24380420) * 1024, "meminfo: MemAvailable in bytes");
    /* Kernels before 3.14 have no MemAvailable. */
    CHECK_INT(
        meminfo(L("MemTotal:        2048000 kB\nMemFree:          100000 kB\n"), &total, &avail), 0,
        "meminfo: old kernel");
    CHECK_U64(avail, UINT64_MAX, "meminfo: MemAvailable absent");

    total = avail = 3;
    CHECK_INT(meminfo(L("MemFree: 1 kB\nMemAvailable: 2 kB\n"), &total, &avail), -ENOENT,
              "meminfo: no MemTotal");
    CHECK_INT(meminfo(L(""), &total, &avail), -ENOENT, "meminfo: empty");
    CHECK_INT(meminfo(L("MemTotal: 99999999999999999999 kB\n"), &total, &avail), -ERANGE,
              "meminfo: overflow");
    CHECK_INT(meminfo(L("MemTotal: 18014398509481984 kB\n"), &total, &avail), -ERANGE,
              "meminfo: overflow in the kB conversion");
    CHECK_INT(meminfo(L("MemTotal: 1 kB\nMemAvailable: 18014398509481984 kB\n"), &total, &avail),
              -ERANGE, "meminfo: MemAvailable overflow");
    CHECK_INT(meminfo(L("MemTotal:       246840"), &total, &avail), -ENOENT,
              "meminfo: truncated MemTotal");
    CHECK(total == 3 && avail == 3, "meminfo: outputs untouched on failure");
    CHECK_INT(meminfo(L("MemTotalX: 5 kB\nMemTotal: 7 kB\n"), &total, &avail), 0,
              "meminfo: keys match whole");
    CHECK_U64(total, 7 * 1024, "meminfo: MemTotal not confused with MemTotalX");
}

int main(void)
{
    test_stat();
    test_smaps_rollup();
    test_status();
    test_meminfo();
    return check_done();
}
