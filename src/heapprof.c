/* heapprof.c - see heapprof.h. PID 1's side: when to profile, whom, the
 * steps through the agents, the private directory, the analysis child and
 * its result as a heap_profile line. Nothing here waits: the steps advance
 * at the monitor's samples, the child's answer comes through the loop. */
#include "heapprof.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "report.h"
#include "util.h"

#define HP_RESULT_MAGIC 0x48505246u /* "HPRF" */

_Static_assert(sizeof(struct hp_result) <= 4096, "one atomic pipe write");

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void heapprof_init(struct heapprof *hp, bool ready, const char *why, struct agent_hub *hub,
                   struct loop *loop, int64_t interval_ms)
{
    memset(hp, 0, sizeof(*hp));
    hp->enabled = ready && hub && interval_ms > 0;
    hp->why_not = why; /* NULL: nothing to tell (--heap-profile off) */
    hp->hub = hub;
    hp->loop = loop;
    hp->window_ms = clamp64(2 * interval_ms, HP_WINDOW_MIN, HP_WINDOW_MAX);
    hp->pipe_fd = hp->timer_fd = -1;
    hp->child = 0;
}

/* --- the steps ------------------------------------------------------------------ */

static bool refused(const struct heapprof *hp, pid_t pid, int64_t now)
{
    for (size_t i = 0; i < hp->nrefused; i++)
        if (hp->refused[i] == pid)
            return true;
    for (size_t i = 0; i < hp->nkept; i++)
        if (hp->kept[i].pid == pid && now - hp->kept[i].ms < HP_COOLDOWN_MS)
            return true; /* profiled not long ago */
    return false;
}

static void refuse(struct heapprof *hp, pid_t pid)
{
    if (hp->nrefused == ARRAY_SIZE(hp->refused))
        memmove(hp->refused, hp->refused + 1, (hp->nrefused - 1) * sizeof(hp->refused[0]));
    else
        hp->nrefused++;
    hp->refused[hp->nrefused - 1] = pid;
}

static const char *step_name(uint16_t type)
{
    return type == AGENT_PROF_ON     ? "turning sampling on (prof.active)"
           : type == AGENT_PROF_DUMP ? "dumping (prof.dump)"
                                     : "turning sampling off (prof.active)";
}

/* One warning per process, and no more profiling of it. */
static void fail(struct heapprof *hp, struct hp_target *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct heapprof *hp, struct hp_target *t, const char *fmt, ...)
{
    char why[256];
    va_list ap;

    if (t->failed)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    t->failed = true;
    hp->failures++;
    refuse(hp, t->pid);
    log_msg(LOG_WARN, "heap_profile",
            "heap profile of pid %d (%s) abandoned: %s; no more profiling of that process",
            (int)t->pid, t->comm, why);
}

static void send_step(struct heapprof *hp, struct hp_target *t, uint16_t type, const char *file)
{
    struct agent_request req = {.magic = AGENT_MAGIC,
                                .version = AGENT_VERSION,
                                .type = type,
                                .seq = ++hp->seq,
                                .arg = type == AGENT_PROF_ON ? HP_LG_SAMPLE : 0,
                                /* the agent's own safety net: sampling off by
                                 * then if jeinit's PROF_OFF never comes */
                                .limit_s = (uint32_t)(4 * hp->window_ms / 1000 + 10)};
    struct agent_slot *s;
    int r;

    if (t->failed)
        return;
    s = agents_find(hp->hub, t->pid);
    if (!s) {
        t->failed = true; /* exited or exec'd: nothing to say */
        return;
    }
    if (file)
        heapprof_dir_path(hp, t->pid, file, req.path, sizeof(req.path));
    t->last_seq = req.seq;
    r = agents_send(s, &req);
    if (r < 0)
        fail(hp, t,
             "its agent did not take the request %s: %s (sampling goes off by itself within "
             "%u s)",
             step_name(type), strerror(-r), req.limit_s);
}

