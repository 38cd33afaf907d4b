/* metrics_parse.c - see metrics_parse.h. */
#include "metrics_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int parse_port(const char *s, uint16_t *port)
{
    unsigned v = 0;

    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(*s - '0');
        if (v > 65535)
            return -EINVAL;
    }
    if (v == 0)
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int metrics_parse_addr(const char *s, struct metrics_addr *out)
{
    struct metrics_addr a = {0};
    char host[64];
    const char *colon;
    size_t hl;

    if (!s)
        return -EINVAL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -EINVAL;
        hl = (size_t)(close - s - 1);
        colon = close + 1;
        s++;
        a.family = AF_INET6;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -EINVAL; /* an IPv6 address needs its brackets */
        hl = (size_t)(colon - s);
        a.family = AF_INET;
    }
    if (hl >= sizeof(host) || parse_port(colon + 1, &a.port) < 0)
        return -EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (hl == 0) {
        if (a.family == AF_INET6)
            return -EINVAL; /* "[]:9090" */
        a.family = AF_INET6;
        a.any = true; /* in6addr_any: all zeros */
    } else if (inet_pton(a.family, host, a.addr) != 1) {
        return -EINVAL;
    }
    *out = a;
    return 0;
}

void metrics_addr_format(const struct metrics_addr *a, char *buf, size_t bufsz)
{
    char host[INET6_ADDRSTRLEN] = "";

    if (!a->any && !inet_ntop(a->family, a->addr, host, sizeof(host)))
        host[0] = '\0';
    (void)snprintf(buf, bufsz, a->family == AF_INET6 && !a->any ? "[%s]:%u" : "%s:%u", host,
                   (unsigned)a->port);
}

/* RFC 9110 tchar, for the method. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible ASCII, for the target. */
static bool is_vchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* The request line, [line, line + n) without its line end. */
static enum metrics_req judge_request_line(const char *line, size_t n)
{
    size_t i = 0, m, t0, tn;

    while (i < n && is_tchar((unsigned char)line[i]))
        i++;
    m = i;
    if (m == 0 || i >= n || line[i] != ' ')
        return METRICS_REQ_BAD;
    t0 = ++i;
    while (i < n && is_vchar((unsigned char)line[i]))
        i++;
    tn = i - t0;
    if (tn == 0 || i >= n || line[i] != ' ')
        return METRICS_REQ_BAD;
    i++;
    if (n - i != 8 || memcmp(line + i, "HTTP/1.", 7) != 0 ||
        (line[i + 7] != '0' && line[i + 7] != '1'))
        return METRICS_REQ_BAD;
    if (line[t0] != '/' && !(tn == 1 && line[t0] == '*'))
        return METRICS_REQ_BAD; /* only origin-form (and OPTIONS' "*") */
    if (!(m == 3 && memcmp(line, "GET", 3) == 0))
        return METRICS_REQ_METHOD;
    if (tn == 1)
        return line[t0] == '/' ? METRICS_REQ_ROOT : METRICS_REQ_BAD;
    if ((tn == 8 || (tn > 8 && line[t0 + 8] == '?')) && memcmp(line + t0, "/metrics", 8) == 0)
        return METRICS_REQ_METRICS;
    return METRICS_REQ_NOT_FOUND;
}

enum metrics_req metrics_parse_request(const char *buf, size_t len)
{
    size_t start = 0, first_end = 0;
    bool have_first = false;

    if (!buf)
        return METRICS_REQ_INCOMPLETE;
    for (size_t i = 0; i < len; i++) {
        size_t end;
        unsigned char c = (unsigned char)buf[i];

        if (c == '\0')
            return METRICS_REQ_BAD;
        if (!have_first && c < 0x20 && c != '\r' && c != '\n')
            return METRICS_REQ_BAD;
        if (!have_first && c == '\r' && i + 1 < len && buf[i + 1] != '\n')
            return METRICS_REQ_BAD; /* a bare CR in the request line */
        if (c != '\n')
            continue;
        end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
        if (!have_first) {
            if (end == start)
                return METRICS_REQ_BAD; /* an empty first line */
            have_first = true;
            first_end = end;
        } else if (end == start) {
            return judge_request_line(buf, first_end); /* the empty line: whole */
        }
        start = i + 1;
    }
    /* the request line alone can already be judged bad */
    if (have_first && judge_request_line(buf, first_end) == METRICS_REQ_BAD)
        return METRICS_REQ_BAD;
    return METRICS_REQ_INCOMPLETE;
}

int metrics_req_status(enum metrics_req r, const char **reason)
{
    static const struct {
        int code;
        const char *reason;
    } table[] = {
        [METRICS_REQ_INCOMPLETE] = {400, "Bad Request"},
        [METRICS_REQ_METRICS] = {200, "OK"},
        [METRICS_REQ_ROOT] = {200, "OK"},
        [METRICS_REQ_NOT_FOUND] = {404, "Not Found"},
        [METRICS_REQ_METHOD] = {405, "Method Not Allowed"},
        [METRICS_REQ_BAD] = {400, "Bad Request"},
    };
    unsigned i = (unsigned)r < sizeof(table) / sizeof(table[0]) ? (unsigned)r : METRICS_REQ_BAD;

    *reason = table[i].reason;
    return table[i].code;
}

size_t metrics_label_value(char *dst, size_t dstsz, const char *src, size_t srclen)
{
    size_t o = 0;

    if (dstsz == 0)
        return 0;
    for (size_t i = 0; i < srclen && src[i]; i++) {
        unsigned char c = (unsigned char)src[i];
        bool esc = c == '\\' || c == '"';
        size_t need = esc ? 2 : 1;

        if (o + need > dstsz - 1)
            break;
        if (esc)
            dst[o++] = '\\';
        dst[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (o == 0 && dstsz > 1)
        dst[o++] = '?';
    dst[o] = '\0';
    return o;
}
