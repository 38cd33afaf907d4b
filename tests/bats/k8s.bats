#!/usr/bin/env bats
# The Kubernetes manifests in k8s/, checked offline (no cluster here): they
# parse, use only real API fields, put command/args, env, volumes and the
# init container where Kubernetes expects them, keep the shutdown budget, and
# hand jeinit limits it reads exactly as Kubernetes means them.
load helpers

BAKED=$ROOT/k8s/deployment-baked.yaml
UNCHANGED=$ROOT/k8s/deployment-unchanged-image.yaml

setup() {
    require_yaml
}

# The pod spec of manifest $1, as JSON.
pod_spec() {
    manifest json "$1" | jq -c '.[0].spec.template.spec'
}

# The app container (named app) of manifest $1, as JSON.
app_container() {
    pod_spec "$1" | jq -c '.containers[] | select(.name == "app")'
}

@test "every manifest parses and is an apps/v1 Deployment whose selector matches its pods" {
    n=0
    for f in "$ROOT"/k8s/*.yaml; do
        docs=$(manifest json "$f")
        json_holds "$docs" 'length == 1 and .[0].apiVersion == "apps/v1" and .[0].kind == "Deployment"'
        json_holds "$docs" '.[0] | .spec.selector.matchLabels as $m
            | .spec.template.metadata.labels as $l | ($m | to_entries | all(. as $e | $l[$e.key] == $e.value))'
        n=$((n + 1))
    done
    [ "$n" -ge 2 ]
}

@test "manifests use only fields the Kubernetes API has, with the right types" {
    for f in "$ROOT"/k8s/*.yaml; do
        run manifest fields "$f"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
    done
}

@test "the field check is not vacuous: typos, unquoted numbers and bad divisors are caught" {
    bad=$BATS_TEST_TMPDIR/bad.yaml
    sed -e '0,/resourceFieldRef:/s//resourceFieldRefs:/' -e 's/value: "5"/value: 5/' \
        -e 's/divisor: 1m/divisor: 100m/' -e 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSecond: 30/' \
        "$UNCHANGED" >"$bad"
    run manifest fields "$bad"
    [ "$status" -eq 1 ]
    [[ $output == *"resourceFieldRefs: no such field in EnvVarSource"* ]]
    [[ $output == *"value: str expected, got int 5"* ]]
    [[ $output == *"divisor: 100m is not accepted for limits.cpu"* ]]
    [[ $output == *"terminationGracePeriodSecond: no such field in PodSpec"* ]]
}

@test "baked image: the app sets args only, so the image's ENTRYPOINT (jeinit) stays" {
    app=$(app_container "$BAKED")
    json_holds "$app" 'has("command") | not'
    json_holds "$app" '.args | length > 0 and all(type == "string")'
    grep -q 'ENTRYPOINT \["/usr/local/bin/jeinit", "--"\]' "$ROOT/docker/Dockerfile"
}

@test "unchanged image: the command runs jeinit from the shared volume, then -- and the program" {
    app=$(app_container "$UNCHANGED")
    mount=$(jq -r '.volumeMounts[] | select(.name == "jeinit") | .mountPath' <<<"$app")
    [ "$mount" = /opt/jeinit ]
    json_holds "$app" '.command[0] == $m + "/jeinit" and .command[1] == "--" and (.command | length) >= 3' --arg m "$mount"
    json_holds "$app" '(.volumeMounts[] | select(.name == "jeinit") | .readOnly) == true'
}

@test "unchanged image: the init container copies jeinit, the agent and jemalloc into the volume the app mounts" {
    spec=$(pod_spec "$UNCHANGED")
    json_holds "$spec" '(.initContainers | length) == 1 and (.volumes | length) == 1 and .volumes[0].emptyDir != null'
    vol=$(jq -r '.volumes[0].name' <<<"$spec")
    init=$(jq -c '.initContainers[0]' <<<"$spec")
    init_mount=$(jq -r --arg v "$vol" '.volumeMounts[] | select(.name == $v) | .mountPath' <<<"$init")
    app_mount=$(jq -r --arg v "$vol" '.containers[] | select(.name == "app") | .volumeMounts[] | select(.name == $v) | .mountPath' <<<"$spec")
    [ -n "$init_mount" ]
    [ "$init_mount" = "$app_mount" ]
    # cp SOURCES... DIR/: the last argument is the mount, the sources are the three files
    json_holds "$init" '.command[0] == "cp" and (.command[-1] | rtrimstr("/")) == $m' --arg m "$init_mount"
    json_holds "$init" '[.command[1:-1][] | split("/") | last] | sort == ["jeinit", "libjeinit-agent.so", "libjemalloc.so.2"]'
    # every volumeMount in the pod names a volume that exists
    json_holds "$spec" '[.volumes[].name] as $v | [(.initContainers + .containers)[].volumeMounts[]?.name] | all(. as $n | $v | index($n))'
    # the k8s-init image ships those files where the command takes them from
    src_dir=$(jq -r '.command[1] | sub("/[^/]*$"; "")' <<<"$init")
    grep -q "COPY --from=build /dist/ $src_dir/" "$ROOT/docker/Dockerfile"
}

@test "env: limits.memory with divisor 1 and limits.cpu in millicores, of the container itself" {
    for f in "$BAKED" "$UNCHANGED"; do
        app=$(app_container "$f")
        json_holds "$app" '.env[] | select(.name == "JEINIT_MEMORY_LIMIT") | .valueFrom.resourceFieldRef
            | .resource == "limits.memory" and (.divisor // "1" | tostring) == "1" and (.containerName // "app") == "app"'
        json_holds "$app" '.env[] | select(.name == "CPU_MILLICORES") | .valueFrom.resourceFieldRef
            | .resource == "limits.cpu" and .divisor == "1m" and (.containerName // "app") == "app"'
        json_holds "$app" '.env[] | select(.name == "JEINIT_CPU_LIMIT") | .value == "$(CPU_MILLICORES)m"'
        json_holds "$app" '.env[] | select(.name == "JEINIT_LOG_FORMAT") | .value == "json"'
        json_holds "$app" '[.env[].name] | length == (unique | length)'
    done
}

@test "env: every \$(VAR) names a variable defined earlier in the same list" {
    for f in "$BAKED" "$UNCHANGED"; do
        app=$(app_container "$f")
        refs=$(jq -r '.env | to_entries[] | .key as $i | .value.value // empty
            | [scan("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)")[0]] | .[] | "\($i) \(.)"' <<<"$app")
        [ -n "$refs" ]
        while read -r i var; do
            json_holds "$app" '[.env[:$i][].name] | index($v) != null' --argjson i "$i" --arg v "$var"
        done <<<"$refs"
    done
}

@test "every container has resources.limits; the app has memory and cpu" {
    for f in "$BAKED" "$UNCHANGED"; do
        spec=$(pod_spec "$f")
        json_holds "$spec" '(.initContainers // []) + .containers | all(.resources.limits | type == "object")'
        json_holds "$spec" '.containers[] | select(.name == "app") | .resources.limits | has("memory") and has("cpu")'
    done
}

@test "terminationGracePeriodSeconds covers JEINIT_GRACE plus 5 s for jeinit to kill, reap and log, with room to drain" {
    for f in "$BAKED" "$UNCHANGED"; do
        spec=$(pod_spec "$f")
        tgps=$(jq -r '.terminationGracePeriodSeconds' <<<"$spec")
        grace=$(jq -r '.containers[] | select(.name == "app") | .env[] | select(.name == "JEINIT_GRACE") | .value' <<<"$spec")
        [[ $tgps =~ ^[0-9]+$ ]]
        [[ $grace =~ ^[0-9]+$ ]]
        [ "$tgps" -gt "$grace" ]
        [ "$tgps" -ge $((grace + 5 + 10)) ]
        # no preStop hook eating into the budget
        json_holds "$spec" 'all(.containers[]; .lifecycle.preStop == null)'
    done
}

@test "the Downward API simulation: divisor 1m keeps 1500m exact where divisor 1 would round up to 2" {
    [ "$(manifest downward limits.cpu 1500m 1m)" = 1500 ]
    [ "$(manifest downward limits.cpu 1500m 1)" = 2 ]
    [ "$(manifest downward limits.cpu 1.5 1m)" = 1500 ]
    [ "$(manifest downward limits.memory 512Mi 1)" = 536870912 ]
    [ "$(manifest downward limits.memory 1G 1)" = 1000000000 ]
    run manifest env "$BAKED" app
    [ "$status" -eq 0 ]
    [[ $output == *"JEINIT_MEMORY_LIMIT=536870912"* ]]
    [[ $output == *"JEINIT_CPU_LIMIT=1500m"* ]]
}

@test "jeinit accepts the manifests' quantities as written and as the Downward API renders them" {
    [ -x "$JEINIT" ] || skip "build first: make"
    for f in "$BAKED" "$UNCHANGED"; do
        limits=$(app_container "$f" | jq -c '.resources.limits')
        mem=$(jq -r .memory <<<"$limits")
        cpu=$(jq -r .cpu <<<"$limits")
        want_bytes=$(manifest downward limits.memory "$mem" 1)
        want_cpus=$(manifest downward limits.cpu "$cpu" 1m)
        # as written in resources.limits (512Mi, 1500m)
        run --separate-stderr "$JEINIT" --memory-limit "$mem" --cpu-limit "$cpu" --inspect
        [ "$status" -eq 0 ]
        json_holds "$output" '.limits.memory_bytes == $b and .limits.cpus * 1000 == $m and .limits.memory_source == "--memory-limit / JEINIT_MEMORY_LIMIT"' \
            --argjson b "$want_bytes" --argjson m "$want_cpus"
        # as the kubelet puts them in the environment
        mapfile -t envs < <(manifest env "$f" app)
        run --separate-stderr env "${envs[@]}" "$JEINIT" --inspect
        [ "$status" -eq 0 ]
        json_holds "$output" '.limits.memory_bytes == $b and .limits.cpus * 1000 == $m and .limits.cpu_source == "--cpu-limit / JEINIT_CPU_LIMIT"' \
            --argjson b "$want_bytes" --argjson m "$want_cpus"
        [ -z "$stderr" ]
    done
}

@test "jeinit as PID 1 takes JEINIT_GRACE and JEINIT_LOG_FORMAT from the rendered env" {
    [ -x "$JEINIT" ] || skip "build first: make"
    require_root
    mapfile -t envs < <(manifest env "$UNCHANGED" app)
    run --separate-stderr env "${envs[@]}" timeout 60 unshare --pid --fork --mount-proc --kill-child \
        "$JEINIT" -- sh -c 'exit 3'
    [ "$status" -eq 3 ]
    assert_json_log
    event_last start '.grace_s == 5 and .limits.memory_bytes == 536870912 and .limits.cpus == 1.5'
    [ -z "$(events config)" ]
}

@test "every manifest passes the API's schema (kubernetes-models, npm), and a wrong type is caught" {
    run "$ROOT/tests/k8s/schema.sh" "$ROOT"/k8s/*.yaml
    [ "$status" -ne 3 ] || skip "$output"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    sed -e 's/containerPort: 8080/containerPort: "8080"/' -e 's/replicas: 2/replicas: two/' \
        -e 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: "no"/' \
        "$ROOT/k8s/deployment-baked.yaml" >"$BATS_TEST_TMPDIR/bad.yaml"
    run "$ROOT/tests/k8s/schema.sh" "$BATS_TEST_TMPDIR/bad.yaml"
    [ "$status" -eq 1 ]
    [[ $output == *"spec/replicas must be integer"* ]]
    [[ $output == *"containerPort must be integer"* ]]
    [[ $output == *"allowPrivilegeEscalation must be boolean"* ]]
}

@test "every pod meets the restricted Pod Security profile, security context field names included" {
    run "$ROOT/tests/k8s/restricted.py" "$ROOT"/k8s/*.yaml
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "the restricted check is not vacuous: each broken rule is reported" {
    /usr/bin/python3 - "$UNCHANGED" "$BATS_TEST_TMPDIR/bad.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
pod = doc["spec"]["template"]["spec"]
pod["hostPID"] = True
pod["securityContext"]["runAsNonRoot"] = False
pod["securityContext"]["runAsUser"] = 0
del pod["securityContext"]["seccompProfile"]
pod["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}})
init, app = pod["initContainers"][0], pod["containers"][0]
init["securityContext"]["allowPrivilegeEscalation"] = True
init["securityContext"]["capabilities"] = {"drop": ["NET_RAW"], "add": ["SYS_RESOURCE"]}
app["securityContext"]["privileged"] = True
app["securityContext"]["readOnlyRootFileSystem"] = True
app["ports"][0]["hostPort"] = 8080
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
    run "$ROOT/tests/k8s/restricted.py" "$BATS_TEST_TMPDIR/bad.yaml"
    [ "$status" -eq 1 ]
    [[ $output == *"spec.hostPID: host namespaces are not allowed"* ]]
    [[ $output == *"volume host: hostPath volumes are not allowed"* ]]
    [[ $output == *"initContainers[jeinit-install]: securityContext.allowPrivilegeEscalation must be false"* ]]
    [[ $output == *"initContainers[jeinit-install]: capabilities must drop ALL"* ]]
    [[ $output == *"capability SYS_RESOURCE may not be added"* ]]
    [[ $output == *"containers[app]: runAsNonRoot must be true"* ]]
    [[ $output == *"containers[app]: runAsUser must not be 0"* ]]
    [[ $output == *"containers[app]: seccompProfile must be RuntimeDefault or Localhost"* ]]
    [[ $output == *"containers[app]: privileged is not allowed"* ]]
    [[ $output == *"containers[app]: hostPort 8080 is not allowed"* ]]
    [[ $output == *"containers[app].securityContext.readOnlyRootFileSystem: no such field"* ]]
}
