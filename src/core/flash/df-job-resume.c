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

static gboolean
same_board (DfDevice *was, DfDevice *candidate)
{
  return candidate->mode == was->mode && candidate->vid == was->vid && candidate->pid == was->pid &&
         g_strcmp0 (candidate->serial, was->serial) == 0 && g_strcmp0 (candidate->path, was->path) == 0;
}

gboolean
df_job_reconnect (DfJob *job, DfTransport **transport, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(DfDevice) device = df_device_wait_for (job->device, RESUME_WAIT_MS, same_board,
                                                   job->conn.cancellable, &local);
  DfConnection conn;
  DfTransport *fresh;

  if (device == NULL && local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (device == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
                   _("The device did not come back in DFU mode within %u s."), RESUME_WAIT_MS / 1000);
      return FALSE;
    }
  fresh = df_usb_connect (device, job->conn.cancellable, &conn, error);
  if (fresh == NULL)
    return FALSE;
  fresh->transfers = (*transport)->transfers;  /* the run's statistics go on */
  df_transport_close (*transport);
  *transport = fresh;
  job->conn = conn;
  df_device_unref (job->device);
  job->device = g_steal_pointer (&device);
  df_job_connected (job);
  return df_job_make_idle (job, error);
}
