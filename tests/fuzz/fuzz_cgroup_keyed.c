/* fuzz_cgroup_keyed.c - libFuzzer harness for cg_parse_keyed, cg_kv_get and
 * cg_keyed_find (which must agree with the table, when it did not fill up).
 * The input is parsed into a large table and into a small one sized from the
 * input length (both allocated to their exact size, so ASan sees any write
 * past cap); the small table must be a prefix of the large one. */
#include "cgroup_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define BIG_CAP 512

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 1;

    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

static void check_table(const char *buf, size_t len, const struct cg_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t klen = strnlen(kv[i].key, CG_KEY_MAX);
        uint64_t v = 0;
        size_t first = i;

        INVARIANT(klen > 0 && klen < CG_KEY_MAX);
        for (size_t k = 0; k < klen; k++)
            INVARIANT(kv[i].key[k] > ' ' && kv[i].key[k] < 0x7f);
        INVARIANT(memmem(buf, len, kv[i].key, klen) != NULL);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(kv[j].key, kv[i].key) == 0) {
                first = j;
                break;
            }
        }
        INVARIANT(cg_kv_get(kv, n, kv[i].key, &v) == 0);
        INVARIANT(v == kv[first].value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t lines = count_lines(buf, size);
    size_t small_cap = size % 8;
    struct cg_kv *big = malloc(BIG_CAP * sizeof(*big));
    struct cg_kv *small = small_cap ? malloc(small_cap * sizeof(*small)) : NULL;
    size_t nb = SIZE_MAX, sb = SIZE_MAX, ns = SIZE_MAX, ss = SIZE_MAX, n2 = SIZE_MAX;
    uint64_t v = 0;
    int rb, rs, r2;

    if (!big || (small_cap && !small))
        abort();

    rb = cg_parse_keyed(buf, size, big, BIG_CAP, &nb, &sb);
    INVARIANT(rb == 0 || rb == -ENOSPC);
    INVARIANT(nb <= BIG_CAP && (rb == 0 || nb == BIG_CAP));
    INVARIANT(nb + sb <= lines);
    check_table(buf, size, big, nb);
    INVARIANT(cg_kv_get(big, nb, "not a key", &v) == -ENOENT);
    INVARIANT(cg_kv_get(big, nb, "", &v) == -ENOENT);

    rs = cg_parse_keyed(buf, size, small, small_cap, &ns, &ss);
    INVARIANT(rs == 0 || rs == -ENOSPC);
    INVARIANT(ns <= small_cap && (rs == 0 || ns == small_cap));
    INVARIANT(ns <= nb);
    if (rb == 0)
        INVARIANT(rs == (nb > small_cap ? -ENOSPC : 0));
    if (rs == 0)
        INVARIANT(ns == nb && ss == sb);
    else
        INVARIANT(ss <= sb);
    for (size_t i = 0; i < ns; i++)
        INVARIANT(strcmp(small[i].key, big[i].key) == 0 && small[i].value == big[i].value);

    /* the tableless lookup finds what the table holds, first key first */
    if (rb == 0) {
        for (size_t i = 0; i < nb; i++) {
            uint64_t a = 0, b = 0;
            INVARIANT(cg_keyed_find(buf, size, big[i].key, &a) == 0);
            INVARIANT(cg_kv_get(big, nb, big[i].key, &b) == 0 && a == b);
        }
        INVARIANT(cg_keyed_find(buf, size, "not a key", &v) == -ENOENT);
    }

    /* skipped is optional and changes nothing. */
    r2 = cg_parse_keyed(buf, size, small, small_cap, &n2, NULL);
    INVARIANT(r2 == rs && n2 == ns);

    free(small);
    free(big);
    return 0;
}
