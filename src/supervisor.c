/* supervisor.c - see supervisor.h. */
#include "supervisor.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"
#include "parse.h"
#include "util.h"

/* After SIGKILL, processes in uninterruptible sleep may take a while; PID 1
 * must not wait for them forever. */
#define KILL_WAIT_MS 5000

/* A process that floods jeinit with signals must not starve the loop (the
 * monitor's timers, the log): at most this many reads of the signalfd per
 * wakeup; the rest waits for the next turn (the signalfd stays readable). */
#define SIGNAL_READS_PER_WAKEUP 8
/* Forwarding never stops, but a signal's lines are coalesced: one per
 * signal per second, with the count of those not written since. */
#define SIGNAL_LOG_EVERY_MS 1000

int exit_code_for_status(int wstatus, const struct config *cfg)
{
    int code = 1;

    if (WIFEXITED(wstatus))
        code = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        code = 128 + WTERMSIG(wstatus);
    code &= 0xff;
    if (config_exit_remapped(cfg, code))
        code = 0;
    return code;
}

static void log_forwarded(struct supervisor *s, int sig, enum log_level lvl)
{
    struct jw *w;
    const char *name = signal_name(sig);
    int64_t now;

    if (!log_enabled(lvl))
        return;
    now = now_mono_ms();
    if (s->signal_logged_ms[sig] && now - s->signal_logged_ms[sig] < SIGNAL_LOG_EVERY_MS) {
        s->signal_coalesced[sig]++;
        return;
    }
    w = log_begin(lvl, "signal");
    jw_str(w, "signal", name ? name : "unknown");
    jw_i64(w, "signo", sig);
    jw_i64(w, "to", s->child);
    jw_bool(w, "group", s->cfg->kill_process_group);
    if (s->signal_coalesced[sig])
        jw_u64(w, "coalesced", s->signal_coalesced[sig]); /* since the last line */
    log_end(w);
    s->signal_logged_ms[sig] = now;
    s->signal_coalesced[sig] = 0;
}

/* Signals every process left in our tree: the whole namespace as PID 1,
 * descendants otherwise. Returns how many (1 when unknown: PID 1's kill(-1)),
 * 0 when there were none. */
static int signal_rest(struct supervisor *s, int sig)
{
    int n;

    if (s->pid1) {
        if (kill(-1, sig) == 0)
            return 1;
        if (errno != ESRCH)
            log_msg(LOG_ERROR, "kill", "kill(-1, %s) failed: %s", signal_name(sig),
                    strerror(errno));
        return 0;
    }
    /* Without PID 1 or subreaper status, what the program leaves behind is
     * re-parented away from jeinit the moment it exits: nothing to find. */
    if (!s->subreaper)
        return 0;
    n = proctree_signal_descendants(&s->tree, s->self, sig);
    if (n < 0) {
        log_msg(LOG_ERROR, "kill", "cannot list descendants in /proc: %s", strerror(-n));
        return 0;
    }
    return n;
}

static void start_kill(struct supervisor *s, const char *reason)
{
    struct jw *w;

    if (s->phase == PHASE_KILL)
        return;
    s->phase = PHASE_KILL;
    s->kill_deadline_ms = now_mono_ms() + KILL_WAIT_MS;
    w = log_begin(LOG_WARN, "kill");
    jw_str(w, "signal", "SIGKILL");
    jw_str(w, "reason", reason);
    jw_i64(w, "signalled", signal_rest(s, SIGKILL));
    log_end(w);
}

/* The grace period is a deadline the loop waits for (no descriptor: PID 1
 * may have very few). */
static void arm_grace(struct supervisor *s)
{
    if (s->phase != PHASE_RUN)
        return;
    s->phase = PHASE_STOP;
    s->stop_ms = now_mono_ms();
    s->grace_deadline_ms = s->stop_ms + s->cfg->grace_ms;
    if (s->cfg->grace_ms == 0)
        start_kill(s, "grace period is 0");
}

