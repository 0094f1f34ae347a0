#include <glib/gi18n.h>

#include "df-catalog.h"
#include "df-error.h"
#include "df-device.h"
#include "df-micropython.h"
#include "df-quirks.h"

static void
alt_free (gpointer data)
{
  DfAlt *alt = data;
  g_free (alt->name);
  g_clear_pointer (&alt->layout, df_layout_free);
  g_free (alt);
}

DfDevice *
df_device_new (void)
{
  DfDevice *device = g_new0 (DfDevice, 1);
  device->ref_count = 1;
  device->alts = g_ptr_array_new_with_free_func (alt_free);
  return device;
}

/* devices are found on one thread and shown or flashed on others */
DfDevice *
df_device_ref (DfDevice *device)
{
  g_atomic_int_inc (&device->ref_count);
  return device;
}

void
df_device_unref (DfDevice *device)
{
  if (!g_atomic_int_dec_and_test (&device->ref_count))
    return;
  g_free (device->manufacturer);
  g_free (device->product);
  g_free (device->serial);
  g_free (device->path);
  g_clear_pointer (&device->micropython, df_micropython_unref);
  g_ptr_array_unref (device->alts);
  g_clear_pointer (&device->quirks, df_quirks_unref);
  g_free (device);
}

DfAlt *
df_device_add_alt (DfDevice *device, guint8 alt_setting, const gchar *name)
{
  DfAlt *alt = g_new0 (DfAlt, 1);

  alt->alt = alt_setting;
  alt->name = g_strdup (name);
  /* a name starting with '@' is a DfuSe layout; a bad one is shown as a
   * plain name and the plan refuses to guess addresses from it */
  if (name != NULL && name[0] == '@')
    {
      g_autoptr(GError) error = NULL;
      alt->layout = df_layout_parse (name, &error);
      if (alt->layout == NULL)
        g_debug ("alt %u: %s", alt_setting, error->message);
    }
  g_ptr_array_add (device->alts, alt);
  return alt;
}

DfAlt *
df_device_find_alt (DfDevice *device, guint8 alt_setting)
{
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      if (alt->alt == alt_setting)
        return alt;
    }
  return NULL;
}

DfAlt *
df_device_find_alt_by_text (DfDevice *device, const gchar *text)
{
  guint64 number;

  if (g_ascii_string_to_unsigned (text, 10, 0, 255, &number, NULL))
    return df_device_find_alt (device, (guint8) number);
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      const gchar *name = alt->layout != NULL ? alt->layout->name : alt->name;
      if (name != NULL && g_ascii_strcasecmp (name, text) == 0)
        return alt;
    }
  return NULL;
}

const gchar *
df_device_mode_to_string (DfDeviceMode mode)
{
  switch (mode)
    {
    case DF_DEVICE_MODE_RUNTIME:
      return _("application (DFU runtime)");
    case DF_DEVICE_MODE_DFU:
      return _("DFU mode");
    case DF_DEVICE_MODE_DFUSE:
      return _("DFU mode (DfuSe)");
    case DF_DEVICE_MODE_MICROPYTHON:
      return _("running MicroPython");
    case DF_DEVICE_MODE_FLIP:
      return _("DFU mode (Atmel FLIP)");
    default:
      return "?";
    }
}

gboolean
df_device_is_application (DfDevice *device)
{
  return device->mode == DF_DEVICE_MODE_RUNTIME || device->mode == DF_DEVICE_MODE_MICROPYTHON;
}

gchar *
df_device_describe (DfDevice *device)
{
  /* the catalog's name for it, else its product string */
  g_autofree gchar *product = df_catalog_describe (device);

  if (device->serial != NULL)
    /* TRANSLATORS: product, USB ids, serial number, USB port path */
    return g_strdup_printf (_("%s (%04x:%04x, serial %s) at %s"), product,
                            device->vid, device->pid, device->serial, device->path);
  /* TRANSLATORS: product, USB ids, USB port path */
  return g_strdup_printf (_("%s (%04x:%04x) at %s"), product, device->vid, device->pid, device->path);
}

gboolean
df_device_check_transfer_size (DfDevice *device, GError **error)
{
  /* without a functional descriptor it is 1024, the host's guess
   * (df-usb-describe.c); an application is only sent DFU_DETACH */
  if (df_device_is_application (device) || device->transfer_size >= DF_MIN_TRANSFER_SIZE)
    return TRUE;
  /* TRANSLATORS: %u: the device's wTransferSize, under 8 */
  g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
               _("the device says it takes %u bytes per transfer (wTransferSize): no flash memory is written "
                 "in pieces that small, so its bootloader's USB descriptor is wrong (a broken or counterfeit "
                 "bootloader). Defuse does not flash or read it; another cable will not help."),
               device->transfer_size);
  return FALSE;
}

gchar *
df_device_get_id (DfDevice *device)
{
  return g_strdup_printf ("%s:%04x:%04x:%s", device->path, device->vid, device->pid,
                          device->serial != NULL ? device->serial : "");
}

gboolean
df_device_matches (DfDevice *device, const gchar *selector)
{
  guint64 vid, pid;
  g_auto(GStrv) ids = g_strsplit (selector, ":", 2);

  if (g_strcmp0 (selector, device->path) == 0 || g_strcmp0 (selector, device->serial) == 0)
    return TRUE;
  return g_strv_length (ids) == 2 &&
         g_ascii_string_to_unsigned (ids[0], 16, 0, 0xffff, &vid, NULL) &&
         g_ascii_string_to_unsigned (ids[1], 16, 0, 0xffff, &pid, NULL) &&
         vid == device->vid && pid == device->pid;
}
