/* steer.h - when a process's dirty pages should stay and when they should go:
 * the decision of the agent's decay steering, pure (no mallctl, no clock).
 *
 * A static dirty_decay_ms picks one point between throughput and memory: a
 * short decay returns freed pages soon after the load, and purges and
 * re-faults them during it; a long one keeps them for reuse, and keeps the
 * peak after the load. Steered, a process allocating hard gets the long decay
 * (freed pages stay to be reused), and once it stops, one purge returns them
 * at once and the short decay stands until it allocates hard again.
 *
 * The agent's thread feeds one observation per tick: the process's CPU time
 * (the program's threads, not the agent's) and, when that moved, jemalloc's
 * cumulative allocation requests (small and large, all arenas). */
#ifndef JEINIT_AGENT_STEER_H
#define JEINIT_AGENT_STEER_H

#include <stdbool.h>
#include <stdint.h>

enum steer_mode {
    STEER_OFF = 0,     /* not steered: the user's decay, another jemalloc, no stats */
    STEER_SHORT = 1,   /* at rest: the short decay (jeinit's policy) */
    STEER_LONG = 2,    /* allocating hard: the long decay */
    STEER_PROGRAM = 3, /* the program set a decay itself: steering stopped */
};

/* Ticks: frequent while long (the end of a load must be seen within half a
 * second), rarer at rest (an idle process is woken once a second, for one
 * getrusage); the tick after a first reading of the requests (when the agent
 * wakes, or the CPU was idle before) comes soon too: a rate needs two. */
#define STEER_TICK_LONG_MS  250
#define STEER_TICK_SHORT_MS 1000
/* Allocating hard: this many allocation requests a second, counted by
 * jemalloc (tcache hits as they are merged). A service between requests, a
 * health check, a timer, stay well under; any real load is well over. */
#define STEER_BUSY_PER_S 20000
/* ...or an eighth of that while the short decay purges this many pages a
 * second (1 MiB of 4 KiB pages): pages the process is still allocating
 * into, which it faults in again (an interpreter whose small objects never
 * reach malloc makes few requests, each of whole pages). */
#define STEER_PURGING_PAGES_PER_S 256
/* At rest: the program's threads used under 1/STEER_IDLE_CPU_DIV of a CPU
 * during the tick, or it made fewer requests than STEER_BUSY_PER_S / 8 a
 * second; STEER_QUIET_TICKS such ticks in a row end the long decay. */
#define STEER_IDLE_CPU_DIV 100
#define STEER_QUIET_TICKS  2
/* After jeinit asked for a purge (the cgroup is short of memory): short for
 * this long, whatever the load. */
#define STEER_HOLD_MS 10000

enum steer_action {
    STEER_KEEP = 0,
    STEER_GO_LONG = 1,        /* set the long decay */
    STEER_GO_SHORT_PURGE = 2, /* purge now, then set the short decay */
};

struct steer {
    enum steer_mode mode;
    bool primed;       /* a first observation was taken */
    bool fresh;        /* the last tick took a first reading: the next comes soon */
    uint64_t at_ms;    /* the last observation */
    uint64_t cpu_us;   /* the program's CPU time then */
    uint64_t requests; /* jemalloc's cumulative requests then (when read) */
    uint64_t purged;   /* ...and pages purged (dirty_purged) */
    bool requests_known;
    unsigned quiet;         /* quiet ticks in a row, while long */
    uint64_t hold_until_ms; /* short until then (jeinit's purge) */
};

/* What jemalloc says at a tick: cumulative, all arenas merged. */
struct steer_obs {
    uint64_t requests; /* small.nrequests + large.nrequests */
    uint64_t purged;   /* dirty_purged: pages */
};

/* One tick. cpu_us: the program's CPU time now. steer_needs_requests tells
 * the caller whether jemalloc's figures matter: when it returns true the
 * caller reads them and passes them to steer_decide; otherwise (or when they
 * cannot be read) it passes NULL. Split so that a process at rest costs one
 * getrusage a tick and no jemalloc statistics. */
bool steer_needs_requests(const struct steer *s, uint64_t now_ms, uint64_t cpu_us);
enum steer_action steer_decide(struct steer *s, uint64_t now_ms, uint64_t cpu_us,
                               const struct steer_obs *obs);

/* jeinit asked for a purge: short now and for STEER_HOLD_MS; true when the
 * mode changes (the caller sets the short decay). */
bool steer_hold(struct steer *s, uint64_t now_ms);

/* JEINIT_AGENT_DECAY: "short:long" in milliseconds, 0 < short < long <=
 * 3600000; false when absent or anything else. */
bool steer_parse_env(const char *v, long *short_ms, long *long_ms);

/* When the next tick is due (absolute ms); 0 when not steering. */
uint64_t steer_next_ms(const struct steer *s);

#endif
