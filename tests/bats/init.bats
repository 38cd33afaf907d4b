#!/usr/bin/env bats
# jeinit as an init: tini's flags and exit codes, signal forwarding, reaping,
# shutdown that leaves nothing behind, ttys, and a log that never blocks.
load helpers

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
    require_root
    LOG=$BATS_TEST_TMPDIR/log
    REC=$BATS_TEST_TMPDIR/rec
}

# --- exit codes -----------------------------------------------------------

@test "exit code of the program is jeinit's" {
    for code in 0 3 255; do
        run pid1 --log-format json -- sh -c "exit $code"
        [ "$status" -eq "$code" ]
    done
}

@test "a program killed by signal N gives 128+N" {
    run pid1 -- sh -c 'kill -KILL $$'
    [ "$status" -eq 137 ]
    run pid1 -- sh -c 'kill -TERM $$'
    [ "$status" -eq 143 ]
    run pid1 -- sh -c 'kill -USR1 $$'
    [ "$status" -eq 138 ]
}

@test "program not found gives 127 and names it" {
    run -127 --separate-stderr pid1 --log-format json -- /nonexistent/prog
    [ "$status" -eq 127 ]
    event_last exec_failed '.program == "/nonexistent/prog" and (.msg | test("No such file"))'
    run -127 pid1 -- no-such-program-anywhere
    [ "$status" -eq 127 ]
}

@test "a program that cannot be executed gives 126" {
    printf 'not a program\n' >"$BATS_TEST_TMPDIR/plain"
    chmod 0644 "$BATS_TEST_TMPDIR/plain"
    run pid1 -- "$BATS_TEST_TMPDIR/plain"
    [ "$status" -eq 126 ]
    run pid1 -- "$BATS_TEST_TMPDIR"
    [ "$status" -eq 126 ]
}

@test "other exec failures give 1, as tini: ENOTDIR, ELOOP" {
    run -1 --separate-stderr pid1 --log-format json -- /etc/passwd/x
    [ "$status" -eq 1 ]
    event_last exec_failed '.errno == 20 and (.msg | test("Not a directory"))'
    ln -s loop "$BATS_TEST_TMPDIR/loop"
    run -1 --separate-stderr pid1 --log-format json -- "$BATS_TEST_TMPDIR/loop"
    [ "$status" -eq 1 ]
    event_last exec_failed '.errno == 40'
}

@test "-e remaps exit codes to 0, repeatable, signals included" {
    run pid1 -e 3 -- sh -c 'exit 3'
    [ "$status" -eq 0 ]
    run pid1 -e 3 -e 4 -- sh -c 'exit 4'
    [ "$status" -eq 0 ]
    run pid1 -e 3 -- sh -c 'exit 5'
    [ "$status" -eq 5 ]
    run pid1 -e 143 -- sh -c 'kill -TERM $$'
    [ "$status" -eq 0 ]
    run pid1 -e3 -- sh -c 'exit 3'
    [ "$status" -eq 0 ]
}

# --- flags and environment ------------------------------------------------

@test "-h, --version and -l print and exit 0" {
    run "$JEINIT" -h
    [ "$status" -eq 0 ]
    [[ $output == *"Usage: jeinit"* ]]
    run "$JEINIT" --version
    [ "$status" -eq 0 ]
    # the version (packaging/version.sh) and the architecture it was built for
    [[ $output =~ ^jeinit\ [0-9]+\.[0-9]+\.[0-9]+[-+.~0-9A-Za-z]*\ ([a-z0-9_]+)$ ]]
    [ "${BASH_REMATCH[1]}" = "$(uname -m)" ]
    run "$JEINIT" -l
    [ "$status" -eq 0 ]
    [[ $output == *"MIT License"* ]]
}

