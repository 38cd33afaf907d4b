/* warnings.h - the messages a module hands up for its caller to log (a
 * library that is missing, a variable that is ignored). Pure: no I/O, a fixed
 * size, and what does not fit is counted, never silently lost: the caller
 * says how many were dropped. */
#ifndef JEINIT_WARNINGS_H
#define JEINIT_WARNINGS_H

#include <stdarg.h>

#define WARNINGS_MAX 8
#define WARNING_LEN  1024 /* a log line's msg holds no more */

struct warnings {
    int n;            /* messages in msg[] */
    unsigned dropped; /* more that did not fit */
    char msg[WARNINGS_MAX][WARNING_LEN];
};

void warnings_add(struct warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warnings_vadd(struct warnings *w, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
