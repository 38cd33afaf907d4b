#!/usr/bin/env bash
# Makes rootful podman (runc, overlay storage) usable on a Debian 12 machine
# that has no container registry: Debian's mirror only. The base image
# debian:bookworm(-slim) is built with debootstrap and tagged under the names
# docker/Dockerfile uses, so `FROM debian:bookworm-slim` works unchanged.
#   tests/container/podman-setup.sh          install, configure, build the base (idempotent)
#   eval "$(tests/container/podman-setup.sh --env)"   point podman at that configuration
# State lives in $JEINIT_PODMAN_HOME (default /var/tmp/podman-local). Needs root.
set -euo pipefail

home=${JEINIT_PODMAN_HOME:-/var/tmp/podman-local}
print_env() {
    echo "export CONTAINERS_STORAGE_CONF=$home/conf/storage.conf"
    echo "export CONTAINERS_CONF=$home/conf/containers.conf"
}
if [ "${1:-}" = --env ]; then
    print_env
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "podman-setup: needs root" >&2; exit 2; }

need=()
for cmd in podman runc debootstrap; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap \
        fuse-overlayfs slirp4netns uidmap >/dev/null
fi

mkdir -p "$home/conf" "$home/storage" "$home/run/storage" "$home/run/libpod" "$home/networks"
cat >"$home/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$home/storage"
runroot = "$home/run/storage"
CONF
# runc, not crun: crun 1.8 refuses a hybrid cgroup layout where cgroup2 lists
# a controller; ulimits below podman's defaults, which a VM may not allow.
cat >"$home/conf/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
tmp_dir = "$home/run/libpod"
[network]
network_config_dir = "$home/networks"
CONF
eval "$(print_env)"

if ! podman image exists docker.io/library/debian:bookworm-slim; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    rootfs=$(mktemp -d "$home/rootfs.XXXX")
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$home/debootstrap.log" 2>&1
    tar -C "$rootfs" -c . | podman import - localhost/debian:bookworm >/dev/null
    podman tag localhost/debian:bookworm docker.io/library/debian:bookworm \
        docker.io/library/debian:bookworm-slim
fi
echo "podman ready (base image debian:bookworm-slim)"
