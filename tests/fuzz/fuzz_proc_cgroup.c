/* fuzz_proc_cgroup.c - libFuzzer harness for cg_parse_proc_cgroup. */
#include "cgroup_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define KNOWN (CG_MEMORY | CG_CPU | CG_CPUACCT | CG_CPUSET)

/* A path is either empty (absent) or an absolute path that fits and that
 * appears in the input. */
static void check_path(const char *buf, size_t len, const char *path, bool present)
{
    size_t n = strnlen(path, CG_PATH_MAX);

    INVARIANT(n < CG_PATH_MAX);
    if (!present) {
        INVARIANT(n == 0);
        return;
    }
    INVARIANT(n > 0 && path[0] == '/');
    INVARIANT(memmem(buf, len, path, n) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct cg_membership m;
    int r;

    memset(&m, 0xa5, sizeof(m));
    r = cg_parse_proc_cgroup(buf, size, &m);
    INVARIANT(r == 0 || r == -EINVAL);
    INVARIANT((m.v1_mask & ~(unsigned)KNOWN) == 0);
    if (r < 0)
        INVARIANT(!m.has_v2 && m.v1_mask == 0);
    check_path(buf, size, m.v2_path, m.has_v2);
    check_path(buf, size, m.memory_path, m.v1_mask & CG_MEMORY);
    check_path(buf, size, m.cpu_path, m.v1_mask & CG_CPU);
    check_path(buf, size, m.cpuacct_path, m.v1_mask & CG_CPUACCT);
    check_path(buf, size, m.cpuset_path, m.v1_mask & CG_CPUSET);
    if (m.has_v2)
        INVARIANT(memmem(buf, size, "0::/", 4) != NULL);
    return 0;
}
