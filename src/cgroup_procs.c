/* cgroup_procs.c - see cgroup_procs.h. */
#include "cgroup_procs.h"

#include <string.h>

/* Longer numbers than any pid (2^22 at most on Linux) are no match. */
#define PID_DIGITS_MAX UINT64_C(100000000)

void cg_pid_scan_init(struct cg_pid_scan *s, uint64_t pid)
{
    memset(s, 0, sizeof(*s));
    s->want = pid;
}

static void end_line(struct cg_pid_scan *s)
{
    if (s->digits && !s->bad && s->value == s->want)
        s->found = true;
    s->value = 0;
    s->digits = s->bad = false;
}

void cg_pid_scan_feed(struct cg_pid_scan *s, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];

        if (c == '\n') {
            end_line(s);
        } else if (c >= '0' && c <= '9' && !s->bad) {
            s->value = s->value * 10 + (uint64_t)(c - '0');
            s->digits = true;
            if (s->value >= PID_DIGITS_MAX)
                s->bad = true;
        } else {
            s->bad = true;
        }
    }
}

bool cg_pid_scan_end(struct cg_pid_scan *s)
{
    end_line(s);
    return s->found;
}
