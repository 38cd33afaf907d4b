/* Unit tests of config.c: tini's flags, jeinit's flags and the environment. */
#include <errno.h>
#include <signal.h>

#include "check.h"
#include <string.h>
#include "config.h"

static struct config cfg;
static struct config_error err;

/* argv lives in static storage: cfg.child_argv points into it after the call. */
static char *argv_store[32];

static int parse_argv(char *const envp[], char *const *args, int n)
{
    argv_store[0] = "jeinit";
    for (int i = 0; i < n && i < 30; i++)
        argv_store[i + 1] = args[i];
    argv_store[n + 1] = NULL;
    return config_parse(n + 1, argv_store, envp, &cfg, &err);
}

#define ARGS(...)       ((char *const[]){__VA_ARGS__})
#define NARGS(...)      ((int)(sizeof(ARGS(__VA_ARGS__)) / sizeof(char *)))
#define PARSE(env, ...) parse_argv(env, ARGS(__VA_ARGS__), NARGS(__VA_ARGS__))

static void test_tini_flags(void)
{
    char *const none[] = {NULL};

    CHECK(PARSE(none, "-s", "-g", "-vv", "-w", "--", "sleep", "1") == 0, "tini flags parse");
    CHECK(cfg.subreaper && cfg.kill_process_group && cfg.warn_on_reap, "-s -g -w set");
    CHECK_INT(cfg.verbosity, 3, "-vv adds two to the default 1");
    CHECK_INT(cfg.child_argc, 2, "program and its argument");
    CHECK_STR(cfg.child_argv[0], "sleep", "program");

    CHECK(PARSE(none, "-sgv", "true") == 0 && cfg.subreaper && cfg.kill_process_group,
          "clustered flags");
    CHECK(PARSE(none, "-e", "3", "-e143", "-e", "0", "true") == 0, "-e three ways");
    CHECK(config_exit_remapped(&cfg, 3) && config_exit_remapped(&cfg, 143) &&
              config_exit_remapped(&cfg, 0) && !config_exit_remapped(&cfg, 4),
          "-e codes remapped, others not");
    CHECK(PARSE(none, "-p", "SIGTERM", "true") == 0 && cfg.pdeathsig == SIGTERM, "-p SIGTERM");
    CHECK(PARSE(none, "-pKILL", "true") == 0 && cfg.pdeathsig == SIGKILL, "-pKILL");
    CHECK(PARSE(none, "true", "-s") == 0 && !cfg.subreaper && cfg.child_argc == 2,
          "flags after PROGRAM are PROGRAM's");
    CHECK(PARSE(none, "-h") == 0 && cfg.mode == MODE_HELP, "-h");
    CHECK(PARSE(none, "--version") == 0 && cfg.mode == MODE_VERSION, "--version");
    CHECK(PARSE(none, "-l") == 0 && cfg.mode == MODE_LICENSE, "-l");
}

static void test_bad_flags(void)
{
    char *const none[] = {NULL};

    CHECK(PARSE(none, "-x", "true") == -EINVAL && strstr(err.msg, "'-x'") && err.exit_code == 1,
          "unknown short flag named, exit 1: %s", err.msg);
    CHECK(PARSE(none, "--nope", "true") == -EINVAL && strstr(err.msg, "'--nope'"),
          "unknown long flag named: %s", err.msg);
    CHECK(PARSE(none, "-e", "256", "true") == -EINVAL && strstr(err.msg, "0-255"),
          "-e 256 refused: %s", err.msg);
    CHECK(PARSE(none, "-e", "-1", "true") == -EINVAL, "-e -1 refused");
    CHECK(PARSE(none, "-p", "NOPE", "true") == -EINVAL && strstr(err.msg, "NOPE"),
          "-p NOPE refused: %s", err.msg);
    CHECK(PARSE(none, "-e") == -EINVAL && strstr(err.msg, "needs a value"), "-e without value");
    CHECK(PARSE(none, "--grace=x", "true") == -EINVAL && strstr(err.msg, "--grace"),
          "--grace=x refused: %s", err.msg);
    CHECK(PARSE(none, "--print-env=yes") == -EINVAL && strstr(err.msg, "takes no value"),
          "flag with a value refused");
    CHECK(PARSE(none, "--inspect=yes") == -EINVAL && strstr(err.msg, "expected text, json or auto"),
          "--inspect=yes refused: %s", err.msg);
    CHECK(PARSE(none, "--inspect=text") == 0 && cfg.mode == MODE_INSPECT &&
              cfg.inspect_format == INSPECT_TEXT,
          "--inspect=text");
    CHECK(PARSE(none, "--inspect=json") == 0 && cfg.inspect_format == INSPECT_JSON,
          "--inspect=json");
    CHECK(PARSE(none, "--inspect") == 0 && cfg.inspect_format == INSPECT_AUTO,
          "--inspect: text or JSON by stdout");
    CHECK(PARSE(none, "report") == 0 && cfg.mode == MODE_REPORT && !cfg.report_log,
          "report: the subcommand, from stdin");
    CHECK(PARSE(none, "report", "x.log") == 0 && cfg.mode == MODE_REPORT &&
              strcmp(cfg.report_log, "x.log") == 0,
          "report LOG");
    CHECK(PARSE(none, "report", "a", "b") == -EINVAL && strstr(err.msg, "jeinit report [LOG]"),
          "report with two logs refused: %s", err.msg);
    CHECK(PARSE(none, "--", "report") == 0 && cfg.mode == MODE_RUN && cfg.child_argc == 1 &&
              strcmp(cfg.child_argv[0], "report") == 0,
          "-- report runs a program named report");
    CHECK(PARSE(none, "-s", "report") == 0 && cfg.mode == MODE_RUN &&
              strcmp(cfg.child_argv[0], "report") == 0,
          "report after a flag is the program");
    CHECK(PARSE(none, "-s") == -EINVAL && err.usage && strstr(err.msg, "no PROGRAM"), "no PROGRAM");
    CHECK(PARSE(none, "--inspect") == 0 && cfg.mode == MODE_INSPECT, "--inspect needs no PROGRAM");
}

