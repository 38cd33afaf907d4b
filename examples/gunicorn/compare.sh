#!/usr/bin/env bash
# The gunicorn story, measured: the same app and the same load under
#   glibc        glibc as it comes (jeinit only measures: its tuning is neutralised)
#   glibc-tuned  jeinit --jemalloc=off: glibc with jeinit's MALLOC_ARENA_MAX and thresholds
#   jemalloc     jemalloc with its default settings (written out, read from the library)
#   jeinit       jeinit's defaults: jemalloc fitted to the cgroup
#   jeinit-static  the same without the agent's decay steering (the policy's
#                dirty_decay_ms given as the user's, which is never steered)
# and, with --runs, two runs without jeinit at all, measured from /proc only:
#   glibc-plain     gunicorn alone
#   jemalloc-plain  LD_PRELOAD=libjemalloc.so.2 gunicorn, no MALLOC_CONF
# Each run: its own memory cgroup (v1, --limit) when root, gunicorn in it,
# --load seconds of load.py, --idle seconds of nothing, SIGTERM. Then one
# table from jeinit's own log lines and one from /proc, the same meter for
# every run. The raw logs stay in RESULTS_DIR.
#
#   examples/gunicorn/compare.sh [options] [RESULTS_DIR]
#
# Options (defaults in brackets):
#   --load S          seconds of load per run [45]
#   --idle S          seconds of idle after the load [25]
#   --concurrency N   load.py client threads [12]
#   --workers N       gunicorn workers, as WEB_CONCURRENCY [4]
#   --threads N       gthread threads per worker [4]
#   --limit QTY       memory.limit_in_bytes of each run's cgroup [768M]
#   --interval S      jeinit's memory report interval [2]
#   --seed N          load.py's seed [1]
#   --runs LIST       comma-separated runs [glibc,glibc-tuned,jemalloc,jeinit]
#   --jeinit PATH     the jeinit binary [$JEINIT, else build/jeinit]
# Environment: PYTHON (a python3 that imports flask) [/usr/bin/python3],
# GUNICORN [/usr/bin/gunicorn].
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
GUNICORN=${GUNICORN:-/usr/bin/gunicorn}
JEINIT=${JEINIT:-$ROOT/build/jeinit}

LOAD_S=45 IDLE_S=25 CONCURRENCY=12 WORKERS=4 THREADS=4 LIMIT=768M INTERVAL=2 SEED=1
RUNS=glibc,glibc-tuned,jemalloc,jeinit
RESULTS=

die() {
    echo "compare.sh: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --load) LOAD_S=$2; shift 2 ;;
    --idle) IDLE_S=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --jeinit) JEINIT=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --*) die "unknown option $1 (--help)" ;;
    *) [ -z "$RESULTS" ] || die "one RESULTS_DIR only"; RESULTS=$1; shift ;;
    esac
done
for v in LOAD_S IDLE_S CONCURRENCY WORKERS THREADS SEED; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
[[ $INTERVAL =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--interval: a number of seconds"
if [ "$LOAD_S" -lt 5 ] || [ "$LOAD_S" -gt 1800 ]; then die "--load: 5..1800 seconds"; fi
if [ "$IDLE_S" -gt 1800 ]; then die "--idle: at most 1800 seconds"; fi

# --- what is needed, and what we have ---
"$PYTHON" -c 'import flask' 2>/dev/null || die "$PYTHON cannot import flask (apt-get install python3-flask)"
[ -x "$GUNICORN" ] || die "no gunicorn at $GUNICORN (apt-get install gunicorn)"
command -v jq >/dev/null || die "jq is needed"
LIBJEMALLOC=$(ldconfig -p | awk '/libjemalloc\.so\.2 / { print $NF; exit }')
case ",$RUNS," in
*,glibc,* | *,glibc-tuned,* | *,jemalloc,* | *,jeinit,* | *,jeinit-static,*)
    [ -x "$JEINIT" ] || die "no jeinit at $JEINIT (make, or --jeinit PATH)" ;;
esac
case ",$RUNS," in
*jemalloc* | *,jeinit,* | *,jeinit-static,*) [ -n "$LIBJEMALLOC" ] || die "no libjemalloc.so.2 (apt-get install libjemalloc2)" ;;
esac
IFS=, read -r -a RUN_LIST <<<"$RUNS"
for r in "${RUN_LIST[@]}"; do
    case $r in
    glibc | glibc-tuned | jemalloc | jeinit | jeinit-static | glibc-plain | jemalloc-plain) ;;
    *) die "unknown run '$r'" ;;
    esac
