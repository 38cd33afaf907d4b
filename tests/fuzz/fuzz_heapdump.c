/* fuzz_heapdump.c - libFuzzer harness for heapdump.c: a dump as a process
 * inside the container could write it, parsed on an exact-size copy (any
 * read past it is an ASan report), twice (the input split in two, as the
 * two dumps), then subtracted. Invariants: counts within the caller's room,
 * frames within HD_FRAMES_MAX, paths NUL-terminated and absolute, growth
 * positive and sorted. */
#include "heapdump.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define CAP 64

static void check_dump(const struct heapdump *d, int r)
{
    INVARIANT(r == 0 || r == -EINVAL);
    if (r < 0)
        return;
    INVARIANT(d->period > 0);
    INVARIANT(d->nstacks <= d->cap_stacks && d->nmaps <= d->cap_maps);
    for (size_t i = 0; i < d->nstacks; i++) {
        INVARIANT(d->stacks[i].nframes >= 1 && d->stacks[i].nframes <= HD_FRAMES_MAX);
        INVARIANT(d->stacks[i].bytes >= 0 && d->stacks[i].objs >= 0);
    }
    for (size_t i = 0; i < d->nmaps; i++) {
        size_t n = strnlen(d->maps[i].path, HD_PATH_MAX);
        INVARIANT(n > 0 && n < HD_PATH_MAX && d->maps[i].path[0] == '/');
        INVARIANT(d->maps[i].end > d->maps[i].start);
        INVARIANT(heapdump_map_of(d, d->maps[i].start) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hd_stack sa[CAP], sb[CAP], out[CAP];
    static struct hd_map ma[CAP], mb[CAP];
    struct heapdump a = {.stacks = sa, .cap_stacks = CAP, .maps = ma, .cap_maps = CAP};
    struct heapdump b = {.stacks = sb, .cap_stacks = CAP, .maps = mb, .cap_maps = CAP};
    size_t half = size / 2, n;
    char *x = malloc(half ? half : 1), *y = malloc(size - half ? size - half : 1);
    int ra, rb;

    if (!x || !y) {
        free(x);
        free(y);
        return 0;
    }
    memcpy(x, data, half);
    memcpy(y, data + half, size - half);
    ra = heapdump_parse(x, half, &a);
    rb = heapdump_parse(y, size - half, &b);
    check_dump(&a, ra);
    check_dump(&b, rb);
    if (ra == 0 && rb == 0) {
        heapdump_sort(&a);
        heapdump_sort(&b);
        n = heapdump_growth(&a, &b, out, CAP);
        INVARIANT(n <= b.nstacks);
        for (size_t i = 0; i < n; i++) {
            INVARIANT(out[i].bytes > 0);
            INVARIANT(i == 0 || out[i - 1].bytes >= out[i].bytes);
        }
    }
    (void)heapdump_allocator_frame(half ? "/x/libjemalloc.so" : NULL, size ? "_Znwm" : NULL);
    free(x);
    free(y);
    return 0;
}