/* The agents' answers so far: an error is the end of that process's profile. */
static void check_replies(struct heapprof *hp)
{
    for (size_t i = 0; i < hp->ntargets; i++) {
        struct hp_target *t = &hp->targets[i];
        struct agent_slot *s = t->failed ? NULL : agents_find(hp->hub, t->pid);
        if (t->failed)
            continue;
        if (!s) {
            t->failed = true; /* gone */
            continue;
        }
        if (!s->has_prof || s->prof_status == 0)
            continue;
        if (s->prof_status == ENOTSUP)
            fail(hp, t,
                 "its jemalloc has no profiling (started without prof:true: the user's "
                 "MALLOC_CONF, or a jemalloc built without --enable-prof)");
        else
            fail(hp, t, "its agent answered %s", strerror((int)s->prof_status));
        /* sampling off, whatever step failed */
        {
            struct agent_request off = {.magic = AGENT_MAGIC,
                                        .version = AGENT_VERSION,
                                        .type = AGENT_PROF_OFF,
                                        .seq = ++hp->seq};
            (void)agents_send(s, &off);
        }
    }
}

/* Every target's last request answered (or the target failed). */
static bool all_answered(const struct heapprof *hp)
{
    for (size_t i = 0; i < hp->ntargets; i++) {
        const struct hp_target *t = &hp->targets[i];
        const struct agent_slot *s = t->failed ? NULL : agents_find(hp->hub, t->pid);
        if (s && (!s->has_prof || s->prof_seq != t->last_seq))
            return false;
    }
    return true;
}

static void note_growth_start(struct heapprof *hp, const struct proc_sample *procs, size_t n)
{
    hp->nwatch = 0;
    for (size_t i = 0; i < n && hp->nwatch < HP_WATCH_MAX; i++) {
        if (!procs[i].agent || procs[i].allocated == UINT64_MAX ||
            procs[i].agent->stats.allocator != AGENT_ALLOC_JEMALLOC)
            continue;
        hp->watch[hp->nwatch].pid = procs[i].pid;
        hp->watch[hp->nwatch].allocated = procs[i].allocated;
        hp->nwatch++;
    }
}

/* The processes whose allocated bytes grew most since the streak began. */
static void pick_targets(struct heapprof *hp, const struct proc_sample *procs, size_t n,
                         int64_t now)
{
    hp->ntargets = 0;
    for (size_t i = 0; i < n; i++) {
        const struct proc_sample *p = &procs[i];
        uint64_t grown = 0;
        size_t slot;
        char path[32];
        struct stat st;
        if (!p->agent || p->allocated == UINT64_MAX || refused(hp, p->pid, now) ||
            p->agent->stats.allocator != AGENT_ALLOC_JEMALLOC)
            continue;
        for (size_t j = 0; j < hp->nwatch; j++)
            if (hp->watch[j].pid == p->pid && p->allocated > hp->watch[j].allocated)
                grown = p->allocated - hp->watch[j].allocated;
        if (grown == 0)
            continue;
        /* its ids, for its directory and the analysis */
        (void)str_printf(path, sizeof(path), "/proc/%d", (int)p->pid);
        if (stat(path, &st) < 0)
            continue;
        if (hp->ntargets < HP_TARGETS) {
            slot = hp->ntargets++;
        } else {
            slot = 0;
            for (size_t k = 1; k < HP_TARGETS; k++)
                if (hp->targets[k].grown < hp->targets[slot].grown)
                    slot = k;
            if (hp->targets[slot].grown >= grown)
                continue;
        }
        hp->targets[slot] =
            (struct hp_target){.pid = p->pid, .uid = st.st_uid, .gid = st.st_gid, .grown = grown};
        (void)str_copy(hp->targets[slot].comm, sizeof(hp->targets[slot].comm), p->comm);
    }
}

/* Before the analysis: every target's dumps within the bounds. */
static void check_sizes(struct heapprof *hp)
{
    for (size_t i = 0; i < hp->ntargets; i++) {
        struct hp_target *t = &hp->targets[i];
        uint64_t bytes;
        if (t->failed)
            continue;
        bytes = heapprof_dir_measure(hp, t->pid);
        if (bytes == UINT64_MAX) {
            fail(hp, t, "a dump was over %u MiB: removed", HP_DUMP_MAX >> 20);
            continue;
        }
        for (size_t k = 0; k < hp->nkept; k++)
            if (hp->kept[k].pid == t->pid)
                hp->kept[k].bytes = bytes;
    }
    heapprof_dir_bound(hp);
}

