#!/usr/bin/env bats
# jeinit in real containers: the images of docker/Dockerfile built and run
# under rootful podman with real cgroup limits (the limits, jemalloc in the
# program, the v1 libpod cgroup layout, podman stop, an OOM kill, the
# scratch image COPY'd into another image, and the k8s/ unchanged-image pod
# replayed by hand). Skips, saying why, where podman is not set up
# (tests/container/podman-setup.sh does it). The image build takes a minute
# or two; the images, and the build cache they leave (labelled jeinit-test),
# are removed at the end unless JEINIT_TEST_KEEP_IMAGES=1.
load helpers

RUNTIME=localhost/jeinit-test:runtime
SCRATCH=localhost/jeinit-test:files
K8S_INIT=localhost/jeinit-test:k8s-init
COPIED=localhost/jeinit-test:copied
README_IMG=localhost/jeinit-test:readme
BUILDER=localhost/jeinit-test:build
BASE=docker.io/library/debian:bookworm-slim

# Builds target $1 of docker/Dockerfile as jeinit-test:$2; the log is shown
# only when it fails. The label marks every layer it leaves, intermediate
# ones included, for teardown_file.
build_target() {
    local log=$BATS_FILE_TMPDIR/build-$2.log
    podman build --network=host --label jeinit-test=1 -f "$ROOT/docker/Dockerfile" \
        --target "$1" -t "localhost/jeinit-test:$2" "$ROOT" >"$log" 2>&1 || {
        tail -n 60 "$log" >&2
        return 1
    }
}

setup_file() {
    podman_env
    NO_PODMAN=$(podman_unavailable)
    export NO_PODMAN
    [ -z "$NO_PODMAN" ] || return 0
    build_target build build
    build_target runtime runtime
    build_target files files
    build_target k8s-init k8s-init
}

teardown_file() {
    [ -z "$NO_PODMAN" ] && [ "${JEINIT_TEST_KEEP_IMAGES:-0}" != 1 ] || return 0
    podman rmi -f "$COPIED" "$RUNTIME" "$SCRATCH" "$K8S_INIT" "$BUILDER" "$README_IMG" \
        localhost/jeinit:files localhost/jeinit:runtime >/dev/null 2>&1 || true
    podman image prune -f --filter label=jeinit-test=1 >/dev/null 2>&1 || true
}

setup() {
    [ -z "$NO_PODMAN" ] || skip "$NO_PODMAN"
    # Debian 12's conmon (2.1.6) drops an empty file named oom in its working
    # directory when a container is OOM-killed (containers/conmon#504)
    cd "$BATS_TEST_TMPDIR" || return
    CTR=jeinit-test-$$
    OUT=$BATS_TEST_TMPDIR/out
    LOG=$BATS_TEST_TMPDIR/log
}

teardown() {
    podman rm -f -t 0 "$CTR" >/dev/null 2>&1 || true
}

# podman run --rm, no network, the container's stderr in $stderr.
crun() {
    run --separate-stderr timeout 120 podman run --rm --network=none "$@"
}

# Starts `podman run --rm --name $CTR ARGS...` in the background (stdout to
# $OUT, stderr to $LOG) and waits until the program prints "ready".
start_container() {
    timeout 120 podman run --rm --name "$CTR" --network=none "$@" >"$OUT" 2>"$LOG" &
    RUNNER=$!
    wait_for_line "$OUT" 30 '^ready$'
}

# Waits for the background podman run; its exit code in $status.
wait_container() {
    status=0
    wait "$RUNNER" || status=$?
    stderr=$(cat "$LOG")
}

@test "the start line has the container's cgroup limits and jemalloc with the agent" {
    crun --memory=256m --cpus=1.5 "$RUNTIME" sh -c 'exit 0'
    [ "$status" -eq 0 ]
    assert_json_log
    event_last start '.pid == 1 and .limits.memory_bytes == 268435456 and .limits.cpus == 1.5'
    event_last start '.allocator.kind == "jemalloc" and .allocator.path == "/usr/local/lib/jeinit/libjemalloc.so.2"'
    event_last start '.allocator.agent == "/usr/local/lib/jeinit/libjeinit-agent.so"'
    event_last start '.allocator.malloc_conf | length > 0'
    event_last exit '.code == 0 and .memory.limit_bytes == 268435456'
}

