#!/usr/bin/env bash
# build.sh OUT_DIR - jeinit's own libjemalloc.so.2: jemalloc 5.3.0 from
# Debian's source package, C only, profiling kept, needing libc alone.
#
#   --disable-cxx       no C++ runtime: a preloaded malloc serves operator new
#                       through malloc anyway, and libstdc++ is the biggest
#                       part of what Debian's libjemalloc2 makes every
#                       process load;
#   --enable-prof       heap profiles stay possible (prof:true);
#   prof_types.h        with profiling ready (prof:true, prof_active:false:
#                       jeinit's default, see heapprof.h) jemalloc makes
#                       1,280 profiling mutexes at start and locks, unlocks
#                       and re-initialises all of them around every fork: ~35
#                       pages touched in every exec and ~75 page faults in
#                       every fork. Their number only stripes the sampled
#                       stacks' (and threads') locks, taken once per sample
#                       (every 512 KiB allocated while sampling): 64 and 16
#                       (PROF_NCTX_LOCKS, PROF_NTDATA_LOCKS) keep that cost
#                       within a few pages;
#   -static-libgcc      the unwinder profiling needs is linked in rather than
#                       loaded (libgcc_s.so.1) in every process;
#   hook_entry.c        the agent's wake-up hook without mallctl (see the
#                       file: 30 page faults less in every exec);
#   libc_only.c         log, exp and _dl_find_object in place of libm's and
#                       glibc 2.35's (see the file);
#   --with-lg-page=12 / 16, --with-lg-hugepage=21: as Debian builds it.
#
# The source comes from the Debian archive (apt-get source: checked against
# the signed Sources index) into JEINIT_CACHE (default ~/.cache/jeinit), and
# is fetched once. Needs a deb-src entry (tests/deps.sh adds one).
#
# Cross-building (make release): CC=aarch64-linux-gnu-gcc
# JEMALLOC_HOST=aarch64-linux-gnu (STRIP defaults to the host's strip).
# Reproducible: no path of the build or the cache in the library
# (-ffile-prefix-map), so that the same inputs give the same bytes; the
# library is kept in JEINIT_CACHE/lib/KEY, KEY a hash of those inputs (this
# script, libc_only.c, the compiler and linker versions, the target), and
# reused by any build directory (JEINIT_JEMALLOC_REBUILD=1 builds it anew).
set -euo pipefail
# jemalloc gets its own flags (configure's -O3 and the ones below), never a
# caller's: make sanitize's -fsanitize would not link into a preloadable library
unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS EXTRA_CFLAGS

out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cache=${JEINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeinit}
version=5.3.0
debver=${JEMALLOC_DEBIAN_VERSION:-5.3.0-1}
cc=${CC:-cc}
strip=${STRIP:-${JEMALLOC_HOST:+$JEMALLOC_HOST-}strip}
jobs=$(nproc 2>/dev/null || echo 2)

src=$cache/jemalloc-$version
if [ ! -f "$src/configure" ]; then
    mkdir -p "$cache"
    if [ ! -f "$cache/jemalloc_$version.orig.tar.bz2" ]; then
        (cd "$cache" && apt-get source --download-only -qq "jemalloc=$debver" >/dev/null 2>&1) || {
            echo "jemalloc: apt-get source jemalloc=$debver failed (is there a deb-src entry? make deps adds one)" >&2
            exit 1
        }
    fi
    rm -rf "$src.tmp" && mkdir -p "$src.tmp"
    tar -xjf "$cache/jemalloc_$version.orig.tar.bz2" -C "$src.tmp" --strip-components=1
    mv "$src.tmp" "$src"
fi

arch=$($cc -dumpmachine)
case $arch in
    x86_64-* | i?86-*) lg_page=12 ;;
    *) lg_page=16 ;;
esac

# the inputs that decide the library's bytes
key=$( (cat "$0" "$here/libc_only.c" "$here/hook_entry.c" && echo "$debver $arch $lg_page" &&
    $cc --version && $($cc -print-prog-name=ld) --version && $strip --version) |
    sha256sum | cut -c1-16)
cached=$cache/lib/$arch-$key/libjemalloc.so.2
work=$out/jemalloc-build
if [ -f "$cached" ] && [ -z "${JEINIT_JEMALLOC_REBUILD:-}" ]; then
    cp "$cached" "$out/libjemalloc.so.2.tmp" && mv "$out/libjemalloc.so.2.tmp" "$out/libjemalloc.so.2"
    reused=" (from $cached)"
