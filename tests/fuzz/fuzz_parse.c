/* fuzz_parse.c - libFuzzer harness for every function of parse.h, run on a
 * NUL-terminated copy of the input: results stay in their documented ranges,
 * outputs are untouched on error, plain digits agree with strtoull, and
 * signal names round-trip. */
#include "parse.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#define SENTINEL_U64 UINT64_C(0xa5a5a5a5a5a5a5a5)
#define SENTINEL_I64 INT64_C(-0x5a5a5a5a5a5a5a5a)
#define SENTINEL_INT (-0x5a5a5a5a)

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool ok_or(int r, int e1, int e2)
{
    return r == 0 || r == e1 || r == e2;
}

/* Returns the parse_u64 result for the checks below that build on it. */
static int check_u64(const char *s, uint64_t *value)
{
    uint64_t u = SENTINEL_U64;
    int r = parse_u64(s, &u);

    INVARIANT(ok_or(r, -EINVAL, -ERANGE));
    if (r != 0)
        INVARIANT(u == SENTINEL_U64);
    if (all_digits(s)) {
        unsigned long long ref;
        errno = 0;
        ref = strtoull(s, NULL, 10);
        INVARIANT(errno == ERANGE ? r == -ERANGE : (r == 0 && u == ref));
    } else {
        /* malformed; -ERANGE when a leading run of digits overflows first
         * (as systemd's safe_atou64) */
        INVARIANT(r == -EINVAL || (r == -ERANGE && strspn(s, "0123456789") >= 20));
    }
    *value = u;
    return r;
}

static void check_int_range(const char *s, int ru, uint64_t u)
{
    static const int64_t ranges[][2] = {{INT64_MIN, INT64_MAX}, {0, 255}, {-5, 5}, {1, 4096}};

    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        int64_t v = SENTINEL_I64;
        int r = parse_int_range(s, ranges[i][0], ranges[i][1], &v);

        INVARIANT(ok_or(r, -EINVAL, -ERANGE));
        if (r != 0) {
            INVARIANT(v == SENTINEL_I64);
            continue;
        }
        INVARIANT(v >= ranges[i][0] && v <= ranges[i][1]);
        /* unsigned digits mean the same to both */
        if (ru == 0)
            INVARIANT((uint64_t)v == u);
        else
            INVARIANT(s[0] == '-' || s[0] == '+');
    }
    if (ru == 0 && u <= INT64_MAX) {
        int64_t v = SENTINEL_I64;
        INVARIANT(parse_int_range(s, INT64_MIN, INT64_MAX, &v) == 0 && v == (int64_t)u);
    }
}

static void check_bool(const char *s)
{
    static const char *const words[] = {"1", "true", "yes", "on", "0", "false", "no", "off"};
    bool b = false, known = false;
    size_t i;
    int r = parse_bool(s, &b);

    INVARIANT(r == 0 || r == -EINVAL);
    for (i = 0; i < sizeof(words) / sizeof(words[0]) && !known; i++)
        known = strcasecmp(s, words[i]) == 0;
    INVARIANT(known == (r == 0));
    if (r == 0)
        INVARIANT(b == (i - 1 < 4));
}

static void check_signal(const char *s, int byte)
{
    int signo = SENTINEL_INT, again = SENTINEL_INT;
    const char *name;
    int r = parse_signal(s, &signo);

    INVARIANT(r == 0 || r == -EINVAL);
    if (r != 0) {
        INVARIANT(signo == SENTINEL_INT);
    } else {
        INVARIANT(signo >= 1 && signo <= SIGRTMAX);
        name = signal_name(signo);
        if (name) {
            INVARIANT(parse_signal(name, &again) == 0 && again == signo);
        } else {
            /* only the two signals glibc keeps for itself have no name */
            INVARIANT(signo > SIGSYS && signo < SIGRTMIN);
        }
    }
    /* any int, named or not */
    name = signal_name(byte - 64);
    if (name) {
        INVARIANT(strncmp(name, "SIG", 3) == 0);
        INVARIANT(parse_signal(name, &again) == 0 && again == byte - 64);
    }
}

static void check_duration(const char *s, int ru, uint64_t u)
{
    int64_t ms = SENTINEL_I64;
    int r = parse_duration_ms(s, &ms);

    INVARIANT(ok_or(r, -EINVAL, -ERANGE));
    if (r != 0)
        INVARIANT(ms == SENTINEL_I64);
    else
        INVARIANT(ms >= 0 && ms <= INT64_C(864000000));
    if (ru == 0)
        INVARIANT(u <= 864000 ? (r == 0 && ms == (int64_t)u * 1000) : r == -ERANGE);
}

static void check_memory(const char *s, int ru, uint64_t u)
{
    uint64_t b = SENTINEL_U64;
    int r = parse_memory_quantity(s, &b);
    char ki[64];

    INVARIANT(ok_or(r, -EINVAL, -ERANGE));
    if (r != 0)
        INVARIANT(b == SENTINEL_U64);
    else
        INVARIANT(b > 0);
    if (ru == 0) {
        /* exact to 17 digits; past that, digits are dropped (rounded down) */
        if (u == 0)
            INVARIANT(r == -ERANGE);
        else if (u < UINT64_C(100000000000000000))
            INVARIANT(r == 0 && b == u);
        else
            INVARIANT(r == 0 && b <= u && u - b < 100);
        /* the same digits in KiB */
        if (strlen(s) < 40 && u < UINT64_C(100000000000000000)) {
            (void)snprintf(ki, sizeof(ki), "%sKi", s);
            b = SENTINEL_U64;
            r = parse_memory_quantity(ki, &b);
            if (u == 0 || u > UINT64_MAX / 1024)
                INVARIANT(r == -ERANGE);
            else
                INVARIANT(r == 0 && b == u * 1024);
        }
    }
}

static void check_cpu(const char *s, int ru, uint64_t u)
{
    uint64_t m = SENTINEL_U64;
    int r = parse_cpu_quantity(s, &m);
    char milli[64];

    INVARIANT(ok_or(r, -EINVAL, -ERANGE));
    if (r != 0)
        INVARIANT(m == SENTINEL_U64);
    else
        INVARIANT(m >= 1 && m <= UINT64_C(1000000000));
    if (ru == 0) {
        INVARIANT(u == 0 || u > 1000000 ? r == -ERANGE : (r == 0 && m == u * 1000));
        if (strlen(s) < 40) {
            (void)snprintf(milli, sizeof(milli), "%sm", s);
            m = SENTINEL_U64;
            r = parse_cpu_quantity(milli, &m);
            INVARIANT(u == 0 || u > UINT64_C(1000000000) ? r == -ERANGE : (r == 0 && m == u));
        }
    }
}

static void check_percent(const char *s, int ru, uint64_t u)
{
    unsigned p = 0xa5a5a5a5u;
    int r = parse_percent(s, &p);

    INVARIANT(r == 0 || r == -EINVAL);
    if (r != 0)
        INVARIANT(p == 0xa5a5a5a5u);
    else
        INVARIANT(p >= 1 && p <= 100);
    if (ru == 0 && strlen(s) < 7)
        INVARIANT(u >= 1 && u <= 100 ? (r == 0 && p == u) : r == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    uint64_t u = 0;
    int ru;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    ru = check_u64(s, &u);
    check_int_range(s, ru, u);
    check_bool(s);
    check_signal(s, size ? data[0] : 0);
    check_duration(s, ru, u);
    check_memory(s, ru, u);
    check_cpu(s, ru, u);
    check_percent(s, ru, u);
    free(s);
    return 0;
}
