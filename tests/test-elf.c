/* test-elf: ELF reading (through libelf) and writing, checked against
 * binutils and against what the system compiler produces. */
#include <string.h>
#include <elf.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "df-error.h"
#include "df-test-util.h"

/* A hand-made ELF: header, program headers, then each segment's file bytes
 * (patterned with seed i + 1, like df_test_image).  No section headers. */
typedef struct {
  guint32 type;
  guint64 paddr;
  guint64 vaddr;
  gsize   filesz;
  gsize   memsz;
} TestPhdr;

typedef struct {
  guint8  *data;
  gboolean is64;
  gboolean be;
} Builder;

static void
put (Builder *b, gsize offset, guint size, guint64 value)
{
  for (guint i = 0; i < size; i++)
    b->data[offset + (b->be ? size - 1 - i : i)] = (guint8) (value >> (8 * i));
}

static GBytes *
build_elf (gboolean is64, gboolean be, guint16 type, const TestPhdr *ph, guint n)
{
  gsize ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32;
  gsize total = ehsize + n * phentsize, offset;
  Builder b = { NULL, is64, be };

  for (guint i = 0; i < n; i++)
    total += ph[i].filesz;
  b.data = g_malloc0 (total);
  memcpy (b.data, ELFMAG, SELFMAG);
  b.data[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
  b.data[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
  b.data[EI_VERSION] = EV_CURRENT;
  put (&b, 16, 2, type);
  put (&b, 18, 2, EM_ARM);
  put (&b, 20, 4, EV_CURRENT);
  put (&b, 24, is64 ? 8 : 4, 0x08000101);                     /* e_entry */
  put (&b, is64 ? 32 : 28, is64 ? 8 : 4, ehsize);              /* e_phoff */
  put (&b, is64 ? 52 : 40, 2, ehsize);                         /* e_ehsize */
  put (&b, is64 ? 54 : 42, 2, phentsize);
  put (&b, is64 ? 56 : 44, 2, n);                              /* e_phnum */
  put (&b, is64 ? 58 : 46, 2, is64 ? 64 : 40);                 /* e_shentsize */

  offset = ehsize + n * phentsize;
  for (guint i = 0; i < n; i++)
    {
      gsize p = ehsize + i * phentsize;
      g_autoptr(GBytes) pattern = df_test_pattern (ph[i].filesz, i + 1);
      if (ph[i].filesz > 0)
        memcpy (b.data + offset, g_bytes_get_data (pattern, NULL), ph[i].filesz);
      put (&b, p, 4, ph[i].type);
      if (is64)
        {
          put (&b, p + 4, 4, PF_R | PF_X);
          put (&b, p + 8, 8, offset);
          put (&b, p + 16, 8, ph[i].vaddr);
          put (&b, p + 24, 8, ph[i].paddr);
          put (&b, p + 32, 8, ph[i].filesz);
          put (&b, p + 40, 8, ph[i].memsz);
          put (&b, p + 48, 8, 4);
        }
      else
        {
          put (&b, p + 4, 4, offset);
          put (&b, p + 8, 4, ph[i].vaddr);
          put (&b, p + 12, 4, ph[i].paddr);
          put (&b, p + 16, 4, ph[i].filesz);
          put (&b, p + 20, 4, ph[i].memsz);
          put (&b, p + 24, 4, PF_R | PF_X);
          put (&b, p + 28, 4, 4);
        }
      offset += ph[i].filesz;
    }
  return g_bytes_new_take (b.data, total);
}

static DfSegment *
segment (DfImage *image, guint index)
{
  DfTarget *target = g_ptr_array_index (image->targets, 0);
  g_assert_cmpuint (index, <, target->segments->len);
  return g_ptr_array_index (target->segments, index);
}

static guint
n_segments (DfImage *image)
{
  g_assert_cmpuint (image->targets->len, ==, 1);
  return ((DfTarget *) g_ptr_array_index (image->targets, 0))->segments->len;
}

static gboolean
has_diagnostic (DfImage *image, DfSeverity severity, const gchar *part)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == severity && strstr (diag->message, part) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
print_diagnostics (DfImage *image)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      g_autofree gchar *text = df_image_format_diagnostic (image, g_ptr_array_index (image->diagnostics, i));
      g_test_message ("%s", text);
    }
}

