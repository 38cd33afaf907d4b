/* json.c - see json.h. */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define JW_STR_MAX 4096

yajl_gen jw_gen_new(bool beautify)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g)
        return NULL;
    (void)yajl_gen_config(g, yajl_gen_beautify, beautify ? 1 : 0);
    if (beautify)
        (void)yajl_gen_config(g, yajl_gen_indent_string, "  ");
    return g;
}

void jw_gen_reserve(yajl_gen g, size_t len)
{
    char chunk[1024];
    const unsigned char *buf;
    size_t used = 0;

    memset(chunk, 'x', sizeof(chunk));
    yajl_gen_reset(g, NULL);
    yajl_gen_clear(g);
    if (yajl_gen_array_open(g) != yajl_gen_status_ok)
        return;
    while (used < len &&
           yajl_gen_string(g, (const unsigned char *)chunk, sizeof(chunk)) == yajl_gen_status_ok &&
           yajl_gen_get_buf(g, &buf, &used) == yajl_gen_status_ok)
        ;
    yajl_gen_reset(g, NULL);
    yajl_gen_clear(g);
}

void jw_text_append(struct jw *w, const char *s, size_t len)
{
    if (!w || !w->text_buf || !s || len == 0)
        return;
    if (len > w->text_cap - 1 - w->text_len) {
        len = w->text_cap - 1 - w->text_len;
        w->truncated = true;
    }
    memcpy(w->text_buf + w->text_len, s, len);
    w->text_len += len;
    w->text_buf[w->text_len] = '\0';
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    size_t n;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates and values past U+10FFFF are invalid */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* Bytes c takes once escaped by yajl. */
static size_t escaped_len(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
        return 2;
    return c < 0x20 ? 6 : 1;
}

/* Copies valid UTF-8 into out (JW_STR_MAX bytes), whole sequences only, as
 * long as the escaped length stays within max; *cut tells whether some of
 * the input was left out. */
static size_t utf8_clean(const char *in, size_t len, char *out, size_t max, bool *cut)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, esc = 0;

    if (max == 0 || max > JW_STR_MAX - 4)
        max = JW_STR_MAX - 4;
    while (i < len && o < JW_STR_MAX - 4) {
        size_t n = utf8_seq_len(s + i, len - i);
        size_t e = n == 1 ? escaped_len(s[i]) : n ? n : 1;
        if (esc + e > max)
            break;
        esc += e;
        if (n == 0) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    *cut = i < len;
    out[o] = '\0';
    return o;
}

size_t jw_len(const struct jw *w)
{
    const unsigned char *buf;
    size_t len = 0;

    if (!w)
        return 0;
    if (!w->text || w->depth > 0)
        if (yajl_gen_get_buf(w->g, &buf, &len) != yajl_gen_status_ok)
            len = 0;
    return len + (w->text ? w->text_len : 0);
}

static bool text_top(const struct jw *w)
{
    return w->text && w->depth == 0;
}

/* Text mode, top level: " key=". */
static void text_key(struct jw *w, const char *key)
{
    if (!key)
        key = "_"; /* a top-level value always has a key; never crash on a slip */
    jw_text_append(w, " ", 1);
    jw_text_append(w, key, strlen(key));
    jw_text_append(w, "=", 1);
}

static void gen_key(struct jw *w, const char *key)
{
    if (key)
        (void)yajl_gen_string(w->g, (const unsigned char *)key, strlen(key));
}

static bool text_needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '=' || s[i] == '\\')
            return true;
    return false;
}

