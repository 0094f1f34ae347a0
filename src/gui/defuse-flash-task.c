/* defuse-flash-task.c: a DfJob on a worker thread, seen from the main loop.
 *
 * The job calls its progress and log functions on the worker thread.  They
 * write into a small shared relay (under a mutex) and queue at most one
 * dispatch at a time in the main context that created the task, at most
 * every RATE_LIMIT_US unless the phase changes: a 1 MiB flash makes
 * hundreds of progress calls, the window redraws about 30 times a second.
 * The relay holds only a weak reference to the task, so nothing arrives
 * once the window (which owns the task) is gone.  The application is held
 * while the worker runs, so quitting waits for a cancelled job to leave
 * the device in a known state. */
#include "defuse-config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "df-error.h"
#include "defuse-failure.h"
#include "defuse-flash-task.h"
#include "defuse-flash-words.h"
#include "defuse-inspector.h"
#include "df-micropython.h"

#define RATE_LIMIT_US (33 * 1000)

typedef struct {
  gatomicrefcount ref;
  GMutex          lock;
  GWeakRef        task;
  GMainContext   *context;
  DfJob          *job;
  GApplication   *app;        /* held while the worker runs */
  /* under lock */
  DfProgress      latest;
  gboolean        have_latest;
  GArray         *passed;     /* of DfProgress: the last of each phase not yet dispatched */
  GPtrArray      *lines;      /* log lines not yet dispatched */
  gboolean        pending;    /* a dispatch is queued */
  gint64          last_dispatch;
  DfPhase         last_phase;
  gint            logged_phase; /* the transcript has a line per phase */
} Relay;

struct _DefuseFlashTask
{
  GObject           parent_instance;

  DfDevice         *device;
  DfImage          *image;
  DfPlanOptions     options;
  gboolean          force;
  gchar            *backup_path;
  gchar            *device_id;
  GCancellable     *cancellable;
  Relay            *relay;

  DefuseFlashState  state;
  DfProgress        progress;
  GError           *error;
  GString          *log;
  gdouble           elapsed;
  guint64           transfers;    /* USB requests the job sent */
  gchar            *now_running;  /* a MicroPython board after the flash: what it runs */
  gboolean          not_started;  /* written, but it went before the start command */
  gboolean          verified;     /* read back and compared, all of it */
  gchar            *not_verified; /* why verify could not run although asked */
};

G_DEFINE_FINAL_TYPE (DefuseFlashTask, defuse_flash_task, G_TYPE_OBJECT)

enum { SIGNAL_PROGRESS, SIGNAL_LOG, SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static Relay *
relay_ref (Relay *relay)
{
  g_atomic_ref_count_inc (&relay->ref);
  return relay;
}

static void
relay_unref (gpointer data)
{
  Relay *relay = data;

  if (!g_atomic_ref_count_dec (&relay->ref))
    return;
  g_weak_ref_clear (&relay->task);
  g_main_context_unref (relay->context);
  g_clear_pointer (&relay->job, df_job_unref);
  g_clear_object (&relay->app);
  g_ptr_array_unref (relay->lines);
  g_array_unref (relay->passed);
  g_mutex_clear (&relay->lock);
  g_free (relay);
}

/* main thread: deliver what the worker left in the relay */
static gboolean
relay_dispatch (gpointer data)
{
  Relay *relay = data;
  g_autoptr(DefuseFlashTask) self = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GArray) passed = NULL;
  DfProgress progress;
  gboolean have_progress;

  g_mutex_lock (&relay->lock);
  progress = relay->latest;
  have_progress = relay->have_latest;
  relay->have_latest = FALSE;
  passed = g_steal_pointer (&relay->passed);
  relay->passed = g_array_new (FALSE, FALSE, sizeof (DfProgress));
  lines = g_steal_pointer (&relay->lines);
  relay->lines = g_ptr_array_new_with_free_func (g_free);
  relay->pending = FALSE;
  relay->last_dispatch = g_get_monotonic_time ();
  g_mutex_unlock (&relay->lock);

