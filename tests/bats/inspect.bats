#!/usr/bin/env bats
# `jeinit --inspect` for people: on a tty (or --inspect=text) an aligned
# summary of what jeinit sees, sets and could not do; JSON in a pipe (or
# --inspect=json), as before. The tty is a real one, from script(1).
load helpers

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
    command -v script >/dev/null || skip "script(1) is missing (bsdutils)"
    # a v2 cgroup directory of our own: 512 MiB, memory.high 384 MiB, 1.5 CPUs
    CG=$BATS_TEST_TMPDIR/cg
    mkdir -p "$CG"
    echo 536870912 >"$CG/memory.max"
    echo 402653184 >"$CG/memory.high"
    echo "150000 100000" >"$CG/cpu.max"
}

# jeinit's stdout on a real terminal (script's pty), without the CRs.
on_tty() {
    local cmd
    printf -v cmd '%q ' "$@"
    timeout -k 5 30 script -qec "$cmd" /dev/null | tr -d '\r'
}

@test "--inspect on a tty: what jeinit sees, with each limit's file, what it sets and why, what it could not do" {
    run on_tty "$JEINIT" --cgroup-root "$CG" --inspect
    [ "$status" -eq 0 ]
    echo "$output"
    [[ "${lines[0]}" == "jeinit "*" --inspect (every figure, as JSON: --inspect=json)" ]]
    [[ "$output" == *$'\nWhat jeinit sees\n'* ]]
    [[ "$output" == *$'\nWhat jeinit sets for the program, and why\n'* ]]
    [[ "$output" == *$'\nWhat jeinit could not do\n'* ]]
    printf '%s\n' "$output" | grep -qxE "  memory limit +512 MiB \(536870912 bytes\) +from $CG/memory.max"
    printf '%s\n' "$output" | grep -qxE "  memory.high +384 MiB \(402653184 bytes\) +from $CG/memory.high"
    printf '%s\n' "$output" | grep -qxE "  CPU quota +1.5 CPUs +from $CG/cpu.max"
    printf '%s\n' "$output" | grep -qxE "  => judged against +384 MiB +$CG/memory.high"
    # every option of the JSON, with its reason's first words, in the text
    json=$("$JEINIT" --cgroup-root "$CG" --inspect)
    n=0
    while IFS=$'\t' read -r kv reason; do
        printf '%s\n' "$output" | grep -A1 -F -- "  $kv" | grep -qF -- "${reason:0:24}" || {
            echo "no line for $kv: $reason" >&2
            return 1
        }
        n=$((n + 1))
    done < <(jq -r '.allocator.options[] | "\(.key):\(.value)\t\(.reason)"' <<<"$json")
    [ "$n" -ge 3 ]
    conf=$(jq -r .allocator.malloc_conf <<<"$json")
    # a long value wraps after a ',': read back whole
    row=$(printf '%s\n' "$output" | awk '/^  MALLOC_CONF / { sub(/^  MALLOC_CONF +/, ""); v = $0; on = 1; next }
        on && substr($0, 1, 25) ~ /^ +$/ && substr($0, 26, 1) != " " { sub(/^ +/, ""); v = v $0; next } { on = 0 } END { print v }')
    [ "$row" = "$conf" ]
    # aligned and short: 100 columns at most, values in one column
    [ "$(printf '%s\n' "$output" | awk 'length > 100' | wc -l)" -eq 0 ]
    [ "$(printf '%s\n' "$output" | grep -E '^  [^ ]' | grep -cvE '^  .{22} [^ ]|^  .{23,}$')" -eq 0 ]
}

@test "--inspect in a pipe is JSON as before; --inspect=json on a tty too; --inspect=text in a pipe is text" {
    run --separate-stderr "$JEINIT" --cgroup-root "$CG" --inspect
    [ "$status" -eq 0 ]
    jq -e '.limits.memory_max.bytes == 536870912' <<<"$output"
    run on_tty "$JEINIT" --cgroup-root "$CG" --inspect=json
    [ "$status" -eq 0 ]
    jq -e '.limits.memory_high.bytes == 402653184' <<<"$output"
    run --separate-stderr "$JEINIT" --cgroup-root "$CG" --inspect=text
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\nWhat jeinit sees\n'* ]]
    ! jq -e . <<<"$output" 2>/dev/null
}

# The rows under "What jeinit could not do" in $1 (the text).
could_not() {
    printf '%s\n' "${1#*$'\nWhat jeinit could not do\n'}" | grep -E '^  [^ ]'
}

@test "what jeinit could not do: each warning of the JSON, by where it came from; (nothing) when none" {
    JEINIT_MEMORY_LIMIT=lots run --separate-stderr "$JEINIT" --cgroup-root "$CG" --inspect=text
    [ "$status" -eq 0 ]
    log_budget_ok # the warning's own log line
    [[ "$output" == *$'\nWhat jeinit could not do\n'* ]]
    could_not "$output" | grep -qE "^  settings +ignoring JEINIT_MEMORY_LIMIT='lots'"
    json=$(JEINIT_MEMORY_LIMIT=lots "$JEINIT" --cgroup-root "$CG" --inspect)
    [ "$(could_not "$output" | wc -l)" -eq "$(jq '.warnings | length' <<<"$json")" ]
    while IFS= read -r w; do
        could_not "$output" | grep -qF -- "${w:0:40}"
    done < <(jq -r '.warnings[]' <<<"$json")
    # --no-agent: no agent to miss; whatever is left is listed, or "(nothing)"
    run --separate-stderr "$JEINIT" --no-agent --cgroup-root "$CG" --inspect=text
    json=$("$JEINIT" --no-agent --cgroup-root "$CG" --inspect)
    if [ "$(jq '.warnings | length' <<<"$json")" -eq 0 ]; then
        [[ "$(could_not "$output")" =~ ^\ \ \(nothing\)\ +no\ warning$ ]]
    else
        [ "$(could_not "$output" | wc -l)" -eq "$(jq '.warnings | length' <<<"$json")" ]
    fi
}

@test "--inspect=xml is refused with one message, exit 1" {
    run --separate-stderr "$JEINIT" --inspect=xml
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"invalid --inspect value 'xml': expected text, json or auto"* ]]
}
