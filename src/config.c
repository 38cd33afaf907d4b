/* config.c - see config.h. The option syntax is getopt's with tini's "+":
 * short flags may be clustered (-vvg, -e3, -e 3), long options take "=VALUE"
 * or the next argument, and the first non-option argument (or "--") ends the
 * options, so that flags after PROGRAM belong to PROGRAM. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define DEFAULT_GRACE_MS    10000
#define DEFAULT_INTERVAL_MS 10000
#define DEFAULT_PURGE_AT    90
#define DEFAULT_PRESSURE    20
#define MAX_VERBOSITY       10
#define MAX_WORKERS         4096

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

    if (cfg->nwarnings >= CONFIG_WARNINGS_MAX)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(cfg->warnings[cfg->nwarnings++], CONFIG_MSG_MAX, fmt, ap);
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

/* A value for one setting, from the command line (strict) or from the
 * environment (strict or lenient). */
struct source {
    const char *name; /* "--grace" or "JEINIT_GRACE" */
    bool from_env;
};

typedef int (*setter_fn)(struct config *cfg, const char *value, const struct source *src, char *why,
                         size_t whysz);

static int set_grace(struct config *cfg, const char *v, const struct source *src, char *why,
                     size_t whysz)
{
    (void)src;
    if (parse_duration_ms(v, &cfg->grace_ms) < 0)
        return reject(why, whysz, "expected seconds, e.g. 10 or 2.5");
    return 0;
}

static int set_log_format(struct config *cfg, const char *v, const struct source *src, char *why,
                          size_t whysz)
{
    (void)src;
    if (strcmp(v, "json") == 0)
        cfg->log_format = LOG_FORMAT_JSON;
    else if (strcmp(v, "text") == 0)
        cfg->log_format = LOG_FORMAT_TEXT;
    else if (strcmp(v, "auto") == 0)
        cfg->log_format = LOG_FORMAT_AUTO;
    else
        return reject(why, whysz, "expected json, text or auto");
    return 0;
}

static int set_verbosity(struct config *cfg, const char *v, const struct source *src, char *why,
                         size_t whysz)
{
    int64_t n;

    (void)src;
    if (parse_int_range(v, 0, MAX_VERBOSITY, &n) < 0)
        return reject(why, whysz, "expected an integer 0-%d", MAX_VERBOSITY);
    cfg->verbosity = (int)n;
    return 0;
}

static int set_bool(bool *dst, const char *v, char *why, size_t whysz)
{
    if (parse_bool(v, dst) < 0)
        return reject(why, whysz, "expected 1/0, true/false, yes/no or on/off");
    return 0;
}

static int set_subreaper(struct config *cfg, const char *v, const struct source *src, char *why,
                         size_t whysz)
{
    (void)src;
    return set_bool(&cfg->subreaper, v, why, whysz);
}

static int set_kill_group(struct config *cfg, const char *v, const struct source *src, char *why,
                          size_t whysz)
{
    (void)src;
    return set_bool(&cfg->kill_process_group, v, why, whysz);
}

static int set_agent(struct config *cfg, const char *v, const struct source *src, char *why,
                     size_t whysz)
{
    (void)src;
    return set_bool(&cfg->agent, v, why, whysz);
}

static int set_path(const char **dst, const char *v, char *why, size_t whysz)
{
    if (!*v)
        return reject(why, whysz, "expected a path");
    *dst = v;
    return 0;
}

static int set_cgroup_root(struct config *cfg, const char *v, const struct source *src, char *why,
                           size_t whysz)
{
    (void)src;
    return set_path(&cfg->cgroup_root, v, why, whysz);
}

static int set_proc_root(struct config *cfg, const char *v, const struct source *src, char *why,
                         size_t whysz)
{
    (void)src;
    return set_path(&cfg->proc_root, v, why, whysz);
}

static int set_agent_path(struct config *cfg, const char *v, const struct source *src, char *why,
                          size_t whysz)
{
    (void)src;
    return set_path(&cfg->agent_path, v, why, whysz);
}

static int set_jemalloc(struct config *cfg, const char *v, const struct source *src, char *why,
                        size_t whysz)
{
    (void)src;
    return set_path(&cfg->jemalloc, v, why, whysz);
}

static int set_memory_limit(struct config *cfg, const char *v, const struct source *src, char *why,
                            size_t whysz)
{
    (void)src;
    if (parse_memory_quantity(v, &cfg->memory_limit) < 0)
        return reject(why, whysz, "expected a memory quantity such as 536870912, 512Mi or 2Gi");
    return 0;
}

