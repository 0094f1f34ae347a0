/* df-job-retry.c: finishing through a flaky link.  Hubs, front-panel ports
 * and long cables lose a request now and then; a bootloader may answer
 * one status wrong.  A step that fails that way is retried after CLRSTATUS
 * or ABORT back to dfuIDLE (what dfu-util does on open and
 * STM32CubeProgrammer after an error), a bounded number of times, each
 * retry logged and counted.  A failed write or verify erases and rewrites
 * only the sector concerned, with the bytes the plan puts there: a retry
 * never widens what is erased or written.  Faults that do not go away end
 * the job at once: read protection, a device that is gone, an address the
 * device refuses, and a sector that fails to write twice (write-protected
 * or worn). */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-flip.h"
#include "df-job-private.h"
#include "df-memory.h"

#define MAX_RETRIES 8  /* per job: a link worse than that needs a new cable */

/* hiccups: what a second try can fix */
static gboolean
transient (const GError *error)
{
  if (error->domain != DF_ERROR)
    return FALSE;
  switch (error->code)
    {
    case DF_ERROR_STALLED:
    case DF_ERROR_TIMEOUT:
    case DF_ERROR_PROTOCOL:
    case DF_ERROR_DEVICE:
    case DF_ERROR_WRITE:
    case DF_ERROR_VERIFY:
    case DF_ERROR_FAILED:   /* libusb's IO errors: a glitch on the wire */
      return TRUE;
    default:
      return FALSE;
    }
}

/* what to do once retries did not help: a device that answers but keeps
 * failing is no cable problem */
static const gchar *
give_up_advice (const GError *error)
{
  switch (error->code)
    {
    case DF_ERROR_DEVICE:
    case DF_ERROR_PROTOCOL:
    case DF_ERROR_WRITE:
    case DF_ERROR_VERIFY:
      return _("the device keeps failing: unplug it, start its bootloader again and flash again; "
               "if it fails again, its bootloader or memory may be faulty.");
    default:
      return _("check the cable and the hub, or try another USB port.");
    }
}

/* Decides after a failed step: FALSE with the error to report, or TRUE
 * with the device back in dfuIDLE, ready for the step again.  at_sector:
 * the step wrote or verified the sector starting at sector. */
gboolean
df_job_may_retry (DfJob *job, GError **failure, const gchar *step, gboolean at_sector,
                  guint32 sector, GError **error)
{
  g_autoptr(GError) local = g_steal_pointer (failure);
  g_autoptr(GError) recover = NULL;
  GCancellable *cancellable = job->conn.cancellable;
  gboolean again = at_sector && job->failed_sector_set && job->failed_sector == sector &&
                   (g_error_matches (local, DF_ERROR, DF_ERROR_WRITE) ||
                    g_error_matches (local, DF_ERROR, DF_ERROR_VERIFY));

  if (g_cancellable_is_cancelled (cancellable) || !transient (local))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* busy past every bound is no hiccup: a retry, and the cleanup at the
   * end, would each wait as long again before saying so */
  if (job->conn.stuck)
    {
      job->unrecoverable = TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (again)
    {
      g_set_error (error, local->domain, local->code,
                   _("%s\nThe sector at 0x%08x failed a second time: it may be write-protected "
                     "(option bytes) or worn out."), local->message, sector);
      return FALSE;
    }
  if (job->retries >= MAX_RETRIES)
    {
      /* TRANSLATORS: the error, the number of retries, then what to do */
      g_set_error (error, local->domain, local->code, _("%s\nGave up after %u retries: %s"),
                   local->message, job->retries, give_up_advice (local));
      return FALSE;
    }
  if (at_sector && (g_error_matches (local, DF_ERROR, DF_ERROR_WRITE) ||
                    g_error_matches (local, DF_ERROR, DF_ERROR_VERIFY)))
    {
      job->failed_sector = sector;
      job->failed_sector_set = TRUE;
    }
  job->retries++;
  /* TRANSLATORS: a transcript line: what failed, why, the retry's number */
  df_job_log (job, _("%s failed (%s); retrying (%u of at most %u)"), step, local->message,
              job->retries, MAX_RETRIES);

  job->conn.cancellable = NULL;  /* the cleanup itself is not cancelled */
  if (!df_job_make_idle (job, &recover))
    {
      job->conn.cancellable = cancellable;
      job->unrecoverable = TRUE;  /* asking again at the end would only wait as long again */
      /* gone while recovering: that is what the caller acts on */
      if (g_error_matches (recover, DF_ERROR, DF_ERROR_DISCONNECTED))
        g_propagate_error (error, g_steal_pointer (&recover));
      else
        g_set_error (error, local->domain, local->code, _("%s\nThe device did not recover: %s"),
                     local->message, recover->message);
      return FALSE;
    }
  job->conn.cancellable = cancellable;
  return TRUE;
}

gboolean
df_job_make_idle (DfJob *job, GError **error)
{
  return job->plan != NULL && job->plan->flip ? df_flip_make_idle (&job->conn, error)
                                               : df_dfu_ensure_idle (&job->conn, error);
}

gboolean
df_job_erase_sector (DfJob *job, guint32 address, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (df_dfuse_erase_page (&job->conn, address, &local))
        return TRUE;
      if (!df_job_may_retry (job, &local, _("erasing"), FALSE, 0, error))
        return FALSE;
    }
}

