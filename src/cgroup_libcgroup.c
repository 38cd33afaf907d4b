/* cgroup_libcgroup.c - libcgroup's view of this process's memory cgroup,
 * asked for --inspect only, in a short-lived child (cgroup_init clears 800 KiB
 * of tables that must not stay in PID 1), and compared with mountinfo's. */
#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

/* libcgroup's words for error r. cgroup_strerror(ECGOTHER) is
 * strerror(cgroup_get_last_errno()), which is "Success" where libcgroup set
 * no errno (2.0.2 on a v2-only machine): then the code is named instead. */
static void libcgroup_error(int r, char *buf, size_t size)
{
    if (r == ECGOTHER && cgroup_get_last_errno() == 0)
        (void)snprintf(buf, size, "libcgroup error %d (ECGOTHER) without an errno", r);
    else
        (void)snprintf(buf, size, "%s (libcgroup error %d)", cgroup_strerror(r), r);
}

/* In the child: libcgroup's memory mount point and our path in it, as one
 * line "OK\tMOUNT\tPATH" or "ERR\tCALL: REASON". */
static void __attribute__((noreturn)) libcgroup_child(int fd)
{
    char *mp = NULL, *path = NULL, line[CG_PATH_MAX * 2 + 16], why[160];
    const char *call = "cgroup_init";
    int r = cgroup_init(), n;

    if (r == 0) {
        call = "cgroup_get_subsys_mount_point";
        r = cgroup_get_subsys_mount_point("memory", &mp);
    }
    if (r == 0) {
        call = "cgroup_get_current_controller_path";
        r = cgroup_get_current_controller_path(getpid(), "memory", &path);
    }
    if (r == 0 && mp && path) {
        n = snprintf(line, sizeof(line), "OK\t%s\t%s\n", mp, path);
    } else {
        if (r == 0)
            (void)str_copy(why, sizeof(why), "no answer, and no error");
        else
            libcgroup_error(r, why, sizeof(why));
        n = snprintf(line, sizeof(line), "ERR\t%s: %s\n", call, why);
    }
    if (n > 0)
        (void)write_all(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    _exit(0);
}

void cgroup_libcgroup_start(struct libcgroup_probe *p)
{
    cleanup_close_pair int fds[2] = {-1, -1};

    p->pid = -1;
    p->fd = -1;
    if (pipe2(fds, O_CLOEXEC) < 0)
        return;
    p->pid = fork();
    if (p->pid == 0) {
        (void)close(fds[0]);
        libcgroup_child(fds[1]);
    }
    if (p->pid > 0)
        p->fd = take_fd(&fds[0]);
}

void cgroup_libcgroup_finish(struct cgroup *cg, struct libcgroup_probe *p, int timeout_ms)
{
    char buf[CG_PATH_MAX * 2 + 16], joined[sizeof(buf) + 8], *mp, *path, *nl;
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    size_t used = 0;
    int64_t deadline = now_mono_ms() + timeout_ms;

    if (p->pid <= 0)
        return;
    /* a few reads at most: the child writes one short line and exits */
    while (used < sizeof(buf) - 1) {
        int64_t left = deadline - now_mono_ms();
        ssize_t n;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        n = read(p->fd, buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    (void)close(p->fd);
    if (!memchr(buf, '\n', used))
        (void)kill(p->pid, SIGKILL); /* stuck: it must not outlive the answer */
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    p->pid = -1;
    if (!cg->memory_version)
        return;
    nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    if (strncmp(buf, "OK\t", 3) != 0) {
        (void)snprintf(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                       "libcgroup found no memory cgroup: %.200s",
                       strncmp(buf, "ERR\t", 4) == 0 ? buf + 4 : "no answer");
        return;
    }
    mp = buf + 3;
    path = strchr(mp, '\t');
    if (!path)
        return;
    *path++ = '\0';
    (void)snprintf(joined, sizeof(joined), "%s%s", mp, strcmp(path, "/") == 0 ? "" : path);
    if (strcmp(joined, cg->memory_dir) == 0) {
        cg->discovered_by = "libcgroup";
        (void)str_copy(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                       "libcgroup and mountinfo agree");
        return;
    }
    /* libcgroup joins the mount point and /proc/self/cgroup's path; it does
     * not read mountinfo's root field, so where the mount's root is the
     * container's own cgroup it names a directory that is not there. */
    (void)snprintf(cg->libcgroup_note, sizeof(cg->libcgroup_note),
                   "libcgroup names %.160s (mount point + cgroup path), ignoring the mount's "
                   "root %.100s; used %.160s from mountinfo",
                   joined, cg->memory_mount_root, cg->memory_dir);
}
