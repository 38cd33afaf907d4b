/* Unit tests of envplan.c: LD_PRELOAD and GLIBC_TUNABLES merging, the final
 * envp, and which values print without quoting. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "envplan.h"

#define JE    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
#define AGENT "/opt/jeinit/libjeinit-agent.so"

static char out[ENV_VALUE_MAX];
static const char *user_je;
static size_t user_je_len;

static int merge(const char *existing, bool skip)
{
    static const char *const add[] = {JE, AGENT};

    return preload_merge(existing, add, 2, skip, out, sizeof(out), &user_je, &user_je_len);
}

static void test_preload(void)
{
    static const struct {
        const char *existing, *want, *why;
    } cases[] = {
        {NULL, JE ":" AGENT, "no LD_PRELOAD: ours"},
        {"", JE ":" AGENT, "empty LD_PRELOAD: ours"},
        {"/x/libfoo.so", JE ":" AGENT ":/x/libfoo.so", "the user's entry kept after ours"},
        {"/a.so /b.so:/c.so", JE ":" AGENT ":/a.so:/b.so:/c.so", "':' and ' ' both separate"},
        {"  /a.so:: /b.so : ", JE ":" AGENT ":/a.so:/b.so", "runs of separators, both ends"},
        {AGENT ":/a.so", JE ":" AGENT ":/a.so", "our agent, already there, not added twice"},
        {"/a.so:/a.so /b.so", JE ":" AGENT ":/a.so:/b.so", "the user's duplicates dropped"},
        {"/a.so:" JE, JE ":" AGENT ":/a.so", "our own jemalloc in LD_PRELOAD: once, first"},
        {"/opt/libjemalloc.so.2:/a.so", "/opt/libjemalloc.so.2:" AGENT ":/a.so",
         "the user's jemalloc instead of ours, first"},
        {"/a.so /opt/je/libjemalloc_debug.so", "/opt/je/libjemalloc_debug.so:" AGENT ":/a.so",
         "any libjemalloc* of the user's, moved before the agent"},
        {"libjemalloc.so.2", "libjemalloc.so.2:" AGENT, "a bare library name"},
        {"/opt/libjemalloc.so.2:/b/libjemalloc.so.1",
         "/opt/libjemalloc.so.2:" AGENT ":/b/libjemalloc.so.1",
         "the user's first jemalloc wins, the second stays where it was"},
        {"/libjemalloc/libfoo.so", JE ":" AGENT ":/libjemalloc/libfoo.so",
         "libjemalloc in a directory name is not a jemalloc"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = merge(cases[i].existing, true);
        CHECK_INT(r, 0, "%s: ok", cases[i].why);
        CHECK_STR(out, cases[i].want, "%s", cases[i].why);
    }

    const char *user = "/a.so:/opt/libjemalloc.so.2 /b.so";
    CHECK(merge(user, true) == 0 && user_je == user + 6 && user_je_len == 21,
          "user_jemalloc points into existing at the user's entry");
    CHECK(merge("/a.so", true) == 0 && user_je == NULL && user_je_len == 0,
          "no user jemalloc: NULL, 0");
    CHECK(merge("/opt/libjemalloc.so.2", false) == 0 &&
              strcmp(out, JE ":" AGENT ":/opt/libjemalloc.so.2") == 0,
          "without skip_first_if_jemalloc ours goes first anyway: %s", out);

    const char *agent_only[] = {NULL, AGENT};
    CHECK(preload_merge("/opt/libjemalloc.so.2", agent_only, 2, true, out, sizeof(out), &user_je,
                        &user_je_len) == 0 &&
              strcmp(out, AGENT ":/opt/libjemalloc.so.2") == 0,
          "no jemalloc of ours (glibc): the agent alone, the user's jemalloc kept: %s", out);
    CHECK(preload_merge("/a.so", agent_only, 0, true, out, sizeof(out), &user_je, &user_je_len) ==
                  0 &&
              strcmp(out, "/a.so") == 0,
          "nothing to add: the user's list");
}

static void test_preload_too_long(void)
{
    static const char *const add[] = {JE, AGENT};
    char exact[256], small[16], *big = malloc(ENV_VALUE_MAX + 16);
    size_t need = strlen(JE ":" AGENT ":/a.so");

    if (!big)
        abort();
    CHECK_INT(preload_merge("/a.so", add, 2, true, exact, need, &user_je, &user_je_len),
              -ENAMETOOLONG, "no room for the NUL: -ENAMETOOLONG");
    CHECK_INT(preload_merge("/a.so", add, 2, true, exact, need + 1, &user_je, &user_je_len), 0,
              "exactly enough room: 0");
    CHECK_INT(strlen(exact), need, "all of it");
    CHECK_INT(preload_merge(NULL, add, 2, true, small, 0, &user_je, &user_je_len), -ENAMETOOLONG,
              "outsz 0: -ENAMETOOLONG");
    CHECK_INT(preload_merge(NULL, add, 2, true, small, sizeof(small), &user_je, &user_je_len),
              -ENAMETOOLONG, "our own entries too long: -ENAMETOOLONG");
    CHECK(memchr(small, '\0', sizeof(small)) != NULL, "still NUL-terminated");

    memset(big, 'a', ENV_VALUE_MAX + 8);
    big[0] = '/';
    big[ENV_VALUE_MAX + 8] = '\0';
    CHECK_INT(merge(big, true), -ENAMETOOLONG, "a huge user LD_PRELOAD: -ENAMETOOLONG");
    big[ENV_VALUE_MAX - 1 - strlen(JE ":" AGENT ":")] = '\0';
    CHECK_INT(merge(big, true), 0, "one that just fits: 0");
    CHECK_INT(strlen(out), ENV_VALUE_MAX - 1, "fills the buffer");
    free(big);
}

static void test_tunables(void)
{
    static const char *const names[] = {"glibc.malloc.mmap_threshold",
                                        "glibc.malloc.trim_threshold"};
    static const char *const values[] = {"131072", "131072"};
    static const struct {
        const char *existing, *want, *why;
    } cases[] = {
        {NULL, "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072",
         "no GLIBC_TUNABLES: ours"},
        {"", "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072",
         "empty GLIBC_TUNABLES: ours, no stray colon"},
        {"glibc.malloc.trim_threshold=0",
         "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=0",
         "the user's trim_threshold wins, ours not added"},
        {"glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536",
         "glibc.malloc.trim_threshold=131072:glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold="
         "65536",
         "the user's entries last, in their order"},
        {"glibc.malloc.mmap_threshold_x=1",
         "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_"
         "threshold_x=1",
         "a longer name is another tunable"},
        {"x.glibc.malloc.trim_threshold=1",
         "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072:x.glibc.malloc."
         "trim_threshold=1",
         "a name must match from its start"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(tunables_merge(cases[i].existing, names, values, 2, out, sizeof(out)), 0,
                  "%s: ok", cases[i].why);
        CHECK_STR(out, cases[i].want, "%s", cases[i].why);
    }
    CHECK(tunables_merge("a=b", names, values, 0, out, sizeof(out)) == 0 && !strcmp(out, "a=b"),
          "nothing to add: the user's value");

    char small[40];
    CHECK_INT(tunables_merge(NULL, names, values, 2, small, sizeof(small)), -ENAMETOOLONG,
              "too long: -ENAMETOOLONG");
    CHECK_INT(tunables_merge(NULL, names, values, 2, small, 0), -ENAMETOOLONG,
              "outsz 0: -ENAMETOOLONG");
    CHECK_INT(tunables_merge("glibc.malloc.mmap_threshold=1:glibc.malloc.trim_threshold=1", names,
                             values, 2, small, sizeof(small)),
              -ENAMETOOLONG, "the user's own value too long for out: -ENAMETOOLONG");
}

static size_t count(char **env)
{
    size_t n = 0;

    while (env[n])
        n++;
    return n;
}

static void test_env_build(void)
{
    char *envp[] = {"A=1", "LD_PRELOAD=/x.so", "B=2", "LD=short", "FOO", "A=3", NULL};
    struct env_change changes[] = {
        {"LD_PRELOAD", JE},
        {"MALLOC_CONF", "narenas:2"},
        {"B", NULL},
        {"A", "9"},
    };
    char **env;

    env = env_build(envp, changes, 4);
    CHECK(env != NULL, "env_build");
    if (!env)
        return;
    CHECK_INT(count(env), 5, "2 kept, 2 replaced (two A's as one), 1 added, 1 removed");
    CHECK(env[0] == envp[3] && env[1] == envp[4], "untouched entries shared, in order");
    CHECK_STR(env[0], "LD=short", "a key that is a prefix is another key");
    CHECK_STR(env[1], "FOO", "an entry without '=' kept");
    CHECK_STR(env[2], "LD_PRELOAD=" JE, "LD_PRELOAD replaced");
    CHECK_STR(env[3], "MALLOC_CONF=narenas:2", "MALLOC_CONF added");
    CHECK_STR(env[4], "A=9", "every A replaced by one");
    CHECK(env[5] == NULL, "NULL-terminated");
    free(env);

    env = env_build(NULL, changes, 2);
    CHECK(env && count(env) == 2 && strcmp(env[0], "LD_PRELOAD=" JE) == 0,
          "envp NULL: the changes alone");
    free(env);

    env = env_build(envp, NULL, 0);
    CHECK(env && count(env) == 6 && env[5] == envp[5], "no changes: a copy of envp");
    free(env);

    struct env_change remove_only = {"NOPE", NULL};
    env = env_build(NULL, &remove_only, 1);
    CHECK(env && count(env) == 0, "envp NULL, a removal: empty");
    free(env);

    struct env_change empty = {"E", ""};
    env = env_build(NULL, &empty, 1);
    CHECK(env && count(env) == 1 && strcmp(env[0], "E=") == 0, "an empty value is set");
    free(env);
}

static void test_plain(void)
{
    static const struct {
        const char *v;
        bool plain;
    } cases[] = {
        {"narenas:2,dirty_decay_ms:1000", true},
        {"/usr/lib/libjemalloc.so.2:/opt/agent.so", true},
        {"glibc.malloc.trim_threshold=131072", true},
        {"a+b-c@d%e_f", true},
        {"", false},
        {"a b", false},
        {"a'b", false},
        {"a\"b", false},
        {"$HOME", false},
        {"a;b", false},
        {"a*", false},
        {"~", false},
        {"a\tb", false},
        {"a\nb", false},
        {"\xc3\xa9", false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(env_value_is_plain(cases[i].v) == cases[i].plain, "'%s' is %s", cases[i].v,
              cases[i].plain ? "plain" : "not plain");
}

static void test_format_line(void)
{
    static const struct {
        const char *value, *want;
    } cases[] = {
        {"narenas:2,dirty_decay_ms:1000", "MALLOC_CONF=narenas:2,dirty_decay_ms:1000\n"},
        {"", "MALLOC_CONF=''\n"},
        {"a b", "MALLOC_CONF='a b'\n"},
        {"it's", "MALLOC_CONF='it'\\''s'\n"},
        {"'", "MALLOC_CONF=''\\'''\n"},
        {"$HOME;`x`\"\\", "MALLOC_CONF='$HOME;`x`\"\\'\n"},
        {"two\nlines", "MALLOC_CONF='two\nlines'\n"},
    };
    char line[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(env_format_line("MALLOC_CONF", cases[i].value, line, sizeof(line)), 0,
                  "format '%s'", cases[i].value);
        CHECK_STR(line, cases[i].want, "format '%s'", cases[i].value);
    }
    CHECK_INT(env_format_line("K", "abc", line, 7), 0, "plain, exactly enough room");
    CHECK_STR(line, "K=abc\n", "all of it");
    CHECK(env_format_line("K", "abcd", line, 7) == -ENAMETOOLONG && line[0] == '\0',
          "plain, one byte short: -ENAMETOOLONG, out empty");
    CHECK_INT(env_format_line("K", "a'b", line, 12), 0, "quoted, exactly enough room");
    CHECK_STR(line, "K='a'\\''b'\n", "all of it, quoted");
    CHECK(env_format_line("K", "a'b", line, 11) == -ENAMETOOLONG && line[0] == '\0',
          "quoted, one byte short: -ENAMETOOLONG, out empty");
    CHECK_INT(env_format_line("K", "a", line, 0), -ENAMETOOLONG, "outsz 0");

    char guard[8];
    memset(guard, 'X', sizeof(guard));
    CHECK(env_format_line("K", "", guard, 5) == -ENAMETOOLONG && guard[0] == '\0',
          "empty value, one byte short: -ENAMETOOLONG");
    CHECK(guard[5] == 'X' && guard[6] == 'X', "and nothing written past outsz");
    CHECK_INT(env_format_line("K", "", guard, 6), 0, "empty value, exactly enough room");
    CHECK_STR(guard, "K=''\n", "the empty value quoted");
}

int main(void)
{
    test_preload();
    test_preload_too_long();
    test_tunables();
    test_env_build();
    test_plain();
    test_format_line();
    /* env_mark / env_unmark: jeinit's exports undone beneath it */
    {
        char *user_env[] = {"PATH=/bin", "MALLOC_CONF=narenas:7", NULL};
        struct env_change set[] = {{"MALLOC_CONF", "narenas:1,narenas:7"},
                                   {"LD_PRELOAD", "/lib/libjemalloc.so.2"}};
        static struct env_marks mk;
        char **child, **back;

        env_mark(user_env, set, 2, &mk);
        CHECK_INT(mk.n, 2, "one JEINIT_USER_ (MALLOC_CONF had a value) and JEINIT_SET");
        /* env_build shares the strings of the envp it is given: keep it */
        char **first = env_build(user_env, set, 2);
        child = env_build(first, mk.changes, mk.n);
        back = env_unmark(child);
        CHECK(back != NULL, "marks found");
        CHECK_STR(env_lookup(back, "MALLOC_CONF"), "narenas:7", "the user's MALLOC_CONF back");
        CHECK(env_lookup(back, "LD_PRELOAD") == NULL, "LD_PRELOAD the user did not have: gone");
        CHECK(env_lookup(back, "JEINIT_SET") == NULL &&
                  env_lookup(back, "JEINIT_USER_MALLOC_CONF") == NULL,
              "the marks are gone");
        CHECK_STR(env_lookup(back, "PATH"), "/bin", "the rest untouched");
        free(back);
        {
            struct env_change changed[] = {{"MALLOC_CONF", "narenas:3"}};
            char **prog = env_build(child, changed, 1);
            back = env_unmark(prog);
            CHECK_STR(env_lookup(back, "MALLOC_CONF"), "narenas:3",
                      "a value changed since jeinit set it is kept");
            free(back);
            free(prog);
        }
        free(child);
        free(first);
        CHECK(env_unmark(user_env) == NULL, "no marks: nothing to undo");
    }
    return check_done();
}