/* Shapes every writer test uses: sorted, no overlaps. */
typedef struct {
  const gchar  *name;
  DfTestSegment segs[4];
  guint         n;
} Shape;

static const Shape shapes[] = {
  { "one segment", { { 0x08000000, 4096 } }, 1 },
  { "one byte", { { 0x20000000, 1 } }, 1 },
  { "sparse, odd sizes", { { 0x08000000, 1000 }, { 0x08004003, 5 }, { 0x08020000, 333 } }, 3 },
  { "adjacent", { { 0x08000000, 16 }, { 0x08000010, 16 }, { 0x08000020, 7 } }, 3 },
  { "option bytes and flash", { { 0x08000000, 512 }, { 0x1FFFC000, 16 } }, 2 },
  { "top of the address space", { { 0x00000000, 8 }, { 0xFFFFFF00, 256 } }, 2 },
};

static void
test_roundtrip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, shapes[i].segs, shapes[i].n);
      g_autoptr(DfImage) back = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("shape: %s", shapes[i].name);
      bytes = df_elf_write (image, &error);
      g_assert_no_error (error);
      g_assert_nonnull (bytes);
      g_assert_cmpint (df_format_detect (bytes, NULL), ==, DF_FORMAT_ELF);
      back = df_elf_parse (bytes, "written.elf", DF_LOAD_NONE);
      print_diagnostics (back);
      g_assert_false (df_image_has_errors (back));
      g_assert_cmpint (back->format, ==, DF_FORMAT_ELF);
      g_assert_true (df_image_content_equal (image, back));
    }
}

/* The writer sorts; the reader sorts too, whatever the file order. */
static void
test_roundtrip_unsorted (void)
{
  const DfTestSegment segs[] = { { 0x08020000, 64 }, { 0x08000000, 32 }, { 0x08010000, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, segs, 3);
  g_autoptr(GBytes) bytes = df_elf_write (image, NULL);
  g_autoptr(DfImage) back = df_elf_parse (bytes, "x.elf", DF_LOAD_NONE);

  g_assert_cmpuint (n_segments (back), ==, 3);
  g_assert_cmphex (segment (back, 0)->address, ==, 0x08000000);
  g_assert_cmphex (segment (back, 1)->address, ==, 0x08010000);
  g_assert_cmphex (segment (back, 2)->address, ==, 0x08020000);
  for (guint i = 0; i < 3; i++)
    {
      DfSegment *orig = segment (image, i);
      DfSegment *found = NULL;
      for (guint j = 0; j < 3; j++)
        if (segment (back, j)->address == orig->address)
          found = segment (back, j);
      g_assert_nonnull (found);
      g_assert_true (g_bytes_equal (orig->data, found->data));
    }
}

/* Runs a tool; TRUE when it exits 0.  Skips the test if it is missing. */
static gboolean
run_tool (const gchar * const *argv, gchar **out, gchar **err)
{
  g_autoptr(GError) error = NULL;
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out, err, &status, &error))
    {
      g_autofree gchar *why = g_strdup_printf ("cannot run %s: %s", argv[0], error->message);
      g_test_skip (why);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[0], error->message, err != NULL && *err != NULL ? *err : "");
  return TRUE;
}