/* --- the analysis child ----------------------------------------------------------- */

static void child_done(struct heapprof *hp)
{
    if (hp->pipe_fd >= 0) {
        loop_del(hp->loop, &hp->pipe_src);
        (void)close(hp->pipe_fd);
        hp->pipe_fd = -1;
    }
    if (hp->timer_fd >= 0) {
        loop_del(hp->loop, &hp->timer_src);
        (void)close(hp->timer_fd);
        hp->timer_fd = -1;
    }
    hp->child = 0; /* reaped by the supervisor, as any child */
    for (size_t i = 0; i < hp->ntargets; i++) {
        struct hp_target *t = &hp->targets[i];
        if (!t->failed && !t->done)
            fail(hp, t, "the analysis of its dumps gave no result");
    }
    hp->phase = HP_IDLE;
    hp->streak = 0;
}

static void fmt_site_msg(const struct hp_result *r, char *out, size_t n)
{
    char grown[24], top[24];

    report_human_bytes(r->bytes > 0 ? (uint64_t)r->bytes : 0, grown, sizeof(grown));
    if (r->nsites == 0) {
        (void)str_printf(out, n, "heap grew %s; no allocation site could be named", grown);
        return;
    }
    report_human_bytes(r->sites[0].bytes > 0 ? (uint64_t)r->sites[0].bytes : 0, top, sizeof(top));
    (void)str_printf(out, n, "heap grew %s; top site %s (%s+0x%llx) %s", grown,
                     r->sites[0].fn[0] ? r->sites[0].fn : "?", r->sites[0].module,
                     (unsigned long long)r->sites[0].vaddr, top);
}

static void log_result(struct heapprof *hp, struct hp_target *t, const struct hp_result *r)
{
    char msg[400], what[320], path[96];
    struct jw *w;

    t->done = true;
    if (r->status < 0) {
        fail(hp, t, "%s", r->why[0] ? r->why : strerror(-r->status));
        return;
    }
    hp->profiles++;
    fmt_site_msg(r, what, sizeof(what));
    (void)str_printf(msg, sizeof(msg), "pid %d (%s): %s", (int)t->pid, t->comm, what);
    w = log_report(LOG_INFO, "heap_profile");
    if (!w)
        return;
    jw_str(w, "msg", msg);
    jw_i64(w, "pid", t->pid);
    jw_str(w, "comm", t->comm);
    jw_double(w, "window_s", (double)(hp->window_end_ms - hp->window_start_ms) / 1000.0, 1);
    jw_u64(w, "grown_bytes", r->bytes > 0 ? (uint64_t)r->bytes : 0);
    jw_u64(w, "grown_objects", r->objects > 0 ? (uint64_t)r->objects : 0);
    jw_u64(w, "sample_period", r->period);
    jw_u64(w, "stacks", r->nstacks);
    heapprof_dir_path(hp, t->pid, NULL, path, sizeof(path));
    jw_str(w, "dumps", path);
    jw_array_open(w, "sites");
    for (uint32_t i = 0; i < r->nsites && i < HP_SITES_MAX; i++) {
        char addr[24];
        /* room for this site and the line's end */
        if (log_room(w) < 320)
            break;
        (void)str_printf(addr, sizeof(addr), "0x%llx", (unsigned long long)r->sites[i].vaddr);
        jw_map_open(w, NULL);
        jw_str(w, "fn", r->sites[i].fn[0] ? r->sites[i].fn : NULL);
        jw_str(w, "module", r->sites[i].module);
        jw_str(w, "addr", addr);
        jw_u64(w, "bytes", r->sites[i].bytes > 0 ? (uint64_t)r->sites[i].bytes : 0);
        jw_u64(w, "objects", r->sites[i].objects > 0 ? (uint64_t)r->sites[i].objects : 0);
        jw_map_close(w);
    }
    jw_array_close(w);
    log_end(w);
}