/* reads are safe to repeat: the progress goes back to where it was */
gboolean
df_job_read (DfJob *job, guint32 address, guint8 *data, gsize size, GError **error)
{
  guint64 done = job->progress.done;

  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (df_memory_read (&job->conn, address, data, size, df_job_on_chunk, job, &local))
        return TRUE;
      if (!df_job_may_retry (job, &local, _("reading"), FALSE, 0, error))
        return FALSE;
      job->progress.done = done;
    }
}

static void
on_write_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  DfJob *job = user_data;

  job->chunk_end = address + (guint32) bytes;
  df_job_on_write_chunk (bytes, address, user_data);
}

/* The sector holding address, erased again where the plan erases it and
 * rewritten with the plan's bytes up to hi; verified too in the verify
 * phase.  Retried as one step. */
static gboolean
rewrite_sector (DfJob *job, guint32 address, guint64 hi, GError **error)
{
  DfPlanSector *s = df_job_sector_at (job, job->target_index, address, error);
  gboolean verify = job->progress.phase == DF_PHASE_VERIFY;

  if (s == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (df_job_rewrite_range (job, job->target_index, s->start, hi, verify, &local))
        {
          /* TRANSLATORS: a transcript line: the sector's address */
          df_job_log (job, _("rewrote the sector at 0x%08x"), s->start);
          return TRUE;
        }
      if (!df_job_may_retry (job, &local, _("rewriting a sector"), TRUE, s->start, error))
        return FALSE;
    }
}

/* one run of contiguous bytes; after a failure, the sector where it
 * failed is rewritten and the run goes on after that sector */
gboolean
df_job_write_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error)
{
  guint64 end = (guint64) address + size;
  guint32 at = address;

  while (at < end)
    {
      g_autoptr(GError) local = NULL;
      DfPlanSector *s;
      guint64 hi;

      job->chunk_end = at;
      if (df_memory_write_run (&job->conn, at, data + (at - address), (gsize) (end - at),
                               on_write_chunk, job, &local))
        break;
      s = df_job_sector_at (job, job->target_index, job->chunk_end < end ? job->chunk_end : (guint32) (end - 1),
                            error);
      if (s == NULL || !df_job_may_retry (job, &local, _("writing"), TRUE, s->start, error))
        return FALSE;
      hi = MIN (end, (guint64) s->start + s->size);
      if (!rewrite_sector (job, s->start, hi, error))
        return FALSE;
      at = (guint32) hi;
    }
  df_job_log_range (job, RANGE_WRITTEN, address, size);
  return TRUE;
}

/* verifies a run; a wrong byte rewrites (and verifies) its sector, a
 * failed read reads again */
gboolean
df_job_verify_run_retrying (DfJob *job, guint32 address, const guint8 *data, gsize size,
                            GError **error)
{
  guint64 end = (guint64) address + size;
  guint32 at = address;

  while (at < end)
    {
      g_autoptr(GError) local = NULL;
      DfPlanSector *s;
      guint64 done = job->progress.done;

      job->mismatch_set = FALSE;
      if (df_job_verify_run (job, at, data + (at - address), (gsize) (end - at), &local))
        return TRUE;
      s = df_job_sector_at (job, job->target_index, job->mismatch_set ? job->mismatch_at : at, error);
      if (s == NULL || !df_job_may_retry (job, &local, _("verifying"), job->mismatch_set, s->start, error))
        return FALSE;
      job->progress.done = done;
      if (!job->mismatch_set)
        continue;
      if (!rewrite_sector (job, s->start, (guint64) s->start + s->size, error))
        return FALSE;
      at = (guint32) MIN (end, (guint64) s->start + s->size);
    }
  return TRUE;
}
