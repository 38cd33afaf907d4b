/* heapprof_dir.c - the private directory of heap dumps (see heapprof.h):
 * made once, a subdirectory per process owned by it, bounded in processes
 * and bytes, emptied without following links. Called from PID 1's loop:
 * a few system calls on /tmp or /dev/shm, nothing that waits. */
#include "heapprof.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* candidate parents of the private directory: the container's /tmp, else
 * its shared-memory tmpfs */
static const char *const dir_parents[] = {"/tmp", "/dev/shm"};

int heapprof_dir_make(struct heapprof *hp)
{
    int err = ENOENT;

    if (hp->dir[0])
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(dir_parents); i++) {
        char tmpl[sizeof(hp->dir)];
        (void)str_printf(tmpl, sizeof(tmpl), "%s/jeinit-heap.XXXXXX", dir_parents[i]);
        if (!mkdtemp(tmpl)) {
            err = errno;
            continue;
        }
        /* each process's own subdirectory is reachable, the list is not */
        if (chmod(tmpl, 0711) < 0) {
            err = errno;
            (void)rmdir(tmpl);
            continue;
        }
        (void)str_copy(hp->dir, sizeof(hp->dir), tmpl);
        return 0;
    }
    return -err;
}

void heapprof_dir_path(const struct heapprof *hp, pid_t pid, const char *name, char *out, size_t n)
{
    if (name)
        (void)str_printf(out, n, "%s/%d/%s", hp->dir, (int)pid, name);
    else
        (void)str_printf(out, n, "%s/%d", hp->dir, (int)pid);
}

/* A process's subdirectory emptied and removed: whatever it holds (the
 * process could write anything there), a bounded number of entries, never
 * following a link. */
void heapprof_dir_remove(const struct heapprof *hp, pid_t pid)
{
    char path[96];
    int fd;
    DIR *d;
    struct dirent *e;
    unsigned n = 0;

    if (!hp->dir[0])
        return;
    heapprof_dir_path(hp, pid, NULL, path, sizeof(path));
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        d = fdopendir(fd);
        if (!d) {
            (void)close(fd);
        } else {
            while ((e = readdir(d)) && n++ < 256)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                    (void)unlinkat(dirfd(d), e->d_name, 0);
            (void)closedir(d);
        }
    }
    (void)rmdir(path);
}

int heapprof_dir_make_sub(const struct heapprof *hp, const struct hp_target *t)
{
    char path[96];

    heapprof_dir_remove(hp, t->pid); /* a pid used again */
    heapprof_dir_path(hp, t->pid, NULL, path, sizeof(path));
    if (mkdir(path, 0700) < 0)
        return -errno;
    /* the process writes its dump itself, as itself */
    if (chown(path, t->uid, t->gid) < 0) {
        int e = errno;
        (void)rmdir(path);
        return -e;
    }
    return 0;
}

/* The dumps of processes gone are removed; of the others, the last HP_KEEP. */
void heapprof_dir_keep(struct heapprof *hp, pid_t pid, int64_t now)
{
    for (size_t i = 0; i < hp->nkept; i++)
        if (hp->kept[i].pid == pid) {
            hp->kept[i].ms = now;
            return;
        }
    if (hp->nkept == HP_KEEP) {
        heapprof_dir_remove(hp, hp->kept[0].pid);
        memmove(hp->kept, hp->kept + 1, (HP_KEEP - 1) * sizeof(hp->kept[0]));
        hp->nkept--;
    }
    hp->kept[hp->nkept++] = (struct hp_kept){.pid = pid, .ms = now};
}

void heapprof_dir_prune(struct heapprof *hp)
{
    size_t j = 0;

    for (size_t i = 0; i < hp->nkept; i++) {
        struct hp_kept k = hp->kept[i];
        if (kill(k.pid, 0) < 0 && errno == ESRCH) {
            heapprof_dir_remove(hp, k.pid);
            continue;
        }
        hp->kept[j++] = k;
    }
    hp->nkept = j;
}

/* A process's two dumps, measured (without following links: the process
 * owns its directory); a dump over HP_DUMP_MAX is removed. Their bytes, or
 * UINT64_MAX after removing them. */
uint64_t heapprof_dir_measure(const struct heapprof *hp, pid_t pid)
{
    static const char *const names[] = {HP_DUMP_FIRST, HP_DUMP_SECOND};
    uint64_t total = 0;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char path[128];
        struct stat st;
        heapprof_dir_path(hp, pid, names[i], path, sizeof(path));
        if (lstat(path, &st) < 0)
            continue; /* missing: the analysis says so */
        if ((uint64_t)st.st_size > HP_DUMP_MAX) {
            heapprof_dir_remove(hp, pid);
            return UINT64_MAX;
        }
        total += (uint64_t)st.st_size;
    }
    return total;
}

/* The kept dumps within HP_DIR_MAX: the oldest processes' go first, the
 * newest (the one just measured) stays. */
void heapprof_dir_bound(struct heapprof *hp)
{
    uint64_t total = 0;

    for (size_t i = 0; i < hp->nkept; i++)
        total += hp->kept[i].bytes;
    while (total > HP_DIR_MAX && hp->nkept > 1) {
        total -= hp->kept[0].bytes;
        heapprof_dir_remove(hp, hp->kept[0].pid);
        memmove(hp->kept, hp->kept + 1, (hp->nkept - 1) * sizeof(hp->kept[0]));
        hp->nkept--;
    }
}
