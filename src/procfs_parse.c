/* procfs_parse.c - see procfs_parse.h.
 *
 * As in cgroup_parse.c, buffers are bounded by their length, never by a NUL,
 * and numbers are read by hand with overflow checks. */
#include "procfs_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "scan.h"

#define PROC_PID_MAX   INT32_MAX
#define PROC_STAT_LAST 24 /* rss, the last field read */

/* Task states are single letters: R S D T t X Z P I, older K W x. */
static bool is_state(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int parse_pid(const char *p, size_t n, pid_t *out)
{
    uint64_t v;
    int r = scan_digits(p, n, &v);

    if (r < 0)
        return r;
    if (v > PROC_PID_MAX)
        return -ERANGE;
    *out = (pid_t)v;
    return 0;
}

int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out)
{
    struct proc_stat st = {0};
    const char *end, *lparen, *rparen = NULL, *p, *nl, *w;
    size_t i, n, commlen;
    int r;

    if (!out || !scan_nonnull(&buf, len))
        return -EINVAL;
    end = buf + len;

    for (i = 0; i < len && scan_is_digit(buf[i]); i++)
        ;
    r = parse_pid(buf, i, &st.pid);
    if (r < 0)
        return r;
    if (st.pid == 0 || len - i < 2 || buf[i] != ' ' || buf[i + 1] != '(')
        return -EINVAL;
    lparen = buf + i + 1;

    /* comm is whatever the task set with PR_SET_NAME, ')' and '\n' included;
     * no field after it holds a ')', so the last one closes it. */
    for (p = end; p > lparen + 1;) {
        if (*--p == ')') {
            rparen = p;
            break;
        }
    }
    if (!rparen)
        return -EINVAL;
    commlen = (size_t)(rparen - lparen - 1);
    if (memchr(lparen + 1, '\0', commlen))
        return -EINVAL;
    if (commlen >= PROC_COMM_MAX)
        commlen = PROC_COMM_MAX - 1;
    memcpy(st.comm, lparen + 1, commlen);
    st.comm[commlen] = '\0';

    p = rparen + 1;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl)
        end = nl;
    while (end > p && end[-1] == '\r')
        end--;
    if (p == end || *p != ' ')
        return -EINVAL;

    for (int field = 3; field <= PROC_STAT_LAST; field++) {
        r = 0;
        scan_word(&p, end, &w, &n);
        if (n == 0)
            return -EINVAL;
        switch (field) {
        case 3:
            if (n != 1 || !is_state(w[0]))
                return -EINVAL;
            st.state = w[0];
            break;
        case 4:
            r = parse_pid(w, n, &st.ppid);
            break;
        case 5:
            r = parse_pid(w, n, &st.pgrp);
            break;
        case 14:
            r = scan_digits(w, n, &st.utime_ticks);
            break;
        case 15:
            r = scan_digits(w, n, &st.stime_ticks);
            break;
        case 22:
            r = scan_digits(w, n, &st.starttime_ticks);
            break;
        case 24:
            r = scan_digits(w, n, &st.rss_pages);
            break;
        default:
            break;
        }
        if (r < 0)
            return r;
    }
    *out = st;
    return 0;
}

/* "Key:   1234 kB". Returns 1 with the key span and the raw kB count, 0 when
 * the line has another shape, -ERANGE when the count does not fit a u64. */
static int kb_line(const char *line, size_t n, const char **key, size_t *klen, uint64_t *kb)
{
    const char *colon = memchr(line, ':', n), *p, *end = line + n, *w;
    size_t wl;
    int r;

    if (!colon || colon == line)
        return 0;
    *key = line;
    *klen = (size_t)(colon - line);
    p = colon + 1;
    scan_word(&p, end, &w, &wl);
    r = scan_digits(w, wl, kb);
    if (r == -EINVAL)
        return 0;
    scan_word(&p, end, &w, &wl);
    if (!scan_span_eq(w, wl, "kB"))
        return 0;
    scan_word(&p, end, &w, &wl);
    if (wl != 0)
        return 0;
    return r < 0 ? r : 1;
}

struct kb_field {
    const char *key;
    size_t offset;
};

