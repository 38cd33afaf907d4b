/* elfver.c - see elfver.h. Every field is read through rd() at an offset
 * checked against the image, in the image's own class and byte order, so one
 * reader serves ELF32 and ELF64, little and big endian, on any build. */
#include "elfver.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

/* Upper bounds on the walks, whatever counts the image claims: a dynamic
 * segment holds a few dozen entries, glibc's libc.so.6 ~3000 symbols. */
#define DYN_ENTRIES_MAX 4096
#define CHAIN_MAX       256
#define SYMBOLS_MAX     65536

struct img {
    const unsigned char *b;
    size_t len;
    bool is64, be;
};

/* A size-byte field at off, in the image's byte order; false outside it. */
static bool rd(const struct img *im, uint64_t off, unsigned size, uint64_t *v)
{
    uint64_t x = 0;

    if (off > im->len || size > im->len - off)
        return false;
    for (unsigned i = 0; i < size; i++)
        x = x << 8 | im->b[off + (im->be ? i : size - 1 - i)];
    *v = x;
    return true;
}

/* The word size of the class: 8 bytes in ELF64, 4 in ELF32. */
static unsigned wsz(const struct img *im)
{
    return im->is64 ? 8 : 4;
}

struct hdr {
    uint64_t phoff, phnum, phentsize, shoff, shnum, shentsize;
};

