#!/usr/bin/env bats
# jeinit fits the allocator: the program really gets jemalloc and the derived
# MALLOC_CONF, the user's settings win, and without jemalloc glibc is tuned
# instead. The program starts whatever happens.
load helpers

# the jemalloc jeinit finds first: its own, beside it (make jemalloc), else Debian's
SYSTEM_JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
JEMALLOC=$SYSTEM_JEMALLOC
[ -f "$BUILD/libjemalloc.so.2" ] && JEMALLOC=$(cd "$BUILD" && pwd)/libjemalloc.so.2

setup() {
    [ -x "$JEINIT" ] || skip "build first: make"
    [ -f "$SYSTEM_JEMALLOC" ] || skip "libjemalloc2 is not installed ($SYSTEM_JEMALLOC)"
    require_root
}

# The program's view: its MALLOC_CONF, LD_PRELOAD, glibc variables, and
# whether jemalloc / the agent are mapped into it.
SHOW='echo "MALLOC_CONF=$MALLOC_CONF"; echo "LD_PRELOAD=$LD_PRELOAD"; echo "ARENA=$MALLOC_ARENA_MAX"; echo "TUNABLES=$GLIBC_TUNABLES"; echo "JE=$(grep -c libjemalloc /proc/$$/maps)"; echo "AGENT=$(grep -c libjeinit-agent /proc/$$/maps)"; echo "BG=$JEINIT_AGENT_BACKGROUND"'

val() {
    sed -n "s/^$1=//p" <<<"$output"
}

@test "the program gets jemalloc in its maps and the MALLOC_CONF that --print-env and the start line show" {
    run --separate-stderr pid1 --log-format json -- sh -c "$SHOW"
    [ "$status" -eq 0 ]
    [ "$(val JE)" -ge 1 ]
    [ "$(val AGENT)" -ge 1 ]
    conf=$(val MALLOC_CONF)
    [[ $conf == *narenas:* && $conf == *dirty_decay_ms:* ]]
    # background threads: started by the agent once a process has lived, not by MALLOC_CONF
    [[ $conf != *background_thread:* ]] && [ "$(val BG)" = 1 ]
    event_last start --arg c "$conf" '.allocator.malloc_conf == $c' 2>/dev/null ||
        event_last start ".allocator.malloc_conf == \"$conf\""
    [ "$("$JEINIT" --print-env | sed -n 's/^MALLOC_CONF=//p')" = "$conf" ]
    [[ $(val LD_PRELOAD) == "$JEMALLOC:"*libjeinit-agent.so ]]
}

@test "narenas follows the container's CPUs and the workers, not the host" {
    # balanced: one arena per two container CPUs; throughput: four per CPU
    run "$JEINIT" --cpu-limit 1 --print-env
    [[ $output == *"MALLOC_CONF=narenas:1,"* ]]
    run "$JEINIT" --cpu-limit 2 --print-env
    [[ $output == *"MALLOC_CONF=narenas:1,"* ]]
    run "$JEINIT" --cpu-limit 2 --profile throughput --print-env
    [[ $output == *"MALLOC_CONF=narenas:8,"* ]]
    run "$JEINIT" --cpu-limit 2 --workers 4 --profile throughput --print-env
    [[ $output == *"MALLOC_CONF=narenas:4,"* ]]
    WEB_CONCURRENCY=4 run "$JEINIT" --cpu-limit 2 --inspect
    jq -e '.allocator.workers == 4 and (.allocator.malloc_conf | startswith("narenas:1,"))' <<<"$output"
    run "$JEINIT" --cpu-limit 1 --inspect
    jq -e '[.allocator.options[] | select(.key == "narenas")][0].reason | test("CPU")' <<<"$output"
}

@test "decay and tcache scale with the memory each process may use" {
    run "$JEINIT" --memory-limit 256Mi --cpu-limit 1 --print-env
    [[ $output == *dirty_decay_ms:1000,* && $output == *muzzy_decay_ms:0* && $output == *tcache_max:4096* ]]
    run "$JEINIT" --memory-limit 2Gi --cpu-limit 1 --print-env
    [[ $output == *dirty_decay_ms:1000,* && $output == *tcache_max:16384* ]]
    run "$JEINIT" --memory-limit 8Gi --cpu-limit 1 --print-env
    [[ $output == *dirty_decay_ms:2000,* && $output == *tcache_max:16384* ]]
    run "$JEINIT" --memory-limit 16Gi --cpu-limit 1 --print-env
    [[ $output == *dirty_decay_ms:5000,* && $output != *tcache_max* ]]
    run "$JEINIT" --memory-limit 8Gi --cpu-limit 1 --workers 32 --print-env
    [[ $output == *dirty_decay_ms:1000,* && $output == *tcache_max:4096* ]]
}

