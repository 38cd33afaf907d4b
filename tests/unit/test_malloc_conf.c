/* Unit tests of malloc_conf.c: parsing MALLOC_CONF strings as jemalloc reads
 * them, and merging jeinit's options, JEINIT_MALLOC_CONF and the user's
 * MALLOC_CONF so that the user wins key by key. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "malloc_conf.h"

static struct mc_list list;
static struct mc_merge merged;

static void test_parse_well_formed(void)
{
    CHECK_INT(malloc_conf_parse("narenas:2,dirty_decay_ms:1000,prof_prefix:/tmp/a:b", &list), 0,
              "three pairs parse");
    CHECK_INT(list.n, 3, "three pairs");
    CHECK_INT(list.nbad, 0, "none malformed");
    CHECK_STR(list.p[0].key, "narenas", "first key");
    CHECK_STR(list.p[0].value, "2", "first value");
    CHECK_STR(list.p[1].key, "dirty_decay_ms", "second key");
    CHECK_STR(list.p[2].value, "/tmp/a:b", "a value runs to the next comma, colons and all");
    CHECK_STR(list.first_bad, "", "no first_bad");

    CHECK_INT(malloc_conf_parse("A_b9:x", &list), 0, "key of [A-Za-z0-9_]");
    CHECK_INT(list.n, 1, "one pair");
    CHECK_INT(list.nbad, 0, "not malformed");

    CHECK_INT(malloc_conf_parse("narenas:1,", &list), 0, "trailing comma");
    CHECK(list.n == 1 && list.nbad == 0, "a trailing comma is no malformed pair (jemalloc only "
                                         "warns about it)");

    CHECK_INT(malloc_conf_parse("", &list), 0, "empty string");
    CHECK(list.n == 0 && list.nbad == 0, "empty string: nothing");
    memset(&list, 0x5a, sizeof(list));
    CHECK_INT(malloc_conf_parse(NULL, &list), 0, "NULL");
    CHECK(list.n == 0 && list.nbad == 0 && list.first_bad[0] == '\0', "NULL: an empty list");
}

static void test_parse_malformed(void)
{
    static const struct {
        const char *in;
        size_t n, nbad;
        const char *first_bad;
    } cases[] = {
        {"narenas", 0, 1, "narenas"},
        {"narenas:", 0, 1, "narenas:"},
        {":4", 0, 1, ":4"},
        {"na-renas:4", 0, 1, "na-renas:4"},
        {"n arenas:4", 0, 1, "n arenas:4"},
        {"narenas :4", 0, 1, "narenas :4"},
        {"a:1,bad,b:2,wor-se:3", 2, 2, "bad"},
        {"a:1,,b:2", 2, 1, "(empty: ',,' or a comma at an end)"},
        {",a:1", 1, 1, "(empty: ',,' or a comma at an end)"},
        {",", 0, 1, "(empty: ',,' or a comma at an end)"},
        {"a:1,b", 1, 1, "b"},
        {"\xff:1,a:1", 1, 1, "\xff:1"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_INT(malloc_conf_parse(cases[i].in, &list), 0, "'%s' parses", cases[i].in);
        CHECK_INT(list.n, cases[i].n, "'%s': %zu well-formed", cases[i].in, cases[i].n);
        CHECK_INT(list.nbad, cases[i].nbad, "'%s': %zu malformed", cases[i].in, cases[i].nbad);
        CHECK_STR(list.first_bad, cases[i].first_bad, "'%s': first malformed named", cases[i].in);
    }
}

static void test_parse_limits(void)
{
    char key[MC_KEY_MAX + 8], value[MC_VALUE_MAX + 8], s[MC_VALUE_MAX + MC_KEY_MAX + 64], *big;
    size_t len = 0;

    /* the longest key and value that fit, then one more */
    memset(key, 'k', MC_KEY_MAX - 1);
    key[MC_KEY_MAX - 1] = '\0';
    (void)snprintf(s, sizeof(s), "%s:1", key);
    CHECK(malloc_conf_parse(s, &list) == 0 && list.n == 1 && list.nbad == 0, "key of %d chars kept",
          MC_KEY_MAX - 1);
    CHECK_STR(list.p[0].key, key, "long key intact");
    key[MC_KEY_MAX - 1] = 'k';
    key[MC_KEY_MAX] = '\0';
    (void)snprintf(s, sizeof(s), "%s:1,a:2", key);
    CHECK(malloc_conf_parse(s, &list) == 0 && list.n == 1 && list.nbad == 1,
          "key of %d chars counted malformed, the next pair kept", MC_KEY_MAX);

    memset(value, 'v', MC_VALUE_MAX - 1);
    value[MC_VALUE_MAX - 1] = '\0';
    (void)snprintf(s, sizeof(s), "k:%s", value);
    CHECK(malloc_conf_parse(s, &list) == 0 && list.n == 1 && list.nbad == 0,
          "value of %d chars kept", MC_VALUE_MAX - 1);
    CHECK_STR(list.p[0].value, value, "long value intact");
    value[MC_VALUE_MAX - 1] = 'v';
    value[MC_VALUE_MAX] = '\0';
    (void)snprintf(s, sizeof(s), "k:%s", value);
    CHECK(malloc_conf_parse(s, &list) == 0 && list.n == 0 && list.nbad == 1,
          "value of %d chars counted malformed", MC_VALUE_MAX);
    CHECK(strlen(list.first_bad) == 80 && strncmp(list.first_bad, s, 80) == 0,
          "first_bad holds the first 80 chars");

    /* MC_PAIRS_MAX pairs fit; one more is -ENOSPC with the first ones kept */
    big = malloc(64 * (MC_PAIRS_MAX + 2));
    if (!big)
        abort();
    big[0] = '\0';
    for (int i = 0; i < MC_PAIRS_MAX; i++)
        len += (size_t)sprintf(big + len, "%sk%d:%d", i ? "," : "", i, i);
    CHECK_INT(malloc_conf_parse(big, &list), 0, "%d pairs fit", MC_PAIRS_MAX);
    CHECK_INT(list.n, MC_PAIRS_MAX, "all %d kept", MC_PAIRS_MAX);
    (void)sprintf(big + len, ",bad,k%d:%d", MC_PAIRS_MAX, MC_PAIRS_MAX);
    CHECK_INT(malloc_conf_parse(big, &list), -ENOSPC, "%d pairs: -ENOSPC", MC_PAIRS_MAX + 1);
    CHECK_INT(list.n, MC_PAIRS_MAX, "the first %d kept", MC_PAIRS_MAX);
    {
        char last[16];
        (void)snprintf(last, sizeof(last), "k%d", MC_PAIRS_MAX - 1);
        CHECK_STR(list.p[MC_PAIRS_MAX - 1].key, last, "the last kept is the %dth", MC_PAIRS_MAX);
    }
    CHECK(list.nbad == 1 && strcmp(list.first_bad, "bad") == 0,
          "malformed pairs past the limit still counted");
    free(big);
}

