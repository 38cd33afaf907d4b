/* jeinit.c - main(): the life of PID 1, top to bottom.
 *   1. parse flags and environment (config.c)
 *   2. block signals, set up the log (signals.c, log.c)
 *   3. become a reaper (PID 1, or a subreaper with -s)
 *   4. read the cgroup, find the allocator, plan the program's environment
 *      (cgroup.c, allocator.c, tuning.c)
 *   5. spawn the program (spawn.c)
 *   6. supervise: forward, reap, shut down (supervisor.c)
 *   7. log the exit and leave with the program's code */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents.h"
#include "allocator.h"
#include "cgroup.h"
#include "config.h"
#include "envplan.h"
#include "fds.h"
#include "inspect.h"
#include "log.h"
#include "loop.h"
#include "memlock.h"
#include "metrics.h"
#include "monitor.h"
#include "parse.h"
#include "plotcmd.h"
#include "report.h"
#include "signals.h"
#include "spawn.h"
#include "supervisor.h"
#include "tuning.h"
#include "util.h"
#include "version.h"

extern char **environ;

static const char usage_text[] =
    "Usage: jeinit [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       jeinit --inspect[=text|json] | --print-env [OPTIONS]\n"
    "       jeinit report [LOG] > picture.svg\n"
    "\n"
    "Runs PROGRAM as its child: forwards signals, reaps zombies, exits with the\n"
    "program's code (128+N when killed by signal N), and fits the allocator to\n"
    "the container's cgroup limits. A drop-in for tini.\n"
    "\n"
    "tini's options:\n"
    "  -h, --help            show this help and exit\n"
    "  --version             show the version and exit\n"
    "  -l, --license         show the license and exit\n"
    "  -s, --subreaper       register as a child subreaper (when not PID 1)\n"
    "  -g                    send signals to the program's process group\n"
    "  -e CODE               report exit code CODE as 0 (repeatable)\n"
    "  -p SIGNAL             signal jeinit gets when its parent dies\n"
    "  -v                    more verbose (repeatable)\n"
    "  -w                    warn each time a zombie is reaped\n"
    "\n"
    "jeinit's options:\n"
    "  --grace SECONDS       SIGTERM-to-SIGKILL delay for what the program leaves (10)\n"
    "  --log-format FORMAT   json, text or auto (text on a tty, json otherwise)\n"
    "  --inspect[=FORMAT]    print what jeinit finds (cgroup, limits, allocator): text on\n"
    "                        a tty, JSON otherwise; FORMAT text or json forces one\n"
    "  --print-env           print the environment jeinit would give the program\n"
    "  --cgroup-root DIR     read the cgroup from DIR instead of discovering it\n"
    "  --proc-root DIR       read /proc from DIR (tests)\n"
    "  --memory-limit QTY    memory limit when smaller than the cgroup's (512Mi, 2G)\n"
    "  --cpu-limit QTY       CPU limit when smaller than the cgroup's (1.5, 1500m)\n"
    "  --profile NAME        balanced, memory or throughput (balanced)\n"
    "  --workers N           the program pre-forks N worker processes\n"
    "  --jemalloc PATH|auto|off   libjemalloc to preload (auto)\n"
    "  --no-agent            do not preload the stats agent\n"
    "  --agent PATH          libjeinit-agent.so to preload\n"
    "  --interval SECONDS    memory report interval, 0 disables (10)\n"
    "  --purge-at PERCENT    ask allocators to purge above this share of the limit (90)\n"
    "  --pressure-threshold PERCENT  memory pressure (PSI some avg10) that counts as high (20)\n"
    "  --heartbeat SECONDS   a memory line this often when nothing changed; 0: every\n"
    "                        interval (600)\n"
    "  --log-processes N|all processes detailed in a memory line, the largest (3); all:\n"
    "                        a memory_process line each\n"
    "  --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics (off)\n"
    "  --heap-profile MODE   auto: with jeinit's jemalloc, profiling ready, sampled on\n"
    "                        persistent heap growth (heap_profile lines); on: with any\n"
    "                        jemalloc built with profiling; off (auto)\n"
    "\n"
    "jeinit report [LOG] reads a jeinit log (a file, or stdin) and writes an SVG\n"
    "picture of it: memory over time, the top processes, every event. Only as the\n"
    "first argument: `jeinit -- report` runs a program named report.\n"
    "\n"
    "Environment: TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP, TINI_VERBOSITY and the\n"
    "JEINIT_* variables named in jeinit(1). Flags win over the environment.\n";

