# Real cgroup v1 memory cgroups for tests: made under this shell's own
# memory cgroup, removed by memcg_remove even after a failure.

# Echoes the path of a new child cgroup with memory limit $1 (bytes or 512M).
memcg_create() {
    local base dir
    base=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
    [ -n "$base" ] && [ -d "/sys/fs/cgroup/memory$base" ] || return 1
    dir=/sys/fs/cgroup/memory${base%/}/jeinit-test-$$-$RANDOM
    mkdir "$dir" || return 1
    echo "$1" >"$dir/memory.limit_in_bytes" || { rmdir "$dir"; return 1; }
    echo "$dir"
}

# Moves whatever is left to the parent and removes the cgroup.
memcg_remove() {
    local dir=$1 pid
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        rmdir "$dir" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "could not remove $dir" >&2
    return 1
}

# Runs a command inside cgroup $1: the shell joins it, then execs.
in_memcg() {
    local dir=$1
    shift
    sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$dir" "$@"
}

require_memcg() {
    require_root
    grep -q ':memory:' /proc/self/cgroup || skip "no cgroup v1 memory controller on this machine"
}
