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

#define ELF_NEEDED_MAX 16
#define ELF_NAME_MAX   64

struct elf_dynamic {
    size_t nneeded;
    char needed[ELF_NEEDED_MAX][ELF_NAME_MAX]; /* DT_NEEDED, in order */
    bool pie; /* DF_1_PIE: an executable, which ld.so refuses to preload */
};

/* Reads the dynamic section of an ELF image of this build's class: the
 * libraries it needs and whether it is a position-independent executable.
 * 0 (an image without a dynamic section needs nothing), or -ENOEXEC when the
 * headers point outside the image. Names longer than ELF_NAME_MAX - 1 and
 * entries past ELF_NEEDED_MAX are skipped. */
int elf_read_dynamic(const unsigned char *buf, size_t len, struct elf_dynamic *out);

/* Whether the image's dynamic symbol table (.dynsym, through the section
 * headers) defines the function name (global or weak, not undefined): what
 * ld.so would bind the program's calls to when the image is preloaded. 1, 0,
 * or -ENOEXEC when the headers point outside the image. */
int elf_defines_symbol(const unsigned char *buf, size_t len, const char *name);

/* Finds jemalloc's version string ("5.3.0-0-g54eaed1d...", as in
 * JEMALLOC_VERSION) in a library's bytes. 0 with major/minor/patch, or
 * -ENOENT. */
int jemalloc_version_scan(const unsigned char *buf, size_t len, int *major, int *minor, int *patch);

/* Whether a jemalloc library was built with profiling (--enable-prof): its
 * read-only data holds the heap dump's format strings, which a build without
 * profiling compiles out. 1 or 0. prof:true in MALLOC_CONF on a jemalloc
 * without profiling prints "Invalid conf pair" in every process, so jeinit
 * writes it only on a 1. */
int jemalloc_prof_scan(const unsigned char *buf, size_t len);

/* Whether a jemalloc library is jeinit's own (src/jemalloc/build.sh): it
 * exports jeinit_hook_install, and only it has 64 + 16 profiling locks
 * rather than 1,024 + 256, which every fork takes with prof:true. 1 or 0. */
int jemalloc_own_scan(const unsigned char *buf, size_t len);

/* Looks name ("libjemalloc.so.2") up in an ld.so.cache image (the
 * "glibc-ld.so.cache1.1" format, alone or after the old one) for this
 * build's architecture. Copies the path into out; 0, -ENOENT, -EINVAL for a
 * malformed cache, -ENAMETOOLONG. */
int ldcache_lookup(const unsigned char *buf, size_t len, const char *name, char *out, size_t outsz);

#endif