  self = g_weak_ref_get (&relay->task);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  for (guint i = 0; i < lines->len; i++)
    {
      const gchar *line = g_ptr_array_index (lines, i);
      g_string_append (self->log, line);
      g_string_append_c (self->log, '\n');
      g_signal_emit (self, signals[SIGNAL_LOG], 0, line);
    }
  /* a phase that came and went between two dispatches is shown too */
  for (guint i = 0; i < passed->len && self->state == DEFUSE_FLASH_RUNNING; i++)
    {
      self->progress = g_array_index (passed, DfProgress, i);
      g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
    }
  if (have_progress && self->state == DEFUSE_FLASH_RUNNING)
    {
      self->progress = progress;
      g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
    }
  return G_SOURCE_REMOVE;
}

/* any thread: queue a dispatch unless one is queued; lock held */
static gboolean
relay_should_schedule (Relay *relay, gboolean urgent)
{
  if (relay->pending)
    return FALSE;
  if (!urgent && g_get_monotonic_time () - relay->last_dispatch < RATE_LIMIT_US)
    return FALSE;
  relay->pending = TRUE;
  return TRUE;
}

static void
relay_schedule (Relay *relay)
{
  g_main_context_invoke_full (relay->context, G_PRIORITY_DEFAULT, relay_dispatch,
                              relay_ref (relay), relay_unref);
}

/* the switch to DFU mode and the leave count one step, not bytes */
static gboolean
moves_bytes (DfPhase phase)
{
  return phase != DF_PHASE_DETACH && phase != DF_PHASE_LEAVE && phase != DF_PHASE_DONE;
}

/* worker thread */
static void
relay_progress (const DfProgress *progress, gpointer data)
{
  Relay *relay = data;
  gboolean schedule;

  g_mutex_lock (&relay->lock);
  /* a new phase before the last one was dispatched: the last one's end is
   * kept, so that a short phase (the leave) is never skipped */
  if (relay->have_latest && relay->latest.phase != progress->phase)
    g_array_append_val (relay->passed, relay->latest);
  relay->latest = *progress;
  relay->have_latest = TRUE;
  if ((gint) progress->phase != relay->logged_phase && progress->phase != DF_PHASE_DONE)
    {
      g_autofree gchar *size = g_format_size_full (progress->total, G_FORMAT_SIZE_IEC_UNITS);
      relay->logged_phase = progress->phase;
      /* TRANSLATORS: a line of the flash log: seconds since the start, phase, bytes */
      g_ptr_array_add (relay->lines, progress->total > 0 && moves_bytes (progress->phase)
                           ? g_strdup_printf (_("[%6.2f s] %s %s"), progress->elapsed,
                                              df_phase_describe (progress->phase), size)
                           : g_strdup_printf (_("[%6.2f s] %s"), progress->elapsed,
                                              df_phase_describe (progress->phase)));
    }
  schedule = relay_should_schedule (relay, progress->phase != relay->last_phase);
  relay->last_phase = progress->phase;
  g_mutex_unlock (&relay->lock);
  if (schedule)
    relay_schedule (relay);
}

/* worker thread; log lines are rare and wanted promptly */
static void
relay_log (const gchar *line, gpointer data)
{
  Relay *relay = data;
  gboolean schedule;

  g_mutex_lock (&relay->lock);
  g_ptr_array_add (relay->lines, g_strdup (line));
  schedule = relay_should_schedule (relay, TRUE);
  g_mutex_unlock (&relay->lock);
  if (schedule)
    relay_schedule (relay);
}

/* "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG", or why
 * the board was not seen back; NULL for other devices */
static gchar *
describe_now_running (DfJob *job)
{
  const GError *error = NULL;
  DfMicroPython *board = df_job_get_now_running (job, &error);
  g_autofree gchar *runs = NULL;

  if (board == NULL)
    return error != NULL ? g_strdup (error->message) : NULL;
  runs = df_micropython_describe (board);
  /* TRANSLATORS: "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG" */
  return g_strdup_printf (_("Now running %s"), runs);
}

