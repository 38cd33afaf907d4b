/* elfscan.c - see elfscan.h. */
#include "elfscan.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define OUR_MACHINE     EM_X86_64
#define OUR_CACHE_FLAGS 0x0303 /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define OUR_MACHINE     EM_AARCH64
#define OUR_CACHE_FLAGS 0x0a03 /* FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64 */
#elif defined(__i386__)
#define OUR_MACHINE     EM_386
#define OUR_CACHE_FLAGS 0x0003
#else
#define OUR_MACHINE     EM_NONE /* unknown: the machine is not checked */
#define OUR_CACHE_FLAGS 0
#endif

#if __SIZEOF_POINTER__ == 8
#define OUR_CLASS ELFCLASS64
#else
#define OUR_CLASS ELFCLASS32
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OUR_DATA ELFDATA2LSB
#else
#define OUR_DATA ELFDATA2MSB
#endif

#if __SIZEOF_POINTER__ == 8
typedef Elf64_Ehdr Ehdr;
typedef Elf64_Phdr Phdr;
typedef Elf64_Shdr Shdr;
typedef Elf64_Sym Sym;
typedef Elf64_Dyn Dyn;
#define SYM_TYPE(i) ELF64_ST_TYPE(i)
#define SYM_BIND(i) ELF64_ST_BIND(i)
#else
typedef Elf32_Ehdr Ehdr;
typedef Elf32_Phdr Phdr;
typedef Elf32_Shdr Shdr;
typedef Elf32_Sym Sym;
typedef Elf32_Dyn Dyn;
#define SYM_TYPE(i) ELF32_ST_TYPE(i)
#define SYM_BIND(i) ELF32_ST_BIND(i)
#endif

/* The file offset of virtual address vaddr, through the PT_LOAD segments. */
static bool vaddr_to_offset(const unsigned char *phs, size_t phnum, uint64_t vaddr, size_t len,
                            uint64_t *off)
{
    for (size_t i = 0; i < phnum; i++) {
        Phdr ph;
        memcpy(&ph, phs + i * sizeof(Phdr), sizeof(ph));
        if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
            continue;
        *off = (uint64_t)ph.p_offset + (vaddr - ph.p_vaddr);
        return *off < len;
    }
    return false;
}

int elf_read_dynamic(const unsigned char *buf, size_t len, struct elf_dynamic *out)
{
    uint64_t needed[ELF_NEEDED_MAX], strtab = 0, strsz = 0, stroff = 0;
    size_t nneeded = 0, phnum;
    const unsigned char *phs;
    Phdr dyn = {0};
    bool have_dyn = false, have_strtab = false;
    Ehdr eh;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(eh))
        return -ENOEXEC;
    memcpy(&eh, buf, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != OUR_CLASS ||
        eh.e_phentsize != sizeof(Phdr) || eh.e_phoff > len ||
        eh.e_phnum > (len - eh.e_phoff) / sizeof(Phdr))
        return -ENOEXEC;
    phs = buf + eh.e_phoff;
    phnum = eh.e_phnum;
    for (size_t i = 0; i < phnum && !have_dyn; i++) {
        memcpy(&dyn, phs + i * sizeof(Phdr), sizeof(dyn));
        have_dyn = dyn.p_type == PT_DYNAMIC;
    }
    if (!have_dyn)
        return 0;
    if (dyn.p_offset > len || dyn.p_filesz > len - dyn.p_offset)
        return -ENOEXEC;
    for (size_t o = 0; o + sizeof(Dyn) <= dyn.p_filesz; o += sizeof(Dyn)) {
        Dyn d;
        memcpy(&d, buf + dyn.p_offset + o, sizeof(d));
        if (d.d_tag == DT_NULL)
            break;
        if (d.d_tag == DT_NEEDED && nneeded < ELF_NEEDED_MAX)
            needed[nneeded++] = d.d_un.d_val;
        else if (d.d_tag == DT_STRTAB) {
            strtab = d.d_un.d_ptr;
            have_strtab = true;
        } else if (d.d_tag == DT_STRSZ)
            strsz = d.d_un.d_val;
        else if (d.d_tag == DT_FLAGS_1)
            out->pie = (d.d_un.d_val & DF_1_PIE) != 0;
    }
    if (nneeded == 0)
        return 0;
    if (!have_strtab || !vaddr_to_offset(phs, phnum, strtab, len, &stroff))
        return -ENOEXEC;
    if (strsz > len - stroff)
        strsz = len - stroff;
    for (size_t i = 0; i < nneeded; i++) {
        const char *name;
        size_t n;
        if (needed[i] >= strsz)
            continue;
        name = (const char *)buf + stroff + needed[i];
        n = strnlen(name, strsz - needed[i]);
        if (n == strsz - needed[i] || n == 0 || n >= ELF_NAME_MAX)
            continue; /* unterminated, empty or too long */
        memcpy(out->needed[out->nneeded++], name, n + 1);
    }
    return 0;
}

