/* scan.h - the bounded-buffer scanning shared by the pure parsers
 * (cgroup_parse.c, cgroup_paths.c, procfs_parse.c): spans, not NUL-terminated
 * strings; every function stays within [p, p + n). */
#ifndef JEINIT_SCAN_H
#define JEINIT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool scan_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool scan_is_space(char c)
{
    return scan_is_blank(c) || c == '\n' || c == '\r';
}

static inline bool scan_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool scan_span_eq(const char *p, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* A NULL buffer is accepted as an empty one. */
static inline bool scan_nonnull(const char **buf, size_t len)
{
    if (*buf)
        return true;
    *buf = "";
    return len == 0;
}

/* Exactly the decimal digits [p, p + n): -EINVAL when empty or not all
 * digits, -ERANGE when the value does not fit. */
int scan_digits(const char *p, size_t n, uint64_t *out);

/* Skips blanks, then returns the next run of non-blanks (n == 0 at the end). */
void scan_word(const char **p, const char *end, const char **w, size_t *n);

/* Yields the lines of a buffer, without their '\n' and any trailing '\r'.
 * The last line need not end in '\n'. */
struct scan_lines {
    const char *p;
    size_t left;
};

bool scan_line(struct scan_lines *it, const char **line, size_t *n);

/* Yields the fields of [p, p + n) split on one separator character; two
 * separators in a row yield an empty field. */
struct scan_fields {
    const char *p, *end;
    char sep;
    bool done;
};

static inline struct scan_fields scan_fields_of(const char *p, size_t n, char sep)
{
    return (struct scan_fields){.p = p, .end = p + n, .sep = sep, .done = false};
}

bool scan_field_next(struct scan_fields *it, const char **f, size_t *n);

#endif
