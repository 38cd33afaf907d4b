/* malloc_conf.h - MALLOC_CONF strings: parsing and merging. Pure, total,
 * fuzzed (tests/fuzz/fuzz_malloc_conf.c).
 *
 * Merge order, later wins key by key: jeinit's derived options, then
 * JEINIT_MALLOC_CONF, then the user's MALLOC_CONF. jemalloc stops reading its
 * configuration at the first malformed pair, so:
 *   - the user's MALLOC_CONF is passed on untouched and last: with or without
 *     jeinit, jemalloc reads exactly the same of it; derived keys it sets are
 *     dropped;
 *   - JEINIT_MALLOC_CONF is jeinit's own variable: only its well-formed pairs
 *     are passed on (a malformed one, placed before the user's string, would
 *     hide the user's whole MALLOC_CONF from jemalloc). */
#ifndef JEINIT_MALLOC_CONF_H
#define JEINIT_MALLOC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define MC_PAIRS_MAX  64 /* jemalloc 5.3 has fewer options than this */
#define MC_KEY_MAX    64
#define MC_VALUE_MAX  1024 /* room for paths such as prof_prefix */
#define MC_STRING_MAX 4096

struct mc_pair {
    char key[MC_KEY_MAX];
    char value[MC_VALUE_MAX];
};

struct mc_list {
    size_t n;
    struct mc_pair p[MC_PAIRS_MAX];
    size_t nbad;        /* malformed pairs seen */
    char first_bad[96]; /* the first of them, for the warning */
};

/* Parses "key:value,key:value" as jemalloc does: keys of [A-Za-z0-9_],
 * values up to the next comma. Malformed pairs (no colon, bad key, empty
 * value, empty segment) are counted and skipped. Returns 0, or -ENOSPC when
 * more than MC_PAIRS_MAX well-formed pairs (the first ones kept). */
int malloc_conf_parse(const char *s, struct mc_list *out);

/* A pair's value in a list, or NULL. */
const char *malloc_conf_get(const struct mc_list *l, const char *key);

struct mc_merge {
    char conf[MC_STRING_MAX]; /* the MALLOC_CONF to give the program */
    struct mc_list extra, user;
    size_t noverridden; /* derived options the user or JEINIT_MALLOC_CONF replaced */
    char overridden[MC_PAIRS_MAX][MC_KEY_MAX];
    bool truncated;  /* did not fit: conf is the user's string alone */
    bool extra_full; /* JEINIT_MALLOC_CONF had more than MC_PAIRS_MAX pairs */
};

/* extra and user may be NULL. Never fails: the worst case is the user's
 * MALLOC_CONF unchanged. */
void malloc_conf_merge(const struct policy *derived, const char *extra, const char *user,
                       struct mc_merge *out);

#endif
