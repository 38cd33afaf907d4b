/* config.c - see config.h. The option syntax is getopt's with tini's "+":
 * short flags may be clustered (-vvg, -e3, -e 3), long options take "=VALUE"
 * or the next argument, and the first non-option argument (or "--") ends the
 * options, so that flags after PROGRAM belong to PROGRAM. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "metrics_parse.h"
#include "parse.h"
#include "util.h"

#define DEFAULT_GRACE_MS    10000
#define DEFAULT_INTERVAL_MS 10000
#define DEFAULT_PURGE_AT    90
#define DEFAULT_PRESSURE    20
#define MAX_VERBOSITY       10
#define MAX_WORKERS         4096

/* the log budget (README: the log and its budget) */
#define DEFAULT_HEARTBEAT_MS  600000
#define DEFAULT_LOG_PROCESSES 3
#define MAX_LOG_PROCESSES     256

const char *env_lookup(char *const envp[], const char *name)
{
    size_t n = strlen(name);

    if (!envp)
        return NULL;
    for (; *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

const char *profile_name(enum profile p)
{
    switch (p) {
    case PROFILE_MEMORY:
        return "memory";
    case PROFILE_THROUGHPUT:
        return "throughput";
    case PROFILE_BALANCED:
        break;
    }
    return "balanced";
}

bool config_exit_remapped(const struct config *cfg, int code)
{
    if (code < 0 || code > 255)
        return false;
    return cfg->remap_exit[code / 32] & (UINT32_C(1) << (code % 32));
}

static int fail(struct config_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct config_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->exit_code = 1;
    return -EINVAL;
}

static void warn(struct config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct config *cfg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warnings_vadd(&cfg->warnings, fmt, ap);
    va_end(ap);
}

/* Says why a value was refused; returns -EINVAL for the setter to pass on. */
static int reject(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(char *why, size_t whysz, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Every setting with a value: its flag and/or variable, how its value is
 * read, and where it goes. Variables apply in this order (a later one wins:
 * JEINIT_VERBOSITY over TINI_VERBOSITY, JEINIT_WORKERS over WEB_CONCURRENCY);
 * flags apply after all of them. */
enum kind {
    K_DURATION, /* int64_t ms */
    K_INTERVAL, /* int64_t ms, 0 or >= 100 */
    K_VERBOSITY,
    K_BOOL,
    K_PATH,
    K_MEMORY,
    K_CPU,
    K_PERCENT,
    K_WORKERS,
    K_LOG_FORMAT,
    K_PROFILE,
    K_LOG_PROCESSES, /* unsigned, or LOG_PROCESSES_ALL */
    K_METRICS,       /* ADDR:PORT, checked by metrics_parse_addr, kept as given */
    K_HEAP_PROFILE,  /* auto, on or off */
};

static const struct setting {
    const char *flag; /* long option, or NULL */
    const char *env;  /* variable, or NULL */
    size_t offset;    /* the field in struct config */
    enum kind kind;
    bool strict; /* steers the init: a bad variable is an error, not a warning */
} settings[] = {
#define AT(field) offsetof(struct config, field)
    {NULL, "TINI_VERBOSITY", AT(verbosity), K_VERBOSITY, true},
    {NULL, "JEINIT_VERBOSITY", AT(verbosity), K_VERBOSITY, true},
    {NULL, "JEINIT_SUBREAPER", AT(subreaper), K_BOOL, true},
    {NULL, "JEINIT_KILL_PROCESS_GROUP", AT(kill_process_group), K_BOOL, true},
    {"grace", "JEINIT_GRACE", AT(grace_ms), K_DURATION, true},
    {"log-format", "JEINIT_LOG_FORMAT", AT(log_format), K_LOG_FORMAT, true},
    {"cgroup-root", "JEINIT_CGROUP_ROOT", AT(cgroup_root), K_PATH, false},
    {"proc-root", "JEINIT_PROC_ROOT", AT(proc_root), K_PATH, false},
    {"memory-limit", "JEINIT_MEMORY_LIMIT", AT(memory_limit), K_MEMORY, false},
    {"cpu-limit", "JEINIT_CPU_LIMIT", AT(cpu_limit_millis), K_CPU, false},
    {"profile", "JEINIT_PROFILE", AT(profile), K_PROFILE, false},
    {NULL, "WEB_CONCURRENCY", AT(workers), K_WORKERS, false},
    {"workers", "JEINIT_WORKERS", AT(workers), K_WORKERS, false},
    {"jemalloc", "JEINIT_JEMALLOC", AT(jemalloc), K_PATH, false},
    {NULL, "JEINIT_AGENT", AT(agent), K_BOOL, false},
    {"agent", "JEINIT_AGENT_PATH", AT(agent_path), K_PATH, false},
    {"interval", "JEINIT_INTERVAL", AT(interval_ms), K_INTERVAL, false},
    {"purge-at", "JEINIT_PURGE_AT", AT(purge_at_percent), K_PERCENT, false},
    {"pressure-threshold", "JEINIT_PRESSURE_THRESHOLD", AT(pressure_percent), K_PERCENT, false},
    {"heartbeat", "JEINIT_HEARTBEAT", AT(heartbeat_ms), K_DURATION, false},
    {"log-processes", "JEINIT_LOG_PROCESSES", AT(log_processes), K_LOG_PROCESSES, false},
    {"metrics", "JEINIT_METRICS", AT(metrics), K_METRICS, false},
    {"heap-profile", "JEINIT_HEAP_PROFILE", AT(heap_profile), K_HEAP_PROFILE, false},
#undef AT
};

/* Reads v into the setting's field. source names the flag or the variable
 * ("--workers" is written into workers_source: flag names are built on the
 * stack, so the static spelling is used). On error, why says what was
 * expected. */
static int set_value(struct config *cfg, const struct setting *s, const char *v, bool from_env,
                     char *why, size_t whysz)
{
    void *field = (char *)cfg + s->offset;
    int64_t n;

    switch (s->kind) {
    case K_DURATION:
        if (parse_duration_ms(v, (int64_t *)field) < 0)
            return reject(why, whysz, "expected seconds, e.g. 10 or 2.5");
        return 0;
    case K_LOG_PROCESSES:
        if (strcmp(v, "all") == 0) {
            *(unsigned *)field = LOG_PROCESSES_ALL;
            return 0;
        }
        if (parse_int_range(v, 0, MAX_LOG_PROCESSES, &n) < 0)
            return reject(why, whysz, "expected a count 0-%d or all", MAX_LOG_PROCESSES);
        *(unsigned *)field = (unsigned)n;
        return 0;
    case K_INTERVAL:
        if (parse_duration_ms(v, &n) < 0 || (n != 0 && n < 100))
            return reject(why, whysz, "expected seconds, at least 0.1, or 0 to disable");
        *(int64_t *)field = n;
        return 0;
    case K_VERBOSITY:
        if (parse_int_range(v, 0, MAX_VERBOSITY, &n) < 0)
            return reject(why, whysz, "expected an integer 0-%d", MAX_VERBOSITY);
        *(int *)field = (int)n;
        return 0;
    case K_BOOL:
        if (parse_bool(v, (bool *)field) < 0)
            return reject(why, whysz, "expected 1/0, true/false, yes/no or on/off");
        return 0;
    case K_PATH:
        if (!*v)
            return reject(why, whysz, "expected a path");
        *(const char **)field = v;
        return 0;
    case K_MEMORY:
        if (parse_memory_quantity(v, (uint64_t *)field) < 0)
            return reject(why, whysz, "expected a memory quantity such as 536870912, 512Mi or 2Gi");
        return 0;
    case K_CPU:
        if (parse_cpu_quantity(v, (uint64_t *)field) < 0)
            return reject(why, whysz, "expected a CPU quantity such as 2, 1.5 or 1500m");
        return 0;
    case K_PERCENT:
        if (parse_percent(v, (unsigned *)field) < 0)
            return reject(why, whysz, "expected a percentage 1-100");
        return 0;
    case K_WORKERS:
        if (parse_int_range(v, 1, MAX_WORKERS, &n) < 0)
            return reject(why, whysz, "expected a worker count 1-%d", MAX_WORKERS);
        *(unsigned *)field = (unsigned)n;
        cfg->workers_source = from_env ? s->env : "--workers";
        return 0;
    case K_LOG_FORMAT:
        if (strcmp(v, "json") == 0)
            cfg->log_format = LOG_FORMAT_JSON;
        else if (strcmp(v, "text") == 0)
            cfg->log_format = LOG_FORMAT_TEXT;
        else if (strcmp(v, "auto") == 0)
            cfg->log_format = LOG_FORMAT_AUTO;
        else
            return reject(why, whysz, "expected json, text or auto");
        return 0;
    case K_PROFILE:
        if (strcmp(v, "balanced") == 0)
            cfg->profile = PROFILE_BALANCED;
        else if (strcmp(v, "memory") == 0)
            cfg->profile = PROFILE_MEMORY;
        else if (strcmp(v, "throughput") == 0)
            cfg->profile = PROFILE_THROUGHPUT;
        else
            return reject(why, whysz, "expected balanced, memory or throughput");
        return 0;
    case K_HEAP_PROFILE:
        if (strcmp(v, "auto") == 0)
            cfg->heap_profile = HEAP_PROFILE_AUTO;
        else if (strcmp(v, "on") == 0)
            cfg->heap_profile = HEAP_PROFILE_ON;
        else if (strcmp(v, "off") == 0)
            cfg->heap_profile = HEAP_PROFILE_OFF;
        else
            return reject(why, whysz, "expected auto, on or off");
        return 0;
    case K_METRICS: {
        struct metrics_addr a;
        if (metrics_parse_addr(v, &a) < 0)
            return reject(why, whysz,
                          "expected ADDR:PORT, e.g. 127.0.0.1:9090, [::]:9090 or :9090");
        *(const char **)field = v;
        return 0;
    }
    }
    return reject(why, whysz, "unknown setting");
}

static int apply_env(struct config *cfg, char *const envp[], struct config_error *err)
{
    char why[160];
    const char *v;

    /* tini's switches are on when the variable exists at all, whatever its value. */
    if (env_lookup(envp, "TINI_SUBREAPER"))
        cfg->subreaper = true;
    if (env_lookup(envp, "TINI_KILL_PROCESS_GROUP"))
        cfg->kill_process_group = true;

    for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
        const struct setting *e = &settings[i];

        v = e->env ? env_lookup(envp, e->env) : NULL;
        if (!v || !*v)
            continue;
        why[0] = '\0';
        if (set_value(cfg, e, v, true, why, sizeof(why)) == 0)
            continue;
        if (e->strict)
            return fail(err, "invalid %s='%.64s': %s", e->env, v, why);
        warn(cfg, "ignoring %s='%.64s': %s", e->env, v, why);
    }
    v = env_lookup(envp, "JEINIT_MALLOC_CONF");
    if (v && *v)
        cfg->extra_malloc_conf = v;
    v = env_lookup(envp, "MALLOC_CONF");
    if (v && *v)
        cfg->user_malloc_conf = v;
    return 0;
}

/* The options without a setting of their own: tini's switches, -e and -p,
 * and the modes. The settings' flags (--grace...) are looked up in settings[]. */
static const struct option_def {
    const char *name;
    char short_name;
    bool takes_value;
    bool optional_value; /* --name=VALUE only */
} options[] = {
    {"help", 'h', false},
    {"version", 'V', false},
    {"license", 'l', false},
    {"subreaper", 's', false},
    {"verbose", 'v', false},
    {"warn-on-reap", 'w', false},
    {"kill-process-group", 'g', false},
    {"remap-exit", 'e', true},
    {"parent-death-signal", 'p', true},
    {"inspect", 'I', false, true},
    {"print-env", 'P', false},
    {"no-agent", 'A', false},
};

/* Short options are tini's only; 'V', 'I', 'P', 'A' are long-only codes. */
static bool is_short(char c)
{
    return c && strchr("hlsvwgep", c) != NULL;
}

static const struct option_def *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        const struct option_def *o = &options[i];
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    }
    return NULL;
}

static const struct option_def *find_short(char short_name)
{
    if (!is_short(short_name))
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (options[i].short_name == short_name)
            return &options[i];
    return NULL;
}

static const struct setting *find_setting_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
        if (settings[i].flag && strlen(settings[i].flag) == len &&
            strncmp(settings[i].flag, name, len) == 0)
            return &settings[i];
    return NULL;
}

