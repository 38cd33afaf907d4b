#!/usr/bin/env bats
# jeinit locks its own pages in memory (memlock.c), so that reclaim in its
# cgroup cannot slow PID 1 down; with too low an RLIMIT_MEMLOCK it says so
# once and runs unlocked. Containers do not have CAP_IPC_LOCK (which lifts the
# limit): these tests drop it, and set RLIMIT_MEMLOCK with prlimit.
load helpers

SCHEMA=$ROOT/tests/schema/validate.py
# VmLck measured while supervising sleep: 2932 KiB dynamic (jeinit, libc and
# ld.so whole, and the resident anonymous pages, among them the monitor's
# tables and the log's held queue, touched at the start), 1772 KiB static. Where
# transparent huge pages are "always", 2 MiB pages back the touched parts of
# the bss: about 4 MiB more (the v2 VM: 5376 KiB static, 6528 KiB dynamic).
BUDGET_DYNAMIC=$((3584 * 1024))
BUDGET_STATIC=$((2 * 1024 * 1024))
if grep -qs '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled; then
    BUDGET_DYNAMIC=$((BUDGET_DYNAMIC + 4 * 1024 * 1024))
    BUDGET_STATIC=$((BUDGET_STATIC + 4 * 1024 * 1024))
fi

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
    require_root
    command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
        skip "needs setpriv and prlimit (util-linux)"
    LOG=$BATS_TEST_TMPDIR/log
    BG= JPID=
}

teardown() {
    if [ -n "$BG" ]; then
        [ -z "$JPID" ] || kill -KILL "$JPID" 2>/dev/null || true
        wait "$BG" 2>/dev/null || true
    fi
}

# Runs as a container would: RLIMIT_MEMLOCK $1 (soft:hard, bytes), no
# CAP_IPC_LOCK; jeinit is PID 1 with the remaining arguments.
container_pid1() {
    local lim=$1
    shift
    timeout -k 5 "${TIMEOUT:-60}" prlimit --memlock="$lim" \
        setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock \
        unshare --pid --fork --mount-proc --kill-child "$JEINIT" --log-format json "$@"
}

# container_pid1 in the background over `sleep 60`, until its start line is
# out: BG (to wait for), JPID (jeinit's host pid), stderr (the log so far).
start_bg() {
    container_pid1 "$@" -- sleep 60 2>"$LOG" 3>&- &
    BG=$!
    wait_for_line "$LOG" 10 '"event":"start"'
    JPID=$(jeinit_pid "$BG")
    stderr=$(cat "$LOG")
}

stop_bg() {
    kill -TERM "$JPID"
    wait "$BG" || true
    BG=
    stderr=$(cat "$LOG")
}

vmlck_bytes() {
    awk '/^VmLck:/ { print $2 * 1024 }' "/proc/$1/status"
}

@test "under the default 8 MiB RLIMIT_MEMLOCK, without CAP_IPC_LOCK, jeinit is locked within its budget" {
    local bin budget vmlck
    for bin in dynamic static; do
        if [ $bin = static ]; then
            [ -x "$BUILD/static/jeinit" ] || continue
            JEINIT=$BUILD/static/jeinit
            budget=$BUDGET_STATIC
        else
            budget=$BUDGET_DYNAMIC
        fi
        start_bg 8388608:8388608
        vmlck=$(vmlck_bytes "$JPID")
        echo "$bin: VmLck $vmlck" >&2
        event_last start ".memory_locked | .locked and .how == \"mlock2 onfault\" and
            .bytes == $vmlck and .bytes > 0 and .bytes <= $budget and .need_bytes > 0 and
            .limit_bytes == 8388608 and (.raised | not) and .reason == null"
        [ "$(events memlock | wc -l)" -eq 0 ]
        stop_bg
        "$SCHEMA" --strict "$LOG"
    done
}

@test "ulimit -l 0: the program runs, one warning, and the start line says not locked and why" {
    run --separate-stderr container_pid1 0:0 -- sh -c 'echo ran; exit 3'
    [ "$status" -eq 3 ]
    [ "$output" = ran ]
    [ "$(events memlock | wc -l)" -eq 1 ]
    event_last memlock '.level == "warn" and (.msg | test("cannot lock jeinit in memory: RLIMIT_MEMLOCK 0 KiB \\(hard 0 KiB\\) is below the [0-9]+ KiB to lock"))'
    event_last start '.memory_locked | (.locked | not) and .bytes == 0 and .limit_bytes == 0 and
        .need_bytes > 0 and .how == null and (.reason | test("RLIMIT_MEMLOCK"))'
    event_last exit '.code == 3'
}

@test "64 KiB, as older Docker: not locked, one warning, the loop runs on (a signal is forwarded)" {
    start_bg 65536:65536
    event_last start '.memory_locked | (.locked | not) and .limit_bytes == 65536'
    [ "$(vmlck_bytes "$JPID")" -eq 0 ]
    stop_bg
    [ "$(events memlock | wc -l)" -eq 1 ]
    event_last exit '.signal == "SIGTERM" and .forwarded.SIGTERM == 1'
}

@test "a soft limit below the hard one is raised for jeinit; the program keeps its own" {
    local child
    start_bg 65536:8388608
    event_last start '.memory_locked | .locked and .raised and .limit_bytes == 8388608'
    [ "$(events memlock | wc -l)" -eq 0 ]
    grep -E '^Max locked memory +8388608 +8388608 ' "/proc/$JPID/limits"
    child=$(cat "/proc/$JPID/task/$JPID/children")
    child=${child%% *}
    grep -E '^Max locked memory +65536 +8388608 ' "/proc/$child/limits"
    stop_bg
}

@test "room for the file pages but not the anonymous ones: the file pages are locked" {
    local files=0 range perms path
    export JEINIT_MEMLOCK=0
    start_bg 8388608:8388608
    # what jeinit maps from files (text, rodata, data), as memlock.c counts it
    while read -r range perms _ _ _ path; do
        [[ $path == /* && $perms != ---* ]] || continue
        files=$((files + 0x${range#*-} - 0x${range%-*}))
    done <"/proc/$JPID/maps"
    stop_bg
    export JEINIT_MEMLOCK=1
    start_bg "$((files + 8192)):$((files + 8192))"
    event_last start ".memory_locked | .locked and .how == \"mlock2 onfault, file pages only\" and
        .bytes == $files and .need_bytes > .bytes and (.reason | test(\"leaves out\"))"
    [ "$(vmlck_bytes "$JPID")" -eq "$files" ]
    [ "$(events memlock | wc -l)" -eq 0 ]
    stop_bg
}

@test "with CAP_IPC_LOCK the limit does not apply: locked under 64 KiB" {
    run --separate-stderr timeout -k 5 60 prlimit --memlock=65536:65536 \
        unshare --pid --fork --mount-proc --kill-child "$JEINIT" --log-format json -- true
    [ "$status" -eq 0 ]
    event_last start '.memory_locked | .locked and .bytes > 65536 and (.raised | not)'
    [ "$(events memlock | wc -l)" -eq 0 ]
}

@test "JEINIT_MEMLOCK=0 turns it off, without a warning" {
    export JEINIT_MEMLOCK=0
    run --separate-stderr container_pid1 8388608:8388608 -- true
    [ "$status" -eq 0 ]
    event_last start '.memory_locked | (.locked | not) and .need_bytes == null and
        (.reason | test("JEINIT_MEMLOCK"))'
    [ "$(events memlock | wc -l)" -eq 0 ]
}
