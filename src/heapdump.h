/* heapdump.h - jemalloc's heap profiles (prof.dump, "heap_v2" format) read
 * and compared. Pure: bytes in, stacks and growth out, into the caller's
 * arrays. A dump is written by a process inside the container: untrusted,
 * so every count is bounded and every line may be malformed (fuzzed by
 * tests/fuzz/fuzz_heapdump.c).
 *
 * The format (jemalloc 5.x prof_data.c, read by jeprof):
 *   heap_v2/<sample period in bytes>
 *     t*: <objs>: <bytes> [<objs>: <bytes>]          totals
 *     t<N>: ...                                       per thread
 *   @ 0x<addr> 0x<addr> ...                           a stack, leaf first
 *     t*: <curobjs>: <curbytes> [<cumobjs>: <cumbytes>]
 *     t<N>: ...
 *   (blank)
 *   MAPPED_LIBRARIES:
 *   <a copy of /proc/self/maps>
 * Counts are sampled: as jeprof does, an estimate of the real ones is the
 * sampled ones times 1/(1 - exp(-(bytes/objs)/period)). */
#ifndef JEINIT_HEAPDUMP_H
#define JEINIT_HEAPDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HD_FRAMES_MAX 24 /* frames kept per stack, from the leaf */
#define HD_PATH_MAX   256

struct hd_stack {
    uint64_t frames[HD_FRAMES_MAX];
    uint32_t nframes;
    double objs, bytes; /* live now, unbiased */
};

/* An executable mapping from MAPPED_LIBRARIES (r-xp with a path). */
struct hd_map {
    uint64_t start, end, offset;
    char path[HD_PATH_MAX];
};

struct heapdump {
    uint64_t period;         /* bytes between samples */
    double objs, bytes;      /* the t*: totals, unbiased */
    struct hd_stack *stacks; /* the caller's array of cap_stacks */
    size_t nstacks, cap_stacks;
    struct hd_map *maps; /* the caller's array of cap_maps */
    size_t nmaps, cap_maps;
    size_t dropped_stacks; /* beyond cap_stacks, or malformed */
    size_t dropped_maps;   /* beyond cap_maps, or malformed */
};

/* Parses a dump into d (its arrays and caps set by the caller). 0, or
 * -EINVAL when the first line is not a heap_v2 header. */
int heapdump_parse(const char *buf, size_t len, struct heapdump *d);

/* 1/(1 - exp(-(bytes/objs)/period)), the factor jeprof multiplies sampled
 * counts by (1 when objs or bytes is 0, or period is 0). */
double heapdump_unbias_factor(double objs, double bytes, uint64_t period);

/* Sorts a dump's stacks by their frames (for heapdump_growth). */
void heapdump_sort(struct heapdump *d);

/* What grew from a to b, both sorted: one entry per stack of b whose live
 * bytes rose, with the rise (bytes and objects; a stack new in b counts in
 * full), largest first. Returns the count written into out (at most cap). */
size_t heapdump_growth(const struct heapdump *a, const struct heapdump *b, struct hd_stack *out,
                       size_t cap);

/* The mapping an address falls in, or NULL. */
const struct hd_map *heapdump_map_of(const struct heapdump *d, uint64_t addr);

/* Whether a frame is the allocator's rather than the program's: jemalloc
 * itself (module) or an allocation entry point (symbol: malloc, calloc,
 * operator new, CPython's PyMem_* and PyObject_Malloc...), skipped to find
 * the allocation site. */
bool heapdump_allocator_frame(const char *module, const char *symbol);

#endif
