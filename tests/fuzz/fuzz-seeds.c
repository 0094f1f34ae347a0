/* fuzz-seeds: writes small seed inputs for the fuzz targets, made with the
 * project's own writers, so the corpus follows the formats as they change.
 *
 * Usage: fuzz-seeds DIR   (makes DIR/dfuse, DIR/dfu, DIR/ihex, DIR/srec,
 * DIR/elf and DIR/load, the last holding every seed) */
#include <stdio.h>
#include <string.h>
#include <elf.h>

#include "df-formats.h"

static const gchar *dir;
static guint count;

static GBytes *
pattern (gsize size, guint seed)
{
  guint8 *data = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (seed * 31 + i * 7);
  return g_bytes_new_take (data, size);
}

static void
add (DfTarget *target, guint32 address, gsize size)
{
  g_autoptr(GBytes) data = pattern (size, target->segments->len + 1);
  df_target_add_segment (target, address, data);
}

static void
save (const gchar *kind, GBytes *bytes)
{
  const gchar *kinds[] = { kind, "load" };

  if (bytes == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree gchar *sub = g_build_filename (dir, kinds[i], NULL);
      g_autofree gchar *name = g_strdup_printf ("seed-%02u", count);
      g_autofree gchar *path = g_build_filename (sub, name, NULL);
      g_autoptr(GError) error = NULL;

      g_mkdir_with_parents (sub, 0755);
      if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), &error))
        g_error ("%s", error->message);
    }
  count++;
}

static void
save_text (const gchar *kind, const gchar *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (text, strlen (text));
  save (kind, bytes);
}

/* --- fuzz-device: inputs as fuzz-device.c reads them, with no script (a
 * device that does everything right), so they reach the end of a flash --- */

