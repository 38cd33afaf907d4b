/* proctree.c - see proctree.h. */
#include "proctree.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static struct proc_entry scratch[PROCTREE_MAX];
static unsigned char scratch_member[PROCTREE_MAX];

int proctree_open(struct proctree *t, const char *proc_root)
{
    t->procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return t->procfd < 0 ? -errno : 0;
}

void proctree_close(struct proctree *t)
{
    if (t->procfd >= 0)
        (void)close(t->procfd);
    t->procfd = -1;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int read_entry(int procfd, const char *name, struct proc_entry *e)
{
    char path[32], buf[1024];
    struct proc_stat st;
    ssize_t len;

    if (str_printf(path, sizeof(path), "%s/stat", name) < 0)
        return -ENAMETOOLONG;
    len = read_file_at(procfd, path, buf, sizeof(buf));
    if (len < 0)
        return (int)len;
    if (proc_parse_stat(buf, (size_t)len, &st) < 0)
        return -EINVAL;
    e->pid = st.pid;
    e->ppid = st.ppid;
    e->state = st.state;
    (void)str_copy(e->comm, sizeof(e->comm), st.comm);
    return 0;
}

int proctree_scan(struct proctree *t, struct proc_entry *out, size_t cap, size_t *n)
{
    int r = 0;

    *n = 0;
    if (t->procfd < 0)
        return -EBADF;
    if (lseek(t->procfd, 0, SEEK_SET) < 0)
        return -errno;
    for (;;) {
        long got = syscall(SYS_getdents64, t->procfd, t->dents, sizeof(t->dents));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(t->dents + off);
            off += d->d_reclen;
            if (!all_digits(d->d_name))
                continue;
            if (*n >= cap) {
                r = -ENOSPC;
                continue;
            }
            /* a process that exits between getdents and open is simply gone */
            if (read_entry(t->procfd, d->d_name, &out[*n]) == 0)
                (*n)++;
        }
    }
    return r;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = ((const struct proc_entry *)a)->pid, y = ((const struct proc_entry *)b)->pid;

    return (x > y) - (x < y);
}

static long find_pid(const struct proc_entry *e, size_t n, pid_t pid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].pid == pid)
            return (long)mid;
        if (e[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

enum { MARK_UNKNOWN = 0, MARK_MEMBER = 1, MARK_OUTSIDE = 2, MARK_ON_PATH = 3 };

size_t proctree_descendants(struct proc_entry *e, size_t n, pid_t root, unsigned char *mark)
{
    size_t count = 0;

    qsort(e, n, sizeof(*e), cmp_pid);
    memset(mark, MARK_UNKNOWN, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char verdict = MARK_OUTSIDE;
        size_t cur = i;

        /* Walk up the parent links until the answer is known, marking the
         * path; then walk it again writing the answer. O(n log n) in all. */
        while (mark[cur] == MARK_UNKNOWN) {
            long parent;

            if (e[cur].pid == root)
                break;
            mark[cur] = MARK_ON_PATH;
            if (e[cur].ppid == root) {
                verdict = MARK_MEMBER;
                break;
            }
            parent = find_pid(e, n, e[cur].ppid);
            if (parent < 0)
                break;
            cur = (size_t)parent;
        }
        if (mark[cur] == MARK_MEMBER || mark[cur] == MARK_OUTSIDE)
            verdict = mark[cur];
        for (cur = i; mark[cur] == MARK_ON_PATH;) {
            long parent = find_pid(e, n, e[cur].ppid);
            mark[cur] = verdict;
            if (verdict == MARK_MEMBER)
                count++;
            if (parent < 0)
                break;
            cur = (size_t)parent;
        }
        if (mark[i] == MARK_UNKNOWN)
            mark[i] = MARK_OUTSIDE; /* root itself */
    }
    for (size_t i = 0; i < n; i++)
        mark[i] = mark[i] == MARK_MEMBER;
    return count;
}

int proctree_signal_descendants(struct proctree *t, pid_t root, int sig)
{
    size_t n, members;
    int r, signalled = 0;

    r = proctree_scan(t, scratch, PROCTREE_MAX, &n);
    if (r < 0 && r != -ENOSPC)
        return r;
    members = proctree_descendants(scratch, n, root, scratch_member);
    if (members == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!scratch_member[i])
            continue;
        if (kill(scratch[i].pid, sig) == 0)
            signalled++;
    }
    return signalled;
}
