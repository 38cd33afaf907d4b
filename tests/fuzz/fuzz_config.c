/* fuzz_config.c - libFuzzer harness for config_parse. The input is split on
 * NUL bytes into entries: those before the first empty entry are argv (from
 * argv[0]), the rest the environment. On success the program lies within
 * argv and every setting is in its documented range; on failure there is a
 * message and exit code 1, as in tini. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_ENTRIES 128

/* p is NULL, a static string, or points into one of the entries. */
static bool points_into(const char *p, char *const *entries, int n)
{
    if (!p)
        return true;
    for (int i = 0; i < n; i++)
        if (p >= entries[i] && p <= entries[i] + strlen(entries[i]))
            return true;
    return false;
}

static void check_ok(const struct config *cfg, int argc, char *const argv[], char *const envp[],
                     int envc)
{
    INVARIANT(cfg->mode >= MODE_RUN && cfg->mode <= MODE_REPORT);
    if (cfg->mode == MODE_REPORT) {
        /* `jeinit report [LOG]`: argv[1] exactly, at most one log */
        INVARIANT(argc >= 2 && argc <= 3 && strcmp(argv[1], "report") == 0);
        INVARIANT(cfg->report_log == (argc == 3 ? argv[2] : NULL));
        return;
    }
    INVARIANT(cfg->child_argc >= 0 && cfg->child_argc <= argc);
    INVARIANT(cfg->child_argv >= argv && cfg->child_argv + cfg->child_argc == argv + argc);
    INVARIANT(cfg->child_argv[cfg->child_argc] == NULL);
    if (cfg->mode == MODE_RUN)
        INVARIANT(cfg->child_argc >= 1);
    INVARIANT(cfg->verbosity >= 0 && cfg->verbosity <= 10);
    INVARIANT(cfg->grace_ms >= 0 && cfg->grace_ms <= INT64_C(864000000));
    INVARIANT(cfg->interval_ms == 0 ||
              (cfg->interval_ms >= 100 && cfg->interval_ms <= INT64_C(864000000)));
    INVARIANT(cfg->purge_at_percent >= 1 && cfg->purge_at_percent <= 100);
    INVARIANT(cfg->pressure_percent >= 1 && cfg->pressure_percent <= 100);
    INVARIANT(cfg->workers <= 4096);
    INVARIANT(cfg->profile == PROFILE_BALANCED || cfg->profile == PROFILE_MEMORY ||
              cfg->profile == PROFILE_THROUGHPUT);
    INVARIANT(cfg->log_format == LOG_FORMAT_AUTO || cfg->log_format == LOG_FORMAT_JSON ||
              cfg->log_format == LOG_FORMAT_TEXT);
    INVARIANT(cfg->pdeathsig >= 0 && cfg->pdeathsig <= 64);
    INVARIANT(cfg->warnings.n >= 0 && cfg->warnings.n <= WARNINGS_MAX);
    for (int i = 0; i < cfg->warnings.n; i++) {
        INVARIANT(memchr(cfg->warnings.msg[i], '\0', WARNING_LEN) != NULL);
        INVARIANT(cfg->warnings.msg[i][0] != '\0');
    }
    /* strings are the caller's (argv, envp) or the defaults */
    INVARIANT(points_into(cfg->cgroup_root, argv, argc) ||
              points_into(cfg->cgroup_root, envp, envc));
    INVARIANT(strcmp(cfg->proc_root, "/proc") == 0 || points_into(cfg->proc_root, argv, argc) ||
              points_into(cfg->proc_root, envp, envc));
    INVARIANT(strcmp(cfg->jemalloc, "auto") == 0 || points_into(cfg->jemalloc, argv, argc) ||
              points_into(cfg->jemalloc, envp, envc));
    INVARIANT(cfg->jemalloc[0] != '\0' && cfg->proc_root[0] != '\0');
    INVARIANT(points_into(cfg->user_malloc_conf, envp, envc));
    INVARIANT(points_into(cfg->extra_malloc_conf, envp, envc));
    if (cfg->user_malloc_conf)
        INVARIANT(cfg->user_malloc_conf == env_lookup(envp, "MALLOC_CONF"));
    if (cfg->workers)
        INVARIANT(cfg->workers_source != NULL);
    for (int code = -1; code <= 256; code++)
        if (code < 0 || code > 255)
            INVARIANT(!config_exit_remapped(cfg, code));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *argv[MAX_ENTRIES + 1], *envp[MAX_ENTRIES + 1];
    struct config *cfg = malloc(sizeof(*cfg));
    struct config_error err;
    int argc = 0, envc = 0, r;
    bool in_env = false;

    if (!buf || !cfg) {
        free(buf);
        free(cfg);
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (size_t off = 0; off < size;) {
        char *e = buf + off;
        off += strlen(e) + 1;
        if (!*e && !in_env) {
            in_env = true;
            continue;
        }
        if (in_env && envc < MAX_ENTRIES)
            envp[envc++] = e;
        else if (!in_env && argc < MAX_ENTRIES)
            argv[argc++] = e;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;

    memset(&err, 0x5a, sizeof(err));
    r = config_parse(argc, argv, envp, cfg, &err);
    INVARIANT(r == 0 || r == -EINVAL);
    if (r == 0) {
        check_ok(cfg, argc, argv, envp, envc);
    } else {
        INVARIANT(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
        INVARIANT(err.msg[0] != '\0');
        INVARIANT(err.exit_code == 1);
    }
    free(cfg);
    free(buf);
    return 0;
}
