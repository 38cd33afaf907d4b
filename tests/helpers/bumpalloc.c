/* bumpalloc - a malloc of the user's own, for the tests: a library that
 * defines malloc and its family over one mmap'd region (bump allocation,
 * free does nothing), using nothing of glibc's malloc. Preloaded, it is what
 * a program runs on, as tcmalloc or mimalloc would be. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define REGION ((size_t)1 << 30) /* reserved, not committed */
#define HDR    16

static char *base;
static size_t used;

static char *region(void)
{
    char *b = __atomic_load_n(&base, __ATOMIC_ACQUIRE), *expected = NULL, *m;

    if (b)
        return b;
    m = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
             0);
    if (m == MAP_FAILED)
        return NULL;
    if (!__atomic_compare_exchange_n(&base, &expected, m, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        (void)munmap(m, REGION);
        return expected;
    }
    return m;
}

static void *take(size_t n, size_t align)
{
    char *b = region();
    size_t need, off, start;

    if (!b || n > REGION || align > 4096)
        return NULL;
    need = (n + HDR + align + 15) & ~(size_t)15;
    off = __atomic_fetch_add(&used, need, __ATOMIC_RELAXED);
    if (off + need > REGION)
        return NULL;
    start = (off + HDR + align - 1) & ~(align - 1);
    memcpy(b + start - sizeof(size_t), &n, sizeof(n));
    return b + start;
}

void *malloc(size_t n)
{
    return take(n, 16);
}

void free(void *p)
{
    (void)p;
}

void *calloc(size_t a, size_t b)
{
    if (b && a > SIZE_MAX / b)
        return NULL;
    return take(a * b, 16); /* fresh anonymous pages are zero, and never reused */
}

void *realloc(void *p, size_t n)
{
    size_t old;
    void *q;

    if (!p)
        return malloc(n);
    memcpy(&old, (char *)p - sizeof(size_t), sizeof(old));
    q = malloc(n);
    if (q)
        memcpy(q, p, old < n ? old : n);
    return q;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = take(n, align < 16 ? 16 : align);

    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    return take(n, align < 16 ? 16 : align);
}

void *memalign(size_t align, size_t n)
{
    return take(n, align < 16 ? 16 : align);
}

size_t malloc_usable_size(void *p)
{
    size_t n;

    memcpy(&n, (char *)p - sizeof(size_t), sizeof(n));
    return n;
}
