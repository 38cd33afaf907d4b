#!/usr/bin/env bats
# `jeinit report [LOG]`: the picture of a log. Logs from real runs (a leak
# and an OOM kill in a real v1 memory cgroup), drawn, checked as XML, and
# rendered by headless Chromium to see that something is drawn; then
# untrusted input: program output, garbage, huge and deep lines, many lines.
load helpers
load memcg

MEMHOG=$BUILD/helpers/memhog
PNGSTAT=$ROOT/tests/helpers/pngstat.py

# One real run for the whole file: memhog leaks in one process while another
# grows until the 128 MiB cgroup OOM-kills it. The log is in $OOMLOG.
setup_file() {
    export OOMLOG=$BATS_FILE_TMPDIR/oom.log
    [ -x "$JEINIT" ] && [ -x "$MEMHOG" ] || return 0
    [ "$(id -u)" -eq 0 ] && grep -q ':memory:' /proc/self/cgroup || return 0
    local cg
    cg=$(memcg_create 128M) || return 0
    in_memcg "$cg" timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.25 -- sh -c \
        "\"$MEMHOG\" leak 3 10 & \"$MEMHOG\" oom 400 30; wait" >/dev/null 2>"$OOMLOG" || true
    memcg_remove "$cg"
}

setup() {
    [ -x "$JEINIT" ] || skip "build first: make all helpers"
    OUT=$BATS_TEST_TMPDIR
}

require_oom_log() {
    require_memcg
    [ -s "$OOMLOG" ] || skip "the OOM run left no log (setup_file could not run it)"
    grep -q '"event":"oom_kill"' "$OOMLOG" || {
        echo "the run under a 128 MiB limit was not OOM-killed:" >&2
        cat "$OOMLOG" >&2
        return 1
    }
}

# Runs "$@" within 256 MiB of address space; under ASan (make sanitize sets
# ASAN_OPTIONS), whose shadow memory needs terabytes of it, unbounded.
bounded() {
    if [ -n "${ASAN_OPTIONS:-}" ]; then
        "$@"
    else
        prlimit --as=$((256 << 20)) "$@"
    fi
}

# A memory line at second $1 with usage $2 MiB and processes "pid:rss_mib ...".
memory_line() {
    local s=$1 usage=$2 procs="" p
    shift 2
    for p in "$@"; do
        procs+="${procs:+,}{\"pid\":${p%%:*},\"comm\":\"w${p%%:*}\",\"rss_bytes\":$((${p##*:} << 20))}"
    done
    printf '{"ts":"2026-11-30T10:%02d:%02d.000Z","level":"info","event":"memory","limit_bytes":536870912,"limit_unlimited":false,"usage_bytes":%d,"processes":[%s]}\n' \
        $((s / 60 % 60)) $((s % 60)) $((usage << 20)) "$procs"
}

