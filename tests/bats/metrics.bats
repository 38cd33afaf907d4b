#!/usr/bin/env bats
# --metrics: the Prometheus endpoint of jeinit as PID 1, over real sockets.
# The page is checked with promtool (Debian's prometheus package); the
# HTTP side against wrong requests, idle connections that never send
# (slowloris), the program's exit and signals while they are open, a port
# already taken, descriptor inheritance, and the figures of a real memory
# cgroup with an OOM kill.
load helpers
load memcg

MEMHOG=$BUILD/helpers/memhog

setup() {
    [ -x "$JEINIT" ] || skip "build first: make all helpers"
    require_root
    command -v curl >/dev/null || skip "needs curl"
    LOG=$BATS_TEST_TMPDIR/log
    PORT=$(free_port)
    JPID=
    CG=
}

teardown() {
    [ -z "$JPID" ] || kill -KILL "$JPID" 2>/dev/null || true
    [ -z "$JPID" ] || wait "$JPID" 2>/dev/null || true
    memcg_remove "$CG"
}

# A TCP port nothing listens on now (the kernel's pick).
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# jeinit as PID 1 in the background with its log in $LOG; $JPID is the
# unshare's pid (its wait status is jeinit's).
start_bg() {
    pid1 --log-format json "$@" 2>"$LOG" &
    JPID=$!
}

# Waits up to 5 s for the endpoint at $1 (default 127.0.0.1:$PORT) to answer.
wait_endpoint() {
    local i
    for ((i = 0; i < 100; i++)); do
        curl -sf -o /dev/null --max-time 1 "http://${1:-127.0.0.1:$PORT}/metrics" && return 0
        sleep 0.05
    done
    echo "no answer at ${1:-127.0.0.1:$PORT}" >&2
    cat "$LOG" >&2
    return 1
}

# The page, into $BATS_TEST_TMPDIR/page; fails unless curl got a 200.
scrape() {
    curl -sS -f --max-time 3 -o "$BATS_TEST_TMPDIR/page" "http://127.0.0.1:$PORT/metrics"
}

# The value of sample $1 (a name with its labels, as written) in the page.
value() {
    awk -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }' "$BATS_TEST_TMPDIR/page"
}

# Scrapes every 0.1 s, for 10 s at most, until sample $1 is at least $2;
# the last page stays in $BATS_TEST_TMPDIR/page either way.
scrape_until() {
    local i
    for ((i = 0; i < 100; i++)); do
        scrape
        [ "$(value "$1" || echo 0)" -ge "$2" ] && return 0
        sleep 0.1
    done
}

require_promtool() {
    command -v promtool >/dev/null || skip "needs promtool (apt-get install prometheus)"
}

@test "the page passes promtool, with cgroup figures and the program's allocator figures by comm" {
    require_promtool
    [ -x "$MEMHOG" ] || skip "build first: make helpers"
    start_bg --metrics "127.0.0.1:$PORT" --interval 0.2 -- "$MEMHOG" leak 4 8
    wait_endpoint
    # a few samples, so that the agent has answered and the diagnosis moved on
    for ((i = 0; i < 100; i++)); do
        scrape
        v=$(value 'jeinit_process_group_allocated_bytes{comm="memhog"}' || echo 0)
        [ "$v" -gt 0 ] && [ "$(value jeinit_samples_total)" -ge 4 ] && break
        sleep 0.1
    done
    promtool check metrics <"$BATS_TEST_TMPDIR/page"
    [ "$(value 'jeinit_process_group_allocated_bytes{comm="memhog"}')" -gt 1000000 ]
    [ "$(value 'jeinit_process_group_rss_bytes{comm="memhog"}')" -gt 1000000 ]
    [ "$(value 'jeinit_process_group_reporting_processes{comm="memhog"}')" -eq 1 ]
    [ "$(value 'jeinit_process_group_processes{comm="jeinit"}')" -eq 1 ]
    [ "$(value jeinit_agents_connected)" -ge 1 ]
    [ "$(value jeinit_cgroup_memory_usage_bytes)" -gt 0 ]
    [ "$(value jeinit_processes)" -ge 2 ]
    [ "$(value jeinit_metrics_scrapes_total)" -ge 1 ]
    # one state of the set is 1
    [ "$(grep -c '^jeinit_diagnosis_state{state="[a-z-]*"} 1$' "$BATS_TEST_TMPDIR/page")" -eq 1 ]
    grep -q '^# TYPE jeinit_cgroup_memory_events_total counter$' "$BATS_TEST_TMPDIR/page"
    # the response itself: type and length as the exposition format asks
    run curl -sS -D - -o /dev/null "http://127.0.0.1:$PORT/metrics"
    [[ "$output" == *"Content-Type: text/plain; version=0.0.4; charset=utf-8"* ]]
    [[ "$output" == *"Content-Length: "* ]]
    wait "$JPID"
    JPID=
    # the log says where to scrape, once, after the start line
    stderr=$(cat "$LOG")
    [ "$(events metrics | wc -l)" -eq 1 ]
    event_last metrics ".address == \"127.0.0.1:$PORT\" and .level == \"info\""
    "$ROOT/tests/schema/validate.py" --strict "$LOG"
}

