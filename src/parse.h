/* parse.h - pure parsers for the values users type: flags, environment
 * variables and Kubernetes quantities. NUL-terminated input, no I/O, no
 * globals; each returns 0 or a negative errno (-EINVAL malformed, -ERANGE out
 * of range) and leaves *out untouched on error. Fuzzed by tests/fuzz/fuzz_parse.c. */
#ifndef JEINIT_PARSE_H
#define JEINIT_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Unsigned decimal, no sign, no spaces, no suffix. */
int parse_u64(const char *s, uint64_t *out);

/* Decimal integer in [min, max]. */
int parse_int_range(const char *s, int64_t min, int64_t max, int64_t *out);

/* 1/0, true/false, yes/no, on/off (any case). */
int parse_bool(const char *s, bool *out);

/* A signal by name ("SIGTERM", "TERM", "sigterm", "SIGRTMIN+3") or number
 * (1..SIGRTMAX). */
int parse_signal(const char *s, int *signo);

/* "SIGTERM" for 15, "SIGRTMIN+3"; NULL when unknown. */
const char *signal_name(int signo);

/* A duration in seconds, decimals allowed ("10", "0.5", "2.25s"), or with an
 * "ms" suffix ("1500ms"); 0 .. 10 days. Result in milliseconds. */
int parse_duration_ms(const char *s, int64_t *ms);

/* A Kubernetes memory quantity to bytes: "536870912", "512Mi", "1Gi", "1G",
 * "1.5Gi", "500M", "1e9", "128k". A fractional byte count is -EINVAL; zero is
 * -ERANGE (a zero memory limit is never meant). */
int parse_memory_quantity(const char *s, uint64_t *bytes);

/* A Kubernetes CPU quantity to millicores: "2", "1.5", "1500m", "0.25". Zero
 * and values above 1,000,000 CPUs are -ERANGE. */
int parse_cpu_quantity(const char *s, uint64_t *millicores);

/* A percentage 1..100 ("90", "90%"). */
int parse_percent(const char *s, unsigned *out);

#endif
