#!/usr/bin/env bats
# jeinit on a real cgroup v2 kernel (cgroup_no_v1=all): the limits, nested
# limits and namespaced layouts it reads (with and without a cgroup2
# remount), the MALLOC_CONF it derives, the events, pressure and peak it
# reports, a hog crossing memory.high then memory.max, throttling at
# memory.high, OOM kills with and without memory.oom.group, and PID 1's
# contract. Run by tests/v2/run.sh inside a VM (make test-v2); on a machine
# whose cgroups are not v2 only, every test skips.
load helpers

MEMHOG=$BUILD/helpers/memhog
SCHEMA=$ROOT/tests/schema/validate.py
V2=/sys/fs/cgroup
TOP=$V2/jeinit-v2

setup() {
    [ "$(stat -fc %T $V2 2>/dev/null)" = cgroup2fs ] && ! grep -q ' - cgroup ' /proc/self/mountinfo ||
        skip "not a cgroup v2 machine: run through tests/v2/run.sh (make test-v2)"
    require_root
    [ -x "$JEINIT" ] && [ -x "$MEMHOG" ] || skip "build first: make all helpers"
    mkdir -p "$TOP"
    echo "+memory +cpu +cpuset +pids" >"$TOP/../cgroup.subtree_control"
    echo "+memory +cpu +cpuset +pids" >"$TOP/cgroup.subtree_control"
    LOG=$BATS_TEST_TMPDIR/log
}

# Removes every test cgroup, deepest first, killing what is left in them.
teardown() {
    local d p
    [ -d "$TOP" ] || return 0
    for d in $(find "$TOP" -mindepth 1 -depth -type d); do
        for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    done
    for d in $(find "$TOP" -mindepth 1 -depth -type d); do
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$d" 2>/dev/null && break; sleep 0.2; done
    done
}

# cg NAME [FILE=VALUE...]: creates $TOP/NAME (parents too; each enables the
# controllers for its children), writes the files, prints its path.
cg() {
    local dir=$TOP/$1 kv
    shift
    mkdir -p "$dir"
    for kv in "$@"; do
        echo "${kv#*=}" >"$dir/${kv%%=*}" || return 1
    done
    echo "$dir"
}

# Makes $1 a parent: its children get the memory, cpu, cpuset and pids files.
cg_parent() {
    echo "+memory +cpu +cpuset +pids" >"$1/cgroup.subtree_control"
}

# in_cg DIR COMMAND...: runs COMMAND inside cgroup DIR.
in_cg() {
    sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$@"
}

# jeinit as PID 1 in cgroup $1 (pid and mount namespaces of its own, under a
# timeout); its log in $LOG and $stderr, its status in $status.
run_pid1_in() {
    local dir=$1
    shift
    status=0
    in_cg "$dir" timeout -k 5 "${TIMEOUT:-240}" unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json "$@" >"$LOG.out" 2>"$LOG" || status=$?
    output=$(cat "$LOG.out")
    stderr=$(cat "$LOG")
}

# `jeinit --inspect` in cgroup $1 (more arguments after it); JSON in $output.
inspect_in() {
    local dir=$1
    shift
    run in_cg "$dir" timeout -k 5 60 "$JEINIT" --inspect "$@"
    [ "$status" -eq 0 ] || {
        echo "jeinit --inspect failed ($status): $output" >&2
        return 1
    }
}

@test "v2: memory.max, memory.high, memory.swap.max, cpu.max and cpuset are read from the real files" {
    local d
    d=$(cg limits memory.max=300M memory.high=250M memory.swap.max=0 "cpu.max=150000 100000" \
        cpuset.cpus=0-1)
    inspect_in "$d"
    json_holds "$output" '.cgroup.layout == "v2" and .cgroup.memory_version == 2 and
        .cgroup.memory_dir == $d and .cgroup.path == "/jeinit-v2/limits"' --arg d "$d"
    json_holds "$output" '.limits.memory_bytes == 314572800 and .limits.memory_source == $d + "/memory.max"
        and .limits.memory_high.bytes == 262144000 and .limits.swap_max.bytes == 0
        and .limits.cpu_quota.millicores == 1500 and .limits.cpus == 1.5
        and .limits.cpuset_cpus.count == 2' --arg d "$d"
    d=$(cg onecpu cpuset.cpus=0)
    inspect_in "$d"
    json_holds "$output" '.limits.cpus == 1 and .limits.cpuset_cpus.count == 1
        and .limits.cpuset_cpus.source == $d + "/cpuset.cpus.effective"' --arg d "$d"
}