static void test_jeinit_flags(void)
{
    char *const none[] = {NULL};

    CHECK(PARSE(none, "--grace", "2.5", "--log-format=text", "--memory-limit", "512Mi",
                "--cpu-limit=1500m", "--profile", "memory", "--workers", "4", "--interval", "0",
                "--purge-at", "80", "--no-agent", "--jemalloc=off", "true") == 0,
          "all jeinit flags parse: %s", err.msg);
    CHECK_INT(cfg.grace_ms, 2500, "--grace 2.5");
    CHECK_INT(cfg.log_format, LOG_FORMAT_TEXT, "--log-format=text");
    CHECK_U64(cfg.memory_limit, UINT64_C(512) << 20, "--memory-limit 512Mi");
    CHECK_U64(cfg.cpu_limit_millis, 1500, "--cpu-limit 1500m");
    CHECK_INT(cfg.profile, PROFILE_MEMORY, "--profile memory");
    CHECK_INT(cfg.workers, 4, "--workers 4");
    CHECK_STR(cfg.workers_source, "--workers", "workers source named");
    CHECK_INT(cfg.interval_ms, 0, "--interval 0 disables");
    CHECK_INT(cfg.purge_at_percent, 80, "--purge-at 80");
    CHECK(!cfg.agent, "--no-agent");
    CHECK_STR(cfg.jemalloc, "off", "--jemalloc=off");
    CHECK(PARSE(none, "--interval", "0.05", "true") == -EINVAL, "interval below 0.1 s refused");
}

static void test_environment(void)
{
    char *const tini_env[] = {"TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=0", "TINI_VERBOSITY=3",
                              NULL};
    char *const jeinit_env[] = {"TINI_VERBOSITY=3",      "JEINIT_VERBOSITY=0",
                                "JEINIT_GRACE=1",        "JEINIT_MEMORY_LIMIT=1Gi",
                                "WEB_CONCURRENCY=3",     "JEINIT_WORKERS=5",
                                "MALLOC_CONF=narenas:1", NULL};
    char *const bad_strict[] = {"JEINIT_GRACE=soon", NULL};
    char *const bad_lenient[] = {"JEINIT_MEMORY_LIMIT=lots", "JEINIT_PROFILE=fast",
                                 "JEINIT_CPU_LIMIT=", NULL};
    char *const bool_env[] = {"JEINIT_SUBREAPER=maybe", NULL};

    CHECK(PARSE(tini_env, "true") == 0, "tini env parses");
    CHECK(cfg.subreaper && cfg.kill_process_group,
          "TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP count when merely set, as in tini");
    CHECK_INT(cfg.verbosity, 3, "TINI_VERBOSITY");
    CHECK(PARSE(tini_env, "-v", "true") == 0 && cfg.verbosity == 4, "-v adds to the env's");

    CHECK(PARSE(jeinit_env, "true") == 0, "jeinit env parses");
    CHECK_INT(cfg.verbosity, 0, "JEINIT_VERBOSITY wins over TINI_VERBOSITY");
    CHECK_INT(cfg.grace_ms, 1000, "JEINIT_GRACE");
    CHECK_U64(cfg.memory_limit, UINT64_C(1) << 30, "JEINIT_MEMORY_LIMIT");
    CHECK_INT(cfg.workers, 5, "JEINIT_WORKERS wins over WEB_CONCURRENCY");
    CHECK_STR(cfg.workers_source, "JEINIT_WORKERS", "workers source");
    CHECK_STR(cfg.user_malloc_conf, "narenas:1", "MALLOC_CONF kept");
    CHECK(PARSE(jeinit_env, "--grace", "3", "true") == 0 && cfg.grace_ms == 3000,
          "flag wins over env");

    CHECK(PARSE(bad_strict, "true") == -EINVAL && strstr(err.msg, "JEINIT_GRACE"),
          "bad JEINIT_GRACE stops: %s", err.msg);
    CHECK(PARSE(bool_env, "true") == -EINVAL && strstr(err.msg, "JEINIT_SUBREAPER"),
          "bad JEINIT_SUBREAPER stops: %s", err.msg);
    CHECK(PARSE(bad_lenient, "true") == 0, "bad tuning variables do not stop");
    CHECK_INT(cfg.warnings.n, 2, "one warning each (empty means unset)");
    CHECK(cfg.warnings.n == 2 && strstr(cfg.warnings.msg[0], "JEINIT_MEMORY_LIMIT") &&
              strstr(cfg.warnings.msg[1], "JEINIT_PROFILE"),
          "warnings name the variables");
    CHECK(cfg.memory_limit == 0 && cfg.profile == PROFILE_BALANCED, "defaults kept");
}

int main(void)
{
    test_tini_flags();
    test_bad_flags();
    test_jeinit_flags();
    test_environment();
    return check_done();
}
