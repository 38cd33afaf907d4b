#!/usr/bin/env bats
# jeinit sees the container: cgroup layouts from fixture trees, the limits and
# their sources, overrides, the start line, and a real v1 cgroup on this host.
load helpers

CGFIX=$FIXTURES/cgroup

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
}

# The host's cgroup mounts, to check that the tests' mount namespaces leave
# them as they were.
setup_file() {
    grep -E ' - cgroup2? ' /proc/self/mountinfo >"$BATS_FILE_TMPDIR/cgroup-mounts" || true
}

# No test cgroup may outlive the file, even one whose teardown failed.
teardown_file() {
    local left
    left=$(find /sys/fs/cgroup/memory -maxdepth 6 -type d -name "jeinit-test-$BATS_ROOT_PID-*" 2>/dev/null)
    [ -z "$left" ] || {
        echo "cgroups left behind: $left" >&2
        return 1
    }
}

# --- fixtures -------------------------------------------------------------

# Copies fixture $1 to a fresh directory and prints its path. @ROOT@ in
# proc/self/mountinfo.in (written out as proc/self/mountinfo, with mountinfo's
# \040 escape for spaces), in args and in expected.json becomes that path, so
# mount points resolve inside the copy.
fixture_copy() {
    local dst=$BATS_TEST_TMPDIR/fx/$1 f
    rm -rf "$dst"
    mkdir -p "$dst"
    cp -a "$CGFIX/$1/." "$dst/"
    if [ -f "$dst/proc/self/mountinfo.in" ]; then
        sed "s|@ROOT@|${dst// /\\\\040}|g" "$dst/proc/self/mountinfo.in" >"$dst/proc/self/mountinfo"
        rm "$dst/proc/self/mountinfo.in"
    fi
    for f in args expected.json; do
        [ -f "$dst/$f" ] && sed -i "s|@ROOT@|$dst|g" "$dst/$f"
    done
    echo "$dst"
}

# jeinit's arguments for the fixture copied to $1: its proc tree, plus the
# fixture's own (args: one per line).
fixture_args() {
    FXARGS=(--proc-root "$1/proc")
    if [ -f "$1/args" ]; then
        local a
        while IFS= read -r a; do
            [ -n "$a" ] && FXARGS+=("$a")
        done <"$1/args"
    fi
}

# Runs `jeinit --inspect` on fixture $1 (extra jeinit arguments after it);
# sets $FX, $output (the JSON), $stderr and $status.
inspect_fixture() {
    FX=$(fixture_copy "$1")
    shift
    fixture_args "$FX"
    run --separate-stderr "$JEINIT" "${FXARGS[@]}" "$@" --inspect
}

# jq definitions for comparing --inspect output with an expected.json:
# objects match when every expected key matches (extra keys in the output are
# fine), anything else must be equal. The allocator's warnings depend on the
# machine, not on the fixture, and are dropped first.
JQ_DEFS='
def own_warnings:
  if has("warnings") then .warnings |= map(select(test("jemalloc|libjeinit-agent") | not)) else . end;
def matches($e; $a):
  if ($e | type) == "object" then
    ($a | type) == "object" and
      all($e | keys[]; . as $k | ($a | has($k)) and matches($e[$k]; $a[$k]))
  else $e == $a end;
def project($e; $a):
  if ($e | type) == "object" and ($a | type) == "object" then
    reduce ($e | keys[]) as $k ({};
      .[$k] = (if $a | has($k) then project($e[$k]; $a[$k]) else "<absent>" end))
  else $a end;
'

# Fails, with a diff, unless $output is one JSON document that matches
# expected file $1. (jq -s throughout: plain jq -e succeeds on empty input.)
output_matches() {
    if jq -s -e --slurpfile e "$1" "$JQ_DEFS"'
        length == 1 and (.[0] | own_warnings | matches($e[0]; .))' <<<"$output" >/dev/null; then
        return 0
    fi
    echo "--inspect output differs from $1 (- expected, + actual):" >&2
    diff -u <(jq -S . "$1") \
        <(jq -S --slurpfile e "$1" "$JQ_DEFS"' own_warnings | project($e[0]; .)' <<<"$output") >&2
    return 1
}