static int open_image(const unsigned char *buf, size_t len, struct img *im, struct hdr *h)
{
    *im = (struct img){.b = buf, .len = len};
    if (len < 52 || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return -ENOEXEC;
    if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
        return -ENOEXEC;
    if (buf[EI_DATA] != ELFDATA2LSB && buf[EI_DATA] != ELFDATA2MSB)
        return -ENOEXEC;
    im->is64 = buf[EI_CLASS] == ELFCLASS64;
    im->be = buf[EI_DATA] == ELFDATA2MSB;
    if (im->is64 ? !(rd(im, 32, 8, &h->phoff) && rd(im, 40, 8, &h->shoff) &&
                     rd(im, 54, 2, &h->phentsize) && rd(im, 56, 2, &h->phnum) &&
                     rd(im, 58, 2, &h->shentsize) && rd(im, 60, 2, &h->shnum))
                 : !(rd(im, 28, 4, &h->phoff) && rd(im, 32, 4, &h->shoff) &&
                     rd(im, 42, 2, &h->phentsize) && rd(im, 44, 2, &h->phnum) &&
                     rd(im, 46, 2, &h->shentsize) && rd(im, 48, 2, &h->shnum)))
        return -ENOEXEC;
    /* entries of the size this class has, all inside the image */
    if (h->phentsize != (im->is64 ? 56u : 32u) || h->phoff > len ||
        h->phnum > (len - h->phoff) / h->phentsize)
        return -ENOEXEC;
    return 0;
}

struct phdr {
    uint64_t type, offset, vaddr, filesz;
};

static bool read_phdr(const struct img *im, const struct hdr *h, uint64_t i, struct phdr *p)
{
    uint64_t o = h->phoff + i * h->phentsize;

    if (im->is64)
        return rd(im, o, 4, &p->type) && rd(im, o + 8, 8, &p->offset) &&
               rd(im, o + 16, 8, &p->vaddr) && rd(im, o + 32, 8, &p->filesz);
    return rd(im, o, 4, &p->type) && rd(im, o + 4, 4, &p->offset) && rd(im, o + 8, 4, &p->vaddr) &&
           rd(im, o + 16, 4, &p->filesz);
}

/* The first program header of type; false when there is none. */
static bool find_phdr(const struct img *im, const struct hdr *h, uint64_t type, struct phdr *out)
{
    for (uint64_t i = 0; i < h->phnum; i++)
        if (read_phdr(im, h, i, out) && out->type == type)
            return true;
    return false;
}

/* The file offset of a virtual address, through the PT_LOAD segments. */
static bool vaddr_to_off(const struct img *im, const struct hdr *h, uint64_t vaddr, uint64_t *off)
{
    struct phdr p;

    for (uint64_t i = 0; i < h->phnum; i++) {
        if (!read_phdr(im, h, i, &p) || p.type != PT_LOAD || vaddr < p.vaddr ||
            vaddr - p.vaddr >= p.filesz)
            continue;
        if (p.offset > im->len || vaddr - p.vaddr >= im->len - p.offset)
            return false;
        *off = p.offset + (vaddr - p.vaddr);
        return true;
    }
    return false;
}

int elf_read_interp(const unsigned char *buf, size_t len, char *out, size_t outsz)
{
    struct img im;
    struct hdr h;
    struct phdr p;
    size_t n;
    int r = open_image(buf, len, &im, &h);

    if (outsz)
        out[0] = '\0';
    if (r < 0)
        return r;
    if (!find_phdr(&im, &h, PT_INTERP, &p))
        return -ENOENT;
    if (p.offset > len || p.filesz > len - p.offset || p.filesz == 0)
        return -ENOEXEC;
    n = strnlen((const char *)buf + p.offset, (size_t)p.filesz);
    if (n == 0 || n == p.filesz)
        return -ENOEXEC; /* empty or unterminated */
    if (n >= outsz)
        return -ENAMETOOLONG;
    memcpy(out, buf + p.offset, n + 1);
    return 0;
}

static bool name_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum elf_libc elf_interp_libc(const char *interp)
{
    const char *base = strrchr(interp, '/');

    base = base ? base + 1 : interp;
    if (name_has_prefix(base, "ld-musl-"))
        return ELF_LIBC_MUSL;
    /* ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld-linux.so.2 (i386),
     * ld64.so.1/.2 (s390x, ppc64) */
    if (name_has_prefix(base, "ld-linux") || name_has_prefix(base, "ld64.so."))
        return ELF_LIBC_GLIBC;
    return ELF_LIBC_OTHER;
}

/* What the dynamic segment says about strings and versions. */
struct dyn {
    uint64_t stroff, strsz, verneed, verneednum, verdef, verdefnum;
    bool have_str, have_verneed, have_verdef;
};

/* 0 with d filled (an image without a dynamic segment has nothing), or
 * -ENOEXEC. */
static int read_dyn(const struct img *im, const struct hdr *h, struct dyn *d)
{
    uint64_t strtab = 0, vn = 0, vd = 0, esz = 2 * (uint64_t)wsz(im);
    struct phdr p;

    memset(d, 0, sizeof(*d));
    if (!find_phdr(im, h, PT_DYNAMIC, &p))
        return 0;
    if (p.offset > im->len || p.filesz > im->len - p.offset)
        return -ENOEXEC;
    for (uint64_t i = 0; i < DYN_ENTRIES_MAX && (i + 1) * esz <= p.filesz; i++) {
        uint64_t tag, val;
        if (!rd(im, p.offset + i * esz, wsz(im), &tag) ||
            !rd(im, p.offset + i * esz + wsz(im), wsz(im), &val) || tag == DT_NULL)
            break;
        if (tag == DT_STRTAB) {
            strtab = val;
            d->have_str = true;
        } else if (tag == DT_STRSZ) {
            d->strsz = val;
        } else if (tag == DT_VERNEED) {
            vn = val;
            d->have_verneed = true;
        } else if (tag == DT_VERNEEDNUM) {
            d->verneednum = val;
        } else if (tag == DT_VERDEF) {
            vd = val;
            d->have_verdef = true;
        } else if (tag == DT_VERDEFNUM) {
            d->verdefnum = val;
        }
    }
    if (d->have_str && !vaddr_to_off(im, h, strtab, &d->stroff))
        return -ENOEXEC;
    if (d->have_str && d->strsz > im->len - d->stroff)
        d->strsz = im->len - d->stroff;
    if (d->have_verneed && (!d->have_str || !vaddr_to_off(im, h, vn, &d->verneed)))
        return -ENOEXEC;
    if (d->have_verdef && (!d->have_str || !vaddr_to_off(im, h, vd, &d->verdef)))
        return -ENOEXEC;
    return 0;
}

/* Copies the string at index idx of the string table; false when it is
 * outside, unterminated, empty or longer than outsz - 1. */
static bool str_at(const struct img *im, uint64_t stroff, uint64_t strsz, uint64_t idx, char *out,
                   size_t outsz)
{
    size_t n;

    if (idx >= strsz)
        return false;
    n = strnlen((const char *)im->b + stroff + idx, (size_t)(strsz - idx));
    if (n == 0 || n == strsz - idx || n >= outsz)
        return false;
    memcpy(out, im->b + stroff + idx, n + 1);
    return true;
}

/* The versions needed of one library: the Vernaux chain at off. */
static int read_vernaux(const struct img *im, const struct dyn *d, uint64_t off, uint64_t cnt,
                        struct elf_needs_of *f, bool *truncated)
{
    for (uint64_t i = 0; i < cnt && i < CHAIN_MAX; i++) {
        uint64_t flags, other, name, next;
        struct elf_version_need *v;

        if (!rd(im, off + 4, 2, &flags) || !rd(im, off + 6, 2, &other) ||
            !rd(im, off + 8, 4, &name) || !rd(im, off + 12, 4, &next))
            return -ENOEXEC;
        if (f->n < ELFVER_NEEDS_MAX) {
            v = &f->v[f->n];
            if (str_at(im, d->stroff, d->strsz, name, v->name, sizeof(v->name))) {
                v->index = (uint16_t)(other & 0x7fff);
                v->weak = (flags & VER_FLG_WEAK) != 0;
                f->n++;
            } else {
                *truncated = true;
            }
        } else {
            *truncated = true;
        }
        if (next == 0)
            break;
        off += next;
    }
    return 0;
}

int elf_read_verneed(const unsigned char *buf, size_t len, struct elf_verneed *out)
{
    struct img im;
    struct hdr h;
    struct dyn d = {0};
    uint64_t off;
    int r;

    out->nfiles = 0;
    out->truncated = false;
    r = open_image(buf, len, &im, &h);
    if (r == 0)
        r = read_dyn(&im, &h, &d);
    if (r < 0 || !d.have_verneed)
        return r;
    off = d.verneed;
    /* DT_VERNEEDNUM bounds the chain when present; vn_next == 0 ends it */
    for (uint64_t i = 0; i < CHAIN_MAX && (d.verneednum == 0 || i < d.verneednum); i++) {
        uint64_t cnt, file, aux, next;
        struct elf_needs_of *f;

        if (!rd(&im, off + 2, 2, &cnt) || !rd(&im, off + 4, 4, &file) ||
            !rd(&im, off + 8, 4, &aux) || !rd(&im, off + 12, 4, &next))
            return -ENOEXEC;
        if (out->nfiles < ELFVER_FILES_MAX) {
            f = &out->f[out->nfiles];
            f->n = 0;
            if (str_at(&im, d.stroff, d.strsz, file, f->file, sizeof(f->file))) {
                r = read_vernaux(&im, &d, off + aux, cnt, f, &out->truncated);
                if (r < 0)
                    return r;
                out->nfiles++;
            } else {
                out->truncated = true;
            }
        } else {
            out->truncated = true;
        }
        if (next == 0)
            break;
        off += next;
    }
    return 0;
}

int elf_read_verdef(const unsigned char *buf, size_t len, struct elf_verdef *out)
{
    struct img im;
    struct hdr h;
    struct dyn d = {0};
    uint64_t off;
    int r;

    out->n = 0;
    out->present = out->truncated = false;
    r = open_image(buf, len, &im, &h);
    if (r == 0)
        r = read_dyn(&im, &h, &d);
    if (r < 0 || !d.have_verdef)
        return r;
    out->present = true;
    off = d.verdef;
    for (uint64_t i = 0; i < CHAIN_MAX && (d.verdefnum == 0 || i < d.verdefnum); i++) {
        uint64_t flags, cnt, aux, next, name;

        if (!rd(&im, off + 2, 2, &flags) || !rd(&im, off + 6, 2, &cnt) ||
            !rd(&im, off + 12, 4, &aux) || !rd(&im, off + 16, 4, &next))
            return -ENOEXEC;
        /* the first Verdaux names the version; later ones its parents */
        if (cnt > 0 && !(flags & VER_FLG_BASE)) {
            if (!rd(&im, off + aux, 4, &name))
                return -ENOEXEC;
            if (out->n < ELFVER_DEFS_MAX &&
                str_at(&im, d.stroff, d.strsz, name, out->name[out->n], ELFVER_NAME_MAX))
                out->n++;
            else
                out->truncated = true;
        }
        if (next == 0)
            break;
        off += next;
    }
    return 0;
}

bool elf_verdef_has(const struct elf_verdef *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->name[i], name) == 0)
            return true;
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the letters before the first digit. */
static size_t family_len(const char *s)
{
    size_t n = 0;

    while (s[n] && !is_digit(s[n]))
        n++;
    return n;
}

