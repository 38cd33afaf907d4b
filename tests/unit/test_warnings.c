/* Unit tests of warnings.c: bounded, truncated, and what is dropped counted. */
#include <string.h>

#include "check.h"
#include "warnings.h"

int main(void)
{
    static struct warnings w;
    char longer[2 * WARNING_LEN];

    warnings_add(&w, "first %d", 1);
    CHECK_INT(w.n, 1, "one added");
    CHECK_STR(w.msg[0], "first 1", "formatted");
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    warnings_add(&w, "%s", longer);
    CHECK_INT(strlen(w.msg[1]), WARNING_LEN - 1, "a long one is cut to WARNING_LEN - 1");
    for (int i = 0; i < WARNINGS_MAX + 3; i++)
        warnings_add(&w, "more %d", i);
    CHECK_INT(w.n, WARNINGS_MAX, "full at WARNINGS_MAX");
    CHECK_INT(w.dropped, 5, "the 5 that did not fit are counted");
    CHECK_STR(w.msg[WARNINGS_MAX - 1], "more 5", "the last kept is the last that fit");
    return check_done();
}
