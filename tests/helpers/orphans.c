/* orphans - makes N orphaned zombies for the init to reap, then reports.
 * Usage: orphans N [TIMEOUT_S]
 * Each of N short-lived children forks a grandchild and exits at once, so the
 * grandchild is re-parented to the nearest reaper (PID 1 or a subreaper) and
 * exits there. orphans then waits (up to TIMEOUT_S, default 10) until no
 * zombie is left in /proc, and prints "orphans=N zombies=Z ms=T": T is the
 * time from the first fork until the last zombie was gone. Exit 0 when
 * Z == 0, 1 otherwise. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_zombies(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int zombies = 0;

    if (!d)
        return -1;
    while ((e = readdir(d))) {
        char path[300], buf[512], *p;
        FILE *f;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'Z')
            zombies++;
        fclose(f);
    }
    closedir(d);
    return zombies;
}

int main(int argc, char **argv)
{
    long n, timeout_s = 10, start, deadline;
    int zombies;

    if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
        fprintf(stderr, "usage: orphans N [TIMEOUT_S]\n");
        return 2;
    }
    if (argc > 2)
        timeout_s = strtol(argv[2], NULL, 10);
    start = now_ms();
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) {
            perror("fork");
            return 2;
        }
        if (p == 0) {
            if (fork() == 0)
                _exit(0);
            _exit(0);
        }
        while (waitpid(p, NULL, 0) < 0)
            ;
    }
    deadline = now_ms() + timeout_s * 1000;
    while ((zombies = count_zombies()) > 0 && now_ms() < deadline)
        usleep(1000);
    printf("orphans=%ld zombies=%d ms=%ld\n", n, zombies, now_ms() - start);
    return zombies == 0 ? 0 : 1;
}