/* The program is gone: whatever it left behind gets SIGTERM, then the
 * grace period, then SIGKILL. This is the only place the grace timer is
 * armed: the program itself is never killed by jeinit, whose deadline belongs
 * to the runtime (docker stop -t, terminationGracePeriodSeconds). */
static void terminate_rest(struct supervisor *s, const char *reason)
{
    int n;
    struct jw *w;

    if (s->rest_terminated || s->phase == PHASE_KILL)
        return;
    s->rest_terminated = true;
    n = signal_rest(s, SIGTERM);
    if (n == 0)
        return;
    w = log_begin(LOG_INFO, "terminate");
    jw_str(w, "signal", "SIGTERM");
    jw_str(w, "reason", reason);
    jw_double(w, "grace_s", (double)s->cfg->grace_ms / 1000.0, 1);
    log_end(w);
    arm_grace(s);
}

static void on_program_exit(struct supervisor *s, int status)
{
    struct jw *w;

    s->child_running = false;
    s->child_status = status;
    /* Give the terminal back to whoever had it, so that the shell that ran
     * jeinit is not left in the background (SIGTTOU is ignored here). */
    if (s->tty_fg > 0 && tcgetpgrp(STDIN_FILENO) == s->child)
        (void)tcsetpgrp(STDIN_FILENO, s->tty_fg);
    w = log_begin(LOG_INFO, "child_exit");
    jw_i64(w, "pid", s->child);
    if (WIFSIGNALED(status))
        jw_str(w, "signal", signal_name(WTERMSIG(status)));
    else
        jw_i64(w, "code", WEXITSTATUS(status));
    log_end(w);
    terminate_rest(s, "program exited");
}

static void reap(struct supervisor *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0)
            return;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD)
                s->no_children = true;
            else
                log_msg(LOG_ERROR, "reap", "waitpid failed: %s", strerror(errno));
            return;
        }
        if (heapprof_reaped(s->monitor ? &s->monitor->heap : NULL, pid))
            continue; /* jeinit's own heap-profile analysis, not the program's */
        monitor_on_reaped(s->monitor, pid, status);
        if (pid == s->child && s->child_running) {
            on_program_exit(s, status);
            continue;
        }
        s->reaped_others++;
        if (s->cfg->warn_on_reap) {
            /* tini's words, for whoever greps for them */
            struct jw *w = log_begin(LOG_WARN, "reaped");
            char msg[64];
            (void)str_printf(msg, sizeof(msg), "Reaped zombie process with pid=%d", (int)pid);
            jw_i64(w, "pid", pid);
            jw_str(w, "msg", msg);
            log_end(w);
        } else if (log_enabled(LOG_TRACE)) {
            struct jw *w = log_begin(LOG_TRACE, "reaped");
            jw_i64(w, "pid", pid);
            log_end(w);
        }
    }
}

static void forward(struct supervisor *s, int sig)
{
    pid_t target = s->cfg->kill_process_group ? -s->child : s->child;
    /* tini says "Passing signal" at debug, and so does jeinit */
    enum log_level lvl = sig == SIGWINCH ? LOG_TRACE : LOG_DEBUG;

    if (!s->child_running) {
        /* The program is gone; what is left is being shut down. A second
         * SIGTERM or SIGINT means "now". */
        if (sig == SIGTERM || sig == SIGINT)
            start_kill(s, "signal during shutdown");
        return;
    }
    if ((unsigned)sig >= ARRAY_SIZE(s->forwarded))
        return;
    if (kill(target, sig) < 0 && errno != ESRCH) {
        log_msg(LOG_ERROR, "signal", "kill(%d, %s) failed: %s", (int)target, signal_name(sig),
                strerror(errno));
        return;
    }
    s->forwarded[sig]++;
    log_forwarded(s, sig, lvl);
}

static void on_signal(struct loop_source *src, uint32_t events)
{
    struct supervisor *s = src->ctx;
    struct signalfd_siginfo si[16];

    (void)events;
    for (int reads = 0; reads < SIGNAL_READS_PER_WAKEUP; reads++) {
        ssize_t n = read(src->fd, si, sizeof(si));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                log_msg(LOG_ERROR, "signal", "read(signalfd) failed: %s", strerror(errno));
            return;
        }
        for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
            if (si[i].ssi_signo == SIGCHLD)
                reap(s);
            else
                forward(s, (int)si[i].ssi_signo);
        }
        if ((size_t)n < sizeof(si))
            return;
    }
}

