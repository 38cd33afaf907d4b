/* envplan.c - see envplan.h. */
#include "envplan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static bool is_sep(char c)
{
    return c == ':' || c == ' ';
}

static const char *base_name(const char *p, size_t len, size_t *blen)
{
    const char *b = p;

    for (size_t i = 0; i < len; i++)
        if (p[i] == '/')
            b = p + i + 1;
    *blen = len - (size_t)(b - p);
    return b;
}

static bool is_jemalloc(const char *p, size_t len)
{
    size_t blen;
    const char *b = base_name(p, len, &blen);

    return blen >= 11 && strncmp(b, "libjemalloc", 11) == 0;
}

static bool append(char *out, size_t outsz, size_t *len, const char *s, size_t n, char sep)
{
    size_t need = n + (*len ? 1 : 0);

    if (*len + need + 1 > outsz)
        return false;
    if (*len)
        out[(*len)++] = sep;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

static bool list_has(const char *list, const char *s, size_t n)
{
    const char *p = list ? list : "";

    while (*p) {
        size_t len = strcspn(p, ": ");
        if (len == n && strncmp(p, s, n) == 0)
            return true;
        p += len;
        while (*p && is_sep(*p))
            p++;
    }
    return false;
}

int preload_merge(const char *existing, const char *const add[], size_t nadd,
                  bool skip_first_if_jemalloc, char *out, size_t outsz, const char **user_jemalloc,
                  size_t *user_jemalloc_len)
{
    size_t len = 0;
    const char *p;

    if (outsz == 0)
        return -ENAMETOOLONG;
    if (!existing)
        existing = "";
    out[0] = '\0';
    *user_jemalloc = NULL;
    *user_jemalloc_len = 0;
    for (p = existing; *p;) {
        size_t n = strcspn(p, ": ");
        if (n > 0 && is_jemalloc(p, n) && !*user_jemalloc) {
            *user_jemalloc = p;
            *user_jemalloc_len = n;
        }
        p += n;
        while (*p && is_sep(*p))
            p++;
    }
    for (size_t i = 0; i < nadd; i++) {
        if (!add[i] || !*add[i])
            continue;
        if (i == 0 && skip_first_if_jemalloc && *user_jemalloc) {
            /* the user's jemalloc stays first: it must come before the agent */
            if (!append(out, outsz, &len, *user_jemalloc, *user_jemalloc_len, ':'))
                return -ENAMETOOLONG;
            continue;
        }
        if (list_has(out, add[i], strlen(add[i])))
            continue;
        if (!append(out, outsz, &len, add[i], strlen(add[i]), ':'))
            return -ENAMETOOLONG;
    }
    for (p = existing; *p;) {
        size_t n = strcspn(p, ": ");
        if (n > 0 && !list_has(out, p, n) && !append(out, outsz, &len, p, n, ':'))
            return -ENAMETOOLONG;
        p += n;
        while (*p && is_sep(*p))
            p++;
    }
    return 0;
}

static bool tunables_has(const char *existing, const char *name)
{
    size_t n = strlen(name);
    const char *p = existing;

    while (p && *p) {
        size_t len = strcspn(p, ":");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
            return true;
        p += len;
        if (*p == ':')
            p++;
    }
    return false;
}

int tunables_merge(const char *existing, const char *const names[], const char *const values[],
                   size_t n, char *out, size_t outsz)
{
    char item[256];
    size_t len = 0;

    if (outsz == 0)
        return -ENAMETOOLONG;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k;
        if (tunables_has(existing, names[i]))
            continue;
        k = snprintf(item, sizeof(item), "%s=%s", names[i], values[i]);
        if (k < 0 || (size_t)k >= sizeof(item) || !append(out, outsz, &len, item, (size_t)k, ':'))
            return -ENAMETOOLONG;
    }
    if (existing && *existing && !append(out, outsz, &len, existing, strlen(existing), ':'))
        return -ENAMETOOLONG;
    return 0;
}

static bool same_key(const char *entry, const char *key)
{
    size_t n = strlen(key);

    return strncmp(entry, key, n) == 0 && entry[n] == '=';
}

