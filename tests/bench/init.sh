#!/usr/bin/env bash
# tests/bench/init.sh - jeinit against tini and dumb-init, as an init, in one run.
# Run by `make bench` from the repo root (needs root: it makes PID namespaces).
# JEINIT_BUILD=dir picks the build (default build): DIR/jeinit, DIR/static/jeinit
# and DIR/helpers/orphans (compiled here from tests/helpers/ when missing).
#
# What it measures (every process tree inside its own `unshare --pid`, every
# step under `timeout`; nothing is left running):
#   1. start-to-exit: wall time of `INIT -- /bin/true` (dumb-init: `dumb-init
#      /bin/true`), from clone() to waitpid(), median of BENCH_RUNS (1000) runs
#      per init after BENCH_WARMUP (30) untimed ones. The runs are interleaved:
#      each round runs every init once in a random order, so drift of the
#      machine falls on all alike. Timed by tests/bench/spawntime.c, which runs
#      as PID 1 of one PID namespace; the inits are its children (not PID 1),
#      stdin/stdout/stderr on /dev/null. "/bin/true alone" is the floor: what
#      is above it is the init's own cost.
#   2. idle RSS: `INIT -- sleep 30` as PID 1 of a new PID namespace; 0.5 s after
#      sleep started, VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup)
#      of the init itself, not of sleep. Median of BENCH_RSS_RUNS (5).
#   3. reaping: `INIT -- orphans 20000 60` as PID 1 of a new PID namespace;
#      orphans makes BENCH_ORPHANS (20000) orphaned grandchildren and reports
#      the ms from its first fork until the last zombie is gone (forking
#      included). Median of BENCH_REAP_RUNS (3), interleaved; orphans/s too.
#   4. static binary size: DIR/static/jeinit against /usr/bin/tini-static.
#   5. exec loop: `INIT -- bash -c LOOP` as PID 1 of a new PID namespace, the
#      loop running /bin/true BENCH_EXECS (300) times; bash times it
#      ($EPOCHREALTIME), so the init's own start is not in it. What every
#      exec pays for the init's preloads. Median of BENCH_LOOP_RUNS (7),
#      interleaved.
#   "jeinit static" runs from a directory holding the agent and jemalloc
#   beside it, as the scratch image ships it.
#   6. fork loop: `INIT -- forkloop 5000` (tests/bench/forkloop.c): 5000 forks
#      of a process whose children _exit(0) at once, timed by forkloop. What
#      every fork pays: the allocator's fork handlers, the agent's. Median of
#      BENCH_LOOP_RUNS, interleaved.
#
# How to read the table (printed, and written as Markdown to
# tests/bench/out/init.md): "x tini" is the value divided by tini's (dynamic
# tini), "x tini-static" by tini-static's; for reaping both are throughput
# ratios (>= 1.00 means as fast or faster). "Spread" shows the variance:
# p10-p90 for times, min-max otherwise. Targets apply to the jeinit rows and
# compare like with like: dynamic jeinit with tini, static jeinit with
# tini-static:
#   start-to-exit <= 1.3x, idle RSS <= +512 KiB, reaping throughput >= 1.00x,
#   static binary <= 1.5 MiB, exec loop <= 1.5x, fork loop <= 1.25x.
# "(ranges overlap)" after a reaping verdict: the min-max of the few runs of
# the two inits intersect, so the verdict is within the noise of this machine.
# A MISS does not fail the script; a broken measurement (an init that fails,
# zombies left) does, with exit 1.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${JEINIT_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

RUNS=${BENCH_RUNS:-1000}
WARMUP=${BENCH_WARMUP:-30}
RSS_RUNS=${BENCH_RSS_RUNS:-5}
REAP_RUNS=${BENCH_REAP_RUNS:-3}
ORPHANS=${BENCH_ORPHANS:-20000}
LOOP_RUNS=${BENCH_LOOP_RUNS:-7}
EXECS=${BENCH_EXECS:-300}
FORKS=${BENCH_FORKS:-5000}
OUT_DIR=$ROOT/tests/bench/out
OUT=$OUT_DIR/init.md

