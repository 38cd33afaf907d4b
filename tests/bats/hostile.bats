#!/usr/bin/env bats
# Processes that lie on the agent channel: every process in the container can
# reach it, by design, so whatever an agent says is a claim. A liar changes
# its own processes[] entry and nothing else: not the totals, the deltas, the
# diagnosis or a purge's figures, and it cannot take another pid's place.
# (In the sanitize tier these also prove that PID 1 survives the arithmetic.)
load helpers

HOSTILE=$ROOT/tests/helpers/hostile.py
SCHEMA=$ROOT/tests/schema/validate.py

setup() {
    [ -x "$JEINIT" ] && [ -f "$AGENT" ] && [ -x "$BUILD/helpers/memhog" ] || skip "build first: make all helpers"
    require_root
    LOG=$BATS_TEST_TMPDIR/log
}

# The hostile process runs without LD_PRELOAD: no real agent of its own.
@test "an agent reporting impossible figures is marked implausible and moves only its own entry" {
    # beside the liar, an honest process that allocates now and then (its agent wakes)
    run --separate-stderr pid1 --log-format json --interval 0.3 --purge-at 100 -- sh -c \
        'env -u LD_PRELOAD python3 "$0" lie 3 & "$1" leak 3.5 0.1; wait' "$HOSTILE" "$BUILD/helpers/memhog"
    [ "$status" -eq 0 ]
    [[ $output == *"hostile lie"* ]]
    event_last exit '.code == 0 and .memory.samples >= 8'
    # the liar's entry says so; the honest processes' entries are untouched
    event_any memory 'any(.processes[]; .comm == "python3" and .implausible == "allocated_bytes")'
    event_any memory 'any(.processes[]; .comm == "memhog" and .allocator == "jemalloc" and (.implausible | not) and .allocated_bytes < 67108864)'
    # no total wrapped or took the lie, and the diagnosis never followed it
    events memory | jq -s -e 'length >= 8 and all(.[];
        (.totals.allocated_bytes == null or .totals.allocated_bytes < 1073741824) and
        (.totals.held_bytes == null or .totals.held_bytes < 1073741824) and
        (.gap.allocator_held_bytes == null or .gap.allocator_held_bytes < 1073741824) and
        (.diagnosis.state | IN("heap-growth", "allocator-retention") | not))' >/dev/null
    printf '%s\n' "$stderr" >"$LOG"
    "$SCHEMA" "$LOG"
}

@test "a purge answered with 2^64-16 released bytes is left out of the purge line" {
    # a 64 MiB limit and --purge-at 1: a purge after the first sample
    run --separate-stderr pid1 --log-format json --interval 0.3 --memory-limit 64M --purge-at 1 -- sh -c \
        'env -u LD_PRELOAD python3 "$0" lie 2.5 & sleep 2.8; wait' "$HOSTILE"
    [ "$status" -eq 0 ]
    events purge | jq -s -e 'length >= 1 and all(.[]; .released_bytes < 1073741824 and .implausible_agents >= 1)' >/dev/null
    event_last exit '.code == 0 and .memory.purges >= 1 and .memory.purged_bytes < 1073741824'
}

@test "a registration forging another pid's credentials does not take that pid's place" {
    run --separate-stderr pid1 --log-format json --interval 0.3 -- sh -c \
        '"$1" leak 3.5 2 & m=$!; sleep 1; env -u LD_PRELOAD python3 "$0" forge $m 2; wait' \
        "$HOSTILE" "$BUILD/helpers/memhog"
    [ "$status" -eq 0 ]
    [[ $output == *"hostile forge"* ]]
    # memhog's own agent kept its place: fresh figures to the end, never the forged ones
    events memory | jq -s -e '[.[] | .processes[] | select(.comm == "memhog")] |
        length >= 8 and all(.[]; .allocated_bytes != 305419896) and
        (.[-3:] | all(.[]; .allocator == "jemalloc" and (.stale | not)))' >/dev/null
    # said once
    [ "$(events agents | jq -s 'map(select(.level == "warn" and (.msg | test("refused")))) | length')" -eq 1 ]
}