static gchar *
write_temp (GBytes *bytes, const gchar *tmpl)
{
  g_autoptr(GError) error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp (tmpl, &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  return path;
}

/* readelf must see our PT_LOADs without a warning, and objcopy -O binary
 * must produce the same flat image (gaps are zero in objcopy's output). */
static void
test_binutils (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, shapes[i].segs, shapes[i].n);
      g_autoptr(GBytes) bytes = df_elf_write (image, NULL);
      g_autofree gchar *path = write_temp (bytes, "defuse-test-XXXXXX.elf");
      g_autofree gchar *bin = g_strconcat (path, ".bin", NULL);
      g_autofree gchar *out = NULL, *err = NULL, *flat = NULL, *err2 = NULL;
      const gchar *readelf[] = { "readelf", "-hlSW", path, NULL };
      /* -I: Debian's x86 binutils has no ARM target, the generic ELF32 one reads it */
      const gchar *objcopy[] = { "objcopy", "-I", "elf32-little", "-O", "binary", path, bin, NULL };
      g_auto(GStrv) lines = NULL;
      guint loads = 0;
      gsize flat_size;
      guint32 base = shapes[i].segs[0].address;

      g_test_message ("shape: %s", shapes[i].name);
      if (!run_tool (readelf, &out, &err))
        return;
      g_assert_cmpstr (err, ==, "");
      g_assert_nonnull (strstr (out, "ARM"));
      g_assert_nonnull (strstr (out, ".sec1"));
      g_assert_nonnull (strstr (out, ".shstrtab"));
      lines = g_strsplit (out, "\n", -1);
      for (guint j = 0; lines[j] != NULL; j++)
        {
          guint64 offset, vaddr, paddr, filesz, memsz;
          DfSegment *seg;
          if (sscanf (lines[j], " LOAD 0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x "
                      "0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x",
                      &offset, &vaddr, &paddr, &filesz, &memsz) != 5)
            continue;
          seg = segment (image, loads++);
          g_assert_cmphex (vaddr, ==, seg->address);
          g_assert_cmphex (paddr, ==, seg->address);
          g_assert_cmpuint (filesz, ==, g_bytes_get_size (seg->data));
          g_assert_cmpuint (memsz, ==, filesz);
          g_assert_cmpuint (offset % 4, ==, seg->address % 4);
          g_assert_cmpmem ((const guint8 *) g_bytes_get_data (bytes, NULL) + offset, filesz,
                           g_bytes_get_data (seg->data, NULL), filesz);
        }
      g_assert_cmpuint (loads, ==, shapes[i].n);

      /* objcopy would make a 4 GiB file for a gap that big */
      if (shapes[i].segs[shapes[i].n - 1].address - base > 0x1000000)
        {
          g_unlink (path);
          continue;
        }
      if (!run_tool (objcopy, NULL, &err2))
        return;
      g_assert_true (g_file_get_contents (bin, &flat, &flat_size, NULL));
      for (guint j = 0; j < shapes[i].n; j++)
        {
          DfSegment *seg = segment (image, j);
          gsize size = g_bytes_get_size (seg->data);
          g_assert_cmpuint (seg->address - base + size, <=, flat_size);
          g_assert_cmpmem (flat + (seg->address - base), size, g_bytes_get_data (seg->data, NULL), size);
        }
      g_unlink (path);
      g_unlink (bin);
    }
}

/* The writer points e_entry at a Cortex-M reset handler when the image
 * starts with a vector table, since gdb's `load` sets the PC to it. */
static void
test_entry_point (void)
{
  const guint8 vectors[16] = { 0x00, 0x50, 0x00, 0x20, 0x09, 0x00, 0x00, 0x08 }; /* SP, reset 0x08000009 */
  const guint8 arm[16] = { 0x00, 0x50, 0x00, 0x20, 0x10, 0x00, 0x00, 0x08 };     /* even: not Thumb */
  g_autoptr(GBytes) data = g_bytes_new (vectors, sizeof vectors);
  g_autoptr(GBytes) data2 = g_bytes_new (arm, sizeof arm);
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_RAW, "vectors");
  g_autoptr(DfImage) plain = df_image_new (DF_FORMAT_RAW, "plain");
  g_autoptr(DfImage) back = NULL, back2 = NULL;
  g_autoptr(GBytes) bytes = NULL, bytes2 = NULL;

  df_target_add_segment (df_image_add_target (image, 0, NULL), 0x08000000, data);
  bytes = df_elf_write (image, NULL);
  back = df_elf_parse (bytes, "v.elf", DF_LOAD_NONE);
  g_assert_true (has_diagnostic (back, DF_SEVERITY_NOTE, "ELF32 little-endian ARM, entry point 0x08000009"));

  /* no vector table: the lowest address */
  df_target_add_segment (df_image_add_target (plain, 0, NULL), 0x08000000, data2);
  bytes2 = df_elf_write (plain, NULL);
  back2 = df_elf_parse (bytes2, "p.elf", DF_LOAD_NONE);
  g_assert_true (has_diagnostic (back2, DF_SEVERITY_NOTE, "entry point 0x08000000"));
}

