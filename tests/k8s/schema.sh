#!/usr/bin/env bash
# schema.sh FILE...: each Kubernetes manifest validated against the API's
# schema with kubernetes-models (npm, pinned by package-lock.json), installed
# once into $JEINIT_BUILD/k8s-npm (again only when the lock file changes).
# Exit 0 valid, 1 invalid (one line per problem), 3 when the validator cannot
# be installed (no npm, no registry): the caller says so.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$root/${JEINIT_BUILD:-build}/k8s-npm
command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "node and npm are not installed (tests/deps.sh installs them)"; exit 3; }
if ! cmp -s "$here/package-lock.json" "$dir/package-lock.json" || [ ! -d "$dir/node_modules" ]; then
    mkdir -p "$dir" && cp "$here/package.json" "$here/package-lock.json" "$dir/" || exit 3
    (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1) ||
        { echo "npm ci failed (registry unreachable?): $(tail -n 3 "$dir/npm.log" | tr '\n' ' ')"; exit 3; }
fi
cp "$here/validate.mjs" "$dir/validate.mjs" || exit 3
rc=0
for f in "$@"; do
    out=$(/usr/bin/python3 "$root/tests/container/manifest.py" json "$f" | node "$dir/validate.mjs") || rc=1
    [ -z "$out" ] || printf '%s: %s\n' "${f##*/}" "$out"
done
exit $rc
