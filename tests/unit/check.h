/* check.h - a minimal TAP producer for the C unit tests of jeinit's pure code.
 * Each CHECK is one TAP line (its condition evaluated once); the plan comes
 * last (check_done), so a test that crashes leaves no plan and its tier fails;
 * main() returns non-zero when any failed. */
#ifndef JEINIT_CHECK_H
#define JEINIT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_count, check_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        int ok_ = !!(cond);                                                                        \
        check_count++;                                                                             \
        if (ok_) {                                                                                 \
            printf("ok %d - ", check_count);                                                       \
        } else {                                                                                   \
            check_failed++;                                                                        \
            printf("not ok %d - ", check_count);                                                   \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        if (!ok_)                                                                                  \
            printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);                         \
    } while (0)

#define CHECK_INT(got, want, ...)                                                                  \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        CHECK(g_ == w_, __VA_ARGS__);                                                              \
        if (g_ != w_)                                                                              \
            printf("#   got %lld, want %lld\n", g_, w_);                                           \
    } while (0)

#define CHECK_U64(got, want, ...)                                                                  \
    do {                                                                                           \
        uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                                      \
        CHECK(g_ == w_, __VA_ARGS__);                                                              \
        if (g_ != w_)                                                                              \
            printf("#   got %" PRIu64 ", want %" PRIu64 "\n", g_, w_);                             \
    } while (0)

#define CHECK_STR(got, want, ...)                                                                  \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                                   \
        CHECK(same_, __VA_ARGS__);                                                                 \
        if (!same_)                                                                                \
            printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");       \
    } while (0)

static inline int check_done(void)
{
    printf("1..%d\n", check_count);
    return check_failed ? 1 : 0;
}

#endif