die() {
    echo "init.sh: $*" >&2
    exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (unshare --pid)"
for t in timeout unshare cc awk; do
    command -v "$t" >/dev/null || die "needs $t"
done
[ -x "$BUILD/jeinit" ] || die "$BUILD/jeinit missing: make all static"
[ -x "$BUILD/static/jeinit" ] || die "$BUILD/static/jeinit missing: make static"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jeinit-bench.XXXXXX")
# Every step runs as `timeout ... unshare --kill-child ...`, in the background
# so that a signal to this script is handled at once: SIGTERM to timeout goes
# on to unshare, whose death SIGKILLs the namespace's PID 1, and so all of it.
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { # CMD... : runs it as above, returns its status
    local p rc=0
    "$@" &
    p=$!
    BG_PIDS=("$p")
    wait "$p" || rc=$?
    BG_PIDS=()
    return "$rc"
}

cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$TMP/spawntime" \
    "$ROOT/tests/bench/spawntime.c"
cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$TMP/forkloop" \
    "$ROOT/tests/bench/forkloop.c"
ORPHANS_BIN=$BUILD/helpers/orphans
if [ ! -x "$ORPHANS_BIN" ]; then
    ORPHANS_BIN=$TMP/orphans
    cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$ORPHANS_BIN" \
        "$ROOT/tests/helpers/orphans.c"
fi

# ---- the inits: a key, a label, the command that comes before the program ----
KEYS=()
declare -A LABEL=()
NOTES=()
add_init() { # KEY LABEL WORDS...
    local key=$1
    LABEL[$key]=$2
    shift 2
    declare -ga "CMD_$key"
    local -n arr="CMD_$key"
    # shellcheck disable=SC2034 # arr names CMD_KEY
    arr=("$@")
    KEYS+=("$key")
}
find_bin() { # NAME: /usr/bin/NAME, else from PATH, else nothing
    if [ -x "/usr/bin/$1" ]; then
        echo "/usr/bin/$1"
    else
        command -v "$1" || true
    fi
}
TINI=$(find_bin tini)
TINI_STATIC=$(find_bin tini-static)
DUMB=$(find_bin dumb-init)
if [ -n "$TINI" ]; then add_init tini "tini" "$TINI" --; else NOTES+=("tini not found: no tini row, ratios to tini are n/a"); fi
if [ -n "$TINI_STATIC" ]; then add_init tinis "tini-static" "$TINI_STATIC" --; else NOTES+=("tini-static not found: its rows skipped"); fi
if [ -n "$DUMB" ]; then add_init dumb "dumb-init" "$DUMB"; else NOTES+=("dumb-init not found: its rows skipped"); fi
# jeinit static as the scratch image ships it: the agent and jemalloc beside it
mkdir -p "$TMP/static"
cp "$BUILD/static/jeinit" "$TMP/static/"
for f in libjeinit-agent.so libjemalloc.so.2; do
    if [ -f "$BUILD/$f" ]; then cp "$BUILD/$f" "$TMP/static/"; fi
done
JEINIT_STATIC=$TMP/static/jeinit
add_init je "jeinit" "$BUILD/jeinit" --
add_init jes "jeinit static" "$JEINIT_STATIC" --
if timeout 10 "$JEINIT_STATIC" --jemalloc=off --no-agent -- /bin/true </dev/null >/dev/null 2>&1; then
    add_init jeso "jeinit static init-only" "$JEINIT_STATIC" --jemalloc=off --no-agent --
else
    NOTES+=("jeinit static init-only skipped: \`jeinit --jemalloc=off --no-agent -- /bin/true\` does not exit 0 (flags not there yet?)")
fi
has() { [ -n "${LABEL[$1]+x}" ]; }

# Which reference a row is held to: static jeinit with tini-static, else tini.
ref_of() {
    case $1 in
    jes | jeso) has tinis && echo tinis || echo tini ;;
    *) echo tini ;;
    esac
}
is_jeinit() { case $1 in je*) return 0 ;; *) return 1 ;; esac }

