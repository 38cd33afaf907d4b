/* test_metrics.c - the metrics endpoint's pure parts: the --metrics address,
 * the request parser (whole, split at every byte, hostile), label values
 * from hostile process names, grouping by name with its bound, and the page:
 * its families, unknown figures left out, and truncation at a family
 * boundary. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"
#include "metrics_parse.h"
#include "metrics_text.h"

#define M (UINT64_C(1) << 20)

static void test_addr(void)
{
    struct metrics_addr a;
    char shown[64];
    static const char *const bad[] = {
        "",
        "9090",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:0",
        "1.2.3.4:65536",
        "::1:9090",
        "[::1]9090",
        "[]:9090",
        "[::1]:x",
        "localhost:9090",
        "1.2.3:9090",
        "[1.2.3.4]:90",
        "127.0.0.1:90a",
        "127.0.0.1:-1",
    };

    CHECK_INT(metrics_parse_addr("127.0.0.1:9090", &a), 0, "IPv4 address");
    CHECK(a.family == AF_INET && a.port == 9090 && !a.any && a.addr[0] == 127 && a.addr[3] == 1,
          "IPv4: family, port and bytes");
    metrics_addr_format(&a, shown, sizeof(shown));
    CHECK_STR(shown, "127.0.0.1:9090", "IPv4 shown as given");
    CHECK_INT(metrics_parse_addr("[::1]:65535", &a), 0, "IPv6 in brackets");
    CHECK(a.family == AF_INET6 && a.port == 65535 && !a.any && a.addr[15] == 1, "IPv6 loopback");
    metrics_addr_format(&a, shown, sizeof(shown));
    CHECK_STR(shown, "[::1]:65535", "IPv6 shown in brackets");
    CHECK_INT(metrics_parse_addr("[::]:9090", &a), 0, "IPv6 any");
    CHECK(a.family == AF_INET6 && !a.any, "[::] is IPv6's any, as written");
    CHECK_INT(metrics_parse_addr(":9090", &a), 0, ":PORT");
    CHECK(a.any && a.family == AF_INET6 && a.port == 9090, ":PORT listens on every address");
    metrics_addr_format(&a, shown, sizeof(shown));
    CHECK_STR(shown, ":9090", ":PORT shown as given");
    CHECK_INT(metrics_parse_addr("0.0.0.0:1", &a), 0, "0.0.0.0, port 1");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a.port = 4242;
        CHECK(metrics_parse_addr(bad[i], &a) < 0 && a.port == 4242, "'%s' refused, untouched",
              bad[i]);
    }
    CHECK(metrics_parse_addr(NULL, &a) < 0, "NULL refused");
}

static enum metrics_req req(const char *s)
{
    return metrics_parse_request(s, strlen(s));
}

static void test_request(void)
{
    const char *full = "GET /metrics HTTP/1.1\r\nHost: x:9090\r\nAccept: text/plain\r\n\r\n";
    const char *reason;
    int wrong = 0;

    CHECK_INT(req(full), METRICS_REQ_METRICS, "Prometheus' request");
    CHECK_INT(req("GET /metrics HTTP/1.0\n\n"), METRICS_REQ_METRICS, "bare LFs, HTTP/1.0");
    CHECK_INT(req("GET /metrics?x=1 HTTP/1.1\r\n\r\n"), METRICS_REQ_METRICS, "with a query");
    CHECK_INT(req("GET / HTTP/1.1\r\n\r\n"), METRICS_REQ_ROOT, "the root");
    CHECK_INT(req("GET /metricsx HTTP/1.1\r\n\r\n"), METRICS_REQ_NOT_FOUND, "/metricsx: 404");
    CHECK_INT(req("GET /metric HTTP/1.1\r\n\r\n"), METRICS_REQ_NOT_FOUND, "/metric: 404");
    CHECK_INT(req("GET /etc/passwd HTTP/1.1\r\n\r\n"), METRICS_REQ_NOT_FOUND, "elsewhere: 404");
    CHECK_INT(req("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), METRICS_REQ_METHOD,
              "POST: 405");
    CHECK_INT(req("HEAD /metrics HTTP/1.1\r\n\r\n"), METRICS_REQ_METHOD, "HEAD: 405");
    CHECK_INT(req("get /metrics HTTP/1.1\r\n\r\n"), METRICS_REQ_METHOD,
              "methods are case-sensitive");
    CHECK_INT(req("GET /metrics HTTP/1.1\r\n"), METRICS_REQ_INCOMPLETE, "no empty line yet");
    CHECK_INT(req("GET /metr"), METRICS_REQ_INCOMPLETE, "half a request line");
    CHECK_INT(req(""), METRICS_REQ_INCOMPLETE, "nothing yet");
    CHECK_INT(req("GET /metrics HTTP/2.0\r\n\r\n"), METRICS_REQ_BAD, "HTTP/2.0: 400");
    CHECK_INT(req("GET /metrics\r\n\r\n"), METRICS_REQ_BAD, "HTTP/0.9 style: 400");
    CHECK_INT(req("GET  /metrics HTTP/1.1\r\n\r\n"), METRICS_REQ_BAD, "two spaces: 400");
    CHECK_INT(req("GET http://x/metrics HTTP/1.1\r\n\r\n"), METRICS_REQ_BAD, "absolute form: 400");
    CHECK_INT(req("\r\n\r\n"), METRICS_REQ_BAD, "empty request line: 400");
    CHECK_INT(req("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), METRICS_REQ_BAD,
              "a TLS ClientHello: 400 at once");
    CHECK_INT(metrics_parse_request("GET /\0metrics HTTP/1.1\r\n\r\n", 27), METRICS_REQ_BAD,
              "a NUL: 400");
    CHECK_INT(req("GET /metrics HTTP/1.1x\r\n"), METRICS_REQ_BAD,
              "a bad request line is judged before the headers end");
    CHECK_INT(req("GET /met\rrics HTTP/1.1\r\n\r\n"), METRICS_REQ_BAD, "a bare CR: 400");
    CHECK_INT(metrics_parse_request(NULL, 0), METRICS_REQ_INCOMPLETE, "NULL: nothing yet");
    /* a scraper's request, however the network splits it */
    for (size_t cut = 0; cut < strlen(full); cut++)
        wrong += metrics_parse_request(full, cut) != METRICS_REQ_INCOMPLETE;
    CHECK_INT(wrong, 0, "every prefix of a good request is incomplete, never bad");
    CHECK_INT(metrics_req_status(METRICS_REQ_METHOD, &reason), 405, "405");
    CHECK_STR(reason, "Method Not Allowed", "405's reason");
    CHECK_INT(metrics_req_status(METRICS_REQ_NOT_FOUND, &reason), 404, "404");
    CHECK_INT(metrics_req_status(METRICS_REQ_BAD, &reason), 400, "400");
    CHECK_INT(metrics_req_status((enum metrics_req)99, &reason), 400, "out of range: 400");
}

