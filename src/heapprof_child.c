/* heapprof_child.c - the analysis of a heap profile, in a child of jeinit:
 * never in PID 1, bounded in time (an interval timer here, SIGKILL from the
 * loop after HP_CHILD_MS) and in memory (the arrays below, dumps of at most
 * HP_DUMP_MAX). For each process, a grandchild with the process's own ids
 * (the dumps and the paths in them are the process's: read with no more
 * rights than it has) reads its two dumps, subtracts them (heapdump.c),
 * names each growing stack's allocation site from the mapped objects' ELF
 * symbols (symtab.c) and writes one struct hp_result to the pipe. */
#include "heapprof.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heapdump.h"
#include "symtab.h"
#include "util.h"

#define HP_RESULT_MAGIC 0x48505246u
#define STACKS_MAX      16384
#define MAPS_MAX        4096
#define STACKS_NAMED    512 /* growing stacks whose sites are looked up */
#define SITES_MAX       128 /* distinct sites summed */
#define OBJECTS_MAX     64  /* mapped objects opened */
#define OBJECT_BYTES    ((size_t)1 << 30)

struct object {
    char path[HD_PATH_MAX];
    const unsigned char *map;
    size_t len;
};

static struct object objects[OBJECTS_MAX];
static size_t nobjects;

static const struct object *object_of(const char *path)
{
    struct object *o;
    struct stat st;
    int fd;

    for (size_t i = 0; i < nobjects; i++)
        if (strcmp(objects[i].path, path) == 0)
            return objects[i].map ? &objects[i] : NULL;
    if (nobjects == OBJECTS_MAX)
        return NULL;
    o = &objects[nobjects++];
    (void)str_copy(o->path, sizeof(o->path), path);
    o->map = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= OBJECT_BYTES) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            o->map = m;
            o->len = (size_t)st.st_size;
        }
    }
    (void)close(fd);
    return o->map ? o : NULL;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');

    return b ? b + 1 : path;
}

