/* plotcmd.h - `jeinit report [LOG]`: reads a jeinit log (a file, or stdin
 * when LOG is absent or "-"), and writes one SVG picture of it to stdout
 * (plot.c reads, svg.c draws). Not PID 1's code: a command for people. */
#ifndef JEINIT_PLOTCMD_H
#define JEINIT_PLOTCMD_H

/* Returns the exit code: 0, or 1 with one message on stderr (the log cannot
 * be read, holds no jeinit line, or stdout cannot be written). */
int plotcmd_run(const char *path);

#endif
