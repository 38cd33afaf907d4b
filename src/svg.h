/* svg.h - draws a struct plot (plot.h) as one self-contained SVG document:
 * no script, no external resource, only printable ASCII. Two panels on one
 * clock axis (the cgroup's usage with its limit and memory.high; the top
 * processes' RSS, allocated and held bytes), every event marked across both,
 * legends and a list of the events. Pure: the document is built in memory. */
#ifndef JEINIT_SVG_H
#define JEINIT_SVG_H

#include <stddef.h>

#include "plot.h"

/* Processes drawn in the lower panel, at most. */
#define SVG_TOP_PROCS 6
/* Events listed under the picture, at most (all are marked on the axis). */
#define SVG_EVENT_ROWS 14

/* The document (NUL-terminated, *len bytes; free() it), or NULL when out of
 * memory. p must hold at least one jeinit line (t_first <= t_last). */
char *svg_render(const struct plot *p, size_t *len);

#endif
