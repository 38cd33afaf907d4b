/* fuzz_symtab.c - libFuzzer harness for symtab.c: an ELF image as a process
 * could map it (the analysis reads the files the dump names), on an
 * exact-size copy (any read past it is an ASan report), looked up at
 * offsets taken from the input. Invariants: the result is one of the
 * documented ones, a name found is NUL-terminated within the buffer and
 * non-empty, and appears in the image. */
#include "symtab.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    uint64_t offs[3] = {0, size / 2, 0};
    char name[64];

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (size >= 8)
        memcpy(&offs[2], data + size - 8, 8);
    for (size_t i = 0; i < 3; i++) {
        struct symtab_hit hit;
        size_t namesz = i == 1 ? 5 : sizeof(name);
        int r = symtab_lookup(buf, size, offs[i], name, namesz, &hit);
        INVARIANT(r == 0 || r == -ENOENT || r == -ENOEXEC);
        if (r == 0) {
            size_t n = strnlen(name, namesz);
            INVARIANT(n > 0 && n < namesz);
            INVARIANT(memmem(buf, size, name, n) != NULL);
            INVARIANT(hit.table != NULL);
        }
    }
    free(buf);
    return 0;
}