@test "a real OOM run pictured: one well-formed SVG with usage, limit, the processes and the OOM kill" {
    require_oom_log
    log_file_budget_ok "$OOMLOG" # the run's own log, within the budget
    run --separate-stderr "$JEINIT" report "$OOMLOG"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    printf '%s\n' "$output" >"$OUT/oom.svg"
    xmllint --noout "$OUT/oom.svg"
    [ "$(xmllint --xpath 'count(//*[local-name()="svg"])' "$OUT/oom.svg")" -eq 1 ]
    # self-contained: nothing fetched, nothing run
    ! grep -Eqi '<script|href=|url\(|<image|<foreignObject|@import' "$OUT/oom.svg"
    grep -q 'limit, 128 MiB (OOM kill above)' "$OUT/oom.svg"
    grep -q 'usage (memory.usage_in_bytes / memory.current)' "$OUT/oom.svg"
    grep -Eq 'memhog \(pid [0-9]+\), peak [0-9.]+ MiB' "$OUT/oom.svg"
    grep -q 'allocated (live heap' "$OUT/oom.svg"
    # the OOM kill: a marker whose title names the victim, and a row in the list
    grep -Eq '>K</text><title>OOM kill: memhog \(pid [0-9]+, [0-9.]+ MiB RSS\)</title>' "$OUT/oom.svg"
    tr -d '\n' <"$OUT/oom.svg" | grep -Eq '>[0-9:]{8}\.[0-9]{3}</text><g><circle [^>]*/><text [^>]*>K</text></g><text [^>]*>OOM kill: memhog'

    grep -q 'OOM kill (the kernel killed a process): 1' "$OUT/oom.svg"
    # every memory line is a step of the usage: as many as the log has
    lines=$(grep -c '"event":"memory"' "$OOMLOG")
    [ "$lines" -ge 5 ]
    grep -Eq "[0-9]+ OOM kills?; $lines memory lines( \+ [0-9]+ usage points from OOM post-mortems)?<" "$OUT/oom.svg"
    # the OOM post-mortem's last samples, between the change-driven lines
    if [ "$(jq -R 'fromjson? | select(.event == "oom_kill") | .last_samples | length' "$OOMLOG" |
        jq -s add)" -gt 0 ]; then
        grep -Eq "; $lines memory lines \+ [0-9]+ usage points from OOM post-mortems<" "$OUT/oom.svg"
    fi
}

@test "rendered by headless Chromium: the picture is not blank and shows the usage and the OOM kill" {
    require_oom_log
    command -v chromium >/dev/null || skip "chromium is not installed (tests/deps.sh installs it)"
    "$JEINIT" report "$OOMLOG" >"$OUT/oom.svg"
    height=$(sed -n 's/.*<svg [^>]* height="\([0-9]*\)".*/\1/p' "$OUT/oom.svg")
    [ "$height" -gt 500 ]
    timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$OUT/chromium" --screenshot="$OUT/oom.png" \
        --window-size="1000,$height" "file://$OUT/oom.svg" 2>"$OUT/chromium.log" || {
        cat "$OUT/chromium.log" >&2
        return 1
    }
    run "$PNGSTAT" "$OUT/oom.png" '#1f77b4' '#d62728'
    echo "$output"
    [ "$status" -eq 0 ]
    read -r size nonwhite colours <<<"${lines[0]}"
    [ "$size" = "1000x$height" ]
    # a blank or failed render is white (or one colour): here text, axes, series
    nonwhite=${nonwhite#nonwhite=}
    [ "${nonwhite%.*}" -ge 5 ]
    [ "${colours#colours=}" -ge 50 ]
    [ "${lines[1]#*=}" -ge 1000 ] # the usage line and its fill
    [ "${lines[2]#*=}" -ge 200 ]  # the limit and the OOM kill
}

@test "from stdin, with the program's output and a runtime's prefixes mixed in: the same picture" {
    require_oom_log
    "$JEINIT" report "$OOMLOG" >"$OUT/file.svg"
    awk '{ print "Traceback (most recent call last):"; print; print "" } NR % 3 == 0 { printf "partial" }' \
        "$OOMLOG" | "$JEINIT" report >"$OUT/mixed.svg"
    cmp "$OUT/file.svg" "$OUT/mixed.svg"
    sed 's/^/2026-11-30T10:00:00.123456789Z stderr F /' "$OOMLOG" | "$JEINIT" report - >"$OUT/cri.svg"
    cmp "$OUT/file.svg" "$OUT/cri.svg"
}

@test "no jeinit line (empty, program output only, random bytes): exit 1 and one message" {
    for input in /dev/null "$OUT/program.log" "$OUT/random"; do
        seq 1 5000 >"$OUT/program.log"
        head -c 2000000 /dev/urandom >"$OUT/random"
        run --separate-stderr "$JEINIT" report "$input"
        [ "$status" -eq 1 ]
        [ -z "$output" ]
        [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
        [[ "$stderr" == "jeinit report: no jeinit log line in $input ("*" lines read): expected JSON lines"* ]]
    done
    run --separate-stderr "$JEINIT" report "$OUT/missing"
    [ "$status" -eq 1 ]
    [ "$stderr" = "jeinit report: cannot open $OUT/missing: No such file or directory" ]
    run --separate-stderr "$JEINIT" report a b
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"usage: jeinit report [LOG]"* ]]
}

