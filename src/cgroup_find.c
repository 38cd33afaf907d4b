/* cgroup_find.c - this process's cgroup directory when the mount does not
 * say where it is: a cgroup namespace made after cgroup2 was mounted
 * (`unshare --cgroup` without a remount) shows the mount's root as "/.." and
 * the process's path as "/", relative to a namespace root that lies
 * somewhere below the mount point. The mounted hierarchy is searched for
 * the directory whose cgroup.procs lists our pid (as our pid namespace
 * numbers it: the kernel translates them for the reader), depth first,
 * bounded in depth and in directories read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_io.h"
#include "cgroup_parse.h"
#include "cgroup_procs.h"
#include "util.h"

#define FIND_DEPTH_MAX 32
#define FIND_DIRS_MAX  4096
#define PROCS_READ_MAX ((size_t)4 << 20) /* a cgroup with half a million processes */

struct find {
    uint64_t pid;
    unsigned searched;
    char path[CG_PATH_MAX];
};

/* Does dir/cgroup.procs list the pid? Unreadable is no. */
static bool lists_pid(int dirfd, uint64_t pid)
{
    char buf[4096];
    struct cg_pid_scan scan;
    size_t total = 0;
    int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0)
        return false;
    cg_pid_scan_init(&scan, pid);
    while (total < PROCS_READ_MAX && !scan.found) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        cg_pid_scan_feed(&scan, buf, (size_t)n);
        total += (size_t)n;
    }
    (void)close(fd);
    return cg_pid_scan_end(&scan);
}

/* f->path is the directory, dirfd open on it (closed here); 0 when found
 * (f->path is the answer), -ENOENT when not below it, -E2BIG when the
 * budget ran out. */
static int search(struct find *f, int dirfd, int depth)
{
    DIR *d;
    struct dirent *e;
    size_t len = strlen(f->path);
    int r = -ENOENT;

    if (++f->searched > FIND_DIRS_MAX)
        r = -E2BIG;
    else if (lists_pid(dirfd, f->pid))
        r = 0;
    if (r != -ENOENT || depth >= FIND_DEPTH_MAX) {
        (void)close(dirfd);
        return r;
    }
    d = fdopendir(dirfd);
    if (!d) {
        (void)close(dirfd);
        return -ENOENT;
    }
    while (r == -ENOENT && (e = readdir(d)) != NULL) {
        int sub;
        if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) || strcmp(e->d_name, ".") == 0 ||
            strcmp(e->d_name, "..") == 0)
            continue;
        if (str_printf(f->path + len, sizeof(f->path) - len, "/%s", e->d_name) < 0)
            continue; /* too long for jeinit to use anyway */
        sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sub >= 0)
            r = search(f, sub, depth + 1);
        if (r != 0)
            f->path[len] = '\0';
    }
    (void)closedir(d);
    return r;
}

int cg_find_by_pid(const char *top, uint64_t pid, char *dir, size_t dirsz, unsigned *searched)
{
    static struct find f;
    int fd, r;

    f.pid = pid;
    f.searched = 0;
    if (str_copy(f.path, sizeof(f.path), top) < 0)
        return -ENAMETOOLONG;
    fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    r = search(&f, fd, 0);
    *searched = f.searched > FIND_DIRS_MAX ? FIND_DIRS_MAX : f.searched;
    if (r == 0 && str_copy(dir, dirsz, f.path) < 0)
        return -ENAMETOOLONG;
    return r;
}
