# Shared by the bats files: where the binaries are, and how to run jeinit so
# that whatever a test starts dies with it.
bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=$ROOT/${JEINIT_BUILD:-build}
JEINIT=$BUILD/jeinit
AGENT=$BUILD/libjeinit-agent.so
SIGREC=$BUILD/helpers/sigrec
ORPHANS=$BUILD/helpers/orphans
SUBREAPER=$BUILD/helpers/subreaper
FIXTURES=$ROOT/tests/fixtures

# jeinit as PID 1 of a new pid namespace: everything it leaves dies with the
# namespace, and timeout bounds a test that hangs.
pid1() {
    timeout -k 5 "${TIMEOUT:-60}" unshare --pid --fork --mount-proc --kill-child "$JEINIT" "$@"
}

# jeinit as an ordinary process, inside a throw-away pid namespace whose
# PID 1 is a shell, so that it is not PID 1 but nothing can leak.
not_pid1() {
    timeout -k 5 "${TIMEOUT:-60}" unshare --pid --fork --mount-proc --kill-child \
        sh -c '"$@"; rc=$?; exit $rc' sh "$JEINIT" "$@"
}

# The tiers look at what each memory line says, so they sample as before
# the log budget: a line every interval (no heartbeat) with every process
# that fits in 4,096 bytes. logbudget.bats tests the defaults (it unsets
# these); a test's own flags win over them.
export JEINIT_HEARTBEAT=${JEINIT_HEARTBEAT-0}
export JEINIT_LOG_PROCESSES=${JEINIT_LOG_PROCESSES-256}

# Fails, saying which, unless every jeinit line in $stderr (JSON, or text
# with a timestamp and a level) is at most 4,096 bytes with its newline and
# every JSON line has a non-empty msg. With JEINIT_LOG_LONGEST set, appends
# the longest line's size to that file.
log_budget_ok() {
    local longest bad
    longest=$(printf '%s\n' "$stderr" | LC_ALL=C awk '
        /^\{"ts":"/ || /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z (error|warn|info|debug|trace) / {
            n = length($0) + 1
            if (n > 4096) { print "over 4096 bytes (" n "): " substr($0, 1, 160) > "/dev/stderr"; bad = 1 }
            if (n > max) max = n
        }
        END { print max + 0; exit bad }') || return 1
    [ -z "${JEINIT_LOG_LONGEST:-}" ] || echo "$longest" >>"$JEINIT_LOG_LONGEST"
    bad=$(printf '%s\n' "$stderr" | jq -R -r 'fromjson? | select(type == "object" and .event != null) |
        select((.msg | type) != "string" or .msg == "") | .event' | head -n 3)
    [ -z "$bad" ] || {
        echo "log lines without a msg: $bad" >&2
        return 1
    }
}

# log_budget_ok on what jeinit wrote into files (a test that sent its log to
# a file rather than to run's $stderr). Files that do not exist are skipped.
log_file_budget_ok() {
    local stderr="" f
    for f in "$@"; do
        [ -f "$f" ] && stderr+=$(cat "$f")$'\n'
    done
    log_budget_ok
}

# The JSON log lines of an event, from $stderr (set by run --separate-stderr).
# (Lines that are not JSON, e.g. the program's own stderr, are skipped.)
# Every test that reads its log through here also checks the log budget
# (log_budget_ok): on a violation nothing is printed, so that the test fails.
events() {
    log_budget_ok || return 1
    printf '%s\n' "$stderr" | jq -R -c --arg e "$1" 'fromjson? | select(.event == $e)'
}

# Fails unless every stderr line is a JSON object with ts, level and event
# (and within the log budget: log_budget_ok).
assert_json_log() {
    local bad
    log_budget_ok || return 1
    bad=$(printf '%s\n' "$stderr" | grep -v '^$' |
        jq -R 'try (fromjson | select(.ts and .level and .event) | empty) catch "bad"' |
        grep -c bad || true)
    [ "$bad" -eq 0 ] || {
        echo "non-JSON log lines: $bad" >&2
        printf '%s\n' "$stderr" >&2
        return 1
    }
}

# Waits up to $2 seconds (default 5) for file $1 to contain pattern $3.
wait_for_line() {
    local file=$1 pattern=$3 i
    for ((i = 0; i < ${2:-5} * 20; i++)); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "timed out waiting for '$pattern' in $file" >&2
    cat "$file" >&2 2>/dev/null
    return 1
}

require_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (unshare, cgroups)"
}

# Tests of programs that drop to nobody need the build (jemalloc, the agent,
# the helpers) where nobody can reach it: a checkout under a 0700 directory
# (mktemp -d) is not.
require_build_reachable_by_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$AGENT" -a -r "$BUILD/libjemalloc.so.2" ||
        skip "nobody cannot read $BUILD (a parent directory is not searchable by others): the ids-dropping cases need it"
}

