/* Unit tests of logpolicy.c (when a memory line is written, how many
 * processes fit in one) and of json.c's string cut (str_max), the pure
 * parts of the log budget. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "logpolicy.h"

#define MiB (UINT64_C(1) << 20)

static struct logpolicy lp;

/* One sample at t seconds with usage MiB and the pids given (sorted). */
static enum log_reason at(int64_t t_s, uint64_t usage_mib, int diag, const pid_t *pids, size_t n)
{
    struct logpolicy_sample s = {
        .now_ms = t_s * 1000,
        .usage = usage_mib * MiB,
        .diag_state = diag,
        .pids = pids,
        .npids = n,
    };
    return logpolicy_decide(&lp, &s);
}

static void test_heartbeat(void)
{
    static const pid_t p[] = {1, 2, 3, 4, 5, 6, 7, 8};
    int lines = 0;

    logpolicy_init(&lp, 600000, 10000, 1024 * MiB, 90, 80);
    CHECK_STR(log_reason_name(at(0, 100, 0, p, 8)), "first", "the first sample gets a line");
    for (int64_t t = 10; t <= 86400; t += 10)
        lines += at(t, 100, 0, p, 8) != LR_NONE;
    CHECK_INT(lines, 144, "an idle day at 10 s samples and a 600 s heartbeat: 144 lines");
    logpolicy_init(&lp, 0, 10000, 1024 * MiB, 90, 80);
    (void)at(0, 100, 0, p, 8);
    CHECK_STR(log_reason_name(at(10, 100, 0, p, 8)), "interval", "heartbeat 0: every sample");
}

static void test_usage_steps(void)
{
    static const pid_t p[] = {1};

    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 90, 80);
    (void)at(0, 150, 0, p, 1);
    CHECK_INT(at(10, 190, 0, p, 1), LR_NONE, "within a step: no line");
    CHECK_STR(log_reason_name(at(20, 201, 0, p, 1)), "usage-step", "crossing 20%% up: a line");
    CHECK_INT(at(30, 195, 0, p, 1), LR_NONE, "just below the step again: hysteresis, no line");
    CHECK_INT(at(40, 202, 0, p, 1), LR_NONE, "and back over it: no line either");
    CHECK_STR(log_reason_name(at(300, 150, 0, p, 1)), "usage-step", "well below: a line");
    CHECK_INT(logpolicy_band(&lp, 850 * MiB), 8, "85%%: 8 steps");
    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 85, 80);
    CHECK_INT(logpolicy_band(&lp, 850 * MiB), 9, "85%% with --purge-at 85: the threshold counts");
    CHECK_INT(logpolicy_band(&lp, UINT64_MAX), 0, "unknown usage: band 0");
    logpolicy_init(&lp, 600000, 10000, UINT64_MAX - 5, 90, 80);
    CHECK_INT(logpolicy_band(&lp, UINT64_MAX - 5), 10, "a huge ceiling does not overflow");
    /* no ceiling: 10% of the last line's usage */
    logpolicy_init(&lp, 600000, 10000, 0, 90, 80);
    (void)at(0, 100, 0, p, 1);
    CHECK_INT(at(10, 105, 0, p, 1), LR_NONE, "no ceiling, +5%%: no line");
    CHECK_STR(log_reason_name(at(20, 111, 0, p, 1)), "usage-step", "no ceiling, +11%%: a line");
}

static void test_changes(void)
{
    static const pid_t p[] = {1, 2, 3};
    struct logpolicy_sample s = {.now_ms = 10000, .usage = 1, .pids = p, .npids = 3};

    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 90, 80);
    (void)at(0, 100, 0, p, 3);
    CHECK_STR(log_reason_name(at(10, 100, 2, p, 3)), "diagnosis", "the diagnosis changed");
    CHECK_INT(at(20, 100, 2, p, 3), LR_NONE, "and then stayed");
    s.now_ms = 30000;
    s.usage = 100 * MiB;
    s.diag_state = 2;
    s.event = true;
    CHECK_STR(log_reason_name(logpolicy_decide(&lp, &s)), "event", "a memory event");
    s.event = false;
    s.now_ms = 40000;
    s.purges = 1;
    CHECK_STR(log_reason_name(logpolicy_decide(&lp, &s)), "purge", "a purge");
    s.now_ms = 50000;
    s.oom_risk = true;
    CHECK_STR(log_reason_name(logpolicy_decide(&lp, &s)), "oom-risk", "near an OOM group kill");
}

