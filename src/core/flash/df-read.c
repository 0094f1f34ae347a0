/* df-read.c: reading a device's memory to a buffer (defuse-cli read). */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-flip-command.h"
#include "df-job.h"
#include "df-memory.h"
#include "df-usb.h"

typedef struct {
  DfProgress     progress;
  gint64         start_us;
  DfProgressFunc func;
  gpointer       user_data;
} ReadProgress;

static void
on_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  ReadProgress *rp = user_data;
  DfProgress *p = &rp->progress;

  p->done += bytes;
  p->address = address;
  p->elapsed = (g_get_monotonic_time () - rp->start_us) / 1e6;
  p->fraction = p->total > 0 ? MIN ((gdouble) p->done / p->total, 1.0) : 0;
  p->rate = p->elapsed > 0.05 ? p->done / p->elapsed : 0;
  p->eta = p->rate > 0 && p->total > p->done ? (p->total - p->done) / p->rate : -1;
  if (rp->func != NULL)
    rp->func (p, rp->user_data);
}

GBytes *
df_device_read_memory (DfDevice *device, guint8 alt, guint32 address, gsize length,
                       DfProgressFunc func, gpointer user_data,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  ReadProgress rp = { .progress = { .phase = DF_PHASE_READ, .total = length },
                      .start_us = g_get_monotonic_time (), .func = func, .user_data = user_data };
  DfConnection conn;
  guint8 *data;

  /* FLIP: alt is the memory (0 flash, 1 EEPROM) */
  if (device->mode == DF_DEVICE_MODE_FLIP)
    {
      if (alt > DF_FLIP_EEPROM)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("the chip has flash (0) and EEPROM (1), no memory %u"), alt);
          return NULL;
        }
      return df_flip_device_read (device, alt, address, length, on_chunk, &rp, cancellable, error);
    }
  if (!(device->attributes & DF_ATTR_CAN_UPLOAD))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("this device cannot be read (its DFU descriptor does not allow upload)"));
      return NULL;
    }
  transport = df_usb_connect (device, cancellable, &conn, error);
  if (transport == NULL)
    return NULL;
  if (!df_transport_set_alt (transport, device->interface, alt, error) ||
      !df_dfu_ensure_idle (&conn, error))
    return NULL;

  if (!conn.dfuse)
    return df_memory_upload_plain (&conn, length, on_chunk, &rp, error);

  data = g_malloc (length);
  if (!df_memory_read (&conn, address, data, length, on_chunk, &rp, error))
    {
      g_free (data);
      df_dfu_ensure_idle (&conn, NULL);
      return NULL;
    }
  return g_bytes_new_take (data, length);
}
