#!/usr/bin/env bats
# Heap profiles when the heap grows (--heap-profile auto): jemalloc's
# profiling ready at start with sampling off, turned on in the processes
# whose heaps keep growing, two dumps a window apart, and a heap_profile
# line naming the allocation sites that grew, from the mapped objects' own
# symbols. C, C++, a pre-fork server; glibc and a jemalloc built without
# profiling say once why there is no profile; a failure is one warning.
load helpers
load memcg

LEAKER=$BUILD/helpers/leaker
LEAKER_CXX=$BUILD/helpers/leaker_cxx
PROFWATCH=$BUILD/helpers/profwatch
SCHEMA=$ROOT/tests/schema/validate.py

setup() {
    [ -x "$JEINIT" ] && [ -x "$LEAKER" ] && [ -x "$LEAKER_CXX" ] || skip "build first: make all helpers"
    require_memcg
    CG=
    LOG=$BATS_TEST_TMPDIR/log
}

teardown() {
    memcg_remove "$CG"
}

# jeinit as PID 1 in a 1G memory cgroup of its own (its diagnosis is its
# processes', not the machine's), sampling every 0.3 s; log in $LOG and
# $stderr, the program's stdout in $output.
run_profiled() {
    [ -z "$CG" ] || memcg_remove "$CG"
    CG=$(memcg_create 1G)
    status=0
    in_memcg "$CG" timeout -k 5 90 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.3 "$@" >"$LOG.out" 2>"$LOG" || status=$?
    output=$(cat "$LOG.out")
    stderr=$(cat "$LOG")
}

# The heap_profile lines with sites (level info).
profiles() {
    events heap_profile | jq -c 'select(.level == "info")'
}

@test "a C leak: the heap_profile line names the leaking function first, not the steady allocator beside it" {
    run_profiled -- "$LEAKER" 10 8
    [ "$status" -eq 0 ]
    [[ "$output" == "leaker: kept "* ]]
    event_any start '.allocator.heap_profile | startswith("ready")'
    event_any start '.allocator.malloc_conf | test("prof:true,prof_active:false")'
    # it followed the diagnosis: heap-growth in a memory line before it
    events memory | jq -s -e 'any(.[]; .diagnosis.state == "heap-growth")' >/dev/null
    [ "$(profiles | wc -l)" -eq 1 ]
    profiles | jq -e '.pid == 2 and .comm == "leaker" and .sites[0].fn == "leak_into_the_distinctive_sink"
        and .sites[0].module == "leaker" and (.sites[0].addr | test("^0x[0-9a-f]+$"))
        and .sites[0].bytes > 1048576 and .grown_bytes >= .sites[0].bytes and .sample_period == 1048576
        and (.dumps | test("^/(tmp|dev/shm)/jeinit-heap\\.[A-Za-z0-9]{6}/2$"))
        and all(.sites[]; .fn != "steady_churn_elsewhere")' >/dev/null
    # the line came after a heap-growth line (the diagnosis it followed)
    printf '%s\n' "$stderr" | jq -R -s -e 'split("\n") | map(fromjson? // empty)
        | (map(.event == "heap_profile" and .level == "info") | index(true)) as $p
        | ($p != null) and any(.[:$p][]; .event == "memory" and .diagnosis.state == "heap-growth")' >/dev/null
    "$SCHEMA" --strict "$LOG"
    # the analysis child is jeinit's own: not counted among the reaped
    event_any exit '.reaped == 0'
    # jeinit's private directory is gone with it
    dir=$(profiles | jq -r '.dumps')
    [ ! -e "${dir%/*}" ]
}

