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

@test "the agent sleeps until the process has lived: no thread before, one after it allocates" {
    # --interval 0.6: the agent wakes 300 ms into a process's life, on an allocation
    run --separate-stderr pid1 --log-format json --interval 0.6 -- python3 -c '
import os, time
def threads():
    return sorted(open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task"))
maps = open("/proc/self/maps").read()
print("jemalloc" in maps and "libjeinit-agent" in maps)
print(threads())            # just started
time.sleep(0.5)
x = [bytearray(4096) for _ in range(1000)]  # above pymalloc: through malloc
time.sleep(0.3)
print(threads())'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = True ]
    [ "${lines[1]}" = "['python3']" ]
    [ "${lines[2]}" = "['jeinit-agent', 'jemalloc_bg_thd', 'python3']" ]
    event_last start '.allocator.agent | endswith("libjeinit-agent.so")'
    # background threads come from the agent, not from MALLOC_CONF
    event_last start '.allocator.malloc_conf | contains("background_thread:true") | not'
}

@test "a short-lived process gets nothing: no thread, no socket, no registration" {
    # each python3 lives well under the 150 ms after which its agent may wake
    run --separate-stderr pid1 --log-format json --interval 0.3 -- sh -c \
        'for i in $(seq 30); do python3 -c "import os; x = [bytearray(4096) for _ in range(2000)]; print(len(os.listdir(\"/proc/self/task\")), len(os.listdir(\"/proc/self/fd\")))"; done | sort | uniq -c'
    [ "$status" -eq 0 ]
    # one thread each, and two descriptors more than without jeinit: the inherited channel and the agent's copy of it
    plain=$(python3 -c 'import os; print(len(os.listdir("/proc/self/fd")))')
    [ "$(awk '{print $1, $2, $3}' <<<"$output")" = "30 1 $((plain + 2))" ]
    [ "$(events memory | jq -s '[.[].processes[]? | select(.comm == "python3" and .allocator != null)] | length')" = 0 ]
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
    # the last memory line with the three serving workers reporting; the master,
    # which has allocated nothing since it forked them, is listed from /proc alone
    events memory | jq -s -e '
        map(select([.processes[] | select(.comm == "python3" and .allocator == "jemalloc" and (.stale | not))] | length >= 3))
        | (length > 0) and (last | . as $m | [$m.processes[] | select(.comm == "python3" and .allocator == "jemalloc")] as $p
            | (($p | map(.pid) | unique | length) == 3)
              and (($p | map(.allocated_bytes) | unique | length) == 3)
              and all($p[]; .background_threads >= 1)
              and any($m.processes[]; .pid == 2 and .allocator == null and .rss_bytes > 0))' >/dev/null
}

@test "children forked by a process whose agent is awake run, and register as themselves" {
    # The parent's agent has woken and taken its hook out: each child puts a
    # hook back from its fork handler, which must run after jemalloc's has
    # reset the locks fork copied (a child of a wrong order hangs at once).
    TIMEOUT=60 run --separate-stderr pid1 --log-format json --interval 0.4 -- python3 -c '
import os, time
def threads():
    return len(os.listdir("/proc/self/task"))
time.sleep(0.4)
x = [bytearray(4096) for _ in range(1000)]
time.sleep(0.4)
print("parent threads", threads())
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.4)
        y = [bytearray(4096) for _ in range(1000 + 500 * i)]
        time.sleep(1.5)
        os._exit(0)
    kids.append(pid)
for k in kids:
    os.waitpid(k, 0)
for i in range(50):   # and children that exec at once, as a shell makes them
    if os.fork() == 0:
        os.execv("/bin/true", ["true"])
    os.wait()
print("done")'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "parent threads 3" ]
    [ "${lines[1]}" = done ]
    events memory | jq -s -e '
        [.[].processes[] | select(.comm == "python3" and .allocator == "jemalloc") | .pid]
        | unique | length >= 4' >/dev/null
}