@test "in a memory cgroup: its limit and usage, and an OOM kill counted" {
    require_promtool
    require_memcg
    [ -x "$MEMHOG" ] || skip "build first: make helpers"
    CG=$(memcg_create 64M)
    # memhog is OOM-killed; the shell lives on for the scrape
    in_memcg "$CG" timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --metrics "127.0.0.1:$PORT" --interval 0.2 -- \
        sh -c "\"$MEMHOG\" oom 200; sleep 30" 2>"$LOG" &
    JPID=$!
    wait_endpoint
    scrape_until jeinit_oom_kills_total 1
    kill -KILL "$JPID"
    wait "$JPID" || true
    JPID=
    promtool check metrics <"$BATS_TEST_TMPDIR/page"
    [ "$(value jeinit_cgroup_memory_limit_bytes)" -eq 67108864 ]
    [ "$(value jeinit_cgroup_memory_ceiling_bytes)" -eq 67108864 ]
    [ "$(value jeinit_cgroup_memory_usage_bytes)" -gt 0 ]
    [ "$(value jeinit_cgroup_memory_usage_bytes)" -le 67108864 ]
    [ "$(value jeinit_oom_kills_total)" -eq 1 ]
    [ "$(value 'jeinit_cgroup_memory_events_total{event="oom_kill"}')" -ge 1 ]
}

@test "a program with an odd name is a safe label value, and many names make at most 17 series" {
    require_promtool
    # 24 names; the largest (python3, through a symlink: comm is the name
    # exec was given) has a quote and a backslash in its comm
    cat >"$BATS_TEST_TMPDIR/many.sh" <<'EOF'
for i in $(seq 1 23); do cp /bin/sleep "$D/sl$i"; "$D/sl$i" 30 & done
ln -s /usr/bin/python3 "$D/q\"b\\c"
"$D/q\"b\\c" -c 'import time; time.sleep(30)' &
wait
EOF
    start_bg --metrics "127.0.0.1:$PORT" --interval 0.2 -- \
        env D="$BATS_TEST_TMPDIR" sh "$BATS_TEST_TMPDIR/many.sh"
    wait_endpoint
    scrape_until jeinit_processes 26
    promtool check metrics <"$BATS_TEST_TMPDIR/page"
    run grep -c '^jeinit_process_group_rss_bytes{' "$BATS_TEST_TMPDIR/page"
    [ "$output" -eq 17 ]
    grep -q '^jeinit_process_group_rss_bytes{comm="other"} [0-9]' "$BATS_TEST_TMPDIR/page"
    # the top 16 and other hold every process
    total=$(awk '/^jeinit_process_group_processes\{/ { n += $2 } END { print n }' "$BATS_TEST_TMPDIR/page")
    [ "$total" -eq "$(value jeinit_processes)" ]
    # the odd name, escaped, never raw
    grep -qF 'jeinit_process_group_rss_bytes{comm="q\"b\\c"} ' "$BATS_TEST_TMPDIR/page"
    run ! grep -q 'comm="q"b' "$BATS_TEST_TMPDIR/page"
}

@test "wrong method, path, garbage and oversize requests get 405, 404, 400 and 431" {
    start_bg --metrics "127.0.0.1:$PORT" --interval 0 -- sleep 30
    wait_endpoint
    run curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics"
    [ "$output" = 405 ]
    run curl -s -D - -o /dev/null -X DELETE "http://127.0.0.1:$PORT/metrics"
    [[ "$output" == *"Allow: GET"* ]]
    run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/etc/passwd"
    [ "$output" = 404 ]
    run curl -s -w '%{http_code}' "http://127.0.0.1:$PORT/"
    [[ "$output" == *"/metrics"*200 ]]
    run bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf 'hello\r\n\r\n' >&3; head -n 1 <&3"
    [[ "$output" == "HTTP/1.1 400 Bad Request"* ]]
    big=$(head -c 6000 /dev/zero | tr '\0' a)
    run curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$PORT/metrics"
    [ "$output" = 431 ]
    # and it still serves, counting what it refused
    scrape
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="method"}')" -eq 2 ]
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="not_found"}')" -eq 1 ]
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="bad_request"}')" -eq 1 ]
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="too_large"}')" -eq 1 ]
    [ "$(value jeinit_monitor_running)" -eq 0 ]
}

