/* scan.c - see scan.h. */
#include "scan.h"

#include <errno.h>

int scan_digits(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    bool overflow = false;

    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned d;

        if (!scan_is_digit(p[i]))
            return -EINVAL;
        d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (overflow)
        return -ERANGE;
    *out = v;
    return 0;
}

void scan_word(const char **p, const char *end, const char **w, size_t *n)
{
    while (*p < end && scan_is_blank(**p))
        (*p)++;
    *w = *p;
    while (*p < end && !scan_is_blank(**p))
        (*p)++;
    *n = (size_t)(*p - *w);
}

bool scan_line(struct scan_lines *it, const char **line, size_t *n)
{
    const char *nl;
    size_t len;

    if (it->left == 0)
        return false;
    nl = memchr(it->p, '\n', it->left);
    len = nl ? (size_t)(nl - it->p) : it->left;
    *line = it->p;
    it->p += nl ? len + 1 : len;
    it->left -= nl ? len + 1 : len;
    while (len > 0 && (*line)[len - 1] == '\r')
        len--;
    *n = len;
    return true;
}

bool scan_field_next(struct scan_fields *it, const char **f, size_t *n)
{
    const char *s;

    if (it->done)
        return false;
    s = memchr(it->p, it->sep, (size_t)(it->end - it->p));
    *f = it->p;
    if (!s) {
        *n = (size_t)(it->end - it->p);
        it->p = it->end;
        it->done = true;
    } else {
        *n = (size_t)(s - it->p);
        it->p = s + 1;
    }
    return true;
}
