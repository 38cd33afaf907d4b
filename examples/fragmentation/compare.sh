#!/bin/sh
# compare.sh - builds frag and runs it once under four allocator configurations, in threads mode
# and in pre-fork workers mode, then prints one table per mode. Runs are sequential: each one is
# a throughput measurement and must not share the CPUs with another.
#
# usage: compare.sh [--seconds S] [--idle S] [--live-mb M] [--seed X] [--threads N]
#                   [--workers N] [--modes "threads workers"] [--keep DIR]
set -eu

seconds=10
idle=20
live_mb=256
seed=1
threads=8
workers=4
modes="threads workers"
keep=""
jemalloc=${JEMALLOC_LIB:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
cc=${CC:-gcc}

die() {
    echo "compare.sh: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1: expected a value after it (see the usage line at the top of $0)"
    case $1 in
    --seconds) seconds=$2 ;;
    --idle) idle=$2 ;;
    --live-mb) live_mb=$2 ;;
    --seed) seed=$2 ;;
    --threads) threads=$2 ;;
    --workers) workers=$2 ;;
    --modes) modes=$2 ;;
    --keep) keep=$2 ;;
    *) die "unknown option '$1'" ;;
    esac
    shift 2
done

[ -r "$jemalloc" ] || die "jemalloc not found at $jemalloc (install libjemalloc2 or set JEMALLOC_LIB)"

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/frag-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
"$cc" -std=gnu11 -O2 -pthread -Wall -Wextra -o "$work/frag" "$here/frag.c"
if [ -n "$keep" ]; then
    mkdir -p "$keep"
fi

# name|MALLOC_CONF (empty: no LD_PRELOAD, glibc malloc; "-": jemalloc with its defaults)
configs='glibc|
jemalloc-default|-
recipe|narenas:1,tcache:false,dirty_decay_ms:10000,muzzy_decay_ms:10000,background_thread:true
fitted|narenas:2,background_thread:true,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:4096'

# A run may take seconds + idle, plus start-up and reaping; anything past that is a hang.
limit=$(awk -v s="$seconds" -v i="$idle" 'BEGIN { printf "%d", s + i + 30 }')

# field NAME < summary-line: the value of a flat JSON field ("-" for null or missing)
field() {
    sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" | sed 's/^null$/-/;s/^$/-/'
}

run_one() { # mode name conf
    case $1 in
    threads) mode_args="--threads $threads" ;;
    workers) mode_args="--workers $workers" ;;
    *) die "unknown mode '$1' (expected threads or workers)" ;;
    esac
    out="$work/$1-$2.jsonl"
    status=0
    # shellcheck disable=SC2086 # mode_args is two words on purpose
    case $3 in
    "") timeout "$limit" env -u LD_PRELOAD -u MALLOC_CONF "$work/frag" $mode_args \
        --seconds "$seconds" --idle "$idle" --live-mb "$live_mb" --seed "$seed" >"$out" || status=$? ;;
    -) timeout "$limit" env -u MALLOC_CONF LD_PRELOAD="$jemalloc" "$work/frag" $mode_args \
        --seconds "$seconds" --idle "$idle" --live-mb "$live_mb" --seed "$seed" >"$out" || status=$? ;;
    *) timeout "$limit" env LD_PRELOAD="$jemalloc" MALLOC_CONF="$3" "$work/frag" $mode_args \
        --seconds "$seconds" --idle "$idle" --live-mb "$live_mb" --seed "$seed" >"$out" || status=$? ;;
    esac
    if [ -n "$keep" ]; then
        cp "$out" "$keep/"
    fi
    [ "$status" -eq 0 ] || return "$status"
    grep '"event":"summary"' "$out" | tail -n 1
}

for mode in $modes; do
    rows="$work/$mode.rows"
    : >"$rows"
    while IFS='|' read -r name conf; do
        echo "running $mode/$name ..." >&2
        summary=$(run_one "$mode" "$name" "$conf") || die "$mode/$name failed or timed out (status $?)"
        printf '%s %s %s %s %s %s\n' "$name" \
            "$(echo "$summary" | field ops_per_s)" \
            "$(echo "$summary" | field peak_rss_bytes)" \
            "$(echo "$summary" | field rss_idle_5s)" \
            "$(echo "$summary" | field rss_idle_15s)" \
            "$(echo "$summary" | field live_bytes_end)" >>"$rows"
    done <<EOF
$configs
EOF

    if [ "$mode" = threads ]; then
        title="threads mode: $threads threads"
    else
        title="workers mode: $workers workers (RSS summed over master and workers)"
    fi
    echo
    echo "$title, ${seconds}s load, ${idle}s idle, live ${live_mb} MiB, seed $seed"
    awk '
    function mib(v) { return v == "-" ? "-" : sprintf("%.0f", v / 1048576) }
    { name[NR] = $1; ops[NR] = $2; peak[NR] = $3; r5[NR] = $4; r15[NR] = $5; live[NR] = $6
      if ($1 == "jemalloc-default") base = $2 }
    END {
        printf "%-17s %12s %7s %10s %10s %11s %9s\n", "config", "ops/s", "vs def",
               "peak MiB", "+5s MiB", "+15s MiB", "+15s/live"
        for (i = 1; i <= NR; i++) {
            ratio = base > 0 ? sprintf("%.2f", ops[i] / base) : "-"
            per = (r15[i] == "-" || live[i] <= 0) ? "-" : sprintf("%.2f", r15[i] / live[i])
            printf "%-17s %12s %7s %10s %10s %11s %9s\n", name[i], ops[i], ratio, mib(peak[i]),
                   mib(r5[i]), mib(r15[i]), per
        }
    }' "$rows"
done