/* main thread, when the worker is done */
static void
job_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Relay *relay = data;
  g_autoptr(DefuseFlashTask) self = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = df_job_run_finish (relay->job, result, &error);
  defuse_failure_trace_end ();
  relay_dispatch (relay);  /* the last log lines before the result */
  if (relay->app != NULL)
    g_application_release (relay->app);

  self = g_weak_ref_get (&relay->task);
  if (self != NULL)
    {
      g_autofree gchar *line = NULL;

      self->elapsed = df_job_get_elapsed (relay->job);
      self->transfers = df_job_get_transfers (relay->job);
      /* flashed, but gone before the start command: said in the hint */
      self->not_started = ok && df_job_get_gone_before_start (relay->job);
      if (ok)
        {
          DfPlan *plan = df_job_get_plan (relay->job);

          /* the plan carried out: on a board switched to DFU mode, the
           * one made on its bootloader */
          self->verified = plan != NULL && plan->options.verify;
          self->not_verified = plan != NULL ? g_strdup (plan->not_verified) : NULL;
          self->state = DEFUSE_FLASH_SUCCEEDED;
          self->progress.phase = DF_PHASE_DONE;
          self->progress.fraction = 1.0;
          /* TRANSLATORS: last line of the flash log: seconds, USB requests */
          line = g_strdup_printf (_("[%6.2f s] Done, in %" PRIu64 " USB requests"),
                                  self->elapsed, df_job_get_transfers (relay->job));
          self->now_running = describe_now_running (relay->job);
        }
      else
        {
          self->state = defuse_flash_words_is_cancel (error) ? DEFUSE_FLASH_CANCELLED : DEFUSE_FLASH_FAILED;
          line = g_strdup_printf ("[%6.2f s] %s", self->elapsed, error->message);
          self->error = g_steal_pointer (&error);
        }
      g_string_append_printf (self->log, "%s\n", line);
      g_signal_emit (self, signals[SIGNAL_LOG], 0, line);
      g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
    }
  relay_unref (relay);
}

void
defuse_flash_task_start (DefuseFlashTask *self)
{
  Relay *relay = self->relay;
  g_autofree gchar *what = df_device_describe (self->device);

  g_return_if_fail (relay->job == NULL);

  relay->job = df_job_new (self->device, self->image, &self->options);
  df_job_set_force (relay->job, self->force);
  if (self->backup_path != NULL)
    df_job_set_backup (relay->job, self->backup_path);
  df_job_set_progress_func (relay->job, relay_progress, relay);
  df_job_set_log_func (relay->job, relay_log, relay);

  /* TRANSLATORS: first line of the flash log: file, then device */
  g_string_append_printf (self->log, _("Flashing %s to %s"), self->image->source, what);
  g_string_append_c (self->log, '\n');
  {
    /* what the plan says will happen (df_plan_new needs no USB) */
    g_autoptr(DfPlan) plan = df_plan_new (self->image, self->device, &self->options);
    g_autofree gchar *description = df_plan_describe (plan);
    g_string_append (self->log, description);
  }

  relay->app = g_application_get_default ();
  if (relay->app != NULL)
    {
      g_object_ref (relay->app);
      g_application_hold (relay->app);
    }
  defuse_failure_trace_begin ();  /* for "Save USB Trace" */
  df_job_run_async (relay->job, self->cancellable, job_done, relay_ref (relay));
}

void
defuse_flash_task_cancel (DefuseFlashTask *self)
{
  g_cancellable_cancel (self->cancellable);
}

GCancellable *
defuse_flash_task_get_cancellable (DefuseFlashTask *self)
{
  return self->cancellable;
}

static void
defuse_flash_task_dispose (GObject *object)
{
  DefuseFlashTask *self = DEFUSE_FLASH_TASK (object);

  /* nobody is left to see it: stop the device at the next request */
  if (self->state == DEFUSE_FLASH_RUNNING && self->relay->job != NULL)
    g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (defuse_flash_task_parent_class)->dispose (object);
}

static void
defuse_flash_task_finalize (GObject *object)
{
  DefuseFlashTask *self = DEFUSE_FLASH_TASK (object);

  g_clear_pointer (&self->relay, relay_unref);
  g_clear_pointer (&self->device, df_device_unref);
  g_clear_pointer (&self->image, df_image_unref);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_free (self->backup_path);
  g_free (self->device_id);
  g_string_free (self->log, TRUE);
  g_free (self->now_running);
  g_free (self->not_verified);
  G_OBJECT_CLASS (defuse_flash_task_parent_class)->finalize (object);
}

static void
defuse_flash_task_class_init (DefuseFlashTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = defuse_flash_task_dispose;
  object_class->finalize = defuse_flash_task_finalize;

  /* new progress: read it with defuse_flash_task_get_progress() */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOG] = g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
defuse_flash_task_init (DefuseFlashTask *self)
{
  self->cancellable = g_cancellable_new ();
  self->log = g_string_new (NULL);
  self->progress.eta = -1;
}