static void test_get(void)
{
    (void)malloc_conf_parse("narenas:2,tcache:false,narenas:4", &list);
    CHECK_STR(malloc_conf_get(&list, "narenas"), "4", "the last narenas wins, as in jemalloc");
    CHECK_STR(malloc_conf_get(&list, "tcache"), "false", "tcache");
    CHECK(malloc_conf_get(&list, "narena") == NULL, "a prefix is not a key");
    CHECK(malloc_conf_get(&list, "dirty_decay_ms") == NULL, "absent key: NULL");
    (void)malloc_conf_parse(NULL, &list);
    CHECK(malloc_conf_get(&list, "narenas") == NULL, "empty list: NULL");
}

static struct policy derived;

static void derive(void)
{
    static const char *const kv[][2] = {
        {"narenas", "2"}, {"background_thread", "true"}, {"dirty_decay_ms", "2000"}};

    memset(&derived, 0, sizeof(derived));
    for (size_t i = 0; i < 3; i++) {
        (void)snprintf(derived.opt[i].key, POLICY_KEY_MAX, "%s", kv[i][0]);
        (void)snprintf(derived.opt[i].value, POLICY_VALUE_MAX, "%s", kv[i][1]);
        (void)snprintf(derived.opt[i].reason, POLICY_REASON_MAX, "test");
    }
    derived.n = 3;
}

#define DERIVED "narenas:2,background_thread:true,dirty_decay_ms:2000"

