/* fuzz_cgroup_pressure.c - libFuzzer harness for cg_parse_pressure. */
#include "cgroup_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static bool percent(double v)
{
    /* Also false for NaN. */
    return v >= 0.0 && v <= 100.0;
}

static void check_line(const struct cg_psi_line *l)
{
    if (l->present) {
        INVARIANT(percent(l->avg10) && percent(l->avg60) && percent(l->avg300));
    } else {
        INVARIANT(l->avg10 == 0.0 && l->avg60 == 0.0 && l->avg300 == 0.0);
        INVARIANT(l->total_us == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct cg_psi psi;
    int r;

    memset(&psi, 0xa5, sizeof(psi));
    r = cg_parse_pressure(buf, size, &psi);
    INVARIANT(r == 0 || r == -EINVAL);
    INVARIANT((r == 0) == psi.some.present);
    check_line(&psi.some);
    check_line(&psi.full);
    if (r == 0)
        INVARIANT(memmem(buf, size, "some", 4) != NULL);
    if (psi.full.present)
        INVARIANT(memmem(buf, size, "full", 4) != NULL);
    return 0;
}
