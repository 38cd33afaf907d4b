/* forkloop N: forks N children one after another, each _exit(0) at once,
 * waiting for each; prints "forks=N ms=T" (wall time of the whole loop).
 * The cost of fork itself under an init: the allocator's fork handlers, and
 * whatever an agent does in a forked child. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
    struct timespec t0, t1;
    void *volatile warm = malloc(64); /* the allocator is initialised, as in any program */

    free(warm);
    if (n <= 0)
        return 2;
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        int st;

        if (p < 0) {
            perror("forkloop: fork");
            return 1;
        }
        if (p == 0)
            _exit(0);
        if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "forkloop: child %d did not exit 0\n", (int)p);
            return 1;
        }
    }
    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("forks=%ld ms=%.1f\n", n,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}