@test "v2: MALLOC_CONF is derived from the cgroup's cpu.max, not the host" {
    local d
    d=$(cg mc memory.max=512M "cpu.max=100000 100000")
    run in_cg "$d" timeout -k 5 60 "$JEINIT" --print-env
    [ "$status" -eq 0 ]
    [[ $output == *"MALLOC_CONF="*"narenas:1"* ]]
}

@test "v2: usage, memory.peak, memory.events and memory.pressure of the cgroup itself" {
    local d
    d=$(cg usage memory.max=256M)
    run_pid1_in "$d" --interval 0.5 -- "$MEMHOG" leak 2 20
    [ "$status" -eq 0 ]
    "$SCHEMA" --strict "$LOG"
    event_any memory '.limit_bytes == 268435456 and .usage_bytes > 10000000 and .peak_bytes >= .usage_bytes
        and .pressure.scope == "cgroup" and (.events.high | type) == "number"
        and (.events.oom_kill | type) == "number" and .events.max == 0'
    [ "$(cat "$d/memory.peak")" -gt 20000000 ]
}

@test "v2: a parent's limits bind the child (nested): memory.max and cpu.max up the tree" {
    local p d
    p=$(cg pod memory.max=200M "cpu.max=50000 100000")
    cg_parent "$p"
    d=$(cg pod/ctr memory.max=400M)
    inspect_in "$d"
    json_holds "$output" '.limits.memory_bytes == 209715200 and .limits.memory_source == $p + "/memory.max"
        and .limits.memory_max.bytes == 419430400 and .limits.cpu_quota.millicores == 500' --arg p "$p"
}

@test "v2: Docker-style cgroup namespace (new cgroupns, cgroup2 remounted): 0::/ and the container's limits" {
    local d
    d=$(cg ns memory.max=300M "cpu.max=200000 100000")
    run in_cg "$d" timeout -k 5 60 unshare --cgroup --mount --pid --fork --mount-proc sh -c \
        'umount /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
         cat /proc/self/cgroup >"$1" && exec "$0" --inspect' "$JEINIT" "$BATS_TEST_TMPDIR/self"
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/self")" = "0::/" ]
    json_holds "$output" '.cgroup.path == "/" and .cgroup.namespaced == true
        and .cgroup.memory_dir == "/sys/fs/cgroup" and .limits.memory_bytes == 314572800
        and .limits.cpus == 2 and .warnings == []'
}

@test "v2: an in-place resize (memory.max, then memory.high, written while the program runs) is followed and told" {
    local d bg
    d=$(cg resize memory.max=256M)
    in_cg "$d" timeout -k 5 120 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --interval 0.5 -- "$MEMHOG" hold 12 0 40 >/dev/null 2>"$LOG" &
    bg=$!
    wait_for_line "$LOG" 40 '"event":"memory"'
    echo 128M >"$d/memory.max"
    wait_for_line "$LOG" 20 '"event":"memory_limit"'
    echo 96M >"$d/memory.high"
    wait_for_line "$LOG" 20 '"event":"memory_limit".*"ceiling_bytes":100663296'
    status=0
    wait "$bg" || status=$?
    stderr=$(cat "$LOG")
    [ "$status" -eq 0 ]
    [ "$(events memory_limit | wc -l)" -eq 2 ]
    events memory_limit | jq -s -e --arg d "$d" '
        .[0].previous_limit_bytes == 268435456 and .[0].limit_bytes == 134217728 and
        .[0].source == $d + "/memory.max" and
        .[1].limit_bytes == 134217728 and .[1].previous_ceiling_bytes == 134217728 and
        .[1].ceiling_bytes == 100663296 and .[1].ceiling_source == $d + "/memory.high" and
        (.[1].msg | startswith("the memory ceiling changed (memory.high): 128 MiB to 96 MiB"))' >/dev/null
    event_last memory '.limit_bytes == 134217728 and .ceiling_bytes == 100663296'
    "$SCHEMA" --strict "$LOG"
}

