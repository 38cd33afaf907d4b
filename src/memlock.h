/* memlock.h - keeps PID 1's own pages in memory.
 *
 * jeinit shares its cgroup with the program. When the program sits above
 * memory.high, reclaim takes jeinit's text pages too, and each page faulted
 * back is charged to the cgroup and throttled: memory lines come late and
 * signals wait tens of seconds. earlyoom and systemd-oomd lock themselves
 * in memory for this reason; jeinit locks what its loop uses, and no more:
 *
 *   - file-backed mappings (the text, rodata and data of jeinit, libc,
 *     ld.so): whole, with MLOCK_ONFAULT, so a page is pinned once used and
 *     none is read in for it;
 *   - anonymous memory (bss, heap, stack): the pages resident now. The
 *     loop's tables and log queue are large bss arrays used only in part;
 *     without swap, anonymous pages are not reclaimed anyway.
 *
 * Both count against RLIMIT_MEMLOCK: a soft limit too low is raised to the
 * hard one; when only the file pages fit, they alone are locked; when not
 * even they do, nothing is, and one warning says so.
 *
 * No mlockall(MCL_CURRENT): the kernel then checks all of jeinit's address
 * space (VmSize, 7-9 MB with those arrays) against RLIMIT_MEMLOCK, 8 MiB or
 * 64 KiB in containers. No MCL_FUTURE: jeinit maps nothing new in its loop,
 * and a locked stack or heap would grow only within RLIMIT_MEMLOCK (a stack
 * that cannot grow is a SIGSEGV in PID 1).
 *
 * The parsers and the decision are pure (memlock_plan.c, in the Makefile's
 * PURE list), apart from the I/O in memlock.c. */
#ifndef JEINIT_MEMLOCK_H
#define JEINIT_MEMLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* What to lock of one mapping of /proc/self/maps. */
enum memlock_kind {
    MEMLOCK_SKIP,  /* no access (guard pages), or the kernel's ([vdso], [vvar]) */
    MEMLOCK_FILE,  /* file-backed: the whole range, on fault */
    MEMLOCK_ANON,  /* anonymous (bss, [heap], [anon:NAME]): the resident pages */
    MEMLOCK_STACK, /* [stack]: the resident pages above its lowest, where it grows */
};

struct memlock_map {
    uintptr_t start, end;
    enum memlock_kind kind;
};

/* One line of /proc/self/maps: its range and what to lock of it. 0, or
 * -EINVAL for a line that is not one. */
int memlock_parse_maps_line(const char *line, size_t n, struct memlock_map *out);

/* VmLck from /proc/self/status, in bytes. 0, or -ENOENT / -EINVAL. */
int memlock_parse_vmlck(const char *buf, size_t len, uint64_t *bytes);

struct memlock_plan {
    bool raise; /* the soft limit to the hard one, first */
    bool anon;  /* the anonymous pages too, not only the file-backed ones */
    bool over;  /* even the file pages are above the hard limit */
};

/* What to lock of files + anon bytes under the soft and hard RLIMIT_MEMLOCK
 * (UINT64_MAX: unlimited). */
struct memlock_plan memlock_decide(uint64_t files, uint64_t anon, uint64_t soft, uint64_t hard);

struct memlock {
    bool locked;
    bool files_only;  /* the anonymous pages did not fit: reason says so */
    bool raised;      /* the soft RLIMIT_MEMLOCK was raised to the hard one */
    uint64_t bytes;   /* VmLck once locked (what counts against the limit) */
    uint64_t need;    /* bytes jeinit meant to lock; UINT64_MAX: not measured */
    uint64_t limit;   /* the soft RLIMIT_MEMLOCK in effect; UINT64_MAX: unlimited */
    char reason[192]; /* why not (all) locked; empty when all is */
};

/* Locks what the loop uses, once the setup has run (its pages are then
 * resident and locked with the rest). JEINIT_MEMLOCK=0 in envp turns it
 * off. When locking fails, logs one warning and runs on unlocked. */
void memlock_self(char *const envp[], struct memlock *m);

/* After the loop's first full turn (the first memory line): locks the
 * anonymous pages it touched since (the monitor's tables, the log queue,
 * yajl's buffer), so that they are not first faulted in, and throttled,
 * while the cgroup is over memory.high. Silent; within the limit only. */
void memlock_refresh(struct memlock *m);

/* The start line's field: {"locked", "bytes", "need_bytes", "limit_bytes",
 * "raised", "how", "reason"}; how is "mlock2 onfault", or "mlock2 onfault,
 * file pages only". */
void memlock_report(struct jw *w, const char *key, const struct memlock *m);

#endif
