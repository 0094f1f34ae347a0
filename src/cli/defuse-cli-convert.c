/* defuse-cli convert: any readable firmware format to any writable one, for
 * example the .dfu MicroPython publishes to the .hex or .elf that pyOCD and
 * other SWD tools need.  The output is written whole or not at all. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-error.h"
#include "df-formats.h"

/* "dfu" means the DFU file for the content: DfuSe when it has addresses,
 * a plain suffix-only DFU file for a payload without one */
static gboolean
parse_output_format (const gchar *to, const gchar *output, DfImage *image,
                     DfFormat *format, GError **error)
{
  if (to == NULL)
    *format = df_format_from_extension (output);
  else if (g_ascii_strcasecmp (to, "hex") == 0)
    *format = DF_FORMAT_IHEX;
  else if (g_ascii_strcasecmp (to, "bin") == 0)
    *format = DF_FORMAT_RAW;
  else if (g_ascii_strcasecmp (to, "dfu") == 0)
    *format = DF_FORMAT_DFUSE;
  else
    *format = df_format_from_string (to);

  if (*format == DF_FORMAT_UNKNOWN)
    {
      if (to != NULL)
        g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                     _("unknown output format “%s”: use dfu, dfuse, hex, srec, elf or bin"), to);
      else
        g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                     _("cannot tell the output format from “%s”: give --to dfu, hex, srec, elf or bin"), output);
      return FALSE;
    }
  if (*format == DF_FORMAT_DFUSE && (to == NULL || g_ascii_strcasecmp (to, "dfu") == 0) &&
      !df_image_has_addresses (image))
    *format = DF_FORMAT_DFU;
  return TRUE;
}

/* the input, checked; NULL after the error is printed, with the exit status */
static DfImage *
load_input (const gchar *path, gboolean has_address, guint32 address, gboolean ignore_crc, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) input = df_image_load_file (path, DF_FORMAT_UNKNOWN, has_address, address,
                                                 ignore_crc ? DF_LOAD_IGNORE_CRC : DF_LOAD_NONE, &error);

  if (input == NULL)
    {
      cli_error ("%s", error->message);
      *status = error->code == DF_ERROR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_BAD_FILE;
      return NULL;
    }
  if (!df_image_check (input, &error))
    {
      cli_error ("%s", error->message);
      *status = CLI_EXIT_BAD_FILE;
      return NULL;
    }
  return g_steal_pointer (&input);
}

/* a DFU input keeps its device ids unless told otherwise */
static void
keep_input_ids (DfImage *input, DfWriteOptions *options)
{
  if (input->has_suffix)
    {
      options->vid = input->suffix.vid;
      options->pid = input->suffix.pid;
      options->bcd_device = input->suffix.bcd_device;
    }
}

/* --alt: only that target; NULL after the error is printed */
static DfImage *
select_target (DfImage *input, gint alt, const gchar *input_name)
{
  if (alt < 0)
    return df_image_ref (input);
  if (df_image_find_target (input, (guint8) alt) == NULL)
    {
      cli_error (_("%s has no target for alt %d"), input_name, alt);
      return NULL;
    }
  return df_image_extract_target (input, (guint8) alt);
}

/* HEX, S-record, ELF and bin have no alt settings: mixing the memories of
 * several targets (flash, option bytes...) in one would lose which is
 * which.  FALSE after the error is printed. */
static gboolean
check_one_memory (DfImage *image, DfFormat format, const gchar *input_name)
{
  g_autoptr(GString) alts = NULL;

  if (image->targets->len <= 1 || format == DF_FORMAT_DFUSE)
    return TRUE;
  alts = g_string_new (NULL);
  for (guint i = 0; i < image->targets->len; i++)
    g_string_append_printf (alts, "%s%u", i > 0 ? ", " : "",
                            ((DfTarget *) g_ptr_array_index (image->targets, i))->alt);
  cli_error (_("%s has %u targets (alt %s) and %s has no alt settings: choose one with --alt"),
             input_name, image->targets->len, alts->str, df_format_to_string (format));
  return FALSE;
}

/* a bin file forgets where it goes: say the base address */
static int
write_raw (DfImage *image, const DfWriteOptions *options, const gchar *output)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint32 base = 0;

  bytes = df_raw_write (image, options, &base, &error);
  if (bytes == NULL || !df_file_save (output, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_BAD_FILE;
    }
  if (df_image_has_addresses (image))
    printf (_("%s: %zu bytes for base address 0x%08x (gaps filled with 0x%02x)\n"),
            output, g_bytes_get_size (bytes), base, options->fill);
  return CLI_EXIT_OK;
}