static int set_cpu_limit(struct config *cfg, const char *v, const struct source *src, char *why,
                         size_t whysz)
{
    (void)src;
    if (parse_cpu_quantity(v, &cfg->cpu_limit_millis) < 0)
        return reject(why, whysz, "expected a CPU quantity such as 2, 1.5 or 1500m");
    return 0;
}

static int set_profile(struct config *cfg, const char *v, const struct source *src, char *why,
                       size_t whysz)
{
    (void)src;
    if (strcmp(v, "balanced") == 0)
        cfg->profile = PROFILE_BALANCED;
    else if (strcmp(v, "memory") == 0)
        cfg->profile = PROFILE_MEMORY;
    else if (strcmp(v, "throughput") == 0)
        cfg->profile = PROFILE_THROUGHPUT;
    else
        return reject(why, whysz, "expected balanced, memory or throughput");
    return 0;
}

static int set_workers(struct config *cfg, const char *v, const struct source *src, char *why,
                       size_t whysz)
{
    int64_t n;

    if (parse_int_range(v, 1, MAX_WORKERS, &n) < 0)
        return reject(why, whysz, "expected a worker count 1-%d", MAX_WORKERS);
    cfg->workers = (unsigned)n;
    /* flag names are built on the stack; only the variable names are static */
    cfg->workers_source = src->from_env ? src->name : "--workers";
    return 0;
}

static int set_interval(struct config *cfg, const char *v, const struct source *src, char *why,
                        size_t whysz)
{
    int64_t ms;

    (void)src;
    if (parse_duration_ms(v, &ms) < 0 || (ms != 0 && ms < 100))
        return reject(why, whysz, "expected seconds, at least 0.1, or 0 to disable");
    cfg->interval_ms = ms;
    return 0;
}

static int set_purge_at(struct config *cfg, const char *v, const struct source *src, char *why,
                        size_t whysz)
{
    (void)src;
    if (parse_percent(v, &cfg->purge_at_percent) < 0)
        return reject(why, whysz, "expected a percentage 1-100");
    return 0;
}

static int set_pressure(struct config *cfg, const char *v, const struct source *src, char *why,
                        size_t whysz)
{
    (void)src;
    if (parse_percent(v, &cfg->pressure_percent) < 0)
        return reject(why, whysz, "expected a percentage 1-100");
    return 0;
}

/* Environment variables in the order they apply: a later one wins. */
static const struct env_setting {
    const char *name;
    setter_fn set;
    bool strict; /* steers the init: a bad value is an error, not a warning */
} env_settings[] = {
    {"TINI_VERBOSITY", set_verbosity, true},
    {"JEINIT_VERBOSITY", set_verbosity, true},
    {"JEINIT_SUBREAPER", set_subreaper, true},
    {"JEINIT_KILL_PROCESS_GROUP", set_kill_group, true},
    {"JEINIT_GRACE", set_grace, true},
    {"JEINIT_LOG_FORMAT", set_log_format, true},
    {"JEINIT_CGROUP_ROOT", set_cgroup_root, false},
    {"JEINIT_PROC_ROOT", set_proc_root, false},
    {"JEINIT_MEMORY_LIMIT", set_memory_limit, false},
    {"JEINIT_CPU_LIMIT", set_cpu_limit, false},
    {"JEINIT_PROFILE", set_profile, false},
    {"WEB_CONCURRENCY", set_workers, false},
    {"JEINIT_WORKERS", set_workers, false},
    {"JEINIT_JEMALLOC", set_jemalloc, false},
    {"JEINIT_AGENT", set_agent, false},
    {"JEINIT_AGENT_PATH", set_agent_path, false},
    {"JEINIT_INTERVAL", set_interval, false},
    {"JEINIT_PURGE_AT", set_purge_at, false},
    {"JEINIT_PRESSURE_THRESHOLD", set_pressure, false},
};

static int apply_env(struct config *cfg, char *const envp[], struct config_error *err)
{
    char why[160];
    const char *v;

    /* tini's switches are on when the variable exists at all, whatever its value. */
    if (env_lookup(envp, "TINI_SUBREAPER"))
        cfg->subreaper = true;
    if (env_lookup(envp, "TINI_KILL_PROCESS_GROUP"))
        cfg->kill_process_group = true;

    for (size_t i = 0; i < ARRAY_SIZE(env_settings); i++) {
        const struct env_setting *e = &env_settings[i];
        struct source src = {e->name, true};

        v = env_lookup(envp, e->name);
        if (!v || !*v)
            continue;
        why[0] = '\0';
        if (e->set(cfg, v, &src, why, sizeof(why)) == 0)
            continue;
        if (e->strict)
            return fail(err, "invalid %s='%.64s': %s", e->name, v, why);
        warn(cfg, "ignoring %s='%.64s': %s", e->name, v, why);
    }
    v = env_lookup(envp, "JEINIT_MALLOC_CONF");
    if (v && *v)
        cfg->extra_malloc_conf = v;
    v = env_lookup(envp, "MALLOC_CONF");
    if (v && *v)
        cfg->user_malloc_conf = v;
    return 0;
}

