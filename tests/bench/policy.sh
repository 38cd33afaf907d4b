#!/usr/bin/env bash
# The tuning policy, measured: the fragmentation workload (examples/fragmentation)
# in real memory- and CPU-limited cgroups under glibc, glibc with
# MALLOC_ARENA_MAX=2, jemalloc's defaults, the hand-tuned recipe, and jeinit's
# three profiles. Medians of BENCH_RUNS runs (3), interleaved. Prints one table
# per container shape and process model, checks the targets, and draws RSS and
# live heap over time (gnuplot SVG, plus a text plot on the terminal).
#
#   tests/bench/policy.sh            the benchmark (make bench), ~35 min
#   tests/bench/policy.sh --demo     the README's demo (make demo), ~2 min:
#                                    one shape, glibc / jemalloc / jeinit, one run
# Environment: JEINIT_BUILD (build), BENCH_RUNS, BENCH_LOAD_S (10), BENCH_IDLE_S (20),
# BENCH_SHAPES ("1:512M:128 2:2G:256" = cpus:memory:live MiB), BENCH_MODES
# ("threads workers"; workers: 4 pre-forked processes, larger shape only),
# BENCH_CONFIGS, BENCH_PLOT_CONFIGS (the configs drawn), BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${JEINIT_BUILD:-build}
jeinit=$build/jeinit frag=$build/frag
je=${JEMALLOC_LIB:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
recipe="narenas:1,tcache:false,dirty_decay_ms:10000,muzzy_decay_ms:10000,background_thread:true"
demo=0
[ "${1:-}" = --demo ] && demo=1

if [ "$demo" = 1 ]; then
    runs=${BENCH_RUNS:-1} load_s=${BENCH_LOAD_S:-8} idle_s=${BENCH_IDLE_S:-16}
    shapes=${BENCH_SHAPES:-"2:1G:256"} modes=${BENCH_MODES:-threads}
    configs=${BENCH_CONFIGS:-"glibc jemalloc jeinit-balanced"}
    plot_configs=${BENCH_PLOT_CONFIGS:-$configs}
    out=${BENCH_OUT:-$build/demo}
else
    runs=${BENCH_RUNS:-3} load_s=${BENCH_LOAD_S:-10} idle_s=${BENCH_IDLE_S:-20}
    shapes=${BENCH_SHAPES:-"1:512M:128 2:2G:256"} modes=${BENCH_MODES:-"threads workers"}
    configs=${BENCH_CONFIGS:-"glibc glibc-arena2 jemalloc recipe jeinit-balanced jeinit-memory jeinit-throughput"}
    plot_configs=${BENCH_PLOT_CONFIGS:-"glibc jemalloc recipe jeinit-balanced"}
    out=${BENCH_OUT:-tests/bench/out/policy}
fi
[ -x "$jeinit" ] && [ -x "$frag" ] || { echo "build first: make all $build/frag" >&2; exit 1; }
[ -r "$je" ] || { echo "libjemalloc not found at $je (apt-get install libjemalloc2)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

# --- cgroups: a child of this shell's v1 memory and cpu cgroups per run -------
v1_dir() { # controller -> this shell's directory for it
    local path
    path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | head -n1)
    [ -n "$path" ] && [ -d "/sys/fs/cgroup/$1$path" ] && echo "/sys/fs/cgroup/$1${path%/}"
}
mem_base=$(v1_dir memory || true) cpu_base=$(v1_dir cpu || true)
real_cgroups=0
[ "$(id -u)" = 0 ] && [ -n "$mem_base" ] && [ -n "$cpu_base" ] && real_cgroups=1
made=()
cleanup() {
    local d p
    for d in "${made[@]}"; do
        for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    done
    sleep 0.2
    for d in "${made[@]}"; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bytes() { numfmt --from=iec "$1"; }

# run_one CONFIG CPUS MEM LIVE MODE TAG: one run; its JSON lines in $out/TAG.jsonl
run_one() {
    local config=$1 cpus=$2 mem=$3 live=$4 mode=$5 tag=$6 memcg="" cpucg="" wrap=()
    local args=(--seconds "$load_s" --idle "$idle_s" --live-mb "$live" --seed 1 --report-ms 250)
    [ "$mode" = workers ] && args+=(--workers 4) || args+=(--threads 8)
    if [ "$real_cgroups" = 1 ]; then
        memcg=$mem_base/jeinit-bench-$$-$tag cpucg=$cpu_base/jeinit-bench-$$-$tag
        mkdir "$memcg" "$cpucg"
        made+=("$memcg" "$cpucg")
        bytes "$mem" >"$memcg/memory.limit_in_bytes"
        echo 100000 >"$cpucg/cpu.cfs_period_us"
        echo $((cpus * 100000)) >"$cpucg/cpu.cfs_quota_us"
        wrap=(sh -c 'c=$1; shift; echo $$ >"$0/cgroup.procs" && echo $$ >"$c/cgroup.procs" && exec "$@"' "$memcg" "$cpucg")
    fi
    local cmd=()
    case $config in
    glibc) cmd=(env -u LD_PRELOAD -u MALLOC_CONF "$frag") ;;
    glibc-arena2) cmd=(env -u LD_PRELOAD MALLOC_ARENA_MAX=2 "$frag") ;;
    jemalloc) cmd=(env -u MALLOC_CONF LD_PRELOAD="$je" "$frag") ;;
    recipe) cmd=(env LD_PRELOAD="$je" MALLOC_CONF="$recipe" "$frag") ;;
    jeinit-decay*)
        # the static curve: balanced, with the user's dirty_decay_ms fixed (no steering)
        cmd=(env -u LD_PRELOAD MALLOC_CONF="dirty_decay_ms:${config#jeinit-decay}" "$jeinit" --log-format json)
        [ "$mode" = workers ] && cmd+=(--workers 4)
        [ "$real_cgroups" = 1 ] || cmd+=(--memory-limit "${mem}i" --cpu-limit "$cpus")
        cmd+=(-- "$frag")
        ;;
    jeinit-narenas*)
        # balanced with the user's narenas (the decay still steered)
        cmd=(env -u LD_PRELOAD MALLOC_CONF="narenas:${config#jeinit-narenas}" "$jeinit" --log-format json)
        [ "$mode" = workers ] && cmd+=(--workers 4)
        [ "$real_cgroups" = 1 ] || cmd+=(--memory-limit "${mem}i" --cpu-limit "$cpus")
        cmd+=(-- "$frag")
        ;;
    jeinit-*)
        cmd=(env -u LD_PRELOAD -u MALLOC_CONF "$jeinit" --log-format json --profile "${config#jeinit-}")
        [ "$mode" = workers ] && cmd+=(--workers 4)
        # without real cgroups, the shape reaches jeinit as overrides
        [ "$real_cgroups" = 1 ] || cmd+=(--memory-limit "${mem}i" --cpu-limit "$cpus")
        cmd+=(-- "$frag")
        ;;
    *) echo "unknown config $config" >&2; return 1 ;;
    esac
    timeout -k 5 $((load_s + idle_s + 60)) "${wrap[@]}" "${cmd[@]}" "${args[@]}" \
        >"$out/$tag.jsonl" 2>"$out/$tag.log" || true
    local kills=0
    [ -n "$memcg" ] && kills=$(awk '$1 == "oom_kill" {print $2}' "$memcg/memory.oom_control")
    echo "$kills" >"$out/$tag.oom"
    if [ -n "$memcg" ]; then
        rmdir "$memcg" "$cpucg" 2>/dev/null || true
    fi
}