@test "bad flags: one line naming the input, exit 1, nothing started" {
    run --separate-stderr "$JEINIT" -x -- sh -c 'touch '"$BATS_TEST_TMPDIR/ran"
    [ "$status" -eq 1 ]
    [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
    event_last usage '.level == "error" and (.msg | contains("-x"))'
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]

    run --separate-stderr "$JEINIT" -e 256 -- true
    [ "$status" -eq 1 ]
    [[ $stderr == *"-e"*"256"*"0-255"* ]]
    run --separate-stderr "$JEINIT" -e abc -- true
    [ "$status" -eq 1 ]
    run --separate-stderr "$JEINIT" -p SIGNOPE -- true
    [ "$status" -eq 1 ]
    [[ $stderr == *"-p"*"SIGNOPE"* ]]
    run --separate-stderr "$JEINIT" --grace
    [ "$status" -eq 1 ]
    [[ $stderr == *"--grace"*"needs a value"* ]]
    run --separate-stderr "$JEINIT" --grace=soon -- true
    [ "$status" -eq 1 ]
    run --separate-stderr "$JEINIT" --log-format=xml -- true
    [ "$status" -eq 1 ]
    [[ $stderr == *"json, text or auto"* ]]
    run --separate-stderr "$JEINIT" --bogus -- true
    [ "$status" -eq 1 ]
    [[ $stderr == *"--bogus"* ]]
    run --separate-stderr "$JEINIT"
    [ "$status" -eq 1 ]
    [[ $stderr == *"no PROGRAM"* ]]
}

@test "bad values of the init's own variables stop it; tuning variables only warn" {
    JEINIT_GRACE=soon run --separate-stderr "$JEINIT" -- true
    [ "$status" -eq 1 ]
    [[ $stderr == *JEINIT_GRACE*soon* ]]
    TINI_VERBOSITY=loud run --separate-stderr "$JEINIT" -- true
    [ "$status" -eq 1 ]
    JEINIT_MEMORY_LIMIT=lots run --separate-stderr pid1 --log-format json -- sh -c 'exit 7'
    [ "$status" -eq 7 ]
    event_last config '.level == "warn" and (.msg | contains("JEINIT_MEMORY_LIMIT"))'
}

@test "options after PROGRAM belong to PROGRAM" {
    run --separate-stderr pid1 echo -v -e 3
    [ "$status" -eq 0 ]
    [ "$output" = "-v -e 3" ]
}

@test "-p sets the parent-death signal: jeinit gets it when its parent dies" {
    # sh is jeinit's parent; when sh exits, jeinit gets SIGUSR1 and forwards it.
    timeout 30 unshare --pid --fork --mount-proc --kill-child sh -c "
        sh -c '\"$JEINIT\" --log-format json -p SIGUSR1 -- \"$SIGREC\" \"$REC\" 2>\"$LOG\" & sleep 0.5; exit 0'
        sleep 1; kill -TERM \$(pgrep -x sigrec) 2>/dev/null; sleep 0.3"
    grep -qx SIGUSR1 "$REC"
}

# tini's scale: 0 fatal errors, 1 (default) warnings, -v info, -vv debug,
# -vvv trace. jeinit's report lines (start, memory, exit) are not messages of
# the init: verbosity does not govern them.
levels() { printf '%s\n' "$stderr" | jq -R -r 'fromjson? | select(.event != "start" and .event != "exit") | .level' | sort -u | tr '\n' ' '; }