static void test_merge(void)
{
    derive();

    malloc_conf_merge(&derived, NULL, NULL, &merged);
    CHECK_STR(merged.conf, DERIVED, "derived alone");
    CHECK(merged.noverridden == 0 && !merged.truncated, "nothing overridden, not truncated");

    malloc_conf_merge(&derived, "", "", &merged);
    CHECK_STR(merged.conf, DERIVED, "empty extra and user add nothing, not even a comma");

    malloc_conf_merge(&derived, NULL, "narenas:8", &merged);
    CHECK_STR(merged.conf, "background_thread:true,dirty_decay_ms:2000,narenas:8",
              "the user's narenas replaces ours");
    CHECK(merged.noverridden == 1 && strcmp(merged.overridden[0], "narenas") == 0,
          "narenas listed as overridden");

    malloc_conf_merge(&derived, NULL, "prof:true", &merged);
    CHECK_STR(merged.conf, DERIVED ",prof:true", "a key of the user's own is added after ours");
    CHECK_INT(merged.noverridden, 0, "nothing overridden");

    malloc_conf_merge(&derived, "dirty_decay_ms:500,prof:true", NULL, &merged);
    CHECK_STR(merged.conf, "narenas:2,background_thread:true,dirty_decay_ms:500,prof:true",
              "JEINIT_MALLOC_CONF overrides derived and adds");
    CHECK(merged.noverridden == 1 && strcmp(merged.overridden[0], "dirty_decay_ms") == 0,
          "dirty_decay_ms listed as overridden by JEINIT_MALLOC_CONF");

    malloc_conf_merge(&derived, "prof:true,narenas:3", "narenas:1", &merged);
    CHECK_STR(merged.conf, "background_thread:true,dirty_decay_ms:2000,prof:true,narenas:1",
              "user beats JEINIT_MALLOC_CONF beats derived");
    CHECK(merged.noverridden == 1 && strcmp(merged.overridden[0], "narenas") == 0,
          "narenas overridden once, though set twice");
    CHECK(merged.extra.n == 2 && merged.user.n == 1, "extra and user lists kept");

    malloc_conf_merge(&derived, NULL, "narenas:1,oops,x-y:2", &merged);
    CHECK_STR(merged.conf, "background_thread:true,dirty_decay_ms:2000,narenas:1,oops,x-y:2",
              "the user's string appended verbatim, malformed pairs and all");
    CHECK(merged.user.nbad == 2 && strcmp(merged.user.first_bad, "oops") == 0,
          "user's malformed pairs counted, the first named");

    malloc_conf_merge(&derived, NULL, "narenas:", &merged);
    CHECK_STR(merged.conf, DERIVED ",narenas:",
              "a malformed user pair does not drop ours (jemalloc rejects the empty value)");

    /* passed on, "oops" would make jemalloc stop before the user's string */
    malloc_conf_merge(&derived, "oops,prof:true", "narenas:1", &merged);
    CHECK_STR(merged.conf, "background_thread:true,dirty_decay_ms:2000,prof:true,narenas:1",
              "a malformed JEINIT_MALLOC_CONF pair is dropped, the rest and the user's kept");
    CHECK(merged.extra.nbad == 1 && strcmp(merged.extra.first_bad, "oops") == 0,
          "extra's malformed pair named");

    char many[MC_PAIRS_MAX * 8 + 32];
    size_t len = 0;
    for (int i = 0; i < MC_PAIRS_MAX; i++)
        len += (size_t)sprintf(many + len, "k%d:1,", i);
    (void)sprintf(many + len, "narenas:3");
    malloc_conf_merge(&derived, many, NULL, &merged);
    CHECK(merged.extra_full && strstr(merged.conf, "narenas:3") == NULL &&
              strncmp(merged.conf, DERIVED ",k0:1,", strlen(DERIVED ",k0:1,")) == 0,
          "a JEINIT_MALLOC_CONF of more than %d pairs: the first %d used, the rest dropped and "
          "flagged",
          MC_PAIRS_MAX, MC_PAIRS_MAX);

    malloc_conf_merge(&derived, NULL, "narenas:1,", &merged);
    CHECK_STR(merged.conf, "background_thread:true,dirty_decay_ms:2000,narenas:1,",
              "the user's trailing comma kept");
}

static bool dropped(const char *key)
{
    for (size_t i = 0; i < merged.ndropped; i++)
        if (strcmp(merged.dropped[i], key) == 0)
            return true;
    return false;
}

