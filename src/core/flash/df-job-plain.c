/* df-job-plain.c: a download to a plain DFU 1.1 device: blocks from 0, a
 * zero-length DNLOAD, manifestation, then a reset where the device needs one. */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-job-private.h"
#include "df-memory.h"

/* The upload holds the memory from its start: compared here, since a plain
 * device has no addresses to read at (df_job_verify_run speaks DfuSe, and
 * its SET_ADDRESS would be taken as data: it wrote 21 00 00 00 00 over
 * the first bytes of a U-Boot eMMC partition) */
static gboolean
compare_upload (DfJob *job, GBytes *back, const guint8 *data, gsize size, GError **error)
{
  gsize got;
  const guint8 *have = g_bytes_get_data (back, &got);

  for (gsize i = 0; i < size; i++)
    if (i >= got || have[i] != data[i])
      {
        if (i >= got)
          g_set_error (error, DF_ERROR, DF_ERROR_VERIFY,
                       _("verify failed: the device gave back %zu bytes of the %zu written; flash again"),
                       got, size);
        else
          g_set_error (error, DF_ERROR, DF_ERROR_VERIFY,
                       _("verify failed: at offset 0x%08zx the device holds 0x%02x instead of 0x%02x; "
                         "flash again, and if it fails again the memory may be worn or protected"),
                       i, have[i], data[i]);
        return FALSE;
      }
  df_job_log_range (job, RANGE_VERIFIED, 0, size);
  return TRUE;
}

/* a zero-length DNLOAD ends the download and starts manifestation */
static gboolean
manifest (DfJob *job, DfStatus *status, GError **error)
{
  df_job_begin_phase (job, DF_PHASE_LEAVE, 1);
  if (df_dfu_dnload (&job->conn, 0, NULL, 0, error) && df_dfu_wait_while_busy (&job->conn, status, error))
    return TRUE;
  g_prefix_error (error, _("finishing the download (manifestation): "));
  return FALSE;
}

/* the read-back of a manifestation-tolerant device, from its start */
static gboolean
verify_upload (DfJob *job, const guint8 *data, gsize size, GError **error)
{
  g_autoptr(GBytes) back = NULL;

  if (!df_dfu_ensure_idle (&job->conn, error))
    return FALSE;
  df_job_begin_phase (job, DF_PHASE_VERIFY, size);
  back = df_memory_upload_plain (&job->conn, size, df_job_on_chunk, job, error);
  return back != NULL && compare_upload (job, back, data, size, error);
}

/* The blocks, the manifestation and the read-back, as one step: a plain
 * DFU device has no addresses, so after a hiccup (CLRSTATUS back to
 * dfuIDLE) or a wrong read-back the only way on is a new download from
 * block 0, which writes the same bytes again. */
static gboolean
download (DfJob *job, const guint8 *data, gsize size, gboolean verify, DfStatus *status, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      df_job_begin_phase (job, DF_PHASE_WRITE, size);
      job->written = 0;
      if (df_memory_download_plain (&job->conn, data, size, df_job_on_write_chunk, job, &local) &&
          manifest (job, status, &local) && (!verify || verify_upload (job, data, size, &local)))
        return TRUE;
      if (!df_job_may_retry (job, &local, _("downloading"), FALSE, 0, error))
        return FALSE;
      /* TRANSLATORS: a transcript line, after a failed download to a plain DFU device */
      df_job_log (job, _("starting the download again from its first block"));
    }
}

gboolean
df_job_run_plain (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  DfPlanTarget *target = g_ptr_array_index (plan->targets, 0);
  DfPlanWrite *write = g_ptr_array_index (target->writes, 0);
  gsize size;
  const guint8 *data = g_bytes_get_data (write->data, &size);
  gboolean tolerant = (job->device->attributes & DF_ATTR_MANIFESTATION_TOLERANT) != 0;
  DfStatus status;

  if (!df_job_select_alt (job, target, error) ||
      !download (job, data, size, plan->options.verify && tolerant, &status, error))
    return FALSE;
  if (plan->not_verified != NULL)
    df_job_log (job, _("not verified: %s"), plan->not_verified);

  /* devices that are not manifestation tolerant wait for a reset to run
   * the new firmware */
  if (plan->options.leave && (!tolerant || status.state == DF_STATE_MANIFEST_WAIT_RESET))
    {
      g_autoptr(GError) local = NULL;
      if (!df_transport_reset (job->conn.transport, &local))
        df_job_log (job, _("reset after download: %s"), local->message);
    }
  df_job_on_chunk (1, 0, job);
  return TRUE;
}
