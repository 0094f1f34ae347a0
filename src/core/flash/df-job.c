#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-job-private.h"
#include "df-micropython-check.h"
#include "df-micropython-switch.h"
#include "df-usb.h"

DfJob *
df_job_new (DfDevice *device, DfImage *image, const DfPlanOptions *options)
{
  DfJob *job = g_new0 (DfJob, 1);
  job->ref_count = 1;
  job->device = df_device_ref (device);
  job->image = df_image_ref (image);
  job->options = *options;
  return job;
}

DfJob *
df_job_ref (DfJob *job)
{
  g_atomic_int_inc (&job->ref_count);
  return job;
}

void
df_job_unref (DfJob *job)
{
  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;
  df_device_unref (job->device);
  df_image_unref (job->image);
  g_clear_pointer (&job->plan, df_plan_unref);
  g_clear_pointer (&job->sector_states, g_array_unref);
  g_free (job->backup_path);
  g_clear_pointer (&job->origin, df_device_unref);
  g_clear_pointer (&job->now_running, df_micropython_unref);
  g_clear_error (&job->back_error);
  g_free (job);
}

void
df_job_set_force (DfJob *job, gboolean force)
{
  job->force = force;
}

void
df_job_set_backup (DfJob *job, const gchar *path)
{
  g_free (job->backup_path);
  job->backup_path = g_strdup (path);
}

void
df_job_set_progress_func (DfJob *job, DfProgressFunc func, gpointer user_data)
{
  job->progress_func = func;
  job->progress_data = user_data;
}

void
df_job_set_log_func (DfJob *job, DfLogFunc func, gpointer user_data)
{
  job->log_func = func;
  job->log_data = user_data;
}

DfDevice *
df_job_get_device (DfJob *job)
{
  return job->device;
}

DfPlan *
df_job_get_plan (DfJob *job)
{
  return job->plan;
}

guint64
df_job_get_transfers (DfJob *job)
{
  return job->transfers;
}

gdouble
df_job_get_elapsed (DfJob *job)
{
  return job->progress.elapsed;
}

guint
df_job_get_skipped_sectors (DfJob *job)
{
  return df_job_count_sectors (job, DF_SECTOR_RIGHT);
}

guint
df_job_get_retries (DfJob *job)
{
  return job->retries;
}

guint
df_job_get_resumes (DfJob *job)
{
  return job->resumes;
}

void
df_job_log (DfJob *job, const gchar *format, ...)
{
  g_autofree gchar *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("%s", line);
  if (job->log_func != NULL)
    job->log_func (line, job->log_data);
}

