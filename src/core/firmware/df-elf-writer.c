/* df-elf-writer.c: ELF output through libelf: a small ELF32 little-endian
 * ARM executable, one PT_LOAD and one section per segment, so binutils,
 * gdb and pyOCD all accept it.  The reader is df-elf.c. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <glib/gstdio.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include <glib/gi18n.h>

#include "df-elf.h"
#include "df-error.h"
#include "df-formats.h"

#define PHDR_OFFSET  sizeof (Elf32_Ehdr)
#define EF_ARM_EABI5 0x05000000 /* what arm-none-eabi-gcc marks its output with */

static gint
segment_address_cmp (gconstpointer a, gconstpointer b)
{
  const DfSegment *sa = *(const DfSegment * const *) a;
  const DfSegment *sb = *(const DfSegment * const *) b;
  return sa->address < sb->address ? -1 : sa->address > sb->address;
}

/* gdb's `load` sets the PC to e_entry.  On a Cortex-M the reset handler is
 * the second word of the vector table at the start of flash; use it when it
 * looks like one (a Thumb address inside the image), else the lowest address. */
static guint32
guess_entry (GPtrArray *segments)
{
  DfSegment *first = g_ptr_array_index (segments, 0);
  gsize size;
  const guint8 *data = g_bytes_get_data (first->data, &size);
  guint32 reset;

  if (size < 8)
    return first->address;
  reset = (guint32) data[4] | ((guint32) data[5] << 8) | ((guint32) data[6] << 16) | ((guint32) data[7] << 24);
  if ((reset & 1) == 0)
    return first->address;
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *seg = g_ptr_array_index (segments, i);
      if (reset >= seg->address && reset - seg->address < g_bytes_get_size (seg->data))
        return reset;
    }
  return first->address;
}

/* an anonymous file to let libelf write into: memory on Linux, else /tmp */
static gint
open_scratch_file (GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree gchar *path = NULL;
  gint fd;

#ifdef __linux__
  fd = memfd_create ("defuse-elf", MFD_CLOEXEC);
  if (fd >= 0)
    return fd;
#endif
  fd = g_file_open_tmp ("defuse-XXXXXX.elf", &path, &local);
  if (fd < 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot create a temporary file for the ELF output: %s"),
                   local->message);
      return -1;
    }
  g_unlink (path);
  return fd;
}

