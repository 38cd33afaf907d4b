/* fuzz_cgroup_procs.c - libFuzzer harness for cg_pid_scan (cgroup.procs):
 * the input's first 4 bytes pick the pid, the fifth the size of the pieces
 * it is fed in; the answer must not depend on the pieces, and must match an
 * oracle that splits the whole text into lines and asks strtoull. */
#include "cgroup_procs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static bool oracle(const char *text, size_t len, uint64_t pid)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        if (i > start && strspn(text + start, "0123456789") >= i - start) {
            char line[64];
            size_t n = i - start;
            /* leading zeros do not change the number: drop them */
            while (n > 1 && text[start] == '0') {
                start++;
                n--;
            }
            if (n < sizeof(line)) {
                unsigned long long v;
                memcpy(line, text + start, n);
                line[n] = '\0';
                errno = 0;
                v = strtoull(line, NULL, 10);
                if (errno == 0 && v == pid)
                    return true;
            }
        }
        start = i + 1;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cg_pid_scan whole, pieces;
    uint64_t pid;
    size_t step;
    char *text;
    bool found;

    if (size < 5)
        return 0;
    pid = ((uint64_t)data[0] | (uint64_t)data[1] << 8 | (uint64_t)data[2] << 16 |
           (uint64_t)data[3] << 24) %
          4194305;
    step = (size_t)data[4] % 16 + 1;
    data += 5;
    size -= 5;
    /* strspn in the oracle needs a terminated copy; NULs end a line's digits */
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    cg_pid_scan_init(&whole, pid);
    cg_pid_scan_feed(&whole, text, size);
    found = cg_pid_scan_end(&whole);
    cg_pid_scan_init(&pieces, pid);
    for (size_t off = 0; off < size; off += step)
        cg_pid_scan_feed(&pieces, text + off, size - off < step ? size - off : step);
    INVARIANT(cg_pid_scan_end(&pieces) == found);
    INVARIANT(oracle(text, size, pid) == found);
    free(text);
    return 0;
}