static int kb_to_bytes(uint64_t kb, uint64_t *bytes)
{
    if (kb > UINT64_MAX / 1024)
        return -ERANGE;
    *bytes = kb * 1024;
    return 0;
}

/* Fills the fields named in the table, first occurrence wins. A known key
 * whose value does not fit is -ERANGE; lines of other shapes are ignored (a
 * truncated last line among them). */
static int parse_kb_fields(const char *buf, size_t len, const struct kb_field *tab, size_t ntab,
                           void *base)
{
    struct scan_lines it = {.p = buf, .left = len};
    const char *line, *key;
    size_t llen, klen;
    uint64_t kb;

    while (scan_line(&it, &line, &llen)) {
        int r = kb_line(line, llen, &key, &klen, &kb);

        if (r == 0)
            continue;
        for (size_t i = 0; i < ntab; i++) {
            uint64_t *dst = (uint64_t *)((char *)base + tab[i].offset);

            if (!scan_span_eq(key, klen, tab[i].key))
                continue;
            if (r < 0)
                return r;
            if (*dst == UINT64_MAX) {
                r = kb_to_bytes(kb, dst);
                if (r < 0)
                    return r;
            }
            break;
        }
    }
    return 0;
}

static void proc_mem_unset(struct proc_mem *m)
{
    m->rss = m->pss = m->pss_anon = m->pss_file = m->pss_shmem = UINT64_MAX;
    m->anonymous = m->swap = m->swap_pss = UINT64_MAX;
}

int proc_parse_smaps_rollup(const char *buf, size_t len, struct proc_mem *out)
{
    static const struct kb_field tab[] = {
        {"Rss", offsetof(struct proc_mem, rss)},
        {"Pss", offsetof(struct proc_mem, pss)},
        {"Pss_Anon", offsetof(struct proc_mem, pss_anon)},
        {"Pss_File", offsetof(struct proc_mem, pss_file)},
        {"Pss_Shmem", offsetof(struct proc_mem, pss_shmem)},
        {"Anonymous", offsetof(struct proc_mem, anonymous)},
        {"Swap", offsetof(struct proc_mem, swap)},
        {"SwapPss", offsetof(struct proc_mem, swap_pss)},
    };
    int r;

    if (!out || !scan_nonnull(&buf, len))
        return -EINVAL;
    proc_mem_unset(out);
    r = parse_kb_fields(buf, len, tab, sizeof(tab) / sizeof(tab[0]), out);
    if (r < 0)
        return r;
    return out->rss == UINT64_MAX ? -EINVAL : 0;
}

/* status has no Pss; RssAnon and VmSwap are the closest it has to smaps'
 * Anonymous and Swap, so those are reported too. */
int proc_parse_status_rss(const char *buf, size_t len, struct proc_mem *out)
{
    static const struct kb_field tab[] = {
        {"VmRSS", offsetof(struct proc_mem, rss)},
        {"RssAnon", offsetof(struct proc_mem, anonymous)},
        {"VmSwap", offsetof(struct proc_mem, swap)},
    };
    int r;

    if (!out || !scan_nonnull(&buf, len))
        return -EINVAL;
    proc_mem_unset(out);
    r = parse_kb_fields(buf, len, tab, sizeof(tab) / sizeof(tab[0]), out);
    if (r < 0)
        return r;
    return out->rss == UINT64_MAX ? -EINVAL : 0;
}

int proc_parse_meminfo(const char *buf, size_t len, uint64_t *mem_total, uint64_t *mem_available)
{
    struct meminfo {
        uint64_t total, available;
    } mi = {UINT64_MAX, UINT64_MAX};
    static const struct kb_field tab[] = {
        {"MemTotal", offsetof(struct meminfo, total)},
        {"MemAvailable", offsetof(struct meminfo, available)},
    };
    int r;

    if (!mem_total || !mem_available || !scan_nonnull(&buf, len))
        return -EINVAL;
    r = parse_kb_fields(buf, len, tab, sizeof(tab) / sizeof(tab[0]), &mi);
    if (r < 0)
        return r;
    if (mi.total == UINT64_MAX)
        return -ENOENT;
    *mem_total = mi.total;
    *mem_available = mi.available;
    return 0;
}