@test "a huge line, a deep one and NUL bytes are skipped; the lines around them are read" {
    {
        memory_line 1 100 1:50
        head -c 20000000 /dev/zero | tr '\0' 'x'
        echo
        printf '{"ts":"2026-11-30T10:00:02.000Z","level":"info","event":"memory","x":"%s"}\n' \
            "$(head -c 300000 /dev/zero | tr '\0' 'y')"
        printf '{"ts":"2026-11-30T10:00:02.000Z","level":"info","event":"memory","x":'
        head -c 200000 /dev/zero | tr '\0' '['
        echo
        printf '{"ts":"2026-11-30T10:00:02.000Z",\0"level":"info","event":"oom_kill"}\n'
        memory_line 3 200 1:150
    } >"$OUT/hostile.log"
    { memory_line 1 100 1:50; memory_line 3 200 1:150; } >"$OUT/plain.log"
    run --separate-stderr bounded "$JEINIT" report "$OUT/hostile.log"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | xmllint --noout -
    "$JEINIT" report "$OUT/plain.log" >"$OUT/plain.svg"
    printf '%s\n' "$output" | cmp - "$OUT/plain.svg"
}

@test "bounded: 120,000 memory lines naming 96 processes fit in 256 MiB; the top 6 drawn" {
    # 6 processes a line, 96 in turn: more than PLOT_PROCS_MAX (48) to follow
    python3 - "$OUT/big.log" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(120000):
        procs = [{"pid": p, "comm": f"w{p}", "rss_bytes": (p + i % 100) << 20,
                  "allocated_bytes": p << 20, "held_bytes": 1 << 20}
                 for p in range((i % 16) * 6 + 1, (i % 16) * 6 + 7)]
        ts = f"2026-11-{1 + i // 86400:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
        f.write(json.dumps({"ts": ts, "level": "info", "event": "memory", "limit_bytes": 1 << 30,
                            "limit_unlimited": False, "usage_bytes": (600 + i % 50) << 20,
                            "processes": procs}) + "\n")
EOF
    run --separate-stderr bounded "$JEINIT" report "$OUT/big.log"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >"$OUT/big.svg"
    xmllint --noout "$OUT/big.svg"
    [ "$(stat -c %s "$OUT/big.svg")" -lt 1000000 ]
    grep -q 'the 6 largest by peak RSS (of 48 seen)' "$OUT/big.svg"
    grep -q '120000 memory lines; a point is the maximum of 128 lines' "$OUT/big.svg"
    # the largest is w96: 96 + 99 MiB at its peak, kept through the merging
    grep -q 'w96 (pid 96), peak 195 MiB' "$OUT/big.svg"
    [ "$(grep -o '(pid [0-9]*), peak' "$OUT/big.svg" | wc -l)" -eq 6 ]
    # 33 hours of clock
    grep -q 'jeinit memory report: 2026-11-01 00:00:00 to 2026-11-02 09:19:59 UTC (33.3 h)' "$OUT/big.svg"
}

