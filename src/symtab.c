/* symtab.c - see symtab.h. */
#include "symtab.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* [off, off + size) lies within len. */
static int in_image(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

static int header(const unsigned char *buf, size_t len, Elf64_Ehdr *eh)
{
    if (len < sizeof(*eh))
        return -ENOEXEC;
    memcpy(eh, buf, sizeof(*eh));
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != NATIVE_DATA)
        return -ENOEXEC;
    return 0;
}

/* The file offset as a virtual address, through the PT_LOAD containing it. */
static int file_to_vaddr(const unsigned char *buf, size_t len, const Elf64_Ehdr *eh, uint64_t off,
                         uint64_t *vaddr)
{
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !in_image(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
        return -ENOEXEC;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, buf + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || off < ph.p_offset || off - ph.p_offset >= ph.p_filesz)
            continue;
        *vaddr = off - ph.p_offset + ph.p_vaddr;
        return 0;
    }
    return -ENOENT;
}

/* The best function symbol of one table for vaddr: the one whose
 * [value, value + size) holds it. */
static int search_table(const unsigned char *buf, size_t len, const Elf64_Ehdr *eh,
                        const Elf64_Shdr *sh, uint64_t vaddr, char *name, size_t namesz,
                        uint64_t *start)
{
    Elf64_Shdr strsh;
    uint64_t nsyms, best = UINT64_MAX;
    uint32_t best_name = 0;

    if (sh->sh_entsize != sizeof(Elf64_Sym) || !in_image(sh->sh_offset, sh->sh_size, len) ||
        sh->sh_link >= eh->e_shnum)
        return -ENOENT;
    memcpy(&strsh, buf + eh->e_shoff + (uint64_t)sh->sh_link * sizeof(strsh), sizeof(strsh));
    if (strsh.sh_type != SHT_STRTAB || !in_image(strsh.sh_offset, strsh.sh_size, len))
        return -ENOENT;
    nsyms = sh->sh_size / sizeof(Elf64_Sym);
    for (uint64_t i = 0; i < nsyms; i++) {
        Elf64_Sym sym;
        unsigned type;
        memcpy(&sym, buf + sh->sh_offset + i * sizeof(sym), sizeof(sym));
        type = ELF64_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
            sym.st_value > vaddr || sym.st_name >= strsh.sh_size)
            continue;
        if (vaddr - sym.st_value >= (sym.st_size ? sym.st_size : 1))
            continue;
        /* the narrowest wins (an alias of the same start: the first seen) */
        if (best == UINT64_MAX || sym.st_value > best) {
            best = sym.st_value;
            best_name = sym.st_name;
        }
    }
    if (best == UINT64_MAX)
        return -ENOENT;
    {
        const char *s = (const char *)buf + strsh.sh_offset + best_name;
        size_t max = (size_t)(strsh.sh_size - best_name), n = strnlen(s, max);
        if (n == max || n == 0)
            return -ENOENT; /* not terminated within its table, or empty */
        if (n >= namesz)
            n = namesz - 1;
        memcpy(name, s, n);
        name[n] = '\0';
    }
    *start = best;
    return 0;
}

int symtab_lookup(const unsigned char *buf, size_t len, uint64_t file_off, char *name,
                  size_t namesz, struct symtab_hit *hit)
{
    static const uint32_t order[] = {SHT_SYMTAB, SHT_DYNSYM};
    static const char *const names[] = {".symtab", ".dynsym"};
    Elf64_Ehdr eh;
    uint64_t vaddr = 0, start = 0;
    int r;

    memset(hit, 0, sizeof(*hit));
    if (namesz == 0)
        return -EINVAL;
    name[0] = '\0';
    r = header(buf, len, &eh);
    if (r < 0)
        return r;
    r = file_to_vaddr(buf, len, &eh, file_off, &vaddr);
    if (r < 0)
        return r;
    hit->vaddr = vaddr;
    if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
        !in_image(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), len))
        return -ENOENT; /* no section headers: no symbols to read */
    for (size_t t = 0; t < sizeof(order) / sizeof(order[0]); t++) {
        for (unsigned i = 0; i < eh.e_shnum; i++) {
            Elf64_Shdr sh;
            memcpy(&sh, buf + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
            if (sh.sh_type != order[t])
                continue;
            if (search_table(buf, len, &eh, &sh, vaddr, name, namesz, &start) == 0) {
                hit->offset = vaddr - start;
                hit->table = names[t];
                return 0;
            }
        }
    }
    return -ENOENT;
}