static const char license_text[] =
    "jeinit " JEINIT_VERSION "\n"
    "MIT License\n"
    "\n"
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n"
    "of this software and associated documentation files (the \"Software\"), to deal\n"
    "in the Software without restriction, including without limitation the rights\n"
    "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell\n"
    "copies of the Software, and to permit persons to whom the Software is\n"
    "furnished to do so, subject to the following conditions:\n"
    "\n"
    "The above copyright notice and this permission notice shall be included in all\n"
    "copies or substantial portions of the Software.\n"
    "\n"
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\n"
    "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\n"
    "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n"
    "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\n"
    "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\n"
    "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\n"
    "SOFTWARE.\n";

static int print_stdout(const char *text)
{
    return write_all(STDOUT_FILENO, text, strlen(text)) == 0 ? 0 : 1;
}

/* Zombies reach jeinit only as PID 1 or as a child subreaper: one it made
 * itself (-s), or one it inherited (a supervisor set the bit and exec'd
 * jeinit; tini checks for that too). Returns whether jeinit is a subreaper. */
static bool become_reaper(const struct config *cfg)
{
    int bit = 0;

    if (getpid() == 1)
        return false;
    if (prctl(PR_GET_CHILD_SUBREAPER, &bit) == 0 && bit)
        return true;
    if (cfg->subreaper) {
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
            return true;
        log_msg(LOG_WARN, "subreaper",
                "prctl(PR_SET_CHILD_SUBREAPER) failed: %s; zombies will not be reaped",
                strerror(errno));
        return false;
    }
    log_msg(LOG_WARN, "not_pid1",
            "jeinit is not running as PID 1 and isn't registered as a child subreaper. "
            "Zombie processes will not be re-parented to jeinit, so zombie reaping won't work. "
            "To fix the problem, use the -s option or set the environment variable "
            "TINI_SUBREAPER to register jeinit as a child subreaper, or run jeinit as PID 1.");
    return false;
}

/* Everything jeinit learns before the program starts. Static: large, and
 * alive for the whole run. */
static struct cgroup cg;
static struct cgroup_limits limits;
static struct cgroup_usage usage;
static struct allocator alloc;
static struct tuning tuning;
static struct agent_hub hub;
static struct monitor monitor;
static struct metrics_server metrics;
static struct memlock memlock;

/* After allocator_find: the cgroup, then the plan (agent: its path, or NULL).
 * with_libcgroup: ask libcgroup too, for --inspect's comparison. PID 1 does
 * not: its answer could only confirm mountinfo's, and asking costs a process
 * (which would take pid 2 from the program) or 800 KiB of tables. */
static void gather(const struct config *cfg, const char *agent, bool with_libcgroup,
                   struct findings *f)
{
    struct libcgroup_probe probe = {.pid = -1};

    /* libcgroup answers in a child while jeinit discovers on its own */
    if (with_libcgroup && !cfg->cgroup_root && strcmp(cfg->proc_root, "/proc") == 0)
        cgroup_libcgroup_start(&probe);
    (void)cgroup_discover(&cg, cfg);
    cgroup_libcgroup_finish(&cg, &probe, 1000);
    cgroup_read_limits(&cg, cfg, &limits);
    tuning_plan(cfg, &limits, &alloc, agent, environ, &tuning);
    *f = (struct findings){cfg, &cg, &limits, &usage, &alloc, &tuning};
}