done

# The caller's allocator settings would make every baseline a lie.
for v in LD_PRELOAD MALLOC_CONF MALLOC_ARENA_MAX GLIBC_TUNABLES MALLOC_MMAP_THRESHOLD_ \
    MALLOC_TRIM_THRESHOLD_ $(compgen -e | grep '^JEINIT_' || true); do
    if [ -n "${!v+set}" ]; then
        echo "compare.sh: ignoring $v=${!v} from the environment" >&2
        unset "$v"
    fi
done
export WEB_CONCURRENCY=$WORKERS GUNICORN_THREADS=$THREADS

if [ -z "$RESULTS" ]; then
    RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/jeinit-gunicorn.XXXXXX")
else
    mkdir -p "$RESULTS"
fi
RESULTS=$(cd "$RESULTS" && pwd)

# A memory cgroup per run, when we may make one (v1, under our own).
CG_BASE=
if [ "$(id -u)" -eq 0 ] && grep -q ':memory:' /proc/self/cgroup; then
    cgpath=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
    [ -d "/sys/fs/cgroup/memory$cgpath" ] && CG_BASE=/sys/fs/cgroup/memory${cgpath%/}
fi
if [ -n "$CG_BASE" ]; then
    LIMIT_NOTE="each run in its own v1 memory cgroup, memory.limit_in_bytes=$LIMIT"
else
    LIMIT_NOTE="NO memory limit: not root, or no cgroup v1 memory controller here"
    echo "compare.sh: $LIMIT_NOTE; running without a limit" >&2
fi

