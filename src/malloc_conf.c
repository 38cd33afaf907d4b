/* malloc_conf.c - see malloc_conf.h. */
#include "malloc_conf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void note_bad(struct mc_list *out, const char *seg, size_t len)
{
    if (out->nbad++ > 0)
        return;
    if (len == 0)
        (void)snprintf(out->first_bad, sizeof(out->first_bad),
                       "(empty: ',,' or a comma at an end)");
    else
        (void)snprintf(out->first_bad, sizeof(out->first_bad), "%.*s", (int)(len > 80 ? 80 : len),
                       seg);
}

int malloc_conf_parse(const char *s, struct mc_list *out)
{
    int r = 0;

    /* the counters only: entries are written before they are read, and
     * clearing 64 KiB of pairs would cost PID 1 their pages */
    out->n = 0;
    out->nbad = 0;
    out->first_bad[0] = '\0';
    if (!s)
        return 0;
    while (*s) {
        const char *seg = s, *colon = NULL, *end;
        size_t klen, vlen;

        end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        for (const char *p = seg; p < end; p++) {
            if (*p == ':') {
                colon = p;
                break;
            }
        }
        s = *end ? end + 1 : end;
        klen = colon ? (size_t)(colon - seg) : 0;
        vlen = colon ? (size_t)(end - colon - 1) : 0;
        bool ok = colon && klen > 0 && klen < MC_KEY_MAX && vlen > 0 && vlen < MC_VALUE_MAX;
        for (size_t i = 0; ok && i < klen; i++)
            ok = key_char(seg[i]);
        if (!ok) {
            note_bad(out, seg, (size_t)(end - seg));
            continue;
        }
        if (out->n >= MC_PAIRS_MAX) {
            r = -ENOSPC;
            continue;
        }
        memcpy(out->p[out->n].key, seg, klen);
        out->p[out->n].key[klen] = '\0';
        memcpy(out->p[out->n].value, colon + 1, vlen);
        out->p[out->n].value[vlen] = '\0';
        out->n++;
    }
    return r;
}

const char *malloc_conf_get(const struct mc_list *l, const char *key)
{
    const char *v = NULL;

    /* the last one wins, as in jemalloc */
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->p[i].key, key) == 0)
            v = l->p[i].value;
    return v;
}

/* Appends ",text" (no comma first); false when it does not fit. */
static bool append(char *buf, size_t sz, size_t *len, const char *text)
{
    size_t n = strlen(text), sep = *len ? 1 : 0;

    if (n == 0)
        return true;
    if (*len + sep + n + 1 > sz)
        return false;
    if (sep)
        buf[(*len)++] = ',';
    memcpy(buf + *len, text, n + 1);
    *len += n;
    return true;
}

static bool overridden_by(const struct mc_merge *m, const char *key)
{
    return malloc_conf_get(&m->extra, key) || malloc_conf_get(&m->user, key);
}

/* conf = the first nderived derived options the user and JEINIT_MALLOC_CONF
 * leave, the first nextra pairs of JEINIT_MALLOC_CONF the user leaves, then
 * the user's string. Its length, or SIZE_MAX when it does not fit conf. */
static size_t compose(const struct policy *derived, size_t nderived, size_t nextra,
                      const char *user, struct mc_merge *out)
{
    char pair[MC_KEY_MAX + MC_VALUE_MAX + 2];
    size_t len = 0;
    bool ok = true;

    out->conf[0] = '\0';
    for (size_t i = 0; i < nderived; i++) {
        if (overridden_by(out, derived->opt[i].key))
            continue;
        (void)snprintf(pair, sizeof(pair), "%s:%s", derived->opt[i].key, derived->opt[i].value);
        ok = ok && append(out->conf, sizeof(out->conf), &len, pair);
    }
    /* JEINIT_MALLOC_CONF: its well-formed pairs only */
    for (size_t i = 0; i < nextra; i++) {
        const struct mc_pair *p = &out->extra.p[i];
        if (malloc_conf_get(&out->user, p->key))
            continue;
        (void)snprintf(pair, sizeof(pair), "%s:%s", p->key, p->value);
        ok = ok && append(out->conf, sizeof(out->conf), &len, pair);
    }
    if (user)
        ok = ok && append(out->conf, sizeof(out->conf), &len, user);
    return ok ? len : SIZE_MAX;
}

void malloc_conf_merge(const struct policy *derived, const char *extra, const char *user,
                       struct mc_merge *out)
{
    size_t nd = derived->n, ne, len;

    out->conf[0] = '\0';
    out->noverridden = out->ndropped = out->extra_dropped = 0;
    out->truncated = false;
    out->extra_full = malloc_conf_parse(extra, &out->extra) < 0;
    (void)malloc_conf_parse(user, &out->user);
    ne = out->extra.n;

    for (size_t i = 0; i < derived->n; i++) {
        const char *k = derived->opt[i].key;
        if (overridden_by(out, k) && out->noverridden < MC_PAIRS_MAX)
            (void)snprintf(out->overridden[out->noverridden++], MC_KEY_MAX, "%s", k);
    }
    len = compose(derived, nd, ne, user, out);
    out->full_len = len;
    /* Over the cap: jeinit's own options go first, from the last (at most
     * POLICY_OPTIONS_MAX + MC_PAIRS_MAX turns of a few KiB each). */
    while (len > MC_CONF_MAX && (nd > 0 || ne > 0)) {
        if (nd > 0)
            nd--;
        else
            ne--;
        len = compose(derived, nd, ne, user, out);
    }
    if (len > MC_CONF_MAX) {
        /* Never cut the user's string: it alone is passed on. */
        out->truncated = true;
        (void)snprintf(out->conf, sizeof(out->conf), "%s", user ? user : "");
    }
    for (size_t i = out->truncated ? 0 : nd; i < derived->n; i++)
        if (!overridden_by(out, derived->opt[i].key) && out->ndropped < MC_PAIRS_MAX)
            (void)snprintf(out->dropped[out->ndropped++], MC_KEY_MAX, "%s", derived->opt[i].key);
    for (size_t i = out->truncated ? 0 : ne; i < out->extra.n; i++)
        if (!malloc_conf_get(&out->user, out->extra.p[i].key))
            out->extra_dropped++;
}