enum opt_kind { OPT_FLAG, OPT_VALUE };

static const struct long_option {
    const char *name;
    char short_name;
    enum opt_kind kind;
    setter_fn set; /* OPT_VALUE options */
    int flag;      /* OPT_FLAG options: what to do */
} long_options[] = {
    {"help", 'h', OPT_FLAG, NULL, 'h'},
    {"version", 0, OPT_FLAG, NULL, 'V'},
    {"license", 'l', OPT_FLAG, NULL, 'l'},
    {"subreaper", 's', OPT_FLAG, NULL, 's'},
    {"verbose", 'v', OPT_FLAG, NULL, 'v'},
    {"warn-on-reap", 'w', OPT_FLAG, NULL, 'w'},
    {"kill-process-group", 'g', OPT_FLAG, NULL, 'g'},
    {"remap-exit", 'e', OPT_VALUE, NULL, 'e'},
    {"parent-death-signal", 'p', OPT_VALUE, NULL, 'p'},
    {"inspect", 0, OPT_FLAG, NULL, 'I'},
    {"print-env", 0, OPT_FLAG, NULL, 'P'},
    {"no-agent", 0, OPT_FLAG, NULL, 'A'},
    {"grace", 0, OPT_VALUE, set_grace, 0},
    {"log-format", 0, OPT_VALUE, set_log_format, 0},
    {"cgroup-root", 0, OPT_VALUE, set_cgroup_root, 0},
    {"proc-root", 0, OPT_VALUE, set_proc_root, 0},
    {"memory-limit", 0, OPT_VALUE, set_memory_limit, 0},
    {"cpu-limit", 0, OPT_VALUE, set_cpu_limit, 0},
    {"profile", 0, OPT_VALUE, set_profile, 0},
    {"workers", 0, OPT_VALUE, set_workers, 0},
    {"jemalloc", 0, OPT_VALUE, set_jemalloc, 0},
    {"agent", 0, OPT_VALUE, set_agent_path, 0},
    {"interval", 0, OPT_VALUE, set_interval, 0},
    {"purge-at", 0, OPT_VALUE, set_purge_at, 0},
    {"pressure-threshold", 0, OPT_VALUE, set_pressure, 0},
};

static const struct long_option *find_short(char c)
{
    for (size_t i = 0; i < ARRAY_SIZE(long_options); i++)
        if (long_options[i].short_name == c)
            return &long_options[i];
    return NULL;
}

static const struct long_option *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(long_options); i++)
        if (strlen(long_options[i].name) == len && strncmp(long_options[i].name, name, len) == 0)
            return &long_options[i];
    return NULL;
}

static int apply_option(struct config *cfg, const struct long_option *o, const char *shown,
                        const char *value, struct config_error *err)
{
    char why[160];
    int64_t code;
    struct source src = {shown, false};

    switch (o->flag) {
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
        break;
    }
    why[0] = '\0';
    if (o->set(cfg, value, &src, why, sizeof(why)) < 0)
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
}

static int parse_args(int argc, char *const argv[], struct config *cfg, struct config_error *err)
{
    int i;

    /* argc may be 0 (execve with an empty argv): then there is no argv[0] to skip */
    for (i = argc > 0 ? 1 : 0; i < argc; i++) {
        const char *a = argv[i];
        const struct long_option *o;
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
            char shown[48];

            o = find_long(name, len);
            (void)str_printf(shown, sizeof(shown), "--%.*s", (int)(len > 40 ? 40 : len), name);
            if (!o)
                return fail(err, "unknown option '%s' (see jeinit --help)", shown);
            if (o->kind == OPT_FLAG && value)
                return fail(err, "option '%s' takes no value", shown);
            if (o->kind == OPT_VALUE && !value) {
                if (i + 1 >= argc)
                    return fail(err, "option '%s' needs a value", shown);
                value = argv[++i];
            }
            r = apply_option(cfg, o, shown, value, err);
            if (r < 0)
                return r;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            char shown[3] = {'-', *c, '\0'};

            o = find_short(*c);
            if (!o)
                return fail(err, "unknown option '%s' (see jeinit --help)", shown);
            if (o->kind == OPT_VALUE) {
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
