#!/usr/bin/env bash
# tests/bench/memlock-v2.sh - does PID 1 stay responsive while its own cgroup
# sits above memory.high? On a real cgroup v2 kernel (Debian's, in QEMU, by
# ../shared/tools/v2vm/v2vm.sh: one boot for all the cases), with and
# without jeinit locking itself in memory (memlock.c; JEINIT_MEMLOCK=0 is the
# unlocked case), static and dynamic builds.
#
# Each case, in a fresh cgroup with memory.max=300M and memory.high=250M, as a
# container runs it (the VM's default RLIMIT_MEMLOCK, no CAP_IPC_LOCK): after
# `echo 3 > drop_caches`, jeinit as PID 1 (unshare --pid --fork --mount-proc)
# with `--interval 1 -vv --jemalloc=off --no-agent` over `memhog retain 900
# HOG_MB` (glibc keeps its fragmented heap: the cgroup stays above
# memory.high, and without swap only file pages, jeinit's text among them,
# can be reclaimed). Once memory.current is above memory.high, SIT_S seconds
# later the script (in the root cgroup, not throttled) sends jeinit SIGTERM.
#
# Columns: RSS (jeinit's VmRSS just before the SIGTERM); faults (jeinit's
# major/minor page faults in the SIT_S seconds above memory.high); locked /
# VmLck (the start line's memory_locked); lines (memory lines while above
# memory.high); interval median / max (between those lines' ts; the target
# is 1 s +-20%); SIGTERM (from kill(2) to the ts of jeinit's -vv "signal"
# line, i.e. forwarded; target <= 500 ms); exit (to the child_exit line).
#
# Usage: tests/bench/memlock-v2.sh   (root; JEINIT_BUILD=dir, default build:
# DIR/jeinit, DIR/static/jeinit, DIR/helpers/memhog). MEMLOCK_HOG_MB (265),
# MEMLOCK_SIT_S (30), MEMLOCK_CASES ("static:1 dynamic:1 static:0
# dynamic:0", build:JEINIT_MEMLOCK), MEMLOCK_OUT (a directory to keep the
# VM's job directory and each case's log in; default: a temporary one,
# removed). Takes 5-8 minutes (the VM emulates: programs run 5-10x slower).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${JEINIT_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
V2VM=${V2VM:-$ROOT/../shared/tools/v2vm/v2vm.sh} # the workplace's runner, beside the repo
HOG_MB=${MEMLOCK_HOG_MB:-265}
SIT_S=${MEMLOCK_SIT_S:-30}
CASES=${MEMLOCK_CASES:-static:1 dynamic:1 static:0 dynamic:0}

die() {
    echo "memlock-v2.sh: $*" >&2
    exit 2
}

if [ "${1:-}" != --in-vm ]; then
    [ "$(id -u)" = 0 ] || die "needs root (QEMU, then cgroups and unshare in the guest)"
    for f in "$BUILD/jeinit" "$BUILD/static/jeinit" "$BUILD/helpers/memhog"; do
        [ -x "$f" ] || die "$f missing: make BUILD=${BUILD#"$ROOT"/} all static helpers"
    done
    [ -x "$V2VM" ] || die "$V2VM missing"
    out=${MEMLOCK_OUT:-}
    keep=true
    if [ -z "$out" ]; then
        out=$(mktemp -d)
        keep=false
    fi
    rc=0
    "$V2VM" --timeout 1500 --out "$out/vm" --env "JEINIT_BUILD=$BUILD" \
        --env "MEMLOCK_HOG_MB=$HOG_MB" --env "MEMLOCK_SIT_S=$SIT_S" \
        --env "MEMLOCK_CASES=$CASES" -- "$ROOT/tests/bench/memlock-v2.sh" --in-vm || rc=$?
    if $keep; then
        echo "logs: $out/vm" >&2
    else
        rm -rf "$out"
    fi
    exit $rc
fi

# --- in the guest ------------------------------------------------------------

