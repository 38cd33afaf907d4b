/* fuzz_malloc_conf.c - libFuzzer harness for malloc_conf_parse, _get and
 * _merge. The input is split at its first NUL into JEINIT_MALLOC_CONF and
 * the user's MALLOC_CONF (no NUL: no JEINIT_MALLOC_CONF); the derived
 * options are a fixed policy. Checked against a reference reading of the
 * strings (jeinit's rules, without the list's size cap): the output is
 * NUL-terminated, the user's string ends it verbatim unless truncated, no
 * derived key the user set is written, and the last value of every key is
 * the one the merge order says wins. */
#include "malloc_conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Is s[0..len) a well-formed pair (as malloc_conf_parse defines it)? */
static bool ref_pair(const char *s, size_t len, size_t *klen)
{
    const char *colon = memchr(s, ':', len);
    size_t k, v;

    if (!colon)
        return false;
    k = (size_t)(colon - s);
    v = len - k - 1;
    if (k == 0 || k >= MC_KEY_MAX || v == 0 || v >= MC_VALUE_MAX)
        return false;
    for (size_t i = 0; i < k; i++)
        if (!key_char(s[i]))
            return false;
    *klen = k;
    return true;
}

struct ref_count {
    size_t good, bad;
};

/* The last value of key in s[0..len) (pointer and length), or NULL. */
static const char *ref_get(const char *s, size_t len, const char *key, size_t *vlen,
                           struct ref_count *count)
{
    const char *end = s + len, *found = NULL;
    size_t klen_want = strlen(key);

    if (count)
        count->good = count->bad = 0;
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *seg_end = comma ? comma : end;
        size_t seg = (size_t)(seg_end - s), klen;

        if (ref_pair(s, seg, &klen)) {
            if (count)
                count->good++;
            if (klen == klen_want && memcmp(s, key, klen) == 0) {
                found = s + klen + 1;
                *vlen = seg - klen - 1;
            }
        } else if (count) {
            count->bad++;
        }
        s = comma ? comma + 1 : end;
    }
    return found;
}

static bool same_value(const char *a, size_t alen, const char *b)
{
    return a && alen == strlen(b) && memcmp(a, b, alen) == 0;
}

static void check_list(const char *s, const struct mc_list *l, int r)
{
    struct ref_count count;
    size_t vlen;

    INVARIANT(r == 0 || r == -ENOSPC);
    (void)ref_get(s ? s : "", s ? strlen(s) : 0, "", &vlen, &count);
    INVARIANT(l->nbad == count.bad);
    INVARIANT(r == 0 ? l->n == count.good : (l->n == MC_PAIRS_MAX && count.good > MC_PAIRS_MAX));
    INVARIANT(memchr(l->first_bad, '\0', sizeof(l->first_bad)) != NULL);
    INVARIANT(l->nbad > 0 || l->first_bad[0] == '\0');
    /* the first malformed pair is quoted from s, or an empty one is described */
    if (l->nbad > 0)
        INVARIANT(strstr(s, l->first_bad) != NULL ||
                  (strncmp(l->first_bad, "(empty", 6) == 0 &&
                   (s[0] == ',' || strstr(s, ",,") || s[strlen(s) - 1] == ',')));
    for (size_t i = 0; i < l->n; i++) {
        size_t klen = strnlen(l->p[i].key, MC_KEY_MAX), vl = strnlen(l->p[i].value, MC_VALUE_MAX);
        INVARIANT(klen > 0 && klen < MC_KEY_MAX && vl > 0 && vl < MC_VALUE_MAX);
        INVARIANT(strchr(l->p[i].value, ',') == NULL);
        for (size_t k = 0; k < klen; k++)
            INVARIANT(key_char(l->p[i].key[k]));
        /* get returns the last of the list's pairs with this key */
        const char *got = malloc_conf_get(l, l->p[i].key);
        size_t last = i;
        for (size_t j = i + 1; j < l->n; j++)
            if (strcmp(l->p[j].key, l->p[i].key) == 0)
                last = j;
        INVARIANT(got == l->p[last].value);
    }
}

static const struct policy *derived_policy(void)
{
    static struct policy p;
    static bool done;

    if (!done) {
        struct policy_input in = {.memory_limit = UINT64_C(2) << 30,
                                  .memory_high = UINT64_MAX,
                                  .cpu_millis = 2000,
                                  .host_cpus = 64,
                                  .profile = PROFILE_BALANCED,
                                  .thp = THP_ALWAYS,
                                  .jemalloc_major = 5,
                                  .jemalloc_minor = 3};
        policy_jemalloc(&in, &p);
        done = true;
    }
    return &p;
}

static bool listed(const struct mc_merge *m, const char *key)
{
    for (size_t i = 0; i < m->noverridden; i++)
        if (strcmp(m->overridden[i], key) == 0)
            return true;
    return false;
}

static bool dropped(const struct mc_merge *m, const char *key)
{
    for (size_t i = 0; i < m->ndropped; i++)
        if (strcmp(m->dropped[i], key) == 0)
            return true;
    return false;
}

