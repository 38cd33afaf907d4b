/* fuzz_envplan.c - libFuzzer harness for preload_merge, tunables_merge,
 * env_build, env_value_is_plain and env_format_line. The input is split on
 * NUL bytes: the existing LD_PRELOAD, our two libraries, the existing
 * GLIBC_TUNABLES, then environment entries; the first byte picks the output
 * size and flags. Each merge is checked against a reference built from the documented rules, and
 * each formatted line is read back as a shell would. */
#include "envplan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_TOKENS 4096

struct tokens {
    size_t n;
    const char *p[MAX_TOKENS];
    size_t len[MAX_TOKENS];
};

static bool is_sep(char c)
{
    return c == ':' || c == ' ';
}

static bool has(const struct tokens *t, const char *s, size_t n)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->len[i] == n && memcmp(t->p[i], s, n) == 0)
            return true;
    return false;
}

/* Adds s unless present; false when the reference itself is full. */
static bool push(struct tokens *t, const char *s, size_t n)
{
    if (has(t, s, n))
        return true;
    if (t->n == MAX_TOKENS)
        return false;
    t->p[t->n] = s;
    t->len[t->n++] = n;
    return true;
}

static bool jemalloc_name(const char *s, size_t n)
{
    size_t b = n;

    while (b > 0 && s[b - 1] != '/')
        b--;
    return n - b >= 11 && memcmp(s + b, "libjemalloc", 11) == 0;
}

static size_t joined_len(const struct tokens *t)
{
    size_t len = 0;

    for (size_t i = 0; i < t->n; i++)
        len += t->len[i] + (i ? 1 : 0);
    return len;
}

static bool equals_joined(const char *out, const struct tokens *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (i && *out++ != ':')
            return false;
        if (strncmp(out, t->p[i], t->len[i]) != 0)
            return false;
        out += t->len[i];
    }
    return *out == '\0';
}

static void check_preload(const char *existing, const char *const add[2], bool skip, size_t outsz)
{
    static char out[ENV_VALUE_MAX + 1];
    static struct tokens user, want;
    const char *uje = (const char *)1, *p;
    size_t uje_len = 12345;
    int r;

    user.n = want.n = 0;
    for (p = existing; *p;) {
        size_t n = strcspn(p, ": ");
        if (n > 0 && user.n < MAX_TOKENS) {
            user.p[user.n] = p;
            user.len[user.n++] = n;
        }
        p += n;
        while (is_sep(*p))
            p++;
    }
    if (user.n == MAX_TOKENS)
        return;

    r = preload_merge(existing, add, 2, skip, out, outsz, &uje, &uje_len);
    INVARIANT(r == 0 || r == -ENAMETOOLONG);

    /* the user's first jemalloc, found whatever the result */
    const char *first_je = NULL;
    size_t first_je_len = 0;
    for (size_t i = 0; i < user.n && !first_je; i++) {
        if (jemalloc_name(user.p[i], user.len[i])) {
            first_je = user.p[i];
            first_je_len = user.len[i];
        }
    }
    INVARIANT(uje == first_je && uje_len == first_je_len);

    for (size_t i = 0; i < 2; i++) {
        if (!add[i] || !*add[i])
            continue;
        if (i == 0 && skip && first_je)
            INVARIANT(push(&want, first_je, first_je_len));
        else
            INVARIANT(push(&want, add[i], strlen(add[i])));
    }
    for (size_t i = 0; i < user.n; i++)
        if (!push(&want, user.p[i], user.len[i]))
            return;

    if (joined_len(&want) + 1 > outsz) {
        INVARIANT(r == -ENAMETOOLONG);
        return;
    }
    INVARIANT(r == 0);
    INVARIANT(strlen(out) < outsz);
    INVARIANT(equals_joined(out, &want));
}

static void check_tunables(const char *existing, size_t outsz)
{
    static const char *const names[] = {"glibc.malloc.mmap_threshold",
                                        "glibc.malloc.trim_threshold", "glibc.malloc.arena_max"};
    static const char *const values[] = {"131072", "131072", "2"};
    static char out[ENV_VALUE_MAX + 1];
    char *want = malloc(strlen(existing) + 256), *w = want;
    int r;

    if (!want)
        return;
    *w = '\0';
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(names[i]);
        bool set = false;
        /* set when an entry of existing starts with "name=" */
        for (const char *p = existing; *p && !set;) {
            size_t len = strcspn(p, ":");
            set = len > n && strncmp(p, names[i], n) == 0 && p[n] == '=';
            p += len;
            if (*p == ':')
                p++;
        }
        if (set)
            continue;
        if (w != want)
            *w++ = ':';
        w = stpcpy(stpcpy(stpcpy(w, names[i]), "="), values[i]);
    }
    if (*existing) {
        if (w != want)
            *w++ = ':';
        w = stpcpy(w, existing);
    }

    r = tunables_merge(existing, names, values, 3, out, outsz);
    if ((size_t)(w - want) + 1 > outsz) {
        INVARIANT(r == -ENAMETOOLONG);
    } else {
        INVARIANT(r == 0);
        INVARIANT(strcmp(out, want) == 0);
    }
    free(want);
}

