/* What a dfu-programmer command line asks, done by the engine: `flash` is
 * a FLIP flash job (check the chip, chip erase, write, verify), `erase`,
 * `read`, `launch` and `get` single FLIP operations (df-flip-command.h).
 * Unlike dfu-programmer, `flash` always erases first (the job does, so a
 * forgotten `erase` cannot leave a half-programmed chip), and the chip's
 * signature must be the named target's.  What dfu-programmer prints that
 * scripts and people look for ("Validating...", "N bytes used (P%)", "no
 * device present") stays in its English words, on stderr like its own. */
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defuse-compat.h"
#include "df-error.h"
#include "df-flip-command.h"
#include "df-usb.h"

/* dfu-programmer's reads and writes work in pages of 128 bytes (its
 * target table's flash and EEPROM page); `read` skips blank ones */
#define READ_PAGE 128

static void
say (const DfuProgrammerArgs *args, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
say (const DfuProgrammerArgs *args, const gchar *format, ...)
{
  va_list ap;
  g_autofree gchar *text = NULL;

  if (args->quiet)
    return;
  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  fflush (stdout);
  g_printerr ("%s", text);
}

/* "dfu-programmer: MESSAGE" for what Defuse adds: the cause and the way out */
static int
fail (int status, const GError *error)
{
  cli_error ("%s", error->message);
  return status;
}

/* The one bootloader the target names: 03eb and the target's id, as
 * dfu-programmer finds it, at BUS,ADDR when given. */
static DfDevice *
find_device (const DfuProgrammerArgs *args, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = df_usb_enumerate (&error);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  DfDevice *other = NULL;
  gboolean denied = FALSE;

  *status = DFU_PROGRAMMER_EXIT_DEVICE_ACCESS;
  if (devices == NULL)
    {
      fail (*status, error);
      return NULL;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      DfDevice *device = g_ptr_array_index (devices, i);

      if (device->vid != DF_FLIP_VID || device->mode != DF_DEVICE_MODE_FLIP || device->flip_chip == NULL)
        continue;
      if (device->pid != args->chip->pid)
        other = device;
      else if (args->bus == 0 || (args->bus == device->bus && args->address == device->address))
        g_ptr_array_add (found, df_device_ref (device));
      denied |= device->permission_denied;
    }
  if (found->len == 1)
    return df_device_ref (g_ptr_array_index (found, 0));
  if (found->len == 0)
    {
      g_printerr ("dfu-programmer: no device present.\n");
      if (other != NULL)
        cli_error (_("the Atmel bootloader plugged in is an %s's (03eb:%04x), not an %s's: run "
                     "dfu-programmer %s with the same command, or build the firmware for that chip"),
                   other->flip_chip->name, other->pid, args->chip->name, other->flip_chip->mcu);
      else
        cli_error (_("no %s in its bootloader (03eb:%04x) is plugged in: enter the bootloader (the QK_BOOT "
                     "key, the reset button, or hold Esc while plugging in) and run the command again"),
                   args->chip->name, args->chip->pid);
      return NULL;
    }
  cli_error (_("%u %s bootloaders are plugged in; name one as %s:BUS,ADDRESS:"), found->len, args->chip->name,
             args->chip->mcu);
  for (guint i = 0; i < found->len; i++)
    {
      DfDevice *device = g_ptr_array_index (found, i);
      g_printerr ("  dfu-programmer %s:%u,%u ...\n", args->chip->mcu, device->bus, device->address);
    }
  if (denied)
    g_printerr ("%s\n", df_usb_permission_hint ());
  return NULL;
}

/* The chip must be the one named: dfu-programmer trusts the USB id, but
 * one id can stand for chips of other sizes, and a wrong bootloader can
 * answer with any id.  FF FF FF is Atmel's bootloader after an erase. */
static gboolean
check_signature (const DfuProgrammerArgs *args, DfDevice *device)
{
  g_autoptr(GError) error = NULL;
  DfFlipIdentity id = { 0 };
  const DfFlipChip *is;

  if (!df_flip_device_identify (device, &id, NULL, &error))
    {
      fail (DFU_PROGRAMMER_EXIT_DEVICE_ACCESS, error);
      return FALSE;
    }
  if ((id.signature[0] == 0xff && id.signature[1] == 0xff && id.signature[2] == 0xff) ||
      memcmp (id.signature, args->chip->signature, 3) == 0)
    return TRUE;
  is = df_flip_chip_any_by_signature (id.signature);
  g_printerr ("dfu-programmer: no device present.\n");
  if (is != NULL)
    cli_error (_("the chip answering as %s (03eb:%04x) has the signature %02X %02X %02X: it is an %s. Nothing was "
                 "changed. Run dfu-programmer %s with the same command, with the firmware built for that chip"),
               args->chip->mcu, device->pid, id.signature[0], id.signature[1], id.signature[2], is->name, is->mcu);
  else
    cli_error (_("the chip answering as %s (03eb:%04x) has the signature %02X %02X %02X, which is no chip Defuse "
                 "knows: its bootloader is not Atmel's for this chip. Nothing was changed"),
               args->chip->mcu, device->pid, id.signature[0], id.signature[1], id.signature[2]);
  return FALSE;
}

static int
erase (const DfuProgrammerArgs *args, DfDevice *device)
{
  g_autoptr(GError) error = NULL;
  guint32 top = df_flip_chip_app_size (device->flip_chip) - 1;
  gboolean blank = FALSE;
  guint32 used = 0;

  /* 0.7: a blank chip is left alone; a locked one refuses the check and is erased */
  if (!args->force && df_flip_device_blank_check (device, &blank, &used, NULL, NULL) && blank)
    {
      say (args, "Chip already blank, to force erase use --force.\n");
      return EXIT_SUCCESS;
    }
  say (args, "Erasing flash...  ");
  if (!df_flip_device_erase (device, NULL, &error))
    {
      say (args, "ERROR\n");
      return fail (DFU_PROGRAMMER_EXIT_UNSPECIFIED, error);
    }
  say (args, "Success\n");
  if (!args->suppress_validation)
    say (args, "Checking memory from 0x0 to 0x%X...  Empty.\n", top);
  return EXIT_SUCCESS;
}

static GBytes *
read_file (const gchar *path, GError **error)
{
  gchar *data = NULL;
  gsize size = 0;

  /* dfu-programmer's name for stdin */
  if (g_str_equal (path, "STDIN"))
    {
      g_autoptr(GByteArray) in = g_byte_array_new ();
      guint8 buf[65536];
      gssize n;

      while ((n = read (STDIN_FILENO, buf, sizeof buf)) > 0)
        g_byte_array_append (in, buf, (guint) n);
      return g_byte_array_free_to_bytes (g_steal_pointer (&in));
    }
  if (!g_file_get_contents (path, &data, &size, error))
    return NULL;
  return g_bytes_new_take (data, size);
}

/* The hex file as dfu-programmer sees it: one byte or none per address of
 * the memory.  Refused here, before the device is touched: an unreadable
 * file, bytes past the memory, bytes in the bootloader section (unless
 * --suppress-bootloader-mem drops them). */
static gboolean
load_memory (const DfuProgrammerArgs *args, const DfFlipChip *chip, guint8 *memory, gboolean *used,
             guint32 size, guint32 *count, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = read_file (args->file, &error);
  g_autoptr(DfImage) image = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  guint32 app = args->eeprom ? size : df_flip_chip_app_size (chip);
  guint32 outside = 0, in_bootloader = 0;

  *status = DFU_PROGRAMMER_EXIT_BUFFER_INIT;
  if (bytes != NULL)
    image = df_image_load_bytes (bytes, args->file, DF_FORMAT_IHEX, FALSE, 0, DF_LOAD_NONE, &error);
  if (image == NULL || !df_image_check (image, &error))
    {
      g_printerr ("Something went wrong with creating the memory image.\n");
      fail (*status, error);
      return FALSE;
    }
  segments = df_image_list_segments (image);
  for (guint s = 0; s < segments->len; s++)
    {
      DfSegment *segment = g_ptr_array_index (segments, s);
      gsize n;
      const guint8 *data = g_bytes_get_data (segment->data, &n);

      for (gsize i = 0; i < n; i++)
        {
          guint64 at = (guint64) segment->address + i;
          if (at >= size)
            outside++;
          else
            memory[at] = data[i], used[at] = TRUE;
        }
    }
  if (args->serial != NULL)
    {
      gsize n;
      const guint8 *data = g_bytes_get_data (args->serial, &n);
      for (gsize i = 0; i < n; i++)
        if ((guint64) args->serial_offset + i < size)
          memory[args->serial_offset + i] = data[i], used[args->serial_offset + i] = TRUE;
        else
          outside++;
    }
  if (outside > 0)
    {
      /* dfu-programmer 0.7 warns and writes the rest: a firmware cut short */
      g_printerr ("WARNING: 0x%X bytes are outside target memory,\n", outside);
      cli_error (_("%s reaches past the %s's %s (%u bytes): it is built for a bigger chip. Nothing was "
                   "erased. Use the file built for this keyboard's %s (in QMK, MCU = %s)"),
                 args->file, chip->name, args->eeprom ? _("EEPROM") : _("flash"), size, chip->name, chip->mcu);
      return FALSE;
    }
  for (guint32 at = app; at < size; at++)
    in_bootloader += used[at];
  if (in_bootloader > 0 && !args->suppress_bootloader)
    {
      g_printerr ("Bootloader and code overlap.\nUse --suppress-bootloader-mem to ignore\n");
      cli_error (_("%s writes %u bytes into the %s's bootloader section (0x%X–0x%X), which the bootloader never "
                   "overwrites. Nothing was erased. Build the firmware for this bootloader (in QMK, BOOTLOADER = "
                   "atmel-dfu, lufa-dfu or qmk-dfu) so it ends below 0x%X"),
                 args->file, in_bootloader, chip->name, app, size - 1, app);
      return FALSE;
    }
  *count = 0;
  for (guint32 at = 0; at < size; at++)
    {
      used[at] = used[at] && at < app;   /* --suppress-bootloader-mem: not written */
      *count += used[at];
    }
  if (*count == 0)
    {
      cli_error (_("%s holds no data for the %s"), args->file, args->eeprom ? _("EEPROM") : _("flash"));
      return FALSE;
    }
  return TRUE;
}

/* the used bytes as segments of an image for memory alt (0 flash, 1 EEPROM) */
static DfImage *
memory_image (const gchar *source, guint8 alt, const guint8 *memory, const gboolean *used, guint32 size)
{
  DfImage *image = df_image_new (DF_FORMAT_IHEX, source);
  DfTarget *target = df_image_add_target (image, alt, alt == DF_FLIP_EEPROM ? "EEPROM" : "Flash");

  for (guint32 at = 0; at < size;)
    {
      guint32 end = at;
      if (!used[at])
        {
          at++;
          continue;
        }
      while (end < size && used[end])
        end++;
      g_autoptr(GBytes) data = g_bytes_new (memory + at, end - at);
      df_target_add_segment (target, at, data);
      at = end;
    }
  return image;
}

static int
flash (const DfuProgrammerArgs *args, DfDevice *device)
{
  const DfFlipChip *chip = device->flip_chip;
  guint32 size = args->eeprom ? chip->eeprom_size : chip->flash_size;
  g_autofree guint8 *memory = g_malloc0 (size);
  g_autofree gboolean *used = g_new0 (gboolean, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(DfPlan) plan = NULL;
  g_autoptr(DfJob) job = NULL;
  g_autofree gchar *percent = NULL;
  DfPlanOptions options;
  guint32 count = 0;
  int status;
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!load_memory (args, chip, memory, used, size, &count, &status))
    return status;
  image = memory_image (args->file, args->eeprom ? DF_FLIP_EEPROM : DF_FLIP_FLASH, memory, used, size);
  df_plan_options_init (&options);
  options.verify = !args->suppress_validation;
  options.leave = FALSE;   /* dfu-programmer starts the application with `reset` */
  options.alt = args->eeprom ? DF_FLIP_EEPROM : DF_FLIP_FLASH;
  plan = df_plan_new (image, device, &options);
  if (!df_plan_check (plan, FALSE, &error))
    return fail (DFU_PROGRAMMER_EXIT_BUFFER_INIT, error);

  job = df_job_new (device, image, &options);
  if (!df_job_run (job, NULL, &error))
    {
      if (g_error_matches (error, DF_ERROR, DF_ERROR_VERIFY))
        {
          say (args, "Validating...\n");
          g_printerr ("Memory did not validate. Did you erase?\n");
          return fail (DFU_PROGRAMMER_EXIT_VALIDATION, error);
        }
      if (g_error_matches (error, DF_ERROR, DF_ERROR_PROTECTED))
        {
          /* the job's way out is defuse-cli's --force; here it is the erase command */
          g_printerr ("Error while flashing.\n");
          cli_error (_("the %s is locked: Atmel's bootloader writes the EEPROM only after a chip erase, which also "
                       "erases the firmware. Nothing was changed. Run dfu-programmer %s erase, then flash the "
                       "EEPROM, then the firmware"), chip->name, chip->mcu);
          return DFU_PROGRAMMER_EXIT_FLASH_WRITE;
        }
      g_printerr ("Error while flashing.\n");
      return fail (g_error_matches (error, DF_ERROR, DF_ERROR_INCOMPATIBLE) ? DFU_PROGRAMMER_EXIT_DEVICE_ACCESS
                                                                           : DFU_PROGRAMMER_EXIT_FLASH_WRITE, error);
    }
  if (!args->suppress_validation)
    say (args, "Validating...\n");
  /* 0.6's words: the bytes of the file and their share of the memory it
   * may fill; a dot whatever the locale, as dfu-programmer (no setlocale) */
  percent = g_strdup (g_ascii_formatd (buf, sizeof buf, "%.2f",
                                       (gfloat) (count * 100.0f) /
                                       (gfloat) (args->eeprom ? size : df_flip_chip_app_size (chip))));
  say (args, "%u bytes used (%s%%)\n", count, percent);
  return EXIT_SUCCESS;
}

/* not --force: only the pages (of READ_PAGE bytes) that hold data */
static DfImage *
read_image (const guint8 *data, gsize size, gboolean all, guint32 *start, guint32 *end)
{
  g_autofree gboolean *used = g_new0 (gboolean, size);
  DfImage *image;

  *start = G_MAXUINT32;
  *end = 0;
  for (gsize page = 0; page < size; page += READ_PAGE)
    {
      gsize n = MIN (READ_PAGE, size - page);
      gboolean blank = TRUE;

      for (gsize i = 0; i < n && blank; i++)
        blank = data[page + i] == 0xff;
      if (blank && !all)
        continue;
      for (gsize i = 0; i < n; i++)
        used[page + i] = TRUE;
      *start = MIN (*start, (guint32) page);
      *end = (guint32) (page + n);
    }
  if (*start == G_MAXUINT32)
    {
      /* all blank: dfu-programmer returns the first page */
      for (gsize i = 0; i < MIN (READ_PAGE, size); i++)
        used[i] = TRUE;
      *start = 0;
      *end = MIN (READ_PAGE, size);
    }
  image = memory_image ("read", 0, data, used, (guint32) size);
  return image;
}

static int
read_memory (const DfuProgrammerArgs *args, DfDevice *device)
{
  const DfFlipChip *chip = device->flip_chip;
  /* dfu-programmer reads the application section, not the bootloader */
  gsize size = args->eeprom ? chip->eeprom_size : df_flip_chip_app_size (chip);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = df_flip_device_read (device, args->eeprom ? DF_FLIP_EEPROM : DF_FLIP_FLASH, 0, size,
                                                 NULL, NULL, NULL, &error);
  g_autoptr(DfImage) image = NULL;
  g_autoptr(GBytes) hex = NULL;
  const guint8 *data;
  guint32 start, end;

  if (bytes == NULL)
    {
      g_printerr ("Memory access error, use debug for more info.\n");
      if (g_error_matches (error, DF_ERROR, DF_ERROR_PROTECTED) || g_error_matches (error, DF_ERROR, DF_ERROR_WRITE))
        cli_error (_("%s (Atmel's bootloader reads nothing back until the chip is erased)"), error->message);
      else
        cli_error ("%s", error->message);
      return DFU_PROGRAMMER_EXIT_FLASH_READ;
    }
  data = g_bytes_get_data (bytes, NULL);
  image = read_image (data, size, args->force, &start, &end);
  if (!args->force && end - start == MIN (READ_PAGE, size) && start == 0)
    {
      gboolean blank = TRUE;
      for (gsize i = 0; i < size && blank; i++)
        blank = data[i] == 0xff;
      if (blank)
        say (args, "Memory is blank, returning a single blank page.\n"
                   "Use --force to return the entire memory regardless.\n");
    }
  if (args->bin)
    {
      /* raw: from 0 to the last page with data (everything with --force) */
      say (args, "Dumping 0x%X bytes from address offset 0x0.\n", end);
      fwrite (data, 1, end, stdout);
      return EXIT_SUCCESS;
    }
  hex = df_ihex_write (image, &error);
  if (hex == NULL)
    return fail (DFU_PROGRAMMER_EXIT_UNSPECIFIED, error);
  say (args, "Dumping 0x%X bytes from address offset 0x%X.\n", end - start, start);
  fwrite (g_bytes_get_data (hex, NULL), 1, g_bytes_get_size (hex), stdout);
  return EXIT_SUCCESS;
}

static int
launch (const DfuProgrammerArgs *args, DfDevice *device)
{
  g_autoptr(GError) error = NULL;

  /* the watchdog reset, or with --no-reset (0.6: start) a jump to 0 */
  if (!df_flip_device_start (device, !args->no_reset, NULL, &error))
    return fail (DFU_PROGRAMMER_EXIT_UNSPECIFIED, error);
  return EXIT_SUCCESS;
}

static int
get (const DfuProgrammerArgs *args, DfDevice *device)
{
  g_autoptr(GError) error = NULL;
  guint8 value = 0;

  if (!df_flip_device_read_config (device, args->get_group, args->get_index, &value, NULL, &error))
    {
      g_printerr ("Error reading AVR config information.\n");
      return fail (DFU_PROGRAMMER_EXIT_UNSPECIFIED, error);
    }
  if (args->quiet)
    printf ("0x%02x (%d)\n", value, value);
  else
    printf ("%s: 0x%02x (%d)\n", args->get_label, value, value);
  return EXIT_SUCCESS;
}

int
dfu_programmer_run (DfuProgrammerArgs *args)
{
  int status;
  g_autoptr(DfDevice) device = find_device (args, &status);

  if (device == NULL)
    return status;
  /* what changes or reads the memory needs the chip named; launch and get
   * are what dfu-programmer does with any chip behind the id */
  if ((args->command == DFU_PROGRAMMER_ERASE || args->command == DFU_PROGRAMMER_FLASH ||
       args->command == DFU_PROGRAMMER_READ) && !check_signature (args, device))
    return DFU_PROGRAMMER_EXIT_DEVICE_ACCESS;
  switch (args->command)
    {
    case DFU_PROGRAMMER_ERASE: return erase (args, device);
    case DFU_PROGRAMMER_FLASH: return flash (args, device);
    case DFU_PROGRAMMER_READ: return read_memory (args, device);
    case DFU_PROGRAMMER_LAUNCH: return launch (args, device);
    case DFU_PROGRAMMER_GET: return get (args, device);
    default: return DFU_PROGRAMMER_EXIT_ARGUMENT;
    }
}
