#!/usr/bin/env bats
# The log budget: every line at most 4,096 bytes (one atomic write into the
# pipe jeinit shares with the program) with a msg; memory lines when
# something changed, else a heartbeat; the bytes a day an idle container
# costs at the defaults; the recipe README gives for log pipelines.
load helpers
load memcg

MEMHOG=$BUILD/helpers/memhog
SCHEMA=$ROOT/tests/schema/validate.py
# the defaults are under test here, not the tiers' every-interval sampling
unset JEINIT_HEARTBEAT JEINIT_LOG_PROCESSES

setup() {
    [ -x "$JEINIT" ] || skip "build first: make all helpers"
    CG=
    LOG=$BATS_TEST_TMPDIR/log
}

teardown() {
    [ -z "$CG" ] || memcg_remove "$CG"
}

# jeinit as PID 1 in a 512M memory cgroup of its own (as a container: its
# usage and diagnosis are its processes', not the machine's), its stderr in
# $LOG and $stderr.
run_logged() {
    require_memcg
    [ -z "$CG" ] || memcg_remove "$CG"
    CG=$(memcg_create 512M)
    status=0
    in_memcg "$CG" timeout -k 5 "${TIMEOUT:-60}" unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json "$@" >"$LOG.out" 2>"$LOG" || status=$?
    stderr=$(cat "$LOG")
}

# An idle container of 8 processes: jeinit, a shell, python3 (its agent
# loaded), 4 sleeps and the sleep of $1 seconds that ends it.
IDLE8='for i in 1 2 3 4; do sleep 1000 & p="$p $!"; done
python3 -c "import time; time.sleep(1000)" & p="$p $!"
sleep "$0"; kill $p; wait'