static int apply_option(struct config *cfg, const struct option_def *o, const char *shown,
                        const char *value, struct config_error *err)
{
    int64_t code;

    switch (o->short_name) {
    case 'h':
        cfg->mode = MODE_HELP;
        return 0;
    case 'V':
        cfg->mode = MODE_VERSION;
        return 0;
    case 'l':
        cfg->mode = MODE_LICENSE;
        return 0;
    case 's':
        cfg->subreaper = true;
        return 0;
    case 'v':
        if (cfg->verbosity < MAX_VERBOSITY)
            cfg->verbosity++;
        return 0;
    case 'w':
        cfg->warn_on_reap = true;
        return 0;
    case 'g':
        cfg->kill_process_group = true;
        return 0;
    case 'I':
        cfg->mode = MODE_INSPECT;
        if (!value || strcmp(value, "auto") == 0)
            cfg->inspect_format = INSPECT_AUTO;
        else if (strcmp(value, "text") == 0)
            cfg->inspect_format = INSPECT_TEXT;
        else if (strcmp(value, "json") == 0)
            cfg->inspect_format = INSPECT_JSON;
        else
            return fail(err, "invalid %s value '%.64s': expected text, json or auto", shown, value);
        return 0;
    case 'P':
        cfg->mode = MODE_PRINT_ENV;
        return 0;
    case 'A':
        cfg->agent = false;
        return 0;
    case 'e':
        if (parse_int_range(value, 0, 255, &code) < 0)
            return fail(err, "invalid %s value '%.64s': expected an exit code 0-255", shown, value);
        cfg->remap_exit[code / 32] |= UINT32_C(1) << (code % 32);
        return 0;
    case 'p':
        if (parse_signal(value, &cfg->pdeathsig) < 0)
            return fail(err, "invalid %s value '%.64s': expected a signal name (SIGTERM) or number",
                        shown, value);
        return 0;
    default:
        return fail(err, "option '%s' is not handled", shown);
    }
}

