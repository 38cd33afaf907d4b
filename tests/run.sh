#!/usr/bin/env bash
# Runs jeinit's tests by tier and ends with one line "N passed, N failed, N skipped".
#   tests/run.sh                 every tier
#   tests/run.sh unit init       some tiers
# Tiers: lint (clang-format, cppcheck, clang-tidy), unit (C tests of pure
# code), the bats files in tests/bats/ by name (init, cgroup, allocator,
# agent, monitor, k8s, gunicorn, container), fuzz (a short smoke of each
# harness), sanitize (the jeinit tiers again on an ASan+UBSan build).
# JEINIT_BUILD picks the build dir (default build).
set -uo pipefail
cd "$(dirname "$0")/.."
export JEINIT_BUILD=${JEINIT_BUILD:-build}

passed=0 failed=0 skipped=0
failures=()

# Reads TAP on stdin, echoes it, and tallies.
tally() {
    local name=$1 line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
        "not ok "*) failed=$((failed + 1)); failures+=("$name: ${line#not ok }") ;;
        "ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
        "ok "*) passed=$((passed + 1)) ;;
        esac
    done
}

run_unit() {
    local t
    for t in "$JEINIT_BUILD"/unit/test_*; do
        [ -x "$t" ] || continue
        echo "# unit: ${t##*/}"
        # a crash shows as a failed test, not as silence
        tally "unit/${t##*/}" < <(timeout 120 "$t" 2>&1 || echo "not ok - ${t##*/} exited with status $?")
    done
}

run_bats() {
    local f=tests/bats/$1.bats
    echo "# bats: $1"
    tally "$1" < <(timeout 1800 bats --tap "$f" 2>&1 || true)
}

run_lint() {
    echo "# lint"
    local n=0
    for target in lint-format lint-cppcheck lint-tidy; do
        n=$((n + 1))
        if out=$(make -s "$target" 2>&1); then
            tally lint <<<"ok $n - $target"
        else
            tally lint <<<"not ok $n - $target"
            printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'
        fi
    done
}

run_sanitize() {
    echo "# sanitize: ASan+UBSan build, tiers again"
    tally sanitize < <(make -s sanitize 2>&1 || echo "not ok - sanitize run failed")
}

run_fuzz() {
    echo "# fuzz smoke"
    tally fuzz < <(make -s fuzz-smoke 2>&1 || echo "not ok - fuzz smoke failed")
}

tiers=("$@")
if [ ${#tiers[@]} -eq 0 ]; then
    tiers=(lint unit)
    for f in tests/bats/*.bats; do tiers+=("$(basename "$f" .bats)"); done
    tiers+=(fuzz sanitize)
fi
for tier in "${tiers[@]}"; do
    case $tier in
    lint) run_lint ;;
    unit) run_unit ;;
    fuzz) run_fuzz ;;
    sanitize) run_sanitize ;;
    *)
        if [ -f "tests/bats/$tier.bats" ]; then
            run_bats "$tier"
        else
            tally run <<<"not ok - unknown test tier '$tier'"
        fi
        ;;
    esac
done

if [ ${#failures[@]} -gt 0 ]; then
    echo "# failures:"
    printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
