#!/usr/bin/env bash
# jemalloc-noprof.sh - prints the path of a libjemalloc.so.2 built WITHOUT
# profiling (configure without --enable-prof), from the jemalloc source that
# src/jemalloc/build.sh already fetched into JEINIT_CACHE; built once (about
# a minute on 2 cores) and kept there. heapprof.bats runs a program on it:
# prof:true there would make jemalloc print "Invalid conf pair" in every
# process, so jeinit must see that it has no profiling. Exits 1, saying why,
# when the source is not in the cache (make jemalloc fetches it).
set -euo pipefail
unset CFLAGS CPPFLAGS LDFLAGS
cache=${JEINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeinit}
src=$cache/jemalloc-5.3.0
out=$cache/noprof
if [ ! -f "$out/lib/libjemalloc.so.2" ]; then
    [ -f "$src/configure" ] || {
        echo "no jemalloc source in $src (make jemalloc fetches it)" >&2
        exit 1
    }
    rm -rf "$out.tmp" && cp -r "$src" "$out.tmp"
    (cd "$out.tmp" && ./configure --disable-cxx --disable-prof >/dev/null &&
        make -j"$(nproc)" lib/libjemalloc.so.2 >/dev/null) >&2
    rm -rf "$out" && mv "$out.tmp" "$out"
fi
echo "$out/lib/libjemalloc.so.2"
