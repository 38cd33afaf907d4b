/* elfver.h - pure reading of what ld.so checks before it lets a library into
 * a program: the program's interpreter (PT_INTERP, which names its libc), the
 * symbol versions a library needs of the others (DT_VERNEED) and those a
 * library defines (DT_VERDEF). ELF32 and ELF64, either byte order, found
 * through the dynamic segment as ld.so finds them (section headers may be
 * stripped; only the symbol names of a version use them). Total and bounded
 * on any input; fuzzed by tests/fuzz/fuzz_elfver.c. */
#ifndef JEINIT_ELFVER_H
#define JEINIT_ELFVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFVER_NAME_MAX  64
#define ELFVER_FILES_MAX 8  /* libraries one VERNEED names (jemalloc 5.3: 4) */
#define ELFVER_NEEDS_MAX 32 /* versions needed of one library */
#define ELFVER_DEFS_MAX  96 /* versions one library defines (glibc 2.36's libc.so.6: 43) */

/* The interpreter an executable names (PT_INTERP), NUL-terminated into out.
 * 0; -ENOENT when there is none (a static program, or a library); -ENOEXEC
 * when the image is not ELF or its headers point outside it; -ENAMETOOLONG. */
int elf_read_interp(const unsigned char *buf, size_t len, char *out, size_t outsz);

/* Which C library an interpreter path belongs to, by its file name:
 * ld-linux*.so* and ld64.so* are glibc's, ld-musl-* musl's. */
enum elf_libc { ELF_LIBC_OTHER, ELF_LIBC_GLIBC, ELF_LIBC_MUSL };
enum elf_libc elf_interp_libc(const char *interp);

struct elf_version_need {
    char name[ELFVER_NAME_MAX]; /* "GLIBC_2.34" */
    uint16_t index;             /* vna_other: what the symbols' versym entries hold */
    bool weak;                  /* VER_FLG_WEAK: ld.so does not insist on it */
};

struct elf_needs_of {
    char file[ELFVER_NAME_MAX]; /* "libc.so.6" */
    size_t n;
    struct elf_version_need v[ELFVER_NEEDS_MAX];
};

struct elf_verneed {
    size_t nfiles;
    struct elf_needs_of f[ELFVER_FILES_MAX];
    bool truncated; /* more files or versions than fit, or names too long: some not read */
};

/* The versions the image needs, library by library. 0 (an image without
 * DT_VERNEED needs none), or -ENOEXEC when the headers or the chain point
 * outside the image. */
int elf_read_verneed(const unsigned char *buf, size_t len, struct elf_verneed *out);

struct elf_verdef {
    size_t n;
    char name[ELFVER_DEFS_MAX][ELFVER_NAME_MAX]; /* the base entry (the soname) excluded */
    bool present;                                /* the image has DT_VERDEF at all */
    bool truncated;
};

/* The versions the image defines. 0, or -ENOEXEC as above. An image without
 * DT_VERDEF has present == false: ld.so then accepts any version of it. */
int elf_read_verdef(const unsigned char *buf, size_t len, struct elf_verdef *out);

bool elf_verdef_has(const struct elf_verdef *d, const char *name);

/* Orders "GLIBC_2.9" < "GLIBC_2.34" < "GLIBC_2.34.1": the same letters, then
 * each dotted number as a number. <0, 0, >0. */
int elf_version_compare(const char *a, const char *b);

/* The highest version d defines of the family of like ("GLIBC_" for
 * "GLIBC_2.34": the same letters before the first digit, followed by
 * digits), or NULL. */
const char *elf_verdef_highest(const struct elf_verdef *d, const char *like);

/* The undefined dynamic symbols the image binds with version index (a
 * need's index), through the section headers (.dynsym, .gnu.version): up to
 * max names into out. The count of names written; 0 when the section headers
 * are gone. */
size_t elf_version_symbols(const unsigned char *buf, size_t len, uint16_t index,
                           char out[][ELFVER_NAME_MAX], size_t max);

#endif
