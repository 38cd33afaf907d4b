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

/* True when value can be written as KEY=value in a shell or a Docker
 * --env-file without quoting. */
bool env_value_is_plain(const char *value);

/* "KEY=value\n", or "KEY='value'\n" with each ' written '\'' when the value
 * is not plain: a line a POSIX shell reads back exactly. -ENAMETOOLONG when it
 * does not fit outsz (out is then empty). */
int env_format_line(const char *key, const char *value, char *out, size_t outsz);

#endif
