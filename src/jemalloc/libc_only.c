/* libc_only.c - linked into jeinit's own libjemalloc.so.2, so that the
 * library needs libc alone (one object for ld.so to load per process, where
 * Debian's needs four: libstdc++, libm, libgcc_s and libc).
 *
 * jemalloc's profiling calls these from elsewhere:
 *   - log(), exp() and round(), for the sampling interval and the unbiasing
 *     table: libm's are replaced here by small, exact-enough versions;
 *   - _Unwind_Backtrace, from libgcc_s: linked in statically instead
 *     (-static-libgcc), whose unwinder asks glibc 2.35's _dl_find_object for
 *     the object holding a return address. That would put the library's glibc
 *     floor at 2.35: the version here answers the same question through
 *     dl_iterate_phdr (glibc 2.2.5), as libgcc did before 2.35.
 * All are hidden: they bind inside the library and are exported to no one. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#define HIDDEN __attribute__((visibility("hidden")))

double log(double x);
double exp(double x);
double round(double x);
int _dl_find_object(void *pc, struct dl_find_object *result);

/* x > 0 and finite, as jemalloc calls it. x = m * 2^e, m in [1, 2);
 * ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) <= 1/3: the series has reached
 * double precision after 17 terms. */
HIDDEN double log(double x)
{
    uint64_t bits;
    double m, z, z2, term, sum = 0.0;
    int e;

    if (!(x > 0.0))
        return x == 0.0 ? -__builtin_inf() : __builtin_nan("");
    memcpy(&bits, &x, sizeof(bits));
    e = (int)((bits >> 52) & 0x7ff) - 1023;
    if (e == -1023) /* subnormal: scale into the normal range first */
        return log(x * 0x1p54) - 54 * 0.69314718055994530942;
    bits = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1023) << 52);
    memcpy(&m, &bits, sizeof(m));
    z = (m - 1.0) / (m + 1.0);
    z2 = z * z;
    term = z;
    for (int k = 1; k < 36; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2.0 * sum + e * 0.69314718055994530942;
}

/* x = k ln2 + r, |r| <= ln2 / 2; e^r by its series (18 terms reach double
 * precision), times 2^k built in the exponent bits. */
HIDDEN double exp(double x)
{
    const double ln2 = 0.69314718055994530942;
    double k, r, term = 1.0, sum = 1.0, scale;
    uint64_t bits;

    if (x != x)
        return x;
    if (x < -745.0)
        return 0.0;
    if (x > 709.0)
        return __builtin_inf();
    k = (double)(int64_t)(x / ln2 + (x < 0 ? -0.5 : 0.5)); /* nearest: |k| <= 1075 */
    r = x - k * ln2;
    for (int n = 1; n < 18; n++) {
        term *= r / n;
        sum += term;
    }
    if (k < -1022) { /* subnormal result: two steps */
        sum *= 0x1p-54;
        k += 54;
    }
    bits = (uint64_t)((int64_t)k + 1023) << 52;
    memcpy(&scale, &bits, sizeof(scale));
    return sum * scale;
}

/* Half away from zero, as C's round(). Beyond 2^52 every double is whole. */
HIDDEN double round(double x)
{
    const double whole = 4503599627370496.0; /* 2^52 */
    double t;

    if (!(x > -whole && x < whole))
        return x;
    t = (double)(int64_t)x; /* toward zero */
    if (x - t >= 0.5)
        t += 1.0;
    else if (t - x >= 0.5)
        t -= 1.0;
    return t;
}

struct find_ctx {
    uintptr_t pc;
    struct dl_find_object *out;
    int found;
};

static int find_in(struct dl_phdr_info *info, size_t size, void *data)
{
    struct find_ctx *c = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0, eh = 0;
    int hit = 0;

    (void)size;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + p->p_vaddr;

        if (p->p_type == PT_LOAD) {
            if (start < lo)
                lo = start;
            if (start + p->p_memsz > hi)
                hi = start + p->p_memsz;
            if (c->pc >= start && c->pc < start + p->p_memsz)
                hit = 1;
        } else if (p->p_type == PT_GNU_EH_FRAME) {
            eh = start;
        }
    }
    if (!hit)
        return 0;
    memset(c->out, 0, sizeof(*c->out));
    c->out->dlfo_map_start = (void *)lo;
    c->out->dlfo_map_end = (void *)hi;
    c->out->dlfo_eh_frame = (void *)eh;
    c->found = 1;
    return 1;
}

HIDDEN int _dl_find_object(void *pc, struct dl_find_object *result)
{
    struct find_ctx c = {(uintptr_t)pc, result, 0};

    (void)dl_iterate_phdr(find_in, &c);
    return c.found ? 0 : -1;
}