static void on_log_writable(struct loop_source *src, uint32_t events)
{
    (void)src;
    (void)events;
    log_flush();
}

/* Watches the log's descriptor only while lines wait to be written. */
static void watch_log(struct supervisor *s)
{
    bool want = log_pending();

    if (want == s->log_watched)
        return;
    if (want) {
        s->log_src.fd = log_poll_fd();
        if (s->log_src.fd >= 0 && loop_add(s->loop, &s->log_src, EPOLLOUT) == 0)
            s->log_watched = true;
        return;
    }
    loop_del(s->loop, &s->log_src);
    s->log_watched = false;
}

int supervisor_init(struct supervisor *s, const struct config *cfg, struct loop *loop,
                    const struct signal_state *sig, const struct supervised *prog,
                    const char **what)
{
    int r;

    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->loop = loop;
    s->self = getpid();
    s->pid1 = s->self == 1;
    s->subreaper = !s->pid1 && prog->subreaper;
    s->child = prog->pid;
    s->child_running = true;
    s->tty_fg = prog->tty_fg;
    s->phase = PHASE_RUN;
    s->started_ms = now_mono_ms();
    s->tree.procfd = -1;
    if (s->subreaper && proctree_open(&s->tree, "/proc") < 0)
        log_msg(LOG_WARN, "proc", "cannot open /proc (%s): leftover descendants cannot be found",
                strerror(errno));
    s->sig_src = (struct loop_source){.fd = sig->sigfd, .cb = on_signal, .ctx = s};
    s->log_src = (struct loop_source){.fd = -1, .cb = on_log_writable, .ctx = s};
    r = loop_add(loop, &s->sig_src, EPOLLIN);
    if (r < 0) {
        *what = "epoll_ctl";
        return r;
    }
    return 0;
}

void supervisor_run(struct supervisor *s)
{
    /* A SIGCHLD may have come before the signalfd was watched. */
    reap(s);
    while (s->child_running || !s->no_children) {
        int timeout = -1;

        if (s->phase == PHASE_STOP) {
            int64_t left = s->grace_deadline_ms - now_mono_ms();
            if (left <= 0)
                start_kill(s, "grace period over");
            else
                timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        if (s->phase == PHASE_KILL) {
            int64_t left = s->kill_deadline_ms - now_mono_ms();
            if (left <= 0) {
                log_msg(LOG_ERROR, "kill",
                        "processes still alive %d ms after SIGKILL (uninterruptible sleep?); "
                        "exiting without them",
                        KILL_WAIT_MS);
                break;
            }
            timeout = (int)left;
        }
        watch_log(s);
        if (loop_run_once(s->loop, timeout) < 0) {
            log_msg(LOG_ERROR, "loop", "epoll_wait failed: %s", strerror(errno));
            /* Never spin: pause, then reap directly so exits are still seen. */
            (void)usleep(100 * 1000);
            reap(s);
        }
        if (!s->child_running && !s->no_children)
            reap(s);
    }
    if (s->log_watched)
        loop_del(s->loop, &s->log_src);
}

void supervisor_fini(struct supervisor *s)
{
    proctree_close(&s->tree);
}

int supervisor_run_bare(const struct config *cfg, pid_t child)
{
    sigset_t set;
    pid_t target = cfg->kill_process_group ? -child : child;

    signals_routed(&set);
    for (;;) {
        struct timespec tick = {.tv_sec = 1};
        int status, sig = sigtimedwait(&set, NULL, &tick);
        pid_t pid;

        if (sig > 0 && sig != SIGCHLD)
            (void)kill(target, sig);
        /* every second too: a SIGCHLD merged with one already taken */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            if (pid == child)
                return status;
        if (pid < 0 && errno == ECHILD)
            return 1 << 8; /* cannot happen: the child is ours until reaped */
    }
}