@test "profiles: memory is TUNING.md's low-resource set, throughput its CPU-first one" {
    run "$JEINIT" --memory-limit 1Gi --cpu-limit 2 --profile memory --print-env
    [[ $output == *"narenas:1,"* && $output == *tcache_max:1024* && $output == *muzzy_decay_ms:0* ]]
    JEINIT_PROFILE=throughput run "$JEINIT" --memory-limit 4Gi --cpu-limit 2 --print-env
    [[ $output == *"narenas:8,"* && $output == *metadata_thp:auto* && $output == *dirty_decay_ms:10000,muzzy_decay_ms:10000* ]]
    [[ $output != *tcache_max* ]]
}

@test "the user's MALLOC_CONF wins key by key; JEINIT_MALLOC_CONF adds and overrides jeinit's" {
    MALLOC_CONF=narenas:7,abort_conf:true run --separate-stderr pid1 -- sh -c "$SHOW"
    conf=$(val MALLOC_CONF)
    [[ $conf == *narenas:7,abort_conf:true ]]
    [ "$(grep -o 'narenas:' <<<"$conf" | wc -l)" -eq 1 ]
    [[ $conf != *background_thread:* ]] && [ "$(val BG)" = 1 ]
    MALLOC_CONF=narenas:7 run "$JEINIT" --inspect
    jq -e '[.allocator.options[] | select(.key == "narenas")][0].overridden_by' <<<"$output"
    JEINIT_MALLOC_CONF=dirty_decay_ms:3000,retain:false run --separate-stderr pid1 -- sh -c "$SHOW"
    conf=$(val MALLOC_CONF)
    [[ $conf == *dirty_decay_ms:3000* && $conf == *retain:false* ]]
    [ "$(grep -o 'dirty_decay_ms:' <<<"$conf" | wc -l)" -eq 1 ]
}

@test "a malformed MALLOC_CONF: a warning naming the pair, passed on untouched, the program runs" {
    MALLOC_CONF='narenas:3,garbage,tcache' run --separate-stderr pid1 --log-format json -- sh -c "$SHOW; exit 4"
    [ "$status" -eq 4 ]
    [[ $(val MALLOC_CONF) == *"narenas:3,garbage,tcache" ]]
    event_last tuning '.level == "warn" and (.msg | contains("garbage"))'
}

@test "no jemalloc: glibc is tuned instead, the user's glibc settings win, the program runs" {
    run --separate-stderr pid1 --log-format json --jemalloc=off --cpu-limit 1 -- sh -c "$SHOW"
    [ "$status" -eq 0 ]
    [ "$(val JE)" -eq 0 ]
    [ "$(val ARENA)" = 1 ]
    [[ $(val TUNABLES) == *glibc.malloc.mmap_threshold=131072* && $(val TUNABLES) == *glibc.malloc.trim_threshold=131072* ]]
    [ -z "$(val MALLOC_CONF)" ]
    event_last start '.allocator.kind == "glibc"'

    MALLOC_ARENA_MAX=5 GLIBC_TUNABLES=glibc.malloc.trim_threshold=999 run --separate-stderr pid1 --jemalloc=off -- sh -c "$SHOW"
    [ "$(val ARENA)" = 5 ]
    [[ $(val TUNABLES) == *glibc.malloc.trim_threshold=999* && $(val TUNABLES) == *glibc.malloc.mmap_threshold=131072* ]]
    [[ $(val TUNABLES) != *trim_threshold=131072* ]]
}