DefuseFlashTask *
defuse_flash_task_new (DfDevice *device, DfImage *image, const DfPlanOptions *options,
                       gboolean force, const gchar *backup_path)
{
  DefuseFlashTask *self = g_object_new (DEFUSE_TYPE_FLASH_TASK, NULL);
  Relay *relay = g_new0 (Relay, 1);

  self->device = df_device_ref (device);
  self->image = df_image_ref (image);
  self->options = *options;
  self->force = force;
  self->backup_path = g_strdup (backup_path);
  self->device_id = df_device_get_id (device);

  g_atomic_ref_count_init (&relay->ref);
  g_mutex_init (&relay->lock);
  g_weak_ref_init (&relay->task, self);
  relay->context = g_main_context_ref_thread_default ();
  relay->lines = g_ptr_array_new_with_free_func (g_free);
  relay->passed = g_array_new (FALSE, FALSE, sizeof (DfProgress));
  relay->last_phase = DF_PHASE_DONE;
  relay->logged_phase = -1;
  self->relay = relay;
  return self;
}

DfDevice *
defuse_flash_task_get_device (DefuseFlashTask *self)
{
  return self->device;
}

DfImage *
defuse_flash_task_get_image (DefuseFlashTask *self)
{
  return self->image;
}

const gchar *
defuse_flash_task_get_device_id (DefuseFlashTask *self)
{
  return self->device_id;
}

DefuseFlashState
defuse_flash_task_get_state (DefuseFlashTask *self)
{
  return self->state;
}

const DfProgress *
defuse_flash_task_get_progress (DefuseFlashTask *self)
{
  return &self->progress;
}

const GError *
defuse_flash_task_get_error (DefuseFlashTask *self)
{
  return self->error;
}

const gchar *
defuse_flash_task_get_log (DefuseFlashTask *self)
{
  return self->log->str;
}

const gchar *
defuse_flash_task_get_backup_path (DefuseFlashTask *self)
{
  return self->backup_path;
}

const gchar *
defuse_flash_task_get_now_running (DefuseFlashTask *self)
{
  return self->now_running;
}

gdouble
defuse_flash_task_get_elapsed (DefuseFlashTask *self)
{
  return self->elapsed;
}

gboolean
defuse_flash_task_get_verified (DefuseFlashTask *self)
{
  return self->verified;
}

const gchar *
defuse_flash_task_get_not_verified (DefuseFlashTask *self)
{
  return self->not_verified;
}

gboolean
defuse_flash_task_get_leave (DefuseFlashTask *self)
{
  return self->options.leave;
}

gboolean
defuse_flash_task_get_not_started (DefuseFlashTask *self)
{
  return self->not_started;
}

gboolean
defuse_flash_task_is_refused (DefuseFlashTask *self)
{
  return g_error_matches (self->error, DF_ERROR, DF_ERROR_IN_USE) && self->transfers == 0;
}

gchar *
defuse_flash_task_describe_error (DefuseFlashTask *self)
{
  g_autofree gchar *options = NULL, *words = NULL;

  if (self->error == NULL)
    return NULL;
  /* the engine's message names libusb's claim; the window says it plainly */
  if (defuse_flash_task_is_refused (self))
    return g_strdup (_("Another program is using this device: another Defuse window, defuse-cli, dfu-util "
                       "or another flasher."));
  options = defuse_flash_words_without_cli_options (self->error->message);
  words = defuse_flash_words_without_jargon (options);
  return defuse_sentence (words);
}

const gchar *
defuse_flash_task_get_hint (DefuseFlashTask *self)
{
  if (self->not_started)
    return self->options.verify
             ? _("The firmware is written and verified, but the device went away before it was told to start "
                 "it: unplug the board and plug it in again to start it.")
             : _("The firmware is written, but the device went away before it was told to start it: unplug "
                 "the board and plug it in again to start it.");
  if (self->error == NULL)
    return NULL;
  if (defuse_flash_task_is_refused (self))
    return _("Nothing was sent to it. Wait until the other program is done with it, then flash again.");
  /* a board flashed from its application: the window switches it again */
  if (self->state == DEFUSE_FLASH_FAILED && df_device_is_application (self->device) &&
      self->progress.phase == DF_PHASE_DETACH)
    return _("Plug the board in again. Once it is listed, flash again: Defuse switches it to DFU mode itself.");
  return defuse_flash_words_error_hint (self->error);
}
