/* logpolicy.c - see logpolicy.h. */
#include "logpolicy.h"

#include <string.h>

/* usage coming down must pass a step by this much more (percent of the
 * ceiling) to count: a container idling at 50.1% writes no line per sample */
#define LP_HYSTERESIS_PCT 2

const char *log_reason_name(enum log_reason r)
{
    static const char *const names[] = {
        [LR_NONE] = "none",           [LR_FIRST] = "first",         [LR_EVENT] = "event",
        [LR_DIAGNOSIS] = "diagnosis", [LR_OOM_RISK] = "oom-risk",   [LR_USAGE_STEP] = "usage-step",
        [LR_PURGE] = "purge",         [LR_PROCESSES] = "processes", [LR_HEARTBEAT] = "heartbeat",
        [LR_INTERVAL] = "interval",
    };

    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "none";
}

void logpolicy_init(struct logpolicy *lp, int64_t heartbeat_ms, int64_t interval_ms,
                    uint64_t ceiling, unsigned threshold1, unsigned threshold2)
{
    memset(lp, 0, sizeof(*lp));
    lp->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 0;
    lp->interval_ms = interval_ms > 0 ? interval_ms : 0;
    lp->ceiling = ceiling;
    lp->thresholds[0] = threshold1 % 101;
    lp->thresholds[1] = threshold2 % 101;
    lp->last_slow_ms = INT64_MIN / 2; /* the first change is told at once */
}

/* usage >= pct% of the ceiling, without overflow (usage and ceiling are
 * bytes: below 2^64 / 100 for any real machine, but not trusted to be) */
static bool reached(uint64_t usage, uint64_t ceiling, unsigned pct)
{
    uint64_t whole = ceiling / 100, part = ceiling % 100;

    /* pct% of ceiling = whole*pct + part*pct/100, rounded up */
    uint64_t mark = whole * pct + (part * pct + 99) / 100;
    return usage >= mark;
}

int logpolicy_band(const struct logpolicy *lp, uint64_t usage)
{
    int band = 0;

    if (lp->ceiling == 0 || usage == UINT64_MAX)
        return 0;
    for (unsigned pct = 10; pct <= 100; pct += 10)
        band += reached(usage, lp->ceiling, pct);
    for (size_t i = 0; i < 2; i++)
        if (lp->thresholds[i] && lp->thresholds[i] % 10)
            band += reached(usage, lp->ceiling, lp->thresholds[i]);
    return band;
}

static bool usage_moved(const struct logpolicy *lp, uint64_t usage, bool *up)
{
    if (usage == UINT64_MAX)
        return false;
    if (lp->ceiling == 0) {
        /* no ceiling: 10% of what the last line said, and at least 1 MiB */
        uint64_t d = usage > lp->usage ? usage - lp->usage : lp->usage - usage;
        *up = usage > lp->usage;
        return d >= lp->usage / 10 && d >= ((uint64_t)1 << 20);
    }
    if (logpolicy_band(lp, usage) > lp->band) {
        *up = true;
        return true;
    }
    *up = false;
    {
        uint64_t slack = lp->ceiling / 100 * LP_HYSTERESIS_PCT;
        uint64_t lifted = usage > UINT64_MAX - slack ? UINT64_MAX - 1 : usage + slack;
        return logpolicy_band(lp, lifted) < lp->band;
    }
}

/* |a \ b| over sorted sets */
static size_t count_missing(const pid_t *a, size_t na, const pid_t *b, size_t nb)
{
    size_t i = 0, j = 0, n = 0;

    while (i < na) {
        if (j >= nb || a[i] < b[j]) {
            n++;
            i++;
        } else if (a[i] == b[j]) {
            i++;
            j++;
        } else {
            j++;
        }
    }
    return n;
}

/* out = a ∩ b over sorted sets; returns its size */
static size_t intersect(const pid_t *a, size_t na, const pid_t *b, size_t nb, pid_t *out)
{
    size_t i = 0, j = 0, n = 0;

    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            out[n++] = a[i];
            i++;
            j++;
        }
    }
    return n;
}

enum log_reason logpolicy_decide(struct logpolicy *lp, const struct logpolicy_sample *s)
{
    pid_t settled[LP_PIDS_MAX];
    size_t npids = s->npids < LP_PIDS_MAX ? s->npids : LP_PIDS_MAX;
    size_t nsettled = intersect(s->pids, npids, lp->prev_pids, lp->nprev, settled);
    int64_t slow_every =
        lp->heartbeat_ms / 10 > lp->interval_ms ? lp->heartbeat_ms / 10 : lp->interval_ms;
    bool up = false, moved, slow_ok;
    enum log_reason r = LR_NONE;

    /* settled processes (seen by two samples in a row) new since the last
     * line, and processes of the last line gone now */
    lp->appeared = count_missing(settled, nsettled, lp->line_pids, lp->nline);
    lp->exited = count_missing(lp->line_pids, lp->nline, s->pids, npids);
    moved = usage_moved(lp, s->usage, &up);
    slow_ok = !lp->written || s->now_ms - lp->last_slow_ms >= slow_every;
    if (!lp->written)
        r = LR_FIRST;
    else if (s->event)
        r = LR_EVENT;
    else if (s->diag_state != lp->diag_state)
        r = LR_DIAGNOSIS;
    else if (s->oom_risk)
        r = LR_OOM_RISK;
    else if (s->purges != lp->purges)
        r = LR_PURGE;
    else if (moved && (up || slow_ok)) /* up: at once; down: rate-limited */
        r = LR_USAGE_STEP;
    else if (lp->appeared + lp->exited > 0 && slow_ok)
        r = LR_PROCESSES;
    else if (lp->heartbeat_ms == 0)
        r = LR_INTERVAL;
    else if (s->now_ms - lp->last_ms >= lp->heartbeat_ms)
        r = LR_HEARTBEAT;

    memcpy(lp->prev_pids, s->pids, npids * sizeof(pid_t));
    lp->nprev = npids;
    if (r == LR_NONE)
        return r;
    lp->written = true;
    lp->last_ms = s->now_ms;
    if (r == LR_USAGE_STEP || r == LR_PROCESSES)
        lp->last_slow_ms = s->now_ms;
    if (s->usage != UINT64_MAX) {
        lp->band = logpolicy_band(lp, s->usage);
        lp->usage = s->usage;
    }
    lp->diag_state = s->diag_state;
    lp->purges = s->purges;
    if (r == LR_FIRST) {
        /* every process of the first line counts as settled */
        memcpy(lp->line_pids, s->pids, npids * sizeof(pid_t));
        lp->nline = npids;
    } else {
        memcpy(lp->line_pids, settled, nsettled * sizeof(pid_t));
        lp->nline = nsettled;
    }
    return r;
}

size_t logpolicy_fit(const size_t *len, size_t n, size_t room, size_t want)
{
    size_t used = 0, k = 0;

    while (k < n && k < want && len[k] < room && used + len[k] + 1 <= room) {
        used += len[k] + 1;
        k++;
    }
    return k;
}