/* The program's environment: the tuning's changes, and the agent channel. */
static char **build_environment(int agent_fd, int64_t interval_ms)
{
    static char fd_s[16], pid_s[16], delay_s[16];
    static struct env_marks marks;
    struct env_change changes[TUNING_CHANGES_MAX + 3 + ENV_MARK_KEYS + 1];
    size_t n = tuning.nchanges;
    char **envp;

    memcpy(changes, tuning.changes, n * sizeof(changes[0]));
    /* what jeinit set is marked, for a jeinit started beneath it */
    env_mark(environ, tuning.changes, tuning.nchanges, &marks);
    memcpy(changes + n, marks.changes, marks.n * sizeof(changes[0]));
    n += marks.n;
    if (agent_fd >= 0) {
        (void)snprintf(fd_s, sizeof(fd_s), "%d", agent_fd);
        (void)snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
        changes[n++] = (struct env_change){"JEINIT_AGENT_FD", fd_s};
        changes[n++] = (struct env_change){"JEINIT_AGENT_PID", pid_s};
        (void)snprintf(delay_s, sizeof(delay_s), "%u", agent_delay_ms(interval_ms));
        changes[n++] = (struct env_change){"JEINIT_AGENT_DELAY_MS", delay_s};
    }
    envp = env_build(environ, changes, n);
    if (!envp) {
        log_msg(LOG_WARN, "tuning",
                "out of memory building the environment: running the "
                "program with jeinit's own, untuned");
        return environ;
    }
    return envp;
}

static void log_warnings_of(const char *event, const struct warnings *w)
{
    for (int i = 0; i < w->n; i++)
        log_msg(LOG_WARN, event, "%s", w->msg[i]);
    if (w->dropped)
        log_msg(LOG_WARN, event, "%u more warnings did not fit and were dropped", w->dropped);
}

static void log_warnings(const struct findings *f)
{
    log_warnings_of("cgroup", &f->cg->warnings);
    log_warnings_of("allocator", &f->alloc->warnings);
    log_warnings_of("tuning", &f->tuning->warnings);
}

static int inspect(const struct config *cfg)
{
    struct findings f;
    int r;

    allocator_find(cfg, environ, &alloc);
    /* the agent is planned as it would be at run time */
    gather(cfg, alloc.agent && cfg->interval_ms > 0 ? alloc.agent_path : NULL,
           cfg->mode == MODE_INSPECT, &f);
    if (cfg->mode == MODE_PRINT_ENV)
        return print_env(STDOUT_FILENO, &tuning) == 0 ? 0 : 1;
    cgroup_read_usage(&cg, &usage);
    /* people on a terminal get the summary; pipes and files the JSON */
    if (cfg->inspect_format == INSPECT_TEXT ||
        (cfg->inspect_format == INSPECT_AUTO && isatty(STDOUT_FILENO)))
        return inspect_print_text(STDOUT_FILENO, &f) == 0 ? 0 : 1;
    r = inspect_print(STDOUT_FILENO, &f);
    if (r == 0)
        r = write_all(STDOUT_FILENO, "\n", 1);
    return r == 0 ? 0 : 1;
}

/* The start line's argv: its strings, while they leave room for the rest of
 * the line (limits, allocator: about 1.5 KB); then how many were left out. */
#define START_ARGV_ROOM 2048

static void log_start(const struct config *cfg, const struct supervised *prog)
{
    struct jw *w = log_report(LOG_INFO, "start");
    char msg[160];
    int shown = 0;

    (void)str_printf(msg, sizeof(msg), "started %.96s as pid %d", cfg->child_argv[0],
                     (int)prog->pid);
    jw_str(w, "msg", msg);
    jw_str(w, "version", JEINIT_VERSION);
    jw_i64(w, "pid", getpid());
    jw_i64(w, "child_pid", prog->pid);
    jw_array_open(w, "argv");
    while (shown < cfg->child_argc && (shown == 0 || log_room(w) > START_ARGV_ROOM))
        jw_str(w, NULL, cfg->child_argv[shown++]);
    jw_array_close(w);
    if (shown < cfg->child_argc)
        jw_i64(w, "argv_omitted", cfg->child_argc - shown);
    jw_bool(w, "subreaper", prog->subreaper);
    jw_double(w, "grace_s", (double)cfg->grace_ms / 1000.0, 1);
    jw_map_open(w, "cgroup");
    jw_str(w, "layout", cg_layout_name(cg.layout));
    jw_str(w, "memory_dir", cg.memory_dir[0] ? cg.memory_dir : NULL);
    jw_map_close(w);
    report_limits(w, "limits", &limits, false);
    report_tuning(w, "allocator", &alloc, &tuning, false);
    memlock_report(w, "memory_locked", &memlock);
    log_end(w);
}