@test "the program runs with libjemalloc and the agent mapped" {
    crun --memory=256m --cpus=1.5 "$RUNTIME" sh -c 'sed -n "s|.* \(/.*\)$|\1|p" /proc/$$/maps | sort -u'
    [ "$status" -eq 0 ]
    [[ $output == *"/usr/local/lib/jeinit/libjemalloc.so.2"* ]]
    [[ $output == *"/usr/local/lib/jeinit/libjeinit-agent.so"* ]]
    # jeinit's own jemalloc brings no C++ runtime, no libm, no libgcc_s
    [[ $output != *libstdc++* && $output != *libgcc_s* && $output != *libm.so* ]]
}

@test "--inspect in the container: the v1 libpod cgroup is read at the mount point" {
    [ -d /sys/fs/cgroup/memory ] || skip "the host has no cgroup v1 memory controller (podman's v2 layout is namespaced)"
    crun --memory=256m --cpus=1.5 --entrypoint /usr/local/bin/jeinit "$RUNTIME" --inspect
    [ "$status" -eq 0 ]
    json_holds "$output" '.cgroup.memory_version == 1 and (.cgroup.path | test("^/libpod_parent/libpod-"))'
    json_holds "$output" '.cgroup.memory_dir == "/sys/fs/cgroup/memory" and .cgroup.cpu_dir == "/sys/fs/cgroup/cpu"'
    json_holds "$output" '.cgroup.libcgroup | test("ignoring the mount.s root /libpod_parent/libpod-")'
    json_holds "$output" '.limits.memory_bytes == 268435456 and .limits.cpus == 1.5 and .warnings == []'
    json_holds "$output" '.limits.memory_source == "/sys/fs/cgroup/memory/memory.limit_in_bytes"'
}

@test "podman stop: a program that traps TERM exits 0 and jeinit logs its exit" {
    start_container "$RUNTIME" sh -c 'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
    podman stop -t 30 "$CTR" >/dev/null
    wait_container
    [ "$status" -eq 0 ]
    grep -qx bye "$OUT"
    event_last exit '.code == 0 and .killed == false and .forwarded.SIGTERM == 1'
}

@test "podman stop: a program that drains past JEINIT_GRACE=1 is not killed by jeinit; what it leaves is" {
    start_container -e JEINIT_GRACE=1 "$RUNTIME" sh -c \
        '(trap "" TERM; exec sleep 100) & trap "sleep 3; echo drained; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
    start=$(date +%s%N)
    podman stop -t 30 "$CTR" >/dev/null
    wait_container
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$status" -eq 0 ]
    grep -qx drained "$OUT"
    # 3 s of draining, then 1 s of grace for the leftover sleep, then SIGKILL
    [ "$elapsed" -ge 4000 ]
    [ "$elapsed" -lt 15000 ]
    event_last kill '.signal == "SIGKILL" and .reason == "grace period over"'
    event_last exit '.code == 0 and .killed == true and .forwarded.SIGTERM == 1'
}

@test "an OOM kill in a 64 MiB container: an oom_kill line and exit code 137" {
    # dd's 300 MB buffer comes from jemalloc and is touched by read(2)
    crun --memory=64m --memory-swap=64m "$RUNTIME" dd if=/dev/zero of=/dev/null bs=300M count=1
    [ "$status" -eq 137 ]
    event_last oom_kill '.count >= 1 and .limit_bytes == 67108864 and .victim.comm == "dd"'
    event_last exit '.code == 137 and .signal == "SIGKILL" and .memory.oom_kills >= 1'
}

