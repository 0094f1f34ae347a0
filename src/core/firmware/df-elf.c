/* df-elf.c: ELF executables through libelf, read; df-elf-writer.c writes
 * them.
 *
 * Reading takes the PT_LOAD segments that have file data and places each at
 * its physical address (p_paddr): on a microcontroller that is where the
 * bytes live in flash (.data is stored after .text and copied to RAM by the
 * startup code), and it is what objcopy -O binary, gdb's `load` and pyOCD
 * use.  Only p_filesz bytes are taken; the rest of p_memsz is .bss. */
#include <inttypes.h>
#include <string.h>
#include <gelf.h>

#include <glib/gi18n.h>

#include "df-elf.h"
#include "df-formats.h"

gboolean
df_elf_init (void)
{
  static gsize once = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&once))
    {
      ok = elf_version (EV_CURRENT) != EV_NONE;
      g_once_init_leave (&once, 1);
    }
  return ok;
}

static const gchar *
machine_name (guint machine)
{
  switch (machine)
    {
    case EM_ARM:     return "ARM";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV:   return "RISC-V";
    case EM_XTENSA:  return "Xtensa";
    case EM_AVR:     return "AVR";
    case EM_386:     return "x86";
    case EM_X86_64:  return "x86-64";
    default:         return NULL;
    }
}

typedef struct {
  guint64 address;  /* where it goes: p_paddr, or p_vaddr (see below) */
  guint64 vaddr;
  guint64 offset;   /* of the data in the file */
  guint64 size;
  gsize   phdr;     /* file offset of its program header, for messages */
  guint   index;    /* program header number, 0-based */
} LoadSegment;

static gint
load_segment_cmp (gconstpointer a, gconstpointer b)
{
  const LoadSegment *sa = a, *sb = b;
  if (sa->address != sb->address)
    return sa->address < sb->address ? -1 : 1;
  return (gint) sa->index - (gint) sb->index; /* keep file order on ties */
}

/* Checks what libelf would only refuse with a vague message, so the user
 * learns which byte is wrong.  FALSE after an error diagnostic. */
static gboolean
check_ident (DfImage *image, const guint8 *data, gsize size)
{
  gsize header;

  if (size < EI_NIDENT || memcmp (data, ELFMAG, SELFMAG) != 0)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0,
                               _("not an ELF file: it does not start with the ELF magic \\x7fELF"));
      return FALSE;
    }
  if (data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, EI_CLASS, 0,
                               _("unknown ELF class %u (expected 1 for ELF32 or 2 for ELF64)"), data[EI_CLASS]);
      return FALSE;
    }
  if (data[EI_DATA] != ELFDATA2LSB && data[EI_DATA] != ELFDATA2MSB)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, EI_DATA, 0,
                               _("unknown ELF byte order %u (expected 1 for little-endian or 2 for big-endian)"),
                               data[EI_DATA]);
      return FALSE;
    }
  if (data[EI_VERSION] != EV_CURRENT)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, EI_VERSION, 0,
                               _("unknown ELF version %u (expected 1)"), data[EI_VERSION]);
      return FALSE;
    }
  header = data[EI_CLASS] == ELFCLASS32 ? sizeof (Elf32_Ehdr) : sizeof (Elf64_Ehdr);
  if (size < header)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) size, 0,
                               _("truncated: the ELF header needs %zu bytes but the file has %zu"),
                               header, size);
      return FALSE;
    }
  return TRUE;
}

static void
check_overlaps (DfImage *image, const LoadSegment *segs, guint n)
{
  /* sorted by address: a segment overlaps an earlier one when it starts
   * before the furthest end seen so far */
  guint64 end = 0;
  guint last = 0;

  for (guint i = 0; i < n; i++)
    {
      if (i > 0 && segs[i].address < end)
        df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) segs[i].phdr, 0,
                                 _("segment %u (0x%08" PRIx64 "..0x%08" PRIx64 ") overlaps "
                                 "segment %u (0x%08" PRIx64 "..0x%08" PRIx64 ")"),
                                 segs[i].index, segs[i].address, segs[i].address + segs[i].size - 1,
                                 segs[last].index, segs[last].address, end - 1);
      if (segs[i].address + segs[i].size > end)
        {
          end = segs[i].address + segs[i].size;
          last = i;
        }
    }
}

