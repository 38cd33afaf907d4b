/* ldso.h - what the program's dynamic loader would do with a library jeinit
 * preloads, asked before the program starts (a preload ld.so refuses stops
 * every process of the container before main): which C library the program
 * runs on (PT_INTERP of what exec runs, through PATH and one #! line), where
 * the loader finds a library (ld.so.cache and the library directories for
 * glibc, musl's path file for musl), and whether a library's dependencies
 * are there and define every symbol version it needs (DT_VERNEED against
 * their DT_VERDEF). The ELF parsing is pure (elfscan.c, elfver.c); this is
 * the file I/O around it. */
#ifndef JEINIT_LDSO_H
#define JEINIT_LDSO_H

#include <stdbool.h>
#include <stddef.h>

#include "allocator_types.h"

/* The library directories glibc's ld.so searches after its cache. */
extern const char *const ldso_lib_dirs[];
extern const size_t ldso_nlib_dirs;
extern const char ldso_multiarch[];

/* Fills p for the program argv0 as execvpe would run it (PATH from envp,
 * "/bin:/usr/bin" without one; a #! line followed once, `#!/usr/bin/env NAME`
 * to NAME; a file without #! or ELF magic to /bin/sh). p->libc is
 * PROGRAM_LIBC_UNKNOWN when that cannot be told (argv0 NULL, not found, not
 * ELF, the interpreter missing or of another libc). */
void ldso_probe_program(const char *argv0, char *const envp[], struct program_info *p);

/* Where ld.so.cache says name is: 0 with out, or a negative errno. */
int ldso_cache_lookup(const char *name, char *out, size_t outsz);

/* Maps a file read-only: regular files only, opened O_NONBLOCK. 0 with *map
 * and *len, or a negative errno with *why (a static string or strerror). */
int ldso_map(const char *path, void **map, size_t *len, const char **why);
void ldso_unmap(void *map, size_t len);

/* Whether the loader of a program on libc would load the library in map: not
 * an executable, built for that libc (a library that needs libc.so.6 is
 * glibc's, which musl cannot run), its dependencies present, and (glibc, or
 * unknown) every non-weak version it needs defined by the library the
 * program would load under that name. 0, or a negative errno with why (a
 * sentence, e.g. "it needs GLIBC_2.34 (memalign, ...) of libc.so.6, but this
 * image's libc.so.6 (/lib/...) defines up to GLIBC_2.31"). */
int ldso_check_library(const unsigned char *map, size_t len, const struct program_info *prog,
                       char *why, size_t whysz);

/* True when the library needs glibc's libc.so.6 (DT_NEEDED). */
bool ldso_is_glibc_built(const unsigned char *map, size_t len);

#endif