@test "v2: a hog crosses memory.high (memory_high events), then memory.max: OOM kill, post-mortem, exit 137" {
    local d
    d=$(cg hog memory.high=48M memory.max=64M memory.swap.max=0)
    run_pid1_in "$d" --interval 0.3 -- "$MEMHOG" oom 400 50
    [ "$status" -eq 137 ]
    event_any memory_high '.count >= 1'
    event_last oom_kill '.count >= 1 and .victim.comm == "memhog" and .limit_bytes == 67108864
        and (.last_samples | length) >= 1 and (.diagnosis.why | length) > 0'
    event_last exit '.code == 137 and .signal == "SIGKILL" and .memory.oom_kills >= 1'
    [ "$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events")" -ge 1 ]
}

@test "v2: nested OOM: the pod's memory.max is hit, the container's cgroup counts the kill (memory.events.local apart)" {
    local p d
    p=$(cg pod2 memory.max=64M memory.swap.max=0)
    cg_parent "$p"
    d=$(cg pod2/ctr)
    run_pid1_in "$d" --interval 0.3 -- "$MEMHOG" oom 400 50
    [ "$status" -eq 137 ]
    event_last oom_kill '.count >= 1 and .victim.comm == "memhog" and .limit_bytes == 67108864'
    # the kill counts where the victim was; max and oom where the limit was
    [ "$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events.local")" -ge 1 ]
    [ "$(awk '$1 == "oom" { print $2 }' "$d/memory.events.local")" -eq 0 ]
    [ "$(awk '$1 == "oom" { print $2 }' "$p/memory.events.local")" -ge 1 ]
    [ "$(awk '$1 == "oom_kill" { print $2 }' "$p/memory.events.local")" -eq 0 ]
}

@test "v2: unshare --cgroup without a remount (the mount's root shows /..): the cgroup is found by its cgroup.procs" {
    local d
    d=$(cg hidden memory.max=200M "cpu.max=50000 100000")
    run in_cg "$d" timeout -k 5 60 unshare --cgroup --pid --fork --mount-proc sh -c \
        'grep " /sys/fs/cgroup " /proc/self/mountinfo | cut -d" " -f4 >"$1"; exec "$0" --inspect' \
        "$JEINIT" "$BATS_TEST_TMPDIR/root"
    [ "$status" -eq 0 ]
    # two levels below the mount's root: /../..
    [ "$(cat "$BATS_TEST_TMPDIR/root")" = "/../.." ]
    json_holds "$output" '.cgroup.discovered_by == "cgroup.procs" and .cgroup.path == "/"
        and .cgroup.namespaced and .cgroup.memory_dir == $d and .limits.memory_bytes == 209715200
        and .limits.cpu_quota.millicores == 500 and .warnings == []' --arg d "$d"
    # not PID 1 of a pid namespace: its pid is found all the same
    run in_cg "$d" timeout -k 5 60 unshare --cgroup "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    json_holds "$output" '.cgroup.discovered_by == "cgroup.procs" and .cgroup.memory_dir == $d' --arg d "$d"
}

@test "v2: libcgroup's failure is told in its own words, not \"Success\"" {
    local d
    d=$(cg lcg memory.max=100M)
    inspect_in "$d"
    # Debian 12's libcgroup 2.0.2 reads only v1 lines of /proc/self/cgroup: ECGOTHER, errno 0
    json_holds "$output" '(.cgroup.libcgroup | test("Success") | not) and (.cgroup.libcgroup |
        test("^libcgroup found no memory cgroup: cgroup_get_current_controller_path: libcgroup error 50016"))'
}

# jeinit as PID 1 joining cgroup $1 itself: only it and its program are in
# the cgroup (not timeout, unshare), as in a container.
run_pid1_alone_in() {
    local dir=$1
    shift
    status=0
    # shellcheck disable=SC2086 # JEINIT_WRAP: a command line, split
    timeout -k 5 "${TIMEOUT:-240}" unshare --pid --fork --mount-proc --kill-child \
        sh -c 'echo 0 >"$0/cgroup.procs" && exec "$@"' "$dir" \
        ${JEINIT_WRAP:-} "$JEINIT" --log-format json "$@" >"$LOG.out" 2>"$LOG" || status=$?
    output=$(cat "$LOG.out")
    stderr=$(cat "$LOG")
}

