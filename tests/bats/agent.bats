#!/usr/bin/env bats
# libjeinit-agent.so inside the program's processes: it reports, it follows
# forks and execs, and it never disturbs the program, whatever the program or
# jeinit does.
load helpers

MEMHOG=$BUILD/helpers/memhog

setup() {
    [ -x "$JEINIT" ] && [ -f "$AGENT" ] && [ -x "$MEMHOG" ] || skip "build first: make all helpers"
    require_root
    LOG=$BATS_TEST_TMPDIR/log
}

@test "the program runs with jemalloc and the agent loaded, the agent in its own thread" {
    run --separate-stderr pid1 --log-format json -- sh -c \
        'sleep 0.3; grep -c libjemalloc /proc/$$/maps; grep -c libjeinit-agent /proc/$$/maps; cat /proc/$$/task/*/comm'
    [ "$status" -eq 0 ]
    [ "$(sed -n 1p <<<"$output")" -ge 1 ]
    [ "$(sed -n 2p <<<"$output")" -ge 1 ]
    grep -qx jeinit-agent <<<"$output"
    event_last start '.allocator.agent | endswith("libjeinit-agent.so")'
}

@test "without jeinit the agent does nothing: no thread, no output, same result" {
    script='import os, time; time.sleep(0.3); print(sorted(open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")))'
    plain=$(python3 -c "$script" 2>&1)
    run --separate-stderr env LD_PRELOAD="$AGENT" python3 -c "$script"
    [ "$status" -eq 0 ]
    [ "$output" = "$plain" ]
    [ -z "$stderr" ]
    [[ $output != *jeinit-agent* ]]
    # a descriptor that is not jeinit's channel: stdout, then a datagram socket of someone else's
    run --separate-stderr env LD_PRELOAD="$AGENT" JEINIT_AGENT_FD=1 JEINIT_AGENT_PID=1 python3 -c "$script"
    [ "$output" = "$plain" ]
    [ -z "$stderr" ]
    run --separate-stderr python3 -c '
import os, socket, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
env = dict(os.environ, LD_PRELOAD=sys.argv[1], JEINIT_AGENT_FD=str(b.fileno()), JEINIT_AGENT_PID=str(os.getpid() + 12345))
subprocess.run([sys.executable, "-c", sys.argv[2]], env=env, pass_fds=[b.fileno()], check=True)' "$AGENT" "$script"
    [[ $output != *jeinit-agent* ]]
    [ -z "$stderr" ]
}

@test "a pre-fork server: one entry per worker, each its own pid and heap, background threads back" {
    TIMEOUT=60 run --separate-stderr pid1 --log-format json --interval 0.5 -- python3 "$ROOT/tests/helpers/prefork.py" 3 3
    [ "$status" -eq 0 ]
    # the last memory line with all four python processes (master + 3 workers)
    events memory | jq -s -e '
        map(select([.processes[] | select(.comm == "python3" and .allocator == "jemalloc" and (.stale | not))] | length >= 4))
        | (length > 0) and (last | [.processes[] | select(.comm == "python3")] as $p
            | ($p | map(.pid) | unique | length) == ($p | length)
            | . and ($p | map(.allocated_bytes) | unique | length) >= 4
            | . and all($p[]; .background_threads >= 1))' >/dev/null
}

@test "a process that closes every descriptor and reuses the agent's numbers is never touched" {
    run --separate-stderr pid1 --log-format json --interval 0.2 -- "$MEMHOG" fdchaos 3
    [ "$status" -eq 0 ]
    [ "$output" = "fdchaos clean" ]
    # it was reporting before, and jeinit kept sampling after
    events memory | jq -s -e 'map(select(any(.processes[]; .comm == "memhog" and .allocator == "jemalloc"))) | length >= 1' >/dev/null
    [ "$(events memory | wc -l)" -ge 10 ]
}

@test "an exec'd program registers again under the same pid" {
    run --separate-stderr pid1 --log-format json --interval 0.3 -- sh -c 'sleep 0.7; exec '"$MEMHOG"' leak 1.5 5'
    [ "$status" -eq 0 ]
    events memory | jq -s -e 'map(select(any(.processes[]; .pid == 2 and .comm == "memhog" and .allocator == "jemalloc" and (.stale | not)))) | length >= 1' >/dev/null
}

@test "--no-agent and JEINIT_AGENT=0 leave the agent out; memory lines go on" {
    for how in "--no-agent" "JEINIT_AGENT=0"; do
        if [ "$how" = --no-agent ]; then
            run --separate-stderr pid1 --log-format json --interval 0.3 --no-agent -- sh -c 'sleep 0.8; grep -c libjeinit-agent /proc/$$/maps || true'
        else
            JEINIT_AGENT=0 run --separate-stderr pid1 --log-format json --interval 0.3 -- sh -c 'sleep 0.8; grep -c libjeinit-agent /proc/$$/maps || true'
        fi
        [ "$status" -eq 0 ]
        [ "$output" = 0 ]
        event_last start '.allocator.agent == null'
        event_last memory '.totals.reporting == 0 and (.processes | length) >= 2'
    done
}

@test "jeinit stopped: forking processes still run and finish; jeinit picks up after" {
    done_file=$BATS_TEST_TMPDIR/done
    pid1 --log-format json --interval 0.2 -- python3 -c '
import os, sys, time
time.sleep(1.0)
t = time.time()
for i in range(200):
    pid = os.fork()
    if pid == 0:
        x = [bytearray(1000) for _ in range(100)]
        time.sleep(0.15)
        os._exit(0)
    os.waitpid(pid, 0) if i % 20 == 19 else None
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
open(sys.argv[1], "w").write("%.2f" % (time.time() - t))
time.sleep(1.0)' "$done_file" 2>"$LOG" &
    runner=$!
    jp=$(jeinit_pid "$runner")
    sleep 0.5
    kill -STOP "$jp"
    for _ in $(seq 200); do [ -s "$done_file" ] && break; sleep 0.1; done
    kill -CONT "$jp"
    wait "$runner"
    [ -s "$done_file" ]
    stderr=$(cat "$LOG")
    event_last exit '.code == 0'
}

@test "junk, forged hellos and descriptor floods on the channel cost jeinit nothing" {
    TIMEOUT=60 run --separate-stderr pid1 --log-format json --interval 0.3 -- sh -c \
        'python3 '"$ROOT"'/tests/helpers/flood.py 4000 1.5 & p=$!; sleep 1.2; ls /proc/1/fd | wc -l; wait $p'
    [ "$status" -eq 0 ]
    [[ $output == *"flood sent"* ]]
    fds=$(grep -E '^[0-9]+$' <<<"$output" | head -n1)
    [ "$fds" -lt 40 ]
    event_last memory '.totals.processes >= 2'
    event_last exit '.code == 0'
}