static void log_exit(const struct supervisor *s, int code)
{
    struct jw *w = log_report(LOG_INFO, "exit");
    int st = s->child_status;
    double runtime = (double)(now_mono_ms() - s->started_ms) / 1000.0;
    char msg[128];

    if (WIFSIGNALED(st))
        (void)str_printf(msg, sizeof(msg), "program killed by %s after %.1f s, exit code %d",
                         signal_name(WTERMSIG(st)) ? signal_name(WTERMSIG(st)) : "a signal",
                         runtime, code);
    else
        (void)str_printf(msg, sizeof(msg), "program exited with %d after %.1f s, exit code %d",
                         WEXITSTATUS(st), runtime, code);
    jw_str(w, "msg", msg);
    jw_i64(w, "code", code);
    if (WIFSIGNALED(st)) {
        jw_str(w, "signal", signal_name(WTERMSIG(st)));
        jw_i64(w, "signo", WTERMSIG(st));
    } else {
        jw_i64(w, "status", WEXITSTATUS(st));
    }
    jw_double(w, "runtime_s", runtime, 3);
    jw_u64(w, "reaped", s->reaped_others);
    jw_map_open(w, "forwarded");
    for (size_t sig = 1; sig < ARRAY_SIZE(s->forwarded); sig++) {
        const char *name = signal_name((int)sig);
        if (s->forwarded[sig] && name)
            jw_u64(w, name, s->forwarded[sig]);
    }
    jw_map_close(w);
    jw_bool(w, "killed", s->phase == PHASE_KILL);
    monitor_exit_fields(s->monitor, w);
    log_end(w);
}

/* Reports a bad flag or variable: one line, in the log's format. */
static int usage_error(const struct config_error *err)
{
    if (isatty(STDERR_FILENO)) {
        char line[CONFIG_MSG_MAX + 16];
        int n = snprintf(line, sizeof(line), "jeinit: %s\n", err->msg);
        if (n > 0)
            (void)write_all(STDERR_FILENO, line, strlen(line));
        return err->exit_code;
    }
    (void)log_setup(STDERR_FILENO, LOG_FORMAT_JSON, 1);
    log_msg(LOG_ERROR, "usage", "%s", err->msg);
    log_drain(1000);
    return err->exit_code;
}

/* No descriptor for a signalfd or epoll (ulimit -n): the program starts all
 * the same, with its environment as it is, under tini's sigtimedwait loop. */
static int run_bare(const struct config *cfg, const struct signal_state *sig,
                    const struct fds_limit *fdl, const char *what, int err)
{
    struct spawn_request req = {.argv = cfg->child_argv,
                                .envp = environ,
                                .signals = sig,
                                .nofile = fdl->raised ? &fdl->original : NULL};
    pid_t pid;
    int exec_errno, r;

    log_msg(LOG_WARN, "setup",
            "%s failed: %s; running the program under a minimal loop (signals forwarded, "
            "zombies reaped) without allocator tuning or memory report",
            what, strerror(err));
    r = spawn_child(&req, &pid, &exec_errno);
    if (r < 0) {
        log_msg(LOG_ERROR, "spawn", "fork failed: %s", strerror(-r));
        return 1;
    }
    if (exec_errno)
        log_msg(LOG_ERROR, "exec_failed", "exec %s failed: %s", cfg->child_argv[0],
                strerror(exec_errno));
    return exit_code_for_status(supervisor_run_bare(cfg, pid), cfg);
}

/* The monitor's first turn has touched its working memory: lock that too. */
static void relock_after_first_sample(void *ctx)
{
    memlock_refresh(ctx);
}

