/* logpolicy.h - when the monitor writes a memory line, and how many
 * processes fit in one. Pure: no files, no clock, no globals.
 *
 * A line is written when something changed since the last one, at most once
 * per sample: a memory event (counters, an OOM kill, pressure crossing its
 * threshold), the diagnosis, usage crossing a 10% step of the ceiling or a
 * threshold (2% of hysteresis on the way down), a purge, a process that
 * lived at least one interval appearing or exiting; otherwise a heartbeat.
 * Process churn and usage falling are rate-limited to one line per tenth of
 * the heartbeat, so that a fork-per-request server does not write a line
 * every interval. */
#ifndef JEINIT_LOGPOLICY_H
#define JEINIT_LOGPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LP_PIDS_MAX 256

enum log_reason {
    LR_NONE,
    LR_FIRST,      /* the first sample */
    LR_EVENT,      /* a memory event since the last sample */
    LR_DIAGNOSIS,  /* the diagnosis changed */
    LR_OOM_RISK,   /* near the ceiling with oom.group: every sample */
    LR_USAGE_STEP, /* usage crossed a 10% step or a threshold */
    LR_PURGE,      /* a purge since the last line */
    LR_PROCESSES,  /* a process appeared or exited */
    LR_HEARTBEAT,  /* nothing changed for heartbeat_ms */
    LR_INTERVAL,   /* heartbeat 0: every sample */
};

const char *log_reason_name(enum log_reason r);

struct logpolicy {
    /* settings */
    int64_t heartbeat_ms; /* 0: a line every sample */
    int64_t interval_ms;
    uint64_t ceiling;       /* 0: none (usage steps are 10% of the last line's usage) */
    unsigned thresholds[2]; /* percent of the ceiling, 0: unused (purge-at, fast pace) */
    /* state: the last line */
    bool written;
    int64_t last_ms, last_slow_ms;
    int band;
    uint64_t usage;
    int diag_state;
    uint64_t purges;
    size_t nline, nprev;
    pid_t line_pids[LP_PIDS_MAX]; /* processes settled at the last line, sorted */
    pid_t prev_pids[LP_PIDS_MAX]; /* the previous sample's, sorted */
    /* of the last decision: processes settled since the last line, and gone */
    size_t appeared, exited;
};

struct logpolicy_sample {
    int64_t now_ms;
    uint64_t usage; /* UINT64_MAX: unknown */
    int diag_state;
    bool event;
    bool oom_risk;
    uint64_t purges;   /* so far */
    const pid_t *pids; /* this sample's, sorted */
    size_t npids;
};

/* Settings in, state cleared. */
void logpolicy_init(struct logpolicy *lp, int64_t heartbeat_ms, int64_t interval_ms,
                    uint64_t ceiling, unsigned threshold1, unsigned threshold2);

/* Why this sample gets a line, or LR_NONE. The state moves on either way. */
enum log_reason logpolicy_decide(struct logpolicy *lp, const struct logpolicy_sample *s);

/* The band usage is in: how many of the 10% steps and thresholds it
 * reached (0 without a ceiling or usage). */
int logpolicy_band(const struct logpolicy *lp, uint64_t usage);

/* How many of n entries (each len[i] bytes, plus a comma) fit in room bytes,
 * taken in order, at most want. */
size_t logpolicy_fit(const size_t *len, size_t n, size_t room, size_t want);

#endif
