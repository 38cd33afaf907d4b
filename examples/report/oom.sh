#!/usr/bin/env bash
# Makes the README's `jeinit report` picture from a real run: three workers
# in a 192 MiB memory cgroup under jeinit (one leaks slowly, one churns and
# frees, one grows until the kernel OOM-kills it), then draws jeinit's log.
#   sudo examples/report/oom.sh [OUTDIR]   (default: build/report)
# Needs root, a cgroup v1 memory controller or cgroup v2, `make all helpers`;
# chromium for the PNG (the SVG is made without it). JEINIT_BUILD picks the
# build directory (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${JEINIT_BUILD:-build}
out=${1:-$build/report}
jeinit=$PWD/$build/jeinit memhog=$PWD/$build/helpers/memhog
[ -x "$jeinit" ] && [ -x "$memhog" ] || { echo "build first: make all helpers" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# a child of this shell's memory cgroup, v1 or v2
base=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [ -n "$base" ]; then
    cg=/sys/fs/cgroup/memory${base%/}/jeinit-report-$$
    limit_file=memory.limit_in_bytes
else
    cg=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
    cg=${cg%/}/jeinit-report-$$
    limit_file=memory.max
fi
mkdir "$cg"
trap 'for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p"; done; sleep 0.5; rmdir "$cg"' EXIT
echo 192M >"$cg/$limit_file"

# jeinit as PID 1 of a new pid namespace, inside the cgroup
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
    timeout -k 5 120 unshare --pid --fork --mount-proc --kill-child \
    "$jeinit" --log-format json --interval 0.5 -- sh -c \
    "\"$memhog\" leak 14 6 & \"$memhog\" churn 12 48 & sleep 3; \"$memhog\" oom 400 12; wait" \
    >/dev/null 2>"$out/oom.log" || true

"$jeinit" report "$out/oom.log" >"$out/oom.svg"
echo "$out/oom.svg"
if command -v chromium >/dev/null; then
    height=$(sed -n 's/.*<svg [^>]* height="\([0-9]*\)".*/\1/p' "$out/oom.svg")
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$out/chromium" --screenshot="$out/oom.png" \
        --window-size="1000,$height" "file://$out/oom.svg" 2>/dev/null
    rm -rf "$out/chromium"
    echo "$out/oom.png"
fi
