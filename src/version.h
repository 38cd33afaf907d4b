#ifndef JEINIT_VERSION_H
#define JEINIT_VERSION_H
/* The release number this tree is at. The build passes the full version as
 * -DJEINIT_VERSION (packaging/version.sh: `git describe`, or this number with
 * the commit); a build without it (a bare compile) says this number. */
#define JEINIT_VERSION_BASE "0.1.0"
#ifndef JEINIT_VERSION
#define JEINIT_VERSION JEINIT_VERSION_BASE
#endif

/* The architecture the binary was built for, as `uname -m` says it. */
#if defined(__x86_64__)
#define JEINIT_ARCH "x86_64"
#elif defined(__aarch64__)
#define JEINIT_ARCH "aarch64"
#elif defined(__i386__)
#define JEINIT_ARCH "i686"
#elif defined(__arm__)
#define JEINIT_ARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define JEINIT_ARCH "riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JEINIT_ARCH "ppc64le"
#elif defined(__s390x__)
#define JEINIT_ARCH "s390x"
#else
#define JEINIT_ARCH "unknown"
#endif
#endif