# Succeeds when $output is one JSON document for which jq filter $1 holds;
# more arguments go to jq (--arg NAME VALUE, --argjson NAME JSON).
holds() {
    local filter=$1
    shift
    jq -s -e "$@" "length == 1 and (.[0] | $filter)" <<<"$output" >/dev/null || {
        echo "does not hold: $filter" >&2
        printf '%s\n' "$output" | head -c 4000 >&2
        return 1
    }
}

# Succeeds when the log in $stderr has a $1 event and jq filter $2 holds for
# the last one; more arguments go to jq.
event_holds() {
    local event=$1 filter=$2
    shift 2
    events "$event" | jq -s -e "$@" "length > 0 and (last | $filter)" >/dev/null || {
        echo "no $event event for which this holds: $filter" >&2
        printf '%s\n' "$stderr" >&2
        return 1
    }
}

# `jeinit --inspect` on fixture $1 exits 0 and matches its expected.json.
inspect_matches() {
    inspect_fixture "$@"
    if [ "$status" -ne 0 ]; then
        echo "jeinit --inspect on $1 exited $status: $stderr" >&2
        return 1
    fi
    output_matches "$FX/expected.json"
}

@test "v2 with a cgroup namespace (Docker 20+, containerd, podman on v2)" {
    inspect_matches v2-cgroupns
}

@test "v2 nested, no namespace (kubepods.slice): the pod's smaller memory.max and cpu.max win" {
    inspect_matches v2-nested-systemd
}

@test "v2 with the mount's root at /.. (cgroup namespace made after the mount), no cgroup.procs lists jeinit: limits unknown, said so" {
    inspect_matches v2-root-dotdot
    json_holds "$output" '.warnings | length == 1 and (.[0] | test("cgroup namespace without its own cgroup mount: .* shows root /[.][.], above the namespace, and no cgroup.procs under it lists pid [0-9]+ [(]2 directories searched[)]: memory and CPU limits unknown"))'
}

@test "v2 with the mount's root at /..: the directory whose cgroup.procs lists jeinit (PID 1: init/) is its cgroup" {
    FX=$(fixture_copy v2-root-dotdot)
    fixture_args "$FX"
    run --separate-stderr timeout -k 5 30 unshare --pid --fork --mount-proc "$JEINIT" "${FXARGS[@]}" --inspect
    [ "$status" -eq 0 ]
    json_holds "$output" '.cgroup.discovered_by == "cgroup.procs" and .cgroup.path == "/"
        and .cgroup.namespaced and .cgroup.memory_dir == $fx + "/sys/fs/cgroup/init"
        and .limits.memory_bytes == 2147483648 and .limits.memory_source == $fx + "/sys/fs/cgroup/memory.max"
        and .limits.cpu_quota.source == $fx + "/sys/fs/cgroup/cpu.max" and .warnings == []' --arg fx "$FX"
}

@test "v1 Docker: the mount's root is /docker/<id>, the files sit at the mount point" {
    inspect_matches v1-docker
}

@test "v1 podman: /libpod_parent/libpod-<id> at the mount point (as podman runs here)" {
    inspect_matches v1-podman
}

@test "v1 kubepods from the host's view: hierarchical_memory_limit (the pod's) beats limit_in_bytes" {
    inspect_matches v1-kubepods
}

@test "hybrid: v1 controllers and an empty cgroup2 at unified; memory from v1, system pressure" {
    inspect_matches hybrid
}

@test "v1, the container's cgroup bind-mounted over the host's: the later mount wins" {
    inspect_matches v1-bind-over
}

@test "v1 without a limit: physical memory, said so" {
    inspect_matches v1-unlimited
}