# The values jemalloc uses when given no MALLOC_CONF, read from the library
# itself: the "jemalloc" run writes them out so that jeinit cannot change them.
jemalloc_defaults() {
    MALLOC_CONF=stats_print:true LD_PRELOAD=$LIBJEMALLOC /bin/true 2>&1 | awk '
        $1 == "opt.narenas:" { o = o ",narenas:" $2 }
        $1 == "opt.background_thread:" { o = o ",background_thread:" $2 }
        $1 == "opt.dirty_decay_ms:" { o = o ",dirty_decay_ms:" $2 }
        $1 == "opt.muzzy_decay_ms:" { o = o ",muzzy_decay_ms:" $2 }
        $1 == "opt.tcache_max:" { o = o ",tcache_max:" $2 }
        $1 == "opt.thp:" { gsub(/"/, "", $2); o = o ",thp:" $2 }
        END { print substr(o, 2) }'
}

# --- cleanup: whatever a run started ends with the script ---
CUR_PID='' CUR_CG='' SAMPLER_PID='' LOAD_PID=''
stop_run() {
    local i
    if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; fi
    if [ -n "$CUR_PID" ] && kill -0 "$CUR_PID" 2>/dev/null; then
        kill -TERM "$CUR_PID" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$CUR_PID" 2>/dev/null || break
            sleep 0.2
        done
        # the run's own process group (it was started with setsid)
        kill -KILL -- "-$CUR_PID" 2>/dev/null || true
    fi
    [ -n "$CUR_PID" ] && { wait "$CUR_PID" 2>/dev/null || true; }
    [ -n "$SAMPLER_PID" ] && { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }
    if [ -n "$CUR_CG" ] && [ -d "$CUR_CG" ]; then
        while read -r p; do kill -KILL "$p" 2>/dev/null || true; done <"$CUR_CG/cgroup.procs"
        for ((i = 0; i < 25; i++)); do
            rmdir "$CUR_CG" 2>/dev/null && break
            sleep 0.2
        done
        [ -d "$CUR_CG" ] && echo "compare.sh: could not remove $CUR_CG" >&2
    fi
    CUR_PID='' CUR_CG='' SAMPLER_PID='' LOAD_PID=''
}
trap 'stop_run' EXIT
trap 'echo "compare.sh: interrupted" >&2; stop_run; exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N | cut -c1-14; }

# CMD: the command line of run $1 (env VAR=... first where it needs one).
build_cmd() {
    local gun=("$GUNICORN" -c "$HERE/gunicorn.conf.py" --chdir "$HERE" app:app)
    case $1 in
    glibc)
        # glibc's defaults restored: its own arena count (8 per CPU, as glibc
        # computes it) and no GLIBC_TUNABLES (the throughput profile keeps the
        # sliding thresholds); no purge (malloc_trim) near the limit either.
        CMD=(env "MALLOC_ARENA_MAX=$((8 * $(nproc)))" "$JEINIT" -s --interval "$INTERVAL" --jemalloc=off
            --profile throughput --purge-at 100 -- "${gun[@]}") ;;
    glibc-tuned) CMD=("$JEINIT" -s --interval "$INTERVAL" --jemalloc=off -- "${gun[@]}") ;;
    jemalloc)
        # jemalloc's defaults written out win over jeinit's key by key; no purge
        CMD=(env "MALLOC_CONF=$JE_DEFAULTS" "$JEINIT" -s --interval "$INTERVAL" --jemalloc="$LIBJEMALLOC"
            --purge-at 100 -- "${gun[@]}") ;;
    jeinit) CMD=("$JEINIT" -s --interval "$INTERVAL" -- "${gun[@]}") ;;
    jeinit-static)
        # the balanced policy's decay for the run's limit (README: the tuning policy)
        local limit dirty=5000
        limit=$(numfmt --from=iec "${LIMIT%B}")
        if [ "$limit" -le $((2 << 30)) ]; then dirty=1000; elif [ "$limit" -le $((8 << 30)) ]; then dirty=2000; fi
        CMD=(env "MALLOC_CONF=dirty_decay_ms:$dirty" "$JEINIT" -s --interval "$INTERVAL" -- "${gun[@]}") ;;
    glibc-plain) CMD=("${gun[@]}") ;;
    jemalloc-plain) CMD=(env "LD_PRELOAD=$LIBJEMALLOC" "${gun[@]}") ;;
    esac
}

