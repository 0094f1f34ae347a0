/* defuse-cli read: a device's memory to a .bin, .dfu or .hex file. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-error.h"

static void
on_progress (const DfProgress *progress, gpointer user_data)
{
  cli_progress_update (user_data, progress);
}

/* default: the whole first writeable region of the alt */
static gboolean
default_range (DfAlt *alt, guint32 *address, guint64 *length, GError **error)
{
  for (guint r = 0; alt->layout != NULL && r < alt->layout->regions->len; r++)
    {
      DfRegion *region = g_ptr_array_index (alt->layout->regions, r);
      DfSector sector;
      if (df_layout_find_sector (alt->layout, region->start, &sector) &&
          (sector.flags & DF_SECTOR_READABLE))
        {
          *address = region->start;
          *length = region->size;
          return TRUE;
        }
    }
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
               _("alt %u has no readable region in its layout: give --address and --length"), alt->alt);
  return FALSE;
}

/* Where to read: a DfuSe device reads its first readable region unless
 * told otherwise, from the given address to the region's end; a plain DFU
 * device has no addresses and sends until its short block.  With both
 * --address and --length given, any layout will do. */
static gboolean
choose_range (DfDevice *device, DfAlt *alt, gboolean has_address, gboolean has_length,
              guint32 *address, guint64 *length, GError **error)
{
  g_autoptr(GError) local = NULL;
  guint32 region_start;

  if (device->mode != DF_DEVICE_MODE_DFUSE && device->mode != DF_DEVICE_MODE_FLIP)
    {
      *length = G_MAXUINT32;  /* plain DFU: until the device's short block */
      return TRUE;
    }
  if (!default_range (alt, &region_start, length, &local) && (!has_address || !has_length))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!has_address)
    *address = region_start;
  else if (!has_length && *address >= region_start && *address - region_start < *length)
    *length -= *address - region_start;
  return TRUE;
}

/* the bytes read as a file: DfuSe (or plain DFU for a plain device), HEX... */
static gboolean
save_memory (DfDevice *device, DfAlt *alt, guint32 address, GBytes *data, const gchar *path,
             DfFormat format, GError **error)
{
  g_autoptr(DfImage) image = df_image_new (format, path);
  DfWriteOptions options;

  if (device->mode == DF_DEVICE_MODE_DFUSE)
    df_target_add_segment (df_image_add_target (image, alt->alt, alt->layout != NULL ? alt->layout->name : NULL),
                           address, data);
  else
    df_target_add_payload (df_image_add_target (image, alt->alt, NULL), data);
  df_write_options_init (&options);
  options.vid = device->vid;
  options.pid = device->pid;
  if (device->mode != DF_DEVICE_MODE_DFUSE && format == DF_FORMAT_DFUSE)
    format = DF_FORMAT_DFU;
  return df_image_save_file (image, path, format, &options, error);
}

int
cli_read (int argc, char **argv)
{
  g_auto(GStrv) selectors = NULL, files = NULL;
  g_autofree gchar *alt_text = NULL, *address_text = NULL, *length_text = NULL, *trace = NULL;
  gboolean eeprom = FALSE;
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &selectors, N_("The device: VID:PID, serial number or port path"), N_("SEL") },
    { "alt", 'a', 0, G_OPTION_ARG_STRING, &alt_text, N_("Alt setting (number or name; default 0)"), N_("ALT") },
    { "eeprom", 0, 0, G_OPTION_ARG_NONE, &eeprom, N_("The EEPROM of an AVR keyboard (Atmel FLIP bootloaders; the same as --alt 1)"), NULL },
    { "address", 's', 0, G_OPTION_ARG_STRING, &address_text, N_("Start address (default: the start of the alt's memory)"), N_("ADDR") },
    { "length", 'l', 0, G_OPTION_ARG_STRING, &length_text, N_("Bytes to read (default: the whole region)"), N_("N") },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, N_("Write every USB control transfer to this pcapng file (for Wireshark)"), N_("FILE") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("OUT.bin|OUT.dfu|OUT.hex") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GBytes) data = NULL;
  CliProgress *progress;
  DfDevice *device;
  DfAlt *alt;
  DfFormat format;
  guint32 address = 0, length32 = 0;
  guint64 length = 0;

  g_option_context_set_summary (context, _("Read a device's memory into a file; the format follows the extension."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (files == NULL || g_strv_length (files) != 1)
    {
      cli_error (_("give one output file (see --help)"));
      return CLI_EXIT_USAGE;
    }
  /* .dfu, .hex, .srec, .elf by name; anything else is raw */
  format = df_format_from_extension (files[0]);
  if (format == DF_FORMAT_UNKNOWN)
    format = DF_FORMAT_RAW;
  if ((address_text != NULL && !cli_parse_u32 (address_text, "--address", G_MAXUINT32, &address, &error)) ||
      (length_text != NULL && !cli_parse_u32 (length_text, "--length", G_MAXUINT32, &length32, &error)))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }

  if (!cli_trace_start (trace))
    return CLI_EXIT_BAD_FILE;
  devices = cli_select_devices ((const gchar *const *) selectors, TRUE, &error);
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      return cli_trace_finish (cli_exit_for_error (error));
    }
  device = g_ptr_array_index (devices, 0);
  if (eeprom && alt_text == NULL)
    alt_text = g_strdup ("1");  /* FLIP: memory 1 is the EEPROM */
  alt = df_device_find_alt_by_text (device, alt_text != NULL ? alt_text : "0");
  if (alt == NULL)
    {
      cli_error (_("the device has no alt setting “%s”"), alt_text);
      return cli_trace_finish (CLI_EXIT_USAGE);
    }
  if (!choose_range (device, alt, address_text != NULL, length_text != NULL, &address, &length, &error))
    {
      cli_error ("%s", error->message);
      return cli_trace_finish (CLI_EXIT_USAGE);
    }
  if (length_text != NULL)
    length = length32;

  progress = cli_progress_new (files[0], FALSE, FALSE);
  data = df_device_read_memory (device, alt->alt, address, (gsize) length, on_progress, progress, NULL, &error);
  cli_progress_finish (progress, error, _("read"));
  cli_progress_free (progress);
  if (data == NULL)
    return cli_trace_finish (cli_exit_for_error (error));
  if (cli_trace_finish (CLI_EXIT_OK) != CLI_EXIT_OK)
    return CLI_EXIT_BAD_FILE;

  if (!save_memory (device, alt, address, data, files[0], format, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_BAD_FILE;
    }
  printf (_("%s: %zu bytes from 0x%08x\n"), files[0], g_bytes_get_size (data), address);
  return CLI_EXIT_OK;
}
