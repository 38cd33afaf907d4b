/* envplan.h - the program's environment: LD_PRELOAD and GLIBC_TUNABLES
 * merging (pure, fuzzed) and the final envp (one allocation, before fork). */
#ifndef JEINIT_ENVPLAN_H
#define JEINIT_ENVPLAN_H

#include <stdbool.h>
#include <stddef.h>

#define ENV_VALUE_MAX 4096

/* Prepends the libraries in add[] (in order) to the existing LD_PRELOAD
 * (entries separated by ':' or ' ', as ld.so reads it), keeping the user's
 * entries after them and adding none twice. An existing libjemalloc entry
 * wins over add[0] when skip_first_if_jemalloc: *user_jemalloc then points
 * into existing at it (length *user_jemalloc_len). -ENAMETOOLONG when the
 * result does not fit outsz. */
int preload_merge(const char *existing, const char *const add[], size_t nadd,
                  bool skip_first_if_jemalloc, char *out, size_t outsz, const char **user_jemalloc,
                  size_t *user_jemalloc_len);

/* Adds "name=value" tunables that the existing GLIBC_TUNABLES
 * ("a=b:c=d") does not set; the user's own entries come last and win.
 * -ENAMETOOLONG when it does not fit. */
int tunables_merge(const char *existing, const char *const names[], const char *const values[],
                   size_t n, char *out, size_t outsz);

struct env_change {
    const char *key;
    const char *value; /* NULL: remove */
};

/* A new envp: envp with each change applied (replacing or appending).
 * Allocates once; NULL on ENOMEM. The strings of envp are shared. */
char **env_build(char *const envp[], const struct env_change *changes, size_t n);

/* jeinit's own exports, marked so that a jeinit started beneath it (the
 * image's ENTRYPOINT running `jeinit --inspect`, or an init nested in a
 * program) sees the user's values, not jeinit's: for each variable jeinit
 * changed, JEINIT_SET lists "KEY:HASH" (FNV-1a of the value it set, in hex)
 * and JEINIT_USER_KEY holds the user's value when there was one. */
#define ENV_MARK_KEYS 4 /* MALLOC_CONF, LD_PRELOAD, MALLOC_ARENA_MAX, GLIBC_TUNABLES */
#define ENV_MARK_MAX  (ENV_MARK_KEYS * 48 + 16)

struct env_marks {
    char set[ENV_MARK_MAX];            /* JEINIT_SET's value */
    char user_keys[ENV_MARK_KEYS][48]; /* "JEINIT_USER_KEY" */
    struct env_change changes[ENV_MARK_KEYS + 1];
    size_t n;
};

/* The marks for changes (those of the four keys), with the user's values
 * read from envp; m->changes[0, m->n) are the extra variables to add. */
void env_mark(char *const envp[], const struct env_change *changes, size_t n, struct env_marks *m);

/* A new envp with jeinit's marked exports undone: a marked variable whose
 * value still hashes as jeinit set it gets the user's value back (or is
 * removed), the marks themselves go. NULL when there is nothing to undo or
 * on ENOMEM (envp is then used as it is). */
char **env_unmark(char *const envp[]);

/* True when value can be written as KEY=value in a shell or a Docker
 * --env-file without quoting. */
bool env_value_is_plain(const char *value);

/* "KEY=value\n", or "KEY='value'\n" with each ' written '\'' when the value
 * is not plain: a line a POSIX shell reads back exactly. -ENAMETOOLONG when it
 * does not fit outsz (out is then empty). */
int env_format_line(const char *key, const char *value, char *out, size_t outsz);

#endif