@test "the dumps are jemalloc's own: jeprof reads them while the program runs, and names the same function" {
    command -v jeprof >/dev/null || skip "jeprof not installed (libjemalloc-dev)"
    CG=$(memcg_create 1G)
    in_memcg "$CG" timeout -k 5 90 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.3 -- "$LEAKER" 20 8 >"$LOG.out" 2>"$LOG" &
    wait_for_line "$LOG" 30 '"event":"heap_profile"'
    dir=$(grep '"event":"heap_profile"' "$LOG" | jq -r .dumps)
    [ -f "$dir/1.heap" ] && [ -f "$dir/2.heap" ]
    [ "$(stat -c %a "$dir")" = 700 ]
    [ "$(stat -c %a "${dir%/*}")" = 711 ]
    run jeprof --text --base="$dir/1.heap" "$LEAKER" "$dir/2.heap"
    echo "$output" | grep -m1 -E '^ +[0-9.]+ +[0-9.]+%' | grep -q leak_into_the_distinctive_sink
    wait
    [ ! -e "$dir" ]
}

# Succeeds when $1 (profwatch's output) shows sampling turned off after it
# was turned on.
sampling_went_off() {
    awk '/^prof.active 1/ {on = 1} on && /^prof.active 0/ {off = 1} END {exit !off}' "$1"
}

@test "sampling is on only for the profile: prof.active 1, then 0 again within a few windows" {
    run_profiled -- "$PROFWATCH" 8 8
    [ "$status" -eq 0 ]
    grep -q '^prof.active 0 at 0' <<<"$output"
    sampling_went_off <(echo "$output")
    on=$(sed -n 's/^prof.active 1 at //p' <<<"$output")
    off=$(sed -n 's/^prof.active 0 at //p' <<<"$output" | tail -n 1)
    # on, a window (1 s here), dump, a window, dump and off: well within 6 s
    awk -v on="$on" -v off="$off" 'BEGIN {exit !(off > on && off - on < 6)}'
    [ "$(profiles | wc -l)" -eq 1 ]
}

@test "sampling goes off by itself when jeinit stops answering (the agent's own deadline)" {
    [ -x "$PROFWATCH" ] || skip "build first: make helpers"
    CG=$(memcg_create 1G)
    out=$BATS_TEST_TMPDIR/out
    in_memcg "$CG" timeout -k 5 90 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.3 -- "$PROFWATCH" 30 4 >"$out" 2>"$LOG" &
    runner=$!
    wait_for_line "$out" 20 '^prof.active 1'
    jp=$(jeinit_pid "$runner")
    kill -STOP "$jp"
    # PROF_ON's limit: 4 windows + 10 s = 14 s here
    for _ in $(seq 250); do sampling_went_off "$out" && break; sleep 0.1; done
    kill -CONT "$jp"
    wait "$runner" || true
    sampling_went_off "$out"
    on=$(sed -n 's/^prof.active 1 at //p' "$out")
    off=$(sed -n 's/^prof.active 0 at //p' "$out" | tail -n 1)
    # by the agent's deadline, not by jeinit (which was stopped)
    awk -v on="$on" -v off="$off" 'BEGIN {exit !(off - on > 12 && off - on < 17)}'
}

@test "a C++ leak behind operator new: the member function is named (mangled), operator new skipped" {
    run_profiled -- "$LEAKER_CXX" 10 8
    [ "$status" -eq 0 ]
    [ "$(profiles | wc -l)" -eq 1 ]
    profiles | jq -e '(.sites[0].fn | test("SessionCache.*remember_forever_distinctive"))
        and all(.sites[]; (.fn // "") | test("^_Zn[wa]") | not)
        and all(.sites[]; (.fn // "") | test("steady_churn") | not)' >/dev/null
    "$SCHEMA" --strict "$LOG"
}

@test "a pre-fork server: each leaking worker is profiled as itself, the idle master is not" {
    run_profiled -- "$LEAKER" 10 8 3
    [ "$status" -eq 0 ]
    [ "$output" = "leaker: 3 workers done" ]
    [ "$(profiles | jq -s 'map(.pid) | unique | length')" -eq 3 ]
    profiles | jq -s -e 'all(.[]; .pid != 2 and .sites[0].fn == "leak_into_the_distinctive_sink")
        and (map(.dumps) | unique | length == 3)' >/dev/null
    "$SCHEMA" --strict "$LOG"
}

@test "a process that dropped its ids (setpriv to nobody) is profiled as itself" {
    command -v setpriv >/dev/null || skip "no setpriv"
    require_build_reachable_by_nobody
    # its own directory is chowned to it, and the analysis reads its dumps
    # and its executable with its ids: the executable where nobody can read it
    bin=$(mktemp -d /tmp/jeinit-heapprof-test.XXXXXX)
    chmod 755 "$bin" && cp "$LEAKER" "$bin/leaker" && chmod 755 "$bin/leaker"
    run_profiled -- setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/leaker" 8 8
    rm -rf "$bin"
    [ "$status" -eq 0 ]
    [ "$(profiles | wc -l)" -eq 1 ]
    profiles | jq -e '.sites[0].fn == "leak_into_the_distinctive_sink"' >/dev/null
}

@test "glibc malloc: the start line and one warning say why there is no heap profile" {
    run_profiled --jemalloc off -- "$LEAKER" 6 8
    [ "$status" -eq 0 ]
    event_any start '.allocator.heap_profile == "unavailable: the program does not run on jemalloc"'
    [ "$(events heap_profile | wc -l)" -eq 1 ]
    events heap_profile | jq -e '.level == "warn" and (.msg | test("heap keeps growing; heap profiles: unavailable: the program does not run on jemalloc"))' >/dev/null
    "$SCHEMA" --strict "$LOG"
}

@test "a jemalloc built without profiling: no prof in MALLOC_CONF, nothing on the program's stderr, one warning" {
    lib=$("$ROOT/tests/helpers/jemalloc-noprof.sh") || skip "no jemalloc source to build one without profiling"
    # the program's stderr apart from jeinit's log: jemalloc would print there
    run_profiled --jemalloc "$lib" -- sh -c "\"$LEAKER\" 6 8 2>$BATS_TEST_TMPDIR/prog.err"
    [ "$status" -eq 0 ]
    [ ! -s "$BATS_TEST_TMPDIR/prog.err" ]
    ! grep -q "Invalid conf" "$LOG"
    event_any start '(.allocator.malloc_conf | test("prof") | not)
        and .allocator.heap_profile == "unavailable: this jemalloc is built without profiling"'
    [ "$(events heap_profile | wc -l)" -eq 1 ]
    events heap_profile | jq -e '.level == "warn"' >/dev/null
}

@test "Debian's libjemalloc2 (1,280 profiling locks, every fork would take them): auto leaves prof off and says why; on profiles with it" {
    local deb=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
    [ -r "$deb" ] || skip "Debian's libjemalloc2 is not installed"
    run_profiled --jemalloc "$deb" -- "$LEAKER" 6 8
    [ "$status" -eq 0 ]
    event_any start '(.allocator.malloc_conf | test("prof") | not)
        and (.allocator.heap_profile | startswith("off: this jemalloc is not jeinit'"'"'s"))'
    [ "$(events heap_profile | jq -s 'map(select(.level == "info")) | length')" -eq 0 ]
    run_profiled --jemalloc "$deb" --heap-profile on -- "$LEAKER" 8 8
    [ "$status" -eq 0 ]
    event_any start '(.allocator.malloc_conf | test("prof:true,prof_active:false"))
        and .allocator.heap_profile == "ready (prof:true, prof_active:false)"'
    profiles | head -n1 | jq -e '.sites[0].fn == "leak_into_the_distinctive_sink"' >/dev/null
}

@test "--heap-profile off: no prof in MALLOC_CONF, no heap_profile line; the user's prof:false wins too" {
    run_profiled --heap-profile off -- "$LEAKER" 5 8
    [ "$status" -eq 0 ]
    event_any start '(.allocator.malloc_conf | test("prof") | not) and .allocator.heap_profile == "off (--heap-profile off)"'
    [ "$(events heap_profile | wc -l)" -eq 0 ]
    MALLOC_CONF=prof:false run_profiled -- "$LEAKER" 5 8
    [ "$status" -eq 0 ]
    event_any start '(.allocator.malloc_conf | test("prof:false")) and (.allocator.heap_profile | startswith("off: MALLOC_CONF"))'
    [ "$(profiles | wc -l)" -eq 0 ]
}

@test "a failure (the dumps removed under jeinit) is one warning, and that process is not profiled again" {
    # a program that deletes the leaker's dumps as they land in jeinit's
    # directory (its subdirectory is the leaker's pid): the analysis finds no
    # dump. No tmpfs over /tmp: a checkout under /tmp would vanish with it.
    run_profiled -- sh -c "\"$LEAKER\" 14 8 & p=\$!; while kill -0 \$p 2>/dev/null; do
        rm -f /tmp/jeinit-heap.*/\$p/*.heap /dev/shm/jeinit-heap.*/\$p/*.heap; sleep 0.05; done"
    [ "$status" -eq 0 ]
    [ "$(profiles | wc -l)" -eq 0 ]
    [ "$(events heap_profile | wc -l)" -eq 1 ]
    events heap_profile | jq -e '.level == "warn" and (.msg | test("abandoned: .*dump .* is missing.*no more profiling of that process"))' >/dev/null
    # the program never noticed
    [[ "$output" == "leaker: kept "* ]]
}