static void on_child_pipe(struct loop_source *src, uint32_t events)
{
    struct heapprof *hp = src->ctx;
    struct hp_result r;

    for (int i = 0; i < HP_TARGETS + 1; i++) {
        ssize_t n = read(hp->pipe_fd, &r, sizeof(r));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            child_done(hp);
            return;
        }
        if (n != (ssize_t)sizeof(r) || r.magic != HP_RESULT_MAGIC)
            continue;
        r.why[sizeof(r.why) - 1] = '\0';
        for (uint32_t k = 0; k < HP_SITES_MAX; k++) {
            r.sites[k].fn[sizeof(r.sites[k].fn) - 1] = '\0';
            r.sites[k].module[sizeof(r.sites[k].module) - 1] = '\0';
        }
        for (size_t k = 0; k < hp->ntargets; k++)
            if (hp->targets[k].pid == r.pid && !hp->targets[k].done && !hp->targets[k].failed)
                log_result(hp, &hp->targets[k], &r);
    }
    if (events & (EPOLLHUP | EPOLLERR))
        child_done(hp);
}

static void on_child_timeout(struct loop_source *src, uint32_t events)
{
    struct heapprof *hp = src->ctx;

    (void)events;
    timer_ack(hp->timer_fd);
    if (hp->child > 0)
        (void)kill(hp->child, SIGKILL);
    for (size_t i = 0; i < hp->ntargets; i++)
        if (!hp->targets[i].done)
            fail(hp, &hp->targets[i], "the analysis of its dumps took more than %d s: killed",
                 HP_CHILD_MS / 1000);
    child_done(hp);
}

static void start_child(struct heapprof *hp, int64_t now)
{
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0) {
        for (size_t i = 0; i < hp->ntargets; i++)
            fail(hp, &hp->targets[i], "pipe2: %s", strerror(errno));
        hp->phase = HP_IDLE;
        return;
    }
    hp->timer_fd = timer_new();
    pid = hp->timer_fd >= 0 ? fork() : -1;
    if (pid == 0) {
        (void)close(p[0]);
        heapprof_child_run(hp, p[1]);
    }
    (void)close(p[1]);
    hp->pipe_fd = p[0];
    if (pid < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        for (size_t i = 0; i < hp->ntargets; i++)
            fail(hp, &hp->targets[i], "fork: %s", strerror(e));
        if (pid > 0)
            (void)kill(pid, SIGKILL);
        child_done(hp);
        return;
    }
    hp->child = hp->unreaped = pid;
    hp->started_ms = now;
    hp->pipe_src = (struct loop_source){.fd = hp->pipe_fd, .cb = on_child_pipe, .ctx = hp};
    hp->timer_src = (struct loop_source){.fd = hp->timer_fd, .cb = on_child_timeout, .ctx = hp};
    if (loop_add(hp->loop, &hp->pipe_src, EPOLLIN) < 0 ||
        loop_add(hp->loop, &hp->timer_src, EPOLLIN) < 0 ||
        timer_arm(hp->timer_fd, HP_CHILD_MS, 0) < 0) {
        (void)kill(pid, SIGKILL);
        child_done(hp);
        return;
    }
    hp->phase = HP_ANALYSING;
}

/* --- the monitor's call ----------------------------------------------------------- */

static void begin(struct heapprof *hp, const struct proc_sample *procs, size_t n, int64_t now)
{
    int r;

    pick_targets(hp, procs, n, now);
    if (hp->ntargets == 0)
        return;
    r = heapprof_dir_make(hp);
    if (r < 0) {
        log_msg(LOG_WARN, "heap_profile",
                "heap profiles off: no private directory could be made in /tmp or /dev/shm: %s",
                strerror(-r));
        hp->enabled = false;
        hp->told = true;
        return;
    }
    for (size_t i = 0; i < hp->ntargets; i++) {
        struct hp_target *t = &hp->targets[i];
        r = heapprof_dir_make_sub(hp, t);
        if (r < 0) {
            fail(hp, t, "its directory in %s could not be made: %s", hp->dir, strerror(-r));
            continue;
        }
        heapprof_dir_keep(hp, t->pid, now);
        {
            struct agent_slot *s = agents_find(hp->hub, t->pid);
            if (s) {
                s->has_prof = false; /* this profile's answers only */
                s->prof_status = 0;
            }
        }
        send_step(hp, t, AGENT_PROF_ON, NULL);
    }
    hp->phase = HP_SAMPLING;
    hp->phase_ms = now;
}

