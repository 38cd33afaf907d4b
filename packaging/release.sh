#!/usr/bin/env bash
# release.sh OUT_DIR VERSION ARCH... - jeinit's release artefacts (make release).
#
# For each ARCH (x86_64, aarch64), cross-built with Debian's toolchain
# (aarch64-linux-gnu-gcc and the arm64 libraries through multiarch: make
# release-deps), in OUT_DIR:
#   jeinit-VERSION-ARCH.tar.gz  jeinit-VERSION-ARCH/: the static jeinit, the
#                               agent, jeinit's own jemalloc (next to jeinit,
#                               where it looks first), jeinit.1
#   jeinit-ARCH                 the static jeinit alone (as tini-static)
#   jeinit_VERSION_DEB.deb      /usr/bin/jeinit, /usr/lib/jeinit/ (the agent and
#                               jemalloc: jeinit looks in ../lib/jeinit), the man
#                               page, /usr/share/doc/jeinit/copyright
# and SHA256SUMS over them. OUT_DIR/ARCH/ holds the three files unpacked,
# OUT_DIR/build-ARCH/ the build, and OUT_DIR/image/DEBARCH/ what
# docker/Dockerfile.release takes.
#
# Reproducible: SOURCE_DATE_EPOCH (default: the commit's time) for every
# timestamp, no path of the tree or of the build in a binary
# (-ffile-prefix-map), sorted archives with fixed owners. Two runs from the
# same sources in different directories give the same bytes
# (tests/bats/release.bats checks it).
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