void
cli_warn_unpadded (DfImage *image, const gchar *output)
{
  g_autoptr(GString) unaligned = g_string_new (NULL);

  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size = g_bytes_get_size (segment->data);
          if (size % 8 != 0)
            g_string_append_printf (unaligned, "%s0x%08x (%zu bytes)",
                                    unaligned->len > 0 ? ", " : "", segment->address, size);
        }
    }
  if (unaligned->len > 0)
    g_printerr (_("defuse-cli: warning: %s: element sizes not a multiple of 8 (--no-pad): %s; "
                  "STM32L4 and other parts that program 64-bit words lose the last bytes "
                  "when the flasher does not pad them (dfu-util does not, Defuse does)\n"),
                output, unaligned->str);
}

int
cli_convert (int argc, char **argv)
{
  g_autofree gchar *to = NULL, *fill_text = NULL, *address_text = NULL;
  g_autofree gchar *vid_text = NULL, *pid_text = NULL, *device_text = NULL;
  gboolean ignore_crc = FALSE, no_pad = FALSE;
  gint alt = -1;
  g_auto(GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "to", 't', 0, G_OPTION_ARG_STRING, &to, N_("Output format: dfu, dfuse, hex, srec, elf or bin (default: from OUT's extension)"), N_("FORMAT") },
    { "fill", 0, 0, G_OPTION_ARG_STRING, &fill_text, N_("Byte for gaps in bin output and DfuSe padding (default 0xff)"), N_("BYTE") },
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address_text, N_("Load address of a raw binary input"), N_("ADDR") },
    { "alt", 0, 0, G_OPTION_ARG_INT, &alt, N_("Convert only the target of this alternate setting"), N_("N") },
    { "vid", 0, 0, G_OPTION_ARG_STRING, &vid_text, N_("USB vendor id for DFU output (default: the input's, else any)"), N_("VID") },
    { "pid", 0, 0, G_OPTION_ARG_STRING, &pid_text, N_("USB product id for DFU output (default: the input's, else any)"), N_("PID") },
    { "device-version", 0, 0, G_OPTION_ARG_STRING, &device_text, N_("bcdDevice for DFU output (default: the input's, else any)"), N_("BCD") },
    { "no-pad", 0, 0, G_OPTION_ARG_NONE, &no_pad, N_("Do not pad DfuSe element sizes to a multiple of 8"), NULL },
    { "ignore-crc", 0, 0, G_OPTION_ARG_NONE, &ignore_crc, N_("Convert even if the input's CRC does not match"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("IN OUT") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) input = NULL;
  g_autoptr(DfImage) image = NULL;
  DfWriteOptions options;
  DfFormat format;
  guint32 address = 0, fill;
  int status;

  g_option_context_set_summary (context, _("Convert a firmware file to another format."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (files == NULL || g_strv_length (files) != 2)
    {
      cli_error (_("give one input and one output file (see --help)"));
      return CLI_EXIT_USAGE;
    }

  df_write_options_init (&options);
  options.pad_to_8 = !no_pad;
  if ((fill_text != NULL && !cli_parse_u32 (fill_text, "--fill", 0xff, &fill, &error)) ||
      (address_text != NULL && !cli_parse_u32 (address_text, "--address", G_MAXUINT32, &address, &error)))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }
  if (fill_text != NULL)
    options.fill = (guint8) fill;

  input = load_input (files[0], address_text != NULL, address, ignore_crc, &status);
  if (input == NULL)
    return status;

  keep_input_ids (input, &options);
  if (!cli_parse_ids (vid_text, pid_text, device_text, &options, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }

  image = select_target (input, alt, files[0]);
  if (image == NULL)
    return CLI_EXIT_USAGE;
  if (!parse_output_format (to, files[1], image, &format, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }

  if (!check_one_memory (image, format, files[0]))
    return CLI_EXIT_USAGE;
  if (format == DF_FORMAT_RAW)
    return write_raw (image, &options, files[1]);
  if (!df_image_save_file (image, files[1], format, &options, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_BAD_FILE;
    }
  if (format == DF_FORMAT_DFUSE && no_pad)
    cli_warn_unpadded (image, files[1]);
  return CLI_EXIT_OK;
}
