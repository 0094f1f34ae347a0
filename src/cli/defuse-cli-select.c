/* Choosing devices on the command line: --device VID:PID, serial or port
 * path.  An empty or ambiguous selection says what was found. */
#include <glib/gi18n.h>

#include "defuse-cli.h"
#include "df-error.h"
#include "df-usb.h"

static gchar *
list_devices (GPtrArray *devices)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < devices->len; i++)
    {
      g_autofree gchar *description = df_device_describe (g_ptr_array_index (devices, i));
      g_string_append_printf (text, "\n  %s", description);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

GPtrArray *
cli_select_devices (const gchar *const *selectors, gboolean need_one, GError **error)
{
  g_autoptr(GPtrArray) all = df_usb_enumerate (error);
  g_autoptr(GPtrArray) chosen = NULL;

  if (all == NULL)
    return NULL;
  chosen = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  for (guint i = 0; i < all->len; i++)
    {
      DfDevice *device = g_ptr_array_index (all, i);
      gboolean take = selectors == NULL || selectors[0] == NULL;
      for (guint j = 0; !take && selectors[j] != NULL; j++)
        take = df_device_matches (device, selectors[j]);
      if (take)
        g_ptr_array_add (chosen, df_device_ref (device));
    }

  if (chosen->len == 0)
    {
      if (all->len == 0)
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                     _("no DFU device found: plug the board in DFU mode (STM32: hold BOOT0, press reset; "
                       "MicroPython: machine.bootloader()) and check the cable carries data"));
      else
        {
          g_autofree gchar *found = list_devices (all);
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                       _("no DFU device matches --device; found:%s"), found);
        }
      return NULL;
    }
  if (need_one && chosen->len > 1)
    {
      g_autofree gchar *found = list_devices (chosen);
      g_set_error (error, DF_ERROR, DF_ERROR_AMBIGUOUS,
                   _("%u DFU devices match; choose one with --device VID:PID, serial or path:%s"),
                   chosen->len, found);
      return NULL;
    }
  return g_steal_pointer (&chosen);
}