out=${1:?usage: release.sh OUT_DIR VERSION ARCH...}
version=${2:?usage: release.sh OUT_DIR VERSION ARCH...}
shift 2
[ $# -gt 0 ] || set -- x86_64 aarch64
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" && out=$(cd "$out" && pwd)
make=${MAKE:-make}
cache=${JEINIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeinit}

# a version dpkg takes as its upstream part, and safe in a C string
if ! [[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]]; then
    echo "release: VERSION '$version' must start with a digit and hold only A-Za-z0-9.+~-" >&2
    exit 1
fi
# dpkg: the last '-' would start a Debian revision; a git describe suffix
# (0.1.0-3-gabc, -dirty) becomes part of the upstream version instead
debversion=${version//-/+}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null) ||
        SOURCE_DATE_EPOCH=$(stat -c %Y "$root/src/version.h")
fi
export SOURCE_DATE_EPOCH

host=$(uname -m)
files=()
for arch in "$@"; do
    case $arch in
    x86_64) debarch=amd64 machine="Advanced Micro Devices X86-64" ;;
    aarch64) debarch=arm64 machine=AArch64 ;;
    *)
        echo "release: no support for $arch (x86_64, aarch64)" >&2
        exit 1
        ;;
    esac
    triplet=$arch-linux-gnu
    if [ "$arch" = "$host" ]; then
        cc=gcc strip=strip jemalloc_host=""
    else
        cc=$triplet-gcc strip=$triplet-strip jemalloc_host=$triplet
        command -v "$cc" >/dev/null || {
            echo "release: $cc missing (make release-deps installs the cross toolchain)" >&2
            exit 1
        }
    fi
    b=$out/build-$arch
    echo "release: $arch with $cc"
    "$make" -C "$root" -s --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" BUILD="$b" CC="$cc" STRIP="$strip" \
        VERSION="$version" REPRO_CFLAGS="-ffile-prefix-map=$root=." \
        "$b/static/jeinit" "$b/libjeinit-agent.so"
    CC=$cc STRIP=$strip JEMALLOC_HOST=$jemalloc_host "$root/src/jemalloc/build.sh" "$b" >/dev/null

    # the three files, each checked to be for this architecture
    d=$out/$arch
    rm -rf "$d" && mkdir -p "$d"
    cp "$b/static/jeinit" "$d/jeinit"
    "$strip" --strip-unneeded -o "$d/libjeinit-agent.so" "$b/libjeinit-agent.so"
    cp "$b/libjemalloc.so.2" "$d/libjemalloc.so.2"
    for f in jeinit libjeinit-agent.so libjemalloc.so.2; do
        m=$(readelf -h "$d/$f" | sed -n 's/^ *Machine: *//p')
        [ "$m" = "$machine" ] || {
            echo "release: $d/$f is for '$m', not $arch" >&2
            exit 1
        }
    done
    if readelf -d "$d/jeinit" | grep -q NEEDED; then
        echo "release: $d/jeinit is not static" >&2
        exit 1
    fi
    chmod 0755 "$d/jeinit"
    chmod 0644 "$d/libjeinit-agent.so" "$d/libjemalloc.so.2"

    # the man page, with this version in its title line
    sed "1s/\"jeinit [^\"]*\"/\"jeinit $version\"/" "$root/src/jeinit.1" >"$d/jeinit.1"

    # the tarball: jeinit-VERSION-ARCH/ with the three files beside each other
    name=jeinit-$version-$arch
    t=$out/tar-$arch
    rm -rf "$t" && mkdir -p "$t/$name"
    cp -p "$d/jeinit" "$d/libjeinit-agent.so" "$d/libjemalloc.so.2" "$d/jeinit.1" "$t/$name/"
    tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime --owner=0 --group=0 \
        --numeric-owner --format=gnu -C "$t" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
    rm -rf "$t"
    cp -p "$d/jeinit" "$out/jeinit-$arch"

    # the .deb
    s=$out/deb-$arch
    rm -rf "$s"
    install -D -m 0755 "$d/jeinit" "$s/usr/bin/jeinit"
    install -D -m 0644 "$d/libjeinit-agent.so" "$s/usr/lib/jeinit/libjeinit-agent.so"
    install -D -m 0644 "$d/libjemalloc.so.2" "$s/usr/lib/jeinit/libjemalloc.so.2"
    install -d -m 0755 "$s/usr/share/man/man1" "$s/usr/share/doc/jeinit" "$s/DEBIAN"
    gzip -9n <"$d/jeinit.1" >"$s/usr/share/man/man1/jeinit.1.gz"
    cp "$root/packaging/copyright" "$s/usr/share/doc/jeinit/copyright"
    chmod 0644 "$s/usr/share/man/man1/jeinit.1.gz" "$s/usr/share/doc/jeinit/copyright"
    size=$(du -k -s --apparent-size "$s/usr" | cut -f1)
    sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$debarch/" -e "s/@SIZE@/$size/" \
        "$root/packaging/control.in" >"$s/DEBIAN/control"
    chmod 0644 "$s/DEBIAN/control"
    find "$s" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    deb=jeinit_${debversion}_$debarch.deb
    dpkg-deb --root-owner-group -Zxz --build "$s" "$out/$deb" >/dev/null
    rm -rf "$s"
    files+=("$name.tar.gz" "jeinit-$arch" "$deb")

    # the images' inputs (docker/Dockerfile.release), by Debian's
    # name of the architecture, as podman's TARGETARCH says it: the three
    # files, and for k8s-init a static busybox (Debian's busybox-static)
    img=$out/image/$debarch
    rm -rf "$img" && mkdir -p "$img/dist" "$img/k8s-init/bin"
    cp -p "$d/jeinit" "$d/libjeinit-agent.so" "$d/libjemalloc.so.2" "$img/dist/"
    debs=$cache/debs
    mkdir -p "$debs"
    bb=$(find "$debs" -name "busybox-static_*_$debarch.deb" | sort | tail -1)
    if [ -z "$bb" ]; then
        (cd "$debs" && apt-get download -qq "busybox-static:$debarch" >/dev/null 2>&1) || true
        bb=$(find "$debs" -name "busybox-static_*_$debarch.deb" | sort | tail -1)
    fi
    if [ -n "$bb" ]; then
        dpkg-deb --fsys-tarfile "$bb" | tar -xOf - ./bin/busybox >"$img/k8s-init/bin/busybox"
        chmod 0755 "$img/k8s-init/bin/busybox"
        ln -s busybox "$img/k8s-init/bin/cp"
    else
        echo "release: no busybox-static:$debarch (apt-get download failed): no k8s-init image for $debarch" >&2
        rm -rf "$img/k8s-init"
    fi
done

(cd "$out" && sha256sum "${files[@]}" >SHA256SUMS)
echo "release: $version in $out"
(cd "$out" && stat -c '  %9s  %n' SHA256SUMS "${files[@]}")