static void check_merge(const char *extra, const char *user)
{
    static struct mc_merge m;
    const struct policy *d = derived_policy();
    size_t ulen = user ? strlen(user) : 0, clen, plen, vlen, evlen;
    const char *v, *ev;

    malloc_conf_merge(d, extra, user, &m);
    INVARIANT(memchr(m.conf, '\0', sizeof(m.conf)) != NULL);
    clen = strlen(m.conf);
    INVARIANT(m.noverridden <= d->n);
    if (m.truncated) {
        /* the user's string alone is over the cap; as much of it as fits */
        INVARIANT(ulen > MC_CONF_MAX);
        INVARIANT(ulen >= MC_STRING_MAX ? clen == MC_STRING_MAX - 1 : clen == ulen);
        INVARIANT(memcmp(m.conf, user ? user : "", clen) == 0);
        return;
    }
    /* never longer than jemalloc can echo whole; dropping only when needed */
    INVARIANT(clen <= MC_CONF_MAX);
    INVARIANT((m.ndropped == 0 && m.extra_dropped == 0) == (m.full_len <= MC_CONF_MAX));
    INVARIANT(m.extra_dropped == 0 || m.ndropped + m.noverridden == d->n);
    /* conf = prefix [ "," ] user */
    INVARIANT(clen >= ulen && memcmp(m.conf + clen - ulen, user ? user : "", ulen) == 0);
    plen = clen - ulen;
    if (ulen > 0 && plen > 0) {
        INVARIANT(m.conf[plen - 1] == ',');
        plen--;
    }
    /* before the user's string, only well-formed pairs: a malformed one
     * would stop jemalloc before it reads the user's */
    for (const char *p = m.conf, *end = m.conf + plen; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t seg = (size_t)((comma ? comma : end) - p), klen;
        INVARIANT(ref_pair(p, seg, &klen));
        p = comma ? comma + 1 : end;
    }

    for (size_t i = 0; i < d->n; i++) {
        const char *k = d->opt[i].key;
        bool by_user = malloc_conf_get(&m.user, k) != NULL;
        bool by_extra = malloc_conf_get(&m.extra, k) != NULL;

        v = ref_get(m.conf, plen, k, &vlen, NULL);
        ev = extra ? ref_get(extra, strlen(extra), k, &evlen, NULL) : NULL;
        INVARIANT(listed(&m, k) == (by_user || by_extra));
        INVARIANT(!(dropped(&m, k) && (by_user || by_extra)));
        if (dropped(&m, k)) {
            INVARIANT(!v); /* left out for the cap */
        } else if (by_user) {
            /* no derived key that the user set */
            INVARIANT(!v);
        } else if (m.extra_full || m.extra_dropped) {
            continue; /* JEINIT_MALLOC_CONF's tail was dropped: its last value is unknown */
        } else if (ev) {
            /* JEINIT_MALLOC_CONF's last value for it, wherever it was */
            INVARIANT(v && vlen == evlen && memcmp(v, ev, vlen) == 0);
        } else {
            INVARIANT(!by_extra && same_value(v, vlen, d->opt[i].value));
        }
    }
    /* every pair of JEINIT_MALLOC_CONF's reaches the program, unless the
     * user set the key: its last value is the one written */
    for (const char *p = m.extra_full || m.extra_dropped ? NULL : extra,
                    *end = extra ? extra + strlen(extra) : NULL;
         p && p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t seg = (size_t)((comma ? comma : end) - p), klen;
        char key[MC_KEY_MAX];

        if (ref_pair(p, seg, &klen)) {
            memcpy(key, p, klen);
            key[klen] = '\0';
            if (!malloc_conf_get(&m.user, key)) {
                v = ref_get(m.conf, plen, key, &vlen, NULL);
                ev = ref_get(extra, (size_t)(end - extra), key, &evlen, NULL);
                INVARIANT(v && ev && vlen == evlen && memcmp(v, ev, vlen) == 0);
            }
        }
        p = comma ? comma + 1 : end;
    }
    /* and the user's win, read as jemalloc would (the last one counts) */
    for (size_t i = 0; i < m.user.n; i++) {
        const char *k = m.user.p[i].key;
        v = ref_get(m.conf, clen, k, &vlen, NULL);
        ev = ref_get(user, ulen, k, &evlen, NULL);
        INVARIANT(v && ev && vlen == evlen && memcmp(v, ev, vlen) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *extra = NULL, *user;
    const char *nul;
    struct mc_list *l = malloc(sizeof(*l));
    int r;

    if (!buf || !l) {
        free(buf);
        free(l);
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    user = buf;
    nul = memchr(buf, '\0', size);
    if (nul) {
        extra = buf;
        user = buf + (nul - buf) + 1;
    }

    r = malloc_conf_parse(user, l);
    check_list(user, l, r);
    if (extra) {
        r = malloc_conf_parse(extra, l);
        check_list(extra, l, r);
    }
    r = malloc_conf_parse(NULL, l);
    INVARIANT(r == 0 && l->n == 0 && l->nbad == 0);

    check_merge(extra, user);
    check_merge(NULL, user);
    if (extra)
        check_merge(extra, NULL);
    free(l);
    free(buf);
    return 0;
}