@test "v2: memory.high below memory.max, no swap: usage is judged against memory.high, and the stall is diagnosed throttled" {
    local d
    d=$(cg throttle memory.high=64M memory.max=256M memory.swap.max=0)
    run_pid1_in "$d" --interval 0.5 -- "$MEMHOG" leak 12 20
    [ "$status" -eq 0 ]
    "$SCHEMA" --strict "$LOG"
    event_last start '.limits.memory_bytes == 268435456 and .limits.memory_ceiling_bytes == 67108864
        and (.limits.memory_ceiling_source | endswith("/memory.high"))'
    event_any memory_high '.count >= 1'
    event_any memory '.ceiling_bytes == 67108864 and .limit_bytes == 268435456 and .usage_pct > 90
        and .diagnosis.near_limit'
    event_any memory '.diagnosis.state == "throttled" and (.diagnosis.why | test("memory.high events [+][0-9]+ in"))'
    # never OOM-killed: memory.max was not reached
    [ -z "$(events oom_kill)" ]
}

@test "v2: memory.oom.group=1 with CAP_SYS_RESOURCE: jeinit sets its oom_score_adj to -1000, survives the group kill, writes the post-mortem, exits 137" {
    local d
    d=$(cg group memory.max=64M memory.swap.max=0 memory.oom.group=1)
    run_pid1_alone_in "$d" --interval 0.3 -- "$MEMHOG" oom 400 50
    [ "$status" -eq 137 ]
    "$SCHEMA" --strict "$LOG"
    event_last start '.limits.oom_group == true and (.limits.oom_guard | startswith("oom_score_adj -1000"))'
    event_any memory '.oom_group == true'
    event_last oom_kill '.count >= 1 and .victim.comm == "memhog" and .limit_bytes == 67108864'
    event_last exit '.code == 137 and .memory.oom_kills >= 1'
}

@test "v2: memory.oom.group=1 without CAP_SYS_RESOURCE (a pod): jeinit dies with the group; the start line said so, the last memory lines carry the evidence" {
    local d
    d=$(cg group2 memory.max=64M memory.swap.max=0 memory.oom.group=1)
    # jeinit without CAP_SYS_RESOURCE, as in a pod (its program neither)
    JEINIT_WRAP="setpriv --bounding-set=-sys_resource" run_pid1_alone_in "$d" --interval 2 -- \
        "$MEMHOG" oom 400 4
    # unshare's own status is 1 here (util-linux 2.38: "sigprocmask unblock
    # failed" once its child, jeinit, is SIGKILLed): the kernel's count says it
    [ "$status" -ne 0 ]
    [ "$(awk '$1 == "oom_group_kill" { print $2 }' "$d/memory.events")" -ge 1 ]
    event_last start '.limits.oom_group == true
        and (.limits.oom_guard | test("^cannot set oom_score_adj -1000 [(]Permission denied, needs CAP_SYS_RESOURCE[)]"))'
    [ -z "$(events exit)" ] # killed with the rest: no exit line, no post-mortem
    [ -z "$(events oom_kill)" ]
    [ "$(awk '$1 == "oom_kill" { print $2 }' "$d/memory.events")" -ge 2 ]
    # from 80% of the limit the lines came every second instead of every 2
    event_any memory '.interval_s == 1 and .usage_pct >= 80 and .oom_group'
    event_last memory '.oom_group and .usage_pct > 85 and ([.processes[].comm] | index("memhog") != null)'
}

@test "v2: PID 1 in a v2 cgroup: SIGTERM forwarded, the program's exit code, what it left behind terminated" {
    local d pid
    d=$(cg init memory.max=128M)
    in_cg "$d" timeout -k 5 120 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" --log-format json --grace 1 -- \
        sh -c 'sleep 300 & trap "exit 7" TERM; echo ready >"$0"; while :; do sleep 0.1; done' \
        "$BATS_TEST_TMPDIR/ready" 2>"$LOG" &
    pid=$!
    wait_for_line "$BATS_TEST_TMPDIR/ready" 60 ready
    kill -TERM "$(jeinit_pid "$pid")"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 7 ]
    stderr=$(cat "$LOG")
    event_last exit '.code == 7'
    [ -z "$(cat "$d/cgroup.procs")" ] # the sleep it left was terminated, nothing is left
}
