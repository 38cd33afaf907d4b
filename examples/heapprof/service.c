/* service.c - a small service with a leak, for README's heap profile.
 *
 *   service SECONDS
 *
 * Serves a "request" every 2 ms: parses it into a few buffers and frees
 * them (handle_request), and, for a request of a new user, keeps a session
 * forever (remember_session: the leak, ~1 MiB/s). Run by run.sh under
 * jeinit, which diagnoses heap-growth and names remember_session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct session {
    unsigned long user;
    char token[64];
    char *history; /* what the user did, never trimmed */
    struct session *next;
};

static struct session *sessions;

__attribute__((noinline)) static void remember_session(unsigned long user)
{
    struct session *s = malloc(sizeof(*s));

    if (!s)
        return;
    s->user = user;
    (void)snprintf(s->token, sizeof(s->token), "tok-%lu", user);
    s->history = malloc(4096);
    if (s->history)
        memset(s->history, 'h', 4096);
    s->next = sessions;
    sessions = s;
}

__attribute__((noinline)) static size_t handle_request(unsigned long user)
{
    char *headers = malloc(2048), *body = malloc(16384);
    size_t n = 0;

    if (headers && body) {
        memset(headers, 'x', 2048);
        memset(body, 'y', 16384);
        n = (size_t)headers[user % 2048] + (size_t)body[user % 16384];
    }
    free(headers);
    free(body);
    return n;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 30;
    struct timespec pause = {0, 2 * 1000 * 1000}, t0, t;
    unsigned long requests = 0;
    size_t sum = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        sum += handle_request(requests);
        if (requests % 2 == 0)
            remember_session(requests); /* a new user */
        requests++;
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("served %lu requests (%zu)\n", requests, sum);
    return 0;
}
