#!/usr/bin/env bash
# Runs every fuzz harness in DIR for SECONDS each, seeded from
# tests/fuzz/seeds/<harness>/, and prints one TAP line per harness with the
# executions done. Usage: tests/fuzz/run.sh DIR SECONDS
set -uo pipefail
dir=$1 seconds=$2
cd "$(dirname "$0")/../.."
n=0 failed=0
for fuzzer in "$dir"/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    name=${fuzzer##*/}
    n=$((n + 1))
    corpus=$(mktemp -d)
    [ -d "tests/fuzz/seeds/$name" ] && cp -r "tests/fuzz/seeds/$name/." "$corpus/"
    log=$(mktemp)
    if timeout $((seconds + 60)) "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$corpus/" "$corpus" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "ok $n - $name: ${execs:-?} executions in ${seconds}s"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name crashed or hung; artifacts in $corpus"
        grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 20 | sed 's/^/#   /'
        rm -f "$log"
        continue
    fi
    rm -rf "$corpus" "$log"
done
echo "1..$n"
[ "$failed" -eq 0 ]