@test "jemalloc missing from the machine: a warning, glibc tuning, the program runs" {
    # hide every copy of libjemalloc in a private mount namespace
    run --separate-stderr timeout 30 unshare --mount --propagation private sh -c "
        for f in /usr/lib/x86_64-linux-gnu/libjemalloc.so* $BUILD/libjemalloc.so.2; do [ -e \"\$f\" ] && mount --bind /dev/null \"\$f\"; done
        \"$JEINIT\" --log-format json -- sh -c '$SHOW'"
    [ "$status" -eq 0 ]
    [ "$(val JE)" -eq 0 ]
    [ -n "$(val ARENA)" ]
    event_last allocator '.msg | test("no usable libjemalloc|not a regular file|ignoring")'
    event_last start '.allocator.kind == "glibc"'
}

@test "--jemalloc with a bad file: the reason is named, glibc tuning, the program runs" {
    printf 'not a library\n' >"$BATS_TEST_TMPDIR/fake.so"
    run --separate-stderr pid1 --log-format json --jemalloc "$BATS_TEST_TMPDIR/fake.so" -- sh -c "$SHOW"
    [ "$status" -eq 0 ]
    event_last allocator '.msg | contains("not an ELF file")'
    [ "$(val JE)" -eq 0 ]
    JEINIT_JEMALLOC=/nonexistent/libjemalloc.so.2 run --separate-stderr pid1 --log-format json -- sh -c "$SHOW"
    [ "$status" -eq 0 ]
    event_last allocator '.msg | contains("/nonexistent/libjemalloc.so.2")'
}

@test "LD_PRELOAD: the user's entries kept after ours, none twice, the user's own jemalloc kept" {
    LD_PRELOAD=/lib/x86_64-linux-gnu/libm.so.6 run --separate-stderr pid1 -- sh -c "$SHOW"
    [[ $(val LD_PRELOAD) == "$JEMALLOC:"*"libjeinit-agent.so:/lib/x86_64-linux-gnu/libm.so.6" ]]
    # (LD_PRELOAD applies to jeinit too: a preloaded jemalloc would replace
    # ASan's allocator inside the sanitized jeinit)
    is_sanitized && skip "the user's preloaded jemalloc cannot run inside the ASan build of jeinit"
    cp "$JEMALLOC" "$BATS_TEST_TMPDIR/libjemalloc.so.2"
    LD_PRELOAD="/lib/x86_64-linux-gnu/libm.so.6 $BATS_TEST_TMPDIR/libjemalloc.so.2" run --separate-stderr pid1 --log-format json -- sh -c "$SHOW"
    [[ $(val LD_PRELOAD) == "$BATS_TEST_TMPDIR/libjemalloc.so.2:"*libjeinit-agent.so:/lib/x86_64-linux-gnu/libm.so.6 ]]
    [[ $(val LD_PRELOAD) != *"$JEMALLOC"* ]]
    event_last start ".allocator.found_by | test(\"LD_PRELOAD\")"
}

@test "options unknown to the detected jemalloc version are not emitted" {
    lib=$BATS_TEST_TMPDIR/libjemalloc.so.2
    # the same library claiming to be 5.2.1: tcache_max came in 5.3
    sed 's/5\.3\.0-0-g54eaed1d/5.2.1-0-g54eaed1d/' "$JEMALLOC" >"$lib"
    run "$JEINIT" --jemalloc "$lib" --memory-limit 512Mi --inspect
    jq -e '.allocator.version == "5.2.1" and (.allocator.malloc_conf | contains("lg_tcache_max:14")) and (.allocator.malloc_conf | test("(^|,)tcache_max") | not)' <<<"$output"
    # a version that cannot be read: only what every jemalloc knows
    sed 's/5\.3\.0-0-g54eaed1d/x.y.z-0-g54eaed1d/' "$JEMALLOC" >"$lib"
    run "$JEINIT" --jemalloc "$lib" --inspect
    jq -e '.allocator.version == null and (.allocator.malloc_conf | test("^narenas:[0-9]+$")) and (.warnings | any(test("cannot tell the jemalloc version")))' <<<"$output"
}

@test "--print-env output can be sourced by a shell and used as a Docker --env-file" {
    run "$JEINIT" --print-env
    [ "$status" -eq 0 ]
    grep -qE '^LD_PRELOAD=[^ ]+$' <<<"$output"
    grep -qE '^MALLOC_CONF=[a-z_]+:[^ ]+$' <<<"$output"
    got=$(eval "$output"; echo "$MALLOC_CONF")
    [ "$got" = "$(sed -n 's/^MALLOC_CONF=//p' <<<"$output")" ]
    # a value that needs quoting is quoted so that the shell gets it back exactly
    MALLOC_CONF="prof_prefix:/tmp/it's here" run "$JEINIT" --print-env
    grep -q "^MALLOC_CONF='" <<<"$output"
    got=$(eval "$output"; echo "$MALLOC_CONF")
    [[ $got == *",prof_prefix:/tmp/it's here" ]]
}

@test "a jemalloc whose dependencies are missing is not preloaded (the program would not start)" {
    # the same library, needing a libstdc++ that is not there (as in a slim image)
    lib=$BATS_TEST_TMPDIR/libjemalloc.so.2
    sed 's/libstdc++\.so\.6/libmissing.so6/g' "$SYSTEM_JEMALLOC" >"$lib"
    run --separate-stderr pid1 --log-format json --jemalloc "$lib" -- sh -c "$SHOW; exit 3"
    [ "$status" -eq 3 ]
    [ "$(val JE)" -eq 0 ]
    event_last allocator '.msg | contains("needs libmissing.so6, which is not installed here")'
    event_last start '.allocator.kind == "glibc"'
}

@test "an executable given as the jemalloc is refused: ld.so would not preload it" {
    run --separate-stderr pid1 --log-format json --jemalloc /bin/true -- sh -c "$SHOW"
    [ "$status" -eq 0 ]
    event_last allocator '.msg | contains("position-independent executable")'
    event_last start '.allocator.kind == "glibc"'
}

@test "the user's own allocator in LD_PRELOAD wins: no jemalloc, no glibc variables, said in start" {
    bump=$BUILD/helpers/libbumpalloc.so
    [ -f "$bump" ] || skip "build first: make helpers"
    LD_PRELOAD=$bump run --separate-stderr pid1 --log-format json --interval 0.3 -- \
        sh -c "$SHOW; echo BUMP=\$(grep -c libbumpalloc /proc/\$\$/maps); sleep 1"
    [ "$status" -eq 0 ]
    [ "$(val JE)" -eq 0 ]
    [ "$(val BUMP)" -ge 1 ]
    [ -z "$(val MALLOC_CONF)" ]
    [ -z "$(val ARENA)" ]
    [ -z "$(val TUNABLES)" ]
    [[ $(val LD_PRELOAD) == *libbumpalloc.so* ]]
    event_last start ".allocator.kind == \"user\" and .allocator.path == \"$bump\" and .allocator.malloc_conf == null"
    # the agent stays asleep (the user's malloc shadows its wake-up call): the
    # process is listed from /proc, with no allocator figures it cannot vouch for
    event_any memory '[.processes[] | select(.comm == "sh")][0] | .allocator == null and .allocated_bytes == null and .rss_bytes > 0'
    # --inspect says the same
    LD_PRELOAD=$bump run --separate-stderr "$JEINIT" --inspect
    json_holds "$output" '.allocator.kind == "user" and (.allocator.path | endswith("libbumpalloc.so"))'
}

@test "jeinit --inspect beneath jeinit (an ENTRYPOINT of jeinit) reports the user's settings, not jeinit's exports" {
    ! is_sanitized || skip "the outer jeinit preloads jemalloc, which the ASan build cannot run under"
    inner() { timeout -k 5 30 unshare --pid --fork --mount-proc --kill-child "$JEINIT" -- "$@"; }
    run --separate-stderr inner "$JEINIT" --inspect
    [ "$status" -eq 0 ]
    json_holds "$output" '.allocator.found_by != "LD_PRELOAD (the user'"'"'s)" and
        (.allocator.environment | has("MALLOC_CONF") and has("LD_PRELOAD")) and
        ([.allocator.options[] | select(.overridden_by)] | length == 0)'
    # the user's own MALLOC_CONF is still the user's
    MALLOC_CONF=narenas:7 run --separate-stderr inner "$JEINIT" --inspect
    json_holds "$output" '[.allocator.options[] | select(.overridden_by) | .key] == ["narenas"] and
        (.allocator.environment.MALLOC_CONF | endswith("narenas:7"))'
    # a value the program changed after jeinit set it is the program's
    run --separate-stderr inner sh -c 'MALLOC_CONF=narenas:3 "$0" --inspect' "$JEINIT"
    json_holds "$output" '[.allocator.options[] | select(.overridden_by) | .key] == ["narenas"] and
        (.allocator.environment.MALLOC_CONF | endswith("narenas:3"))'
}

# --- what the program's loader would refuse (issue 10) ----------------------

# Builds, in $BATS_TEST_TMPDIR, a stub libc.so.6 whose only version is
# GLIBC_9.99, and $1: a library linked against it, so that its DT_VERNEED
# asks GLIBC_9.99 of libc.so.6 (which this image's libc.so.6 lacks).
unmet_version_lib() {
    command -v gcc >/dev/null || skip "needs gcc"
    local d=$BATS_TEST_TMPDIR
    mkdir -p "$d/stub"
    echo 'void stub_fn(void) {}' >"$d/stub.c"
    echo 'GLIBC_9.99 { global: stub_fn; local: *; };' >"$d/stub.map"
    gcc -shared -fPIC -nostdlib -Wl,-soname,libc.so.6 -Wl,--version-script="$d/stub.map" \
        -o "$d/stub/libc.so.6" "$d/stub.c"
    printf 'void stub_fn(void);\n__attribute__((constructor)) static void init(void) { stub_fn(); }\n' >"$d/fix.c"
    gcc -shared -fPIC -nostdlib -o "$1" "$d/fix.c" "$d/stub/libc.so.6"
}

@test "a jemalloc needing a symbol version this image's libc lacks is not preloaded: one warning, glibc tuned, exit 0" {
    lib=$BATS_TEST_TMPDIR/libjemalloc.so.2
    unmet_version_lib "$lib"
    # what ld.so does with it: every program fails before main
    run env LD_PRELOAD="$lib" /bin/true
    [ "$status" -ne 0 ]
    [[ $output == *"GLIBC_9.99' not found"* ]]

    run --separate-stderr pid1 --log-format json --jemalloc "$lib" -- true
    [ "$status" -eq 0 ]
    assert_json_log
    [ "$(events allocator | wc -l)" -eq 1 ]
    event_last allocator ".msg | contains(\"$lib\") and contains(\"needs GLIBC_9.99 (stub_fn) of libc.so.6\") and test(\"defines up to GLIBC_2\\\\.[0-9]+\")"
    event_last start '.allocator.kind == "glibc" and .allocator.program_libc == "glibc" and .allocator.arena_max != null'
    run --separate-stderr pid1 --jemalloc "$lib" -- sh -c "$SHOW"
    [ "$(val JE)" -eq 0 ]
    [[ $(val LD_PRELOAD) != *"$lib"* ]]
}

@test "an agent needing a symbol version this image's libc lacks is not preloaded: one warning, the program runs" {
    lib=$BATS_TEST_TMPDIR/libjeinit-agent.so
    unmet_version_lib "$lib"
    run --separate-stderr pid1 --log-format json --agent "$lib" -- sh -c "$SHOW; exit 5"
    [ "$status" -eq 5 ]
    [ "$(val AGENT)" -eq 0 ]
    [[ $(val LD_PRELOAD) != *"$lib"* ]]
    [ "$(events allocator | wc -l)" -eq 1 ]
    event_last allocator ".msg | contains(\"agent $lib unusable\") and contains(\"GLIBC_9.99\")"
    event_last start '.allocator.agent == null and .allocator.kind == "jemalloc"'
}

# A program that says what it got: the allocator variables, and which of the
# preloaded libraries are mapped; then sleeps $1 seconds (default 0).
PROBE_C='#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *keys[] = {"MALLOC_CONF", "LD_PRELOAD", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"};
    char line[512];
    int je = 0, agent = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    for (int i = 0; i < 4; i++) printf("%s=%s\n", keys[i], getenv(keys[i]) ? getenv(keys[i]) : "");
    while (maps && fgets(line, sizeof(line), maps)) {
        je += strstr(line, "libjemalloc") != NULL;
        agent += strstr(line, "libjeinit-agent") != NULL;
    }
    printf("JE=%d\nAGENT=%d\n", je, agent);
    fflush(stdout);
    if (argc > 1) sleep((unsigned)atoi(argv[1]));
    free(malloc(100));
    return 0;
}'