# summary CONFIG TAGS...: median figures over the runs, as a TSV line
summarize() {
    local config=$1
    shift
    /usr/bin/python3 - "$out" "$config" "$@" <<'PY'
import json, statistics, sys
out, config, tags = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for t in tags:
    summary = None
    for line in open(f"{out}/{t}.jsonl"):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("event") == "summary":
            summary = o
    oom = int(open(f"{out}/{t}.oom").read().strip() or 0)
    rows.append((summary, oom))
def vals(key):
    return [s[key] for s, _ in rows if s and s.get(key) is not None]
def med(key):
    v = vals(key)
    return statistics.median(v) if v else None
def lo(key):
    v = vals(key)
    return min(v) if v else None
def hi(key):
    v = vals(key)
    return max(v) if v else None
ok = [s for s, _ in rows if s]
print("\t".join(str(x) for x in [config, len(ok), len(rows), med("ops_per_s"), med("peak_rss_bytes"),
      med("rss_idle_5s"), med("rss_idle_15s"), med("live_bytes_end"), sum(o for _, o in rows),
      lo("ops_per_s"), hi("ops_per_s"), lo("rss_idle_5s"), hi("rss_idle_5s")]))
PY
}

table() { # shape header; TSV of summaries on stdin
    /usr/bin/python3 -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
def num(x): return None if x in ("None", "") else float(x)
base = next((num(r[3]) for r in rows if r[0] == "jemalloc"), None)
def mib(x): return "-" if x is None else "%.0f MiB" % (x / 1048576)
print("| config | runs ok | ops/s vs jemalloc (min-max) | peak RSS | RSS 5 s after load (min-max) | RSS 15 s after load | RSS +5 s / live | RSS +15 s / live | OOM kills |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    ops, peak, r5, r15, live = (num(v) for v in r[3:8])
    olo, ohi, rlo, rhi = (num(v) for v in r[9:13])
    ratio = "%.2f (%.2f-%.2f)" % (ops / base, olo / base, ohi / base) if ops and base else "-"
    r5s = "%s (%.0f-%.0f)" % (mib(r5), rlo / 1048576, rhi / 1048576) if r5 else "-"
    per5 = "%.2f" % (r5 / live) if r5 and live else "-"
    per = "%.2f" % (r15 / live) if r15 and live else "-"
    print(f"| {r[0]} | {r[1]}/{r[2]} | {ratio} | {mib(peak)} | {r5s} | {mib(r15)} | {per5} | {per} | {r[8]} |")
'
}

targets() { # checks jeinit-balanced (the steered default) against the recipe, jemalloc and the live heap
    /usr/bin/python3 -c '
import sys
rows = {l.split("\t")[0]: l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()}
j, r = rows.get("jeinit-balanced"), rows.get("recipe")
if not j or not r:
    sys.exit(0)
f = lambda row, i: None if row[i] in ("None", "") else float(row[i])
M = 1048576
def check(name, v, ref, factor, ge, unit, ref_name="recipe"):
    if v is None or ref is None:
        print(f"- {name}: no data")
        return
    lim = factor * ref
    ok = v >= lim if ge else v <= lim
    verdict = "PASS" if ok else "MISS by %.0f%%" % (abs(v / lim - 1) * 100)
    u = " MiB" if unit == M else " ops/s"
    print(f"- {name}: jeinit {v / unit:.0f}{u}, {ref_name} {ref / unit:.0f}{u}, "
          f"limit {lim / unit:.0f}{u}: {verdict}")
check("ops/s >= 1.05 x recipe", f(j, 3), f(r, 3), 1.05, True, 1)
check("RSS 5 s after load <= 0.75 x recipe", f(j, 5), f(r, 5), 0.75, False, M)
check("peak RSS <= recipe", f(j, 4), f(r, 4), 1.0, False, M)
d = rows.get("jemalloc")
if d:
    check("ops/s >= 0.95 x jemalloc defaults", f(j, 3), f(d, 3), 0.95, True, 1, "jemalloc")
check("RSS 5 s after load <= 1.2 x live heap", f(j, 5), f(j, 7), 1.2, False, M, "live heap")
check("RSS 15 s after load <= 1.15 x live heap", f(j, 6), f(j, 7), 1.15, False, M, "live heap")
'
}

plot() { # title file-prefix tag... (first run of each config)
    local title=$1 prefix=$2
    shift 2
    local data=$out/$prefix.dat script=$out/$prefix.gp i=0
    : >"$data"
    for tag in "$@"; do
        jq -r 'select(.phase) | "\(.t) \(.rss_bytes / 1048576) \(.live_bytes / 1048576)"' "$out/$tag.jsonl" >>"$data" || true
        printf '\n\n' >>"$data"
    done
    {
        echo "set title '$title'"
        echo "set xlabel 'seconds (load ends at ${load_s} s)'"
        echo "set ylabel 'MiB'"
        echo "set key outside right"
        echo "set grid"
        echo "set arrow from $load_s, graph 0 to $load_s, graph 1 nohead dashtype 3"
        printf "plot "
        local sep=""
        for tag in "$@"; do
            local name=${tag%%.*}
            name=${name##*-run1-}
            printf "%s'%s' index %d using 1:2 with lines lw 2 title '%s RSS'" "$sep" "$data" "$i" "$name"
            sep=", "
            i=$((i + 1))
        done
        # the live heap is the same workload (same seed) for every config: drawn once
        printf "%s'%s' index 0 using 1:3 with lines lw 2 dashtype 2 lc rgb 'black' title 'live heap'\n" "$sep" "$data"
    } >"$script"
    if command -v gnuplot >/dev/null; then
        { echo "set terminal svg size 900,480 dynamic background rgb 'white'"; echo "set output '$out/$prefix.svg'"; cat "$script"; } | gnuplot 2>/dev/null || true
        { echo "set terminal pngcairo size 900,480" ; echo "set output '$out/$prefix.png'"; cat "$script"; } | gnuplot 2>/dev/null || true
        [ "$demo" = 1 ] && { echo "set terminal dumb size 110,30"; cat "$script"; } | gnuplot 2>/dev/null || true
    fi
}

echo "policy benchmark: load ${load_s}s, idle ${idle_s}s, $runs run(s) per config"
[ "$real_cgroups" = 1 ] && echo "shapes are real cgroup v1 limits (memory.limit_in_bytes, cpu.cfs_quota_us)" ||
    echo "no v1 memory+cpu cgroups here (or not root): shapes go to jeinit as --memory-limit/--cpu-limit only"
report=$out/report.md
: >"$report"
for shape in $shapes; do
    IFS=: read -r cpus mem live <<<"$shape"
    for mode in $modes; do
        # the pre-fork mode on the larger shape only (4 workers need the room)
        [ "$mode" = workers ] && [ "$shape" != "${shapes##* }" ] && continue
        name="${cpus}cpu-${mem}-${mode}"
        echo
        echo "== $cpus CPU / $mem, $mode, live heap $live MiB =="
        for ((i = 1; i <= runs; i++)); do
            for c in $configs; do
                printf '  run %d %-18s' "$i" "$c"
                run_one "$c" "$cpus" "$mem" "$live" "$mode" "$name-run$i-$c"
                jq -r 'select(.event == "summary") | "ops/s \(.ops_per_s)  peak \(.peak_rss_bytes / 1048576 | floor) MiB  RSS+15s \((.rss_idle_15s // .rss_end) / 1048576 | floor) MiB"' \
                    "$out/$name-run$i-$c.jsonl" 2>/dev/null || echo "(no summary: see $out/$name-run$i-$c.log)"
            done
        done
        tsv=$out/$name.tsv
        : >"$tsv"
        for c in $configs; do
            tags=()
            for ((i = 1; i <= runs; i++)); do tags+=("$name-run$i-$c"); done
            summarize "$c" "${tags[@]}" >>"$tsv"
        done
        {
            echo "### $cpus CPU / $mem, $mode (live heap $live MiB; medians of $runs)"
            echo
            table <"$tsv"
            echo
            targets <"$tsv"
            echo
        } | tee -a "$report"
        first=()
        for c in $plot_configs; do
            [ -f "$out/$name-run1-$c.jsonl" ] && first+=("$name-run1-$c")
        done
        plot "RSS and live heap: $cpus CPU / $mem, $mode" "$name" "${first[@]}"
        [ -f "$out/$name.svg" ] && echo "plot: $out/$name.svg"
    done
done
echo
echo "report: $report"
