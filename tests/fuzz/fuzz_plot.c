/* fuzz_plot.c - libFuzzer harness for `jeinit report`'s reading and drawing
 * (plot.c, svg.c): the input is a log, fed line by line; the model stays
 * within its bounds, and the drawing is one document of printable ASCII
 * (so always valid XML text) that ends with </svg>. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "svg.h"
#include "fuzz.h"

/* 1,024 samples x 22 series x ~20 bytes, 256 events, legends */
#define SVG_MAX_BYTES (2 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct plot *p = plot_new();
    const char *s = (const char *)data, *end = s + size;
    size_t len = 0, top[8];
    char *svg;

    if (!p)
        return 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = (size_t)((nl ? nl : end) - s);
        (void)plot_feed(p, s, n);
        s += n + (nl != NULL);
    }
    INVARIANT(p->n <= PLOT_SAMPLES_MAX && p->nproc <= PLOT_PROCS_MAX);
    INVARIANT(p->nevent <= PLOT_EVENTS_MAX && p->jeinit_lines + p->skipped == p->lines);
    INVARIANT(plot_top(p, top, 8) <= 8);
    for (size_t i = 1; i < p->n; i++)
        INVARIANT(p->t_ms[i] >= p->t_ms[i - 1]);
    if (p->jeinit_lines > 0) {
        svg = svg_render(p, &len);
        /* bounded by the model's bounds, whatever the times and sizes */
        INVARIANT(svg && strlen(svg) == len && len < SVG_MAX_BYTES);
        for (size_t i = 0; i < len; i++)
            INVARIANT(svg[i] == '\n' || (svg[i] >= 0x20 && svg[i] < 0x7f));
        INVARIANT(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
        free(svg);
    }
    plot_free(p);
    return 0;
}