int elf_version_compare(const char *a, const char *b)
{
    size_t fa = family_len(a), fb = family_len(b);
    int c = strncmp(a, b, fa < fb ? fa : fb);

    if (c != 0 || fa != fb)
        return c != 0 ? c : (fa < fb ? -1 : 1);
    a += fa;
    b += fb;
    while (*a || *b) {
        unsigned long long x = 0, y = 0;
        size_t da = 0, db = 0;
        /* numbers of up to 18 digits: more is not a version, and would wrap */
        for (; is_digit(*a); a++)
            if (da++ < 18)
                x = x * 10 + (unsigned)(*a - '0');
        for (; is_digit(*b); b++)
            if (db++ < 18)
                y = y * 10 + (unsigned)(*b - '0');
        if (x != y)
            return x < y ? -1 : 1;
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        if (*a) {
            a++;
            b++;
        }
    }
    return 0;
}

const char *elf_verdef_highest(const struct elf_verdef *d, const char *like)
{
    size_t f = family_len(like);
    const char *best = NULL;

    for (size_t i = 0; i < d->n; i++) {
        const char *v = d->name[i];
        if (family_len(v) != f || strncmp(v, like, f) != 0 || !is_digit(v[f]))
            continue;
        if (!best || elf_version_compare(v, best) > 0)
            best = v;
    }
    return best;
}