@test "slowloris: idle connections block neither scrapes nor the program's signals and exit" {
    cat >"$BATS_TEST_TMPDIR/prog.sh" <<'EOF'
trap 'echo got TERM; exit 7' TERM
while :; do sleep 0.1; done
EOF
    start_bg --metrics "127.0.0.1:$PORT" --interval 0.2 -- sh "$BATS_TEST_TMPDIR/prog.sh"
    wait_endpoint
    # 12 connections that never finish a request (3 times the slots), some
    # with half a request line
    fds=()
    for ((i = 0; i < 12; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        [ $((i % 2)) -eq 0 ] || printf 'GET /metr' >&"$fd"
        fds+=("$fd")
    done
    t0=$(date +%s%N)
    scrape
    [ $(($(date +%s%N) - t0)) -lt 1000000000 ]
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="evicted"}')" -ge 8 ]
    # open them again, and keep them open across the program's signal and exit
    for ((i = 0; i < 6; i++)); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
        fds+=("$fd")
    done
    jeinit=$(jeinit_pid "$JPID")
    t0=$(date +%s%N)
    kill -TERM "$jeinit"
    status=0
    wait "$JPID" || status=$?
    JPID=
    [ "$status" -eq 7 ]
    [ $(($(date +%s%N) - t0)) -lt 3000000000 ]
    grep -q '"event":"exit"' "$LOG"
    for fd in "${fds[@]}"; do exec {fd}>&-; done
}

@test "a slow reader gets the whole page through partial writes, and others are served meanwhile" {
    require_promtool
    # 21 processes with long names: a page of about 11 KB, more than the
    # connection's send buffer (8 KiB) and the client's receive window
    cat >"$BATS_TEST_TMPDIR/many.sh" <<'EOF'
for i in $(seq 10 30); do cp /bin/sleep "$D/abcdefghijkl$i"; "$D/abcdefghijkl$i" 30 & done
wait
EOF
    cat >"$BATS_TEST_TMPDIR/slow.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(1.5)  # not reading: jeinit's send fills up and waits for EPOLLOUT
data = b""
while True:
    b = s.recv(512)
    if not b:
        break
    data += b
    time.sleep(0.002)
head, _, body = data.partition(b"\r\n\r\n")
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
sys.stdout.buffer.write(body)
sys.exit(0 if length == [len(body)] and len(body) > 10000 else 1)
EOF
    start_bg --metrics "127.0.0.1:$PORT" --interval 0.2 -- \
        env D="$BATS_TEST_TMPDIR" sh "$BATS_TEST_TMPDIR/many.sh"
    wait_endpoint
    scrape_until jeinit_processes 23
    /usr/bin/python3 "$BATS_TEST_TMPDIR/slow.py" "$PORT" >"$BATS_TEST_TMPDIR/slow-page" &
    slow=$!
    sleep 0.5
    t0=$(date +%s%N)
    scrape
    [ $(($(date +%s%N) - t0)) -lt 500000000 ]
    wait "$slow"
    promtool check metrics <"$BATS_TEST_TMPDIR/slow-page"
    tail -n 1 "$BATS_TEST_TMPDIR/slow-page" | grep -q '^jeinit_process_group_'
}

@test "an idle connection is closed at its deadline" {
    start_bg --metrics "127.0.0.1:$PORT" --interval 0 -- sleep 30
    wait_endpoint
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'GET /metrics HTTP/1.1\r\n' >&"$fd" # and never the empty line
    t0=$(date +%s)
    # read returns at EOF: jeinit closed it
    timeout 10 cat <&"$fd" >/dev/null
    elapsed=$(($(date +%s) - t0))
    exec {fd}>&-
    [ "$elapsed" -ge 4 ] && [ "$elapsed" -le 7 ]
    scrape
    [ "$(value 'jeinit_metrics_requests_rejected_total{reason="timeout"}')" -eq 1 ]
}

@test "the listening socket is jeinit's alone: the program does not inherit it" {
    cat >"$BATS_TEST_TMPDIR/fds.sh" <<'EOF'
for f in /proc/$$/fd/*; do readlink "$f"; done >"$OUT"
exec sleep 30
EOF
    start_bg --metrics "127.0.0.1:$PORT" --interval 0 -- \
        env OUT="$BATS_TEST_TMPDIR/child-fds" sh "$BATS_TEST_TMPDIR/fds.sh"
    wait_endpoint
    wait_for_line "$BATS_TEST_TMPDIR/child-fds" 5 'pipe\|/dev\|socket'
    # the listening socket's inode, from the kernel's table of TCP sockets
    hexport=$(printf '%04X' "$PORT")
    inode=$(awk -v p=":$hexport" '$2 ~ p"$" && $4 == "0A" { print $10 }' /proc/net/tcp)
    [ -n "$inode" ]
    jeinit=$(jeinit_pid "$JPID")
    # jeinit holds it (so the check below can fail) ...
    ls -l "/proc/$jeinit/fd" | grep -q "socket:\[$inode\]"
    # ... and the program does not
    run ! grep -q "socket:\[$inode\]" "$BATS_TEST_TMPDIR/child-fds"
}

@test "a port already in use: one warning, and the program runs" {
    /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(20)' "$PORT" &
    holder=$!
    for ((i = 0; i < 50; i++)); do
        grep -q ":$(printf '%04X' "$PORT") 00000000:0000 0A" /proc/net/tcp && break
        sleep 0.05
    done
    run --separate-stderr pid1 --log-format json --metrics "127.0.0.1:$PORT" -- sh -c 'echo ran; exit 3'
    kill "$holder"
    wait "$holder" || true
    [ "$status" -eq 3 ]
    [ "$output" = ran ]
    [ "$(events metrics | wc -l)" -eq 1 ]
    event_last metrics '.level == "warn" and (.msg | test("bind on 127.0.0.1:[0-9]+ failed: Address already in use"))'
    # every line of that log is one the schema knows
    printf '%s\n' "$stderr" >"$LOG"
    "$ROOT/tests/schema/validate.py" --strict "$LOG"
}

@test "IPv6 and every address: [::1]:PORT and :PORT" {
    [ -e /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6 || skip "no IPv6 loopback here"
    start_bg --metrics "[::1]:$PORT" --interval 0 -- sleep 30
    wait_endpoint "[::1]:$PORT"
    run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics"
    [ "$output" = 000 ] # ::1 only
    kill -KILL "$JPID"
    wait "$JPID" || true
    PORT=$(free_port)
    start_bg --metrics ":$PORT" --interval 0 -- sleep 30
    wait_endpoint "[::1]:$PORT"
    wait_endpoint "127.0.0.1:$PORT"
}

@test "--metrics is checked: a bad flag stops jeinit, a bad JEINIT_METRICS is a warning" {
    run --separate-stderr "$JEINIT" --metrics localhost:9090 -- true
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"expected ADDR:PORT"* ]]
    JEINIT_METRICS=9090 run --separate-stderr pid1 --log-format json -- sh -c 'echo ran'
    [ "$status" -eq 0 ]
    [ "$output" = ran ]
    [[ "$stderr" == *"ignoring JEINIT_METRICS='9090'"* ]]
    # and from the environment, a good value serves
    JEINIT_METRICS="127.0.0.1:$PORT" start_bg --interval 0 -- sleep 30
    wait_endpoint
}

@test "k8s manifests: scrape annotations, the containerPort and JEINIT_METRICS agree" {
    require_yaml
    n=0
    for f in "$ROOT"/k8s/*.yaml; do
        pod=$(manifest json "$f" | jq -c '.[0].spec.template')
        json_holds "$pod" '.metadata.annotations as $a
            | (.spec.containers[] | select(.name == "app")) as $c
            | ($c.env[] | select(.name == "JEINIT_METRICS") | .value) as $m
            | ($c.ports[] | select(.name == "jeinit-metrics") | .containerPort) as $p
            | $a["prometheus.io/scrape"] == "true" and $a["prometheus.io/path"] == "/metrics"
              and ($a["prometheus.io/port"] | tonumber) == $p and $m == ":\($p)"'
        n=$((n + 1))
    done
    [ "$n" -ge 2 ]
    # the value as written is one jeinit takes (the flag is checked strictly)
    m=$(manifest json "$ROOT/k8s/deployment-baked.yaml" |
        jq -r '.[0].spec.template.spec.containers[0].env[] | select(.name == "JEINIT_METRICS") | .value')
    run --separate-stderr "$JEINIT" --metrics "$m" --help
    [ "$status" -eq 0 ]
}
