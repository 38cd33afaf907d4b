#!/usr/bin/env bash
# The cost of jeinit's monitor and agent (make bench; JEINIT_BUILD=dir).
#   1. agent overhead: an allocation-heavy loop (memhog spin) under jeinit with
#      the agent answering every 0.5 s, against the same without the agent;
#      median ops/s of BENCH_AGENT_RUNS interleaved runs, ratio.
#   2. jeinit itself over BENCH_SECONDS (60) with 32 processes reporting every
#      second: CPU time as a share of one core, RSS at 10 s and at the end,
#      descriptors at 10 s and at the end (growth would be a leak).
# Targets: overhead <= 1%; CPU <= 0.5% of a core; RSS <= 4 MiB; no growth.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${JEINIT_BUILD:-build}
jeinit=$build/jeinit memhog=$build/helpers/memhog
runs=${BENCH_AGENT_RUNS:-7} spin=${BENCH_SPIN_SECONDS:-3} seconds=${BENCH_SECONDS:-60}
out=tests/bench/out
mkdir -p "$out"
[ -x "$jeinit" ] && [ -x "$memhog" ] || { echo "build first: make all helpers" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ops() { # $@: jeinit flags
    timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child "$jeinit" --log-format json "$@" \
        -- "$memhog" spin "$spin" 2>/dev/null | sed -n 's/.*"ops_per_s":\([0-9.]*\).*/\1/p'
}

echo "agent overhead: memhog spin ${spin}s, $runs runs each, interleaved"
with=() without=()
for ((i = 0; i < runs; i++)); do
    with+=("$(ops --interval 0.5)")
    without+=("$(ops --interval 0.5 --no-agent)")
done
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
overhead=$(awk -v w="$w" -v wo="$wo" 'BEGIN {printf "%.2f", (1 - w / wo) * 100}')

echo "jeinit over ${seconds}s: 32 processes reporting every 1 s"
log=$(mktemp)
timeout -k 5 $((seconds + 60)) unshare --pid --fork --mount-proc --kill-child "$jeinit" --log-format json --interval 1 -- \
    python3 -c '
import os, sys, time
def serve(seconds, n):
    # a heap of its own, then a request now and then (its agent wakes on one)
    x = [bytearray(1024) for _ in range(1000 * n)]
    end = time.time() + seconds
    while time.time() < end:
        request = bytearray(4096)
        time.sleep(0.2)
kids = []
for i in range(31):
    pid = os.fork()
    if pid == 0:
        serve(float(sys.argv[1]) + 5, i + 1)
        os._exit(0)
    kids.append(pid)
serve(float(sys.argv[1]) + 5, 1)
for k in kids:
    os.kill(k, 15)
' "$seconds" 2>"$log" &
runner=$!
sleep 2
# jeinit is the process named jeinit below the runner (timeout, unshare, jeinit)
jp="" queue=("$runner")
while [ ${#queue[@]} -gt 0 ] && [ -z "$jp" ]; do
    p=${queue[0]} queue=("${queue[@]:1}")
    [ "$(cat /proc/"$p"/comm 2>/dev/null)" = jeinit ] && jp=$p
    for k in $(cat /proc/"$p"/task/*/children 2>/dev/null); do queue+=("$k"); done
done
[ -n "$jp" ] || { echo "jeinit not found" >&2; kill "$runner"; exit 1; }
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' /proc/"$jp"/stat; }
rss() { awk '/^VmRSS/ {print $2}' /proc/"$jp"/status; }
fds() { ls /proc/"$jp"/fd | wc -l; }
sleep 8
cpu0=$(cpu) rss10=$(rss) fd10=$(fds) t0=$(date +%s%N)
sleep $((seconds - 10))
cpu1=$(cpu) rssN=$(rss) fdN=$(fds) t1=$(date +%s%N)
wait "$runner" || true
reporting=$(jq -R -c 'fromjson? | select(.event == "memory") | .totals.reporting' "$log" | sort -n | tail -1)
lines=$(grep -c '"event":"memory"' "$log")
rm -f "$log"
cpu_pct=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$tck" -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f", (b - a) / t / (ns / 1e9) * 100}')

verdict() { awk -v v="$1" -v lim="$2" 'BEGIN {print (v <= lim) ? "PASS" : "MISS"}'; }
{
    echo "| measure | value | target | result |"
    echo "|---|---|---|---|"
    echo "| ops/s with the agent (median of $runs) | $w | | |"
    echo "| ops/s without the agent (median of $runs) | $wo | | |"
    echo "| agent overhead | ${overhead}% | <= 1% | $(verdict "$overhead" 1) |"
    echo "| processes reporting (max) / memory lines | $reporting / $lines | 32 | $( [ "${reporting:-0}" -ge 32 ] && echo PASS || echo MISS) |"
    echo "| jeinit CPU, one core, $((seconds - 10)) s | ${cpu_pct}% | <= 0.5% | $(verdict "$cpu_pct" 0.5) |"
    echo "| jeinit RSS at 10 s / at the end | ${rss10} KiB / ${rssN} KiB | <= 4096 KiB, no growth | $( [ "$rssN" -le 4096 ] && [ "$rssN" -le $((rss10 + 64)) ] && echo PASS || echo MISS) |"
    echo "| jeinit descriptors at 10 s / at the end | $fd10 / $fdN | no growth | $( [ "$fdN" -le "$fd10" ] && echo PASS || echo MISS) |"
} | tee "$out/agent.md"
