/* Unit tests of plot.c and svg.c: what `jeinit report` reads from a log
 * (jeinit lines among others, both memory line formats, events), its
 * bounds (samples merged with their peaks kept, processes, events), and a
 * drawing that escapes what came from the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plot.h"
#include "svg.h"

static bool feed(struct plot *p, const char *line)
{
    return plot_feed(p, line, strlen(line));
}

/* A memory line at second s with usage u MiB and one process (pid, rss MiB). */
static void memory_at(struct plot *p, int s, unsigned u, int pid, unsigned rss)
{
    char line[1024];

    (void)snprintf(
        line, sizeof(line),
        "{\"ts\":\"2026-11-30T10:%02d:%02d.000Z\",\"level\":\"info\",\"event\":\"memory\","
        "\"limit_bytes\":536870912,\"limit_unlimited\":false,\"usage_bytes\":%u,"
        "\"processes\":[{\"pid\":%d,\"comm\":\"w\",\"rss_bytes\":%u}]}",
        s / 60 % 60, s % 60, u << 20, pid, rss << 20);
    (void)feed(p, line);
}

static uint64_t max_usage(const struct plot *p)
{
    uint64_t m = 0;

    for (size_t i = 0; i < p->n; i++)
        if (p->usage[i] != PLOT_NONE && p->usage[i] > m)
            m = p->usage[i];
    return m;
}

static void test_ts(void)
{
    int64_t ms = -1;

    CHECK(plot_parse_ts("2026-11-30T16:26:53.205Z", 24, &ms) == 0 && ms == 1796056013205,
          "a log timestamp is ms since the epoch");
    CHECK(plot_parse_ts("2000-02-29T00:00:00.000Z", 24, &ms) == 0 && ms == 951782400000,
          "a leap day");
    CHECK(plot_parse_ts("1970-01-01T00:00:00.000Z", 24, &ms) == 0 && ms == 0, "the epoch");
    CHECK(plot_parse_ts("2026-11-30 16:26:53.205Z", 24, &ms) < 0, "a space for T is refused");
    CHECK(plot_parse_ts("2026-13-30T16:26:53.205Z", 24, &ms) < 0, "month 13 is refused");
    CHECK(plot_parse_ts("2026-11-30T16:26:53.205", 23, &ms) < 0, "no Z is refused");
    CHECK(plot_parse_ts("2026-11-30T16:2x:53.205Z", 24, &ms) < 0, "a letter is refused");
}

static void test_depth(void)
{
    char deep[64];

    memset(deep, '[', 17);
    deep[17] = '\0';
    CHECK(!plot_depth_ok(deep, 17, 16), "17 levels are too deep");
    CHECK(plot_depth_ok(deep, 16, 16), "16 levels are fine");
    CHECK(plot_depth_ok("{\"a\":\"[[[[[[[[[[[[[[[[[[[[\"}", 27, 2),
          "brackets in strings do not count");
    CHECK(plot_depth_ok("{\"a\":\"\\\"[[[[[[[\"}", 17, 1), "nor after an escaped quote");
}