@test "no cgroups at all: layout none, memory from meminfo, no warning" {
    inspect_matches none
    holds '.usage.stat == {} and .pressure == {"scope": "unavailable"}'
    [ -z "$stderr" ]
}

@test "unparseable memory.max, cpu.max, memory.stat: warnings and fallbacks, exit 0" {
    inspect_matches garbage
    # no line of that memory.stat is "key decimal": nothing is kept
    holds '.usage.stat == {}'
}

@test "--cgroup-root with a v2 directory: read there, nothing above it" {
    inspect_matches given-v2
}

@test "--cgroup-root with a v1 /sys/fs/cgroup: one directory per controller" {
    inspect_matches given-v1
}

@test "every fixture: --inspect exits 0 with one JSON document, and has its test here" {
    local dir name
    for dir in "$CGFIX"/*/; do
        name=$(basename "$dir")
        [ -f "$dir/expected.json" ] || { echo "$name has no expected.json" >&2; return 1; }
        grep -q "^    inspect_matches $name\$" "$BATS_TEST_FILENAME" ||
            { echo "no test runs inspect_matches $name" >&2; return 1; }
        inspect_fixture "$name"
        [ "$status" -eq 0 ] || { echo "$name: exit $status: $stderr" >&2; return 1; }
        holds '(.cgroup.layout | type) == "string" and (.limits.memory_bytes | type) == "number"
            and (.warnings | type) == "array"'
    done
}

@test "cpus is the smallest of the quota, the cpuset and the CPUs jeinit may run on" {
    local cpus
    cpus=$(nproc)
    inspect_fixture v2-cgroupns # quota 1.5, cpuset 0-3
    [ "$status" -eq 0 ]
    holds '.limits.affinity_cpus == $n and
        .limits.cpus == ([1.5, 4, $n] | min)' --argjson n "$cpus"
    inspect_fixture v1-unlimited # no quota, cpuset 0-15
    holds '.limits.cpus == ([16, $n] | min) and .limits.cpu_source ==
        (if $n <= 16 then "sched_getaffinity" else .limits.cpuset_cpus.source end)' --argjson n "$cpus"
}

# --- overrides ------------------------------------------------------------

@test "--memory-limit below the cgroup's limit wins and is named as the source" {
    inspect_fixture v2-cgroupns --memory-limit 256Mi
    [ "$status" -eq 0 ]
    holds '.limits.memory_bytes == 268435456 and .limits.memory_unlimited == false and
        .limits.memory_source == "--memory-limit / JEINIT_MEMORY_LIMIT" and
        .limits.memory_max.bytes == 536870912'

    JEINIT_MEMORY_LIMIT=384Mi inspect_fixture v1-docker # above its 256 MiB: no effect
    holds '.limits.memory_bytes == 268435456 and .limits.memory_source == $src' \
        --arg src "$FX/sys/fs/cgroup/memory/memory.limit_in_bytes"
    JEINIT_MEMORY_LIMIT=200Mi inspect_fixture v1-docker
    holds '.limits.memory_bytes == 209715200 and
        .limits.memory_source == "--memory-limit / JEINIT_MEMORY_LIMIT"'
}

@test "--memory-limit above the cgroup's limit changes nothing" {
    inspect_fixture v2-cgroupns --memory-limit 1Gi
    [ "$status" -eq 0 ]
    holds '.limits.memory_bytes == 536870912 and .limits.memory_source == $src' \
        --arg src "$FX/sys/fs/cgroup/memory.max"
    # between the pod's 768 MiB and the container's 1 GiB: the pod's still wins
    inspect_fixture v2-nested-systemd --memory-limit 900Mi
    holds '.limits.memory_bytes == 805306368 and
        (.limits.memory_source | endswith(".slice/memory.max"))'
}

@test "--memory-limit without a cgroup limit is the limit, unless above the machine's memory" {
    inspect_fixture v1-unlimited --memory-limit 1.5Gi
    [ "$status" -eq 0 ]
    holds '.limits.memory_bytes == 1610612736 and .limits.memory_unlimited == false and
        .limits.memory_source == "--memory-limit / JEINIT_MEMORY_LIMIT"'
    inspect_fixture v1-unlimited --memory-limit 64Gi
    holds '.limits.memory_bytes == 8343793664 and .limits.memory_unlimited == true and
        (.limits.memory_source | startswith("no cgroup limit: physical memory"))'
}

@test "JEINIT_CPU_LIMIT=500m gives 0.5 CPUs; --cpu-limit above the quota changes nothing" {
    JEINIT_CPU_LIMIT=500m inspect_fixture v2-cgroupns
    [ "$status" -eq 0 ]
    holds '.limits.cpus == 0.5 and .limits.cpu_source == "--cpu-limit / JEINIT_CPU_LIMIT" and
        .limits.cpu_quota.millicores == 1500'
    inspect_fixture v1-docker --cpu-limit 250m
    holds '.limits.cpus == 0.25 and .limits.cpu_source == "--cpu-limit / JEINIT_CPU_LIMIT"'
    inspect_fixture given-v2 --cpu-limit 2 # quota 0.5
    holds '.limits.cpus == 0.5 and .limits.cpu_source == $src' \
        --arg src "$FX/sys/fs/cgroup/system.slice/app.service/cpu.max"
}

@test "bad JEINIT_MEMORY_LIMIT or JEINIT_CPU_LIMIT: a warning naming it, the program still runs" {
    require_root
    FX=$(fixture_copy v2-cgroupns)
    JEINIT_MEMORY_LIMIT=lots JEINIT_CPU_LIMIT=many run --separate-stderr \
        pid1 --log-format json --proc-root "$FX/proc" -- sh -c 'exit 7'
    [ "$status" -eq 7 ]
    assert_json_log
    events config | jq -s -e 'length == 2 and all(.level == "warn") and
        any(.msg | contains("JEINIT_MEMORY_LIMIT") and contains("lots")) and
        any(.msg | contains("JEINIT_CPU_LIMIT") and contains("many"))'
    event_holds start '.limits.memory_bytes == 536870912 and .limits.memory_source == $src and
        .limits.cpu_source != "--cpu-limit / JEINIT_CPU_LIMIT"' --arg src "$FX/sys/fs/cgroup/memory.max"

    JEINIT_MEMORY_LIMIT=lots run --separate-stderr "$JEINIT" --proc-root "$FX/proc" --inspect
    [ "$status" -eq 0 ]
    holds '.limits.memory_bytes == 536870912'
}

@test "a bad --memory-limit flag stops jeinit before anything starts" {
    run --separate-stderr "$JEINIT" --memory-limit lots -- sh -c "touch '$BATS_TEST_TMPDIR/ran'"
    [ "$status" -eq 1 ]
    [[ $stderr == *"--memory-limit"*"lots"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

# --- the start line -------------------------------------------------------

# The limits and cgroup of --inspect, in the start line's shape; oom_guard
# apart: what jeinit did about OOM kills (--inspect does nothing: null).
START_SHAPE='{cgroup: {layout: .cgroup.layout, memory_dir: .cgroup.memory_dir},
    limits: (.limits | {memory_bytes, memory_unlimited, memory_source, memory_high_bytes, cpus, cpu_source,
        memory_ceiling_bytes, memory_ceiling_source, oom_group})}'
START_GOT='{cgroup, limits: (.limits | del(.oom_guard))}'
GUARDED='.limits.oom_guard | test("^(oom_score_adj -1000: the OOM killer never picks jeinit|cannot set oom_score_adj -1000 [(])")'

@test "the start line carries the limits --inspect reports (jeinit as PID 1)" {
    require_root
    local name want got
    for name in v2-cgroupns v2-nested-systemd v2-root-dotdot v1-docker v1-podman v1-kubepods \
        hybrid v1-unlimited none given-v2; do
        # both as PID 1: where the mount hides the cgroup (v2-root-dotdot),
        # it is found by the pid in cgroup.procs, 1 in the fixture
        FX=$(fixture_copy "$name")
        fixture_args "$FX"
        run --separate-stderr pid1 "${FXARGS[@]}" --inspect
        [ "$status" -eq 0 ]
        want=$(jq -S -c "$START_SHAPE" <<<"$output")
        [ -n "$want" ]
        run --separate-stderr pid1 --log-format json "${FXARGS[@]}" -- true
        [ "$status" -eq 0 ]
        got=$(events start | jq -S -c "$START_GOT")
        event_holds start "$GUARDED"
        [ "$got" = "$want" ] || {
            printf '%s: start line differs from --inspect\n  start:   %s\n  inspect: %s\n' \
                "$name" "$got" "$want" >&2
            return 1
        }
    done
}

@test "the start line carries the overridden limits too (jeinit not PID 1)" {
    require_root
    local want
    export JEINIT_MEMORY_LIMIT=300Mi JEINIT_CPU_LIMIT=0.75
    inspect_fixture v1-kubepods
    [ "$status" -eq 0 ]
    want=$(jq -S -c "$START_SHAPE" <<<"$output")
    holds '.limits.memory_bytes == 314572800 and .limits.cpus == 0.75'
    [ -n "$want" ]
    run --separate-stderr not_pid1 --log-format json -s "${FXARGS[@]}" -- true
    [ "$status" -eq 0 ]
    [ "$(events start | jq -S -c "$START_GOT")" = "$want" ]
    event_holds start "$GUARDED"
    event_holds start '.pid != 1 and .subreaper == true'
}

# --- a real v1 memory cgroup ----------------------------------------------

# Makes $CG, a child of this shell's own v1 memory cgroup ($CG_PARENT) with
# a 200M limit; $CG_PATH is its path as /proc/self/cgroup names it. teardown
# removes it. Skips, saying why, without root or a v1 memory controller.
make_memcg() {
    local path hier
    require_root
    path=$(awk -F: '$2 == "memory" { print $3; exit }' /proc/self/cgroup)
    [ -n "$path" ] || skip "no cgroup v1 memory controller (no N:memory:PATH in /proc/self/cgroup)"
    CG_PARENT=/sys/fs/cgroup/memory${path%/}
    [ -f "$CG_PARENT/memory.limit_in_bytes" ] ||
        skip "the v1 memory controller is not mounted at /sys/fs/cgroup/memory"
    CG_PATH=${path%/}/jeinit-test-$BATS_ROOT_PID-$BATS_TEST_NUMBER
    CG=/sys/fs/cgroup/memory$CG_PATH
    mkdir "$CG"
    echo 200M >"$CG/memory.limit_in_bytes"
    hier=$(awk '$1 == "hierarchical_memory_limit" { print $2 }' "$CG/memory.stat")
    [ "$hier" -ge 209715200 ] || skip "an ancestor of $CG_PARENT is limited below 200M ($hier)"
}

# Runs "$@" (for at most 30 s) from a shell that has moved itself into $CG.
in_cg() {
    timeout 30 sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"
}

teardown() {
    local pid i
    [ -n "${CG:-}" ] && [ -d "$CG" ] || return 0
    # anything still inside goes back to the parent, then the cgroup goes
    for i in 1 2 3 4 5 6 7 8 9 10; do
        for pid in $(cat "$CG/cgroup.procs" 2>/dev/null); do
            echo "$pid" >"$CG_PARENT/cgroup.procs" 2>/dev/null || true
        done
        rmdir "$CG" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "could not remove $CG" >&2
    return 1
}

@test "real v1 cgroup: --inspect reports its 200M limit, from its own file, and its usage" {
    make_memcg
    run --separate-stderr in_cg "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    holds '
        .cgroup.memory_version == 1 and .cgroup.path == $path and .cgroup.memory_dir == $dir and
        .limits.memory_bytes == 209715200 and .limits.memory_unlimited == false and
        .limits.memory_source == $dir + "/memory.limit_in_bytes" and
        .limits.memory_max.bytes == 209715200 and .limits.memory_ancestors.bytes == 209715200 and
        .usage.usage_bytes > 0 and .usage.peak_bytes >= .usage.usage_bytes and
        .events.max == 0 and .pressure.scope == "system"' --arg dir "$CG" --arg path "$CG_PATH"
    # the real /proc: libcgroup is asked, and here it agrees with mountinfo
    holds '.cgroup.discovered_by == "libcgroup" and .cgroup.libcgroup == "libcgroup and mountinfo agree"'
}

@test "real v1 cgroup: jeinit as PID 1 inside it logs the same limit and runs the program there" {
    make_memcg
    run --separate-stderr timeout 60 unshare --pid --fork --mount-proc --kill-child \
        sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$JEINIT" --log-format json -- \
        sh -c 'head -c 50000000 /dev/zero | tail -c 1 >/dev/null; cat /proc/self/cgroup'
    [ "$status" -eq 0 ]
    assert_json_log
    grep -qx "[0-9]*:memory:$CG_PATH" <<<"$output"
    event_holds start '.pid == 1 and .cgroup.memory_dir == $dir and .limits.memory_bytes == 209715200
        and .limits.memory_source == $dir + "/memory.limit_in_bytes"' --arg dir "$CG"
    event_holds exit '.code == 0 and .memory.limit_bytes == 209715200'
    # the program's pages were charged here, and it never came near the limit
    [ "$(cat "$CG/memory.max_usage_in_bytes")" -gt 0 ]
    [ "$(cat "$CG/memory.failcnt")" -eq 0 ]
}

@test "libcgroup's gap, for real: the cgroup bind-mounted over /sys/fs/cgroup/memory" {
    make_memcg
    # mountinfo now shows the child's path as the mount's root while
    # /proc/self/cgroup still shows the full path; the host's mount stays
    # underneath, hidden
    run --separate-stderr timeout 30 unshare --mount --propagation private \
        sh -c 'echo $$ >"$0/cgroup.procs" && mount --bind "$0" /sys/fs/cgroup/memory && exec "$@"' \
        "$CG" "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    holds '
        .cgroup.path == $path and .cgroup.memory_dir == "/sys/fs/cgroup/memory" and
        .limits.memory_bytes == 209715200 and
        .limits.memory_source == "/sys/fs/cgroup/memory/memory.limit_in_bytes" and
        .cgroup.discovered_by == "mountinfo" and
        (.cgroup.libcgroup | contains("libcgroup names /sys/fs/cgroup/memory" + $path + " ") and
            contains("ignoring the mount'"'"'s root " + $path + ";") and
            endswith("used /sys/fs/cgroup/memory from mountinfo")) and
        .warnings == []' --arg path "$CG_PATH"
}

@test "libcgroup's gap, for real: podman's v1 layout, the cgroup the only memory mount" {
    make_memcg
    mkdir "$BATS_TEST_TMPDIR/mnt"
    run --separate-stderr timeout 30 unshare --mount --propagation private \
        sh -c 'echo $$ >"$0/cgroup.procs" && mount --bind "$0" "$1" && umount -l /sys/fs/cgroup/memory &&
               mount --move "$1" /sys/fs/cgroup/memory && shift && exec "$@"' \
        "$CG" "$BATS_TEST_TMPDIR/mnt" "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    holds '
        .cgroup.memory_dir == "/sys/fs/cgroup/memory" and .limits.memory_bytes == 209715200 and
        .cgroup.discovered_by == "mountinfo" and
        (.cgroup.libcgroup | contains("ignoring the mount'"'"'s root " + $path + ";"))' --arg path "$CG_PATH"
}

@test "without the bind mount the same cgroup is found by libcgroup, and the host is untouched" {
    make_memcg
    run --separate-stderr in_cg "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    holds '.cgroup.discovered_by == "libcgroup" and .cgroup.memory_dir == $dir and
        .limits.memory_bytes == 209715200' --arg dir "$CG"
    # the mount namespaces of the tests above left the host's mounts alone
    diff "$BATS_FILE_TMPDIR/cgroup-mounts" <(grep -E ' - cgroup2? ' /proc/self/mountinfo)
    [ -z "$(grep jeinit-test- /proc/self/mountinfo)" ]
}

# --- robustness -----------------------------------------------------------

@test "every fixture with its files cut at random lengths (seeded): exit 0, valid JSON" {
    local dir name seed f size
    for dir in "$CGFIX"/*/; do
        name=$(basename "$dir")
        for seed in 1 2 3 4 5 6; do
            RANDOM=$seed
            FX=$(fixture_copy "$name")
            while IFS= read -r f; do
                size=$(stat -c %s "$f")
                truncate -s $((RANDOM % (size + 1))) "$f"
            done < <(find "$FX/proc" "$FX/sys" -type f 2>/dev/null | LC_ALL=C sort)
            fixture_args "$FX"
            run --separate-stderr "$JEINIT" "${FXARGS[@]}" --inspect
            if [ "$status" -ne 0 ] || ! holds '(.limits.memory_bytes | type) == "number"' 2>/dev/null; then
                echo "$name, seed $seed: exit $status" >&2
                printf '%s\n%s\n' "$output" "$stderr" >&2
                return 1
            fi
        done
    done
}

