#!/usr/bin/env bash
# examples/heapprof/run.sh - README's heap profile: service.c (a leak in
# remember_session beside a request handler that frees what it allocates)
# under jeinit for 40 s with a 2 s interval. Prints the memory line with the
# heap-growth diagnosis that came first and the heap_profile line that
# followed it. Run from the repository after `make all`; needs root for the
# PID namespace (sudo), as jeinit is PID 1 there.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${JEINIT_BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -g -Wall -Wextra -o "$tmp/service" examples/heapprof/service.c
timeout -k 5 120 unshare --pid --fork --mount-proc --kill-child \
    "$build/jeinit" --log-format json --interval 2 -- "$tmp/service" 40 2>"$tmp/log" >/dev/null
jq -c 'select(.event == "memory" and .diagnosis.state == "heap-growth")
    | {ts, event, msg, diagnosis}' "$tmp/log" | head -n 1
jq -c 'select(.event == "heap_profile")' "$tmp/log"
