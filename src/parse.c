/* parse.c - see parse.h. */
#include "parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!s || !*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

int parse_int_range(const char *s, int64_t min, int64_t max, int64_t *out)
{
    bool neg = false;
    uint64_t mag;
    int64_t v;
    int r;

    if (!s)
        return -EINVAL;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    r = parse_u64(s, &mag);
    if (r < 0)
        return r;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        v = (int64_t)mag;
    }
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    if (!s)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

static const struct {
    int signo;
    const char *name;
} signal_table[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},     {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"}, {SIGSTKFLT, "SIGSTKFLT"},
    {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"},
    {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
};

int parse_signal(const char *s, int *signo)
{
    char name[16];
    uint64_t n;
    const char *rt;

    if (!s || !*s)
        return -EINVAL;
    if (*s >= '0' && *s <= '9') {
        if (parse_u64(s, &n) < 0 || n < 1 || n > (uint64_t)SIGRTMAX)
            return -EINVAL;
        *signo = (int)n;
        return 0;
    }
    /* Accept "TERM" as well as "SIGTERM", any case. */
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (str_printf(name, sizeof(name), "SIG%s", s) < 0)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
        if (strcasecmp(name, signal_table[i].name) == 0) {
            *signo = signal_table[i].signo;
            return 0;
        }
    }
    if (strncasecmp(name, "SIGRTMIN", 8) == 0) {
        rt = name + 8;
        n = 0;
        if (*rt == '+' && parse_u64(rt + 1, &n) < 0)
            return -EINVAL;
        if (*rt != '\0' && *rt != '+')
            return -EINVAL;
        if (n > (uint64_t)(SIGRTMAX - SIGRTMIN))
            return -EINVAL;
        *signo = SIGRTMIN + (int)n;
        return 0;
    }
    return -EINVAL;
}

const char *signal_name(int signo)
{
    static __thread char rtname[16];

    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
        if (signal_table[i].signo == signo)
            return signal_table[i].name;
    if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
        if (signo == SIGRTMIN)
            return "SIGRTMIN";
        (void)str_printf(rtname, sizeof(rtname), "SIGRTMIN+%d", signo - SIGRTMIN);
        return rtname;
    }
    return NULL;
}

/* A non-negative decimal with an optional fraction and optional exponent,
 * as a mantissa (digits, no point) and a power of ten. Returns the rest of
 * the string (the suffix) or NULL when there are no digits. Digits past 18
 * are dropped (rounded towards zero) so the mantissa never overflows. */
static const char *parse_decimal(const char *s, uint64_t *mant, int *exp10)
{
    uint64_t m = 0;
    int e = 0, digits = 0;
    bool seen_point = false;

    for (;; s++) {
        if (*s >= '0' && *s <= '9') {
            digits++;
            if (m < UINT64_C(100000000000000000)) {
                m = m * 10 + (uint64_t)(*s - '0');
                if (seen_point)
                    e--;
            } else if (!seen_point) {
                e++;
            }
        } else if (*s == '.' && !seen_point) {
            seen_point = true;
        } else {
            break;
        }
    }
    if (digits == 0)
        return NULL;
    if ((*s == 'e' || *s == 'E') && s[1] >= '0' && s[1] <= '9') {
        uint64_t x = 0;
        s++;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (x < 1000)
                x = x * 10 + (uint64_t)(*s - '0');
        }
        e += (int)x;
    }
    *mant = m;
    *exp10 = e;
    return s;
}

/* mant * 10^exp10 * mult, exact; -EINVAL when not an integer, -ERANGE on
 * overflow. */
static int scale_exact(uint64_t mant, int exp10, uint64_t mult, uint64_t *out)
{
    uint64_t v = mant;

    if (mant == 0) {
        *out = 0;
        return 0;
    }
    for (; exp10 > 0; exp10--) {
        if (v > UINT64_MAX / 10)
            return -ERANGE;
        v *= 10;
    }
    if (v > UINT64_MAX / mult)
        return -ERANGE;
    v *= mult;
    for (; exp10 < 0; exp10++) {
        if (v % 10 != 0)
            return -EINVAL;
        v /= 10;
    }
    *out = v;
    return 0;
}

int parse_memory_quantity(const char *s, uint64_t *bytes)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } suffixes[] = {
        {"", 1},
        {"k", UINT64_C(1000)},
        {"K", UINT64_C(1000)},
        {"M", UINT64_C(1000000)},
        {"G", UINT64_C(1000000000)},
        {"T", UINT64_C(1000000000000)},
        {"P", UINT64_C(1000000000000000)},
        {"E", UINT64_C(1000000000000000000)},
        {"Ki", UINT64_C(1) << 10},
        {"Mi", UINT64_C(1) << 20},
        {"Gi", UINT64_C(1) << 30},
        {"Ti", UINT64_C(1) << 40},
        {"Pi", UINT64_C(1) << 50},
        {"Ei", UINT64_C(1) << 60},
    };
    uint64_t mant, v;
    int exp10, r;
    const char *rest;

    if (!s)
        return -EINVAL;
    rest = parse_decimal(s, &mant, &exp10);
    if (!rest)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
        if (strcmp(rest, suffixes[i].suffix) != 0)
            continue;
        r = scale_exact(mant, exp10, suffixes[i].mult, &v);
        if (r < 0)
            return r;
        if (v == 0)
            return -ERANGE;
        *bytes = v;
        return 0;
    }
    return -EINVAL;
}

int parse_cpu_quantity(const char *s, uint64_t *millicores)
{
    uint64_t mant, v;
    int exp10;
    bool fraction = false;
    const char *rest;

    if (!s)
        return -EINVAL;
    rest = parse_decimal(s, &mant, &exp10);
    if (!rest)
        return -EINVAL;
    if (*rest == '\0')
        exp10 += 3; /* cores to millicores */
    else if (strcmp(rest, "m") != 0)
        return -EINVAL;
    v = mant;
    for (; exp10 > 0 && v > 0; exp10--) {
        if (v > UINT64_MAX / 10)
            return -ERANGE;
        v *= 10;
    }
    for (; exp10 < 0; exp10++) {
        fraction |= v % 10 != 0;
        v /= 10;
    }
    /* Kubernetes rounds a sub-millicore quantity up; so do we. */
    if (fraction)
        v++;
    if (v == 0 || v > UINT64_C(1000000000))
        return -ERANGE;
    *millicores = v;
    return 0;
}

int parse_duration_ms(const char *s, int64_t *ms)
{
    uint64_t mant, v;
    int exp10, r;
    const char *rest;

    if (!s)
        return -EINVAL;
    rest = parse_decimal(s, &mant, &exp10);
    if (!rest)
        return -EINVAL;
    if (strcmp(rest, "ms") == 0) {
        r = scale_exact(mant, exp10, 1, &v);
    } else if (*rest == '\0' || strcmp(rest, "s") == 0) {
        r = scale_exact(mant, exp10, 1000, &v);
    } else {
        return -EINVAL;
    }
    if (r < 0)
        return r;
    if (v > UINT64_C(864000000))
        return -ERANGE;
    *ms = (int64_t)v;
    return 0;
}

int parse_percent(const char *s, unsigned *out)
{
    char buf[8];
    size_t n;
    int64_t v;

    if (!s)
        return -EINVAL;
    n = strlen(s);
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n + 1);
    if (buf[n - 1] == '%')
        buf[n - 1] = '\0';
    if (parse_int_range(buf, 1, 100, &v) < 0)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}
