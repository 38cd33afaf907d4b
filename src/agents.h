/* agents.h - jeinit's side of the agent channel: who registered, their last
 * figures, requests out and replies in. A fixed table of AGENTS_MAX slots: a
 * misbehaving process cannot make jeinit allocate, and jeinit never waits on
 * an agent.
 *
 * A registration names its pid twice, both times by the kernel: in
 * SCM_CREDENTIALS (which a process with CAP_SYS_ADMIN, as in a privileged
 * container, may set to any pid) and as the creator of the socket pair it
 * carries (SO_PEERCRED, recorded at socketpair() and settable by no one).
 * Only a registration whose two agree is taken, so a process can register
 * as itself alone and never take another pid's place; the first refusal is
 * logged (a warn line). The figures then received are still only claims:
 * agentstats.h judges them. */
#ifndef JEINIT_AGENTS_H
#define JEINIT_AGENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "agent/proto.h"

#define AGENTS_MAX 512

struct agent_hub;

struct agent_slot {
    struct loop_source src; /* src.fd: the private socket, -1 when free */
    struct agent_hub *hub;
    pid_t pid;
    struct agent_reply stats; /* last AGENT_STATS */
    bool has_stats;
    int64_t stats_ms;         /* when it came (monotonic) */
    struct agent_reply purge; /* last AGENT_PURGED */
    bool has_purge;
    uint64_t purge_rss, purge_swap; /* its process's when the purge was asked */
    /* the last AGENT_PROF reply (heapprof.c): which request, and its status */
    uint32_t prof_seq, prof_status;
    bool has_prof;
};

struct agent_hub {
    struct loop *loop;
    int shared_fd; /* jeinit's end of the registration socket */
    int child_fd;  /* the end the program inherits; -1 once spawned */
    struct loop_source shared_src;
    size_t nused;
    size_t top; /* slots[0, top) have been used: the loops stop there */
    uint64_t registered, rejected, dropped_requests;
    uint64_t unfollowed; /* registrations lost for want of a descriptor */
    uint64_t impostors;  /* registrations whose socket another process made */
    bool full_warned, impostor_warned;
    struct agent_slot slots[AGENTS_MAX]; /* last: touched only as far as top */
};

/* Makes the socketpair. Returns 0 or a negative errno. */
int agents_open(struct agent_hub *h, struct loop *loop);
/* After the program is spawned: close the program's end here, start
 * listening. */
int agents_start(struct agent_hub *h);
/* Sends AGENT_SAMPLE or AGENT_PURGE with seq to every agent, never waiting. */
void agents_request(struct agent_hub *h, uint16_t type, uint32_t seq);
/* Sends one request to one agent, never waiting: 0, or a negative errno
 * (-EAGAIN when it is not reading). */
int agents_send(struct agent_slot *s, const struct agent_request *req);
struct agent_slot *agents_find(struct agent_hub *h, pid_t pid);
void agents_close(struct agent_hub *h);

#endif