struct shdr {
    uint64_t type, offset, size, link, entsize;
};

static bool read_shdr(const struct img *im, const struct hdr *h, uint64_t i, struct shdr *s)
{
    uint64_t o = h->shoff + i * h->shentsize;

    if (im->is64)
        return rd(im, o + 4, 4, &s->type) && rd(im, o + 24, 8, &s->offset) &&
               rd(im, o + 32, 8, &s->size) && rd(im, o + 40, 4, &s->link) &&
               rd(im, o + 56, 8, &s->entsize);
    return rd(im, o + 4, 4, &s->type) && rd(im, o + 16, 4, &s->offset) &&
           rd(im, o + 20, 4, &s->size) && rd(im, o + 24, 4, &s->link) &&
           rd(im, o + 36, 4, &s->entsize);
}

static bool section_inside(const struct img *im, const struct shdr *s)
{
    return s->offset <= im->len && s->size <= im->len - s->offset;
}

size_t elf_version_symbols(const unsigned char *buf, size_t len, uint16_t index,
                           char out[][ELFVER_NAME_MAX], size_t max)
{
    struct shdr sym = {0}, str, versym = {0}, s;
    bool have_sym = false, have_versym = false;
    uint64_t symsz, nsyms;
    size_t n = 0;
    struct img im;
    struct hdr h;

    if (open_image(buf, len, &im, &h) < 0 || h.shentsize != (im.is64 ? 64u : 40u) ||
        h.shoff > len || h.shnum > (len - h.shoff) / h.shentsize)
        return 0;
    for (uint64_t i = 0; i < h.shnum; i++) {
        if (!read_shdr(&im, &h, i, &s))
            return 0;
        if (s.type == SHT_DYNSYM && !have_sym) {
            sym = s;
            have_sym = true;
        } else if (s.type == SHT_GNU_versym && !have_versym) {
            versym = s;
            have_versym = true;
        }
    }
    symsz = im.is64 ? 24 : 16;
    if (!have_sym || !have_versym || sym.link >= h.shnum || !read_shdr(&im, &h, sym.link, &str) ||
        !section_inside(&im, &sym) || !section_inside(&im, &versym) || !section_inside(&im, &str))
        return 0;
    nsyms = sym.size / symsz;
    if (nsyms > versym.size / 2)
        nsyms = versym.size / 2;
    for (uint64_t i = 0; i < nsyms && i < SYMBOLS_MAX && n < max; i++) {
        uint64_t ver, name, shndx, o = sym.offset + i * symsz;
        if (!rd(&im, versym.offset + 2 * i, 2, &ver) || (ver & 0x7fff) != index)
            continue;
        if (!rd(&im, o, 4, &name) || !rd(&im, o + (im.is64 ? 6 : 14), 2, &shndx) ||
            shndx != SHN_UNDEF)
            continue;
        if (str_at(&im, str.offset, str.size, name, out[n], ELFVER_NAME_MAX))
            n++;
    }
    return n;
}
