/* metrics_parse.h - the pure parts of the metrics endpoint's HTTP side:
 * the --metrics address, the request a scraper sends, and label values made
 * safe for the exposition format. No sockets, no clock, no printing: each
 * function is total on any bytes (the request comes from anyone who can
 * reach the port; a comm from any process of the container). */
#ifndef JEINIT_METRICS_PARSE_H
#define JEINIT_METRICS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --metrics ADDR:PORT. "127.0.0.1:9090", "[::1]:9090", "[::]:9090", and
 * ":9090" (every address: IPv6's any, which takes IPv4 too where the
 * kernel allows, else IPv4's). Port 1-65535. */
struct metrics_addr {
    int family;       /* AF_INET or AF_INET6 */
    bool any;         /* ":PORT": every address, of both families */
    uint8_t addr[16]; /* network order; 4 bytes for AF_INET */
    uint16_t port;
};

/* Returns 0, or -EINVAL with out untouched. */
int metrics_parse_addr(const char *s, struct metrics_addr *out);

/* The address as "127.0.0.1:9090" or "[::1]:9090" (":9090" for any), for
 * messages; bufsz >= 64 always fits. */
void metrics_addr_format(const struct metrics_addr *a, char *buf, size_t bufsz);

/* What a request asks, once it is whole (the empty line after the headers).
 * Only the request line is judged; the headers are only waited for, so that
 * the answer does not overtake the rest of the request and have the close
 * reset the connection before the client read it. */
enum metrics_req {
    METRICS_REQ_INCOMPLETE, /* no empty line yet: read more, if it still fits */
    METRICS_REQ_METRICS,    /* GET /metrics (with or without a query) */
    METRICS_REQ_ROOT,       /* GET /: a hint */
    METRICS_REQ_NOT_FOUND,  /* GET elsewhere: 404 */
    METRICS_REQ_METHOD,     /* a well-formed request with another method: 405 */
    METRICS_REQ_BAD,        /* anything else: 400 */
};

/* buf: the bytes received so far (not NUL-terminated). A request line is
 * METHOD SP TARGET SP HTTP/1.x, then header lines, then an empty line (CRLF
 * or a bare LF, as RFC 9112 allows a recipient to accept). A NUL byte, a
 * control character in the request line, or a line without its CR before
 * LF in the middle of CRLF lines are all METRICS_REQ_BAD once seen, whole
 * or not. */
enum metrics_req metrics_parse_request(const char *buf, size_t len);

/* The HTTP status line's code and reason for a verdict (METRICS_REQ_METRICS
 * and _ROOT: 200). */
int metrics_req_status(enum metrics_req r, const char **reason);

/* A process name made into a label value: printable ASCII kept, backslash
 * and double quote escaped (\\ and \"), every other byte (control
 * characters, newlines, bytes of UTF-8 or not) replaced by '?', so that the
 * value is valid UTF-8 and two names that print alike group together. An
 * empty name becomes "?". At most srclen bytes of src are read (stopping at
 * a NUL); dst gets at most dstsz - 1 bytes and a NUL. Returns the length
 * written; a name that would not fit is cut before an escape, never inside
 * one. dstsz >= 2*srclen+1 always fits. */
size_t metrics_label_value(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