void jw_strn(struct jw *w, const char *key, const char *value, size_t len)
{
    char clean[JW_STR_MAX];
    size_t n;
    bool cut;

    if (!w)
        return;
    if (!value) {
        jw_null(w, key);
        return;
    }
    /* a cut string ends in "..." and the line says it was truncated */
    n = utf8_clean(value, len, clean, w->str_max > 3 ? w->str_max - 3 : w->str_max, &cut);
    if (cut) {
        memcpy(clean + n, "...", 4);
        n += 3;
        w->truncated = true;
    }
    if (w->depth == 0 && key && strcmp(key, "msg") == 0)
        w->has_msg = true;
    if (text_top(w) && key && strcmp(key, "msg") == 0) {
        /* people read the message first: "... event: message k=v"; a
         * control character would break the line */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)clean[i] < 0x20)
                clean[i] = ' ';
        jw_text_append(w, ": ", 2);
        jw_text_append(w, clean, n);
        return;
    }
    if (text_top(w)) {
        text_key(w, key);
        if (!text_needs_quotes(clean, n)) {
            jw_text_append(w, clean, n);
            return;
        }
        /* quote through yajl so the escaping is JSON's */
        (void)yajl_gen_string(w->g, (const unsigned char *)clean, n);
        {
            const unsigned char *buf;
            size_t blen;
            if (yajl_gen_get_buf(w->g, &buf, &blen) == yajl_gen_status_ok)
                jw_text_append(w, (const char *)buf, blen);
            yajl_gen_reset(w->g, NULL);
            yajl_gen_clear(w->g);
        }
        return;
    }
    gen_key(w, key);
    (void)yajl_gen_string(w->g, (const unsigned char *)clean, n);
}

void jw_str(struct jw *w, const char *key, const char *value)
{
    jw_strn(w, key, value, value ? strlen(value) : 0);
}

static void emit_number(struct jw *w, const char *key, const char *num)
{
    if (!w)
        return;
    if (text_top(w)) {
        text_key(w, key);
        jw_text_append(w, num, strlen(num));
        return;
    }
    gen_key(w, key);
    (void)yajl_gen_number(w->g, num, strlen(num));
}

void jw_u64(struct jw *w, const char *key, uint64_t value)
{
    char num[24];

    (void)snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
    emit_number(w, key, num);
}

void jw_i64(struct jw *w, const char *key, int64_t value)
{
    char num[24];

    (void)snprintf(num, sizeof(num), "%lld", (long long)value);
    emit_number(w, key, num);
}

void jw_double(struct jw *w, const char *key, double value, int decimals)
{
    char num[48];

    if (value != value || value > 1e18 || value < -1e18) {
        jw_null(w, key);
        return;
    }
    (void)snprintf(num, sizeof(num), "%.*f", decimals, value);
    emit_number(w, key, num);
}

void jw_u64_or_null(struct jw *w, const char *key, uint64_t value)
{
    if (value == UINT64_MAX)
        jw_null(w, key);
    else
        jw_u64(w, key, value);
}

void jw_bool(struct jw *w, const char *key, bool value)
{
    emit_number(w, key, value ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
    emit_number(w, key, "null");
}

static void open_container(struct jw *w, const char *key, bool map)
{
    if (!w)
        return;
    if (text_top(w)) {
        text_key(w, key);
        yajl_gen_reset(w->g, NULL);
        yajl_gen_clear(w->g);
    } else {
        gen_key(w, key);
    }
    if (map)
        (void)yajl_gen_map_open(w->g);
    else
        (void)yajl_gen_array_open(w->g);
    w->depth++;
}

static void close_container(struct jw *w, bool map)
{
    if (!w || w->depth == 0)
        return;
    if (map)
        (void)yajl_gen_map_close(w->g);
    else
        (void)yajl_gen_array_close(w->g);
    w->depth--;
    if (text_top(w)) {
        const unsigned char *buf;
        size_t len;

        if (yajl_gen_get_buf(w->g, &buf, &len) == yajl_gen_status_ok)
            jw_text_append(w, (const char *)buf, len);
        yajl_gen_reset(w->g, NULL);
        yajl_gen_clear(w->g);
    }
}

void jw_map_open(struct jw *w, const char *key)
{
    open_container(w, key, true);
}

void jw_map_close(struct jw *w)
{
    close_container(w, true);
}

void jw_array_open(struct jw *w, const char *key)
{
    open_container(w, key, false);
}

void jw_array_close(struct jw *w)
{
    close_container(w, false);
}