static GBytes *
read_scratch_file (gint fd, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 buf[65536];

  if (lseek (fd, 0, SEEK_SET) != 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot read back the ELF output: %s"), g_strerror (errno));
      return NULL;
    }
  for (;;)
    {
      gssize n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot read back the ELF output: %s"), g_strerror (errno));
          return NULL;
        }
      if (n == 0)
        break;
      g_byte_array_append (out, buf, (guint) n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* a section holding size bytes at file offset; NULL when libelf fails */
static Elf_Scn *
add_section (Elf *elf, gconstpointer buf, gsize size, guint32 offset, Elf32_Shdr **shdr_out)
{
  Elf_Scn *scn = elf_newscn (elf);
  Elf_Data *edata = scn != NULL ? elf_newdata (scn) : NULL;
  Elf32_Shdr *shdr = scn != NULL ? elf32_getshdr (scn) : NULL;

  if (edata == NULL || shdr == NULL)
    return NULL;
  edata->d_buf = (gpointer) buf; /* only read by elf_update */
  edata->d_size = size;
  edata->d_type = ELF_T_BYTE;
  edata->d_align = 1;
  edata->d_off = 0;
  edata->d_version = EV_CURRENT;
  shdr->sh_offset = offset;
  shdr->sh_size = (Elf32_Word) size;
  shdr->sh_addralign = 1;
  *shdr_out = shdr;
  return scn;
}

/* a PROGBITS section and the PT_LOAD that points at it, for one segment;
 * returns the file offset after it, or 0 when libelf fails */
static guint32
add_segment (Elf *elf, DfSegment *seg, guint32 name, guint32 offset, Elf32_Phdr *phdr)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (seg->data, &size);
  Elf32_Shdr *shdr;

  /* file offset congruent to the address modulo p_align, as the ELF
   * specification asks of loadable segments */
  offset += (seg->address - offset) & 3;

  if (add_section (elf, data, size, offset, &shdr) == NULL)
    return 0;
  shdr->sh_name = name;
  shdr->sh_type = SHT_PROGBITS;
  shdr->sh_flags = SHF_ALLOC | SHF_EXECINSTR;
  shdr->sh_addr = seg->address;

  phdr->p_type = PT_LOAD;
  phdr->p_offset = offset;
  phdr->p_vaddr = seg->address;
  phdr->p_paddr = seg->address;
  phdr->p_filesz = (Elf32_Word) size;
  phdr->p_memsz = (Elf32_Word) size;
  phdr->p_flags = PF_R | PF_X;
  phdr->p_align = 4;
  return offset + (guint32) size;
}

static void
fill_header (Elf32_Ehdr *ehdr, GPtrArray *segments, guint32 end, Elf_Scn *names)
{
  memcpy (ehdr->e_ident, ELFMAG, SELFMAG);
  ehdr->e_ident[EI_CLASS] = ELFCLASS32;
  ehdr->e_ident[EI_DATA] = ELFDATA2LSB;
  ehdr->e_ident[EI_VERSION] = EV_CURRENT;
  ehdr->e_ident[EI_OSABI] = ELFOSABI_NONE;
  ehdr->e_type = ET_EXEC;
  ehdr->e_machine = EM_ARM;
  ehdr->e_version = EV_CURRENT;
  ehdr->e_entry = guess_entry (segments);
  ehdr->e_phoff = PHDR_OFFSET;
  ehdr->e_shoff = (end + 3) & ~3u;
  ehdr->e_flags = EF_ARM_EABI5;
  ehdr->e_ehsize = sizeof (Elf32_Ehdr);
  ehdr->e_phentsize = sizeof (Elf32_Phdr);
  ehdr->e_shentsize = sizeof (Elf32_Shdr);
  ehdr->e_shstrndx = (Elf32_Half) elf_ndxscn (names);
}

/* Lays the file out by hand (ELF_F_LAYOUT) so each PT_LOAD can point at
 * its section's data: header, program headers, segment data, section name
 * table, section headers. */
static gboolean
write_elf (Elf *elf, GPtrArray *segments, GError **error)
{
  Elf32_Ehdr *ehdr;
  Elf32_Phdr *phdr;
  Elf_Scn *scn;
  Elf32_Shdr *shdr;
  g_autoptr(GString) names = g_string_new_len ("", 1); /* index 0: "" */
  g_autofree guint32 *name_index = g_new0 (guint32, segments->len);
  guint32 offset, shstrtab_name;

  elf_flagelf (elf, ELF_C_SET, ELF_F_LAYOUT);
  ehdr = elf32_newehdr (elf);
  phdr = ehdr != NULL ? elf32_newphdr (elf, segments->len) : NULL;
  if (phdr == NULL)
    goto fail;

  /* names first: the section table goes after them */
  for (guint i = 0; i < segments->len; i++)
    {
      name_index[i] = (guint32) names->len;
      g_string_append_printf (names, ".sec%u", i + 1);
      g_string_append_c (names, '\0');
    }
  shstrtab_name = (guint32) names->len;
  g_string_append (names, ".shstrtab");
  g_string_append_c (names, '\0');

  offset = PHDR_OFFSET + segments->len * sizeof (Elf32_Phdr);
  for (guint i = 0; i < segments->len; i++)
    {
      offset = add_segment (elf, g_ptr_array_index (segments, i), name_index[i], offset, &phdr[i]);
      if (offset == 0)
        goto fail;
    }

  scn = add_section (elf, names->str, names->len, offset, &shdr);
  if (scn == NULL)
    goto fail;
  shdr->sh_name = shstrtab_name;
  shdr->sh_type = SHT_STRTAB;
  offset += (guint32) names->len;

  fill_header (ehdr, segments, offset, scn);
  if (elf_update (elf, ELF_C_WRITE) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, DF_ERROR, DF_ERROR_FAILED, _("libelf cannot write the ELF file: %s"), elf_errmsg (-1));
  return FALSE;
}

GBytes *
df_elf_write (DfImage *image, GError **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();
  DfTarget *target;
  guint64 total = 0;
  gboolean ok;
  Elf *elf;
  gint fd;

  if (image->targets->len != 1)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("an ELF file holds one address space but %s has %u targets (alternate settings); "
                   "write a DfuSe file instead (--to dfuse)"), image->source, image->targets->len);
      return NULL;
    }
  if (!df_image_check_addresses (image, "ELF", error))
    return NULL;
  target = g_ptr_array_index (image->targets, 0);
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *seg = g_ptr_array_index (target->segments, i);
      gsize size = g_bytes_get_size (seg->data);

      if (size == 0)
        continue; /* an empty PT_LOAD flashes nothing */
      total += size;
      g_ptr_array_add (segments, seg);
    }
  if (segments->len == 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("%s holds no bytes to write to an ELF file"), image->source);
      return NULL;
    }
  /* offsets are 32-bit: headers, data and names must fit */
  if (total > G_MAXUINT32 - 65536 - (guint64) segments->len * 128)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, _("%s is too large for an ELF32 file"), image->source);
      return NULL;
    }
  /* the ELF specification wants PT_LOAD entries sorted by address */
  g_ptr_array_sort (segments, segment_address_cmp);

  if (!df_elf_init ())
    {
      g_set_error (error, DF_ERROR, DF_ERROR_FAILED, _("libelf is out of date: %s"), elf_errmsg (-1));
      return NULL;
    }
  fd = open_scratch_file (error);
  if (fd < 0)
    return NULL;
  elf = elf_begin (fd, ELF_C_WRITE, NULL);
  if (elf == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_FAILED, _("libelf cannot start an ELF file: %s"), elf_errmsg (-1));
      close (fd);
      return NULL;
    }
  ok = write_elf (elf, segments, error);
  elf_end (elf);
  if (ok)
    {
      GBytes *out = read_scratch_file (fd, error);
      close (fd);
      return out;
    }
  close (fd);
  return NULL;
}

