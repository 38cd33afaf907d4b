#!/usr/bin/env bash
# tests/bench/heapprof.sh - what heap profiles cost (--heap-profile auto).
# Needs root (PID namespaces) and perf. JEINIT_BUILD=dir (default build).
#
#   1. ops/s: memhog spin (an allocation-heavy loop: 16 B-4 KiB objects,
#      nothing touched, ~70 M malloc/free pairs a second, ~140 GB/s of
#      allocation requests) under jeinit in three states, BENCH_HEAPPROF_RUNS
#      (5) interleaved runs of BENCH_SPIN_SECONDS (3) each:
#        off       --heap-profile off (no prof in MALLOC_CONF)
#        ready     the default: prof:true,prof_active:false
#        sampling  as jeinit turns it on: prof_active:true, lg_prof_sample 20
#                  (the user's MALLOC_CONF wins key by key, which is how the
#                  state is held for a whole run here)
#      Median ops/s with min-max, and the ratio to off. Targets: ready >=
#      0.99, sampling >= 0.97. Sampling costs per sample (a backtrace), so per
#      byte allocated: spin's ~140 GB/s is far beyond a real program's, and
#      its ratio is the worst case; "sampling (lg 23)" shows the slope.
#   2. exec and fork: `jeinit -- perf stat -r N` of /bin/true (BENCH_EXECS,
#      200) and of tests/bench/forkloop.c (BENCH_FORKS forks, 2000, 3 runs):
#      page faults and task-clock per exec or fork, off against ready, for
#      jeinit's own jemalloc (64+16 profiling locks, src/jemalloc/build.sh)
#      and Debian's libjemalloc2 (1,024+256) when installed.
# The table is printed and written to tests/bench/out/heapprof.md. Figures
# on a busy machine are noise: run it on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${JEINIT_BUILD:-build}
jeinit=$build/jeinit memhog=$build/helpers/memhog
runs=${BENCH_HEAPPROF_RUNS:-5} spin=${BENCH_SPIN_SECONDS:-3}
execs=${BENCH_EXECS:-200} forks=${BENCH_FORKS:-2000}
debian=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
out=tests/bench/out
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "heapprof.sh: needs root (unshare --pid)" >&2; exit 2; }
[ -x "$jeinit" ] && [ -x "$memhog" ] || { echo "build first: make all helpers" >&2; exit 2; }
command -v perf >/dev/null || { echo "heapprof.sh: needs perf (linux-perf)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -o "$tmp/forkloop" tests/bench/forkloop.c

ns() { timeout -k 5 120 unshare --pid --fork --mount-proc --kill-child "$jeinit" --log-format json "$@"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.3g-%.3g", lo, hi}'; }

ops() { # $1: state; the rest: jeinit flags
    local state=$1 conf=
    shift
    case $state in
    sampling) conf=prof_active:true,lg_prof_sample:20 ;;
    sampling23) conf=prof_active:true,lg_prof_sample:23 ;;
    esac
    MALLOC_CONF=$conf ns --interval 0.5 "$@" -- "$memhog" spin "$spin" 2>/dev/null |
        sed -n 's/.*"ops_per_s":\([0-9.]*\).*/\1/p'
}

states=(off ready sampling sampling23)
declare -A res
echo "ops/s: memhog spin ${spin}s, $runs interleaved runs per state"
for ((i = 0; i < runs; i++)); do
    for s in "${states[@]}"; do
        if [ "$s" = off ]; then v=$(ops off --heap-profile off); else v=$(ops "$s"); fi
        res[$s]+="$v "
    done
done

# perf stat's CSV: value,unit,event,... ; per run (perf averages over -r)
perf_row() { # $1: what (exec|fork), $2: jemalloc, $3: mode
    local cmd=(/bin/true) r=$execs per=1
    [ "$1" = fork ] && cmd=("$tmp/forkloop" "$forks") r=3 per=$forks
    ns --jemalloc "$2" --heap-profile "$3" -- perf stat -x, -e page-faults,task-clock -r "$r" \
        "${cmd[@]}" 2>&1 >/dev/null | awk -F, -v per="$per" '
        $3 == "page-faults" {pf = $1 / per} $3 == "task-clock" {ms = $1 / per}
        END {printf "%.1f %.4f\n", pf, ms}'
}

{
    echo "| state | ops/s (median) | min-max | x off | target |"
    echo "|---|---|---|---|---|"
    off=$(echo "${res[off]}" | tr ' ' '\n' | grep . | median)
    for s in "${states[@]}"; do
        m=$(echo "${res[$s]}" | tr ' ' '\n' | grep . | median)
        rg=$(echo "${res[$s]}" | tr ' ' '\n' | grep . | range)
        target=
        case $s in ready) target=">= 0.99" ;; sampling) target=">= 0.97 (worst case: see the header)" ;; esac
        name=$s
        [ "$s" = sampling ] && name="sampling (lg 20, as jeinit)"
        [ "$s" = sampling23 ] && name="sampling (lg 23)"
        awk -v n="$name" -v m="$m" -v r="$rg" -v o="$off" -v t="$target" \
            'BEGIN {printf "| %s | %.0f | %s | %.3f | %s |\n", n, m, r, m / o, t}'
    done
    echo
    echo "| jemalloc | what | page faults off | ready | ms off | ready |"
    echo "|---|---|---|---|---|---|"
    libs=("$build/libjemalloc.so.2")
    [ -f "$debian" ] && libs+=("$debian")
    for lib in "${libs[@]}"; do
        for what in exec fork; do
            read -r pf0 ms0 < <(perf_row "$what" "$lib" off)
            read -r pf1 ms1 < <(perf_row "$what" "$lib" auto)
            echo "| $lib | per $what | $pf0 | $pf1 | $ms0 | $ms1 |"
        done
    done
} | tee "$out/heapprof.md"