char **env_build(char *const envp[], const struct env_change *changes, size_t n)
{
    size_t count = 0, extra = 0, out = 0, size = 0;
    char **env, *strings;

    while (envp && envp[count])
        count++;
    for (size_t i = 0; i < n; i++)
        if (changes[i].value)
            size += strlen(changes[i].key) + strlen(changes[i].value) + 2;
    extra = n;
    /* one block: the pointer array, then the new "KEY=value" strings */
    env = malloc((count + extra + 1) * sizeof(char *) + size);
    if (!env)
        return NULL;
    strings = (char *)(env + count + extra + 1);
    for (size_t i = 0; i < count; i++) {
        bool changed = false;
        for (size_t j = 0; j < n && !changed; j++)
            changed = same_key(envp[i], changes[j].key);
        if (!changed)
            env[out++] = envp[i];
    }
    for (size_t j = 0; j < n; j++) {
        if (!changes[j].value)
            continue;
        int k = sprintf(strings, "%s=%s", changes[j].key, changes[j].value);
        env[out++] = strings;
        strings += k + 1;
    }
    env[out] = NULL;
    return env;
}

int env_format_line(const char *key, const char *value, char *out, size_t outsz)
{
    size_t o;
    int n;

    if (outsz == 0)
        return -ENAMETOOLONG;
    out[0] = '\0';
    if (env_value_is_plain(value)) {
        n = snprintf(out, outsz, "%s=%s\n", key, value);
        if (n < 0 || (size_t)n >= outsz) {
            out[0] = '\0';
            return -ENAMETOOLONG;
        }
        return 0;
    }
    n = snprintf(out, outsz, "%s='", key);
    if (n < 0 || (size_t)n + 3 > outsz) /* an empty value still needs "'\n" and NUL */
        goto too_long;
    o = (size_t)n;
    for (const char *p = value; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        size_t len = piece ? 4 : 1;
        if (o + len + 3 > outsz) /* room for the closing "'\n" and NUL */
            goto too_long;
        if (piece)
            memcpy(out + o, piece, len);
        else
            out[o] = *p;
        o += len;
    }
    memcpy(out + o, "'\n", 3); /* with the NUL */
    return 0;
too_long:
    out[0] = '\0';
    return -ENAMETOOLONG;
}

bool env_value_is_plain(const char *value)
{
    if (!*value)
        return false;
    for (const char *p = value; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("_./:,=+-@%", c)))
            return false;
    }
    return true;
}

static const char *const marked_keys[ENV_MARK_KEYS] = {"MALLOC_CONF", "LD_PRELOAD",
                                                       "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

void env_mark(char *const envp[], const struct env_change *changes, size_t n, struct env_marks *m)
{
    size_t len = 0;

    m->n = 0;
    m->set[0] = '\0';
    for (size_t k = 0; k < ENV_MARK_KEYS; k++) {
        const char *key = marked_keys[k], *set = NULL, *user;
        int w;

        for (size_t i = 0; i < n; i++)
            if (changes[i].value && strcmp(changes[i].key, key) == 0)
                set = changes[i].value;
        if (!set)
            continue;
        w = snprintf(m->set + len, sizeof(m->set) - len, "%s%s:%016llx", len ? "," : "", key,
                     (unsigned long long)fnv1a(set));
        if (w < 0 || (size_t)w >= sizeof(m->set) - len)
            break; /* cannot happen: sized for the four keys */
        len += (size_t)w;
        user = env_lookup(envp, key);
        if (user) {
            (void)snprintf(m->user_keys[k], sizeof(m->user_keys[k]), "JEINIT_USER_%s", key);
            m->changes[m->n++] = (struct env_change){m->user_keys[k], user};
        }
    }
    if (len)
        m->changes[m->n++] = (struct env_change){"JEINIT_SET", m->set};
}

char **env_unmark(char *const envp[])
{
    static char user_keys[ENV_MARK_KEYS][48];
    struct env_change undo[2 * ENV_MARK_KEYS + 1];
    const char *marks = env_lookup(envp, "JEINIT_SET");
    size_t n = 0;

    if (!marks)
        return NULL;
    for (size_t k = 0; k < ENV_MARK_KEYS; k++) {
        const char *key = marked_keys[k], *now = env_lookup(envp, key), *p;
        char want[48];
        unsigned long long h;

        (void)snprintf(user_keys[k], sizeof(user_keys[k]), "JEINIT_USER_%s", key);
        undo[n++] = (struct env_change){user_keys[k], NULL};
        (void)snprintf(want, sizeof(want), "%s:", key);
        p = strstr(marks, want);
        if (!p || (p != marks && p[-1] != ',') || !now)
            continue;
        if (sscanf(p + strlen(want), "%16llx", &h) != 1 || h != fnv1a(now))
            continue; /* changed since jeinit set it: the program's own, kept */
        undo[n++] = (struct env_change){key, env_lookup(envp, user_keys[k])};
    }
    undo[n++] = (struct env_change){"JEINIT_SET", NULL};
    return env_build(envp, undo, n);
}