@test "the next memory line format: others summarised, a reason, lines on change and heartbeats" {
    {
        echo '{"ts":"2026-11-30T10:00:00.000Z","level":"info","event":"start","limits":{"memory_bytes":1073741824,"memory_unlimited":false,"memory_high_bytes":805306368}}'
        echo '{"ts":"2026-11-30T10:00:01.000Z","level":"info","event":"memory","msg":"memory 300 MiB of 1 GiB, stable","reason":"change","limit_bytes":1073741824,"limit_unlimited":false,"ceiling_bytes":805306368,"usage_bytes":314572800,"processes":[{"pid":7,"comm":"gunicorn","rss_bytes":209715200}],"others":{"processes":30,"rss_bytes":104857600},"diagnosis":{"state":"stable"}}'
        echo '{"ts":"2026-11-30T10:05:01.000Z","level":"info","event":"memory","msg":"memory 300 MiB of 1 GiB, stable","reason":"heartbeat","limit_bytes":1073741824,"limit_unlimited":false,"ceiling_bytes":805306368,"usage_bytes":314572800,"processes":[{"pid":7,"comm":"gunicorn","rss_bytes":209715200}],"others":{"processes":30,"rss_bytes":104857600},"diagnosis":{"state":"stable"}}'
        echo '{"ts":"2026-11-30T10:05:30.000Z","level":"warn","event":"memory_high","count":3,"total":3,"msg":"usage went over memory.high"}'
        echo '{"ts":"2026-11-30T10:05:31.000Z","level":"info","event":"memory","msg":"memory 800 MiB of 1 GiB, heap-growth","reason":"change","limit_bytes":1073741824,"limit_unlimited":false,"ceiling_bytes":805306368,"usage_bytes":838860800,"processes":[{"pid":7,"comm":"gunicorn","rss_bytes":734003200}],"others":{"processes":30,"rss_bytes":104857600},"diagnosis":{"state":"heap-growth"}}'
    } >"$OUT/next.log"
    run --separate-stderr "$JEINIT" report "$OUT/next.log"
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" >"$OUT/next.svg"
    xmllint --noout "$OUT/next.svg"
    grep -q 'memory.high, 768 MiB (throttled above)' "$OUT/next.svg"
    grep -q 'all other processes, peak 100 MiB' "$OUT/next.svg"
    grep -q 'gunicorn (pid 7), peak 700 MiB' "$OUT/next.svg"
    grep -q '>H</text><title>usage went over memory.high (3 times)</title>' "$OUT/next.svg"
    grep -q 'diagnosis: heap-growth' "$OUT/next.svg"
    # a heartbeat 5 min after the last change: the clock axis spans it
    grep -q '10:00:00 to 10:05:31 UTC (5.5 min)' "$OUT/next.svg"
}

@test "--log-processes all: the processes come from the memory_process lines of each memory line" {
    require_root
    [ -x "$MEMHOG" ] || skip "build first: make helpers"
    TIMEOUT=60 pid1 --log-format json --interval 0.2 --log-processes all -- "$MEMHOG" leak 2 20 \
        2>"$OUT/all.log" >/dev/null
    grep -q '"event":"memory_process"' "$OUT/all.log"
    log_file_budget_ok "$OUT/all.log"
    # the memory lines themselves list none
    [ "$(jq -R 'fromjson? | select(.event == "memory") | .processes | length' "$OUT/all.log" | sort -u)" = 0 ]
    run --separate-stderr "$JEINIT" report "$OUT/all.log"
    [ "$status" -eq 0 ]
    [[ "$output" =~ memhog\ \(pid\ 2\),\ peak\ (1[5-9]|[2-9][0-9])(\.[0-9])?\ MiB ]]
}

@test "report is a subcommand only as the first argument: jeinit -- report runs a program named report" {
    mkdir -p "$OUT/bin"
    printf '#!/bin/sh\necho "the program named report ran with $*"\n' >"$OUT/bin/report"
    chmod +x "$OUT/bin/report"
    PATH=$OUT/bin:$PATH run --separate-stderr pid1 --log-format json -- report x
    [ "$status" -eq 0 ]
    log_budget_ok
    [ "$output" = "the program named report ran with x" ]
    PATH=$OUT/bin:$PATH run --separate-stderr pid1 --log-format json -s report y
    [ "$status" -eq 0 ]
    [ "$output" = "the program named report ran with y" ]
}
