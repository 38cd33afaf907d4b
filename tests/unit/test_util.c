/* Unit tests of util.c: the timestamp arithmetic against gmtime_r. */
#include <time.h>

#include "check.h"
#include "util.h"

int main(void)
{
    static const int64_t samples[] = {0,
                                      999,
                                      1000,
                                      86399999,
                                      86400000,
                                      951782400000,
                                      951868800123,
                                      1795720416502,
                                      4102444799999,
                                      253402300799999};
    char got[64], want[64];
    int mismatches = 0;

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        time_t t = (time_t)(samples[i] / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        (void)snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (int)(samples[i] % 1000));
        utc_format(samples[i], got, sizeof(got));
        CHECK_STR(got, want, "%lld ms", (long long)samples[i]);
    }
    /* every day for 400 years (a whole Gregorian cycle) and then some */
    for (int64_t day = -1000; day < 146097 + 1000; day += 1) {
        int64_t ms = day * 86400000 + 45296789; /* 12:34:56.789 */
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        if (day < 0)
            continue;
        gmtime_r(&t, &tm);
        (void)snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 789);
        utc_format(ms, got, sizeof(got));
        mismatches += strcmp(got, want) != 0;
    }
    CHECK_INT(mismatches, 0, "146,097 days (a Gregorian cycle) agree with gmtime_r");
    return check_done();
}