static void check_env(char *const envp[], size_t count, const char *const keys[2],
                      const char *value)
{
    struct env_change changes[3] = {{keys[0], value}, {keys[1], NULL}, {"MALLOC_CONF", value}};
    char **env = env_build(envp, changes, 3);
    size_t n = 0, kept = 0;

    INVARIANT(env != NULL);
    for (size_t i = 0; i < count; i++) {
        bool changed = false;
        for (size_t j = 0; j < 3; j++) {
            size_t kl = strlen(changes[j].key);
            changed |= strncmp(envp[i], changes[j].key, kl) == 0 && envp[i][kl] == '=';
        }
        kept += !changed;
    }
    for (; env[n]; n++) {
        if (n < kept) {
            /* untouched entries come first, shared and in order */
            bool found = false;
            for (size_t i = 0; i < count && !found; i++)
                found = env[n] == envp[i];
            INVARIANT(found);
        } else {
            /* then one KEY=value per change that sets a value */
            size_t j = n - kept == 0 ? 0 : 2, kl = strlen(changes[j].key);
            INVARIANT(strncmp(env[n], changes[j].key, kl) == 0 && env[n][kl] == '=' &&
                      strcmp(env[n] + kl + 1, value) == 0);
        }
    }
    INVARIANT(n == kept + (value ? 2 : 0));
    free(env);
}

/* Reads "KEY=value\n" or "KEY='...'\n" back as a POSIX shell would (single
 * quotes, '\'' for a quote) and checks it gives key and value. */
static void check_format_line(const char *key, const char *value, size_t outsz)
{
    static char out[2 * ENV_VALUE_MAX + 64], back[2 * ENV_VALUE_MAX + 64];
    size_t klen = strlen(key), n = 0, len;
    const char *p;
    int r = env_format_line(key, value, out, outsz);
    size_t need = klen + 1 + strlen(value) + 1; /* KEY=value\n */

    if (!env_value_is_plain(value))
        for (p = value, need += 2; *p; p++)
            need += *p == '\'' ? 3 : 0;
    INVARIANT(r == 0 || r == -ENAMETOOLONG);
    INVARIANT((r == 0) == (need + 1 <= outsz));
    if (r < 0) {
        INVARIANT(outsz == 0 || out[0] == '\0');
        return;
    }
    len = strlen(out);
    INVARIANT(len < outsz && len > klen + 1 && out[len - 1] == '\n');
    INVARIANT(strncmp(out, key, klen) == 0 && out[klen] == '=');
    p = out + klen + 1;
    if (env_value_is_plain(value)) {
        INVARIANT(strlen(p) == strlen(value) + 1 && strncmp(p, value, strlen(value)) == 0);
        return;
    }
    /* 'chunk' then any number of \' 'chunk', then the newline */
    for (;;) {
        INVARIANT(*p == '\'');
        for (p++; *p && *p != '\''; p++)
            back[n++] = *p;
        INVARIANT(*p == '\'');
        p++;
        if (p[0] == '\\' && p[1] == '\'') {
            back[n++] = '\'';
            p += 2;
            continue;
        }
        INVARIANT(p[0] == '\n' && p[1] == '\0');
        break;
    }
    back[n] = '\0';
    INVARIANT(strcmp(back, value) == 0);
}

static void check_plain(const char *s)
{
    bool plain = env_value_is_plain(s);

    if (!*s)
        INVARIANT(!plain);
    for (const char *p = s; *p && plain; p++)
        INVARIANT((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("_./:,=+-@%", *p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *part[4] = {"", "", "", ""}, *envp[65];
    const char *add[2];
    size_t outsz, nparts = 0, nenv = 0, off;
    uint8_t flags;

    if (size < 1)
        return 0;
    flags = data[0];
    buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    for (off = 0; off < size - 1 && nparts < 4;) {
        part[nparts++] = buf + off;
        off += strlen(buf + off) + 1;
    }
    for (; off < size - 1 && nenv < 64;) {
        envp[nenv++] = buf + off;
        off += strlen(buf + off) + 1;
    }
    envp[nenv] = NULL;

    /* a size from tiny to the real one */
    outsz = flags & 0x80 ? ENV_VALUE_MAX : (size_t)(flags & 0x3f) * 4 + 1;

    /* our libraries are paths without separators (jeinit's own) */
    for (size_t i = 1; i <= 2; i++)
        for (char *c = part[i]; *c; c++)
            if (is_sep(*c))
                *c = '_';
    add[0] = (flags & 0x01) ? NULL : part[1];
    add[1] = part[2];

    check_preload(part[0], add, flags & 0x40, outsz);
    check_tunables(part[3], outsz);
    {
        /* jeinit's marks in a crafted environment: undone or left, never more */
        char **back = env_unmark(envp);
        if (back) {
            size_t nb = 0;
            while (back[nb])
                nb++;
            if (nb > nenv)
                abort();
            free(back);
        }
    }
    {
        const char *keys[2] = {nenv ? envp[0] : "LD_PRELOAD", "B"};
        char key[64];
        size_t kl = strcspn(keys[0], "=");
        if (kl > 0 && kl < sizeof(key)) {
            memcpy(key, keys[0], kl);
            key[kl] = '\0';
            keys[0] = key;
        } else {
            keys[0] = "LD_PRELOAD";
        }
        check_env(envp, nenv, keys, (flags & 0x02) ? NULL : part[0]);
    }
    check_plain(part[0]);
    check_plain(part[3]);
    check_format_line("MALLOC_CONF", part[0], outsz);
    check_format_line("GLIBC_TUNABLES", part[3], flags & 0x20 ? 0 : outsz);
    free(buf);
    return 0;
}