/* MC_CONF_MAX: jemalloc's 4096-byte message buffer (malloc_conf.h) */
static void test_merge_sizes(void)
{
    char *user = malloc(MC_STRING_MAX + 64);
    size_t fit;

    if (!user)
        abort();
    derive();

    /* derived, a comma and the user's string make exactly MC_CONF_MAX */
    fit = MC_CONF_MAX - strlen(DERIVED) - 1;
    memcpy(user, "x:", 2);
    memset(user + 2, 'y', fit - 2);
    user[fit] = '\0';
    malloc_conf_merge(&derived, NULL, user, &merged);
    CHECK(!merged.truncated && merged.ndropped == 0, "%zu bytes of user string still fit", fit);
    CHECK_INT(strlen(merged.conf), MC_CONF_MAX, "conf is MC_CONF_MAX bytes");
    CHECK(strncmp(merged.conf, DERIVED ",", strlen(DERIVED) + 1) == 0 &&
              strcmp(merged.conf + strlen(DERIVED) + 1, user) == 0,
          "derived, then the user's string");

    /* one byte more: jeinit's last derived option goes, the user's string stays whole */
    user[fit] = 'y';
    user[fit + 1] = '\0';
    malloc_conf_merge(&derived, NULL, user, &merged);
    CHECK(!merged.truncated && merged.ndropped == 1 && dropped("dirty_decay_ms"),
          "one byte more: dirty_decay_ms (the last derived option) dropped");
    CHECK(strlen(merged.conf) <= MC_CONF_MAX && merged.full_len == MC_CONF_MAX + 1,
          "within the cap; full_len says what it would have been (%zu)", merged.full_len);
    CHECK(strncmp(merged.conf, "narenas:2,background_thread:true,", 33) == 0 &&
              strcmp(merged.conf + 33, user) == 0,
          "the first derived options, then the user's string, uncut");

    /* the user's string alone is MC_CONF_MAX: every derived option goes */
    memset(user + 2, 'y', MC_CONF_MAX - 2);
    user[MC_CONF_MAX] = '\0';
    malloc_conf_merge(&derived, "prof:true", user, &merged);
    CHECK(!merged.truncated && merged.ndropped == 3 && merged.extra_dropped == 1,
          "a user string of MC_CONF_MAX: all 3 derived and the 1 JEINIT_MALLOC_CONF pair dropped");
    CHECK_STR(merged.conf, user, "conf is the user's string, exactly");

    /* one byte over the cap alone: passed on alone, flagged */
    user[MC_CONF_MAX] = 'y';
    user[MC_CONF_MAX + 1] = '\0';
    malloc_conf_merge(&derived, NULL, user, &merged);
    CHECK(merged.truncated && merged.ndropped == 3, "a user string over MC_CONF_MAX: truncated");
    CHECK_STR(merged.conf, user, "conf is the user's string alone, uncut");

    /* a user string that cannot fit at all */
    memset(user, 'y', MC_STRING_MAX + 10);
    memcpy(user, "x:", 2);
    user[MC_STRING_MAX + 10] = '\0';
    malloc_conf_merge(&derived, NULL, user, &merged);
    CHECK(merged.truncated, "a user string longer than MC_STRING_MAX: truncated");
    CHECK(memchr(merged.conf, '\0', sizeof(merged.conf)) != NULL, "conf NUL-terminated");

    /* a JEINIT_MALLOC_CONF value longer than MC_VALUE_MAX: malformed, dropped */
    malloc_conf_merge(&derived, user, NULL, &merged);
    CHECK(!merged.truncated && merged.extra.nbad == 1 && strcmp(merged.conf, DERIVED) == 0,
          "an overlong JEINIT_MALLOC_CONF value is dropped, jeinit's options kept");

    /* JEINIT_MALLOC_CONF pairs that together pass the cap: derived first, then
     * its last pairs */
    {
        size_t len = 0;
        for (int i = 0; i < 20; i++)
            len += (size_t)sprintf(user + len, "%sk%d:%0200d", i ? "," : "", i, 0);
        malloc_conf_merge(&derived, user, NULL, &merged);
        CHECK(!merged.truncated && merged.ndropped == 3 && merged.extra_dropped == 5,
              "JEINIT_MALLOC_CONF of 20 pairs of 205 bytes: derived dropped, then its last 5 "
              "(got %zu derived, %zu pairs)",
              merged.ndropped, merged.extra_dropped);
        CHECK(strncmp(merged.conf, "k0:", 3) == 0 && strstr(merged.conf, "k14:") &&
                  !strstr(merged.conf, "k15:") && strlen(merged.conf) <= MC_CONF_MAX,
              "k0..k14 kept (3064 bytes), within the cap");
    }
    free(user);
}

int main(void)
{
    test_parse_well_formed();
    test_parse_malformed();
    test_parse_limits();
    test_get();
    test_merge();
    test_merge_sizes();
    return check_done();
}
