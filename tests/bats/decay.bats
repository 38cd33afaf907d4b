#!/usr/bin/env bats
# The agent steers jemalloc's dirty decay in each process: long while it
# allocates hard, one purge and the short decay when it stops; never over the
# user's or the program's own decay.
load helpers

MEMHOG=$BUILD/helpers/memhog

setup() {
    [ -x "$JEINIT" ] && [ -f "$AGENT" ] && [ -x "$MEMHOG" ] || skip "build first: make all helpers"
    require_root
    # a driver that reads the program's RSS from outside once its load is over
    DRIVER='
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True, close_fds=False)
print(p.stdout.readline().strip(), flush=True)
t0 = time.monotonic()
rss = lambda: int(open(f"/proc/{p.pid}/statm").read().split()[1]) * 4096 >> 20
r0, low = rss(), None
while time.monotonic() - t0 < 1.5:
    if rss() < 24:
        low = time.monotonic() - t0
        break
    time.sleep(0.02)
print(f"rss {r0} MiB at the end of the load, {rss()} MiB", "below 24 MiB after %.2f s" % low if low is not None else "after 1.5 s", flush=True)
print(p.stdout.readline().strip(), flush=True)
sys.exit(p.wait())'
}

memhog_lines() { # the memory lines' entries for memhog, one JSON object each
    events memory | jq -c '.processes[]? | select(.comm == "memhog")'
}

@test "a process allocating hard gets the long decay; when it stops, one purge returns its pages at once" {
    run --separate-stderr pid1 --log-format json --interval 0.5 -- python3 -c "$DRIVER" "$MEMHOG" load 3 64 2
    [ "$status" -eq 0 ]
    event_last start '.allocator.decay | startswith("steered by the agent: 10000 ms while a process allocates hard, then a purge and ")'
    # the program itself saw its arena's decay long during the load, short after
    short=$(events start | jq -r '.allocator.malloc_conf' | grep -o 'dirty_decay_ms:[0-9]*' | cut -d: -f2)
    [[ ${lines[0]} == "load done: "*", decay 10000" ]]
    [ "${lines[2]}" = "idle done: decay $short" ]
    # outside, its RSS fell under 24 MiB within 1.5 s, which the same short decay
    # set by the user does not do (the next test)
    [[ ${lines[1]} == *"below 24 MiB after "* ]]
    # and the memory lines say what the steering did
    memhog_lines | jq -s -e 'any(.[]; .decay == "long")'
    memhog_lines | jq -s -e 'last | .decay == "short" and .decay_purges == 1 and .decay_purged_bytes > 32 * 1048576'
    assert_json_log
}

@test "the user's decay is never steered: its pages decay on the user's schedule" {
    MALLOC_CONF=dirty_decay_ms:5000 run --separate-stderr pid1 --log-format json --interval 0.5 -- \
        python3 -c "$DRIVER" "$MEMHOG" load 3 64 2
    [ "$status" -eq 0 ]
    event_last start '.allocator.decay == "off: MALLOC_CONF sets dirty_decay_ms (the user'"'"'s wins)"'
    [ "${lines[0]}" = "${lines[0]%, decay *}, decay 5000" ]
    [[ ${lines[1]} == *"after 1.5 s" ]]
    [ "${lines[2]}" = "idle done: decay 5000" ]
    memhog_lines | jq -s -e 'length > 0 and all(.[]; has("decay") | not)'
}

@test "a program that sets its own decay is left alone, and the line says so" {
    run --separate-stderr pid1 --log-format json --interval 0.5 -- "$MEMHOG" load 3 32 1 200
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "load done: "*", decay 200" ]]
    [ "${lines[1]}" = "idle done: decay 200" ]
    memhog_lines | jq -s -e 'length > 0 and all(.[]; .decay == "program" and .decay_purges == 0)'
}

@test "pre-forked workers each steer themselves" {
    # the workers are forks of one python3 (no exec): each has its own agent
    run --separate-stderr pid1 --log-format json --interval 0.5 -- python3 -c '
import os, random, time
pids = []
for i in range(2):
    pid = os.fork()
    if pid == 0:
        blocks, t0 = [bytearray(8192)] * 512, time.monotonic()
        while time.monotonic() - t0 < 3:
            for _ in range(1000):
                blocks[random.randrange(512)] = bytearray(random.randrange(8192, 139264))
        blocks = None
        time.sleep(2)
        os._exit(0)
    pids.append(pid)
print(" ".join(map(str, pids)), flush=True)
for p in pids:
    os.waitpid(p, 0)'
    [ "$status" -eq 0 ]
    for pid in ${lines[0]}; do
        events memory | jq -s -e --argjson p "$pid" '[.[].processes[]? | select(.pid == $p)] | any(.[]; .decay == "long") and (last | .decay == "short" and .decay_purges == 1)'
    done
}

@test "not steered: the memory profile, glibc, and no agent say why at start" {
    run --separate-stderr pid1 --log-format json --profile memory -- true
    event_last start '.allocator.decay == "off: the memory profile keeps its short decay under load too"'
    run --separate-stderr pid1 --log-format json --jemalloc off -- true
    event_last start '.allocator.decay == "off: the program does not run on jemalloc"'
    run --separate-stderr pid1 --log-format json --no-agent -- true
    event_last start '.allocator.decay == "off: no agent to steer it"'
    # steering is jeinit's word to the agent: nothing in the program's environment otherwise
    run --separate-stderr pid1 --log-format json --profile memory -- sh -c 'echo "${JEINIT_AGENT_DECAY-unset}"'
    [ "$output" = unset ]
    run --separate-stderr pid1 --log-format json -- sh -c 'echo "$JEINIT_AGENT_DECAY"'
    [[ $output =~ ^[0-9]+:10000$ ]]
}

@test "when jeinit is gone mid-load, the agent puts the short decay back and steers no more" {
    # jeinit not PID 1 here: killed, its program lives on under the shell
    run --separate-stderr timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child sh -c '
"$1" --log-format json --interval 0.5 -- "$2" load 4 32 1 2>/dev/null & j=$!
sleep 2.5
kill -KILL $j
wait
while pgrep -x memhog >/dev/null; do sleep 0.1; done' sh "$JEINIT" "$MEMHOG"
    [ "$status" -eq 0 ]
    # the load was long when jeinit died; the rest of it ran on the short decay
    short=$(env -u MALLOC_CONF "$JEINIT" --inspect --log-format json | jq -r '.allocator.malloc_conf' |
        grep -o 'dirty_decay_ms:[0-9]*' | cut -d: -f2)
    [ -n "$short" ]
    [ "${lines[0]}" = "${lines[0]%, decay *}, decay $short" ]
    [ "${lines[1]}" = "idle done: decay $short" ]
}