static bool any_left(const struct heapprof *hp)
{
    for (size_t i = 0; i < hp->ntargets; i++)
        if (!hp->targets[i].failed)
            return true;
    return false;
}

void heapprof_after_sample(struct heapprof *hp, const struct diagnosis *d,
                           const struct proc_sample *procs, size_t nprocs, int64_t now)
{
    if (d->state == DIAG_HEAP_GROWTH) {
        if (hp->streak++ == 0)
            note_growth_start(hp, procs, nprocs);
    } else {
        hp->streak = 0;
    }
    if (!hp->enabled) {
        if (hp->streak >= HP_PERSIST && !hp->told && hp->why_not) {
            log_msg(LOG_WARN, "heap_profile", "the heap keeps growing; heap profiles: %s",
                    hp->why_not);
            hp->told = true;
        }
        return;
    }
    heapprof_dir_prune(hp);
    if (hp->phase != HP_IDLE && hp->phase != HP_ANALYSING) {
        check_replies(hp);
        if (!any_left(hp)) {
            hp->phase = HP_IDLE;
            hp->streak = 0;
            return;
        }
    }
    switch (hp->phase) {
    case HP_IDLE:
        if (hp->streak >= HP_PERSIST)
            begin(hp, procs, nprocs, now);
        return;
    case HP_SAMPLING:
        if (now - hp->phase_ms < hp->window_ms)
            return;
        for (size_t i = 0; i < hp->ntargets; i++)
            send_step(hp, &hp->targets[i], AGENT_PROF_DUMP, HP_DUMP_FIRST);
        hp->phase = HP_DUMPED;
        hp->phase_ms = hp->window_start_ms = now;
        return;
    case HP_DUMPED:
        if (now - hp->phase_ms < hp->window_ms)
            return;
        for (size_t i = 0; i < hp->ntargets; i++) {
            send_step(hp, &hp->targets[i], AGENT_PROF_DUMP, HP_DUMP_SECOND);
            send_step(hp, &hp->targets[i], AGENT_PROF_OFF, NULL);
        }
        hp->phase = HP_WAITING;
        hp->phase_ms = hp->window_end_ms = now;
        return;
    case HP_WAITING:
        /* the second dump written and sampling off, or a window's grace */
        if (!all_answered(hp) && now - hp->phase_ms < hp->window_ms)
            return;
        check_sizes(hp);
        if (!any_left(hp)) {
            hp->phase = HP_IDLE;
            hp->streak = 0;
            return;
        }
        start_child(hp, now);
        return;
    case HP_ANALYSING:
        return;
    }
}

bool heapprof_reaped(struct heapprof *hp, pid_t pid)
{
    if (!hp || pid <= 0 || pid != hp->unreaped)
        return false;
    hp->unreaped = 0;
    return true;
}

void heapprof_fini(struct heapprof *hp)
{
    if (hp->child > 0)
        (void)kill(hp->child, SIGKILL);
    if (hp->pipe_fd >= 0 || hp->timer_fd >= 0) {
        hp->ntargets = 0; /* no warnings at exit */
        child_done(hp);
    }
    for (size_t i = 0; i < hp->nkept; i++)
        heapprof_dir_remove(hp, hp->kept[i].pid);
    for (size_t i = 0; i < hp->ntargets; i++)
        heapprof_dir_remove(hp, hp->targets[i].pid);
    hp->nkept = 0;
    if (hp->dir[0])
        (void)rmdir(hp->dir);
    hp->dir[0] = '\0';
}
