/* fuzz.h - what every libFuzzer harness here shares: the entry point's
 * prototype (the build has -Wmissing-prototypes) and INVARIANT, which
 * aborts, and so reports a finding, when a property of the code under test
 * does not hold. */
#ifndef JEINIT_FUZZ_H
#define JEINIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define INVARIANT(x)                                                                               \
    do {                                                                                           \
        if (!(x))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