/* --metrics: a warning when the address cannot be served; the program
 * runs either way. */
static bool start_metrics(const struct config *cfg, struct loop *loop)
{
    struct metrics_addr addr;
    const char *what = "";
    int r;

    if (!cfg->metrics || metrics_parse_addr(cfg->metrics, &addr) < 0)
        return false;
    r = metrics_open(&metrics, &addr, loop, &what);
    if (r < 0) {
        log_msg(LOG_WARN, "metrics", "no metrics: %s on %s failed: %s; the program runs as usual",
                what, metrics.shown, strerror(-r));
        return false;
    }
    return true;
}

/* After the start line, at every verbosity: where to scrape. */
static void log_metrics_address(void)
{
    struct jw *w = log_report(LOG_INFO, "metrics");
    char msg[128];

    (void)snprintf(msg, sizeof(msg), "serving metrics at http://%s/metrics", metrics.shown);
    jw_str(w, "msg", msg);
    jw_str(w, "address", metrics.shown);
    log_end(w);
}

static int run(struct config *cfg)
{
    struct signal_state sig;
    struct spawn_request req;
    struct supervisor sup;
    struct loop loop;
    const char *what = "";
    struct supervised prog = {.tty_fg = -1};
    struct findings f;
    char **envp;
    bool with_agents = false, with_metrics;
    struct fds_limit fdl;
    bool extras;
    int exec_errno, r, code;

    /* descriptors first: the optional parts run only if enough are left */
    fds_prepare(&fdl);
    extras = fds_enough_for_extras(fdl.free);
    if (extras)
        fd_reserve_take(); /* lent to the reads that matter when none is left */
    if (!extras && cfg->interval_ms > 0)
        log_msg(LOG_WARN, "fds",
                "only %llu descriptors (ulimit -n), %llu of them free: no agent channel and no "
                "memory monitor; the program runs as usual",
                (unsigned long long)fdl.own, (unsigned long long)fdl.free);
    r = signals_setup(&sig, &what);
    if (r < 0 && sig.sigfd < 0 && strcmp(what, "signalfd") == 0)
        return run_bare(cfg, &sig, &fdl, what, -r);
    if (r < 0) {
        log_msg(LOG_ERROR, "setup", "%s failed: %s", what, strerror(-r));
        return 1;
    }
    r = loop_init(&loop);
    if (r < 0)
        return run_bare(cfg, &sig, &fdl, "epoll_create1", -r);
    prog.subreaper = become_reaper(cfg);
    /* before the spawn: the port is taken before the program could take
     * it, and the socket (SOCK_CLOEXEC) is not inherited */
    with_metrics = start_metrics(cfg, &loop);
    if (cfg->pdeathsig && prctl(PR_SET_PDEATHSIG, cfg->pdeathsig) < 0)
        log_msg(LOG_WARN, "pdeathsig", "prctl(PR_SET_PDEATHSIG) failed: %s", strerror(errno));

    /* The agent channel first: the agent is preloaded only when it exists. */
    allocator_find(cfg, environ, &alloc);
    if (alloc.agent && cfg->interval_ms > 0 && extras) {
        r = agents_open(&hub, &loop);
        if (r < 0)
            log_msg(LOG_WARN, "agents", "socketpair failed: %s; no per-process allocator stats",
                    strerror(-r));
        else
            with_agents = true;
    }
    gather(cfg, with_agents ? alloc.agent_path : NULL, false, &f);
    log_warnings(&f);
    envp = build_environment(with_agents ? hub.child_fd : -1, cfg->interval_ms);

    if (isatty(STDIN_FILENO))
        prog.tty_fg = tcgetpgrp(STDIN_FILENO);
    req = (struct spawn_request){.argv = cfg->child_argv,
                                 .envp = envp,
                                 .signals = &sig,
                                 .nofile = fdl.raised ? &fdl.original : NULL};
    r = spawn_child(&req, &prog.pid, &exec_errno);
    if (r < 0) {
        log_msg(LOG_ERROR, "spawn", "fork failed: %s", strerror(-r));
        return 1;
    }
    r = supervisor_init(&sup, cfg, &loop, &sig, &prog, &what);
    if (r < 0) {
        /* Without the loop the program still runs, supervised as tini does. */
        log_msg(LOG_ERROR, "setup", "%s failed: %s; supervising the program without the loop", what,
                strerror(-r));
        if (with_metrics)
            metrics_close(&metrics); /* nothing would answer */
        return exit_code_for_status(supervisor_run_bare(cfg, prog.pid), cfg);
    }
    if (with_agents && (r = agents_start(&hub)) < 0)
        log_msg(LOG_WARN, "agents", "cannot watch the agent channel: %s", strerror(-r));
    if (!exec_errno && cfg->interval_ms > 0 && extras) {
        r = monitor_init(&monitor, cfg, &cg, &limits, with_agents ? &hub : NULL, &loop, prog.pid);
        if (r < 0)
            log_msg(LOG_WARN, "monitor", "memory monitor off: %s", strerror(-r));
        else
            sup.monitor = &monitor;
        heapprof_init(&monitor.heap, tuning.heap_profile,
                      cfg->heap_profile ? tuning.heap_profile_why : NULL, with_agents ? &hub : NULL,
                      &loop, cfg->interval_ms);
        monitor.after_first_sample = relock_after_first_sample;
        monitor.after_first_ctx = &memlock;
    }
    if (with_metrics)
        metrics_attach(&metrics, sup.monitor, with_agents ? &hub : NULL, JEINIT_VERSION);
    /* Last before the loop: what the setup touched is resident, and locked
     * with the rest; the program was spawned with the limits it was given. */
    memlock_self(environ, &memlock);
    if (exec_errno) {
        struct jw *w = log_begin(LOG_ERROR, "exec_failed");
        char msg[512];
        (void)snprintf(msg, sizeof(msg), "exec %s failed: %s", cfg->child_argv[0],
                       strerror(exec_errno));
        jw_str(w, "msg", msg);
        jw_str(w, "program", cfg->child_argv[0]);
        jw_i64(w, "errno", exec_errno);
        log_end(w);
    } else {
        log_start(cfg, &prog);
        if (with_metrics)
            log_metrics_address();
    }
    supervisor_run(&sup);
    if (with_metrics)
        metrics_close(&metrics);
    code = exit_code_for_status(sup.child_status, cfg);
    monitor_finish(sup.monitor);
    if (!exec_errno)
        log_exit(&sup, code);
    supervisor_fini(&sup);
    if (envp != environ)
        free(envp);
    if (sup.monitor)
        monitor_fini(&monitor);
    if (with_agents)
        agents_close(&hub);
    loop_fini(&loop);
    return code;
}

