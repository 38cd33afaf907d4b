/* fuzz_metrics.c - libFuzzer harness for the metrics endpoint's pure parts:
 *   - metrics_parse_request: a verdict, once given for a prefix, is the
 *     verdict of every longer input (so reading more never changes an
 *     answer), and is one of the enum's;
 *   - metrics_parse_addr: what it accepts formats and parses back the same;
 *   - metrics_label_value and metrics_render: process names from the input
 *     make a page of printable ASCII lines, each a comment or a jeinit_
 *     sample, with every label value's quotes escaped. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_parse.h"
#include "metrics_text.h"
#include "fuzz.h"

static struct metrics_groups groups;
static char page[16 * 1024];

static void check_request(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    enum metrics_req whole = metrics_parse_request(buf, size);
    size_t step = size > 512 ? size / 64 : 1;

    INVARIANT(whole >= METRICS_REQ_INCOMPLETE && whole <= METRICS_REQ_BAD);
    for (size_t cut = 0; cut <= size; cut += step) {
        enum metrics_req r = metrics_parse_request(buf, cut);
        INVARIANT(r == METRICS_REQ_INCOMPLETE || r == whole);
    }
}

static void check_addr(const uint8_t *data, size_t size)
{
    char s[96], shown[64];
    struct metrics_addr a, b;
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

    memcpy(s, data, n);
    s[n] = '\0';
    if (metrics_parse_addr(s, &a) < 0)
        return;
    INVARIANT(a.port > 0);
    metrics_addr_format(&a, shown, sizeof(shown));
    INVARIANT(metrics_parse_addr(shown, &b) == 0);
    INVARIANT(a.family == b.family && a.any == b.any && a.port == b.port &&
              memcmp(a.addr, b.addr, sizeof(a.addr)) == 0);
}

/* Each sample line's label values: quotes inside are escaped. */
static void check_line(const char *l, size_t n)
{
    bool in_value = false;

    for (size_t i = 0; i < n; i++) {
        INVARIANT(l[i] >= 0x20 && l[i] < 0x7f);
        if (l[i] == '\\' && in_value) {
            INVARIANT(i + 1 < n && (l[i + 1] == '\\' || l[i + 1] == '"'));
            i++;
        } else if (l[i] == '"') {
            in_value = !in_value;
        }
    }
    INVARIANT(!in_value);
    INVARIANT(strncmp(l, "# HELP jeinit_", 14) == 0 || strncmp(l, "# TYPE jeinit_", 14) == 0 ||
              strncmp(l, "jeinit_", 7) == 0);
}

static void check_render(const uint8_t *data, size_t size)
{
    struct proc_sample ps[64];
    struct metrics_view v = {.version = "fuzz", .monitor = true, .have_sample = true};
    struct diagnosis diag = {.state = DIAG_STABLE};
    size_t n = 0, len, start = 0;
    bool trunc;

    for (size_t off = 0; off + 16 <= size && n < 64; off += 16, n++) {
        memset(&ps[n], 0, sizeof(ps[n]));
        memcpy(ps[n].comm, data + off, 16);
        ps[n].rss = (uint64_t)data[off] << (data[off + 1] % 56);
        ps[n].pss = ps[n].allocated = ps[n].held = data[off + 2] & 1 ? UINT64_MAX : ps[n].rss;
    }
    v.procs = ps;
    v.nprocs = n;
    v.diag = &diag;
    len = metrics_render(&v, &groups, page, size % 2 ? sizeof(page) : 1 + size * 8 % sizeof(page),
                         &trunc);
    INVARIANT(len < sizeof(page));
    INVARIANT(groups.n <= METRICS_TOP_GROUPS + 1);
    for (size_t i = 0; i < len; i++) {
        if (page[i] != '\n')
            continue;
        check_line(page + start, i - start);
        start = i + 1;
    }
    INVARIANT(start == len); /* whole lines only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size);
    check_addr(data, size);
    check_render(data, size);
    return 0;
}
