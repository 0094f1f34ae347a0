/* df-detach.c: requests after which the device leaves the bus and comes
 * back: detach (application to DFU mode: DFU_DETACH, then a USB reset
 * unless the device detaches by itself) and DfuSe read-unprotect (the chip
 * erases itself and resets).  Both wait for the DFU-mode device to appear
 * again on the same port or with the same serial number. */
#include <glib/gi18n.h>

#include "df-clock.h"
#include "df-error.h"
#include "df-job.h"
#include "df-micropython-switch.h"
#include "df-protocol.h"
#include "df-usb.h"

#define POLL_MS 50
#define EXTRA_WAIT_MS 5000  /* enumeration after the device's own timeout */

static gboolean
same_device (DfDevice *runtime, DfDevice *candidate)
{
  if (df_device_is_application (candidate))
    return FALSE;
  if (runtime->serial != NULL && candidate->serial != NULL)
    return g_strcmp0 (runtime->serial, candidate->serial) == 0;
  return g_strcmp0 (runtime->path, candidate->path) == 0;
}

/* Polls the bus until same() finds the device again under a new device
 * number (enumerated again, not the old one lingering); NULL after
 * timeout_ms with no error set, or with the error of a cancel. */
DfDevice *
df_device_wait_for (DfDevice *was, guint timeout_ms, DfSameDeviceFunc same,
                    GCancellable *cancellable, GError **error)
{
  gint64 deadline = df_clock_now_us () + (gint64) timeout_ms * 1000;

  while (df_clock_now_us () < deadline)
    {
      g_autoptr(GPtrArray) devices = NULL;

      if (!df_sleep_ms (POLL_MS, cancellable, error))
        return NULL;
      devices = df_usb_enumerate (NULL);
      for (guint i = 0; devices != NULL && i < devices->len; i++)
        {
          DfDevice *candidate = g_ptr_array_index (devices, i);
          if (same (was, candidate) &&
              (candidate->address != was->address || was->mode == DF_DEVICE_MODE_RUNTIME))
            return df_device_ref (candidate);
        }
    }
  return NULL;
}

static DfDevice *
wait_for_dfu_mode (DfDevice *device, guint timeout_ms, GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  DfDevice *found = df_device_wait_for (device, timeout_ms + EXTRA_WAIT_MS, same_device, cancellable, &local);

  if (found != NULL)
    return found;
  if (local != NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                 _("the device did not come back in DFU mode within %u s; "
                   "put it in DFU mode by hand (BOOT0 and reset on STM32)"),
                 (timeout_ms + EXTRA_WAIT_MS) / 1000);
  return NULL;
}

DfDevice *
df_device_unprotect_and_wait (DfDevice *device, GCancellable *cancellable, GError **error)
{
  DfConnection conn;
  g_autoptr(DfTransport) transport = df_usb_connect (device, cancellable, &conn, error);

  if (transport == NULL)
    return NULL;
  if (!df_transport_set_alt (transport, device->interface, 0, error) ||
      !df_dfu_ensure_idle (&conn, error) ||
      !df_dfuse_read_unprotect (&conn, error))
    return NULL;
  g_clear_pointer (&transport, df_transport_close);
  return wait_for_dfu_mode (device, 30000, cancellable, error);
}

DfDevice *
df_device_detach_and_wait (DfDevice *device, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  g_autoptr(GError) local = NULL;
  DfConnection conn;

  if (device->mode == DF_DEVICE_MODE_MICROPYTHON)
    return df_micropython_switch_and_wait (device->micropython, cancellable, error);
  if (device->mode != DF_DEVICE_MODE_RUNTIME)
    return df_device_ref (device);

  transport = df_usb_connect (device, cancellable, &conn, error);
  if (transport == NULL)
    return NULL;
  if (!df_dfu_detach (&conn, device->detach_timeout_ms > 0 ? device->detach_timeout_ms : 1000, &local) &&
      !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), _("asking the device to switch to DFU mode: "));
      return NULL;
    }
  if (!(device->attributes & DF_ATTR_WILL_DETACH) && !df_transport_reset (transport, error))
    return NULL;
  g_clear_pointer (&transport, df_transport_close);
  return wait_for_dfu_mode (device, device->detach_timeout_ms, cancellable, error);
}