@test "the runtime image adds three files to its base: no package, no build tools" {
    base=$(podman image inspect --format '{{.Size}}' "$BASE")
    size=$(podman image inspect --format '{{.Size}}' "$RUNTIME")
    [ $((size - base)) -lt $((4 * 1024 * 1024)) ]
    crun "$RUNTIME" sh -c 'for t in cc gcc make ld; do command -v $t; done; dpkg -s libjemalloc2 >/dev/null 2>&1 && echo libjemalloc2; ls /usr/local/lib/jeinit'
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf '%s\n' libjeinit-agent.so libjemalloc.so.2)" ]
    [ "$(podman image inspect --format '{{json .Config.Entrypoint}}' "$RUNTIME")" = '["/usr/local/bin/jeinit","--"]' ]
}

@test "the scratch image holds only /jeinit (static), the agent and jemalloc, and COPY --from it works" {
    mnt=$(podman image mount "$SCRATCH")
    files=$(cd "$mnt" && find . -mindepth 1 | sort | tr '\n' ' ')
    headers=$(readelf -lW "$mnt/jeinit")
    podman image unmount "$SCRATCH" >/dev/null
    [ "$files" = "./jeinit ./libjeinit-agent.so ./libjemalloc.so.2 " ]
    # static: no program interpreter, so it runs in any image
    [[ $headers == *"LOAD"* ]]
    [[ $headers != *"INTERP"* ]]

    ctx=$BATS_TEST_TMPDIR/ctx
    mkdir -p "$ctx"
    cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
COPY --from=$SCRATCH /jeinit /libjeinit-agent.so /libjemalloc.so.2 /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/jeinit", "--"]
EOF
    run podman build --network=none --label jeinit-test=1 -t "$COPIED" "$ctx"
    [ "$status" -eq 0 ]
    crun --memory=128m "$COPIED" sh -c 'exit 5'
    [ "$status" -eq 5 ]
    assert_json_log
    # a bare Debian, nothing installed: jemalloc and the agent come with jeinit
    event_last start '.limits.memory_bytes == 134217728 and .allocator.agent == "/usr/local/bin/libjeinit-agent.so"'
    event_last start '.allocator.kind == "jemalloc" and .allocator.path == "/usr/local/bin/libjemalloc.so.2" and .allocator.found_by == "next to jeinit"'
    [ -z "$(events allocator)" ]
    event_last exit '.code == 5'
}

@test "k8s/deployment-unchanged-image.yaml replayed: the init container's copy, then the app's command and env" {
    require_yaml
    spec=$(manifest json "$ROOT/k8s/deployment-unchanged-image.yaml" | jq -c '.[0].spec.template.spec')
    app=$(jq -c '.containers[] | select(.name == "app")' <<<"$spec")
    vol_name=$(jq -r '.volumes[0].name' <<<"$spec")
    init_mount=$(jq -r --arg v "$vol_name" '.initContainers[0].volumeMounts[] | select(.name == $v) | .mountPath' <<<"$spec")
    app_mount=$(jq -r --arg v "$vol_name" '.volumeMounts[] | select(.name == $v) | .mountPath' <<<"$app")
    mapfile -t init_cmd < <(jq -r '.initContainers[0].command[]' <<<"$spec")
    # the app's command up to "--"; the program after it is the test's own
    mapfile -t jeinit_cmd < <(jq -r '.command | .[:(index("--") + 1)][]' <<<"$app")
    mapfile -t envs < <(manifest env "$ROOT/k8s/deployment-unchanged-image.yaml" app)
    env_args=()
    for e in "${envs[@]}"; do env_args+=(-e "$e"); done
    mem=$(manifest downward limits.memory "$(jq -r .resources.limits.memory <<<"$app")" 1)
    millicores=$(manifest downward limits.cpu "$(jq -r .resources.limits.cpu <<<"$app")" 1m)

    vol=$BATS_TEST_TMPDIR/emptydir
    mkdir -m 0777 "$vol"
    crun -v "$vol:$init_mount" "$K8S_INIT" "${init_cmd[@]}"
    [ "$status" -eq 0 ]
    [ "$(ls "$vol" | tr '\n' ' ')" = "jeinit libjeinit-agent.so libjemalloc.so.2 " ]
    # the init container is not root (the restricted Pod Security profile)
    [ "$(podman image inspect --format '{{.Config.User}}' "$K8S_INIT")" = 65532:65532 ]
    [ "$(stat -c %u "$vol/jeinit")" = 65532 ]

    # the unchanged app image: plain Debian, nothing of jeinit's in it
    crun --memory="${mem}b" --cpus="$(printf '%d.%03d' $((millicores / 1000)) $((millicores % 1000)))" \
        -v "$vol:$app_mount:ro" "${env_args[@]}" "$BASE" \
        "${jeinit_cmd[@]}" sh -c 'grep -o "$1/[^ ]*" /proc/$$/maps | sort -u; exit 4' sh "$app_mount"
    [ "$status" -eq 4 ]
    [ "$output" = "$(printf '%s\n' "$app_mount/libjeinit-agent.so" "$app_mount/libjemalloc.so.2")" ]
    assert_json_log
    event_last start '.allocator.kind == "jemalloc" and .allocator.found_by == "next to jeinit"'
    event_last start ".allocator.path == \"$app_mount/libjemalloc.so.2\" and .allocator.agent == \"$app_mount/libjeinit-agent.so\""
    event_last start ".limits.memory_bytes == $mem and .limits.cpus * 1000 == $millicores and .grace_s == 5"
    [ -z "$(events config)" ]
}

