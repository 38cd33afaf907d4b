/* elfscan.h - pure checks over bytes of shared libraries and ld.so.cache:
 * is this an ELF shared object jeinit's programs can load, which jemalloc
 * version does it hold, and where does ld.so.cache say a library is.
 * Total on any input; fuzzed by tests/fuzz/fuzz_elfscan.c. */
#ifndef JEINIT_ELFSCAN_H
#define JEINIT_ELFSCAN_H

#include <stdbool.h>
#include <stddef.h>

/* 0 when hdr (the first len bytes of a file) is an ELF shared object of this
 * build's class, byte order and machine; otherwise -ENOEXEC with *why set to
 * a short reason ("not ELF", "32-bit", "not a shared object"...). */
int elf_check_shared_object(const unsigned char *hdr, size_t len, const char **why);

/* Finds jemalloc's version string ("5.3.0-0-g54eaed1d...", as in
 * JEMALLOC_VERSION) in a library's bytes. 0 with major/minor/patch, or
 * -ENOENT. */
int jemalloc_version_scan(const unsigned char *buf, size_t len, int *major, int *minor, int *patch);

/* Looks name ("libjemalloc.so.2") up in an ld.so.cache image (the
 * "glibc-ld.so.cache1.1" format, alone or after the old one) for this
 * build's architecture. Copies the path into out; 0, -ENOENT, -EINVAL for a
 * malformed cache, -ENAMETOOLONG. */
int ldcache_lookup(const unsigned char *buf, size_t len, const char *name, char *out, size_t outsz);

#endif