static void test_label(void)
{
    char out[34];

    metrics_label_value(out, sizeof(out), "python3", 16);
    CHECK_STR(out, "python3", "a plain name");
    metrics_label_value(out, sizeof(out), "a\"b\\c", 16);
    CHECK_STR(out, "a\\\"b\\\\c", "quote and backslash escaped");
    metrics_label_value(out, sizeof(out), "x\ny\tz\x7f", 16);
    CHECK_STR(out, "x?y?z?", "control characters replaced");
    metrics_label_value(out, sizeof(out), "caf\xc3\xa9\xff", 16);
    CHECK_STR(out, "caf???", "non-ASCII bytes replaced (always valid UTF-8)");
    metrics_label_value(out, sizeof(out), "", 16);
    CHECK_STR(out, "?", "an empty name");
    metrics_label_value(out, sizeof(out), "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", 16);
    CHECK_INT(strlen(out), 30, "15 quotes, each escaped, fit");
    metrics_label_value(out, 6, "ab\"cd", 16);
    CHECK_STR(out, "ab\\\"c", "cut after a whole escape");
    metrics_label_value(out, 4, "ab\"cd", 16);
    CHECK_STR(out, "ab", "never half an escape");
    metrics_label_value(out, sizeof(out), "abcdefgh", 3);
    CHECK_STR(out, "abc", "srclen bounds the read (comm is not always terminated)");
}

static struct proc_sample proc(const char *comm, uint64_t rss, uint64_t allocated)
{
    struct proc_sample p = {.rss = rss, .pss = rss / 2, .allocated = allocated, .held = UINT64_MAX};

    if (allocated != UINT64_MAX)
        p.held = allocated / 4;
    memcpy(p.comm, comm, strnlen(comm, sizeof(p.comm)));
    return p;
}

static struct metrics_groups groups;
static char page[64 * 1024], whole[64 * 1024];