/* ELF32/64, both byte orders: PT_LOADs with data at their physical
 * address, only file bytes, sorted; other segments ignored. */
static void
test_parse_classes (void)
{
  const TestPhdr ph[] = {
    { PT_LOAD, 0x08001000, 0x20000000, 16, 64 },  /* .data: stored in flash, runs in RAM */
    { PT_NOTE, 0, 0, 8, 8 },
    { PT_LOAD, 0x08000000, 0x08000000, 100, 100 }, /* .text */
    { PT_LOAD, 0x20000040, 0x20000040, 0, 256 },   /* .bss: nothing in the file */
  };

  for (guint k = 0; k < 4; k++)
    {
      gboolean is64 = k & 1, be = k & 2;
      g_autoptr(GBytes) bytes = build_elf (is64, be, ET_EXEC, ph, G_N_ELEMENTS (ph));
      g_autoptr(DfImage) image = df_elf_parse (bytes, "fw.elf", DF_LOAD_NONE);
      g_autoptr(GBytes) text = df_test_pattern (100, 3);
      g_autoptr(GBytes) data = df_test_pattern (16, 1);
      g_autofree gchar *note = g_strdup_printf ("ELF%s %s-endian ARM, entry point 0x08000101",
                                                is64 ? "64" : "32", be ? "big" : "little");

      g_test_message ("ELF%s %s", is64 ? "64" : "32", be ? "big-endian" : "little-endian");
      print_diagnostics (image);
      g_assert_false (df_image_has_errors (image));
      g_assert_true (has_diagnostic (image, DF_SEVERITY_NOTE, note));
      g_assert_true (has_diagnostic (image, DF_SEVERITY_NOTE, "runs at 0x20000000"));
      g_assert_cmpint (image->format, ==, DF_FORMAT_ELF);
      g_assert_cmpuint (n_segments (image), ==, 2);
      g_assert_cmphex (segment (image, 0)->address, ==, 0x08000000);
      g_assert_true (g_bytes_equal (segment (image, 0)->data, text));
      g_assert_cmphex (segment (image, 1)->address, ==, 0x08001000);
      g_assert_true (g_bytes_equal (segment (image, 1)->data, data));
    }
}

static void
test_parse_overlap (void)
{
  const TestPhdr ph[] = {
    { PT_LOAD, 0x08000000, 0x08000000, 64, 64 },
    { PT_LOAD, 0x08000020, 0x08000020, 64, 64 },
  };
  g_autoptr(GBytes) bytes = build_elf (FALSE, FALSE, ET_EXEC, ph, 2);
  g_autoptr(DfImage) image = df_elf_parse (bytes, "fw.elf", DF_LOAD_NONE);

  g_assert_false (df_image_has_errors (image));
  g_assert_true (has_diagnostic (image, DF_SEVERITY_WARNING, "overlaps"));
  g_assert_cmpuint (n_segments (image), ==, 2);
}

/* Physical addresses all zero: the linker never set them (binutils then
 * uses the virtual addresses, and so do we). */
