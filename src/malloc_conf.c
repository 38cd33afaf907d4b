/* malloc_conf.c - see malloc_conf.h. */
#include "malloc_conf.h"

#include <errno.h>
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

void malloc_conf_merge(const struct policy *derived, const char *extra, const char *user,
                       struct mc_merge *out)
{
    char pair[MC_KEY_MAX + MC_VALUE_MAX + 2];
    size_t len = 0;
    bool ok = true;

    out->conf[0] = '\0';
    out->noverridden = 0;
    out->truncated = false;
    out->extra_full = malloc_conf_parse(extra, &out->extra) < 0;
    (void)malloc_conf_parse(user, &out->user);

    for (size_t i = 0; i < derived->n; i++) {
        const char *k = derived->opt[i].key;
        if (malloc_conf_get(&out->extra, k) || malloc_conf_get(&out->user, k)) {
            if (out->noverridden < MC_PAIRS_MAX)
                (void)snprintf(out->overridden[out->noverridden++], MC_KEY_MAX, "%s", k);
            continue;
        }
        (void)snprintf(pair, sizeof(pair), "%s:%s", k, derived->opt[i].value);
        ok = ok && append(out->conf, sizeof(out->conf), &len, pair);
    }
    /* JEINIT_MALLOC_CONF: its well-formed pairs only */
    for (size_t i = 0; i < out->extra.n; i++) {
        const struct mc_pair *p = &out->extra.p[i];
        if (malloc_conf_get(&out->user, p->key))
            continue;
        (void)snprintf(pair, sizeof(pair), "%s:%s", p->key, p->value);
        ok = ok && append(out->conf, sizeof(out->conf), &len, pair);
    }
    if (user)
        ok = ok && append(out->conf, sizeof(out->conf), &len, user);
    if (!ok) {
        /* Never cut the user's string: it alone is passed on. */
        out->truncated = true;
        (void)snprintf(out->conf, sizeof(out->conf), "%s", user ? user : "");
    }
}