else
    mkdir -p "$work"
    cd "$here" # the objects' DW_AT_comp_dir, mapped as their sources are
    $cc -O2 -g -fPIC -fvisibility=hidden -D_GNU_SOURCE -Wall -Wextra -Werror \
        -ffile-prefix-map="$here"=src/jemalloc -c "$here/libc_only.c" -o "$work/libc_only.o"
    $cc -O2 -g -fPIC -fvisibility=hidden -D_GNU_SOURCE -Wall -Wextra -Werror \
        -ffile-prefix-map="$here"=src/jemalloc -c "$here/hook_entry.c" -o "$work/hook_entry.o"
    if [ ! -f "$work/Makefile" ]; then
        (cd "$work" && CC=$cc "$src/configure" --disable-cxx --enable-prof --disable-doc \
            --with-lg-page=$lg_page --with-lg-hugepage=21 \
            --with-version="$version-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" \
            ${JEMALLOC_HOST:+--host=$JEMALLOC_HOST --build=$(uname -m)-linux-gnu} >configure.log 2>&1) || {
            tail -20 "$work/configure.log" >&2
            exit 1
        }
    fi
    # LIBS without -lm: libc_only.o has what jemalloc took from libm
    # fewer profiling locks (see the top): a copy of prof_types.h found first
    mkdir -p "$work/overlay/jemalloc/internal"
    sed -e 's/^#define PROF_NCTX_LOCKS[[:space:]]*1024$/#define PROF_NCTX_LOCKS 64/' \
        -e 's/^#define PROF_NTDATA_LOCKS[[:space:]]*256$/#define PROF_NTDATA_LOCKS 16/' \
        "$src/include/jemalloc/internal/prof_types.h" >"$work/overlay/jemalloc/internal/prof_types.h"
    grep -q '^#define PROF_NCTX_LOCKS 64$' "$work/overlay/jemalloc/internal/prof_types.h" &&
        grep -q '^#define PROF_NTDATA_LOCKS 16$' "$work/overlay/jemalloc/internal/prof_types.h" || {
        echo "jemalloc: prof_types.h no longer defines PROF_NCTX_LOCKS 1024 / PROF_NTDATA_LOCKS 256" >&2
        exit 1
    }
    rm -f "$work/lib/libjemalloc.so.2" # relinked with this libc_only.o
    make -C "$work" -j"$jobs" -s lib/libjemalloc.so.2 LIBS="-pthread" \
        EXTRA_CFLAGS="-I$work/overlay -ffile-prefix-map=$work=jemalloc-build -ffile-prefix-map=$src=jemalloc-$version" \
        EXTRA_LDFLAGS="$work/libc_only.o $work/hook_entry.o -static-libgcc -Wl,--as-needed -Wl,-z,now" >"$work/make.log" 2>&1 || {
        tail -20 "$work/make.log" >&2
        exit 1
    }
    grep -q "define JEMALLOC_PROF " "$work/include/jemalloc/internal/jemalloc_internal_defs.h" || {
        echo "jemalloc: built without profiling" >&2
        exit 1
    }
    $strip --strip-unneeded -o "$out/libjemalloc.so.2" "$work/lib/libjemalloc.so.2"
    mkdir -p "${cached%/*}" && cp "$out/libjemalloc.so.2" "$cached.tmp" && mv "$cached.tmp" "$cached"
    reused=""
fi

# what it must be: libc alone, profiling built in, no libstdc++/libm/libgcc_s
needed=$(LC_ALL=C readelf -d "$out/libjemalloc.so.2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
if [ "$needed" != "libc.so.6 " ]; then
    echo "jemalloc: $out/libjemalloc.so.2 needs '$needed', not libc.so.6 alone" >&2
    exit 1
fi
if ! LC_ALL=C readelf --dyn-syms "$out/libjemalloc.so.2" | grep -q " jeinit_hook_install$"; then
    echo "jemalloc: $out/libjemalloc.so.2 does not export jeinit_hook_install (hook_entry.c)" >&2
    exit 1
fi
if [ -z "${JEMALLOC_HOST:-}" ] && ! LD_BIND_NOW=1 LD_PRELOAD="$out/libjemalloc.so.2" /bin/true; then
    echo "jemalloc: $out/libjemalloc.so.2 does not load (a symbol from a library it does not need?)" >&2
    exit 1
fi
echo "jemalloc: $out/libjemalloc.so.2 ($version for $arch, C only, prof, needs libc.so.6 alone)$reused"
