/* json.h - one writer for everything jeinit emits: log lines (JSON or text),
 * the --inspect document, and the memory lines. Built on a yajl generator.
 *
 * In text mode the top level is written as "key=value" pairs for people and
 * nested values as compact JSON. Strings are made valid UTF-8 (invalid bytes
 * become '?'), so output always parses. Every function accepts w == NULL and
 * then does nothing, so callers need no checks for filtered log lines. */
#ifndef JEINIT_JSON_H
#define JEINIT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

struct jw {
    yajl_gen g;
    bool text;      /* top level as key=value */
    int depth;      /* 0: top level of the object being written */
    char *text_buf; /* text mode: the line so far */
    size_t text_len, text_cap;
    bool truncated; /* something did not fit: text mode's line, or a string cut at str_max */
    bool has_msg;   /* a top-level "msg" was written */
    size_t str_max; /* strings cut to this many bytes as written (escapes counted); 0: 4 KiB */
};

/* JSON mode: the caller owns g (made with jw_gen_new). Text mode also needs
 * a line buffer of text_cap bytes. */
yajl_gen jw_gen_new(bool beautify);
/* Grows g's buffer past len bytes now, and touches them: yajl keeps it
 * through yajl_gen_clear, so that lines up to that size later allocate and
 * fault in nothing (at the limit, a first touch is a charge to the cgroup). */
void jw_gen_reserve(yajl_gen g, size_t len);

void jw_str(struct jw *w, const char *key, const char *value); /* NULL value: null */
void jw_strn(struct jw *w, const char *key, const char *value, size_t len);
void jw_u64(struct jw *w, const char *key, uint64_t value);
void jw_i64(struct jw *w, const char *key, int64_t value);
void jw_double(struct jw *w, const char *key, double value, int decimals);
void jw_bool(struct jw *w, const char *key, bool value);
void jw_null(struct jw *w, const char *key);
/* A limit or counter that may be absent: UINT64_MAX is written as null. */
void jw_u64_or_null(struct jw *w, const char *key, uint64_t value);
void jw_map_open(struct jw *w, const char *key);
void jw_map_close(struct jw *w);
void jw_array_open(struct jw *w, const char *key);
void jw_array_close(struct jw *w);

/* Bytes written so far (text mode: the line and any open nested value). */
size_t jw_len(const struct jw *w);

/* Appends raw text to a text-mode line (bounded; sets truncated). */
void jw_text_append(struct jw *w, const char *s, size_t len);

#endif
