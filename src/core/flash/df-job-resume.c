/* df-job-resume.c: a board that browns out or resets mid-flash drops off
 * the bus and, with BOOT0 still high or no valid application yet, comes
 * back in DFU mode a moment later (the field's "it failed, I replugged and
 * ran it again").  The job waits a bounded time for the same board: same
 * serial number and same port path (serials repeat across boards: every
 * STM32F0 ROM says FFFFFFFEFFFF, so the port tells boards apart). */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-job-private.h"
#include "df-usb.h"

#define RESUME_WAIT_MS 5000  /* a brown-out reset re-enumerates in well under a second */
#define POLL_MS 50

static gboolean
same_board (DfDevice *was, DfDevice *candidate)
{
  return candidate->mode == was->mode && candidate->vid == was->vid && candidate->pid == was->pid &&
         g_strcmp0 (candidate->serial, was->serial) == 0 && g_strcmp0 (candidate->path, was->path) == 0;
}

static DfDevice *
wait_for_board (DfDevice *was, GCancellable *cancellable, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) RESUME_WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GPtrArray) devices = NULL;

      if (!df_sleep_ms (POLL_MS, cancellable, error))
        return NULL;
      devices = df_usb_enumerate (NULL);
      for (guint i = 0; devices != NULL && i < devices->len; i++)
        {
          DfDevice *candidate = g_ptr_array_index (devices, i);
          /* a new device number: enumerated again, not the old one lingering */
          if (same_board (was, candidate) && candidate->address != was->address)
            return df_device_ref (candidate);
        }
    }
  g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
               _("The device did not come back in DFU mode within %u s."), RESUME_WAIT_MS / 1000);
  return NULL;
}

gboolean
df_job_reconnect (DfJob *job, DfTransport **transport, GError **error)
{
  g_autoptr(DfDevice) device = wait_for_board (job->device, job->conn.cancellable, error);
  DfConnection conn;
  DfTransport *fresh;

  if (device == NULL)
    return FALSE;
  fresh = df_usb_connect (device, job->conn.cancellable, &conn, error);
  if (fresh == NULL)
    return FALSE;
  fresh->transfers = (*transport)->transfers;  /* the run's statistics go on */
  df_transport_close (*transport);
  *transport = fresh;
  job->conn = conn;
  df_device_unref (job->device);
  job->device = g_steal_pointer (&device);
  return df_dfu_ensure_idle (&job->conn, error);
}
