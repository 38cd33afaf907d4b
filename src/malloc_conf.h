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
 *     hide the user's whole MALLOC_CONF from jemalloc).
 *
 * Length. jemalloc reads a MALLOC_CONF of any length, but prints what it says
 * about it through one 4096-byte buffer (MALLOC_PRINTF_BUFSIZE, malloc_io.h),
 * cut without its newline when longer: jeinit's next log line is then glued
 * to it. In 5.3 (src/jemalloc.c) the longest such lines are the echo of
 * confirm_conf:true, a 76-byte prefix + the whole string + ""
" (measured:
 * 4016 bytes fit, 4017 lose the newline), and the complaint about a bad pair,
 * at most 46 bytes + the pair + "
" (pairs of up to 4048 bytes fit). So the
 * merged string is capped at MC_CONF_MAX = 3072 bytes, which leaves 1 KiB
 * for another version's longer wording; the pairs jeinit writes are far
 * shorter (keys < MC_KEY_MAX, values < MC_VALUE_MAX). When the merge would be
 * longer, jeinit's derived options go first (the last, least important one
 * first), then JEINIT_MALLOC_CONF's pairs (from the last); the user's string
 * is never cut or changed: when it alone is longer than the cap it is passed
 * on as it is and jeinit adds nothing. */
#ifndef JEINIT_MALLOC_CONF_H
#define JEINIT_MALLOC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define MC_PAIRS_MAX  64 /* jemalloc 5.3 has fewer options than this */
#define MC_KEY_MAX    64
#define MC_VALUE_MAX  1024 /* room for paths such as prof_prefix */
#define MC_STRING_MAX 4096
#define MC_CONF_MAX   3072 /* the longest merged MALLOC_CONF jeinit gives (see above) */

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
    size_t ndropped; /* derived options left out to stay within MC_CONF_MAX */
    char dropped[MC_PAIRS_MAX][MC_KEY_MAX];
    size_t extra_dropped; /* JEINIT_MALLOC_CONF pairs left out for the same reason */
    size_t full_len;      /* the length the merge would have had without the cap */
    bool truncated;  /* nothing of jeinit's fits: conf is the user's string alone (as much of it
                      * as conf holds: the caller then leaves MALLOC_CONF as it is) */
    bool extra_full; /* JEINIT_MALLOC_CONF had more than MC_PAIRS_MAX pairs */
};

/* extra and user may be NULL. Never fails: the worst case is the user's
 * MALLOC_CONF unchanged. */
void malloc_conf_merge(const struct policy *derived, const char *extra, const char *user,
                       struct mc_merge *out);

#endif