# Host pid of the first process named $2 (default jeinit) below pid $1 (as
# started by `pid1 ... &`); waits up to 5 s for it to appear.
jeinit_pid() {
    local i queue p kids
    for ((i = 0; i < 100; i++)); do
        queue=("$1")
        while [ ${#queue[@]} -gt 0 ]; do
            p=${queue[0]}
            queue=("${queue[@]:1}")
            if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "${2:-jeinit}" ]; then
                echo "$p"
                return 0
            fi
            kids=$(cat /proc/"$p"/task/*/children 2>/dev/null) || true
            for k in $kids; do queue+=("$k"); done
        done
        sleep 0.05
    done
    echo "no ${2:-jeinit} below $1" >&2
    return 1
}

# Succeeds when the last $1 event in $stderr exists and jq filter $2 holds
# for it. (Plain `jq -e` succeeds on empty input: never use it for checks.)
event_last() {
    events "$1" | jq -s -e "(length > 0) and (last | $2)" >/dev/null || {
        echo "no $1 event with $2 in:" >&2
        events "$1" >&2
        return 1
    }
}

# Succeeds when some $1 event in $stderr satisfies jq filter $2.
event_any() {
    events "$1" | jq -s -e "any(.[]; $2)" >/dev/null || {
        echo "no $1 event with $2 in:" >&2
        events "$1" >&2
        return 1
    }
}

# --- k8s.bats and container.bats ------------------------------------------

MANIFEST_PY=$ROOT/tests/container/manifest.py

# The offline manifest checker (PyYAML from Debian's python3-yaml).
manifest() {
    /usr/bin/python3 "$MANIFEST_PY" "$@"
}

require_yaml() {
    /usr/bin/python3 -c 'import yaml' 2>/dev/null ||
        skip "needs /usr/bin/python3 with PyYAML (apt-get install python3-yaml)"
}

# Succeeds when JSON text $1 is not empty and jq filter $2 holds for it
# (with -s, so that empty input cannot pass); more arguments go to jq
# (--arg NAME VALUE, --argjson NAME JSON).
json_holds() {
    local json=$1 filter=$2
    shift 2
    printf '%s\n' "$json" | jq -s -e "$@" "(length > 0) and (last | $filter)" >/dev/null || {
        echo "jq filter does not hold: $filter" >&2
        printf '%s\n' "$json" | head -c 4000 >&2
        return 1
    }
}

# Points podman at the private setup of tests/container/podman-setup.sh
# (storage and config under /var/tmp/podman-local) when that script exists.
podman_env() {
    local setup=${JEINIT_PODMAN_SETUP:-$ROOT/tests/container/podman-setup.sh}
    if [ -f "$setup" ]; then
        eval "$(bash "$setup" --env)"
    fi
}

# Prints why rootful podman cannot run debian:bookworm-slim here; prints
# nothing when it can. (bats 1.8 cannot skip from setup_file: a file's
# setup_file keeps the reason for each test's setup to skip with.)
podman_unavailable() {
    if ! command -v podman >/dev/null; then
        echo "podman is not installed (tests/container/podman-setup.sh installs it)"
    elif [ "$(id -u)" -ne 0 ]; then
        echo "needs root (rootful podman with real cgroup limits)"
    else
        podman_env
        podman image exists docker.io/library/debian:bookworm-slim 2>/dev/null ||
            echo "no debian:bookworm-slim image (run tests/container/podman-setup.sh)"
    fi
}

# Skips, saying why, unless rootful podman can run debian:bookworm-slim.
require_podman() {
    local why
    why=$(podman_unavailable)
    [ -z "$why" ] || skip "$why"
    podman_env
}

# True when jeinit is the ASan build (make sanitize).
is_sanitized() {
    nm "$JEINIT" 2>/dev/null | grep -q __asan_init
}
