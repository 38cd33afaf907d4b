#!/usr/bin/env bats
# The release (make release, packaging/release.sh): both architectures'
# files and .debs, the aarch64 jeinit run for real under qemu-user (binfmt)
# as PID 1, the .debs installed, and a second build of the same sources in
# another directory that must give the same bytes.
#
# Needs what make release-deps installs (the aarch64 cross toolchain, the
# arm64 libraries and libc6:arm64 through multiarch, qemu-user-static with
# its binfmt handler); skips, saying why, where one is missing. The first run
# builds jeinit's jemalloc for both architectures (about 40 s each, then kept
# in ~/.cache/jeinit/lib); the reproducibility test builds them once more.
load helpers
load memcg

# Prints why the release cannot be built or run here; nothing when it can.
release_unavailable() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "needs root (unshare, cgroups, dpkg --root)"
    elif ! command -v aarch64-linux-gnu-gcc >/dev/null; then
        echo "no aarch64-linux-gnu-gcc (make release-deps installs the cross toolchain)"
    elif [ ! -f /usr/lib/aarch64-linux-gnu/libyajl_s.a ] || [ ! -f /usr/lib/aarch64-linux-gnu/libcgroup.a ]; then
        echo "no arm64 libyajl-dev/libcgroup-dev (make release-deps: dpkg multiarch)"
    elif [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
        echo "no libc6:arm64 (make release-deps)"
    elif ! grep -qsx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
        echo "no qemu-aarch64 binfmt handler (make release-deps: qemu-user-static, binfmt_misc mounted)"
    fi
}

setup_file() {
    NO_RELEASE=$(release_unavailable)
    export NO_RELEASE
    [ -z "$NO_RELEASE" ] || return 0
    export REL=$BUILD/release
    local log=$BATS_FILE_TMPDIR/release.log
    make -C "$ROOT" -s --no-print-directory BUILD="$JEINIT_BUILD" release >"$log" 2>&1 || {
        cat "$log" >&2
        return 1
    }
    VERSION=$(sed -n 's/^release: \(.*\) in .*/\1/p' "$log")
    export VERSION
    # aarch64 programs to run under the aarch64 jeinit (dynamic: the arm64
    # ld.so loads the agent and jemalloc into them)
    export A64=$BATS_FILE_TMPDIR/a64
    mkdir -p "$A64"
    for h in sigrec orphans memhog; do
        aarch64-linux-gnu-gcc -std=gnu11 -D_GNU_SOURCE -O2 -o "$A64/$h" "$ROOT/tests/helpers/$h.c"
    done
}

teardown_file() {
    # what the image builds left (their layers carry the label)
    if [ -z "$NO_RELEASE" ] && [ -z "$(podman_unavailable)" ]; then
        podman_env
        podman image prune -f --filter label=jeinit-release-test=1 >/dev/null 2>&1 || true
    fi
}

setup() {
    [ -z "$NO_RELEASE" ] || skip "$NO_RELEASE"
    JEINIT=$REL/aarch64/jeinit
    LOG=$BATS_TEST_TMPDIR/log
    REC=$BATS_TEST_TMPDIR/rec
}

# The ELF machine of file $1, as readelf names it.
machine() {
    readelf -h "$1" | sed -n 's/^ *Machine: *//p'
}