@test "a static program: nothing preloaded, no allocator variables, one warning, the monitor still reports it" {
    command -v gcc >/dev/null || skip "needs gcc"
    prog=$BATS_TEST_TMPDIR/probe-static
    printf '%s\n' "$PROBE_C" | gcc -static -O1 -o "$prog" -x c - || skip "no static libc (libc6-dev)"
    run --separate-stderr pid1 --log-format json --interval 0.3 -- "$prog" 1
    [ "$status" -eq 0 ]
    assert_json_log
    [ -z "$(val MALLOC_CONF)" ] && [ -z "$(val LD_PRELOAD)" ]
    [ -z "$(val MALLOC_ARENA_MAX)" ] && [ -z "$(val GLIBC_TUNABLES)" ]
    [ "$(events allocator | wc -l)" -eq 1 ]
    event_last allocator '.msg | contains("statically linked") and (contains("libjemalloc2") | not)'
    [ -z "$(events agents)" ]
    event_last start '.allocator.kind == "builtin" and .allocator.program_libc == "static" and .allocator.agent == null'
    event_any memory '[.processes[] | select(.comm == "probe-static")] | length == 1'
    run "$JEINIT" --inspect -- "$prog"
    json_holds "$output" '.allocator.program_libc == "static" and .allocator.environment == {}'
}

