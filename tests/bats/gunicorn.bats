#!/usr/bin/env bats
# A real pre-forking server under jeinit: gunicorn (gthread) with the app of
# examples/gunicorn/, loaded by its load.py. Every gunicorn process reports
# its own jemalloc figures, the workers' purging threads run after the fork,
# and SIGTERM to jeinit stops gunicorn gracefully.
load helpers

APP=$ROOT/examples/gunicorn
PY=/usr/bin/python3
GUNICORN=/usr/bin/gunicorn

setup() {
    [ -x "$JEINIT" ] && [ -f "$AGENT" ] || skip "build first: make all"
    require_root
    [ -x "$GUNICORN" ] || skip "no $GUNICORN (apt-get install gunicorn)"
    "$PY" -c 'import flask' 2>/dev/null || skip "$PY cannot import flask (apt-get install python3-flask)"
    ldconfig -p | grep -q 'libjemalloc\.so\.2 ' || skip "no libjemalloc.so.2 (apt-get install libjemalloc2)"
    LOG=$BATS_TEST_TMPDIR/log
    RUNNER= JP=
}

teardown() {
    # PID 1 of the namespace: killing it ends everything gunicorn started
    if [ -n "$JP" ]; then kill -KILL "$JP" 2>/dev/null || true; fi
    if [ -n "$RUNNER" ]; then wait "$RUNNER" 2>/dev/null || true; fi
}

# Waits up to $2 seconds for 200 from http://127.0.0.1:$1/healthz.
wait_healthy() {
    "$PY" - "$1" "$2" <<'EOF'
import http.client, sys, time
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1)
        c.request("GET", "/healthz")
        if c.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}

@test "gunicorn with 2 workers: the workers report jemalloc, SIGTERM stops it cleanly" {
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PORT=$port WEB_CONCURRENCY=2 GUNICORN_THREADS=2 TIMEOUT=50 \
        pid1 --log-format json --interval 0.5 -- \
        "$GUNICORN" -c "$APP/gunicorn.conf.py" --chdir "$APP" app:app 2>"$LOG" &
    RUNNER=$!
    JP=$(jeinit_pid "$RUNNER")
    wait_healthy "$port" 20

    run "$PY" "$APP/load.py" --port "$port" --duration 3 --concurrency 4 --max-kib 64 --json
    [ "$status" -eq 0 ]
    jq -s -e 'length == 1 and (.[0] | .requests > 0 and .errors == 0)' <<<"$output"
    sleep 1.2 # a memory line or two after the load, all workers busy until now

    stderr=$(cat "$LOG")
    master=$(events start | jq -s -r 'last.child_pid')
    [ "$master" -ge 2 ]
    # master and both workers, three distinct processes; the workers, which
    # served the load, each with their own jemalloc figures and background
    # threads (started by their agents after the fork); the master, which has
    # not called malloc since it forked them (CPython's small objects come
    # from its own arenas), is listed from /proc, its agent still asleep
    event_last memory "[.processes[] | select(.comm == \"gunicorn\")] as \$g |
        (\$g | length) == 3 and (\$g | map(.pid) | unique | length) == 3 and
        any(\$g[]; .pid == $master and .rss_bytes > 0) and
        ([\$g[] | select(.pid != $master)] | length == 2 and
            all(.[]; .allocator == \"jemalloc\" and .allocated_bytes > 0 and .rss_bytes > 0 and
                .background_threads >= 1))"

    kill -TERM "$JP"
    status=0
    wait "$RUNNER" || status=$?
    RUNNER= JP=
    stderr=$(cat "$LOG")
    [ "$status" -eq 0 ]
    event_last exit '.code == 0 and .signal == null and .forwarded.SIGTERM == 1'
}
