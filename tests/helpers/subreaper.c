/* subreaper - sets PR_SET_CHILD_SUBREAPER on itself and execs PROGRAM, as a
 * supervisor or test harness that makes its child a subreaper does. The bit
 * survives exec: PROGRAM starts as a subreaper it did not ask to be.
 * Usage: subreaper PROGRAM [ARGS...] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: subreaper PROGRAM [ARGS...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        fprintf(stderr, "subreaper: prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
        return 2;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "subreaper: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