@test "verbosity as tini counts it: 0 errors, 1 warnings, -v info, -vv debug, -vvv trace" {
    # not PID 1 and not a subreaper: one warning; SIGUSR1 forwarded: debug;
    # a reaped orphan: trace; the program's exit: info
    prog='sh -c "sleep 0.2 &" ; kill -USR1 $PPID; sleep 0.5'
    TINI_VERBOSITY=0 run --separate-stderr not_pid1 --log-format json -- sh -c "trap : USR1; $prog"
    [ "$status" -eq 0 ]
    [ -z "$(levels)" ]
    event_last start '.argv[0] == "sh"'
    event_last exit '.code == 0'

    run --separate-stderr not_pid1 --log-format json -- sh -c "trap : USR1; $prog"
    [ "$(levels)" = "warn " ]
    event_last not_pid1 '.level == "warn"'
    [ -z "$(events child_exit)" ]

    run --separate-stderr pid1 --log-format json -v -- sh -c "trap : USR1; $prog"
    [ "$(levels)" = "info " ]
    event_last child_exit '.level == "info" and .code == 0'

    run --separate-stderr pid1 --log-format json -vv -- sh -c "trap : USR1; $prog"
    [ "$(levels)" = "debug info " ]
    event_last signal '.level == "debug" and .signal == "SIGUSR1"'

    JEINIT_VERBOSITY=4 run --separate-stderr pid1 --log-format json -- sh -c "trap : USR1; $prog"
    [ "$(levels)" = "debug info trace " ]
    event_any reaped '.level == "trace"'
}

@test "verbosity 0 leaves fatal errors, and the report" {
    TINI_VERBOSITY=0 run -127 --separate-stderr pid1 --log-format json -- /nonexistent/prog
    event_last exec_failed '.level == "error"'
    TINI_VERBOSITY=0 run --separate-stderr pid1 --log-format json -- sh -c 'exit 4'
    [ "$status" -eq 4 ]
    [ "$(printf '%s\n' "$stderr" | jq -R -r 'fromjson? | .event' | tr '\n' ' ')" = "start exit " ]
}

# --- signals --------------------------------------------------------------

@test "forwards TERM INT HUP USR1 USR2 WINCH QUIT, each once, in order" {
    pid1 --log-format json -vv -- "$SIGREC" "$REC" 2>"$LOG" &
    runner=$!
    wait_for_line "$REC" 5 ready
    jpid=$(jeinit_pid "$runner")
    for sig in INT HUP USR1 USR2 WINCH QUIT TERM; do
        kill -s "$sig" "$jpid"
        wait_for_line "$REC" 5 "^SIG$sig\$"
    done
    wait "$runner"
    [ "$(grep -c '^SIG' "$REC")" -eq 7 ]
    [ "$(grep '^SIG' "$REC" | tr '\n' ' ')" = "SIGINT SIGHUP SIGUSR1 SIGUSR2 SIGWINCH SIGQUIT SIGTERM " ]
    stderr=$(cat "$LOG")
    events signal | jq -s -e 'map(select(.signal == "SIGUSR2")) | length == 1 and .[0].to == 2'
    event_last exit '.forwarded == {"SIGINT":1,"SIGHUP":1,"SIGUSR1":1,"SIGUSR2":1,"SIGWINCH":1,"SIGQUIT":1,"SIGTERM":1}'
}

@test "a signal sent to PID 1 from inside the container reaches the program" {
    # SIG_DFL signals to a namespace init are dropped by the kernel unless
    # blocked or handled: jeinit must block them, then forward.
    run pid1 -- sh -c 'kill -USR1 1; sleep 5; exit 0'
    [ "$status" -eq 138 ]
}

@test "a signal flood from inside: forwarding goes on, lines are coalesced, memory lines keep time" {
    # a child of the program sends SIGUSR1 and SIGRTMIN+1 to PID 1 as fast as
    # it can for 3 s; the program ignores both
    flood='import os, signal, time
end = time.time() + 3
n = 0
while time.time() < end:
    os.kill(1, signal.SIGUSR1); os.kill(1, signal.SIGRTMIN + 1); n += 2
print(n)'
    run --separate-stderr pid1 --log-format json -vv --interval 0.5 -- \
        sh -c 'trap "" USR1 35; python3 -c "$0"' "$flood"
    [ "$status" -eq 0 ]
    sent=$output
    echo "sent $sent signals" >&2
    [ "$sent" -gt 10000 ]
    # one line per signal per second at most, each with the count it stands for
    [ "$(events signal | wc -l)" -le 12 ]
    event_any signal '.coalesced > 100'
    # memory lines every 0.5 s through the flood (the first comes at 0.5 s)
    [ "$(events memory | wc -l)" -ge 5 ]
    event_last exit '.forwarded.SIGUSR1 > 100 and .forwarded["SIGRTMIN+1"] > 100'
}