static void test_groups(void)
{
    struct proc_sample ps[300];
    size_t n = 0;
    uint64_t sum = 0;
    int unsorted = 0;

    ps[n++] = proc("gunicorn", 100 * M, 40 * M);
    ps[n++] = proc("gunicorn", 90 * M, 30 * M);
    ps[n++] = proc("gunicorn", 80 * M, UINT64_MAX);
    ps[n++] = proc("other", 1 * M, UINT64_MAX);
    for (int i = 0; i < 40; i++) {
        char name[16];
        (void)snprintf(name, sizeof(name), "w%02d", i);
        ps[n++] = proc(name, (uint64_t)(i + 1) * M, UINT64_MAX);
    }
    metrics_group_procs(ps, n, &groups);
    CHECK_INT(groups.n, METRICS_TOP_GROUPS + 1, "16 names and other");
    CHECK_STR(groups.g[0].comm, "gunicorn", "the largest first");
    CHECK_U64(groups.g[0].processes, 3, "its three processes");
    CHECK_U64(groups.g[0].rss, 270 * M, "their RSS summed");
    CHECK_U64(groups.g[0].allocated, 70 * M, "the allocated bytes of the two reporting");
    CHECK_U64(groups.g[0].reporting, 2, "two reporting");
    for (size_t i = 1; i < METRICS_TOP_GROUPS; i++)
        unsorted += groups.g[i].rss > groups.g[i - 1].rss;
    CHECK_INT(unsorted, 0, "sorted by RSS");
    CHECK_STR(groups.g[METRICS_TOP_GROUPS].comm, "other", "other last");
    /* w39..w25 are the top 15 after gunicorn: other holds w00..w24 and "other" */
    CHECK_U64(groups.g[METRICS_TOP_GROUPS].processes, 26, "25 small names and the one named other");
    for (int i = 1; i <= 25; i++)
        sum += (uint64_t)i * M;
    CHECK_U64(groups.g[METRICS_TOP_GROUPS].rss, sum + 1 * M, "their RSS summed");
    /* every process a name of its own: still bounded */
    for (n = 0; n < 300; n++) {
        char name[16];
        (void)snprintf(name, sizeof(name), "p%03zu", n);
        ps[n] = proc(name, M, UINT64_MAX);
    }
    metrics_group_procs(ps, n, &groups);
    CHECK_INT(groups.n, METRICS_TOP_GROUPS + 1, "300 names: still 16 and other");
    CHECK_U64(groups.g[METRICS_TOP_GROUPS].processes, 300 - METRICS_TOP_GROUPS,
              "other holds the rest");
    ps[0] = proc("a\"b", M, UINT64_MAX);
    ps[1] = proc("a\"b", M, UINT64_MAX);
    metrics_group_procs(ps, 2, &groups);
    CHECK(groups.n == 1 && strcmp(groups.g[0].comm, "a\\\"b") == 0, "grouped by the escaped name");
    metrics_group_procs(ps, 0, &groups);
    CHECK_INT(groups.n, 0, "no processes, no groups");
}

static size_t count(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, nl = strlen(needle);

    for (size_t i = 0; i + nl <= len; i++)
        n += memcmp(hay + i, needle, nl) == 0;
    return n;
}

