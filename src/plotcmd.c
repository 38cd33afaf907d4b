/* plotcmd.c - see plotcmd.h. */
#include "plotcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot.h"
#include "svg.h"
#include "util.h"

/* One line on stderr: "jeinit report: WHAT[: strerror(err)]". */
static int fail(const char *what, int err)
{
    char msg[640];

    (void)snprintf(msg, sizeof(msg), "jeinit report: %s%s%s\n", what, err ? ": " : "",
                   err ? strerror(err) : "");
    (void)write_all(STDERR_FILENO, msg, strlen(msg));
    return 1;
}

/* Feeds every line of fd to p; a line longer than PLOT_LINE_MAX is skipped
 * whole. line: PLOT_LINE_MAX bytes. Returns 0 or a negative errno. */
static int read_lines(int fd, struct plot *p, char *line)
{
    char chunk[65536];
    size_t len = 0;
    bool too_long = false;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (const char *c = chunk, *end = chunk + n; c < end;) {
            const char *nl = memchr(c, '\n', (size_t)(end - c));
            size_t take = (size_t)((nl ? nl : end) - c);
            if (!too_long && take <= PLOT_LINE_MAX - len) {
                memcpy(line + len, c, take);
                len += take;
            } else {
                too_long = true;
            }
            c += take;
            if (!nl)
                break;
            c++;
            if (too_long) {
                p->lines++;
                p->skipped++;
            } else {
                (void)plot_feed(p, line, len);
            }
            len = 0;
            too_long = false;
        }
    }
    if (too_long) {
        p->lines++;
        p->skipped++;
    } else if (len > 0) {
        (void)plot_feed(p, line, len);
    }
    return 0;
}

int plotcmd_run(const char *path)
{
    bool from_stdin = !path || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "standard input" : path;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    struct plot *p;
    char *svg, *line, what[512];
    size_t len = 0;
    int r;

    if (fd < 0) {
        (void)snprintf(what, sizeof(what), "cannot open %.400s", name);
        return fail(what, errno);
    }
    p = plot_new();
    line = malloc(PLOT_LINE_MAX);
    r = p && line ? read_lines(fd, p, line) : -ENOMEM;
    free(line);
    if (!from_stdin)
        (void)close(fd);
    if (r < 0) {
        plot_free(p);
        (void)snprintf(what, sizeof(what), "cannot read %.400s", name);
        return fail(what, -r);
    }
    if (p->jeinit_lines == 0) {
        (void)snprintf(what, sizeof(what),
                       "no jeinit log line in %.300s (%llu lines read): expected JSON lines with "
                       "ts, level and event, as jeinit writes them with --log-format json",
                       name, (unsigned long long)p->lines);
        plot_free(p);
        return fail(what, 0);
    }
    svg = svg_render(p, &len);
    plot_free(p);
    if (!svg)
        return fail("out of memory drawing the picture", 0);
    r = write_all(STDOUT_FILENO, svg, len);
    free(svg);
    return r < 0 ? fail("cannot write the picture to standard output", -r) : 0;
}
