/* defuse-core-pending.c: TEMPORARY stand-ins for the parts of the core
 * being written in parallel (df-job.c, df-monitor.c), so the GUI builds
 * and its file-only tests run until they land.  src/gui/meson.build
 * compiles each half only while the core does not provide it. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "df-error.h"

#ifdef DEFUSE_PENDING_JOB
#include "df-job.h"

struct _DfJob
{
  gint ref_count;
};

const gchar *
df_phase_describe (DfPhase phase)
{
  static const gchar *names[] = { N_("Switching to DFU mode"), N_("Backing up"), N_("Reading"),
                                  N_("Erasing"), N_("Writing"), N_("Verifying"), N_("Leaving DFU mode"),
                                  N_("Done") };
  return phase <= DF_PHASE_DONE ? _(names[phase]) : "";
}

DfJob *
df_job_new (DfDevice *device, DfImage *image, const DfPlanOptions *options)
{
  DfJob *job = g_new0 (DfJob, 1);
  job->ref_count = 1;
  return job;
}

void
df_job_unref (DfJob *job)
{
  if (--job->ref_count == 0)
    g_free (job);
}

void df_job_set_force (DfJob *job, gboolean force) {}
void df_job_set_backup (DfJob *job, const gchar *path) {}
void df_job_set_progress_func (DfJob *job, DfProgressFunc func, gpointer user_data) {}
void df_job_set_log_func (DfJob *job, DfLogFunc func, gpointer user_data) {}

void
df_job_run_async (DfJob *job, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_return_new_error (task, DF_ERROR, DF_ERROR_NOT_SUPPORTED, "the flashing engine is not built yet");
}

gboolean
df_job_run_finish (DfJob *job, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gdouble
df_job_get_elapsed (DfJob *job)
{
  return 0;
}

DfDevice *
df_device_detach_and_wait (DfDevice *device, GCancellable *cancellable, GError **error)
{
  g_set_error_literal (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, "the flashing engine is not built yet");
  return NULL;
}
#endif

#ifdef DEFUSE_PENDING_MONITOR
#include "df-monitor.h"

struct _DfMonitor
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (DfMonitor, df_monitor, G_TYPE_OBJECT)

static void
df_monitor_class_init (DfMonitorClass *klass)
{
  g_signal_new ("device-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_POINTER);
  g_signal_new ("device-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
df_monitor_init (DfMonitor *self)
{
}

DfMonitor *
df_monitor_new (void)
{
  return g_object_new (DF_TYPE_MONITOR, NULL);
}

gboolean
df_monitor_start (DfMonitor *self, GError **error)
{
  return TRUE;
}

void
df_monitor_rescan (DfMonitor *self)
{
}
#endif
