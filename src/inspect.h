/* inspect.h - `jeinit --inspect` (one JSON document of everything jeinit
 * found and would do) and `jeinit --print-env` (the KEY=value lines). */
#ifndef JEINIT_INSPECT_H
#define JEINIT_INSPECT_H

#include "allocator.h"
#include "cgroup.h"
#include "json.h"
#include "tuning.h"

struct findings {
    const struct config *cfg;
    const struct cgroup *cg;
    const struct cgroup_limits *lim;
    const struct cgroup_usage *usage;
    const struct allocator *alloc;
    const struct tuning *tuning;
};

/* Both write to fd and return 0 or a negative errno. */
int inspect_print(int fd, const struct findings *f);
/* The same for people: a title, then aligned, wrapped lines
 * (inspect_text_body, in inspect_text.c). */
int inspect_print_text(int fd, const struct findings *f);
int inspect_text_body(int fd, const struct findings *f);
int print_env(int fd, const struct tuning *t);

/* The allocator and tuning as JSON, for --inspect (full) and the start line. */
void report_tuning(struct jw *w, const char *key, const struct allocator *a, const struct tuning *t,
                   bool full);

/* Every warning found on the way, as "warnings": [...]. */
void report_warnings(struct jw *w, const struct findings *f);

#endif
