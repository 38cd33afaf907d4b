#!/usr/bin/env bats
# tini parity: the same scenario under Debian's tini and under jeinit, compared
# on what an entrypoint sees: the exit code, what is left running, and the
# time to exit (jeinit within 0.5 s of tini). Where jeinit differs on purpose
# (it terminates what the program leaves behind; it logs JSON) the test says
# so and checks jeinit's side.
load helpers

TINI=${TINI:-/usr/bin/tini}

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
    [ -x "$TINI" ] || skip "Debian's tini is not installed (tests/deps.sh installs it)"
    require_root
    REC=$BATS_TEST_TMPDIR/rec
    export ERR=$BATS_TEST_TMPDIR/err
    ALL=$BATS_TEST_TMPDIR/all-stderr # every run's stderr, for the log budget
}

# Whatever the inits wrote in the test, jeinit's lines within the log budget
# (tini's own lines are not jeinit's and are left alone).
teardown() {
    log_file_budget_ok "$ALL"
}

# as_pid1 INIT ARGS...: INIT as PID 1 of a new pid namespace. Sets code and ms
# (wall time to exit). Everything dies with the namespace.
as_pid1() {
    local start
    start=$(date +%s%N)
    code=0
    timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child "$@" >/dev/null 2>>"$ALL" || code=$?
    ms=$((($(date +%s%N) - start) / 1000000))
}

