/* fuzz_jsonstr.c - libFuzzer harness for json.c's string writer as the log
 * uses it: any bytes (argv, comm, paths, warnings come from the container)
 * written with a cap (str_max, from the first two bytes), in JSON and in
 * text mode. Checked: the output parses as JSON (yajl_tree) in JSON mode,
 * the string's written size stays within the cap (and the quotes), and a
 * cut is marked (truncated, "..." at the end) exactly when bytes were left
 * out or the cap was reached. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static yajl_gen g;
    static char text[8192], parsed[8192];
    const unsigned char *buf;
    size_t len = 0, cap;
    struct jw w;
    yajl_val v;

    if (size < 2)
        return 0;
    if (!g)
        g = jw_gen_new(false);
    cap = ((size_t)data[0] << 8 | data[1]) % 5000; /* 0: the 4 KiB default */
    data += 2;
    size -= 2;

    /* JSON mode: ["<string>"] */
    yajl_gen_reset(g, NULL);
    yajl_gen_clear(g);
    w = (struct jw){.g = g, .str_max = cap};
    jw_array_open(&w, NULL);
    jw_strn(&w, NULL, (const char *)data, size);
    jw_array_close(&w);
    INVARIANT(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
    INVARIANT(len < sizeof(parsed));
    memcpy(parsed, buf, len);
    parsed[len] = '\0';
    v = yajl_tree_parse(parsed, NULL, 0);
    INVARIANT(v && YAJL_IS_ARRAY(v) && v->u.array.len == 1 && YAJL_IS_STRING(v->u.array.values[0]));
    /* the string without its quotes and the brackets: within the cap (4 KiB
     * less the NUL without one; a cap under the marker's 3 bytes gets them) */
    INVARIANT(len - 4 <= (cap == 0 || cap > 4095 ? 4095 : cap <= 3 ? cap + 3 : cap));
    if (w.truncated)
        INVARIANT(len >= 7 && memcmp(parsed + len - 5, "...\"]", 5) == 0);
    yajl_tree_free(v);

    /* text mode, top level: key=value (quoted through yajl when needed) and msg */
    w = (struct jw){
        .g = g, .text = true, .text_buf = text, .text_cap = sizeof(text), .str_max = cap};
    jw_strn(&w, "k", (const char *)data, size);
    jw_strn(&w, "msg", (const char *)data, size);
    INVARIANT(w.text_len < sizeof(text));
    for (size_t i = 0; i < w.text_len; i++)
        INVARIANT(text[i] != '\n'); /* one line, always */
    return 0;
}