static void
test_parse_paddr_zero (void)
{
  const TestPhdr ph[] = {
    { PT_LOAD, 0, 0x08000000, 32, 32 },
    { PT_LOAD, 0, 0x08000400, 8, 8 },
  };
  g_autoptr(GBytes) bytes = build_elf (FALSE, FALSE, ET_EXEC, ph, 2);
  g_autoptr(DfImage) image = df_elf_parse (bytes, "fw.elf", DF_LOAD_NONE);

  g_assert_false (df_image_has_errors (image));
  g_assert_true (has_diagnostic (image, DF_SEVERITY_NOTE, "using the virtual addresses"));
  g_assert_false (has_diagnostic (image, DF_SEVERITY_NOTE, "stored (physical) address"));
  g_assert_cmphex (segment (image, 0)->address, ==, 0x08000000);
  g_assert_cmphex (segment (image, 1)->address, ==, 0x08000400);
}

typedef enum {
  TRUNCATE,      /* keep `value` bytes */
  SET_BYTE,      /* byte at `where` = value */
  SET_FIELD32,   /* little-endian u32 at `where` = value */
} Mutation;

static void
test_parse_malformed (void)
{
  const TestPhdr one[] = { { PT_LOAD, 0x08000000, 0x08000000, 64, 64 } };
  const TestPhdr note[] = { { PT_NOTE, 0, 0, 8, 8 } };
  const TestPhdr high64[] = { { PT_LOAD, 0x100000000ull, 0x100000000ull, 16, 16 } };
  const TestPhdr wrap32[] = { { PT_LOAD, 0xFFFFFFF0, 0xFFFFFFF0, 32, 32 } };
  const struct {
    const gchar    *name;
    const TestPhdr *ph;
    guint           n;
    gboolean        is64;
    guint16         type;
    Mutation        mutation;
    gsize           where;
    guint32         value;
    gint64          offset;   /* of the error diagnostic */
    const gchar    *message;  /* part of it */
  } cases[] = {
    { "empty file", one, 1, FALSE, ET_EXEC, TRUNCATE, 0, 0, 0, "ELF magic" },
    { "shorter than e_ident", one, 1, FALSE, ET_EXEC, TRUNCATE, 0, 10, 0, "ELF magic" },
    { "truncated header", one, 1, FALSE, ET_EXEC, TRUNCATE, 0, 40, 40, "ELF header needs 52" },
    { "truncated ELF64 header", one, 1, TRUE, ET_EXEC, TRUNCATE, 0, 60, 60, "ELF header needs 64" },
    { "bad magic", one, 1, FALSE, ET_EXEC, SET_BYTE, 1, 'F', 0, "ELF magic" },
    { "bad class", one, 1, FALSE, ET_EXEC, SET_BYTE, EI_CLASS, 3, EI_CLASS, "ELF class 3" },
    { "bad byte order", one, 1, FALSE, ET_EXEC, SET_BYTE, EI_DATA, 0, EI_DATA, "byte order 0" },
    { "bad version", one, 1, FALSE, ET_EXEC, SET_BYTE, EI_VERSION, 2, EI_VERSION, "ELF version 2" },
    { "phdr table past end", one, 1, FALSE, ET_EXEC, SET_FIELD32, 28, 130, 28, "program header table" },
    { "phdr table offset huge", one, 1, FALSE, ET_EXEC, SET_FIELD32, 28, 0xFFFFFFF0, 28, "program header table" },
    { "phdr table cut", one, 1, FALSE, ET_EXEC, TRUNCATE, 0, 70, 28, "program header table" },
    { "bad phentsize", one, 1, FALSE, ET_EXEC, SET_BYTE, 42, 16, 42, "program header entries are 16 bytes" },
    { "segment data past end", one, 1, FALSE, ET_EXEC, TRUNCATE, 0, 100, 52, "past the end of the file" },
    { "segment offset past end", one, 1, FALSE, ET_EXEC, SET_FIELD32, 52 + 4, 0x10000, 52, "past the end" },
    { "segment size huge", one, 1, FALSE, ET_EXEC, SET_FIELD32, 52 + 16, 0xFFFFFFFF, 52, "past the end" },
    { "no PT_LOAD", note, 1, FALSE, ET_EXEC, TRUNCATE, 0, G_MAXUINT32, 52, "no loadable segment" },
    { "object file", NULL, 0, FALSE, ET_REL, TRUNCATE, 0, G_MAXUINT32, -1, "link it" },
    { "above 4 GiB", high64, 1, TRUE, ET_EXEC, TRUNCATE, 0, G_MAXUINT32, 64, "beyond the 4 GiB" },
    { "wraps 4 GiB", wrap32, 1, FALSE, ET_EXEC, TRUNCATE, 0, G_MAXUINT32, 52, "beyond the 4 GiB" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) good = build_elf (cases[i].is64, FALSE, cases[i].type, cases[i].ph, cases[i].n);
      g_autoptr(GByteArray) bad = g_byte_array_new ();
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(DfImage) image = NULL;
      gboolean found = FALSE;

      g_test_message ("case: %s", cases[i].name);
      g_byte_array_append (bad, g_bytes_get_data (good, NULL), (guint) g_bytes_get_size (good));
      switch (cases[i].mutation)
        {
        case TRUNCATE:
          g_byte_array_set_size (bad, MIN (bad->len, cases[i].value));
          break;
        case SET_BYTE:
          bad->data[cases[i].where] = (guint8) cases[i].value;
          break;
        case SET_FIELD32:
          for (guint k = 0; k < 4; k++)
            bad->data[cases[i].where + k] = (guint8) (cases[i].value >> (8 * k));
          break;
        }
      bytes = g_bytes_new (bad->data, bad->len);
      image = df_elf_parse (bytes, "bad.elf", DF_LOAD_NONE);
      print_diagnostics (image);
      g_assert_true (df_image_has_errors (image));
      for (guint j = 0; j < image->diagnostics->len; j++)
        {
          DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, j);
          if (diag->severity == DF_SEVERITY_ERROR && strstr (diag->message, cases[i].message) != NULL)
            {
              g_assert_cmpint (diag->offset, ==, cases[i].offset);
              found = TRUE;
            }
        }
      g_assert_true (found);
    }
}