static void test_lines(void)
{
    struct plot *p = plot_new();
    size_t top[4];

    CHECK(!feed(p, "Killed"), "program output is skipped");
    CHECK(!feed(p, "{\"ts\":\"2026-11-30T10:00:00.000Z\",\"event\":\"memory\"}"),
          "no level: skipped");
    CHECK(!feed(p, "{\"ts\":\"yesterday\",\"level\":\"info\",\"event\":\"memory\"}"),
          "a bad ts: skipped");
    CHECK(!feed(p, "{\"ts\":\"2026-11-30T10:00:00.000Z\",\"level\":\"info\",\"event\":\"memory\""),
          "cut short: skipped");
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:00:00.000Z\",\"level\":\"info\",\"event\":\"start\","
                  "\"limits\":{\"memory_bytes\":536870912,\"memory_unlimited\":false,"
                  "\"memory_high_bytes\":402653184}}"),
          "a start line is read");
    CHECK_U64(p->start_high, 402653184, "memory.high from the start line");
    CHECK(feed(p,
               "2026-11-30T10:00:01.000000001Z stderr F {\"ts\":\"2026-11-30T10:00:01.000Z\","
               "\"level\":\"info\",\"event\":\"memory\",\"limit_bytes\":536870912,"
               "\"limit_unlimited\":false,\"ceiling_bytes\":402653184,\"usage_bytes\":104857600,"
               "\"processes\":[{\"pid\":7,\"comm\":\"py<th>on\",\"rss_bytes\":73400320,"
               "\"allocated_bytes\":52428800,\"held_bytes\":10485760},{\"pid\":8,\"comm\":\"sh\","
               "\"rss_bytes\":1048576,\"allocator\":null}],"
               "\"diagnosis\":{\"state\":\"stable\",\"why\":\"flat\"}}"),
          "a memory line behind a container runtime's prefix is read");
    CHECK_INT(p->n, 1, "one sample");
    CHECK_U64(p->usage[0], 104857600, "its usage");
    CHECK_U64(p->limit[0], 536870912, "its limit");
    CHECK_U64(p->high[0], 402653184, "memory.high carried from the start line");
    CHECK_INT(p->nproc, 2, "two processes");
    CHECK_STR(p->proc[0]->comm, "py<th>on", "the name kept (svg.c escapes it)");
    CHECK_U64(p->proc[0]->allocated[0], 52428800, "allocated bytes");
    CHECK_U64(p->proc[0]->held[0], 10485760, "held bytes");
    CHECK(p->proc[1]->allocated[0] == PLOT_NONE && !p->proc[1]->has_allocator,
          "no allocator figures: absent, not zero");
    CHECK(p->nevent == 2 && p->event[1].kind == PEV_DIAGNOSIS &&
              strcmp(p->event[1].text, "diagnosis: stable") == 0,
          "the first diagnosis is an event");
    /* the next format: an others summary, a reason, the same diagnosis */
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:05:00.000Z\",\"level\":\"info\",\"event\":\"memory\","
                  "\"reason\":\"heartbeat\",\"msg\":\"memory 120 MiB of 512 MiB\","
                  "\"limit_unlimited\":true,\"usage_bytes\":125829120,\"processes\":[],"
                  "\"others\":{\"processes\":40,\"rss_bytes\":209715200},"
                  "\"diagnosis\":{\"state\":\"stable\"}}"),
          "a heartbeat line with an others summary is read");
    CHECK(p->n == 2 && p->t_ms[1] - p->t_ms[0] == 299000, "its time, 299 s later");
    CHECK(p->limit[1] == PLOT_NONE, "limit_unlimited: no limit");
    CHECK(p->nproc == 3 && p->proc[2]->pid == -1 && p->proc[2]->peak_rss == 209715200,
          "others drawn as one series");
    CHECK_INT(p->nevent, 2, "the same diagnosis is not a new event");
    CHECK_INT(plot_top(p, top, 2), 2, "top 2 of 3");
    CHECK(top[0] == 2 && top[1] == 0, "by peak RSS, largest first");
    CHECK(feed(p,
               "{\"ts\":\"2026-11-30T10:05:01.000Z\",\"level\":\"error\",\"event\":\"oom_kill\","
               "\"count\":1,\"victim\":{\"pid\":7,\"comm\":\"python\",\"rss_bytes\":524288000}}"),
          "an oom_kill line is read");
    CHECK_STR(p->event[2].text, "OOM kill: python (pid 7, 500 MiB RSS)", "its sentence");
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:05:02.000Z\",\"level\":\"info\",\"event\":\"purge\","
                  "\"reason\":\"near the limit\",\"released_bytes\":33554432}"),
          "a purge line is read");
    CHECK_STR(p->event[3].text, "purge: 32 MiB released (near the limit)", "its sentence");
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:05:03.000Z\",\"level\":\"warn\",\"event\":\"oom\","
                  "\"count\":10}"),
          "an oom line is read (a 3-letter event: the fuzzer found a read past it)");
    CHECK(p->event[4].kind == PEV_OOM &&
              strcmp(p->event[4].text, "cgroup out of memory (10 times)") == 0,
          "its sentence: %s", p->event[4].text);
    CHECK(p->skipped == 4 && p->jeinit_lines == 6, "4 lines skipped, 6 read");
    plot_free(p);
}