@test "-g signals the program's whole process group" {
    script='sh -c "trap \"echo grandchild >> $1; exit 0\" USR1; while :; do sleep 0.05; done" & 
            trap "" USR1; while :; do sleep 0.05; [ -s "$1" ] && exit 0; done'
    pid1 -g --log-format json -- sh -c "$script" sh "$REC" 2>"$LOG" &
    runner=$!
    sleep 0.5
    kill -USR1 "$(jeinit_pid "$runner")"
    wait "$runner"
    grep -q grandchild "$REC"
}

@test "TINI_KILL_PROCESS_GROUP does what -g does; without it only the program is signalled" {
    script='sh -c "trap \"echo grandchild >> $1; exit 0\" USR1; while :; do sleep 0.05; done" &
            trap "echo child >> $1" USR1; for i in $(seq 40); do sleep 0.05; done; exit 0'
    TINI_KILL_PROCESS_GROUP=1 pid1 -- sh -c "$script" sh "$REC" 2>"$LOG" &
    runner=$!
    sleep 0.5
    kill -USR1 "$(jeinit_pid "$runner")"
    wait "$runner"
    grep -q grandchild "$REC"

    : >"$REC"
    pid1 -- sh -c "$script" sh "$REC" 2>"$LOG" &
    runner=$!
    sleep 0.5
    kill -USR1 "$(jeinit_pid "$runner")"
    wait "$runner"
    grep -q child "$REC"
    ! grep -q grandchild "$REC"
}

@test "SIGPIPE, SIGTTIN and SIGTTOU reach the program with their default action" {
    # jeinit blocks every signal and ignores TTIN/TTOU itself: the program
    # must get the signal state jeinit was given (here: all default)
    nosig() { env --default-signal "$@"; }
    # the classic signals only: 32 and 33 are glibc's own (make ignores
    # them, env cannot reset them, and a dynamic jeinit catches them)
    masks() {
        local name val
        while read -r name val; do echo "$name $((16#${val:8} & 0x7fffffff))"; done
    }
    without=$(nosig sh -c 'grep -E "^Sig(Blk|Ign)" /proc/self/status' | masks)
    run --separate-stderr nosig timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" -- sh -c 'grep -E "^Sig(Blk|Ign)" /proc/self/status'
    [ "$status" -eq 0 ]
    echo "without jeinit: $without; with: $(masks <<<"$output")" >&2
    [ "$(masks <<<"$output")" = "$without" ]
    [ "$without" = "$(printf 'SigBlk: 0\nSigIgn: 0')" ]
    # SIGPIPE kills a writer whose reader is gone (128+13), as without jeinit
    run --separate-stderr nosig timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" -- bash -c 'yes | head -c 1 >/dev/null; echo "yes=${PIPESTATUS[0]}"'
    [ "$output" = "yes=141" ]
    # SIGTTIN and SIGTTOU stop a process of the program's (not orphaned) group
    run --separate-stderr nosig timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" -- sh -c 'for sig in TTIN TTOU; do
            sleep 5 & p=$!; kill -$sig $p; sleep 0.3
            echo "$sig $(cut -d" " -f3 /proc/$p/stat)"; kill -KILL $p; wait $p
        done'
    [ "$output" = "$(printf 'TTIN T\nTTOU T')" ]
}