@test "the release: both architectures, each file for its machine, SHA256SUMS verifies" {
    cd "$REL"
    sha256sum --strict -c SHA256SUMS
    [ "$(wc -l <SHA256SUMS)" -eq 6 ]
    for f in "jeinit-$VERSION-x86_64.tar.gz" "jeinit-$VERSION-aarch64.tar.gz" jeinit-x86_64 \
        jeinit-aarch64 "jeinit_${VERSION//-/+}_amd64.deb" "jeinit_${VERSION//-/+}_arm64.deb"; do
        grep -q "  $f\$" SHA256SUMS
    done
    for arch in x86_64 aarch64; do
        want=AArch64
        [ "$arch" = aarch64 ] || want="Advanced Micro Devices X86-64"
        for f in jeinit libjeinit-agent.so libjemalloc.so.2; do
            [ "$(machine "$arch/$f")" = "$want" ]
        done
        # static jeinit; the agent and jemalloc need libc.so.6 alone, glibc <= 2.34
        # (aarch64's stack protector reads __stack_chk_guard from ld.so, which
        # every dynamic program has loaded)
        ! readelf -d "$arch/jeinit" | grep -q NEEDED
        cmp "$arch/jeinit" "jeinit-$arch"
        for f in libjeinit-agent.so libjemalloc.so.2; do
            needed=$(readelf -d "$arch/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
            [ "$needed" = "libc.so.6 " ] || [ "$arch $needed" = "aarch64 libc.so.6 ld-linux-aarch64.so.1 " ]
            newest=$(readelf -V "$arch/$f" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n | tail -1)
            [ "${newest#GLIBC_2.}" -le 34 ]
        done
        # the tarball: the three files side by side, and the man page
        [ "$(tar -tzf "jeinit-$VERSION-$arch.tar.gz" | sort | tr '\n' ' ')" = \
            "jeinit-$VERSION-$arch/ jeinit-$VERSION-$arch/jeinit jeinit-$VERSION-$arch/jeinit.1 jeinit-$VERSION-$arch/libjeinit-agent.so jeinit-$VERSION-$arch/libjemalloc.so.2 " ]
    done
    # both say their version and architecture
    [ "$(x86_64/jeinit --version)" = "jeinit $VERSION x86_64" ]
    [ "$(aarch64/jeinit --version)" = "jeinit $VERSION aarch64" ]
}

@test "aarch64 jeinit as PID 1 (qemu-user): the program's exit code, 128+N for a signal" {
    for code in 0 3 255; do
        run pid1 -- sh -c "exit $code"
        [ "$status" -eq "$code" ]
    done
    run pid1 -- sh -c 'kill -TERM $$'
    [ "$status" -eq 143 ]
    run pid1 -- "$A64/sigrec" /nonexistent/dir/rec
    [ "$status" -ne 0 ]
    run -127 pid1 -- /nonexistent/program
    [ "$status" -eq 127 ]
}

@test "aarch64 jeinit as PID 1: TERM INT HUP USR1 forwarded to an aarch64 program, once each, in order" {
    pid1 --log-format json -- "$A64/sigrec" "$REC" 2>"$LOG" &
    runner=$!
    wait_for_line "$REC" 20 ready
    jpid=$(jeinit_pid "$runner")
    for sig in INT HUP USR1 TERM; do
        kill -s "$sig" "$jpid"
        wait_for_line "$REC" 10 "^SIG$sig\$"
    done
    wait "$runner"
    [ "$(grep '^SIG' "$REC" | tr '\n' ' ')" = "SIGINT SIGHUP SIGUSR1 SIGTERM " ]
    stderr=$(cat "$LOG")
    event_last exit '.code == 0 and .forwarded == {"SIGINT":1,"SIGHUP":1,"SIGUSR1":1,"SIGTERM":1}'
    # and a signal sent to PID 1 from inside the namespace
    run pid1 -- sh -c 'kill -USR1 1; sleep 5; exit 0'
    [ "$status" -eq 138 ]
}

@test "aarch64 jeinit as PID 1: 200 orphans of an aarch64 program reaped, zero zombies" {
    run --separate-stderr pid1 --log-format json -- "$A64/orphans" 200 30
    [ "$status" -eq 0 ]
    [[ $output == *"zombies=0"* ]]
    event_last exit '.reaped == 200'
}

@test "aarch64 --inspect reads this machine's cgroup as the x86_64 build does" {
    require_memcg
    cg=$(memcg_create 300M)
    run --separate-stderr in_memcg "$cg" "$REL/aarch64/jeinit" --inspect=json
    a64=$output a64_status=$status
    run --separate-stderr in_memcg "$cg" "$REL/x86_64/jeinit" --inspect=json
    memcg_remove "$cg"
    [ "$a64_status" -eq 0 ] && [ "$status" -eq 0 ]
    [ "$(jq -r .version <<<"$a64")" = "$VERSION" ]
    jq -e '.limits.memory_bytes == 314572800' <<<"$a64"
    jq -e '.cgroup.memory_dir | endswith("'"${cg##*/}"'")' <<<"$a64"
    # the same findings on both: the cgroup and the limits, whole
    [ "$(jq -S '{cgroup, limits}' <<<"$a64")" = "$(jq -S '{cgroup, limits}' <<<"$output")" ]
    # and each found its own jemalloc and agent beside it
    jq -e --arg d "$REL/aarch64/" '.allocator.path == $d + "libjemalloc.so.2" and .allocator.agent == $d + "libjeinit-agent.so"' <<<"$a64"
}

@test "the aarch64 agent and jemalloc load into an aarch64 program under the aarch64 jeinit" {
    pid1 --log-format json --interval 1 -- "$A64/memhog" leak 4 4 >/dev/null 2>"$LOG" &
    runner=$!
    mpid=$(jeinit_pid "$runner" memhog)
    sleep 2.5
    maps=$(cat "/proc/$mpid/maps")
    wait "$runner"
    # the program is aarch64: its own libc is the arm64 one, and what
    # jeinit preloaded is the release's aarch64 jemalloc and agent
    grep -q /usr/lib/aarch64-linux-gnu/libc.so.6 <<<"$maps"
    grep -q "$REL/aarch64/libjemalloc.so.2\$" <<<"$maps"
    grep -q "$REL/aarch64/libjeinit-agent.so\$" <<<"$maps"
    stderr=$(cat "$LOG")
    event_last start '.allocator.kind == "jemalloc" and .allocator.version == "5.3.0"'
    event_last start '.allocator.agent | endswith("/aarch64/libjeinit-agent.so")'
    # the agent reported the program's jemalloc figures to jeinit
    event_any memory '.totals.reporting >= 1'
    event_any memory '[.processes[] | select(.comm == "memhog")][0] | .allocated_bytes > 4000000'
    event_last exit '.code == 0'
}

@test "aarch64 jemalloc's heap profile unwinds (libgcc's unwinder through libc_only.c's _dl_find_object)" {
    # lg_prof_sample:0 records every allocation with its backtrace; a
    # backtrace of one frame would mean the unwinder found no FDE past it
    timeout 60 env MALLOC_CONF=prof:true,prof_final:true,lg_prof_sample:0,prof_prefix:"$BATS_TEST_TMPDIR/prof" \
        LD_PRELOAD="$REL/aarch64/libjemalloc.so.2" "$A64/memhog" churn 0.2 4 >/dev/null
    heap=$(ls "$BATS_TEST_TMPDIR"/prof.*.heap)
    head -1 "$heap" | grep -q "^heap_v2/1"
    # the deepest stack: its frames beyond memhog's own, down to main and libc
    deepest=$(grep '^@' "$heap" | awk '{ print NF - 1 }' | sort -n | tail -1)
    echo "deepest stack: $deepest frames"
    [ "$deepest" -ge 4 ]
}

@test "the .debs: metadata, files root-owned where jeinit looks, installed into a scratch root" {
    for debarch in amd64 arm64; do
        deb=$REL/jeinit_${VERSION//-/+}_$debarch.deb
        [ "$(dpkg-deb -f "$deb" Package)" = jeinit ]
        [ "$(dpkg-deb -f "$deb" Architecture)" = "$debarch" ]
        [ "$(dpkg-deb -f "$deb" Version)" = "${VERSION//-/+}" ]
        [ "$(dpkg-deb -f "$deb" Depends)" = "libc6 (>= 2.34)" ]
        contents=$(dpkg-deb --contents "$deb" | awk '$NF !~ /\/$/ { print $1, $2, $NF }')
        [ "$contents" = "-rwxr-xr-x root/root ./usr/bin/jeinit
-rw-r--r-- root/root ./usr/lib/jeinit/libjeinit-agent.so
-rw-r--r-- root/root ./usr/lib/jeinit/libjemalloc.so.2
-rw-r--r-- root/root ./usr/share/doc/jeinit/copyright
-rw-r--r-- root/root ./usr/share/man/man1/jeinit.1.gz" ]
        ! dpkg-deb --contents "$deb" | awk '{ print $2 }' | grep -v '^root/root$'
        # a scratch root with its own dpkg database
        r=$BATS_TEST_TMPDIR/root-$debarch
        mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
        touch "$r/var/lib/dpkg/status"
        [ "$debarch" = amd64 ] || dpkg --root="$r" --add-architecture arm64
        # libc6 is the host's, not in the scratch root's database
        dpkg --root="$r" --force-depends --force-script-chrootless -i "$deb"
        dpkg --root="$r" -s jeinit | grep -q "^Status: install ok installed"
        cmp "$r/usr/bin/jeinit" "$REL/${debarch/amd64/x86_64}/jeinit" ||
            cmp "$r/usr/bin/jeinit" "$REL/aarch64/jeinit"
        zcat "$r/usr/share/man/man1/jeinit.1.gz" | head -1 | grep -qF "\"jeinit $VERSION\""
        grep -q "^License: BSD-2-clause" "$r/usr/share/doc/jeinit/copyright"
        # jeinit finds its jemalloc and agent in ../lib/jeinit
        run --separate-stderr "$r/usr/bin/jeinit" --inspect=json
        [ "$status" -eq 0 ]
        jq -e --arg d "$r/usr/lib/jeinit/" '.allocator.path == $d + "libjemalloc.so.2" and .allocator.agent == $d + "libjeinit-agent.so" and .allocator.found_by == "jeinit'"'"'s own (lib/jeinit)"' <<<"$output"
        dpkg --root="$r" --force-script-chrootless -r jeinit
        [ ! -e "$r/usr/bin/jeinit" ]
    done
}

@test "the amd64 .deb installs with apt in a Debian container, and jeinit runs from it" {
    why=$(podman_unavailable)
    [ -z "$why" ] || skip "$why"
    podman_env
    cp "$REL/jeinit_${VERSION//-/+}_amd64.deb" "$BATS_TEST_TMPDIR/"
    run --separate-stderr timeout 120 podman run --rm --network=none -v "$BATS_TEST_TMPDIR:/debs:ro" \
        docker.io/library/debian:bookworm-slim sh -c \
        "apt-get install -y -qq /debs/jeinit_${VERSION//-/+}_amd64.deb >/dev/null &&
         jeinit --version && jeinit -- sh -c 'cat /proc/self/maps' | grep -c /usr/lib/jeinit/"
    echo "$output $stderr"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "jeinit $VERSION x86_64" ]
    [ "${lines[1]}" -ge 2 ]
}

@test "images from the release for linux/amd64 and linux/arm64: files and k8s-init run, aarch64 under qemu" {
    why=$(podman_unavailable)
    [ -z "$why" ] || skip "$why"
    podman_env
    for platform in amd64 arm64; do
        arch=x86_64
        [ "$platform" = amd64 ] || arch=aarch64
        for target in files k8s-init; do
            img=localhost/jeinit-test:release-$target-$platform
            podman build --platform "linux/$platform" \
                --build-arg RELEASE_DIR="${REL#"$ROOT"/}" --label jeinit-release-test=1 \
                -f "$ROOT/docker/Dockerfile.release" --target "$target" -t "$img" "$ROOT" \
                >"$BATS_TEST_TMPDIR/build.log" 2>&1 || {
                tail -n 30 "$BATS_TEST_TMPDIR/build.log"
                false
            }
            [ "$(podman image inspect "$img" --format '{{.Architecture}}')" = "$platform" ]
        done
        run timeout 60 podman run --rm --network=none --platform "linux/$platform" \
            "localhost/jeinit-test:release-files-$platform" /jeinit --version
        [ "$output" = "jeinit $VERSION $arch" ]
        # the init container copies the release's three files, bytes unchanged
        vol=$BATS_TEST_TMPDIR/vol-$platform
        mkdir -p "$vol" && chmod 0777 "$vol"
        timeout 60 podman run --rm --network=none --platform "linux/$platform" -v "$vol:/opt/jeinit" \
            "localhost/jeinit-test:release-k8s-init-$platform"
        for f in jeinit libjeinit-agent.so libjemalloc.so.2; do
            cmp "$vol/$f" "$REL/$arch/$f"
        done
        podman rmi -f "localhost/jeinit-test:release-files-$platform" \
            "localhost/jeinit-test:release-k8s-init-$platform" >/dev/null
    done
}

@test "reproducible: the same sources built in another directory give the same bytes" {
    # the tree as it is (tracked and new files), in a directory of another
    # name and depth; the same VERSION and SOURCE_DATE_EPOCH; jemalloc built
    # anew there, not taken from the cache
    src=$BATS_FILE_TMPDIR/elsewhere/deeper/jeinit-src
    mkdir -p "$src"
    (cd "$ROOT" && git ls-files -z -c -o --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -xf - -C "$src"
    epoch=$(git -C "$ROOT" log -1 --format=%ct)
    run env SOURCE_DATE_EPOCH="$epoch" JEINIT_JEMALLOC_REBUILD=1 \
        make -C "$src" -s --no-print-directory BUILD=build-repro VERSION="$VERSION" release
    [ "$status" -eq 0 ] || {
        echo "$output"
        false
    }
    other=$src/build-repro/release
    [ "$(git -C "$ROOT" log -1 --format=%ct)" = "$epoch" ]
    for f in $(awk '{ print $2 }' "$REL/SHA256SUMS") x86_64/libjemalloc.so.2 aarch64/libjemalloc.so.2 \
        x86_64/libjeinit-agent.so aarch64/libjeinit-agent.so; do
        cmp "$REL/$f" "$other/$f"
    done
    cmp "$REL/SHA256SUMS" "$other/SHA256SUMS"
}
