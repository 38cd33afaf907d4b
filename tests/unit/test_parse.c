/* Unit tests of parse.c: the values users type. */
#include <errno.h>
#include <signal.h>

#include "check.h"
#include "parse.h"

static void test_memory_quantity(void)
{
    static const struct {
        const char *in;
        int ret;
        uint64_t bytes;
    } cases[] = {
        {"536870912", 0, 536870912},
        {"512Mi", 0, UINT64_C(512) << 20},
        {"2Gi", 0, UINT64_C(2) << 30},
        {"1.5Gi", 0, UINT64_C(3) << 29},
        {"1G", 0, 1000000000},
        {"500M", 0, 500000000},
        {"128k", 0, 128000},
        {"128Ki", 0, 131072},
        {"1e9", 0, 1000000000},
        {"1E3", 0, 1000},
        {"0.5Ki", 0, 512},
        {"1Ei", 0, UINT64_C(1) << 60},
        {"16Ei", -ERANGE, 0},
        {"99999999999999999999", -ERANGE, 0},
        {"0", -ERANGE, 0},
        {"0Mi", -ERANGE, 0},
        {"1.5", -EINVAL, 0},
        {"500m", -EINVAL, 0},
        {"", -EINVAL, 0},
        {"Mi", -EINVAL, 0},
        {"12 Mi", -EINVAL, 0},
        {"-1Gi", -EINVAL, 0},
        {"1GB", -EINVAL, 0},
        {"1..5Gi", -EINVAL, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t b = 0;
        int r = parse_memory_quantity(cases[i].in, &b);
        CHECK_INT(r, cases[i].ret, "memory quantity '%s' returns %d", cases[i].in, cases[i].ret);
        if (cases[i].ret == 0)
            CHECK_U64(b, cases[i].bytes, "memory quantity '%s' is %llu bytes", cases[i].in,
                      (unsigned long long)cases[i].bytes);
    }
}

static void test_cpu_quantity(void)
{
    static const struct {
        const char *in;
        int ret;
        uint64_t milli;
    } cases[] = {
        {"2", 0, 2000},    {"1.5", 0, 1500},   {"1500m", 0, 1500},      {"0.25", 0, 250},
        {"250m", 0, 250},  {"0.0001", 0, 1},   {"1.0005", 0, 1001},     {"100", 0, 100000},
        {"0", -ERANGE, 0}, {"0m", -ERANGE, 0}, {"1.5x", -EINVAL, 0},    {"", -EINVAL, 0},
        {"m", -EINVAL, 0}, {"-1", -EINVAL, 0}, {"2000000", -ERANGE, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t m = 0;
        int r = parse_cpu_quantity(cases[i].in, &m);
        CHECK_INT(r, cases[i].ret, "cpu quantity '%s' returns %d", cases[i].in, cases[i].ret);
        if (cases[i].ret == 0)
            CHECK_U64(m, cases[i].milli, "cpu quantity '%s' is %llu millicores", cases[i].in,
                      (unsigned long long)cases[i].milli);
    }
}

static void test_signals(void)
{
    int s = 0;

    CHECK(parse_signal("SIGTERM", &s) == 0 && s == SIGTERM, "SIGTERM by name");
    CHECK(parse_signal("term", &s) == 0 && s == SIGTERM, "term, no prefix, any case");
    CHECK(parse_signal("9", &s) == 0 && s == SIGKILL, "9 by number");
    CHECK(parse_signal("SIGRTMIN+2", &s) == 0 && s == SIGRTMIN + 2, "SIGRTMIN+2");
    CHECK(parse_signal("SIGRTMIN", &s) == 0 && s == SIGRTMIN, "SIGRTMIN");
    CHECK(parse_signal("SIGNOPE", &s) == -EINVAL, "unknown name refused");
    CHECK(parse_signal("0", &s) == -EINVAL, "0 is not a signal");
    CHECK(parse_signal("65", &s) == -EINVAL, "past SIGRTMAX refused");
    CHECK(parse_signal("SIGRTMIN+99", &s) == -EINVAL, "SIGRTMIN+99 refused");
    CHECK(parse_signal("", &s) == -EINVAL, "empty refused");
    CHECK(parse_signal("SIGVERYLONGNAMEINDEED", &s) == -EINVAL, "long name refused");
    CHECK_STR(signal_name(SIGUSR1), "SIGUSR1", "name of 10");
    CHECK_STR(signal_name(SIGRTMIN + 3), "SIGRTMIN+3", "name of a realtime signal");
    CHECK(signal_name(0) == NULL, "no name for 0");
}

static void test_durations_and_numbers(void)
{
    int64_t ms = -1, v = 0;
    uint64_t u = 0;
    unsigned pct = 0;
    bool b = false;

    CHECK(parse_duration_ms("10", &ms) == 0 && ms == 10000, "10 s");
    CHECK(parse_duration_ms("2.5", &ms) == 0 && ms == 2500, "2.5 s");
    CHECK(parse_duration_ms("2.5s", &ms) == 0 && ms == 2500, "2.5s");
    CHECK(parse_duration_ms("1500ms", &ms) == 0 && ms == 1500, "1500ms");
    CHECK(parse_duration_ms("0", &ms) == 0 && ms == 0, "0");
    CHECK(parse_duration_ms("0.0005", &ms) == -EINVAL, "sub-ms refused");
    CHECK(parse_duration_ms("11d", &ms) == -EINVAL, "unknown unit");
    CHECK(parse_duration_ms("9999999", &ms) == -ERANGE, "more than 10 days");
    CHECK(parse_u64("18446744073709551615", &u) == 0 && u == UINT64_MAX, "u64 max");
    CHECK(parse_u64("18446744073709551616", &u) == -ERANGE, "u64 overflow");
    CHECK(parse_u64("+1", &u) == -EINVAL, "sign refused for u64");
    CHECK(parse_int_range("-3", -5, 5, &v) == 0 && v == -3, "negative in range");
    CHECK(parse_int_range("6", -5, 5, &v) == -ERANGE, "above range");
    CHECK(parse_int_range("-9223372036854775808", INT64_MIN, 0, &v) == 0 && v == INT64_MIN,
          "int64 min");
    CHECK(parse_int_range("9223372036854775808", 0, INT64_MAX, &v) == -ERANGE, "int64 overflow");
    CHECK(parse_percent("90", &pct) == 0 && pct == 90, "90");
    CHECK(parse_percent("75%", &pct) == 0 && pct == 75, "75%%");
    CHECK(parse_percent("0", &pct) == -EINVAL, "0%% refused");
    CHECK(parse_percent("101", &pct) == -EINVAL, "101%% refused");
    CHECK(parse_bool("Yes", &b) == 0 && b, "Yes");
    CHECK(parse_bool("off", &b) == 0 && !b, "off");
    CHECK(parse_bool("2", &b) == -EINVAL, "2 is not a bool");
}

int main(void)
{
    test_memory_quantity();
    test_cpu_quantity();
    test_signals();
    test_durations_and_numbers();
    return check_done();
}
