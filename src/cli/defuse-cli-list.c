/* defuse-cli list: the DFU devices plugged in, each alt setting with its
 * memory layout in words. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-flip-chips.h"
#include "df-catalog.h"
#include "df-quirks.h"
#include "df-usb.h"

/* which quirk-table entries apply to the device, and why */
static void
print_quirks (DfDevice *device)
{
  if (device->quirks == NULL || device->quirks->matches->len == 0)
    {
      printf ("  %s\n", _("quirks: none"));
      return;
    }
  for (guint i = 0; i < device->quirks->matches->len; i++)
    {
      DfQuirkMatch *match = g_ptr_array_index (device->quirks->matches, i);
      /* TRANSLATORS: a quirk-table entry, where it comes from, what it sets, and what matched */
      printf (_("  quirk %s (%s): %s\n    because %s\n"), match->entry, match->origin,
              match->settings, match->reason);
    }
}

static void
print_text (DfDevice *device, gboolean verbose)
{
  g_autofree gchar *description = df_device_describe (device);

  printf ("%s\n", description);
  printf ("  %s, %s %u, DFU %x.%02x%s%s%s\n", df_device_mode_to_string (device->mode),
          _("transfer size"), device->transfer_size,
          device->dfu_version >> 8, device->dfu_version & 0xff,
          (device->attributes & DF_ATTR_CAN_UPLOAD) ? _(", can upload") : "",
          (device->attributes & DF_ATTR_WILL_DETACH) ? _(", will detach") : "",
          (device->attributes & DF_ATTR_MANIFESTATION_TOLERANT) ? _(", manifestation tolerant") : "");
  if (device->flip_chip != NULL)
    /* TRANSLATORS: an AVR keyboard's chip, e.g. "ATmega32U4 (atmega32u4), 32 KiB flash..." */
    printf (_("  %s (%s): %u KiB flash, %u KiB bootloader at 0x%05x, %u bytes EEPROM\n"), device->flip_chip->name,
            device->flip_chip->mcu, device->flip_chip->flash_size / 1024, device->flip_chip->bootloader_size / 1024,
            df_flip_chip_app_size (device->flip_chip), device->flip_chip->eeprom_size);
  if (device->permission_denied)
    printf ("  %s\n", df_usb_permission_hint ());
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      g_autofree gchar *words = alt->layout != NULL ? df_layout_describe (alt->layout) : NULL;
      printf ("  alt %u  %s\n", alt->alt, words != NULL ? words : (alt->name != NULL ? alt->name : ""));
    }
  if (verbose)
    print_quirks (device);
}

/* what the catalog calls it: "name" always, "catalog" and "family" when known */
static void
add_catalog_json (JsonBuilder *builder, DfDevice *device)
{
  const DfCatalogEntry *entry = df_catalog_lookup (device);
  g_autofree gchar *name = df_catalog_describe (device);

  cli_json_string (builder, "name", name);
  cli_json_string (builder, "catalog", entry != NULL ? entry->id : NULL);
  cli_json_string (builder, "family", entry != NULL ? entry->family : NULL);
}

static void
print_steps (void)
{
  GPtrArray *families = df_catalog_get_families ();

  printf ("%s\n", _("How to start the bootloader of known boards:"));
  for (guint i = 0; i < families->len; i++)
    {
      DfCatalogEntry *entry = g_ptr_array_index (families, i);
      printf ("  %s: %s\n", entry->family != NULL ? entry->family : entry->name, entry->steps);
    }
}