/* A dump, whole, into a new buffer (NUL-terminated). */
static char *read_dump(const char *path, size_t *len, char *why, size_t whysz)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

    if (fd < 0) {
        (void)str_printf(why, whysz, "its dump %s is missing: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > HP_DUMP_MAX) {
        (void)str_printf(why, whysz, "its dump %s is not a file of at most %u MiB", path,
                         HP_DUMP_MAX >> 20);
        (void)close(fd);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    (void)close(fd);
    if (!buf) {
        (void)str_printf(why, whysz, "no memory for its dump");
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

struct named {
    struct hp_site site;
    char key[HD_PATH_MAX + 128];
};

/* The allocation site of a stack: its first frame outside the allocator. */
static bool site_of(const struct heapdump *d, const struct hd_stack *s, struct hp_site *out)
{
    for (uint32_t i = 0; i < s->nframes; i++) {
        uint64_t addr = s->frames[i] ? s->frames[i] - 1 : 0; /* into the call */
        const struct hd_map *m = heapdump_map_of(d, addr);
        const struct object *o;
        struct symtab_hit hit = {0};
        char fn[sizeof(out->fn)];
        int r;

        if (!m)
            continue; /* a frame in anonymous code (a JIT): not a site we can name */
        if (heapdump_allocator_frame(m->path, NULL))
            continue; /* jemalloc's own frames: no need of their names */
        o = object_of(m->path);
        fn[0] = '\0';
        r = o ? symtab_lookup(o->map, o->len, addr - m->start + m->offset, fn, sizeof(fn), &hit)
              : -ENOENT;
        if (heapdump_allocator_frame(m->path, r == 0 ? fn : NULL))
            continue;
        memset(out, 0, sizeof(*out));
        (void)str_copy(out->fn, sizeof(out->fn), r == 0 ? fn : "");
        (void)str_copy(out->module, sizeof(out->module), base_name(m->path));
        out->vaddr = r == 0 || hit.vaddr ? hit.vaddr : addr - m->start + m->offset;
        return true;
    }
    return false;
}

static int by_site_bytes(const void *x, const void *y)
{
    const struct named *a = x, *b = y;

    return (a->site.bytes < b->site.bytes) - (a->site.bytes > b->site.bytes);
}

/* t's dump name, read and parsed into d; false with r's status and why. */
static bool load_dump(const struct heapprof *hp, const struct hp_target *t, const char *name,
                      struct heapdump *d, struct hp_result *r)
{
    char path[128];
    size_t len = 0;
    char *buf;
    int parsed;

    heapprof_dir_path(hp, t->pid, name, path, sizeof(path));
    buf = read_dump(path, &len, r->why, sizeof(r->why));
    if (!buf) {
        r->status = -EINVAL;
        return false;
    }
    parsed = heapdump_parse(buf, len, d);
    free(buf);
    if (parsed < 0) {
        (void)str_printf(r->why, sizeof(r->why), "%s is not a jemalloc heap profile", path);
        r->status = -EINVAL;
        return false;
    }
    return true;
}

static void analyse(const struct heapprof *hp, const struct hp_target *t, struct hp_result *r)
{
    static struct hd_stack sa[STACKS_MAX], sb[STACKS_MAX], grown[STACKS_MAX];
    static struct hd_map ma[MAPS_MAX], mb[MAPS_MAX];
    static struct named sites[SITES_MAX];
    struct heapdump a = {.stacks = sa, .cap_stacks = STACKS_MAX, .maps = ma, .cap_maps = MAPS_MAX};
    struct heapdump b = {.stacks = sb, .cap_stacks = STACKS_MAX, .maps = mb, .cap_maps = MAPS_MAX};
    size_t ngrown, nsites = 0;

    if (!load_dump(hp, t, HP_DUMP_FIRST, &a, r) || !load_dump(hp, t, HP_DUMP_SECOND, &b, r))
        return;
    r->period = b.period;
    heapdump_sort(&a);
    heapdump_sort(&b);
    ngrown = heapdump_growth(&a, &b, grown, STACKS_MAX);
    r->nstacks = (uint32_t)ngrown;
    for (size_t i = 0; i < ngrown; i++) {
        r->bytes += grown[i].bytes;
        r->objects += grown[i].objs;
    }
    /* the largest growing stacks, summed by site (function, or address) */
    for (size_t i = 0; i < ngrown && i < STACKS_NAMED; i++) {
        struct hp_site s;
        char key[sizeof(sites[0].key)];
        size_t k;
        if (!site_of(&b, &grown[i], &s))
            continue;
        if (s.fn[0])
            (void)str_printf(key, sizeof(key), "%s:%s", s.module, s.fn);
        else
            (void)str_printf(key, sizeof(key), "%s:%llx", s.module, (unsigned long long)s.vaddr);
        for (k = 0; k < nsites; k++)
            if (strcmp(sites[k].key, key) == 0)
                break;
        if (k == nsites) {
            if (nsites == SITES_MAX)
                continue;
            sites[nsites].site = s;
            (void)str_copy(sites[nsites].key, sizeof(sites[nsites].key), key);
            nsites++;
        }
        sites[k].site.bytes += grown[i].bytes;
        sites[k].site.objects += grown[i].objs;
    }
    qsort(sites, nsites, sizeof(sites[0]), by_site_bytes);
    for (size_t k = 0; k < nsites && k < HP_SITES_MAX; k++)
        r->sites[r->nsites++] = sites[k].site;
}

/* As the process: no more rights than it has over its dumps and its files. */
static int become(const struct hp_target *t)
{
    if (geteuid() != 0)
        return 0; /* jeinit itself is unprivileged: nothing to give up */
    if (setgroups(0, NULL) < 0 || setgid(t->gid) < 0 || setuid(t->uid) < 0)
        return -errno;
    return 0;
}

static void analyse_as(const struct heapprof *hp, const struct hp_target *t, int fd)
{
    struct hp_result r;
    struct itimerval limit = {.it_value = {.tv_sec = HP_CHILD_MS / 1000}};
    int e;

    memset(&r, 0, sizeof(r));
    r.magic = HP_RESULT_MAGIC;
    r.pid = t->pid;
    e = become(t);
    /* after the ids changed (which clears it): gone with its parent, and a
     * time limit of its own (timers are not inherited) */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    (void)setitimer(ITIMER_REAL, &limit, NULL);
    if (e < 0) {
        r.status = e;
        (void)str_printf(r.why, sizeof(r.why), "cannot take its ids (%d:%d) to read its dumps: %s",
                         (int)t->uid, (int)t->gid, strerror(-e));
    } else {
        analyse(hp, t, &r);
    }
    /* one write, within PIPE_BUF: whole or not at all */
    while (write(fd, &r, sizeof(r)) < 0 && errno == EINTR)
        ;
}

void heapprof_child_run(const struct heapprof *hp, int fd)
{
    sigset_t none;
    struct itimerval limit = {.it_value = {.tv_sec = HP_CHILD_MS / 1000}};

    /* PID 1's signal handling is not ours: default actions, nothing blocked */
    for (int s = 1; s < NSIG; s++)
        (void)signal(s, SIG_DFL);
    (void)sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    (void)setitimer(ITIMER_REAL, &limit, NULL); /* SIGALRM ends it, whatever the loop does */
    /* PID 1's descriptors (the agents' sockets, the log, the loop) are not
     * the analysis's: only the pipe stays, in a process that will run with
     * the container's ids; and no one of those ids may ptrace it */
    if (fd > 3)
        (void)close_range(3, (unsigned)fd - 1, 0);
    (void)close_range((unsigned)fd + 1, ~0u, 0);
    (void)prctl(PR_SET_DUMPABLE, 0);
    /* jeinit asks the OOM killer to spare it (-1000); the analysis is the
     * first thing to kill, before any of the program's processes */
    {
        int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (adj >= 0) {
            (void)!write(adj, "1000", 4);
            (void)close(adj);
        }
    }
    for (size_t i = 0; i < hp->ntargets; i++) {
        const struct hp_target *t = &hp->targets[i];
        pid_t pid;
        if (t->failed)
            continue;
        pid = fork();
        if (pid == 0) {
            analyse_as(hp, t, fd);
            _exit(0);
        }
        if (pid > 0)
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
    }
    _exit(0);
}