@test "signals the caller ignored stay ignored in the program, as with tini" {
    # (env after timeout, which handles INT and QUIT itself)
    run --separate-stderr timeout -k 5 60 env --default-signal --ignore-signal=INT,QUIT \
        unshare --pid --fork --mount-proc --kill-child "$JEINIT" -- sh -c 'grep "^SigIgn" /proc/self/status'
    # SIGINT and SIGQUIT (bits 1 and 2); 32 and 33 are glibc's own
    [ $((16#${output#SigIgn:$'\t'} & 0x7fffffff)) -eq 6 ]
}

# --- descriptors ----------------------------------------------------------

# prlimit with nothing open but stdin, stdout and stderr (bats keeps more)
fewfds() {
    local n=$1
    shift
    timeout -k 5 30 unshare --pid --fork --mount-proc --kill-child \
        bash -c 'for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
                 exec prlimit --nofile="$0:$0" "$@"' "$n" "$@"
}

@test "ulimit -n 8: the program starts; no agent channel or monitor, said once" {
    run --separate-stderr fewfds 8 "$JEINIT" --log-format json --interval 0.2 -- sh -c 'sleep 0.5; exit 3'
    [ "$status" -eq 3 ]
    [ "$(events fds | wc -l)" -eq 1 ]
    event_last fds '.level == "warn" and (.msg | test("only 8 descriptors"))'
    event_last start '.allocator.agent == null'
    [ -z "$(events memory)" ]
    event_last exit '.code == 3'
    # too few for the exec-error pipe too: the code still says what happened
    run -127 --separate-stderr fewfds 6 "$JEINIT" --log-format json -- /nonexistent/prog
    [ "$status" -eq 127 ]
}

@test "ulimit -n 4: no signalfd or epoll, and still tini's loop: signals forwarded, exit code" {
    ! is_sanitized || skip "ASan's runtime needs descriptors of its own at start"
    for n in 4 5; do
        : >"$REC"
        fewfds "$n" "$JEINIT" --log-format json -- "$SIGREC" "$REC" 2>"$LOG" &
        runner=$!
        wait_for_line "$REC" 5 ready
        kill -USR1 "$(jeinit_pid "$runner")"
        wait_for_line "$REC" 5 '^SIGUSR1$'
        kill -TERM "$(jeinit_pid "$runner")"
        status=0
        wait "$runner" || status=$?
        [ "$status" -eq 0 ]
        grep -qx SIGTERM "$REC"
        stderr=$(cat "$LOG")
        event_last setup '.level == "warn" and (.msg | test("minimal loop"))'
    done
}

@test "descriptors run out under 150 agents: the cgroup's figures and the processes stay" {
    # 96 descriptors: enough to start the monitor, not for one channel per agent;
    # 150 processes that allocate now and then, so that their agents wake
    run --separate-stderr fewfds 96 "$JEINIT" --log-format json --interval 0.5 -- \
        sh -c 'for i in $(seq 150); do "$0" leak 3 0.1 >/dev/null & done; wait' "$BUILD/helpers/memhog"
    [ "$status" -eq 0 ]
    events memory | jq -s -e 'length >= 3 and all(.[]; .usage_bytes != null) and
        any(.[]; .totals.processes >= 150 and .totals.reporting < 150)' >/dev/null
    [ "$(events fds | wc -l)" -eq 1 ]
    event_last fds '.msg | test("could not be followed")'
    event_last exit '.memory.agents_unfollowed > 0'
}

@test "a soft descriptor limit below the hard one: jeinit raises its own, the program keeps its" {
    run --separate-stderr timeout -k 5 30 unshare --pid --fork --mount-proc --kill-child \
        prlimit --nofile=16:4096 "$JEINIT" --log-format json --interval 0.2 -- \
        sh -c 'echo "soft=$(ulimit -Sn) hard=$(ulimit -Hn) jeinit=$(grep "open files" /proc/1/limits | tr -s " " | cut -d" " -f4)"; sleep 0.5'
    [ "$status" -eq 0 ]
    [ "$output" = "soft=16 hard=4096 jeinit=4096" ]
    [ -z "$(events fds)" ]
    [ -n "$(events memory)" ]
}

# --- reaping --------------------------------------------------------------

@test "as PID 1: 1,000 orphans reaped, zero zombies left" {
    run --separate-stderr pid1 --log-format json -- "$ORPHANS" 1000
    [ "$status" -eq 0 ]
    [[ $output == *"zombies=0"* ]]
    event_last exit '.reaped == 1000'
}

@test "as subreaper (-s): orphans reaped, zero zombies; TINI_SUBREAPER too" {
    run --separate-stderr not_pid1 --log-format json -s -- "$ORPHANS" 1000
    [ "$status" -eq 0 ]
    [[ $output == *"zombies=0"* ]]
    [ -z "$(events not_pid1)" ]
    event_last start '.subreaper == true'

    TINI_SUBREAPER= run --separate-stderr not_pid1 --log-format json -- "$ORPHANS" 200
    [ "$status" -eq 0 ]
    [[ $output == *"zombies=0"* ]]
}

@test "an inherited subreaper bit is honoured: no warning, leftovers terminated, exit at once" {
    # a supervisor set PR_SET_CHILD_SUBREAPER and exec'd jeinit (no -s)
    start=$(date +%s%N)
    run --separate-stderr timeout 30 unshare --pid --fork --mount-proc --kill-child sh -c "
        \"$SUBREAPER\" \"$JEINIT\" --log-format json -v -- sh -c 'sleep 8 & exit 0'; rc=\$?
        sleep 0.2; pgrep -x sleep >/dev/null && echo leftover; exit \$rc"
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 0 ]
    [[ $output != *leftover* ]]
    [ -z "$(events not_pid1)" ]
    event_last start '.subreaper == true and .pid != 1'
    event_last terminate '.reason == "program exited"'
    [ "$elapsed" -lt 3000 ]
}

@test "an inherited subreaper bit: SIGTERM reaches the program, its leftovers are terminated" {
    # the outer jeinit preloads nothing into the inner one (an ASan build
    # cannot run with jemalloc preloaded)
    pid1 --jemalloc off --no-agent -- "$SUBREAPER" "$JEINIT" --log-format json -v -- sh -c \
        "sleep 30 & echo \$! > $REC.bg; trap 'exit 0' TERM; while :; do sleep 0.05; done" 2>"$LOG" &
    runner=$!
    wait_for_line "$REC.bg" 5 .
    sleep 0.2
    jpid=$(jeinit_pid "$runner")
    inner=$(cat /proc/"$jpid"/task/*/children | tr ' ' '\n' | while read -r p; do
        [ "$(cat /proc/"$p"/comm 2>/dev/null)" = jeinit ] && echo "$p"; done)
    [ -n "$inner" ]
    start=$(date +%s%N)
    kill -TERM "$inner"
    wait "$runner"
    elapsed=$((($(date +%s%N) - start) / 1000000))
    stderr=$(cat "$LOG")
    event_any terminate '.reason == "program exited"'
    [ -z "$(events kill)" ]
    [ "$elapsed" -lt 3000 ]
}

@test "neither PID 1 nor subreaper: tini's warning" {
    run --separate-stderr not_pid1 --log-format json -- true
    [ "$status" -eq 0 ]
    event_last not_pid1 '.level == "warn" and (.msg | contains("-s option"))'
}

@test "-w warns for each reaped zombie, in tini's words in the text log" {
    run --separate-stderr pid1 --log-format json -w -- "$ORPHANS" 3
    [ "$status" -eq 0 ]
    [ "$(events reaped | wc -l)" -eq 3 ]
    event_last reaped '.level == "warn" and .msg == "Reaped zombie process with pid=\(.pid)"'
    run --separate-stderr pid1 --log-format text -w -- sh -c 'sh -c "sleep 0.1 &"; sleep 0.4'
    [ "$status" -eq 0 ]
    [[ $stderr =~ \ warn\ reaped\ .*Reaped\ zombie\ process\ with\ pid=[0-9]+ ]]
}

# --- shutdown -------------------------------------------------------------

@test "leftovers get SIGTERM when the program exits, and jeinit waits for them" {
    start=$(date +%s%N)
    run --separate-stderr pid1 --log-format json -v -- sh -c \
        "sh -c 'trap \"echo bye >> $REC; exit 0\" TERM; while :; do sleep 0.05; done' & sleep 0.3; exit 4"
    [ "$status" -eq 4 ]
    grep -q bye "$REC"
    event_last terminate '.signal == "SIGTERM"'
    [ -z "$(events kill)" ]
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 5000 ]
}

@test "a leftover that ignores SIGTERM is killed after --grace" {
    start=$(date +%s%N)
    run --separate-stderr pid1 --log-format json --grace 1 -- sh -c \
        '(trap "" TERM; exec sleep 100) & sleep 0.2; exit 5'
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$status" -eq 5 ]
    event_last kill '.signal == "SIGKILL" and .reason == "grace period over"'
    [ "$elapsed" -ge 1000 ]
    [ "$elapsed" -lt 5000 ]
}

@test "SIGTERM to jeinit: a program that drains past --grace is never killed by jeinit" {
    # the runtime owns the program's deadline (docker stop -t,
    # terminationGracePeriodSeconds); --grace is for what the program leaves
    start=$(date +%s%N)
    JEINIT_GRACE=1 pid1 --log-format json -- sh -c \
        'trap "sleep 2.5; echo drained >> $0; exit 0" TERM; while :; do sleep 0.05; done' "$REC" 2>"$LOG" &
    runner=$!
    sleep 0.4
    kill -TERM "$(jeinit_pid "$runner")"
    status=0
    wait "$runner" || status=$?
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 0 ]
    grep -qx drained "$REC"
    [ "$elapsed" -ge 2500 ]
    stderr=$(cat "$LOG")
    [ -z "$(events kill)" ]
    event_last exit '.code == 0 and .killed == false and .forwarded.SIGTERM == 1'
}

@test "SIGTERM to jeinit: after the program exits, its leftovers get --grace, then SIGKILL" {
    JEINIT_GRACE=1 pid1 --log-format json -- sh -c \
        '(trap "" TERM; exec sleep 100) & trap "exit 3" TERM; while :; do sleep 0.05; done' 2>"$LOG" &
    runner=$!
    sleep 0.4
    start=$(date +%s%N)
    kill -TERM "$(jeinit_pid "$runner")"
    status=0
    wait "$runner" || status=$?
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 3 ]
    [ "$elapsed" -ge 1000 ]
    [ "$elapsed" -lt 5000 ]
    stderr=$(cat "$LOG")
    event_last kill '.reason == "grace period over"'
    event_last exit '.code == 3 and .killed == true'
}

@test "as subreaper, leftovers are terminated too (tini would leave them running)" {
    run --separate-stderr timeout 30 unshare --pid --fork --mount-proc --kill-child sh -c "
        \"$JEINIT\" --log-format json -v -s -- sh -c 'sleep 100 & exit 0'; rc=\$?
        sleep 0.2; pgrep -x sleep >/dev/null && echo leftover; exit \$rc"
    [ "$status" -eq 0 ]
    [[ $output != *leftover* ]]
    event_last terminate '.reason == "program exited"'
}

# --- tty ------------------------------------------------------------------

@test "tty: the program gets its own process group and the terminal's foreground" {
    command -v script >/dev/null || skip "script(1) from bsdutils is missing"
    # jeinit in the foreground of a fresh pty; sigrec is stopped from outside
    (sleep 1; pkill -TERM -x sigrec) &
    run timeout 30 script -qec "unshare --pid --fork --mount-proc --kill-child $JEINIT -- $SIGREC $REC" /dev/null
    line=$(grep '^ready' "$REC")
    pid=$(sed -E 's/.*pid=([0-9]+) .*/\1/' <<<"$line")
    pgid=$(sed -E 's/.*pgid=([0-9]+).*/\1/' <<<"$line")
    tpgid=$(sed -E 's/.*tpgid=(-?[0-9]+).*/\1/' <<<"$line")
    [ "$pgid" = "$pid" ]
    [ "$tpgid" = "$pgid" ]
}

@test "tty: text log by default; with tostop neither jeinit nor its caller is stopped" {
    command -v script >/dev/null || skip "script(1) from bsdutils is missing"
    # Not in a pid namespace: the calling shell's process group must be
    # visible for jeinit to hand the terminal back (tini leaves the shell
    # in the background, stopped by SIGTTOU at its next write).
    run timeout 30 script -qec "stty tostop; $JEINIT -- sh -c 'sleep 0.3; exit 6'; echo rc=\$?" /dev/null
    [[ $output == *" info start"* ]]
    [[ $output == *" info exit"* ]]
    [[ $output == *"rc=6"* ]]
}

# --- the log --------------------------------------------------------------

@test "log lines are JSON with RFC 3339 UTC ms timestamps, start and exit carry their fields" {
    run --separate-stderr pid1 --log-format json -- sh -c 'exit 2'
    [ "$status" -eq 2 ]
    assert_json_log
    [ "$(printf '%s\n' "$stderr" | jq -r '.ts' | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$')" -eq 0 ]
    event_last start '.version and .pid == 1 and .child_pid == 2 and .argv == ["sh","-c","exit 2"]'
    event_last exit '.code == 2 and .status == 2 and (.runtime_s | type == "number")'
}

@test "JEINIT_LOG_FORMAT=text gives key=value lines" {
    JEINIT_LOG_FORMAT=text run --separate-stderr pid1 -- true
    # the msg first, as people read it, then the fields
    [[ $stderr == *" info start: started true as pid "*" version="* ]]
}

@test "a closed stderr changes nothing" {
    run pid1 --log-format json -- sh -c 'exit 9' 2>&-
    [ "$status" -eq 9 ]
}

@test "stderr whose reader is gone (EPIPE) neither kills nor stops jeinit" {
    run bash -c "timeout 30 unshare --pid --fork --mount-proc --kill-child $JEINIT --log-format json -w -- $ORPHANS 50 2> >(exit 0); echo rc=\$?"
    [[ $output == *"rc=0"* ]]
}

@test "a full stderr pipe nobody reads never blocks jeinit" {
    # 4,000 warnings (-w) are ~440 KB: more than the pipe (64 KiB) and jeinit's
    # queue (256 KiB) hold. The run must take about as long as with stderr
    # going nowhere: compared, not timed, so that a loaded machine cannot fail it.
    start=$(date +%s%N)
    run timeout 120 unshare --pid --fork --mount-proc --kill-child "$JEINIT" --log-format json -w -- "$ORPHANS" 4000 60 2>/dev/null
    baseline=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$status" -eq 0 ]
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    exec 7<>"$BATS_TEST_TMPDIR/fifo"   # a reader that never reads
    start=$(date +%s%N)
    run timeout 120 unshare --pid --fork --mount-proc --kill-child "$JEINIT" --log-format json -w -- "$ORPHANS" 4000 60 2>"$BATS_TEST_TMPDIR/fifo"
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    exec 7>&-
    [ "$status" -eq 0 ]
    [[ $output == *"zombies=0"* ]]
    echo "baseline ${baseline} ms, blocked stderr ${elapsed} ms" >&2
    [ "$elapsed" -lt $((2 * baseline + 5000)) ]
}

@test "no /proc and a stderr pipe nobody reads: jeinit still never blocks" {
    ! is_sanitized || skip "ASan's runtime reads /proc/self/maps at start"
    # without /proc the pipe cannot be reopened non-blocking: jeinit writes
    # only what poll allows. ~2,000 -w lines (~200 KB) go to a FIFO whose
    # reader never reads; every orphan must still be reaped, and jeinit exit
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    run timeout -k 5 30 unshare --pid --fork --mount --mount-proc --kill-child bash -c '
        mount -t tmpfs none /proc || exit 99
        exec 7<>"$1"
        exec "$0" --log-format json -w -- sh -c "for i in \$(seq 2000); do sh -c \"true &\"; done; echo done" 2>"$1"' \
        "$JEINIT" "$BATS_TEST_TMPDIR/fifo"
    [ "$status" -eq 0 ]
    [ "$output" = done ]
}