@test "an app image without libstdc++6, libgcc_s or libm: jeinit's jemalloc needs none of them" {
    vol=$BATS_TEST_TMPDIR/emptydir
    mkdir -m 0777 "$vol"
    crun -v "$vol:/opt/jeinit" "$K8S_INIT"
    [ "$status" -eq 0 ]
    crun -v "$vol:/opt/jeinit:ro" "$BASE" \
        sh -c 'rm /usr/lib/*/libstdc++.so.6* /usr/lib/*/libgcc_s.so.1 /usr/lib/*/libm.so.6; exec /opt/jeinit/jeinit -- sh -c "grep -c /opt/jeinit/libjemalloc.so.2 /proc/\$\$/maps; exit 3"'
    [ "$status" -eq 3 ]
    [ "$output" -ge 1 ]
    [ -z "$(events allocator)" ]
    event_last start '.allocator.kind == "jemalloc" and .allocator.agent == "/opt/jeinit/libjeinit-agent.so"'
    event_last exit '.code == 3'
    # and JEINIT_JEMALLOC=off says it up front, without the warning
    crun -e JEINIT_JEMALLOC=off -v "$vol:/opt/jeinit:ro" "$BASE" /opt/jeinit/jeinit -- sh -c "exit 3"
    [ "$status" -eq 3 ]
    [ -z "$(events allocator)" ]
}

@test "README's Dockerfile and commands work as written, with the images named as README names them" {
    # the images README names, as docker/Dockerfile's header builds them
    podman tag "$SCRATCH" localhost/jeinit:files
    podman tag "$RUNTIME" localhost/jeinit:runtime
    ctx=$BATS_TEST_TMPDIR/readme
    mkdir -p "$ctx"
    awk '/^```dockerfile$/ { f = 1; next } f && /^```$/ { exit } f' "$ROOT/README.md" >"$ctx/Dockerfile"
    grep -q '^COPY --from=jeinit:files ' "$ctx/Dockerfile"
    grep -q -- '--target files -t jeinit:files' "$ROOT/README.md"
    run podman build --network=none --label jeinit-test=1 -t "$README_IMG" "$ctx"
    [ "$status" -eq 0 ]
    crun --memory=128m "$README_IMG" sh -c 'exit 6'
    [ "$status" -eq 6 ]
    event_last start '.allocator.kind == "jemalloc" and .allocator.found_by == "next to jeinit"'
    # README's `docker run ... jeinit:runtime jeinit --inspect`, beneath the ENTRYPOINT's jeinit
    cmd=$(sed -n 's/^docker run \(.*jeinit:runtime jeinit --inspect\) .*/\1/p' "$ROOT/README.md")
    [ -n "$cmd" ]
    read -r -a words <<<"$cmd"
    crun "${words[@]:1}" # (crun adds --rm)
    [ "$status" -eq 0 ]
    json_holds "$output" '.limits.memory_bytes == 536870912 and .limits.cpus == 1.5 and .allocator.kind == "jemalloc"'
}