# as_child INIT ARGS...: INIT as a child of a shell that is PID 1 of a new
# pid namespace, so that what INIT leaves behind can be seen. Sets code, ms,
# left (the names of the processes still running 0.2 s after INIT exited)
# and err (INIT's stderr).
as_child() {
    local out
    out=$(timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child sh -c '
        s=$(date +%s%N); "$@" 2>"$ERR"; rc=$?; e=$(date +%s%N)
        sleep 0.2
        echo "$rc $(((e - s) / 1000000)) $(ps -eo comm= | grep -vx -e sh -e ps -e grep -e sort -e tr | sort | tr "\n" " ")"
    ' sh "$@")
    read -r code ms left <<<"$out"
    err=$(cat "$ERR")
    cat "$ERR" >>"$ALL"
}

# signalled INIT SIGNAL ARGS...: INIT as PID 1; SIGNAL sent to it once the
# program has written "ready" to $REC. Sets code and ms (from the signal).
signalled() {
    local init=$1 sig=$2 runner pid start i
    shift 2
    : >"$REC"
    timeout -k 5 60 unshare --pid --fork --mount-proc --kill-child "$init" "$@" >/dev/null 2>>"$ALL" &
    runner=$!
    wait_for_line "$REC" 10 ready
    pid=$(jeinit_pid "$runner" "$(basename "$init")")
    start=$(date +%s%N)
    kill -s "$sig" "$pid"
    code=0
    wait "$runner" || code=$?
    ms=$((($(date +%s%N) - start) / 1000000))
}

# same_exit WHAT: tini's code and ms are in t_code/t_ms, jeinit's in code/ms.
same_exit() {
    echo "$1: tini exit $t_code in $t_ms ms, jeinit exit $code in $ms ms" >&2
    [ "$code" -eq "$t_code" ]
    [ $((ms - t_ms)) -le 500 ]
}

both_pid1() {
    as_pid1 "$TINI" "$@"
    t_code=$code t_ms=$ms
    as_pid1 "$JEINIT" "$@"
}

@test "parity: exit codes of the program, of a signal, and -e remapping" {
    both_pid1 -- sh -c 'exit 3'
    same_exit "exit 3"
    [ "$code" -eq 3 ]
    both_pid1 -- sh -c 'kill -TERM $$'
    same_exit "killed by SIGTERM"
    [ "$code" -eq 143 ]
    both_pid1 -e 3 -- sh -c 'exit 3'
    same_exit "-e 3"
    [ "$code" -eq 0 ]
    both_pid1 -e 143 -- sh -c 'kill -TERM $$'
    same_exit "-e 143"
    [ "$code" -eq 0 ]
}

@test "parity: exec failures: 127 not found, 126 not executable, 1 otherwise" {
    printf 'not a program\n' >"$BATS_TEST_TMPDIR/plain"
    chmod 0644 "$BATS_TEST_TMPDIR/plain"
    ln -s loop "$BATS_TEST_TMPDIR/loop"
    for prog in /nonexistent/prog no-such-program-anywhere "$BATS_TEST_TMPDIR/plain" \
        "$BATS_TEST_TMPDIR" /etc/passwd/x "$BATS_TEST_TMPDIR/loop"; do
        both_pid1 -- "$prog"
        same_exit "exec $prog"
    done
}

@test "parity: bad flags exit 1 and start nothing" {
    both_pid1 -x -- sh -c "touch $REC"
    same_exit "-x"
    [ "$code" -eq 1 ]
    [ ! -e "$REC" ]
}

@test "parity: SIGTERM to the init reaches the program, which drains and exits 0" {
    for init in "$TINI" "$JEINIT"; do
        signalled "$init" TERM -- sh -c \
            'trap "sleep 1.5; exit 0" TERM; echo ready > $0; while :; do sleep 0.05; done' "$REC"
        [ "$init" = "$TINI" ] && t_code=$code t_ms=$ms
    done
    same_exit "drain 1.5 s after SIGTERM"
    [ "$code" -eq 0 ]
    [ "$ms" -ge 1500 ]
}

@test "parity: SIGINT and SIGHUP kill a program that does not catch them (130, 129)" {
    for sig in INT HUP; do
        for init in "$TINI" "$JEINIT"; do
            signalled "$init" "$sig" -- sh -c 'echo ready > $0; exec sleep 30' "$REC"
            [ "$init" = "$TINI" ] && t_code=$code t_ms=$ms
        done
        same_exit "SIG$sig to sleep"
    done
}

@test "parity: -g and TINI_KILL_PROCESS_GROUP signal the whole group" {
    script='sh -c "trap \"echo grandchild >> $0; exit 0\" USR1; while :; do sleep 0.05; done" &
            trap "echo child >> $0" USR1; echo ready >> $0; while :; do sleep 0.05; grep -q grandchild $0 && exit 0; done'
    signalled "$TINI" USR1 -g -- sh -c "$script" "$REC"
    t_code=$code t_ms=$ms t_rec=$(sort "$REC" | tr '\n' ' ')
    signalled "$JEINIT" USR1 -g -- sh -c "$script" "$REC"
    same_exit "-g"
    [ "$(sort "$REC" | tr '\n' ' ')" = "$t_rec" ]
    [ "$t_rec" = "child grandchild ready " ]

    TINI_KILL_PROCESS_GROUP=1 signalled "$TINI" USR1 -- sh -c "$script" "$REC"
    t_code=$code t_ms=$ms t_rec=$(sort "$REC" | tr '\n' ' ')
    TINI_KILL_PROCESS_GROUP=1 signalled "$JEINIT" USR1 -- sh -c "$script" "$REC"
    same_exit "TINI_KILL_PROCESS_GROUP"
    [ "$(sort "$REC" | tr '\n' ' ')" = "$t_rec" ]
}

@test "parity: as PID 1, a program that leaves a child behind: same code, same time" {
    both_pid1 -- sh -c 'sleep 8 & exit 5'
    same_exit "exit 5 leaving sleep 8"
    [ "$code" -eq 5 ]
}

@test "parity: not PID 1 and no subreaper: both warn, both run the program" {
    as_child "$TINI" -- sh -c 'exit 4'
    t_code=$code t_ms=$ms
    [[ $err == *"isn't registered as a child subreaper"* ]]
    as_child "$JEINIT" -- sh -c 'exit 4'
    same_exit "not PID 1"
    [[ $err == *"isn't registered as a child subreaper"* ]]
}

@test "differs on purpose: as subreaper (-s, TINI_SUBREAPER, inherited), jeinit terminates what tini leaves" {
    for how in -s env inherited; do
        case $how in
        -s) tini=("$TINI" -s) jeinit=("$JEINIT" -s) ;;
        env) tini=(env TINI_SUBREAPER=1 "$TINI") jeinit=(env TINI_SUBREAPER=1 "$JEINIT") ;;
        inherited) tini=("$SUBREAPER" "$TINI") jeinit=("$SUBREAPER" "$JEINIT") ;;
        esac
        as_child "${tini[@]}" -- sh -c 'sleep 8 & exit 0'
        t_code=$code t_ms=$ms t_left=$left
        [[ $err != *"isn't registered"* ]]
        as_child "${jeinit[@]}" --log-format json -- sh -c 'sleep 8 & exit 0'
        same_exit "subreaper ($how), program leaves sleep 8"
        [[ $err != *not_pid1* ]]
        [ "$t_left" = "sleep" ]
        [ -z "$left" ]
    done
}

@test "differs on purpose: a leftover that ignores SIGTERM costs jeinit --grace, then SIGKILL" {
    # tini as PID 1 exits at once and the kernel kills the namespace; jeinit
    # gives what is left SIGTERM and --grace to finish (e.g. a worker
    # flushing its data), then SIGKILL, and exits once it is reaped
    as_pid1 "$TINI" -- sh -c '(trap "" TERM; exec sleep 100) & sleep 0.2; exit 5'
    t_code=$code t_ms=$ms
    as_pid1 "$JEINIT" --grace 1 -- sh -c '(trap "" TERM; exec sleep 100) & sleep 0.2; exit 5'
    echo "tini $t_code in $t_ms ms, jeinit $code in $ms ms" >&2
    [ "$code" -eq "$t_code" ]
    [ "$ms" -ge $((t_ms + 900)) ]
    [ "$ms" -lt $((t_ms + 3000)) ]
}