/* The ELF header, when it is ours and its section header table lies within
 * buf; section_at then reads entry i (< e_shnum) of that table. */
static bool section_table(const unsigned char *buf, size_t len, Ehdr *eh)
{
    if (len < sizeof(*eh))
        return false;
    memcpy(eh, buf, sizeof(*eh));
    return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == OUR_CLASS &&
           eh->e_shentsize == sizeof(Shdr) && eh->e_shoff <= len &&
           eh->e_shnum <= (len - eh->e_shoff) / sizeof(Shdr);
}

static void section_at(const unsigned char *buf, const Ehdr *eh, size_t i, Shdr *sh)
{
    memcpy(sh, buf + eh->e_shoff + i * sizeof(Shdr), sizeof(*sh));
}

/* The section's bytes lie within buf. */
static bool section_in(const Shdr *sh, size_t len)
{
    return sh->sh_offset <= len && sh->sh_size <= len - sh->sh_offset;
}

int elf_defines_symbol(const unsigned char *buf, size_t len, const char *name)
{
    size_t namelen = strlen(name);
    Shdr dynsym, dynstr;
    bool found = false;
    Ehdr eh;

    if (!section_table(buf, len, &eh))
        return -ENOEXEC;
    for (size_t i = 0; i < eh.e_shnum && !found; i++) {
        section_at(buf, &eh, i, &dynsym);
        found = dynsym.sh_type == SHT_DYNSYM;
    }
    if (!found)
        return 0; /* no dynamic symbols: defines nothing for ld.so */
    if (dynsym.sh_link >= eh.e_shnum || !section_in(&dynsym, len))
        return -ENOEXEC;
    section_at(buf, &eh, dynsym.sh_link, &dynstr);
    if (!section_in(&dynstr, len))
        return -ENOEXEC;
    for (size_t o = 0; o + sizeof(Sym) <= dynsym.sh_size; o += sizeof(Sym)) {
        Sym s;
        unsigned type, bind;

        memcpy(&s, buf + dynsym.sh_offset + o, sizeof(s));
        type = SYM_TYPE(s.st_info);
        bind = SYM_BIND(s.st_info);
        if (s.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
            (bind != STB_GLOBAL && bind != STB_WEAK) || s.st_name >= dynstr.sh_size ||
            dynstr.sh_size - s.st_name <= namelen)
            continue;
        if (memcmp(buf + dynstr.sh_offset + s.st_name, name, namelen + 1) == 0)
            return 1;
    }
    return 0;
}