one_run() {
    local name=$1 dir=$RESULTS/$1 port t_start t_ready t_load0 t_load1 t_idle1 t_end rc i
    mkdir -p "$dir"
    port=$(free_port)
    export PORT=$port
    build_cmd "$name"
    echo "== $name: ${CMD[*]}" >&2
    printf '%s\n' "${CMD[@]}" >"$dir/cmd"

    if [ -n "$CG_BASE" ]; then
        CUR_CG=$CG_BASE/jeinit-gunicorn-$$-$name
        mkdir "$CUR_CG"
        echo "$LIMIT" >"$CUR_CG/memory.limit_in_bytes"
    fi
    t_start=$(now)
    # setsid: the run is a process group of its own, for stop_run.
    # timeout: a hard bound even if this script dies without its trap.
    sh -c '[ -z "$0" ] || echo $$ >"$0/cgroup.procs" || exit 1; exec "$@"' "${CUR_CG:-}" \
        setsid timeout $((LOAD_S + IDLE_S + 120)) "${CMD[@]}" >"$dir/stdout" 2>"$dir/stderr" &
    CUR_PID=$!
    "$PYTHON" "$HERE/sample.py" --pid "$CUR_PID" ${CUR_CG:+--cgroup "$CUR_CG"} --out "$dir/sample.csv" \
        --environ-out "$dir/worker.env" &
    SAMPLER_PID=$!

    for ((i = 0; i < 300; i++)); do
        "$PYTHON" - "$port" <<'EOF' 2>/dev/null && break
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
c.request("GET", "/healthz")
sys.exit(0 if c.getresponse().status == 200 else 1)
EOF
        kill -0 "$CUR_PID" 2>/dev/null || { tail "$dir/stderr" >&2; die "$name: gunicorn exited"; }
        sleep 0.1
    done
    [ "$i" -lt 300 ] || die "$name: no answer on 127.0.0.1:$port within 30 s"
    sleep 2 # every worker up
    t_ready=$(now)

    t_load0=$(now)
    timeout $((LOAD_S + 60)) "$PYTHON" "$HERE/load.py" --port "$port" --duration "$LOAD_S" \
        --concurrency "$CONCURRENCY" --seed "$SEED" --json >"$dir/load.json" 2>"$dir/load.err" &
    LOAD_PID=$!
    wait "$LOAD_PID" || echo "compare.sh: $name: load.py failed (see $dir/load.err)" >&2
    LOAD_PID=
    t_load1=$(now)
    echo "   load: $(cat "$dir/load.json" 2>/dev/null)" >&2
    sleep "$IDLE_S"
    t_idle1=$(now)

    # SIGTERM, as a container stop: gunicorn gets graceful_timeout (10 s)
    kill -TERM "$CUR_PID" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$CUR_PID" 2>/dev/null || break
        [[ $(ps -o stat= -p "$CUR_PID") == Z* ]] && break
        sleep 0.2
    done
    if [ "$i" -eq 150 ]; then
        echo "compare.sh: $name: still running 30 s after SIGTERM, killed" >&2
        kill -KILL -- "-$CUR_PID" 2>/dev/null || true
    fi
    rc=0
    wait "$CUR_PID" || rc=$?
    CUR_PID=
    t_end=$(now)
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=
    if [ -n "$CUR_CG" ]; then
        cat "$CUR_CG/memory.max_usage_in_bytes" >"$dir/cgroup.max_usage" 2>/dev/null || true
        cat "$CUR_CG/memory.failcnt" >"$dir/cgroup.failcnt" 2>/dev/null || true
        rmdir "$CUR_CG" 2>/dev/null || stop_run
        CUR_CG=
    fi
    jq -n --arg name "$name" --argjson start "$t_start" --argjson ready "$t_ready" \
        --argjson load0 "$t_load0" --argjson load1 "$t_load1" --argjson idle1 "$t_idle1" \
        --argjson fin "$t_end" --argjson rc "$rc" --arg limit "${CG_BASE:+$LIMIT}" \
        '{name: $name, start: $start, ready: $ready, load_start: $load0, load_end: $load1,
          idle_end: $idle1, end: $fin, exit_code: $rc, limit: $limit}' >"$dir/meta.json"
    echo "   exit code $rc" >&2
}

jq -n --arg runs "$RUNS" --argjson load "$LOAD_S" --argjson idle "$IDLE_S" \
    --argjson concurrency "$CONCURRENCY" --argjson workers "$WORKERS" --argjson threads "$THREADS" \
    --arg limit "$LIMIT_NOTE" --arg interval "$INTERVAL" --argjson seed "$SEED" \
    --arg host "$(uname -srm), $(nproc) CPUs" --arg jemalloc "$LIBJEMALLOC" \
    '{runs: $runs, load_s: $load, idle_s: $idle, concurrency: $concurrency, workers: $workers,
      threads: $threads, limit: $limit, interval_s: $interval, seed: $seed, host: $host,
      libjemalloc: $jemalloc}' >"$RESULTS/config.json"
JE_DEFAULTS=
[ -n "$LIBJEMALLOC" ] && JE_DEFAULTS=$(jemalloc_defaults)
echo "compare.sh: runs $RUNS, ${LOAD_S} s load + ${IDLE_S} s idle each (about $(((LOAD_S + IDLE_S + 6) * ${#RUN_LIST[@]})) s); results in $RESULTS" >&2
echo "compare.sh: $LIMIT_NOTE; $WORKERS workers x $THREADS threads; load.py concurrency $CONCURRENCY" >&2
[ -n "$JE_DEFAULTS" ] && echo "compare.sh: jemalloc's own defaults: $JE_DEFAULTS" >&2

for r in "${RUN_LIST[@]}"; do
    one_run "$r"
done

"$PYTHON" "$HERE/summarize.py" "$RESULTS" | tee "$RESULTS/table.md"