static void
add_quirks_json (JsonBuilder *builder, DfDevice *device)
{
  json_builder_set_member_name (builder, "quirks");
  json_builder_begin_array (builder);
  for (guint i = 0; device->quirks != NULL && i < device->quirks->matches->len; i++)
    {
      DfQuirkMatch *match = g_ptr_array_index (device->quirks->matches, i);
      json_builder_begin_object (builder);
      cli_json_string (builder, "entry", match->entry);
      cli_json_string (builder, "origin", match->origin);
      cli_json_string (builder, "settings", match->settings);
      cli_json_string (builder, "reason", match->reason);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_device_json (JsonBuilder *builder, DfDevice *device)
{
  json_builder_begin_object (builder);
  cli_json_int (builder, "vid", device->vid);
  cli_json_int (builder, "pid", device->pid);
  cli_json_int (builder, "bcd_device", device->bcd_device);
  cli_json_string (builder, "manufacturer", device->manufacturer);
  cli_json_string (builder, "product", device->product);
  add_catalog_json (builder, device);
  cli_json_string (builder, "serial", device->serial);
  cli_json_string (builder, "path", device->path);
  cli_json_int (builder, "bus", device->bus);
  cli_json_int (builder, "address", device->address);
  cli_json_int (builder, "interface", device->interface);
  cli_json_string (builder, "mode", device->mode == DF_DEVICE_MODE_RUNTIME ? "runtime"
                               : device->mode == DF_DEVICE_MODE_DFUSE ? "dfuse" : "dfu");
  cli_json_int (builder, "dfu_version", device->dfu_version);
  cli_json_int (builder, "transfer_size", device->transfer_size);
  cli_json_int (builder, "attributes", device->attributes);
  cli_json_int (builder, "detach_timeout", device->detach_timeout_ms);
  cli_json_bool (builder, "permission_denied", device->permission_denied);
  add_quirks_json (builder, device);
  json_builder_set_member_name (builder, "alts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      json_builder_begin_object (builder);
      cli_json_int (builder, "alt", alt->alt);
      cli_json_string (builder, "name", alt->name);
      json_builder_set_member_name (builder, "regions");
      json_builder_begin_array (builder);
      for (guint r = 0; alt->layout != NULL && r < alt->layout->regions->len; r++)
        {
          DfRegion *region = g_ptr_array_index (alt->layout->regions, r);
          json_builder_begin_object (builder);
          cli_json_int (builder, "start", region->start);
          cli_json_int (builder, "size", (gint64) region->size);
          json_builder_set_member_name (builder, "sectors");
          json_builder_begin_array (builder);
          for (guint g = 0; g < region->groups->len; g++)
            {
              DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, g);
              json_builder_begin_object (builder);
              cli_json_int (builder, "count", group->count);
              cli_json_int (builder, "size", group->size);
              cli_json_string (builder, "flags", df_sector_flags_to_string (group->flags));
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

int
cli_list (int argc, char **argv)
{
  gboolean json = FALSE, verbose = FALSE;
  g_autofree gchar *trace = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array of devices"), NULL },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, N_("Write every USB control transfer to this pcapng file (for Wireshark)"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Also show which quirks apply to each device and why"), NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) boards = NULL;

  g_option_context_set_summary (context, _("List the DFU devices plugged in, with their memory layouts."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;

  if (!cli_trace_start (trace))
    return CLI_EXIT_BAD_FILE;
  devices = df_usb_enumerate (&error);
  if (cli_trace_finish (CLI_EXIT_OK) != CLI_EXIT_OK)
    return CLI_EXIT_BAD_FILE;
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      return cli_exit_for_error (error);
    }
  boards = df_micropython_find (NULL, NULL);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < devices->len; i++)
        add_device_json (builder, g_ptr_array_index (devices, i));
      for (guint i = 0; i < boards->len; i++)
        cli_micropython_add_json (builder, g_ptr_array_index (boards, i));
      json_builder_end_array (builder);
      cli_json_print (builder, TRUE);
      return CLI_EXIT_OK;
    }
  if (devices->len == 0 && boards->len == 0)
    printf ("%s\n", _("No DFU device found. Put the board in DFU mode (STM32: hold BOOT0 and press reset; "
                      "MicroPython: machine.bootloader()) and check that the cable carries data."));
  if (devices->len == 0 && boards->len == 0 && verbose)
    print_steps ();
  for (guint i = 0; i < devices->len; i++)
    print_text (g_ptr_array_index (devices, i), verbose);
  for (guint i = 0; i < boards->len; i++)
    cli_micropython_print (g_ptr_array_index (boards, i));
  for (const gchar * const *w = df_quirk_table_warnings (); verbose && *w != NULL; w++)
    printf ("%s\n", *w);
  return CLI_EXIT_OK;
}