@test "a process that only frees after the delay wakes its agent: what its allocator kept is shown" {
    # memhog hold: 40 MiB at start (under the 64 MiB that wake the agent at
    # once), freed 1.2 s later, nothing allocated after the start. The free
    # is its last word: before the deallocation hook it was never reported.
    run --separate-stderr pid1 --log-format json --interval 0.6 -- "$MEMHOG" hold 1.2 3 40
    [ "$status" -eq 0 ]
    [ "$output" = freed ]
    events memory | jq -s -e '
        [.[].processes[] | select(.comm == "memhog" and .allocator == "jemalloc")]
        | (length > 0) and any(.[]; .held_bytes >= 8 * 1048576)' >/dev/null
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

@test "privilege-dropping entrypoints run as PID 1 under the defaults: setpriv, runuser, keepcaps then uid then gid" {
    # each drops its ids within milliseconds of its exec, before the agent or
    # jemalloc's background threads exist (a thread without the caller's
    # per-thread keepcaps makes glibc abort the set*id: exit 134 before)
    require_build_reachable_by_nobody
    run --separate-stderr pid1 -- "$BUILD/helpers/dropids"
    [ "$status" -eq 0 ]
    [ "$output" = "uid 65534 65534 65534 gid 65534 65534 65534" ]
    run --separate-stderr pid1 -- setpriv --reuid=65534 --regid=65534 --clear-groups id -u
    [ "$status" -eq 0 ]
    [ "$output" = 65534 ]
    run --separate-stderr pid1 -- runuser -u nobody -- id -u
    [ "$status" -eq 0 ]
    [ "$output" = 65534 ]
    # and the dropped program is still tuned and loaded as any other
    run --separate-stderr pid1 -- setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'grep -c libjemalloc /proc/$$/maps; grep -c libjeinit-agent /proc/$$/maps'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" -ge 1 ] && [ "${lines[1]}" -ge 1 ]
}

@test "a dropped program's agent still registers once it has lived" {
    require_build_reachable_by_nobody
    run --separate-stderr pid1 --log-format json --interval 0.3 -- setpriv --reuid=65534 --regid=65534 --clear-groups \
        /usr/bin/python3 -c 'import time; t = time.time(); x = []
while time.time() - t < 1.2: x.append(bytearray(4096)); time.sleep(0.01)'
    [ "$status" -eq 0 ]
    events memory | jq -s -e 'map(select(any(.processes[]; .comm == "python3" and .allocator == "jemalloc"))) | length >= 1' >/dev/null
}

@test "the agent and jeinit's own jemalloc need libc.so.6 alone, and glibc 2.34 at most (the floor README states)" {
    for lib in "$AGENT" "$BUILD/libjemalloc.so.2"; do
        [ -f "$lib" ]
        needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
        [ "$needed" = "libc.so.6 " ]
        top=$(readelf -V "$lib" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/Name: GLIBC_//' | sort -V | tail -n1)
        echo "$lib: GLIBC_$top" >&3
        [ "$(printf '%s\n' "$top" 2.34 | sort -V | tail -n1)" = 2.34 ]
    done
}

@test "jeinit prefers its own jemalloc: the program maps it, and no C++ runtime, libm or libgcc_s with it" {
    run --separate-stderr pid1 --log-format json -- /bin/cat /proc/self/maps
    [ "$status" -eq 0 ]
    [[ $output == *"$BUILD/libjemalloc.so.2"* ]]
    [[ $output != *libstdc++* && $output != *libgcc_s* && $output != *libm.so* ]]
    event_last start ".allocator.path == \"$BUILD/libjemalloc.so.2\" and .allocator.found_by == \"next to jeinit\""
    event_last start '.allocator.version == "5.3.0"'
}

@test "the agent in the user's LD_PRELOAD is not taken for the user's own allocator (it defines malloc)" {
    LD_PRELOAD=$AGENT run --separate-stderr "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    json_holds "$output" '.allocator.kind == "jemalloc"'
}