static void test_processes(void)
{
    static const pid_t three[] = {1, 2, 3}, four[] = {1, 2, 3, 9}, two[] = {1, 2};
    pid_t churn[2] = {1, 0};
    int lines = 0;

    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 90, 80);
    (void)at(0, 100, 0, three, 3);
    CHECK_INT(at(10, 100, 0, four, 4), LR_NONE, "a new process seen once: not yet");
    CHECK_STR(log_reason_name(at(20, 100, 0, four, 4)), "processes",
              "seen by two samples: it appeared");
    CHECK_INT(lp.appeared, 1, "one appeared");
    CHECK_INT(at(30, 100, 0, three, 3), LR_NONE,
              "it exited, within a tenth of the heartbeat: held");
    CHECK_STR(log_reason_name(at(80, 100, 0, two, 2)), "processes", "then told, with the next");
    CHECK_INT(lp.exited, 2, "two of the last line's processes gone");
    /* fork per request: a new short-lived process every sample, for a day */
    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 90, 80);
    (void)at(0, 100, 0, churn, 1);
    for (int64_t t = 10; t <= 86400; t += 10) {
        churn[1] = (pid_t)(100 + t);
        lines += at(t, 100, 0, churn, 2) != LR_NONE;
    }
    CHECK_INT(lines, 144, "processes living less than a sample: heartbeats only");
    /* workers living two samples each, for a day: one line a minute at most */
    logpolicy_init(&lp, 600000, 10000, 1000 * MiB, 90, 80);
    lines = 0;
    (void)at(0, 100, 0, churn, 1);
    for (int64_t t = 10; t <= 86400; t += 10) {
        churn[1] = (pid_t)(100 + t / 20);
        lines += at(t, 100, 0, churn, 2) != LR_NONE;
    }
    CHECK(lines <= 1440 && lines >= 1000,
          "churn of settled processes: %d lines, one a minute at most", lines);
}

static void test_fit(void)
{
    size_t len[] = {400, 400, 400, 400, 400};

    CHECK_INT(logpolicy_fit(len, 5, 4000, 3), 3, "three wanted, three fit");
    CHECK_INT(logpolicy_fit(len, 5, 1203, 5), 3, "room for three and their commas");
    CHECK_INT(logpolicy_fit(len, 5, 1202, 5), 2, "a byte short of the third");
    CHECK_INT(logpolicy_fit(len, 5, 100, 5), 0, "none fits");
    CHECK_INT(logpolicy_fit(len, 0, 4000, 5), 0, "no processes");
    len[1] = (size_t)-1;
    CHECK_INT(logpolicy_fit(len, 5, 4000, 5), 1, "an entry of absurd size stops the list");
}

static const char *gen_str(const char *s, size_t max, bool *truncated)
{
    static char out[8192];
    yajl_gen g = jw_gen_new(false);
    struct jw w = {.g = g, .str_max = max};
    const unsigned char *buf;
    size_t len = 0;

    jw_str(&w, NULL, s);
    (void)yajl_gen_get_buf(g, &buf, &len);
    memcpy(out, buf, len < sizeof(out) - 1 ? len : sizeof(out) - 1);
    out[len < sizeof(out) - 1 ? len : sizeof(out) - 1] = '\0';
    yajl_gen_free(g);
    *truncated = w.truncated;
    return out;
}

static void test_string_cut(void)
{
    char big[3000];
    bool cut;
    const char *j;

    CHECK_STR(gen_str("short", 16, &cut), "\"short\"", "a short string stays");
    CHECK(!cut, "and is not marked");
    /* "é" is 2 bytes: 16 bytes of room less "..." leave 13, 6 whole é */
    j = gen_str("éééééééééé", 16, &cut);
    CHECK_STR(j, "\"éééééé...\"", "cut between UTF-8 sequences, never inside");
    CHECK(cut, "and marked truncated");
    /* control characters count as their escapes (\u0001: 6 bytes) */
    j = gen_str("\x01\x01\x01\x01", 16, &cut);
    CHECK_STR(j, "\"\\u0001\\u0001...\"", "escapes counted as written");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    j = gen_str(big, 1024, &cut);
    CHECK_INT(strlen(j), 1024 + 2, "1 KiB strings: 1024 bytes and the quotes");
}

int main(void)
{
    test_heartbeat();
    test_usage_steps();
    test_changes();
    test_processes();
    test_fit();
    test_string_cut();
    return check_done();
}
