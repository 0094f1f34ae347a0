/* defuse-cli list: the DFU devices plugged in, each alt setting with its
 * memory layout in words. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-usb.h"

static void
print_text (DfDevice *device)
{
  g_autofree gchar *description = df_device_describe (device);

  printf ("%s\n", description);
  printf ("  %s, %s %u, DFU %x.%02x%s%s%s\n", df_device_mode_to_string (device->mode),
          _("transfer size"), device->transfer_size,
          device->dfu_version >> 8, device->dfu_version & 0xff,
          (device->attributes & DF_ATTR_CAN_UPLOAD) ? _(", can upload") : "",
          (device->attributes & DF_ATTR_WILL_DETACH) ? _(", will detach") : "",
          (device->attributes & DF_ATTR_MANIFESTATION_TOLERANT) ? _(", manifestation tolerant") : "");
  if (device->permission_denied)
    printf ("  %s\n", df_usb_permission_hint ());
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      g_autofree gchar *words = alt->layout != NULL ? df_layout_describe (alt->layout) : NULL;
      printf ("  alt %u  %s\n", alt->alt, words != NULL ? words : (alt->name != NULL ? alt->name : ""));
    }
}

static void
add_string (JsonBuilder *builder, const gchar *key, const gchar *value)
{
  json_builder_set_member_name (builder, key);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder, const gchar *key, gint64 value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_int_value (builder, value);
}

static void
add_device_json (JsonBuilder *builder, DfDevice *device)
{
  json_builder_begin_object (builder);
  add_int (builder, "vid", device->vid);
  add_int (builder, "pid", device->pid);
  add_int (builder, "bcd_device", device->bcd_device);
  add_string (builder, "manufacturer", device->manufacturer);
  add_string (builder, "product", device->product);
  add_string (builder, "serial", device->serial);
  add_string (builder, "path", device->path);
  add_int (builder, "bus", device->bus);
  add_int (builder, "address", device->address);
  add_int (builder, "interface", device->interface);
  add_string (builder, "mode", device->mode == DF_DEVICE_MODE_RUNTIME ? "runtime"
                               : device->mode == DF_DEVICE_MODE_DFUSE ? "dfuse" : "dfu");
  add_int (builder, "dfu_version", device->dfu_version);
  add_int (builder, "transfer_size", device->transfer_size);
  add_int (builder, "attributes", device->attributes);
  add_int (builder, "detach_timeout", device->detach_timeout_ms);
  json_builder_set_member_name (builder, "permission_denied");
  json_builder_add_boolean_value (builder, device->permission_denied);
  json_builder_set_member_name (builder, "alts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      json_builder_begin_object (builder);
      add_int (builder, "alt", alt->alt);
      add_string (builder, "name", alt->name);
      json_builder_set_member_name (builder, "regions");
      json_builder_begin_array (builder);
      for (guint r = 0; alt->layout != NULL && r < alt->layout->regions->len; r++)
        {
          DfRegion *region = g_ptr_array_index (alt->layout->regions, r);
          json_builder_begin_object (builder);
          add_int (builder, "start", region->start);
          add_int (builder, "size", (gint64) region->size);
          json_builder_set_member_name (builder, "sectors");
          json_builder_begin_array (builder);
          for (guint g = 0; g < region->groups->len; g++)
            {
              DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, g);
              json_builder_begin_object (builder);
              add_int (builder, "count", group->count);
              add_int (builder, "size", group->size);
              add_string (builder, "flags", df_sector_flags_to_string (group->flags));
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
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array of devices"), NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;

  g_option_context_set_summary (context, _("List the DFU devices plugged in, with their memory layouts."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;

  devices = df_usb_enumerate (&error);
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      return cli_exit_for_error (error);
    }
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree gchar *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < devices->len; i++)
        add_device_json (builder, g_ptr_array_index (devices, i));
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
      return CLI_EXIT_OK;
    }
  if (devices->len == 0)
    printf ("%s\n", _("No DFU device found. Put the board in DFU mode (STM32: hold BOOT0 and press reset; "
                      "MicroPython: machine.bootloader()) and check that the cable carries data."));
  for (guint i = 0; i < devices->len; i++)
    print_text (g_ptr_array_index (devices, i));
  return CLI_EXIT_OK;
}
