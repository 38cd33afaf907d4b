#!/usr/bin/env bash
# What make release and the release tier need beyond tests/deps.sh (which
# calls this; so does make release-deps), all from Debian's archive:
#   - the aarch64 cross toolchain (gcc-aarch64-linux-gnu);
#   - through dpkg multiarch (dpkg --add-architecture arm64): the arm64 static
#     libraries jeinit links (libyajl-dev:arm64, libcgroup-dev:arm64) and
#     libc6:arm64, whose loader runs aarch64 programs in the release tier;
#   - qemu-user-static and binfmt-support: aarch64 programs run here, and the
#     binfmt_misc handler is registered (mounted first where it is not).
# Idempotent; run as root.
set -euo pipefail

packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static binfmt-support
    libyajl-dev:arm64 libcgroup-dev:arm64 libc6:arm64 dpkg-dev)

root_or_exit() {
    [ "$(id -u)" -eq 0 ] || {
        echo "release-deps: run as root to $1" >&2
        exit 1
    }
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    root_or_exit "add the arm64 architecture"
    dpkg --add-architecture arm64
    apt-get update -qq
    echo "release-deps: added the arm64 architecture (dpkg multiarch)"
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    root_or_exit "install: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "release-deps: installed ${missing[*]}"
fi

# aarch64 binaries run through qemu: binfmt_misc mounted, the handler enabled
# (qemu-user-static registers it with the F flag: it works in any namespace)
if [ ! -e /proc/sys/fs/binfmt_misc/register ] && [ "$(id -u)" -eq 0 ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null ||
        echo "release-deps: binfmt_misc cannot be mounted: aarch64 programs run only through qemu-aarch64-static" >&2
fi
if [ -e /proc/sys/fs/binfmt_misc/register ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] &&
    [ "$(id -u)" -eq 0 ]; then
    update-binfmts --enable qemu-aarch64 2>/dev/null ||
        echo "release-deps: update-binfmts --enable qemu-aarch64 failed" >&2
fi
echo "release-deps: aarch64 cross toolchain, arm64 libraries and qemu-user present"