# musl-tools (tests/deps.sh): musl-gcc, and Debian's musl loader at
# /lib/ld-musl-x86_64.so.1.
require_musl() {
    command -v musl-gcc >/dev/null || skip "needs musl-gcc (apt-get install musl-tools)"
    [ -e /lib/ld-musl-x86_64.so.1 ] || skip "no musl loader at /lib/ld-musl-x86_64.so.1"
}

@test "a musl program: no glibc variables, no glibc-built jemalloc or agent, one warning in musl's words" {
    require_musl
    prog=$BATS_TEST_TMPDIR/probe-musl
    printf '%s\n' "$PROBE_C" | musl-gcc -O1 -o "$prog" -x c -
    run readelf -lW "$prog"
    [[ $output == *"/lib/ld-musl-x86_64.so.1"* ]]
    run --separate-stderr pid1 --log-format json --interval 0.3 -- "$prog" 1
    [ "$status" -eq 0 ]
    assert_json_log
    [ "$(val JE)" -eq 0 ] && [ "$(val AGENT)" -eq 0 ]
    [ -z "$(val MALLOC_CONF)" ] && [ -z "$(val LD_PRELOAD)" ]
    [ -z "$(val MALLOC_ARENA_MAX)" ] && [ -z "$(val GLIBC_TUNABLES)" ]
    [ "$(events allocator | wc -l)" -eq 1 ]
    event_last allocator '.msg | contains("runs on musl") and contains("built for glibc") and (contains("libjemalloc2") | not) and (contains("not found beside") | not)'
    [ -z "$(events agents)" ]
    event_last start '.allocator.kind == "musl" and .allocator.program_libc == "musl" and .allocator.agent == null and (has("arena_max") | not)'
    event_any memory '[.processes[] | select(.comm == "probe-musl")] | length == 1'
    # a glibc jemalloc named explicitly is refused the same way
    run --separate-stderr pid1 --log-format json --jemalloc "$JEMALLOC" -- "$prog"
    [ "$status" -eq 0 ] && [ "$(val JE)" -eq 0 ]
    [ "$(events allocator | wc -l)" -eq 1 ]
    run "$JEINIT" --inspect -- "$prog"
    json_holds "$output" '.allocator.kind == "musl" and .allocator.program_libc == "musl" and .allocator.environment == {}'
}

