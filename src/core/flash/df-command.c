/* df-command.c: one-shot commands on a device in DFU mode, outside a flash:
 * leaving DFU mode now, and the DfuSe mass erase (dfu-util's `-e` and
 * `-s :mass-erase:force`, pydfu's `-x` and `-m`). */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-flip-command.h"
#include "df-job.h"
#include "df-protocol.h"
#include "df-usb.h"

static DfTransport *
open_alt (DfDevice *device, guint8 alt, DfConnection *conn, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = df_usb_connect (device, cancellable, conn, error);

  if (transport == NULL)
    return NULL;
  if (!df_transport_set_alt (transport, device->interface, alt, error) ||
      !df_dfu_ensure_idle (conn, error))
    return NULL;
  return g_steal_pointer (&transport);
}

/* where a DfuSe device jumps when told nothing: its first region */
static guint32
default_start (DfDevice *device, guint8 alt)
{
  DfAlt *a = df_device_find_alt (device, alt);

  if (a != NULL && a->layout != NULL && a->layout->regions->len > 0)
    return ((DfRegion *) g_ptr_array_index (a->layout->regions, 0))->start;
  return 0x08000000;
}

gboolean
df_device_leave (DfDevice *device, guint8 alt, gboolean has_address, guint32 address,
                 GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  /* a FLIP bootloader starts the application by a watchdog reset */
  if (device->mode == DF_DEVICE_MODE_FLIP)
    return df_flip_device_start (device, TRUE, cancellable, error);
  transport = open_alt (device, alt, &conn, cancellable, error);
  if (transport == NULL)
    return FALSE;
  if (conn.dfuse)
    {
      /* STM32C0 needs the address set before leaving; all jump there */
      if (!df_dfuse_set_address (&conn, has_address ? address : default_start (device, alt), error) ||
          !df_dfu_leave (&conn, error))
        {
          g_prefix_error (error, _("leaving DFU mode: "));
          return FALSE;
        }
      return TRUE;
    }
  /* plain DFU: DETACH asks the bootloader to start the application (some
   * refuse it in DFU mode); the USB reset after it is what every DFU 1.1
   * device obeys */
  if (!df_dfu_detach (&conn, 1000, &local))
    g_debug ("detach in DFU mode: %s", local->message);
  g_clear_error (&local);
  if (!df_transport_reset (transport, &local) &&
      !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), _("resetting the device: "));
      return FALSE;
    }
  return TRUE;
}

gboolean
df_device_mass_erase (DfDevice *device, guint8 alt, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  transport = open_alt (device, alt, &conn, cancellable, error);
  if (transport == NULL)
    return FALSE;
  if (!conn.dfuse)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("mass erase is a DfuSe command: this device speaks plain DFU 1.1"));
      return FALSE;
    }
  if (!df_dfuse_mass_erase (&conn, error))
    {
      g_prefix_error (error, _("mass erase: "));
      return FALSE;
    }
  return TRUE;
}
