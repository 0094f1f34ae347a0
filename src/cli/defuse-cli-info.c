/* defuse-cli info: what a user needs to trust a firmware file, as text or
 * as one JSON document per file. */
#include <inttypes.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-formats.h"

static const gchar *
format_title (DfFormat format)
{
  switch (format)
    {
    case DF_FORMAT_DFUSE:
      return _("DfuSe");
    case DF_FORMAT_DFU:
      return _("DFU (suffix only)");
    case DF_FORMAT_IHEX:
      return _("Intel HEX");
    case DF_FORMAT_SREC:
      return _("Motorola S-record");
    case DF_FORMAT_ELF:
      return _("ELF");
    case DF_FORMAT_RAW:
      return _("raw binary");
    case DF_FORMAT_UNKNOWN:
    default:
      return _("unknown");
    }
}

static void
print_text (DfImage *image)
{
  printf ("%s\n", image->source);
  printf ("  %-10s %s\n", _("format"), format_title (image->format));
  if (image->has_suffix)
    {
      const DfSuffix *s = &image->suffix;
      printf ("  %-10s %04x:%04x, bcdDevice 0x%04x, DFU 0x%04x, bLength %u\n",
              _("suffix"), s->vid, s->pid, s->bcd_device, s->bcd_dfu, s->length);
      printf ("  %-10s 0x%08x %s, 0x%08x %s: %s\n", _("CRC"),
              s->crc_stored, _("stored"), s->crc_computed, _("computed"),
              s->crc_stored == s->crc_computed ? _("ok") : _("MISMATCH"));
    }

  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      if (target->name != NULL)
        printf ("  %s %u “%s”\n", _("target alt"), target->alt, target->name);
      else
        printf ("  %s %u\n", _("target alt"), target->alt);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size = g_bytes_get_size (segment->data);
          g_autofree gchar *iec = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
          g_autofree gchar *human = size >= 1024 ? g_strdup_printf (" (%s)", iec) : g_strdup ("");

          if (segment->has_address)
            printf ("    %2u  0x%08x-0x%08" PRIx64 "  %8zu %s%s\n",
                    j + 1, segment->address,
                    (gint64) segment->address + (size > 0 ? (gint64) size - 1 : 0),
                    size, _("bytes"), human);
          else
            printf ("    %2u  %-21s  %8zu %s%s\n",
                    j + 1, _("(no address)"), size, _("bytes"), human);
        }
    }

  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      g_autofree gchar *text = df_image_format_diagnostic (image, diag);
      if (diag->severity == DF_SEVERITY_ERROR)
        g_printerr ("defuse-cli: %s: %s\n", _("error"), text);
      else
        printf ("  %s: %s\n", diag->severity == DF_SEVERITY_WARNING ? _("warning") : _("note"), text);
    }
}

static void
add_diagnostics (JsonBuilder *builder, DfImage *image, const gchar *key,
                 DfSeverity severity)
{
  json_builder_set_member_name (builder, key);
  json_builder_begin_array (builder);
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == severity)
        {
          g_autofree gchar *text = df_image_format_diagnostic (image, diag);
          json_builder_add_string_value (builder, text);
        }
    }
  json_builder_end_array (builder);
}

/* one document per line, so several files stream as JSON Lines */
static void
print_json (DfImage *image)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  cli_json_string (builder, "file", image->source);
  cli_json_string (builder, "format", df_format_to_string (image->format));

  if (image->has_suffix)
    {
      const DfSuffix *s = &image->suffix;
      json_builder_set_member_name (builder, "suffix");
      json_builder_begin_object (builder);
      cli_json_int (builder, "vid", s->vid);
      cli_json_int (builder, "pid", s->pid);
      cli_json_int (builder, "bcd_device", s->bcd_device);
      cli_json_int (builder, "dfu_version", s->bcd_dfu);
      cli_json_int (builder, "length", s->length);
      cli_json_int (builder, "crc_stored", s->crc_stored);
      cli_json_int (builder, "crc_computed", s->crc_computed);
      cli_json_bool (builder, "crc_ok", s->crc_stored == s->crc_computed);
      json_builder_end_object (builder);
    }

  json_builder_set_member_name (builder, "targets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      json_builder_begin_object (builder);
      cli_json_int (builder, "alt", target->alt);
      cli_json_string (builder, "name", target->name);
      json_builder_set_member_name (builder, "elements");
      json_builder_begin_array (builder);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size;
          const guint8 *data = g_bytes_get_data (segment->data, &size);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "address");
          if (segment->has_address)
            json_builder_add_int_value (builder, segment->address);
          else
            json_builder_add_null_value (builder);
          cli_json_int (builder, "size", (gint64) size);
          cli_json_int (builder, "crc32", df_crc32 (data, size));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_diagnostics (builder, image, "notes", DF_SEVERITY_NOTE);
  add_diagnostics (builder, image, "warnings", DF_SEVERITY_WARNING);
  add_diagnostics (builder, image, "errors", DF_SEVERITY_ERROR);
  json_builder_end_object (builder);
  cli_json_print (builder, FALSE);
}


int
cli_info (int argc, char **argv)
{
  gboolean json = FALSE;
  gboolean ignore_crc = FALSE;
  g_autofree gchar *address_text = NULL;
  g_auto(GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON document per file"), NULL },
    { "ignore-crc", 0, 0, G_OPTION_ARG_NONE, &ignore_crc, N_("Treat a CRC mismatch as a warning"), NULL },
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address_text, N_("Load address of raw binaries"), N_("ADDR") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("FILE…") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  guint32 address = 0;
  int status = CLI_EXIT_OK;

  g_option_context_set_summary (context, _("Show the format, suffix, CRC, targets and elements of firmware files."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (files == NULL)
    {
      cli_error (_("no file given (see --help)"));
      return CLI_EXIT_USAGE;
    }
  if (address_text != NULL)
    {
      g_autoptr(GError) error = NULL;
      if (!cli_parse_u32 (address_text, "--address", G_MAXUINT32, &address, &error))
        {
          cli_error ("%s", error->message);
          return CLI_EXIT_USAGE;
        }
    }

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DfImage) image = df_image_load_file (files[i], DF_FORMAT_UNKNOWN,
                                                     address_text != NULL, address,
                                                     ignore_crc ? DF_LOAD_IGNORE_CRC : DF_LOAD_NONE,
                                                     &error);
      if (image == NULL && !json)
        {
          /* unreadable: one line, not a block saying "format unknown" too */
          cli_error ("%s", error->message);
          status = CLI_EXIT_BAD_FILE;
          continue;
        }
      if (image == NULL)
        {
          /* unreadable: still one document for this file */
          image = df_image_new (DF_FORMAT_UNKNOWN, files[i]);
          df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 0, "%s", error->message);
        }
      if (json)
        print_json (image);
      else
        print_text (image);
      if (df_image_has_errors (image))
        status = CLI_EXIT_BAD_FILE;
    }
  return status;
}