median() { # "N N N ..." -> the median, or nan when empty
    tr ' ' '\n' <<<"$1" | awk 'NF { print }' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
            if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minmax() { # "N N N ..." -> "min-max", or nothing when empty
    tr ' ' '\n' <<<"$1" | awk 'NF { print }' | sort -g |
        awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi }'
}
overlap() { # "N N ..." "N N ...": true when [min, max] of the two intersect
    local a b
    a=$(minmax "$1") b=$(minmax "$2")
    [ -n "$a" ] && [ -n "$b" ] &&
        awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, "-"); split(b, y, "-")
            exit !(x[1] + 0 <= y[2] + 0 && y[1] + 0 <= x[2] + 0) }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
ratio() { # A B -> A/B with 2 decimals, or n/a
    if [ -z "${2:-}" ] || [ "${2:-}" = nan ] || [ -z "${1:-}" ] || [ "${1:-}" = nan ]; then
        echo "n/a"
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2fx", a / b }'
    fi
}
first_child() { # PID -> its first child's pid, or nothing
    local c=""
    read -r c <"/proc/$1/task/$1/children" 2>/dev/null || true
    echo "${c%% *}"
}

BROKEN=0
ROWS=()
row() { ROWS+=("$(printf '%s|' "$@")"); }

echo "init.sh: start-to-exit, $RUNS runs each (+$WARMUP warm-up), interleaved..." >&2
# ---- 1. start-to-exit ----
st_args=(:: true /bin/true)
for k in "${KEYS[@]}"; do
    declare -n c="CMD_$k"
    st_args+=(:: "$k" "${c[@]}" /bin/true)
    unset -n c
