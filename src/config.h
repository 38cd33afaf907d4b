/* config.h - jeinit's command line and environment, parsed into one struct.
 * Pure: argv and envp in, struct config out; nothing is printed or opened.
 * Flags win over environment variables. Bad flags, and bad values of the
 * variables that steer the init itself, are errors (exit 1, as tini); bad
 * values of the variables that only tune memory are warnings and fall back to
 * the default so that the application always starts. */
#ifndef JEINIT_CONFIG_H
#define JEINIT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "warnings.h"

enum log_format { LOG_FORMAT_AUTO, LOG_FORMAT_JSON, LOG_FORMAT_TEXT };
enum profile { PROFILE_BALANCED, PROFILE_MEMORY, PROFILE_THROUGHPUT };
enum run_mode {
    MODE_RUN,
    MODE_INSPECT,
    MODE_PRINT_ENV,
    MODE_HELP,
    MODE_VERSION,
    MODE_LICENSE,
    MODE_REPORT /* `jeinit report [LOG]`: argv[1] is exactly "report" */
};
/* --inspect=text|json; auto: text on a tty */
enum inspect_format { INSPECT_AUTO, INSPECT_TEXT, INSPECT_JSON };

#define CONFIG_MSG_MAX 256

/* --heap-profile: auto readies profiling with jeinit's own jemalloc only
 * (elsewhere prof:true costs every fork 1.7x: tuning.c), on with any
 * jemalloc built with profiling, off never. */
enum heap_profile_mode { HEAP_PROFILE_OFF, HEAP_PROFILE_AUTO, HEAP_PROFILE_ON };

struct config {
    enum run_mode mode;
    enum inspect_format inspect_format; /* --inspect[=text|json] */
    const char *report_log;             /* jeinit report [LOG]; NULL: stdin */

    /* tini's flags */
    bool subreaper;          /* -s, TINI_SUBREAPER, JEINIT_SUBREAPER */
    bool kill_process_group; /* -g, TINI_KILL_PROCESS_GROUP, JEINIT_KILL_PROCESS_GROUP */
    int verbosity;           /* -v..., TINI_VERBOSITY, JEINIT_VERBOSITY; default 1 */
    bool warn_on_reap;       /* -w */
    int pdeathsig;           /* -p; 0 when unset */
    uint32_t remap_exit[8];  /* -e: bitset of exit codes reported as 0 */

    /* the init's own */
    int64_t grace_ms;           /* --grace, JEINIT_GRACE; default 10 s */
    enum log_format log_format; /* --log-format, JEINIT_LOG_FORMAT */
    const char *cgroup_root;    /* --cgroup-root, JEINIT_CGROUP_ROOT; NULL: discover */
    const char *proc_root;      /* --proc-root, JEINIT_PROC_ROOT; default "/proc" */

    /* allocator tuning */
    uint64_t memory_limit;         /* --memory-limit, JEINIT_MEMORY_LIMIT; 0: none */
    uint64_t cpu_limit_millis;     /* --cpu-limit, JEINIT_CPU_LIMIT; 0: none */
    enum profile profile;          /* --profile, JEINIT_PROFILE */
    unsigned workers;              /* --workers, JEINIT_WORKERS, WEB_CONCURRENCY; 0: unknown */
    const char *workers_source;    /* which of those set it */
    const char *jemalloc;          /* --jemalloc PATH|auto|off, JEINIT_JEMALLOC */
    const char *extra_malloc_conf; /* JEINIT_MALLOC_CONF */
    const char *user_malloc_conf;  /* MALLOC_CONF as the user set it */

    /* monitor and agent */
    bool agent;                /* --no-agent, JEINIT_AGENT=0 */
    const char *agent_path;    /* --agent PATH, JEINIT_AGENT_PATH */
    int64_t interval_ms;       /* --interval, JEINIT_INTERVAL; 0 disables */
    unsigned purge_at_percent; /* --purge-at, JEINIT_PURGE_AT; default 90 */
    unsigned pressure_percent; /* --pressure-threshold, JEINIT_PRESSURE_THRESHOLD */
    int64_t heartbeat_ms;      /* --heartbeat, JEINIT_HEARTBEAT; 0: a memory line every interval */
    unsigned log_processes;    /* --log-processes, JEINIT_LOG_PROCESSES: listed in a memory line */
    const char *metrics;       /* --metrics ADDR:PORT, JEINIT_METRICS; NULL: off */
    enum heap_profile_mode heap_profile; /* --heap-profile, JEINIT_HEAP_PROFILE; default auto */

    /* the program: points into argv */
    char *const *child_argv;
    int child_argc;

    /* warnings for the caller to log once logging is up */
    struct warnings warnings;
};

/* --log-processes all: every process, one memory_process line each */
#define LOG_PROCESSES_ALL 0xffffffffu

struct config_error {
    int exit_code; /* 1, as tini, for every bad input */
    bool usage;    /* print the usage after the message */
    char msg[CONFIG_MSG_MAX];
};

/* Fills cfg from argv and envp. Returns 0, or -EINVAL with err filled. */
int config_parse(int argc, char *const argv[], char *const envp[], struct config *cfg,
                 struct config_error *err);

/* True when -e listed code. */
bool config_exit_remapped(const struct config *cfg, int code);

/* Value of NAME in envp, or NULL. */
const char *env_lookup(char *const envp[], const char *name);

const char *profile_name(enum profile p);

#endif
