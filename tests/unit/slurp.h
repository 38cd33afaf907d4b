/* slurp.h - a whole file into memory, for the unit tests that read real
 * libraries (test_elfscan, test_elfver). */
#ifndef JEINIT_TEST_SLURP_H
#define JEINIT_TEST_SLURP_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file, or NULL. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    (void)fclose(f);
    return buf;
}

#endif
