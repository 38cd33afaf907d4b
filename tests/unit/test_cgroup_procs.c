/* Unit tests of cgroup_procs.c: a pid in cgroup.procs, read in pieces. */
#include <string.h>

#include "cgroup_procs.h"
#include "check.h"

static bool scan(const char *text, uint64_t pid, size_t step)
{
    struct cg_pid_scan s;
    size_t len = strlen(text);

    cg_pid_scan_init(&s, pid);
    for (size_t off = 0; off < len; off += step)
        cg_pid_scan_feed(&s, text + off, len - off < step ? len - off : step);
    return cg_pid_scan_end(&s);
}

int main(void)
{
    CHECK(scan("1\n7\n", 7, 64), "listed");
    CHECK(scan("1\n7\n", 1, 64), "first line");
    CHECK(!scan("1\n7\n", 17, 64), "not the concatenation of two lines");
    CHECK(!scan("17\n", 1, 64), "nor a prefix");
    CHECK(!scan("17\n", 7, 64), "nor a suffix");
    CHECK(scan("4127\n4160", 4160, 64), "a last line without a newline");
    CHECK(scan("12\n4127\n4160\n", 4127, 1), "fed a byte at a time");
    CHECK(scan("12\n4127\n4160\n", 4127, 3), "a pid across two pieces");
    CHECK(!scan("", 1, 64), "empty: no one");
    CHECK(!scan(" 7\n7x\n", 7, 64), "a line that is not a plain number is no match");
    CHECK(!scan("1000000007\n", 7, 64), "a number longer than any pid is no match");
    CHECK(scan("99999999999999999999\n7\n", 7, 64), "an overflowing line does not spoil the next");
    return check_done();
}
