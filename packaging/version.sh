#!/bin/sh
# Prints jeinit's version, for the build (make's VERSION):
#   - `git describe` of a tag vX.Y.Z, without the v: 0.2.0, or 0.2.0-3-gabcdef123456
#     three commits past it (-dirty with uncommitted changes);
#   - no such tag: src/version.h's number and the commit, 0.1.0-gabcdef123456;
#   - no git (a source tarball): src/version.h's number alone.
cd "$(dirname "$0")/.." || exit 1
base=$(sed -n 's/^#define JEINIT_VERSION_BASE "\(.*\)"$/\1/p' src/version.h)
# only this tree's own repository (not one it was unpacked into)
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    if v=$(git describe --tags --match 'v[0-9]*' --abbrev=12 --dirty 2>/dev/null); then
        echo "${v#v}"
        exit 0
    fi
    if h=$(git describe --always --abbrev=12 --dirty 2>/dev/null); then
        echo "$base-g$h"
        exit 0
    fi
fi
echo "$base"
