#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test, benchmark and
# demo jeinit (run as root; `make deps` calls it). Idempotent.
set -euo pipefail

packages=(
    # build
    make build-essential pkg-config libyajl-dev libcgroup-dev libjemalloc-dev libjemalloc2
    # lint, sanitizers, fuzzing
    clang clang-format clang-tidy cppcheck libclang-rt-14-dev
    # tests
    bats jq python3 python3-jsonschema python3-yaml bsdutils util-linux procps
    libxml2-utils chromium  # plot.bats: xmllint checks `jeinit report`'s SVG, chromium renders it
    musl-tools  # allocator.bats: a musl program and library (musl-gcc, the musl loader)
    python3-flask gunicorn
    prometheus curl  # metrics.bats: promtool checks the --metrics page, curl scrapes it
    # the v2 tier: Debian's kernel in a VM (tests/v2/)
    qemu-system-x86 busybox-static
    # benchmarks and the demo's plot
    tini dumb-init hyperfine gnuplot-nox
    linux-perf  # tests/bench/heapprof.sh: page faults per exec and fork
)

# the k8s tier's schema check runs kubernetes-models from npm (tests/k8s/);
# where node comes from elsewhere (NodeSource) its npm is already there
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "deps: run as root to install: ${missing[*]}" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "deps: installed ${missing[*]}"
else
    echo "deps: all ${#packages[@]} packages present"
fi

# jeinit's own jemalloc (make jemalloc) is built from Debian's source package:
# apt needs deb-src entries, the same mirrors as the deb ones.
if ! grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    [ "$(id -u)" -eq 0 ] || { echo "deps: run as root to add deb-src entries" >&2; exit 1; }
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            >/etc/apt/sources.list.d/jeinit-deb-src.sources
    else
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
            >/etc/apt/sources.list.d/jeinit-deb-src.list
    fi
    apt-get update -qq
    echo "deps: added deb-src entries (for apt-get source jemalloc)"
fi

# make release and the release tier: the aarch64 cross toolchain, the arm64
# libraries (dpkg multiarch), qemu-user-static and its binfmt handler
"$(dirname "$0")/../packaging/deps.sh"