static void
test_write_errors (void)
{
  const DfTestSegment segs[] = { { 0xFFFFFFF0, 32 } };
  g_autoptr(DfImage) wraps = df_test_image (DF_FORMAT_RAW, segs, 1);
  g_autoptr(DfImage) payload = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(DfImage) two = df_test_image (DF_FORMAT_DFUSE, segs, 0);
  g_autoptr(DfImage) empty = df_test_image (DF_FORMAT_DFUSE, segs, 0);
  g_autoptr(GBytes) data = df_test_pattern (16, 1);
  GError *error = NULL;

  df_target_add_payload (df_image_add_target (payload, 0, NULL), data);
  g_assert_null (df_elf_write (payload, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no address"));
  g_clear_error (&error);

  df_image_add_target (two, 1, "Option Bytes");
  g_assert_null (df_elf_write (two, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_null (df_elf_write (wraps, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  g_assert_null (df_elf_write (empty, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static gboolean
contains (const gchar *data, gsize size, const gchar *needle)
{
  gsize n = strlen (needle);
  for (gsize i = 0; i + n <= size; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* A real linker's output: .data linked to run in RAM but stored in flash
 * right after .text (AT>), as every MCU linker script does. */
static void
test_gcc_elf (void)
{
  const gchar *source =
    "const char text_marker[] = \"TEXT-MARKER\";\n"
    "char data_marker[] = \"DATA-MARKER\";\n"
    "char bss_buffer[256];\n"
    "void _start (void) { for (;;) ; }\n";
  const gchar *script =
    "ENTRY(_start)\n"
    "SECTIONS {\n"
    "  .text 0x08000000 : { *(.text*) *(.rodata*) }\n"
    "  .data 0x20000000 : AT(0x08001000) { *(.data*) }\n"
    "  .bss : { *(.bss*) *(COMMON) }\n"
    "  /DISCARD/ : { *(.note*) *(.eh_frame*) *(.comment) }\n"
    "}\n";
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("defuse-test-XXXXXX", &error);
  g_autofree gchar *c = g_build_filename (dir, "fw.c", NULL);
  g_autofree gchar *ld = g_build_filename (dir, "fw.ld", NULL);
  g_autofree gchar *elf = g_build_filename (dir, "fw.elf", NULL);
  g_autofree gchar *bin = g_build_filename (dir, "fw.bin", NULL);
  g_autofree gchar *script_arg = g_strconcat ("-Wl,-T,", ld, NULL);
  g_autofree gchar *flat = NULL, *err = NULL, *err2 = NULL;
  gsize flat_size;
  const gchar *gcc[] = { "gcc", "-O1", "-nostdlib", "-static", "-no-pie", "-fno-pic",
                         "-fno-asynchronous-unwind-tables", "-Wl,--build-id=none",
                         script_arg, "-o", elf, c, NULL };
  const gchar *objcopy[] = { "objcopy", "-O", "binary", elf, bin, NULL };
  g_autoptr(DfImage) image = NULL;
  gboolean found_text = FALSE, found_data = FALSE;

  g_assert_no_error (error);
  g_file_set_contents (c, source, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (ld, script, -1, &error);
  g_assert_no_error (error);
  if (!run_tool (gcc, NULL, &err))
    return;

  image = df_image_load_file (elf, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &error);
  g_assert_no_error (error);
  print_diagnostics (image);
  g_assert_cmpint (image->format, ==, DF_FORMAT_ELF);
  g_assert_false (df_image_has_errors (image));
  g_assert_true (has_diagnostic (image, DF_SEVERITY_NOTE, "entry point 0x08000"));
  for (guint i = 0; i < n_segments (image); i++)
    {
      DfSegment *seg = segment (image, i);
      gsize size;
      const gchar *data = g_bytes_get_data (seg->data, &size);
      g_assert_cmphex (seg->address, <, 0x20000000); /* nothing at the RAM address */
      if (contains (data, size, "TEXT-MARKER"))
        found_text = TRUE;
      if (seg->address == 0x08001000)
        {
          g_assert_cmpuint (size, ==, sizeof "DATA-MARKER");  /* no .bss */
          g_assert_cmpmem (data, size, "DATA-MARKER", sizeof "DATA-MARKER");
          found_data = TRUE;
        }
    }
  g_assert_true (found_text);
  g_assert_true (found_data);

  /* and objcopy agrees on every byte */
  if (!run_tool (objcopy, NULL, &err2))
    return;
  g_assert_true (g_file_get_contents (bin, &flat, &flat_size, NULL));
  for (guint i = 0; i < n_segments (image); i++)
    {
      DfSegment *seg = segment (image, i);
      gsize size = g_bytes_get_size (seg->data);
      g_assert_cmpuint (seg->address - 0x08000000 + size, <=, flat_size);
      g_assert_cmpmem (flat + (seg->address - 0x08000000), size, g_bytes_get_data (seg->data, NULL), size);
    }

  g_unlink (c);
  g_unlink (ld);
  g_unlink (elf);
  g_unlink (bin);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/elf/roundtrip", test_roundtrip);
  g_test_add_func ("/elf/roundtrip-unsorted", test_roundtrip_unsorted);
  g_test_add_func ("/elf/binutils", test_binutils);
  g_test_add_func ("/elf/entry-point", test_entry_point);
  g_test_add_func ("/elf/parse-classes", test_parse_classes);
  g_test_add_func ("/elf/parse-overlap", test_parse_overlap);
  g_test_add_func ("/elf/parse-paddr-zero", test_parse_paddr_zero);
  g_test_add_func ("/elf/parse-malformed", test_parse_malformed);
  g_test_add_func ("/elf/write-errors", test_write_errors);
  g_test_add_func ("/elf/gcc", test_gcc_elf);
  return g_test_run ();
}