@test "a FIFO where a cgroup file is expected never stops jeinit: the program starts" {
    # an odd mount, or a crafted --cgroup-root: every cgroup file a FIFO,
    # with nobody at the other end (open or read of it would block forever)
    root=$BATS_TEST_TMPDIR/cg
    mkdir -p "$root"
    for f in memory.max memory.high memory.swap.max memory.current memory.peak memory.stat \
        memory.events memory.pressure cpu.max cpuset.cpus.effective cgroup.controllers; do
        mkfifo "$root/$f"
    done
    start=$(date +%s%N)
    run --separate-stderr pid1 --log-format json --cgroup-root "$root" --interval 0.2 -- \
        sh -c 'sleep 0.5; exit 7'
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 7 ]
    [ "$elapsed" -lt 10000 ]
    event_last start '.limits.memory_source | test("no cgroup limit|MemTotal")'
    event_last exit '.code == 7'
    TIMEOUT=10 run --separate-stderr timeout -k 5 10 "$JEINIT" --cgroup-root "$root" --inspect
    [ "$status" -eq 0 ]
}

@test "v2 files changed while the program runs: a new memory.max is followed, a vanished one is not taken for no limit" {
    local fx max
    fx=$(fixture_copy v2-cgroupns)
    fixture_args "$fx"
    max=$fx/sys/fs/cgroup/memory.max
    # the program is the operator: 512M, then 256M, then no file, then "max"
    run --separate-stderr timeout -k 5 30 "$JEINIT" "${FXARGS[@]}" --log-format json --interval 0.2 -- \
        sh -c 'sleep 0.7; echo 268435456 >"$1"; sleep 1.5; rm "$1"; sleep 1.5; echo max >"$1"; sleep 1.5' \
        sh "$max"
    [ "$status" -eq 0 ]
    [ "$(events memory_limit | wc -l)" -eq 2 ]
    events memory_limit | jq -s -e --arg f "$max" '
        .[0].previous_limit_bytes == 536870912 and .[0].limit_bytes == 268435456 and .[0].source == $f and
        (.[0].limit_unlimited | not) and .[1].previous_limit_bytes == 268435456 and .[1].limit_unlimited and
        (.[1].msg | startswith("the memory limit changed: 256 MiB to none"))' >/dev/null
    event_last exit '.memory.limit_bytes > 536870912'
    "$ROOT/tests/schema/validate.py" --strict <(printf '%s\n' "$stderr")
}
