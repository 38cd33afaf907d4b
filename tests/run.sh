#!/usr/bin/env bash
# Runs jeinit's tests by tier and ends with one line "N passed, N failed, N skipped".
#   tests/run.sh                 every tier
#   tests/run.sh unit init       some tiers
# Tiers: lint (clang-format, cppcheck, clang-tidy), unit (C tests of pure
# code), the bats files in tests/bats/ by name (init, tini, cgroup, allocator,
# agent, monitor, heapprof, k8s, gunicorn, container, release), fuzz (a short
# smoke of each harness), sanitize (the jeinit tiers again on an ASan+UBSan build), v2
# (tests/bats/v2.bats on a real cgroup v2 kernel in a QEMU VM: tests/v2/).
#
# A tier passes only when it ran to the end: its TAP plan (1..N) must be
# there and match the results it printed, and it must exit 0 unless it
# reported a failed test. A tier that crashes, times out, is missing or whose
# runner is missing counts as failed, by name. Each tier's wall time is shown.
# JEINIT_BUILD picks the build dir (default build); JEINIT_TIER_TIMEOUT bounds
# one tier (seconds, default 1800).
set -uo pipefail
shopt -s lastpipe # the tally at the end of a pipeline runs in this shell
cd "$(dirname "$0")/.."
export JEINIT_BUILD=${JEINIT_BUILD:-build}
tier_timeout=${JEINIT_TIER_TIMEOUT:-1800}

passed=0 failed=0 skipped=0
failures=() times=()
# what tally saw of the current tier
t_plans=0 t_planned=0 t_results=0 t_failed=0 t_summary=""

# Records a failure the tier did not print itself (as a TAP line, so that a
# nested run's tally counts it too).
tier_failed() {
    local name=$1 why=$2
    printf 'not ok - %s: %s\n' "$name" "$why"
    failed=$((failed + 1))
    failures+=("$name: $why")
}

# Reads TAP on stdin, echoes it, and tallies. A nested runner's summary line
# is kept (t_summary) and echoed as a comment, so that the last summary line
# of the output is always this runner's.
tally() {
    local name=$1 line
    t_plans=0 t_planned=0 t_results=0 t_failed=0 t_summary=""
    while IFS= read -r line; do
        case $line in
        "not ok "*)
            t_results=$((t_results + 1)) t_failed=$((t_failed + 1))
            failed=$((failed + 1))
            failures+=("$name: ${line#not ok }")
            ;;
        "ok "*"# skip"* | "ok "*"# SKIP"*) t_results=$((t_results + 1)) skipped=$((skipped + 1)) ;;
        "ok "*) t_results=$((t_results + 1)) passed=$((passed + 1)) ;;
        1..[0-9]*)
            t_plans=$((t_plans + 1))
            t_planned=$((t_planned + ${line#1..}))
            ;;
        [0-9]*" passed, "[0-9]*" failed, "[0-9]*" skipped")
            t_summary=$line
            line="# $name: $line"
            ;;
        esac
        printf '%s\n' "$line"
    done
}

# "P passed, F failed, S skipped" -> P+F+S
summary_total() {
    local p f s
    read -r p _ f _ s _ <<<"${1//,/}"
    echo $((p + f + s))
}

# run_tier NAME MODE CMD...: runs CMD under the tier timeout, tallies its
# output and checks that it ran to the end. MODE is "plan" (CMD prints TAP
# with one or more plans) or "nested" (CMD is this runner again: its summary
# must be there and agree with what was counted).
run_tier() {
    local name=$1 mode=$2 start rc
    shift 2
    echo "# tier $name"
    start=$(date +%s%N)
    timeout -k 10 "$tier_timeout" "$@" 2>&1 | tally "$name"
    rc=${PIPESTATUS[0]}
    times+=("$(printf '%-22s %7.1f s' "$name" "$((($(date +%s%N) - start) / 1000000))e-3")")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        tier_failed "$name" "timed out after ${tier_timeout}s ($t_results results)"
    elif [ "$rc" -eq 127 ] && [ "$t_results" -eq 0 ]; then
        tier_failed "$name" "could not run: $1 not found"
    elif [ "$mode" = plan ] && [ "$t_plans" -eq 0 ]; then
        tier_failed "$name" "no TAP plan: it crashed or did not run (exit $rc, $t_results results)"
    elif [ "$mode" = plan ] && [ "$t_planned" -ne "$t_results" ]; then
        tier_failed "$name" "planned $t_planned tests, $t_results ran (exit $rc)"
    elif [ "$mode" = nested ] && [ -z "$t_summary" ]; then
        tier_failed "$name" "ended without its summary line (exit $rc)"
    elif [ "$mode" = nested ] && [ "$(summary_total "$t_summary")" -ne "$t_results" ]; then
        tier_failed "$name" "its summary ($t_summary) disagrees with the $t_results results it printed"
    elif [ "$rc" -ne 0 ] && [ "$t_failed" -eq 0 ]; then
        tier_failed "$name" "exited with status $rc but reported no failed test"
    fi
    return 0
}

run_unit() {
    local src t n=0
    for src in tests/unit/test_*.c; do
        t=$JEINIT_BUILD/unit/$(basename "$src" .c)
        n=$((n + 1))
        if [ -x "$t" ]; then
            # a crash shows as a short plan, not as silence
            run_tier "unit/${t##*/}" plan "$t"
        else
            tier_failed "unit/${t##*/}" "not built ($t missing: make unit)"
        fi
    done
    [ "$n" -gt 0 ] || tier_failed unit "no tests/unit/test_*.c"
}

lint_tap() {
    local n=0 target out rc=0
    echo "1..3"
    for target in lint-format lint-cppcheck lint-tidy; do
        n=$((n + 1))
        if out=$(make -s "$target" 2>&1); then
            echo "ok $n - $target"
        else
            echo "not ok $n - $target"
            printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'
            rc=1
        fi
    done
    return $rc
}

tiers=("$@")
if [ ${#tiers[@]} -eq 0 ]; then
    tiers=(lint unit)
    for f in tests/bats/*.bats; do tiers+=("$(basename "$f" .bats)"); done
    tiers+=(fuzz sanitize)
fi
for tier in "${tiers[@]}"; do
    case $tier in
    lint) run_tier lint plan bash -c "$(declare -f lint_tap); lint_tap" ;;
    unit) run_unit ;;
    fuzz) run_tier fuzz plan make -s fuzz-smoke ;;
    sanitize) tier_timeout=$((2 * tier_timeout)) run_tier sanitize nested make -s sanitize ;;
    v2) run_tier v2 plan tests/v2/run.sh ;;
    *)
        if [ -f "tests/bats/$tier.bats" ]; then
            run_tier "$tier" plan bats --tap "tests/bats/$tier.bats"
        else
            tier_failed "$tier" "unknown test tier (no tests/bats/$tier.bats)"
        fi
        ;;
    esac
done

echo "# wall time per tier:"
printf '#   %s\n' "${times[@]}"
if [ ${#failures[@]} -gt 0 ]; then
    echo "# failures:"
    printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
