#!/usr/bin/env bash
# The v2 tier: tests/bats/v2.bats (or the bats files given) on a real cgroup
# v2 kernel, in one VM boot (vm.sh), their TAP on stdout and bats's exit
# status as this script's. A VM that crashes, hangs (JEINIT_V2_TIMEOUT,
# default 900 s) or stops early leaves a short or missing plan, which
# tests/run.sh counts as a failure. Only where QEMU cannot run at all is the
# tier skipped, as one TAP skip saying why.
set -uo pipefail
cd "$(dirname "$0")/../.."
export JEINIT_BUILD=${JEINIT_BUILD:-build}

why=
if ! command -v qemu-system-x86_64 >/dev/null; then
    why="qemu-system-x86_64 is not installed (tests/deps.sh installs qemu-system-x86)"
elif ! qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg && [ ! -w /dev/kvm ]; then
    why="this qemu-system-x86_64 has neither TCG nor a usable /dev/kvm"
fi
if [ -n "$why" ]; then
    printf '1..1\nok 1 - v2 tier # skip %s\n' "$why"
    exit 0
fi
[ $# -gt 0 ] || set -- tests/bats/v2.bats
exec tests/v2/vm.sh --timeout "${JEINIT_V2_TIMEOUT:-900}" --env "JEINIT_BUILD=$JEINIT_BUILD" \
    ${JEINIT_V2_JOB:+--job "$JEINIT_V2_JOB"} -- bats --tap "$@"