static int apply_setting_flag(struct config *cfg, const struct setting *st, const char *shown,
                              const char *value, struct config_error *err)
{
    char why[160] = "";

    if (set_value(cfg, st, value, false, why, sizeof(why)) < 0)
        return fail(err, "invalid %s value '%.64s': %s", shown, value, why);
    return 0;
}

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = MODE_RUN;
    cfg->verbosity = 1;
    cfg->grace_ms = DEFAULT_GRACE_MS;
    cfg->log_format = LOG_FORMAT_AUTO;
    cfg->proc_root = "/proc";
    cfg->profile = PROFILE_BALANCED;
    cfg->jemalloc = "auto";
    cfg->agent = true;
    cfg->interval_ms = DEFAULT_INTERVAL_MS;
    cfg->purge_at_percent = DEFAULT_PURGE_AT;
    cfg->pressure_percent = DEFAULT_PRESSURE;
    cfg->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    cfg->log_processes = DEFAULT_LOG_PROCESSES;
    cfg->heap_profile = HEAP_PROFILE_AUTO;
}

static int parse_args(int argc, char *const argv[], struct config *cfg, struct config_error *err)
{
    int i;

    /* argc may be 0 (execve with an empty argv): then there is no argv[0] to skip */
    for (i = argc > 0 ? 1 : 0; i < argc; i++) {
        const char *a = argv[i];
        const struct option_def *o;
        int r;

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const char *value = eq ? eq + 1 : NULL;
            const struct setting *st = find_setting_flag(name, len);
            char shown[48];

            o = st ? NULL : find_long(name, len);
            (void)str_printf(shown, sizeof(shown), "--%.*s", (int)(len > 40 ? 40 : len), name);
            if (!o && !st)
                return fail(err, "unknown option '%s' (see jeinit --help)", shown);
            if (o && !o->takes_value && !o->optional_value && value)
                return fail(err, "option '%s' takes no value", shown);
            if ((st || o->takes_value) && !value) {
                if (i + 1 >= argc)
                    return fail(err, "option '%s' needs a value", shown);
                value = argv[++i];
            }
            r = st ? apply_setting_flag(cfg, st, shown, value, err)
                   : apply_option(cfg, o, shown, value, err);
            if (r < 0)
                return r;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            char shown[3] = {'-', *c, '\0'};

            o = find_short(*c);
            if (!o)
                return fail(err, "unknown option '%s' (see jeinit --help)", shown);
            if (o->takes_value) {
                const char *value = c[1] ? c + 1 : NULL;
                if (!value) {
                    if (i + 1 >= argc)
                        return fail(err, "option '%s' needs a value", shown);
                    value = argv[++i];
                }
                r = apply_option(cfg, o, shown, value, err);
                if (r < 0)
                    return r;
                break;
            }
            r = apply_option(cfg, o, shown, NULL, err);
            if (r < 0)
                return r;
        }
    }
    cfg->child_argv = argv + i;
    cfg->child_argc = argc - i;
    return 0;
}

int config_parse(int argc, char *const argv[], char *const envp[], struct config *cfg,
                 struct config_error *err)
{
    int r;

    memset(err, 0, sizeof(*err));
    set_defaults(cfg);
    /* `jeinit report [LOG]`: only as the very first argument, so that
     * `jeinit -- report` and `jeinit -s report` still run a program of that
     * name (tini would run it in every case: see jeinit(1)). */
    if (argc >= 2 && strcmp(argv[1], "report") == 0) {
        cfg->mode = MODE_REPORT;
        if (argc > 3)
            return fail(err, "usage: jeinit report [LOG] (one log file, or stdin)");
        cfg->report_log = argc == 3 ? argv[2] : NULL;
        return 0;
    }
    r = apply_env(cfg, envp, err);
    if (r < 0)
        return r;
    r = parse_args(argc, argv, cfg, err);
    if (r < 0)
        return r;
    if (cfg->mode == MODE_RUN && cfg->child_argc == 0) {
        err->usage = true;
        return fail(err, "no PROGRAM given: usage: jeinit [OPTIONS] [--] PROGRAM [ARGS...]");
    }
    return 0;
}