MEMHOG=$BUILD/helpers/memhog
LOGS=${V2VM_JOB:-/tmp}
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# analyse LOG HIGH_MS TERM_MS: one row's figures from jeinit's log.
analyse() {
    python3 - "$@" <<'EOF'
import datetime, json, statistics, sys

log, high_ms, term_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ms(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
start, mem, sig, exit_ = None, [], None, None
for line in open(log, errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    ev = e.get("event")
    if ev == "start":
        start = e
    elif ev == "memory" and high_ms <= ms(e["ts"]) <= term_ms:
        mem.append(ms(e["ts"]))
    elif ev == "signal" and e.get("signal") == "SIGTERM" and sig is None:
        sig = ms(e["ts"]) - term_ms
    elif ev == "child_exit" and exit_ is None:
        exit_ = ms(e["ts"]) - term_ms
ml = (start or {}).get("memory_locked", {})
iv = [(b - a) / 1000 for a, b in zip(mem, mem[1:])]
f = lambda v, fmt: fmt % v if v is not None else "-"
print(f(ml.get("locked"), "%s"), f(ml.get("bytes", 0) // 1024 if ml else None, "%d"),
      len(mem), f(statistics.median(iv) if iv else None, "%.2f"),
      f(max(iv) if iv else None, "%.2f"), f(sig, "%d"), f(exit_, "%d"))
EOF
}

# "majflt minflt" of process $1 (/proc/PID/stat fields 12 and 10).
faults() {
    awk '{ print $12, $10 }' "/proc/$1/stat"
}

run_case() {
    local build=$1 lock=$2 bin=$BUILD/jeinit cg log fifo reader pid jpid i high_ms term_ms rss
    local flt0 flt1
    [ "$build" = static ] && bin=$BUILD/static/jeinit
    cg=/sys/fs/cgroup/memlock-$build-$lock
    log=$LOGS/memlock-$build-$lock.log
    fifo=/tmp/memlock-$build-$lock.fifo
    mkdir "$cg"
    echo 300M >"$cg/memory.max"
    echo 250M >"$cg/memory.high"
    sync
    echo 3 >/proc/sys/vm/drop_caches
    # the shell joins the cgroup, then becomes jeinit's unshare; the log's
    # reader (cat, through a FIFO) stays out of it
    rm -f "$fifo"
    mkfifo "$fifo"
    cat "$fifo" >"$log" &
    reader=$!
    JEINIT_MEMLOCK=$lock sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
        setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
        unshare --pid --fork --mount-proc --kill-child \
        "$bin" --log-format json -vv --interval 1 --jemalloc=off --no-agent \
        -- "$MEMHOG" retain 900 "$HOG_MB" >/dev/null 2>"$fifo" &
    pid=$!
    jpid=
    for ((i = 0; i < 100; i++)); do
        sleep 0.1
        jpid=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
        jpid=${jpid%% *}
        [ -z "$jpid" ] || break
    done
    if [ -z "$jpid" ]; then
        echo "$build/$lock: no jeinit below $pid" >&2
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
    high_ms=
    for ((i = 0; i < 1200; i++)); do
        if [ "$(cat "$cg/memory.current")" -gt $((250 << 20)) ]; then
            high_ms=$(now_ms)
            break
        fi
        sleep 0.1
    done
    [ -n "$high_ms" ] || echo "$build/$lock: never above memory.high" >&2
    high_ms=${high_ms:-$(now_ms)}
    flt0=$(faults "$jpid")
    sleep "$SIT_S"
    flt1=$(faults "$jpid")
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$jpid/status")
    echo "$build/$lock before SIGTERM: memory.current $(($(cat "$cg/memory.current") >> 20)) MiB," \
        "$(grep -E '^(high|max|oom_kill) ' "$cg/memory.events" | tr '\n' ' ')" \
        "jeinit $(grep -E '^(VmRSS|VmLck|State):' "/proc/$jpid/status" | tr -s ' \t\n' '  ')" >&2
    term_ms=$(now_ms)
    kill -TERM "$jpid"
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$build/$lock: still running 120 s after SIGTERM; killed" >&2
        kill -KILL "$jpid" 2>/dev/null || true
    fi
    wait "$pid" || true
    wait "$reader" || true
    rm -f "$fifo"
    rmdir "$cg" 2>/dev/null || true
    printf '%-8s %-8s %s %s %s\n' "$build" "$lock" "$rss" \
        "$((${flt1% *} - ${flt0% *}))/$((${flt1#* } - ${flt0#* }))" \
        "$(analyse "$log" "$high_ms" "$term_ms")"
}

echo "kernel $(uname -r); RLIMIT_MEMLOCK soft $(ulimit -l) KiB, hard $(ulimit -Hl) KiB;" \
    "memhog retain $HOG_MB MiB; SIGTERM ${SIT_S} s after memory.high is crossed" >&2
rows=()
for c in $CASES; do
    rows+=("$(run_case "${c%%:*}" "${c#*:}" || echo "${c%%:*} ${c#*:} failed")")
done
{
    echo "build MEMLOCK RSS_KiB faults_maj/min locked VmLck_KiB lines interval_median_s" \
        "interval_max_s sigterm_ms exit_ms"
    printf '%s\n' "${rows[@]}"
} | column -t