static void test_render(void)
{
    struct cgroup_limits lim = {.memory_limit = 512 * M, .memory_ceiling = 512 * M};
    struct cgroup_usage u = {.present = true,
                             .current = 300 * M,
                             .peak = UINT64_MAX,
                             .anon = 200 * M,
                             .file = 90 * M,
                             .kernel = 10 * M,
                             .shmem = 0,
                             .working_set = 250 * M,
                             .ev_low = UINT64_MAX,
                             .ev_high = 3,
                             .ev_max = 1,
                             .ev_oom = 0,
                             .ev_oom_kill = 0,
                             .psi_scope = "cgroup"};
    struct diag_sample sums = {.rss = 270 * M, .reporting = 2, .allocated = 70 * M, .held = 17 * M};
    struct diagnosis diag = {.state = DIAG_HEAP_GROWTH};
    struct proc_sample ps[3] = {proc("gunicorn", 100 * M, 40 * M), proc("gunicorn", 90 * M, 30 * M),
                                proc("sh", 2 * M, UINT64_MAX)};
    struct metrics_view v = {.version = "1.2.3",
                             .monitor = true,
                             .lim = &lim,
                             .have_sample = true,
                             .usage = &u,
                             .procs = ps,
                             .nprocs = 3,
                             .sums = &sums,
                             .diag = &diag,
                             .samples = 7,
                             .lag_ms = 1500,
                             .sample_age_ms = 250};
    bool trunc = true;
    size_t len, full, help;

    u.psi.some = (struct cg_psi_line){.present = true, .avg10 = 12.5, .total_us = 3000001};
    v.health.scrapes = 4;
    v.health.rejected[METRICS_REJ_TIMEOUT] = 2;
    len = metrics_render(&v, &groups, page, sizeof(page), &trunc);
    full = len;
    CHECK(!trunc, "the page fits");
    page[len] = '\0';
    CHECK(strstr(page, "jeinit_build_info{version=\"1.2.3\"} 1\n") != NULL, "build info");
    CHECK(strstr(page, "jeinit_metrics_requests_rejected_total{reason=\"timeout\"} 2\n") != NULL,
          "rejections by reason");
    CHECK(strstr(page, "# TYPE jeinit_samples_total counter\njeinit_samples_total 7\n") != NULL,
          "a counter with its TYPE");
    CHECK(strstr(page, "jeinit_cgroup_memory_limit_bytes 536870912\n") != NULL, "the limit");
    CHECK(strstr(page, "jeinit_cgroup_memory_usage_bytes 314572800\n") != NULL, "usage");
    CHECK(strstr(page, "jeinit_cgroup_memory_peak_bytes") == NULL, "an unknown figure left out");
    CHECK(strstr(page, "jeinit_cgroup_memory_high_bytes") == NULL, "no memory.high, no family");
    CHECK(strstr(page, "{event=\"low\"}") == NULL && strstr(page, "{event=\"high\"} 3\n"),
          "events: the known ones");
    CHECK(strstr(page,
                 "jeinit_memory_pressure_ratio{scope=\"cgroup\",kind=\"some\",window=\"10s\"} "
                 "0.125\n") != NULL,
          "PSI avg10 as a ratio");
    CHECK(strstr(page, "kind=\"full\"") == NULL, "no full line, no full series");
    CHECK(strstr(page,
                 "jeinit_memory_pressure_stalled_seconds_total{scope=\"cgroup\",kind=\"some\"} "
                 "3.000001\n") != NULL,
          "PSI total in seconds, to the microsecond");
    CHECK(strstr(page, "jeinit_sample_lag_seconds 1.500000\n") != NULL, "lag in seconds");
    CHECK(strstr(page, "jeinit_diagnosis_state{state=\"heap-growth\"} 1\n") != NULL &&
              count(page, len, "jeinit_diagnosis_state{") == 8 &&
              count(page, len, "jeinit_diagnosis_state{state=\"stable\"} 0\n") == 1,
          "the diagnosis as a state set");
    CHECK(strstr(page, "jeinit_process_group_rss_bytes{comm=\"gunicorn\"} 199229440\n") != NULL,
          "a group's RSS");
    CHECK(strstr(page, "jeinit_process_group_allocated_bytes{comm=\"gunicorn\"} 73400320\n") &&
              !strstr(page, "jeinit_process_group_allocated_bytes{comm=\"sh\"}"),
          "allocator figures only for names with reporting processes");
    help = count(page, len, "# HELP ");
    CHECK(help == count(page, len, "# TYPE "), "a HELP for every TYPE");
    CHECK(count(page, len, "\n\n") == 0 && page[len - 1] == '\n', "lines end with one newline");
    CHECK(strstr(page, " counter\njeinit_sample_lag") == NULL, "no family without samples");
    /* cut short: a prefix of the whole page, ending where a family begins */
    memcpy(whole, page, full);
    for (size_t cap = 0; cap < full; cap += 37) {
        size_t l = metrics_render(&v, &groups, page, cap, &trunc);
        if (!trunc || l > cap || memcmp(page, whole, l) != 0 ||
            strncmp(whole + l, "# HELP ", 7) != 0) {
            CHECK(0, "cut short at %zu: %zu bytes, flagged %d", cap, l, trunc);
            return;
        }
    }
    CHECK(1, "every smaller buffer: flagged, a prefix of the page at a family boundary");
    len = metrics_render(&v, &groups, page, full + 1, &trunc);
    CHECK(!trunc && len == full, "the page's size and a byte (snprintf's NUL) fit");
    v.monitor = false;
    len = metrics_render(&v, &groups, page, sizeof(page), &trunc);
    page[len] = '\0';
    CHECK(!trunc && strstr(page, "jeinit_monitor_running 0\n") && !strstr(page, "jeinit_cgroup_"),
          "monitor off: jeinit's own health only");
}

int main(void)
{
    test_addr();
    test_request();
    test_label();
    test_groups();
    test_render();
    return check_done();
}
