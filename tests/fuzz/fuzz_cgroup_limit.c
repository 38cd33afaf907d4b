/* fuzz_cgroup_limit.c - libFuzzer harness for the single-value cgroup files:
 * cg_parse_u64, cg_parse_limit, cg_parse_i64, cg_parse_cpu_max and
 * cg_parse_cpulist, all run on the same input and checked against libc's
 * strtoull/strtoll and against each other. */
#include "cgroup_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define SENTINEL_U64 UINT64_C(0xa5a5a5a5a5a5a5a5)
#define SENTINEL_I64 INT64_C(-0x5a5a5a5a5a5a5a5a)
#define SENTINEL_U   0xa5a5a5a5u

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool all_digits(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t start = 0, end = size;
    char *z;
    uint64_t u = SENTINEL_U64, lim = SENTINEL_U64, period = SENTINEL_U64;
    int64_t i = SENTINEL_I64, quota = SENTINEL_I64;
    unsigned count = SENTINEL_U;
    int ru, rl, ri, rc, rp;

    /* A NUL-terminated copy for the libc reference; the parsers get the
     * unterminated input. */
    z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, buf, size);
    z[size] = '\0';
    while (start < end && is_ws(z[start]))
        start++;
    while (end > start && is_ws(z[end - 1]))
        end--;

    ru = cg_parse_u64(buf, size, &u);
    INVARIANT(ru == 0 || ru == -EINVAL || ru == -ERANGE);
    if (ru != 0)
        INVARIANT(u == SENTINEL_U64);
    if (all_digits(z + start, end - start)) {
        unsigned long long ref;

        errno = 0;
        ref = strtoull(z + start, NULL, 10);
        if (errno == ERANGE)
            INVARIANT(ru == -ERANGE);
        else
            INVARIANT(ru == 0 && u == ref);
    } else {
        INVARIANT(ru == -EINVAL);
    }

    rl = cg_parse_limit(buf, size, &lim);
    INVARIANT(rl == 0 || rl == -EINVAL || rl == -ERANGE);
    if (rl == 0)
        INVARIANT(lim == CG_UNLIMITED || lim < CG_V1_UNLIMITED_FLOOR);
    else
        INVARIANT(lim == SENTINEL_U64);
    if (ru == 0)
        INVARIANT(rl == 0 && lim == (u >= CG_V1_UNLIMITED_FLOOR ? CG_UNLIMITED : u));
    if (ru == -ERANGE)
        INVARIANT(rl == -ERANGE);

    ri = cg_parse_i64(buf, size, &i);
    INVARIANT(ri == 0 || ri == -EINVAL || ri == -ERANGE);
    if (ri != 0)
        INVARIANT(i == SENTINEL_I64);
    if (end > start && (all_digits(z + start, end - start) ||
                        (z[start] == '-' && all_digits(z + start + 1, end - start - 1)))) {
        long long ref;

        errno = 0;
        ref = strtoll(z + start, NULL, 10);
        if (errno == ERANGE)
            INVARIANT(ri == -ERANGE);
        else
            INVARIANT(ri == 0 && i == ref);
    } else {
        INVARIANT(ri == -EINVAL);
    }
    /* Every negative but -1 is out of range for a limit. */
    if (ri == 0 && i < 0)
        INVARIANT(i == -1 ? (rl == 0 && lim == CG_UNLIMITED) : rl == -ERANGE);
    if (ri == 0 && i >= 0)
        INVARIANT(rl == 0 &&
                  lim == ((uint64_t)i >= CG_V1_UNLIMITED_FLOOR ? CG_UNLIMITED : (uint64_t)i));

    rc = cg_parse_cpu_max(buf, size, &quota, &period);
    INVARIANT(rc == 0 || rc == -EINVAL || rc == -ERANGE);
    if (rc == 0)
        INVARIANT(quota >= -1 && period > 0);
    else
        INVARIANT(quota == SENTINEL_I64 && period == SENTINEL_U64);
    /* A lone number is a quota with the default period. */
    if (ru == 0)
        INVARIANT(u > INT64_MAX ? rc == -ERANGE
                                : (rc == 0 && quota == (int64_t)u && period == 100000));

    rp = cg_parse_cpulist(buf, size, &count);
    INVARIANT(rp == 0 || rp == -EINVAL || rp == -ERANGE);
    if (rp == 0)
        INVARIANT(count <= 4096);
    else
        INVARIANT(count == SENTINEL_U);
    if (end == start)
        INVARIANT(rp == 0 && count == 0);
    if (ru == 0)
        INVARIANT(u < 4096 ? (rp == 0 && count == 1) : rp == -ERANGE);

    free(z);
    return 0;
}