void
df_job_log_range (DfJob *job, RangeAction action, guint32 start, guint64 size)
{
  g_autofree gchar *bytes = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
  guint32 last = (guint32) (start + size - 1);

  switch (action)
    {
    case RANGE_ERASED:
      /* TRANSLATORS: a transcript line: size, first and last address */
      df_job_log (job, _("erased %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    case RANGE_WRITTEN:
      /* TRANSLATORS: a transcript line: size, first and last address */
      df_job_log (job, _("wrote %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    case RANGE_VERIFIED:
    default:
      /* TRANSLATORS: a transcript line: size, first and last address */
      df_job_log (job, _("verified %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    }
}

gboolean
df_job_select_alt (DfJob *job, DfPlanTarget *target, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (df_transport_set_alt (job->conn.transport, job->device->interface, target->alt, &local) &&
          df_dfu_ensure_idle (&job->conn, &local))
        return TRUE;
      if (!df_job_may_retry (job, &local, _("selecting the memory"), FALSE, 0, error))
        return FALSE;
    }
}

static void
on_connection_note (const gchar *message, gpointer user_data)
{
  df_job_log (user_data, "%s", message);
}

void
df_job_connected (DfJob *job)
{
  guint16 reported = job->device->transfer_size;

  job->conn.note = on_connection_note;
  job->conn.note_data = job;
  if (reported > DF_USB_MAX_CONTROL_TRANSFER)
    /* TRANSLATORS: a transcript line; the device's wTransferSize, then Linux's limit */
    df_job_log (job, _("the device reports a transfer size of %u bytes; Linux sends at most %u bytes "
                       "in one control transfer, so Defuse sends %u"),
                reported, DF_USB_MAX_CONTROL_TRANSFER, job->conn.transfer_size);
}

/* After a failure or a cancel: bring the device back to dfuIDLE so the
 * next attempt starts clean; the device being gone is nothing to fix. */
#define CANCEL_CLEANUP_TIMEOUT_MS 1000

static gboolean
recover (DfJob *job)
{
  g_autoptr(GError) local = NULL;
  GCancellable *cancellable = job->conn.cancellable;
  gboolean ok;

  /* the cleanup itself must not be cancelled; after a Cancel it gets a
   * second, not the minute a device finishing a mass erase may hold a
   * request: the next flash brings it back to dfuIDLE all the same */
  job->conn.cancellable = NULL;
  if (g_cancellable_is_cancelled (cancellable))
    job->conn.request_timeout_ms = CANCEL_CLEANUP_TIMEOUT_MS;
  ok = df_job_make_idle (job, &local);
  if (!ok)
    df_job_log (job, _("could not return the device to dfuIDLE: %s"), local->message);
  job->conn.cancellable = cancellable;
  job->conn.request_timeout_ms = 0;
  return ok;
}

static gchar *
describe_written (DfJob *job)
{
  /* the leave is the last step: all that was planned is in place */
  if ((job->plan->dfuse || job->plan->flip) && job->progress.phase == DF_PHASE_LEAVE)
    return g_strdup (job->plan->options.verify
                     ? _("The firmware is written and verified, but the device did not leave DFU mode: unplug it "
                         "and plug it in again to start it.")
                     : _("The firmware is written, but the device did not leave DFU mode: unplug it and plug it "
                         "in again to start it."));
  if (job->mass_erase_sent && job->written == 0)
    return g_strdup (_("The whole chip was erased (or is being erased) and nothing was written yet: "
                       "it holds no firmware now; flash again."));
  /* a block sent and never confirmed may be in the memory, or half of it */
  if (job->written == 0 && job->erased_sectors == 0 && job->progress.phase >= DF_PHASE_WRITE)
    return g_strdup (_("The device confirmed no write, but writing had begun: its memory may have changed; "
                       "flash again."));
  if (job->written == 0 && job->erased_sectors == 0)
    return g_strdup (_("Nothing was erased or written."));
  if (!job->plan->dfuse && job->progress.phase == DF_PHASE_VERIFY)
    return g_strdup (_("The firmware was written, but the memory does not read back as the file has it: the "
                       "firmware on the device is damaged; flash again."));
  if (!job->plan->dfuse)
    return g_strdup_printf (_("%" PRIu64 " of %" PRIu64 " bytes were written: the firmware on the device is "
                              "incomplete; flash again."), job->written, df_job_bytes_to_write (job));
  if (job->written == 0)
    return g_strdup_printf (ngettext ("%u sector was erased and nothing was written yet: the firmware on the device "
                                      "is incomplete; flash again (with --diff the next flash reads back and skips "
                                      "what is already right).",
                                      "%u sectors were erased and nothing was written yet: the firmware on the device "
                                      "is incomplete; flash again (with --diff the next flash reads back and skips "
                                      "what is already right).", job->erased_sectors),
                            job->erased_sectors);
  return g_strdup_printf (ngettext ("%u sector was erased and %" PRIu64 " of %" PRIu64
                                    " bytes written (0x%08x-0x%08x): the firmware on the device is incomplete; "
                                    "flash again (with --diff the next flash reads back and skips what is already "
                                    "right).",
                                    "%u sectors were erased and %" PRIu64 " of %" PRIu64
                                    " bytes written (0x%08x-0x%08x): the firmware on the device is incomplete; "
                                    "flash again (with --diff the next flash reads back and skips what is already "
                                    "right).", job->erased_sectors),
                          job->erased_sectors, job->written, df_job_bytes_to_write (job),
                          job->written_low, job->written_high - 1);
}

/* the flash, resumed when the board resets mid-flash (a brown-out) and
 * comes back in DFU mode on the same port: on a DfuSe device what is
 * already right is read back and skipped, the rest finished and verified */
#define MAX_RESUMES 3

static gboolean
run_resuming (DfJob *job, DfTransport **transport, GError **error)
{
  g_autoptr(GError) local = NULL;

  /* a plain DFU device starts its download again from block 0 */
  while (!(job->plan->flip ? df_job_run_flip (job, &local)
           : job->plan->dfuse ? df_job_run_dfuse (job, &local) : df_job_run_plain (job, &local)))
    {
      g_autoptr(GError) gone = NULL;

      /* a DfuSe leave comes last: all was written (and verified, if asked) */
      if (g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED) && job->plan->dfuse &&
          job->progress.phase == DF_PHASE_LEAVE)
        {
          job->gone_before_start = TRUE;
          df_job_log (job, _("the device went away before it was told to start the new firmware: unplug it "
                             "and plug it in again to start it"));
          return TRUE;
        }
      /* a FLIP job starts again from its chip erase (the bootloader is
       * locked again after a reset: the erase unlocks it) */
      if (!g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED) || job->resumes >= MAX_RESUMES)
        break;
      df_job_log (job, _("the device dropped off the bus (%s); waiting for it to come back"), local->message);
      if (!df_job_reconnect (job, transport, &gone))
        {
          g_prefix_error (&gone, "%s\n", local->message);
          g_clear_error (&local);
          local = g_steal_pointer (&gone);
          break;
        }
      job->resumes++;
      job->resuming = TRUE;
      g_clear_error (&local);
      if (job->plan->flip)
        df_job_log (job, _("the device is back: starting again from the chip erase"));
      else
        df_job_log (job, _("the device is back: reading back what is already right, then finishing"));
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

/* unreadable strings mean no layout: say why, not "no memory layout" */
static gboolean
check_permission (DfJob *job, GError **error)
{
  if (!job->device->permission_denied)
    return TRUE;
  g_set_error (error, DF_ERROR, DF_ERROR_PERMISSION, _("permission denied. %s"), df_usb_permission_hint ());
  return FALSE;
}

/* dfuIDLE before anything, a hiccup retried as any step */
static gboolean
prepare_device (DfJob *job, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) failure = NULL;

      if (df_job_make_idle (job, &failure))
        return TRUE;
      if (!df_job_may_retry (job, &failure, _("preparing the device"), FALSE, 0, error))
        {
          g_prefix_error (error, _("preparing the device: "));
          return FALSE;
        }
    }
}

gboolean
df_job_run (DfJob *job, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  g_autoptr(GError) local = NULL;
  DfPlan *plan;
  gboolean ok;

  job->start_us = g_get_monotonic_time ();
  memset (&job->progress, 0, sizeof job->progress);

  if (df_device_is_application (job->device))
    {
      DfDevice *dfu;

      if (job->device->mode == DF_DEVICE_MODE_MICROPYTHON && job->origin == NULL)
        job->origin = df_device_ref (job->device);
      /* checked before the switch: a firmware for another board leaves
       * the board running as it was */
      if (job->device->micropython != NULL && !job->force &&
          !df_micropython_check_banner (job->image, job->device->micropython->machine, error))
        return FALSE;

      job->detached = TRUE;  /* weighs the detach phase */
      df_job_set_weights (job);
      df_job_begin_phase (job, DF_PHASE_DETACH, 1);
      dfu = df_device_detach_and_wait (job->device, cancellable, error);
      if (dfu == NULL)
        return FALSE;
      df_device_unref (job->device);
      job->device = dfu;
    }

  if (!check_permission (job, error) || !df_device_check_transfer_size (job->device, error))
    return FALSE;

  g_clear_pointer (&job->plan, df_plan_unref);
  job->plan = plan = df_plan_new (job->image, job->device, &job->options);
  if (!df_plan_check (plan, job->force, error))
    return FALSE;
  df_job_set_weights (job);

  transport = df_usb_connect (job->device, cancellable, &job->conn, error);
  if (transport == NULL)
    return FALSE;
  df_job_connected (job);

  if (!prepare_device (job, error))
    {
      job->transfers = transport->transfers;
      return FALSE;
    }

  ok = run_resuming (job, &transport, &local);
  if (!ok)
    {
      gboolean recovered = !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED) && !job->unrecoverable &&
                           recover (job);
      g_autofree gchar *what = describe_written (job);

      if (g_error_matches (local, DF_ERROR, DF_ERROR_CANCELLED))
        g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("Cancelled. %s%s"),
                     recovered ? _("The device is back in dfuIDLE. ") : "", what);
      else
        g_set_error (error, local->domain, local->code, "%s\n%s", local->message, what);
      job->transfers = transport->transfers;
      return FALSE;
    }

  job->transfers = transport->transfers;
  g_clear_pointer (&transport, df_transport_close);
  if (job->origin != NULL && plan->options.leave)
    {
      /* the board comes back on the same port, running the new firmware */
      g_clear_error (&job->back_error);
      g_clear_pointer (&job->now_running, df_micropython_unref);
      job->now_running = df_micropython_wait_back (job->origin->path, cancellable, &job->back_error);
    }
  df_job_begin_phase (job, DF_PHASE_DONE, 0);
  return TRUE;
}

gboolean
df_job_get_gone_before_start (DfJob *job)
{
  return job->gone_before_start;
}

DfMicroPython *
df_job_get_now_running (DfJob *job, const GError **error)
{
  if (error != NULL)
    *error = job->back_error;
  return job->now_running;
}

static void
run_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DfJob *job = task_data;
  GError *error = NULL;

  if (df_job_run (job, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
df_job_run_async (DfJob *job, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, df_job_run_async);
  g_task_set_task_data (task, df_job_ref (job), (GDestroyNotify) df_job_unref);
  /* the job checks its cancellable itself and cleans up the device */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

gboolean
df_job_run_finish (DfJob *job, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