static void test_bounds(void)
{
    struct plot *p = plot_new();
    int pid = 100;

    for (int s = 0; s < 3000; s++)
        memory_at(p, s, s == 1777 ? 400 : 100, 1, 10);
    CHECK(p->n <= PLOT_SAMPLES_MAX && p->n >= PLOT_SAMPLES_MAX / 2, "3000 lines fit in %zu samples",
          p->n);
    CHECK_INT(p->stride, 4, "each stands for 4 lines");
    CHECK_U64(max_usage(p), (uint64_t)400 << 20, "the one-line peak survived the merging");
    CHECK_INT(p->memory_lines, 3000, "every line counted");
    for (int i = 0; i < 2 * PLOT_PROCS_MAX; i++)
        memory_at(p, 3000 + i, 100, pid++, 1 + (unsigned)i);
    CHECK_INT(p->nproc, PLOT_PROCS_MAX, "processes bounded");
    CHECK(p->procs_replaced > 0, "smaller ones replaced by larger ones");
    CHECK(plot_top(p, (size_t[1]){0}, 1) == 1, "a top process");
    for (int i = 0; i < PLOT_EVENTS_MAX + 10; i++)
        feed(p, "{\"ts\":\"2026-11-30T11:00:00.000Z\",\"level\":\"warn\",\"event\":\"memory_max\","
                "\"count\":1}");
    feed(p, "{\"ts\":\"2026-11-30T11:00:01.000Z\",\"level\":\"error\",\"event\":\"oom_kill\"}");
    CHECK_INT(p->nevent, PLOT_EVENTS_MAX, "events bounded");
    CHECK(p->event[PLOT_EVENTS_MAX - 1].kind == PEV_OOM_KILL,
          "an OOM kill replaces a minor event when full");
    CHECK(p->event_count[PEV_MEMORY_MAX] == PLOT_EVENTS_MAX + 10 && p->events_dropped == 11,
          "every event counted, the dropped too");
    plot_free(p);
}

static void test_post_mortem(void)
{
    struct plot *p = plot_new();

    memory_at(p, 0, 100, 1, 50);
    memory_at(p, 10, 40, 2, 30);
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:00:10.500Z\",\"level\":\"error\",\"event\":"
                  "\"oom_kill\",\"last_samples\":[{\"t_s\":-5.5,\"usage_bytes\":199229440},"
                  "{\"t_s\":-3.0,\"usage_bytes\":209715200},{\"t_s\":\"x\"},{\"t_s\":-99999}]}"),
          "an oom_kill line with its last samples");
    CHECK_INT(p->n, 4, "two usage points inserted between the memory lines");
    CHECK(p->t_ms[1] - p->t_ms[0] == 5000 && p->t_ms[2] - p->t_ms[0] == 7500 &&
              p->t_ms[3] - p->t_ms[0] == 10000,
          "in time order");
    CHECK_U64(p->usage[2], (uint64_t)200 << 20, "the climb before the kill is drawn");
    CHECK(p->proc[0]->rss[1] == (uint64_t)50 << 20 && p->proc[0]->rss[2] == (uint64_t)50 << 20,
          "a process's value holds from the line before");
    CHECK(p->proc[1]->rss[1] == PLOT_NONE && p->proc[1]->rss[3] == (uint64_t)30 << 20,
          "one that appeared later stays absent before");
    CHECK(p->limit[1] == p->limit[0], "the limit too");
    CHECK_INT(p->between, 2, "counted");
    CHECK_INT(p->memory_lines, 2, "not as memory lines");
    plot_free(p);
}

