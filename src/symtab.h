/* symtab.h - names for code addresses, from an ELF file's own symbol tables:
 * .symtab where the file has one (not stripped), else .dynsym. Pure: the
 * file's bytes in (mapped by the caller), a name out. The files are the ones
 * a process inside the container had mapped: untrusted, so every offset is
 * checked against the image (fuzzed by tests/fuzz/fuzz_symtab.c). ELF64 of
 * this build's byte order only (what jemalloc's dumps come from here). */
#ifndef JEINIT_SYMTAB_H
#define JEINIT_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

struct symtab_hit {
    uint64_t vaddr;    /* the address in the file's own terms (what addr2line -e takes) */
    uint64_t offset;   /* from the function's start */
    const char *table; /* ".symtab" or ".dynsym" */
};

/* file_off: an offset into the file (a mapping's file offset plus the
 * address's distance from the mapping's start). Writes the name of the
 * function containing it into name (cut to namesz - 1). 0; -ENOENT when no
 * function symbol covers it (hit->vaddr is still set when the offset is in a
 * loaded segment); -ENOEXEC when the image is not an ELF64 file it can read. */
int symtab_lookup(const unsigned char *buf, size_t len, uint64_t file_off, char *name,
                  size_t namesz, struct symtab_hit *hit);

#endif