static void
save_device (GByteArray *input)
{
  g_autofree gchar *sub = g_build_filename (dir, "device", NULL);
  g_autofree gchar *name = g_strdup_printf ("seed-%02u", count++);
  g_autofree gchar *path = g_build_filename (sub, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (sub, 0755);
  if (!g_file_set_contents (path, (const gchar *) input->data, input->len, &error))
    g_error ("%s", error->message);
}

static void
put_u8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put_u16 (GByteArray *b, guint16 v)
{
  put_u8 (b, (guint8) v);
  put_u8 (b, (guint8) (v >> 8));
}

static void
put_u32 (GByteArray *b, guint32 v)
{
  put_u16 (b, (guint16) v);
  put_u16 (b, (guint16) (v >> 16));
}

static void
put_string (GByteArray *b, const gchar *s)
{
  put_u8 (b, (guint8) strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

/* operation and options as fuzz-device.c numbers them */
enum { DEV_FLASH, DEV_FLASH_BACKUP, DEV_READ, DEV_LEAVE, DEV_MASS_ERASE, DEV_LIST, DEV_MICROPYTHON };
enum { VERIFY = 1, LEAVE = 2, DIFF = 4, MASS = 8, RUNTIME = 128 };

/* an STM32F405 system bootloader (DESIGN.md section 3) and an image of a
 * few KiB in its first two sectors */
static GByteArray *
stm32f405 (guint8 operation, guint8 options)
{
  static const guint8 functional[] = { 9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01 };
  GByteArray *b = g_byte_array_new ();

  put_u8 (b, operation);
  put_u8 (b, options);
  put_u8 (b, 0xff);          /* blank memory */
  put_u16 (b, 100);          /* bwPollTimeout of its busy answers */
  put_u16 (b, 0x0483);
  put_u16 (b, 0xDF11);
  put_u16 (b, 0x2200);
  put_u8 (b, 0);             /* DFU class */
  put_u8 (b, sizeof functional);
  g_byte_array_append (b, functional, sizeof functional);
  put_u8 (b, 2);             /* three alts */
  put_string (b, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
  put_string (b, "@Option Bytes  /0x1FFFC000/01*016 e");
  put_string (b, "@OTP Memory /0x1FFF7800/01*512 e,01*016 e");
  put_string (b, "STMicroelectronics");
  put_string (b, "STM32  BOOTLOADER");
  put_string (b, "3276365C3336");
  put_u8 (b, 1);             /* two segments */
  put_u8 (b, 0);
  put_u32 (b, 0);
  put_u16 (b, 6000);
  put_u8 (b, 1);
  put_u8 (b, 0);
  put_u32 (b, 0x4003);       /* unaligned, in the second sector */
  put_u16 (b, 100);
  put_u8 (b, 2);
  put_u32 (b, 0x100);        /* a read's offset and length */
  put_u16 (b, 5000);
  return b;
}

/* a plain DFU 1.1 bootloader (pid.codes test id), manifestation tolerant */
static GByteArray *
plain_dfu (guint8 operation, guint8 options)
{
  static const guint8 functional[] = { 9, 0x21, 0x07, 0xFF, 0x00, 0x00, 0x04, 0x10, 0x01 };
  GByteArray *b = g_byte_array_new ();

  put_u8 (b, operation);
  put_u8 (b, options);
  put_u8 (b, 0xff);
  put_u16 (b, 5);
  put_u16 (b, 0x1209);
  put_u16 (b, 0x5BF0);
  put_u16 (b, 0x0100);
  put_u8 (b, 0);
  put_u8 (b, sizeof functional);
  g_byte_array_append (b, functional, sizeof functional);
  put_u8 (b, 0);             /* one alt */
  put_string (b, "flash");
  put_string (b, "Defuse");
  put_string (b, "Plain DFU");
  put_string (b, "0001");
  put_u8 (b, 0);             /* one segment, the payload */
  put_u8 (b, 0);
  put_u32 (b, 0);
  put_u16 (b, 3000);
  put_u8 (b, 3);
  put_u32 (b, 0);
  put_u16 (b, 3000);
  return b;
}

/* an ATmega32U4 keyboard in LUFA's DFU bootloader (FLIP, known by its
 * Atmel id: data/quirks/defuse.quirk) and firmware of a few KiB; with
 * eeprom, a QMK handedness file too */
static GByteArray *
atmega32u4 (guint8 operation, guint8 options, gboolean eeprom)
{
  /* LUFA BootloaderDFU Descriptors.c: can upload and download, 3 KiB */
  static const guint8 functional[] = { 9, 0x21, 0x03, 0x00, 0x00, 0x00, 0x0C, 0x10, 0x01 };
  GByteArray *b = g_byte_array_new ();

  put_u8 (b, operation);
  put_u8 (b, options);
  put_u8 (b, 0xff);
  put_u16 (b, 0);
  put_u16 (b, 0x03EB);
  put_u16 (b, 0x2FF4);
  put_u16 (b, 0x0000);
  put_u8 (b, 0);
  put_u8 (b, sizeof functional);
  g_byte_array_append (b, functional, sizeof functional);
  put_u8 (b, 0);             /* one alt, no name */
  put_string (b, "");
  put_string (b, "Atmel Corp.");
  put_string (b, "ATm32U4DFU");
  put_string (b, "1.0.0");
  put_u8 (b, eeprom ? 1 : 0);
  put_u8 (b, 0);             /* the flash */
  put_u32 (b, 0);
  put_u16 (b, 3000);
  put_u8 (b, 4);
  if (eeprom)
    {
      put_u8 (b, 1);         /* the EEPROM */
      put_u32 (b, 0);
      put_u16 (b, 15);
      put_u8 (b, 0);
    }
  put_u32 (b, 0x100);
  put_u16 (b, 2000);
  return b;
}

static void
device_seeds (void)
{
  static const gchar answer[] = "micropython\r\n1.24.1\r\nPYBv1.1 with STM32F405RG\r\n\x04\x04>";
  static const gchar exception[] = "\x04Traceback (most recent call last):\r\nImportError: no module named 'os'\r\n\x04>";
  const guint8 flashes[] = { VERIFY | LEAVE, VERIFY | DIFF, VERIFY | MASS | LEAVE, RUNTIME | VERIFY | LEAVE };
  GByteArray *b;

  for (guint i = 0; i < G_N_ELEMENTS (flashes); i++)
    {
      save_device (b = stm32f405 (DEV_FLASH, flashes[i]));
      g_byte_array_unref (b);
      save_device (b = plain_dfu (DEV_FLASH, flashes[i] & ~MASS));
      g_byte_array_unref (b);
    }
  save_device (b = stm32f405 (DEV_FLASH_BACKUP, VERIFY | LEAVE));
  g_byte_array_unref (b);
  for (guint8 op = DEV_READ; op <= DEV_LIST; op++)
    {
      save_device (b = stm32f405 (op, VERIFY));
      g_byte_array_unref (b);
      save_device (b = plain_dfu (op, 0));
      g_byte_array_unref (b);
      save_device (b = atmega32u4 (op, 0, FALSE));
      g_byte_array_unref (b);
    }
  save_device (b = atmega32u4 (DEV_FLASH, VERIFY | LEAVE, FALSE));
  g_byte_array_unref (b);
  save_device (b = atmega32u4 (DEV_FLASH, VERIFY | LEAVE, TRUE));
  g_byte_array_unref (b);
  b = g_byte_array_new ();
  put_u8 (b, DEV_MICROPYTHON);
  put_u8 (b, 0);
  g_byte_array_append (b, (const guint8 *) answer, sizeof answer - 1);
  save_device (b);
  g_byte_array_set_size (b, 2);
  g_byte_array_append (b, (const guint8 *) "micropython\r\n\x04", strlen ("micropython\r\n\x04"));
  g_byte_array_append (b, (const guint8 *) exception + 1, sizeof exception - 2);
  save_device (b);
  g_byte_array_unref (b);
}

/* what the ELF writer never makes: ELF64, big-endian, a .data segment
 * stored in flash but run from RAM, and a .bss-only segment */
static GBytes *
elf64_big_endian (void)
{
  static const struct {
    guint64 paddr, vaddr, filesz, memsz;
  } ph[] = {
    { 0x08000000, 0x08000000, 24, 24 },
    { 0x08000018, 0x20000000, 8, 32 },
    { 0x20000020, 0x20000020, 0, 64 },
  };
  gsize phoff = sizeof (Elf64_Ehdr), offset = phoff + G_N_ELEMENTS (ph) * sizeof (Elf64_Phdr);
  guint8 *data = g_malloc0 (offset + 32);
#define PUT(off, size, value) \
  G_STMT_START { for (guint k = 0; k < (size); k++) data[(off) + k] = (guint8) ((guint64) (value) >> (8 * ((size) - 1 - k))); } G_STMT_END

  memcpy (data, ELFMAG, SELFMAG);
  data[EI_CLASS] = ELFCLASS64;
  data[EI_DATA] = ELFDATA2MSB;
  data[EI_VERSION] = EV_CURRENT;
  PUT (16, 2, ET_EXEC);
  PUT (18, 2, EM_ARM);
  PUT (20, 4, EV_CURRENT);
  PUT (24, 8, 0x08000009);
  PUT (32, 8, phoff);
  PUT (52, 2, sizeof (Elf64_Ehdr));
  PUT (54, 2, sizeof (Elf64_Phdr));
  PUT (56, 2, G_N_ELEMENTS (ph));
  for (guint i = 0; i < G_N_ELEMENTS (ph); i++)
    {
      gsize p = phoff + i * sizeof (Elf64_Phdr);
      PUT (p, 4, PT_LOAD);
      PUT (p + 4, 4, PF_R | PF_X);
      PUT (p + 8, 8, offset);
      PUT (p + 16, 8, ph[i].vaddr);
      PUT (p + 24, 8, ph[i].paddr);
      PUT (p + 32, 8, ph[i].filesz);
      PUT (p + 40, 8, ph[i].memsz);
      PUT (p + 48, 8, 4);
      memset (data + offset, 0x40 + i, ph[i].filesz);
      offset += ph[i].filesz;
    }
#undef PUT
  return g_bytes_new_take (data, offset);
}

int
main (int argc, char **argv)
{
  g_autoptr(DfImage) one = df_image_new (DF_FORMAT_DFUSE, "one");
  g_autoptr(DfImage) multi = df_image_new (DF_FORMAT_DFUSE, "multi");
  g_autoptr(DfImage) wide = df_image_new (DF_FORMAT_IHEX, "wide");
  g_autoptr(DfImage) small = df_image_new (DF_FORMAT_SREC, "small");
  g_autoptr(DfImage) plain = df_image_new (DF_FORMAT_DFU, "plain");
  g_autoptr(GBytes) payload = pattern (40, 9);
  DfImage *addressed[] = { one, wide, small };
  DfTarget *flash;
  DfWriteOptions options;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIR\n", argv[0]);
      return 2;
    }
  dir = argv[1];

  add (df_image_add_target (one, 0, NULL), 0x08000000, 64);
  flash = df_image_add_target (multi, 0, "Internal Flash  ");
  add (flash, 0x08000000, 20);
  add (flash, 0x08004000, 8);
  add (df_image_add_target (multi, 1, "Option Bytes  "), 0x1FFFC000, 16);
  add (df_image_add_target (wide, 0, NULL), 0x0800FFF8, 24); /* crosses a 64 KiB boundary */
  add (df_image_add_target (small, 0, NULL), 0x00000100, 20); /* 16-bit addresses: S1 */
  df_target_add_payload (df_image_add_target (plain, 0, NULL), payload);

  df_write_options_init (&options);
  options.vid = 0x0483;
  options.pid = 0xDF11;
  {
    g_autoptr(GBytes) a = df_dfuse_write (one, &options, NULL);
    g_autoptr(GBytes) b = df_dfuse_write (multi, &options, NULL);
    g_autoptr(GBytes) c = df_dfu_write (plain, &options, NULL);
    g_autoptr(GBytes) d = NULL;
    options.pad_to_8 = FALSE;
    d = df_dfuse_write (multi, &options, NULL);
    save ("dfuse", a);
    save ("dfuse", b);
    save ("dfuse", d);
    save ("dfu", c);
  }
  for (guint i = 0; i < G_N_ELEMENTS (addressed); i++)
    {
      g_autoptr(GBytes) ihex = df_ihex_write (addressed[i], NULL);
      g_autoptr(GBytes) srec = df_srec_write (addressed[i], NULL);
      g_autoptr(GBytes) elf = df_elf_write (addressed[i], NULL);
      save ("ihex", ihex);
      save ("srec", srec);
      save ("elf", elf);
    }
  {
    g_autoptr(GBytes) elf64 = elf64_big_endian ();
    save ("elf", elf64);
  }
  /* records the writers do not make: segment addresses (02), start
   * addresses (03, 05); S2 data, S5 count, S8 end */
  save_text ("ihex", ":020000021000EC\n:0400000001020304F2\n:0400000300001000E9\n"
                     ":040000050800018965\n:00000001FF\n");
  save_text ("srec", "S00600004844521B\nS2080100000102030AE6\nS5030001FB\nS804010000FA\n");
  device_seeds ();
  printf ("%u seeds in %s\n", count, dir);
  return 0;
}