/* the ELF header, and a note saying what the file is for */
static gboolean
read_header (DfImage *image, Elf *elf, const guint8 *data, GElf_Ehdr *ehdr)
{
  gboolean is64 = data[EI_CLASS] == ELFCLASS64;
  const gchar *machine;
  g_autofree gchar *machine_number = NULL;

  if (gelf_getehdr (elf, ehdr) == NULL)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0,
                               _("cannot read the ELF header: %s"), elf_errmsg (-1));
      return FALSE;
    }
  machine = machine_name (ehdr->e_machine);
  if (machine == NULL)
    machine = machine_number = g_strdup_printf ("machine %u", ehdr->e_machine);
  df_image_add_diagnostic (image, DF_SEVERITY_NOTE, 0x18, 0,
                           _("ELF%s %s-endian %s, entry point 0x%08" PRIx64),
                           is64 ? "64" : "32", data[EI_DATA] == ELFDATA2LSB ? "little" : "big",
                           machine, (guint64) ehdr->e_entry);
  return TRUE;
}

/* the number of program headers, once the table is known to lie whole
 * inside the file; FALSE after an error diagnostic */
static gboolean
count_program_headers (DfImage *image, Elf *elf, const GElf_Ehdr *ehdr, gboolean is64, gsize phentsize,
                       gsize size, size_t *phnum_out)
{
  /* field offsets in the ELF header, for messages */
  gint64 off_phoff = is64 ? 0x20 : 0x1c;
  gint64 off_phentsize = is64 ? 0x36 : 0x2a;
  /* not elf_getphdrnum (): it quietly shrinks a table that runs past the
   * end of the file, and a truncated file must be an error */
  size_t phnum = ehdr->e_phnum;

  if (phnum == PN_XNUM)
    {
      /* more than 65534 entries: the count is in section 0's sh_info */
      GElf_Shdr shdr0;
      Elf_Scn *scn0 = elf_getscn (elf, 0);
      if (scn0 == NULL || gelf_getshdr (scn0, &shdr0) == NULL)
        {
          df_image_add_diagnostic (image, DF_SEVERITY_ERROR, is64 ? 0x38 : 0x2c, 0,
                                   _("e_phnum says the program header count is in section 0, "
                                   "but there is no section 0: %s"), elf_errmsg (-1));
          return FALSE;
        }
      phnum = shdr0.sh_info;
    }
  if (phnum > 0 && ehdr->e_phentsize != phentsize)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, off_phentsize, 0,
                               _("program header entries are %u bytes; ELF%s needs %zu"),
                               ehdr->e_phentsize, is64 ? "64" : "32", phentsize);
      return FALSE;
    }
  if (phnum > 0 && (ehdr->e_phoff > size || (size - ehdr->e_phoff) / phentsize < phnum))
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, off_phoff, 0,
                               _("truncated: the program header table at offset 0x%" PRIx64 " "
                               "(%" PRIu64 " bytes) runs past the end of the file (%zu bytes)"),
                               (guint64) ehdr->e_phoff, (guint64) phnum * phentsize, size);
      return FALSE;
    }
  *phnum_out = phnum;
  return TRUE;
}

/* the PT_LOAD segments with data in the file, in file order, at their
 * physical address; FALSE after an error diagnostic */
static gboolean
collect_load_segments (DfImage *image, Elf *elf, const GElf_Ehdr *ehdr, size_t phnum, gsize phentsize,
                       gsize size, GArray *segs)
{
  gboolean ok = TRUE;

  for (size_t i = 0; i < phnum; i++)
    {
      GElf_Phdr phdr;
      LoadSegment seg;
      gsize where = (gsize) ehdr->e_phoff + i * phentsize;

      if (gelf_getphdr (elf, (int) i, &phdr) == NULL)
        {
          df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) where, 0,
                                   _("cannot read program header %zu: %s"), (gsize) i, elf_errmsg (-1));
          return FALSE;
        }
      if (phdr.p_type != PT_LOAD || phdr.p_filesz == 0)
        continue; /* not loaded, or only .bss: nothing in flash */

      if (phdr.p_offset > size || phdr.p_filesz > size - phdr.p_offset)
        {
          df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) where, 0,
                                   _("segment %zu claims %" PRIu64 " bytes at file offset "
                                   "0x%" PRIx64 ", past the end of the file (%zu bytes); "
                                   "the file is truncated"),
                                   (gsize) i, (guint64) phdr.p_filesz, (guint64) phdr.p_offset, size);
          ok = FALSE;
          continue;
        }
      if (phdr.p_filesz > phdr.p_memsz)
        df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) where, 0,
                                 _("segment %zu has more bytes in the file (%" PRIu64 ") "
                                 "than in memory (%" PRIu64 "); all file bytes are used"),
                                 (gsize) i, (guint64) phdr.p_filesz, (guint64) phdr.p_memsz);

      seg.address = phdr.p_paddr;
      seg.vaddr = phdr.p_vaddr;
      seg.offset = phdr.p_offset;
      seg.size = phdr.p_filesz;
      seg.phdr = where;
      seg.index = (guint) i;
      g_array_append_val (segs, seg);
    }
  return ok;
}