@test "a musl program gets a jemalloc built for musl, with MALLOC_CONF, and no glibc variables" {
    require_musl
    prog=$BATS_TEST_TMPDIR/probe-musl
    printf '%s\n' "$PROBE_C" | musl-gcc -O1 -o "$prog" -x c -
    # a stand-in for a musl build of jemalloc: a musl library of that name
    lib=$BATS_TEST_TMPDIR/musl/libjemalloc.so.2
    mkdir -p "${lib%/*}"
    echo 'int je_stand_in(void) { return 1; }' | musl-gcc -shared -fPIC -o "$lib" -x c -
    run --separate-stderr pid1 --log-format json --no-agent --jemalloc "$lib" -- "$prog"
    [ "$status" -eq 0 ]
    [ "$(val JE)" -ge 1 ]
    [ "$(val LD_PRELOAD)" = "$lib" ]
    [[ $(val MALLOC_CONF) == narenas:* ]]
    [ -z "$(val MALLOC_ARENA_MAX)" ] && [ -z "$(val GLIBC_TUNABLES)" ]
    event_last start ".allocator.kind == \"jemalloc\" and .allocator.program_libc == \"musl\" and .allocator.path == \"$lib\""
}

@test "the program's libc is found through PATH and #! lines; what cannot be resolved keeps today's behaviour" {
    run "$JEINIT" --inspect -- sh -c true
    json_holds "$output" '.allocator.program_libc == "glibc" and .allocator.kind == "jemalloc"'
    run "$JEINIT" --inspect
    json_holds "$output" '.allocator.program_libc == "unknown" and .allocator.kind == "jemalloc"'
    printf '#!/usr/bin/env sh\nexit 0\n' >"$BATS_TEST_TMPDIR/script"
    chmod +x "$BATS_TEST_TMPDIR/script"
    run "$JEINIT" --inspect -- "$BATS_TEST_TMPDIR/script"
    json_holds "$output" '.allocator.program_libc == "glibc"'
    printf '#!/nonexistent/interpreter\n' >"$BATS_TEST_TMPDIR/orphan"
    chmod +x "$BATS_TEST_TMPDIR/orphan"
    run "$JEINIT" --inspect -- "$BATS_TEST_TMPDIR/orphan"
    json_holds "$output" '.allocator.program_libc == "unknown" and .allocator.kind == "jemalloc"'
    run "$JEINIT" --inspect -- no-such-program-anywhere
    json_holds "$output" '.allocator.program_libc == "unknown" and .allocator.kind == "jemalloc"'
}