@test "an idle 8-process container writes at most 300 KB a day at the defaults (a day at 100x)" {
    # The defaults are --interval 10 and --heartbeat 600; at 100x, 0.1 and 6:
    # 26 s here are 43 minutes of the container's life. bytes/day: the lines
    # of the steady state (after the first heartbeat, up to the last one)
    # per simulated second, times a day, plus the lines written once (start,
    # the first lines, the processes ending, exit).
    TIMEOUT=90 run_logged --interval 0.1 --heartbeat 6 -- sh -c "$IDLE8" 26
    [ "$status" -eq 0 ]
    events memory | jq -s -e 'length >= 4 and (map(select(.reason == "heartbeat")) | length >= 3)' >/dev/null
    event_any memory '.totals.processes == 8'
    budget=$(printf '%s\n' "$stderr" | jq -R -s -r --argjson scale 100 '
        split("\n") | map(select(length > 0) | {bytes: (utf8bytelength + 1), line: (fromjson? // null)})
        | map(select(.line != null and .line.event != null))
        | def secs: capture("^(?<s>.*)\\.(?<ms>[0-9]{3})Z$") | (.s + "Z" | fromdate) + (.ms | tonumber) / 1000;
        map(. + {t: (.line.ts | secs)})
        | (map(select(.line.event == "memory" and .line.reason == "heartbeat")) | map(.t)) as $hb
        | ($hb | first) as $t0 | ($hb | last) as $t1
        | (map(select(.t > $t0 and .t <= $t1 and .line.event != "exit")) | map(.bytes) | add) as $steady
        | (map(select(.t <= $t0 or .t > $t1 or .line.event == "exit")) | map(.bytes) | add) as $once
        | (($t1 - $t0) * $scale | round) as $simulated
        | {steady_bytes: $steady, simulated_s: $simulated, once_bytes: $once,
           bytes_per_day: (($steady * 86400 / $simulated) + $once | floor),
           steady_reasons: (map(select(.t > $t0 and .t <= $t1 and .line.event == "memory")) | map(.line.reason) | unique)}
        | "\(.bytes_per_day) \(.steady_bytes) \(.simulated_s) \(.once_bytes) \(.steady_reasons | join(","))"')
    read -r per_day steady simulated once reasons <<<"$budget"
    echo "# bytes/day $per_day (steady $steady bytes over $simulated simulated s, once $once; steady reasons: $reasons)" >&3
    [ "$simulated" -ge 1200 ]
    # idle and stable: nothing but heartbeats once settled
    [ "$reasons" = heartbeat ]
    [ "$per_day" -le 300000 ]
}

@test "each memory line says why it was written; a process that lived a sample appearing or exiting is one" {
    # --heartbeat 6: process changes are told at most every 0.6 s (a tenth)
    run_logged --interval 0.1 --heartbeat 6 -- sh -c 'sleep 0.5; sleep 5 & sleep 1.2; kill $!; wait; sleep 1.2'
    [ "$status" -eq 0 ]
    events memory | jq -s -e 'map(.reason) | .[0] == "first" and all(.[]; . != "heartbeat")' >/dev/null
    # the first sleep exited; the background one appeared once seen twice, then exited
    event_any memory '.reason == "processes" and .totals.appeared >= 1'
    [ "$(events memory | jq -s 'map(select(.reason == "processes" and .totals.exited >= 1)) | length')" -ge 2 ]
    # 3 s at 0.1 s: ~30 samples, a handful of lines
    [ "$(events memory | wc -l)" -le 8 ]
    event_last exit '.memory.samples >= 15 and .memory.lines <= 8'
    "$SCHEMA" --strict "$LOG"
}

@test "fork-per-request churn does not write a line per interval" {
    # a short-lived process every 20 ms for 4 s, and workers living 0.3 s
    # (3 samples) one after another: 40 samples, lines only when allowed
    # (one per tenth of the heartbeat, 0.5 s here)
    run_logged --interval 0.1 --heartbeat 5 -- sh -c '
        end=$(($(date +%s) + 4))
        (while [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done) &
        while [ "$(date +%s)" -lt "$end" ]; do /bin/true; sleep 0.02; done; wait'
    [ "$status" -eq 0 ]
    n=$(events memory | wc -l)
    samples=$(events exit | jq -r '.memory.samples')
    echo "# $n memory lines for $samples samples" >&3
    [ "$samples" -ge 30 ]
    [ "$n" -le 14 ]
}

@test "usage crossing a 10% step of the limit writes a line at once, with its reason" {
    require_memcg
    CG=$(memcg_create 200M)
    status=0
    in_memcg "$CG" timeout 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.2 -- "$MEMHOG" leak 3 30 >"$LOG.out" 2>"$LOG" || status=$?
    stderr=$(cat "$LOG")
    [ "$status" -eq 0 ]
    # 90 MB into a 200 MB limit: several steps crossed, each told
    [ "$(events memory | jq -s 'map(select(.reason == "usage-step")) | length')" -ge 2 ]
    events memory | jq -s -e 'map(select(.reason == "usage-step") | (.usage_pct / 10 | floor)) as $s
        | ($s | length) == ($s | unique | length)' >/dev/null
    event_any memory '.reason == "usage-step" and (.msg | test("^memory [0-9.]+ MiB of 200 MiB \\([0-9]+%\\), "))'
    "$SCHEMA" "$LOG"
}

@test "80 processes: the line keeps the largest within 4,096 bytes and sums the others; all: a line each" {
    run_logged --interval 0.3 --heartbeat 0 --log-processes 256 -- sh -c \
        'for i in $(seq 80); do sleep 5 & p="$p $!"; done; sleep 1.2; kill $p; wait'
    [ "$status" -eq 0 ]
    event_any memory '.totals.processes >= 80 and (.processes | length) >= 3 and (.processes | length) < 80
        and (.processes | length) + .others.processes == .totals.processes
        and .others.rss_bytes > 0 and .processes_omitted == .others.processes'
    "$SCHEMA" --strict "$LOG"
    # the default: 3, the largest by RSS first
    run_logged --interval 0.3 -- sh -c 'for i in $(seq 80); do sleep 5 & p="$p $!"; done; sleep 1.2; kill $p; wait'
    event_any memory '.totals.processes >= 80 and (.processes | length) == 3
        and (.processes | map(.rss_bytes)) == (.processes | map(.rss_bytes) | sort | reverse)'
    # all: none in the memory line, one memory_process line per process
    run_logged --interval 0.3 --heartbeat 0 --log-processes all -- sh -c \
        'for i in $(seq 80); do sleep 5 & p="$p $!"; done; sleep 1.2; kill $p; wait'
    events memory | jq -s -e 'all(.[]; (.processes | length) == 0)' >/dev/null
    seq=$(events memory | jq -s -r 'map(select(.totals.processes >= 80)) | first | "\(.seq) \(.totals.processes)"')
    read -r s total <<<"$seq"
    [ "$(events memory_process | jq -s --argjson s "$s" 'map(select(.seq == $s)) | length')" -eq "$total" ]
    "$SCHEMA" --strict "$LOG"
}

@test "a start line with a huge argv is cut to 4,096 bytes, valid JSON, UTF-8 whole, and says so" {
    # 60 arguments of 450 bytes, 1,200 once escaped (é, and \u0001 for byte 1):
    # each is cut at 1 KiB, and most are left out
    long=$(printf 'é\001%.0s' $(seq 150))
    args=()
    for i in $(seq 60); do args+=("$long$i"); done
    run_logged --interval 0 -- sh -c 'exit 0' "${args[@]}"
    [ "$status" -eq 0 ]
    event_last start '.truncated == true and .argv_omitted > 0 and (.argv | length) >= 2 and (.msg | test("^started sh as pid"))'
    "$SCHEMA" --strict "$LOG"
    # text: the same bound, the cut said at the end, no half character
    status=0
    pid1 --log-format text --interval 0 -- sh -c 'exit 0' "${args[@]}" 2>"$LOG.txt" || status=$?
    [ "$status" -eq 0 ]
    line=$(grep ' info start: ' "$LOG.txt")
    [ "$(printf '%s\n' "$line" | wc -c)" -le 4096 ]
    printf '%s\n' "$line" | iconv -f UTF-8 -t UTF-8 >/dev/null
}

@test "every line has a msg, and README's jq recipe gives Cloud Logging's severity and message" {
    run_logged --interval 0.2 -- sh -c 'sleep 0.7; exit 3'
    [ "$status" -eq 3 ]
    "$SCHEMA" --strict "$LOG"
    event_last exit '.msg | test("^program exited with 3 after [0-9.]+ s, exit code 3$")'
    # the recipe, as README gives it (the section on the log and its budget)
    recipe=$(sed -n '/^<!-- jq-gcp -->$/,/^<!-- \/jq-gcp -->$/p' "$ROOT/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')
    [ -n "$recipe" ]
    out=$(bash -c "$recipe" <"$LOG")
    printf '%s\n' "$out" | jq -s -e 'length > 0 and all(.[]; (.severity | IN("ERROR", "WARNING", "INFO", "DEBUG")) and (.message | type == "string" and length > 0) and .time != null)' >/dev/null
    printf '%s\n' "$out" | jq -s -e 'any(.[]; .event == "exit" and .severity == "INFO" and (.message | test("exited with 3")))' >/dev/null
    # and the LogQL line filter's jq equivalent: memory lines not heartbeats
    printf '%s\n' "$stderr" | jq -c 'select(.event == "memory" and .reason != "heartbeat") | .msg' | grep -q 'memory'
}

@test "in a pipe the program floods too, every jeinit line stays whole (one write of whole lines)" {
    # the program writes 100-byte lines as fast as it can into the stderr
    # pipe it shares with jeinit, read slowly (700 bytes a millisecond: the
    # pipe stays nearly full), while jeinit writes a memory line and 40
    # memory_process lines every 0.1 s: a line of jeinit's split by a partial
    # write shows up as a line with both (before: 33-56 in 1,500)
    TIMEOUT=40 pid1 --log-format json --interval 0.1 --heartbeat 0 --log-processes all -- sh -c '
        for i in $(seq 40); do sleep 5 & p="$p $!"; done
        python3 -c "
import os, time
line = b\"x\" * 99 + b\"\\n\"
end = time.time() + 3
while time.time() < end:
    os.write(2, line)
"; kill $p; wait' 2>&1 | python3 -c '
import os, sys, time
with open(sys.argv[1], "wb") as out:
    while True:
        b = os.read(0, 700)
        if not b:
            break
        out.write(b)
        time.sleep(0.001)
' "$LOG"
    ours=$(grep -c '"ts":' "$LOG")
    [ "$ours" -ge 300 ]
    [ "$(grep -c '^x\{99\}$' "$LOG")" -ge 1000 ]
    run grep -c -e 'xxxxxxxxxx.*"ts":' -e '"ts":.*xxxxxxxxxx' "$LOG"
    [ "$output" -eq 0 ]
    stderr=$(grep '"ts":' "$LOG")
    "$SCHEMA" --strict <<<"$stderr"
}