done
ST_TIMEOUT=$((60 + (RUNS + WARMUP) * (${#KEYS[@]} + 1) / 20))
if ! step timeout "$ST_TIMEOUT" unshare --pid --fork --mount-proc --kill-child \
    "$TMP/spawntime" "$RUNS" "$WARMUP" "${st_args[@]}" >"$TMP/st.txt"; then
    echo "init.sh: some start-to-exit runs failed or timed out" >&2
    BROKEN=1
fi
declare -A ST_MED=() ST_SPREAD=() ST_FAIL=()
while read -r key med p10 p90 _min _max fails; do
    ST_MED[$key]=$(calc %.3f "$med / 1000")
    ST_SPREAD[$key]=$(calc %.3f-%.3f "$p10 / 1000, $p90 / 1000")
    ST_FAIL[$key]=$fails
done <"$TMP/st.txt"

st_row() { # KEY LABEL
    local k=$1 v=${ST_MED[$1]:-nan} target="" result="" ref
    if is_jeinit "$k"; then
        ref=$(ref_of "$k")
        target="<= 1.3x ${LABEL[$ref]:-tini}"
        result=$(awk -v a="$v" -v b="${ST_MED[$ref]:-nan}" \
            'BEGIN { if (b == "nan" || a == "nan") print "n/a"; else print (a <= 1.3 * b ? "PASS" : "MISS") }')
    fi
    [ "${ST_FAIL[$k]:-0}" = 0 ] || result="BROKEN (${ST_FAIL[$k]} runs failed)"
    row "start-to-exit" "$2" "$v ms" "${ST_SPREAD[$k]:-}" \
        "$(ratio "$v" "${ST_MED[tini]:-}")" "$(ratio "$v" "${ST_MED[tinis]:-}")" "$target" "$result"
}
st_row true "/bin/true alone"
for k in "${KEYS[@]}"; do st_row "$k" "${LABEL[$k]}"; done

# ---- 2. idle RSS ----
echo "init.sh: idle RSS, $RSS_RUNS runs each..." >&2
RSS_OUT=""
rss_once() { # KEY -> RSS_OUT="rss_kb pss_kb", or "" (not in a subshell: BG_PIDS)
    local k=$1 bg up ip="" kid="" i rss pss
    RSS_OUT=""
    declare -n c="CMD_$k"
    timeout 30 unshare --pid --fork --mount-proc --kill-child "${c[@]}" sleep 30 \
        </dev/null >/dev/null 2>&1 &
    bg=$!
    BG_PIDS+=("$bg")
    # timeout -> unshare -> the init (PID 1 inside) -> sleep
    for i in $(seq 1 100); do
        up=$(first_child "$bg")
        [ -n "$up" ] && ip=$(first_child "$up")
        [ -n "$ip" ] && kid=$(first_child "$ip")
        [ -n "$kid" ] && [ "$(cat "/proc/$kid/comm" 2>/dev/null)" = sleep ] && break
        sleep 0.05
    done
    if [ -n "$kid" ]; then
        sleep 0.5
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ip/status" 2>/dev/null || true)
        pss=$(awk '/^Pss:/ { print $2 }' "/proc/$ip/smaps_rollup" 2>/dev/null || true)
        if [ -n "$rss" ] && [ -n "$pss" ]; then RSS_OUT="$rss $pss"; fi
    fi
    # SIGKILL to a namespace's PID 1 ends the whole namespace, sleep too.
    if [ -n "$ip" ]; then kill -KILL "$ip" 2>/dev/null || true; fi
    wait "$bg" 2>/dev/null || true
    BG_PIDS=()
}
declare -A RSS=() PSS=()
for i in $(seq 1 "$RSS_RUNS"); do
    for k in "${KEYS[@]}"; do
        rss_once "$k"
        r=$RSS_OUT
        if [ -n "$r" ]; then
            RSS[$k]+="${r% *} "
            PSS[$k]+="${r#* } "
        else
            echo "init.sh: idle RSS of ${LABEL[$k]} not measured (run $i)" >&2
            BROKEN=1
        fi
    done
done
declare -A RSS_MED=() PSS_MED=()
for k in "${KEYS[@]}"; do
    RSS_MED[$k]=$(median "${RSS[$k]:-}")
    PSS_MED[$k]=$(median "${PSS[$k]:-}")
done
for k in "${KEYS[@]}"; do
    target="" result=""
    if is_jeinit "$k"; then
        ref=$(ref_of "$k")
        target="<= ${LABEL[$ref]:-tini} + 512 KiB"
        result=$(awk -v a="${RSS_MED[$k]}" -v b="${RSS_MED[$ref]:-nan}" \
            'BEGIN { if (a == "nan" || b == "nan") print "n/a"
                     else printf "%s (%+d KiB)", (a <= b + 512 ? "PASS" : "MISS"), a - b }')
    fi
    row "idle RSS" "${LABEL[$k]}" "${RSS_MED[$k]} KiB" \
        "$(minmax "${RSS[$k]:-}")" \
        "$(ratio "${RSS_MED[$k]}" "${RSS_MED[tini]:-}")" "$(ratio "${RSS_MED[$k]}" "${RSS_MED[tinis]:-}")" \
        "$target" "$result"
done
for k in "${KEYS[@]}"; do
    row "idle Pss" "${LABEL[$k]}" "${PSS_MED[$k]} KiB" \
        "$(minmax "${PSS[$k]:-}")" \
        "$(ratio "${PSS_MED[$k]}" "${PSS_MED[tini]:-}")" "$(ratio "${PSS_MED[$k]}" "${PSS_MED[tinis]:-}")" "" ""
done

# ---- 3. reaping orphans as PID 1 ----
echo "init.sh: reaping $ORPHANS orphans, $REAP_RUNS runs each, interleaved..." >&2
declare -A REAP=() REAP_BAD=()
for i in $(seq 1 "$REAP_RUNS"); do
    for k in "${KEYS[@]}"; do
        declare -n c="CMD_$k"
        step timeout 120 unshare --pid --fork --mount-proc --kill-child \
            "${c[@]}" "$ORPHANS_BIN" "$ORPHANS" 60 </dev/null >"$TMP/reap.txt" 2>/dev/null || true
        unset -n c
        out=$(cat "$TMP/reap.txt")
        if [[ $out =~ orphans=([0-9]+)\ zombies=0\ ms=([0-9]+) ]]; then
            REAP[$k]+="${BASH_REMATCH[2]} "
        else
            echo "init.sh: reaping under ${LABEL[$k]} failed (run $i): ${out:-no output}" >&2
            REAP_BAD[$k]=1
            BROKEN=1
        fi
    done
done
declare -A REAP_MED=() REAP_RATE=()
for k in "${KEYS[@]}"; do
    REAP_MED[$k]=$(median "${REAP[$k]:-}")
    REAP_RATE[$k]=$(awk -v n="$ORPHANS" -v ms="${REAP_MED[$k]}" \
        'BEGIN { if (ms == "nan" || ms == 0) print "nan"; else printf "%.0f", n * 1000 / ms }')
done
for k in "${KEYS[@]}"; do
    target="" result=""
    if is_jeinit "$k"; then
        ref=$(ref_of "$k")
        target=">= 1.00x ${LABEL[$ref]:-tini}"
        result=$(awk -v a="${REAP_RATE[$k]}" -v b="${REAP_RATE[$ref]:-nan}" \
            'BEGIN { if (a == "nan" || b == "nan") print "n/a"; else print (a >= b ? "PASS" : "MISS") }')
        # With few runs a verdict means little when the two ranges overlap.
        if overlap "${REAP[$k]:-}" "${REAP[$ref]:-}"; then result+=" (ranges overlap)"; fi
    fi
    [ -z "${REAP_BAD[$k]:-}" ] || result="BROKEN (see stderr)"
    row "reap $ORPHANS orphans" "${LABEL[$k]}" "${REAP_MED[$k]} ms = ${REAP_RATE[$k]}/s" \
        "$(minmax "${REAP[$k]:-}") ms" \
        "$(ratio "${REAP_RATE[$k]}" "${REAP_RATE[tini]:-}")" \
        "$(ratio "${REAP_RATE[$k]}" "${REAP_RATE[tinis]:-}")" "$target" "$result"
done

# ---- 4. static binary size ----
size_row() { # LABEL FILE TARGET RESULT REF_BYTES
    local b
    b=$(stat -c %s "$2")
    row "static binary size" "$1" "$b B = $(calc %.2f "$b / 1048576") MiB" "" "" \
        "$(ratio "$b" "${5:-}")" "$3" "$4"
}
TS_BYTES=""
if [ -n "$TINI_STATIC" ]; then
    TS_BYTES=$(stat -c %s "$TINI_STATIC")
    size_row "tini-static" "$TINI_STATIC" "" "" "$TS_BYTES"
fi
JS_BYTES=$(stat -c %s "$BUILD/static/jeinit")
size_row "jeinit static" "$BUILD/static/jeinit" "<= 1.5 MiB" \
    "$([ "$JS_BYTES" -le 1572864 ] && echo PASS || echo MISS)" "$TS_BYTES"

# ---- 5, 6. what every exec and every fork pays under the init ----
# loop_rows MEASURE TARGET_RATIO PARSE: runs LOOP_CMD under each init,
# LOOP_RUNS rounds interleaved; PARSE is the regex of the ms in its output.
loop_rows() {
    local measure=$1 want=$2 re=$3 i k out target result ref
    declare -A T=() BAD=()
    for i in $(seq 1 "$LOOP_RUNS"); do
        for k in "${KEYS[@]}"; do
            declare -n c="CMD_$k"
            step timeout 300 unshare --pid --fork --mount-proc --kill-child \
                "${c[@]}" "${LOOP_CMD[@]}" </dev/null >"$TMP/loop.txt" 2>/dev/null || true
            unset -n c
            out=$(cat "$TMP/loop.txt")
            if [[ $out =~ $re ]]; then
                T[$k]+="${BASH_REMATCH[1]} "
            else
                echo "init.sh: $measure under ${LABEL[$k]} failed (run $i): ${out:-no output}" >&2
                BAD[$k]=1
                BROKEN=1
            fi
        done
    done
    declare -A M=()
    for k in "${KEYS[@]}"; do M[$k]=$(median "${T[$k]:-}"); done
    for k in "${KEYS[@]}"; do
        target="" result=""
        if is_jeinit "$k"; then
            ref=$(ref_of "$k")
            target="<= ${want}x ${LABEL[$ref]:-tini}"
            result=$(awk -v a="${M[$k]}" -v b="${M[$ref]:-nan}" -v w="$want" \
                'BEGIN { if (a == "nan" || b == "nan") print "n/a"; else print (a <= w * b ? "PASS" : "MISS") }')
            if overlap "${T[$k]:-}" "${T[$ref]:-}"; then result+=" (ranges overlap)"; fi
        fi
        [ -z "${BAD[$k]:-}" ] || result="BROKEN (see stderr)"
        row "$measure" "${LABEL[$k]}" "${M[$k]} ms" "$(minmax "${T[$k]:-}") ms" \
            "$(ratio "${M[$k]}" "${M[tini]:-}")" "$(ratio "${M[$k]}" "${M[tinis]:-}")" "$target" "$result"
    done
}
echo "init.sh: exec loop ($EXECS x /bin/true from bash), $LOOP_RUNS runs each, interleaved..." >&2
LOOP_CMD=(bash -c 'i=0; s=$EPOCHREALTIME; while ((i < $0)); do /bin/true; ((i++)); done
    e=$EPOCHREALTIME; echo "ms=$(((${e/./} - ${s/./}) / 1000))"' "$EXECS")
loop_rows "exec loop ($EXECS x /bin/true)" 1.5 'ms=([0-9]+)'
echo "init.sh: fork loop ($FORKS forks), $LOOP_RUNS runs each, interleaved..." >&2
LOOP_CMD=("$TMP/forkloop" "$FORKS")
loop_rows "fork loop ($FORKS forks)" 1.25 'ms=([0-9.]+)'

# ---- the table ----
render() {
    local header="Measure|Init|Value (median)|Spread|x tini|x tini-static|Target|Result|"
    local all=("$header" "---|---|---|---|---|---|---|---|" "${ROWS[@]}")
    awk -F'|' '
        { n[NR] = NF - 1; for (i = 1; i < NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
        END {
            for (r = 1; r <= NR; r++) {
                line = "|"
                for (i = 1; i <= n[r]; i++) {
                    v = c[r, i]
                    if (r == 2) { v = ""; for (j = 0; j < w[i]; j++) v = v "-" }
                    line = line " " sprintf("%-" w[i] "s", v) " |"
                }
                print line
            }
        }' < <(printf '%s\n' "${all[@]}")
}
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=""
if git -C "$ROOT" status --porcelain 2>/dev/null | grep -q .; then dirty=" (dirty tree)"; fi
{
    echo "# jeinit vs tini vs dumb-init"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) cores, jeinit $(timeout 10 "$BUILD/jeinit" --version 2>/dev/null | head -1 | sed 's/^jeinit //' || echo '?') at $commit$dirty."
    echo "$RUNS start-to-exit runs (+$WARMUP warm-up) per init, interleaved; idle RSS median of $RSS_RUNS; reaping median of $REAP_RUNS; exec and fork loops median of $LOOP_RUNS."
    echo "x tini / x tini-static: value over the reference's (throughput ratio for reaping: >= 1.00x is as fast or faster)."
    echo "Targets compare dynamic jeinit with tini and static jeinit with tini-static; \"(ranges overlap)\": the verdict is within the noise."
    echo "Start-to-exit runs the inits as children in one PID namespace (not as PID 1); idle RSS and reaping run each init as PID 1 of its own."
    echo
    render
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo
        for n in "${NOTES[@]}"; do echo "- $n"; done
    fi
} >"$TMP/init.md"
mkdir -p "$OUT_DIR"
cp "$TMP/init.md" "$OUT"
cat "$OUT"
echo >&2
echo "init.sh: written to ${OUT#"$ROOT"/}" >&2
[ "$BROKEN" = 0 ] || exit 1