# --- MALLOC_CONF length (issue 10, item 5) ----------------------------------

# "confirm_conf:true" then well-formed pairs, up to $1 bytes (at most 20 fewer).
long_conf() {
    local s=confirm_conf:true
    while [ $((${#s} + 20)) -le "$1" ]; do s+=,dirty_decay_ms:5000; done
    printf '%s' "$s"
}

@test "MALLOC_CONF over 3072 bytes with jeinit's options: jeinit's are dropped first, the user's untouched" {
    # ~3060 bytes of the user's: with jeinit's it would pass 3072, so some of jeinit's go
    user=$(long_conf 3070)
    MALLOC_CONF=$user run --separate-stderr pid1 --log-format json -- sh -c 'printf "GOT=%s\n" "$MALLOC_CONF"'
    [ "$status" -eq 0 ]
    got=$(sed -n 's/^GOT=//p' <<<"$output")
    [[ $got == *",$user" ]]
    [ "${#got}" -le 3072 ]
    event_last tuning '.msg | contains("left out jeinit'"'"'s") and contains("passed on untouched")'
    MALLOC_CONF=$user run "$JEINIT" --inspect
    json_holds "$output" '[.allocator.options[] | select(.dropped_by)] | length > 0'
}

@test "jemalloc's echo of MALLOC_CONF (confirm_conf:true) is whole: no line cut, none glued to jeinit's" {
    ! is_sanitized || skip "the program's jemalloc output is what is checked, not jeinit's"
    # ~3980 bytes of the user's: with jeinit's options it would be past the
    # 4016 that jemalloc 5.3 echoes whole; alone it is echoed whole
    user=$(long_conf 3990)
    MALLOC_CONF=$user run --separate-stderr pid1 --log-format json -- sh -c 'printf "GOT=%s\n" "$MALLOC_CONF"'
    [ "$status" -eq 0 ]
    [ "$(sed -n 's/^GOT=//p' <<<"$output")" = "$user" ]
    echo4=$(grep -a 'malloc_conf #4' <<<"$stderr")
    [ "$echo4" = "<jemalloc>: malloc_conf #4 (value of the environment variable MALLOC_CONF): \"$user\"" ]
    ! grep -a '<jemalloc>' <<<"$stderr" | grep -q '{"ts"'
    event_last tuning '.msg | contains("passed on alone, untouched")'
}

# --- where jemalloc is looked for (item 4) ------------------------------------

@test "jeinit's own jemalloc in ../lib/jeinit wins over one beside jeinit and the system's" {
    d=$BATS_TEST_TMPDIR/prefix
    mkdir -p "$d/bin" "$d/lib/jeinit"
    cp "$JEINIT" "$d/bin/jeinit"
    cp "$JEMALLOC" "$d/lib/jeinit/libjemalloc.so.2"
    cp "$JEMALLOC" "$d/bin/libjemalloc.so.2"
    run "$d/bin/jeinit" --inspect
    json_holds "$output" ".allocator.found_by == \"jeinit's own (lib/jeinit)\" and .allocator.path == \"$d/lib/jeinit/libjemalloc.so.2\""
    rm "$d/lib/jeinit/libjemalloc.so.2"
    run "$d/bin/jeinit" --inspect
    json_holds "$output" '.allocator.found_by == "next to jeinit"'
}