/* Like binutils: physical addresses that are all zero were never filled
 * in by the linker, so the virtual ones are the real ones.  Notes each
 * segment stored somewhere else than where it runs. */
static void
choose_addresses (DfImage *image, const GElf_Ehdr *ehdr, GArray *segs)
{
  gboolean all_paddr_zero = TRUE, any_vaddr = FALSE;

  for (guint i = 0; i < segs->len; i++)
    {
      LoadSegment *seg = &g_array_index (segs, LoadSegment, i);
      if (seg->address != 0)
        all_paddr_zero = FALSE;
      if (seg->vaddr != 0)
        any_vaddr = TRUE;
    }
  if (all_paddr_zero && any_vaddr)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_NOTE, (gint64) ehdr->e_phoff, 0,
                               _("every segment has physical address 0; using the virtual addresses"));
      for (guint i = 0; i < segs->len; i++)
        g_array_index (segs, LoadSegment, i).address = g_array_index (segs, LoadSegment, i).vaddr;
    }
  for (guint i = 0; i < segs->len; i++)
    {
      LoadSegment *seg = &g_array_index (segs, LoadSegment, i);
      if (seg->address != seg->vaddr)
        df_image_add_diagnostic (image, DF_SEVERITY_NOTE, (gint64) seg->phdr, 0,
                                 _("segment %u is stored at 0x%08" PRIx64 " and runs at "
                                 "0x%08" PRIx64 "; it is flashed at its stored (physical) address"),
                                 seg->index, seg->address, seg->vaddr);
    }
}

/* a DFU device addresses 32 bits; FALSE after an error diagnostic */
static gboolean
check_32bit (DfImage *image, GArray *segs)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < segs->len; i++)
    {
      LoadSegment *seg = &g_array_index (segs, LoadSegment, i);
      if (seg->address > G_MAXUINT32 || seg->size > (guint64) G_MAXUINT32 + 1 - seg->address)
        {
          df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) seg->phdr, 0,
                                   _("segment %u at 0x%" PRIx64 " with %" PRIu64 " bytes "
                                   "lies beyond the 4 GiB a DFU device can address"),
                                   seg->index, seg->address, seg->size);
          ok = FALSE;
        }
    }
  return ok;
}

/* the ELF work, on an open handle; FALSE after an error diagnostic */
static gboolean
parse_elf (DfImage *image, GBytes *bytes, Elf *elf)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gboolean is64 = data[EI_CLASS] == ELFCLASS64;
  gsize phentsize = is64 ? sizeof (Elf64_Phdr) : sizeof (Elf32_Phdr);
  GElf_Ehdr ehdr;
  size_t phnum;
  g_autoptr(GArray) segs = g_array_new (FALSE, FALSE, sizeof (LoadSegment));
  DfTarget *target;

  if (!read_header (image, elf, data, &ehdr) ||
      !count_program_headers (image, elf, &ehdr, is64, phentsize, size, &phnum) ||
      !collect_load_segments (image, elf, &ehdr, phnum, phentsize, size, segs))
    return FALSE;

  if (segs->len == 0)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, phnum > 0 ? (gint64) ehdr.e_phoff : -1, 0,
                               _("the ELF file has no loadable segment with data: nothing to flash%s"),
                               ehdr.e_type == ET_REL ? " (it is an object file: link it into an executable first)" : "");
      return FALSE;
    }
  choose_addresses (image, &ehdr, segs);
  if (!check_32bit (image, segs))
    return FALSE;

  g_array_sort (segs, load_segment_cmp);
  check_overlaps (image, (const LoadSegment *) (gpointer) segs->data, segs->len);

  target = df_image_add_target (image, 0, NULL);
  for (guint i = 0; i < segs->len; i++)
    {
      LoadSegment *seg = &g_array_index (segs, LoadSegment, i);
      g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (bytes, (gsize) seg->offset, (gsize) seg->size);
      df_target_add_segment (target, (guint32) seg->address, chunk);
    }
  return TRUE;
}

DfImage *
df_elf_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  DfImage *image = df_image_new (DF_FORMAT_ELF, name);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  Elf *elf;

  if (!check_ident (image, data, size))
    return image;
  if (!df_elf_init ())
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 0, _("libelf is out of date: %s"), elf_errmsg (-1));
      return image;
    }
  /* elf_memory uses ELF_C_READ_MMAP: it never writes to the buffer */
  elf = elf_memory ((gchar *) data, size);
  if (elf == NULL || elf_kind (elf) != ELF_K_ELF)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0,
                               _("libelf cannot read the file (damaged ELF header or section header table?): %s"),
                               elf_errmsg (-1));
      if (elf != NULL)
        elf_end (elf);
      return image;
    }
  parse_elf (image, bytes, elf);
  elf_end (elf);
  return image;
}