int elf_check_shared_object(const unsigned char *hdr, size_t len, const char **why)
{
    uint16_t type, machine;

    if (len < 20 || memcmp(hdr, ELFMAG, SELFMAG) != 0) {
        *why = "not an ELF file";
        return -ENOEXEC;
    }
    if (hdr[EI_CLASS] != OUR_CLASS) {
        *why = OUR_CLASS == ELFCLASS64 ? "a 32-bit library, jeinit's programs are 64-bit"
                                       : "a 64-bit library, jeinit's programs are 32-bit";
        return -ENOEXEC;
    }
    if (hdr[EI_DATA] != OUR_DATA) {
        *why = "byte order differs from this machine's";
        return -ENOEXEC;
    }
    /* e_type and e_machine sit at the same offsets in both classes */
    memcpy(&type, hdr + 16, sizeof(type));
    memcpy(&machine, hdr + 18, sizeof(machine));
    if (type != ET_DYN) {
        *why = "not a shared object";
        return -ENOEXEC;
    }
    if (OUR_MACHINE != EM_NONE && machine != OUR_MACHINE) {
        *why = "built for another CPU architecture";
        return -ENOEXEC;
    }
    return 0;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Reads a decimal of at most 4 digits backwards ending just before end;
 * returns its start or NULL. */
static const unsigned char *number_before(const unsigned char *start, const unsigned char *end,
                                          int *value)
{
    const unsigned char *p = end;
    int v = 0, mult = 1;

    while (p > start && is_digit(p[-1]) && end - p < 4) {
        p--;
        v += (p[0] - '0') * mult;
        mult *= 10;
    }
    if (p == end)
        return NULL;
    *value = v;
    return p;
}

/* The file range of the section named name, from the section headers; false
 * when there are none, or no such section, or anything is out of bounds. */
static bool find_section(const unsigned char *buf, size_t len, const char *name, size_t *off,
                         size_t *size)
{
    Ehdr eh;
    Shdr names, sh;
    size_t nlen = strlen(name) + 1;

    if (!section_table(buf, len, &eh) || eh.e_shnum == 0 || eh.e_shnum > 4096 ||
        eh.e_shstrndx >= eh.e_shnum)
        return false;
    section_at(buf, &eh, eh.e_shstrndx, &names);
    if (!section_in(&names, len))
        return false;
    for (size_t i = 0; i < eh.e_shnum; i++) {
        section_at(buf, &eh, i, &sh);
        if (sh.sh_name >= names.sh_size || names.sh_size - sh.sh_name < nlen ||
            memcmp(buf + names.sh_offset + sh.sh_name, name, nlen) != 0)
            continue;
        if (sh.sh_type == SHT_NOBITS || !section_in(&sh, len))
            return false;
        *off = sh.sh_offset;
        *size = sh.sh_size;
        return true;
    }
    return false;
}

/* "MAJ.MIN.PATCH-N-g<40 hex>\0" anywhere in buf */
static int version_scan_all(const unsigned char *buf, size_t len, int *major, int *minor,
                            int *patch)
{
    for (size_t i = 0; i + 42 <= len; i++) { /* the NUL may be past the end */
        const unsigned char *g = buf + i, *p;
        int maj, min, pat, n;
        size_t h;

        if (g[0] != '-' || g[1] != 'g')
            continue;
        for (h = 0; h < 40 && is_hex(g[2 + h]); h++)
            ;
        if (h != 40 || (i + 42 < len && g[42] != '\0'))
            continue;
        p = number_before(buf, g, &n);
        if (!p || p == buf || p[-1] != '-')
            continue;
        p = number_before(buf, p - 1, &pat);
        if (!p || p == buf || p[-1] != '.')
            continue;
        p = number_before(buf, p - 1, &min);
        if (!p || p == buf || p[-1] != '.')
            continue;
        p = number_before(buf, p - 1, &maj);
        if (!p)
            continue;
        *major = maj;
        *minor = min;
        *patch = pat;
        return 0;
    }
    return -ENOENT;
}

int jemalloc_version_scan(const unsigned char *buf, size_t len, int *major, int *minor, int *patch)
{
    size_t off, size;

    /* The string is read-only data: in a library with section headers only
     * .rodata is read (a twelfth of jemalloc's file, and as many fewer pages
     * faulted in at every start), else the whole file. */
    if (find_section(buf, len, ".rodata", &off, &size) &&
        version_scan_all(buf + off, size, major, minor, patch) == 0)
        return 0;
    return version_scan_all(buf, len, major, minor, patch);
}

/* The two format strings of jemalloc's heap dump (prof_dump.c: the header and
 * the maps section). A jemalloc configured without --enable-prof compiles the
 * dump out (config_prof is a constant false), and with it both strings; the
 * option names ("opt.prof", "prof_active") stay in either build, so they
 * prove nothing. */
static bool has_dump_strings(const unsigned char *buf, size_t len)
{
    static const char header[] = "heap_v2/%", maps[] = "\nMAPPED_LIBRARIES:\n";

    return memmem(buf, len, header, sizeof(header) - 1) && memmem(buf, len, maps, sizeof(maps) - 1);
}

int jemalloc_prof_scan(const unsigned char *buf, size_t len)
{
    size_t off, size;

    if (!buf)
        return 0;
    if (find_section(buf, len, ".rodata", &off, &size))
        return has_dump_strings(buf + off, size);
    return has_dump_strings(buf, len);
}

int jemalloc_own_scan(const unsigned char *buf, size_t len)
{
    static const char name[] = "jeinit_hook_install"; /* with its NUL: the name, not a prefix */

    return buf && memmem(buf, len, name, sizeof(name)) != NULL;
}

#define CACHE_MAGIC  "glibc-ld.so.cache1.1"
#define CACHE_HEADER 48
#define CACHE_ENTRY  24

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

int ldcache_lookup(const unsigned char *buf, size_t len, const char *name, char *out, size_t outsz)
{
    const unsigned char *base = NULL;
    size_t mlen = strlen(CACHE_MAGIC), avail;
    uint32_t nlibs;

    for (size_t i = 0; i + mlen <= len && i < (size_t)4096 * 1024; i += 4) {
        if (memcmp(buf + i, CACHE_MAGIC, mlen) == 0) {
            base = buf + i;
            break;
        }
    }
    if (!base)
        return -EINVAL;
    avail = len - (size_t)(base - buf);
    if (avail < CACHE_HEADER)
        return -EINVAL;
    nlibs = get32(base + 20);
    if (nlibs > (avail - CACHE_HEADER) / CACHE_ENTRY)
        return -EINVAL;
    for (uint32_t i = 0; i < nlibs; i++) {
        const unsigned char *e = base + CACHE_HEADER + (size_t)i * CACHE_ENTRY;
        int32_t flags = (int32_t)get32(e);
        uint32_t key = get32(e + 4), value = get32(e + 8);
        const char *k, *v;
        size_t vlen;

        if (OUR_CACHE_FLAGS && flags != OUR_CACHE_FLAGS)
            continue;
        if (key >= avail || value >= avail)
            continue;
        k = (const char *)base + key;
        if (!memchr(k, '\0', avail - key) || strcmp(k, name) != 0)
            continue;
        v = (const char *)base + value;
        if (!memchr(v, '\0', avail - value))
            continue;
        vlen = strlen(v);
        if (vlen + 1 > outsz)
            return -ENAMETOOLONG;
        memcpy(out, v, vlen + 1);
        return 0;
    }
    return -ENOENT;
}