static void test_memory_process(void)
{
    struct plot *p = plot_new();

    feed(p, "{\"ts\":\"2026-11-30T10:00:01.000Z\",\"level\":\"info\",\"event\":\"memory\","
            "\"seq\":5,\"usage_bytes\":104857600,\"processes\":[]}");
    CHECK(feed(p, "{\"ts\":\"2026-11-30T10:00:01.000Z\",\"level\":\"info\",\"event\":"
                  "\"memory_process\",\"seq\":5,\"pid\":9,\"comm\":\"app\",\"rss_bytes\":"
                  "73400320,\"allocated_bytes\":52428800}"),
          "a memory_process line is read");
    feed(p, "{\"ts\":\"2026-11-30T10:00:01.000Z\",\"level\":\"info\",\"event\":"
            "\"memory_process\",\"seq\":4,\"pid\":10,\"rss_bytes\":1}");
    CHECK(p->nproc == 1 && p->proc[0]->pid == 9 && p->proc[0]->rss[0] == 73400320 &&
              p->proc[0]->allocated[0] == 52428800,
          "its process joins its memory line's sample; another seq's does not");
    plot_free(p);
}

static void test_svg(void)
{
    struct plot *p = plot_new();
    size_t len = 0;
    char *svg;

    feed(p, "{\"ts\":\"2026-11-30T10:00:01.000Z\",\"level\":\"info\",\"event\":\"memory\","
            "\"limit_bytes\":536870912,\"usage_bytes\":104857600,\"processes\":[{\"pid\":7,"
            "\"comm\":\"a<b>&\\\"c\\u00e9\\u0001\",\"rss_bytes\":73400320}]}");
    feed(p, "{\"ts\":\"2026-11-30T10:00:02.000Z\",\"level\":\"error\",\"event\":\"oom_kill\"}");
    svg = svg_render(p, &len);
    CHECK(svg && len == strlen(svg), "a document");
    CHECK(svg && strstr(svg, "<svg ") && strstr(svg, "</svg>\n"), "an svg element");
    CHECK(svg && strstr(svg, "a&lt;b&gt;&amp;&quot;c???"), "the name escaped, non-ASCII as '?'");
    CHECK(svg && !strstr(svg, "<script") && !strstr(svg, "href"), "no script, no link");
    CHECK(svg && strstr(svg, ">K</text><title>OOM kill</title>"), "the OOM kill marked");
    free(svg);
    plot_free(p);
}

/* `jeinit report` marks a heap profile (its info line; the warnings are
 * not profiles) with the first site's function. */
static void test_heap_profile(void)
{
    struct plot *p = plot_new();

    CHECK(feed(p,
               "{\"ts\":\"2026-11-30T10:00:01.000Z\",\"level\":\"info\",\"event\":\"heap_profile\","
               "\"msg\":\"pid 2 (leaker): heap grew 9.0 MiB\",\"pid\":2,\"grown_bytes\":9437184,"
               "\"sites\":[{\"fn\":\"leak_into_the_distinctive_sink\",\"module\":\"leaker\","
               "\"addr\":\"0x1345\",\"bytes\":9437184,\"objects\":144}]}"),
          "a heap_profile line is read");
    CHECK(feed(p,
               "{\"ts\":\"2026-11-30T10:00:02.000Z\",\"level\":\"warn\",\"event\":\"heap_profile\","
               "\"msg\":\"the heap keeps growing; heap profiles: unavailable\"}"),
          "a heap_profile warning is read");
    CHECK_INT(p->event_count[PEV_HEAP_PROFILE], 1, "one heap profile marked (not the warning)");
    CHECK(p->nevent == 1 && p->event[0].kind == PEV_HEAP_PROFILE &&
              strstr(p->event[0].text, "pid 2") &&
              strstr(p->event[0].text, "leak_into_the_distinctive_sink"),
          "its text names the process and the top site (%s)", p->nevent ? p->event[0].text : "");
    plot_free(p);
}

int main(void)
{
    test_heap_profile();
    test_ts();
    test_depth();
    test_lines();
    test_bounds();
    test_post_mortem();
    test_memory_process();
    test_svg();
    return check_done();
}
