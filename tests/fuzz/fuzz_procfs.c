/* fuzz_procfs.c - libFuzzer harness for every procfs_parse entry point:
 * proc_parse_stat, proc_parse_smaps_rollup, proc_parse_status_rss and
 * proc_parse_meminfo, all run on the same input. */
#include "procfs_parse.h"
#include "memlock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define SENTINEL UINT64_C(0xa5a5a5a5a5a5a5a5)

static void check_stat(const char *buf, size_t len)
{
    struct proc_stat st, untouched;
    const char *lp, *rp = NULL;
    size_t n;
    int r;

    memset(&st, 0xa5, sizeof(st));
    memcpy(&untouched, &st, sizeof(st));
    r = proc_parse_stat(buf, len, &st);
    INVARIANT(r == 0 || r == -EINVAL || r == -ERANGE);
    if (r < 0) {
        INVARIANT(memcmp(&st, &untouched, sizeof(st)) == 0);
        return;
    }
    INVARIANT(st.pid > 0 && st.ppid >= 0 && st.pgrp >= 0);
    INVARIANT((st.state >= 'A' && st.state <= 'Z') || (st.state >= 'a' && st.state <= 'z'));
    n = strnlen(st.comm, PROC_COMM_MAX);
    INVARIANT(n < PROC_COMM_MAX);
    /* comm is a prefix of what lies between the first '(' and the last ')'. */
    lp = memchr(buf, '(', len);
    INVARIANT(lp != NULL);
    for (size_t i = len; i > 0; i--) {
        if (buf[i - 1] == ')') {
            rp = buf + i - 1;
            break;
        }
    }
    INVARIANT(rp != NULL && rp > lp);
    INVARIANT(n <= (size_t)(rp - lp - 1) && memcmp(st.comm, lp + 1, n) == 0);
    INVARIANT(n == PROC_COMM_MAX - 1 || n == (size_t)(rp - lp - 1));
}

static void check_mem_field(uint64_t v)
{
    INVARIANT(v == UINT64_MAX || v % 1024 == 0);
}

static void check_mem(const char *buf, size_t len, bool smaps)
{
    struct proc_mem m;
    int r;

    memset(&m, 0xa5, sizeof(m));
    r = smaps ? proc_parse_smaps_rollup(buf, len, &m) : proc_parse_status_rss(buf, len, &m);
    INVARIANT(r == 0 || r == -EINVAL || r == -ERANGE);
    check_mem_field(m.rss);
    check_mem_field(m.pss);
    check_mem_field(m.pss_anon);
    check_mem_field(m.pss_file);
    check_mem_field(m.pss_shmem);
    check_mem_field(m.anonymous);
    check_mem_field(m.swap);
    check_mem_field(m.swap_pss);
    if (r == 0)
        INVARIANT(m.rss != UINT64_MAX);
    if (r == -EINVAL)
        INVARIANT(m.rss == UINT64_MAX);
    if (!memmem(buf, len, smaps ? "Rss:" : "VmRSS:", smaps ? 4 : 6))
        INVARIANT(r != 0 && m.rss == UINT64_MAX);
    if (!smaps)
        INVARIANT(m.pss == UINT64_MAX && m.swap_pss == UINT64_MAX);
}

static void check_meminfo(const char *buf, size_t len)
{
    uint64_t total = SENTINEL, avail = SENTINEL;
    int r = proc_parse_meminfo(buf, len, &total, &avail);

    INVARIANT(r == 0 || r == -ENOENT || r == -ERANGE);
    if (r < 0) {
        INVARIANT(total == SENTINEL && avail == SENTINEL);
        return;
    }
    INVARIANT(total != UINT64_MAX && total % 1024 == 0);
    INVARIANT(avail == UINT64_MAX || avail % 1024 == 0);
    INVARIANT(memmem(buf, len, "MemTotal:", 9) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;

    check_stat(buf, size);
    check_mem(buf, size, true);
    check_mem(buf, size, false);
    check_meminfo(buf, size);
    {
        /* /proc/self/maps lines and VmLck, as memlock.c reads them */
        struct memlock_map m;
        uint64_t lck = 7;
        int r = memlock_parse_maps_line(buf, size, &m);
        if (r == 0 && m.end < m.start)
            abort();
        r = memlock_parse_vmlck(buf, size, &lck);
        if (r < 0 && lck != 7)
            abort();
    }
    return 0;
}
