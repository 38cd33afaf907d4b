/* proto.h - the wire format between jeinit and libjeinit-agent.so.
 *
 * The channel is private to the container's process tree: jeinit makes a
 * SOCK_DGRAM socketpair before the program starts and the program inherits
 * one end (JEINIT_AGENT_FD). Each agent sends one HELLO on it, carrying one
 * end of its own SOCK_SEQPACKET socketpair (SCM_RIGHTS); jeinit learns the
 * sender's pid from the kernel (SCM_CREDENTIALS), never from the payload.
 * Requests and replies then travel on that private socket as fixed-size
 * messages: jeinit never allocates for them and never waits on them. */
#ifndef JEINIT_PROTO_H
#define JEINIT_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#define AGENT_MAGIC   0x4a45494eu /* "JEIN" */
#define AGENT_VERSION 4

enum agent_msg {
    AGENT_HELLO = 1,   /* agent -> jeinit, on the shared socket, with SCM_RIGHTS */
    AGENT_STATS = 2,   /* agent -> jeinit: reply to SAMPLE */
    AGENT_PURGED = 3,  /* agent -> jeinit: reply to PURGE */
    AGENT_PROF = 4,    /* agent -> jeinit: reply to PROF_*, status set */
    AGENT_SAMPLE = 10, /* jeinit -> agent */
    AGENT_PURGE = 11,  /* jeinit -> agent */
    /* heap profiles (jemalloc built with prof, prof:true): sampling on with
     * 2^arg bytes between samples (prof.reset, then prof.active), a dump to
     * path (prof.dump), sampling off. Run in the agent's thread. */
    AGENT_PROF_ON = 12,
    AGENT_PROF_DUMP = 13,
    AGENT_PROF_OFF = 14,
};

/* A dump's path, NUL-terminated: jeinit's private directory for the process. */
#define AGENT_PATH_MAX 128

/* How long a process lives before its agent does anything at all (thread,
 * socket, registration), passed as JEINIT_AGENT_DELAY_MS: half the sampling
 * interval, within [200 ms, 1 s]. Privilege-dropping wrappers (setpriv, gosu,
 * su-exec, runuser) change ids within milliseconds of their exec, health
 * checks and the commands of entrypoint scripts end within a few hundred; a
 * process that has lived a second is one a sample will see. */
#define AGENT_DELAY_MIN_MS 200
#define AGENT_DELAY_MAX_MS 1000
/* ...or sooner, once it has asked its allocator for this much: a process that
 * builds a big heap in its first moments (and may idle after) matters. */
#define AGENT_WAKE_BYTES ((uint64_t)64 << 20)

static inline unsigned agent_delay_ms(int64_t interval_ms)
{
    int64_t d = interval_ms / 2;

    return (unsigned)(d < AGENT_DELAY_MIN_MS   ? AGENT_DELAY_MIN_MS
                      : d > AGENT_DELAY_MAX_MS ? AGENT_DELAY_MAX_MS
                                               : d);
}

/* The decay steering (src/agent/steer.h), as a reply reports it. */
enum agent_decay {
    AGENT_DECAY_OFF = 0,     /* not steered */
    AGENT_DECAY_SHORT = 1,   /* at rest: jeinit's short dirty_decay_ms */
    AGENT_DECAY_LONG = 2,    /* allocating hard: the long one */
    AGENT_DECAY_PROGRAM = 3, /* the program set a decay itself: left alone */
};

enum agent_allocator { AGENT_ALLOC_UNKNOWN = 0, AGENT_ALLOC_JEMALLOC = 1, AGENT_ALLOC_GLIBC = 2 };

struct agent_request {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t seq;
    uint32_t arg;              /* PROF_ON: lg_prof_sample */
    uint32_t limit_s;          /* PROF_ON: sampling goes off by itself after this */
    char path[AGENT_PATH_MAX]; /* PROF_DUMP */
};

/* Figures are bytes; UINT64_MAX when the allocator does not report them.
 * jemalloc: stats.allocated/active/metadata/resident/mapped/retained (retained:
 * address space kept mapped but not resident).
 * glibc (mallinfo2): allocated = uordblks + hblkhd, mapped = arena + hblkhd;
 * active, metadata, resident and retained are not reported.
 * held: what the allocator keeps beyond the live heap, by its own count: for
 * jemalloc resident - allocated (dirty and muzzy pages, metadata, partly used
 * pages), for glibc fordblks (free chunks inside its arenas). */
struct agent_reply {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t seq;
    uint32_t allocator;
    uint64_t allocated, active, metadata, resident, mapped, retained, held;
    uint32_t narenas;
    uint32_t background_threads; /* running */
    uint32_t background_enabled; /* 1 when background_thread is on */
    uint32_t status;             /* AGENT_PROF: 0, or the errno of the step that failed */
    uint64_t purged;             /* AGENT_PURGED: resident (or RSS) released */
    uint64_t cost_ns;            /* time the agent spent on this request */
    uint32_t decay_mode;         /* enum agent_decay: the agent's decay steering */
    uint32_t decay_purges;       /* purges the steering made (at the end of a load) */
    uint64_t decay_purged;       /* resident bytes those purges released */
    char version_str[32];        /* "5.3.0-0-g..." (jemalloc's own) or "glibc" */
};

static inline bool agent_reply_valid(const struct agent_reply *r, long len)
{
    return len == (long)sizeof(*r) && r->magic == AGENT_MAGIC && r->version == AGENT_VERSION &&
           (r->type == AGENT_STATS || r->type == AGENT_PURGED || r->type == AGENT_HELLO ||
            r->type == AGENT_PROF) &&
           r->allocator <= AGENT_ALLOC_GLIBC && r->decay_mode <= AGENT_DECAY_PROGRAM;
}

static inline bool agent_request_valid(const struct agent_request *r, long len)
{
    return len == (long)sizeof(*r) && r->magic == AGENT_MAGIC && r->version == AGENT_VERSION &&
           (r->type == AGENT_SAMPLE || r->type == AGENT_PURGE || r->type == AGENT_PROF_ON ||
            r->type == AGENT_PROF_DUMP || r->type == AGENT_PROF_OFF);
}

#endif