int main(int argc, char *argv[])
{
    struct config cfg;
    struct config_error err;
    int code;

    /* Beneath another jeinit (`jeinit --inspect` run by an ENTRYPOINT of
     * jeinit, a nested init): the user's values, not the outer jeinit's. */
    {
        char **user = env_unmark(environ);
        if (user)
            environ = user;
    }
    if (config_parse(argc, argv, environ, &cfg, &err) < 0)
        return usage_error(&err);
    switch (cfg.mode) {
    case MODE_HELP:
        return print_stdout(usage_text);
    case MODE_VERSION:
        return print_stdout("jeinit " JEINIT_VERSION " " JEINIT_ARCH "\n");
    case MODE_LICENSE:
        return print_stdout(license_text);
    case MODE_REPORT:
        return plotcmd_run(cfg.report_log);
    default:
        break;
    }
    if (cfg.mode == MODE_INSPECT || cfg.mode == MODE_PRINT_ENV) {
        (void)log_setup(STDERR_FILENO, cfg.log_format, cfg.verbosity);
        return inspect(&cfg);
    }
    (void)log_setup(STDERR_FILENO, cfg.log_format, cfg.verbosity);
    log_warnings_of("config", &cfg.warnings);
    code = run(&cfg);
    log_drain(1000);
    return code;
}
