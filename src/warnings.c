/* warnings.c - see warnings.h. */
#include "warnings.h"

#include <stdio.h>

void warnings_vadd(struct warnings *w, const char *fmt, va_list ap)
{
    if (w->n < 0 || w->n >= WARNINGS_MAX) {
        w->dropped++;
        return;
    }
    (void)vsnprintf(w->msg[w->n++], WARNING_LEN, fmt, ap);
}

void warnings_add(struct warnings *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warnings_vadd(w, fmt, ap);
    va_end(ap);
}
