#!/usr/bin/env bash
# kernel.sh CACHE - a cgroup v2 test kernel for the v2 tier, built once into
# CACHE: Debian's own kernel image package (the one linux-image-amd64 points
# to, fetched with `apt-get download`, nothing installed), its vmlinuz, and an
# initramfs holding busybox-static, the modules that boot needs (virtio, 9p,
# overlay) and tests/v2/init. A second run reuses CACHE: the package is
# fetched again only when apt's candidate changes (JEINIT_V2_KERNEL_PKG pins
# one), the initramfs rebuilt only when tests/v2/init or busybox changed.
# Prints the kernel's version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$1
mkdir -p "$cache"
cd "$cache"

say() { echo "v2-kernel: $*" >&2; }

pkg=${JEINIT_V2_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
    # apt's local metadata only; when it says nothing, what is cached serves
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
    [ -n "$pkg" ] || pkg=$(cat pkg 2>/dev/null || true)
fi
[ -n "$pkg" ] || { say "no kernel package: linux-image-amd64 has no candidate (apt-get update?)"; exit 1; }

if [ "$(cat pkg 2>/dev/null || true)" != "$pkg" ] || [ ! -s vmlinuz ] || [ ! -d kroot/lib/modules ]; then
    say "fetching $pkg (once; cached in $cache)"
    rm -rf kroot vmlinuz pkg initramfs.cpio.gz ./*.deb
    apt-get download "$pkg" >apt.log 2>&1 || { cat apt.log >&2; exit 1; }
    mkdir kroot
    # the image and the modules the initramfs loads (the whole tree is ~400 MB)
    dpkg-deb --fsys-tarfile ./*.deb | tar -x -C kroot --wildcards './boot/vmlinuz-*' \
        '*/drivers/virtio/*' '*/net/9p/*' '*/fs/9p/*' '*/fs/netfs/*' '*/fs/fscache/*' \
        '*/fs/overlayfs/*'
    cp kroot/boot/vmlinuz-* vmlinuz
    rm -f ./*.deb
    echo "$pkg" >pkg
fi
kver=$(ls kroot/lib/modules)
busybox=$(command -v busybox || echo /bin/busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    { say "$busybox is not static: apt-get install busybox-static"; exit 1; }

if [ ! -s initramfs.cpio.gz ] || [ "$here/init" -nt initramfs.cpio.gz ] ||
    [ "$busybox" -nt initramfs.cpio.gz ]; then
    rm -rf stage
    mkdir -p stage/bin stage/dev stage/proc stage/sys stage/lib/modules stage/lower stage/upper \
        stage/newroot
    cp "$busybox" stage/bin/busybox
    # dependency order (the .deb has no modules.dep: depmod makes it at install)
    for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
        netfs fscache 9pnet 9pnet_virtio 9p overlay; do
        f=$(find "kroot/lib/modules/$kver" -name "$m.ko" -print -quit)
        [ -n "$f" ] || continue # built in
        cp "$f" stage/lib/modules/
        echo "$m" >>stage/lib/modules/order
    done
    install -m 0755 "$here/init" stage/init
    # busybox's own cpio: one package fewer
    (cd stage && find . | "$busybox" cpio -o -H newc | gzip -1) >initramfs.cpio.gz.tmp
    mv initramfs.cpio.gz.tmp initramfs.cpio.gz
    rm -rf stage
fi
echo "$kver"
