/* df-bench.c: a bench run: watch the bus, flash each matching board once
 * as it arrives, each on a worker thread of its own (see df-bench.h). */
#include <glib/gi18n.h>

#include "df-bench.h"
#include "df-error.h"
#include "df-monitor.h"

/* A board that re-appears on its port this soon after leaving the bus at
 * the end of its own flash is the same board coming back (the STM32 ROM
 * re-enumerates within ~300 ms; parts that check for empty flash come
 * back in DFU mode), not the next board of the tray: nobody swaps a board
 * that fast. */
#define RETURN_WINDOW_US (5 * G_USEC_PER_SEC)

struct _DfBench {
  GObject        parent_instance;
  DfImage       *image;
  gchar         *file;
  gchar         *sha256;
  DfPlanOptions  options;
  gboolean       force;
  gboolean       repeat;
  GStrv          selectors;
  guint          count;
  DfBenchRecord *record;
  DfMonitor     *monitor;
  GCancellable  *cancellable;
  GMainContext  *context;
  GMutex         lock;       /* DfBoard.pending and .queued */
  GPtrArray     *boards;     /* of DfBoard, in start order */
  GHashTable    *ports;      /* port path -> the last DfBoard flashed there */
  guint          started;
  guint          running;
  guint          passed;
  guint          failed;
  gboolean       watching;
  gboolean       stopping;   /* takes no more boards */
  gboolean       finished;
};

enum {
  SIGNAL_BOARD_STARTED,
  SIGNAL_BOARD_PROGRESS,
  SIGNAL_BOARD_FINISHED,
  SIGNAL_BOARD_SKIPPED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (DfBench, df_bench, G_TYPE_OBJECT)

const gchar *
df_verify_outcome_to_string (DfVerifyOutcome outcome)
{
  static const gchar *const names[] = {
    [DF_VERIFY_OK] = "ok",
    [DF_VERIFY_FAILED] = "failed",
    [DF_VERIFY_SKIPPED] = "skipped",
    [DF_VERIFY_UNAVAILABLE] = "unavailable",
    [DF_VERIFY_NOT_REACHED] = "not-reached",
  };
  return names[outcome];
}

DfBoard *
df_board_ref (DfBoard *board)
{
  g_atomic_int_inc (&board->ref_count);
  return board;
}

void
df_board_unref (DfBoard *board)
{
  if (!g_atomic_int_dec_and_test (&board->ref_count))
    return;
  df_device_unref (board->device);
  g_date_time_unref (board->started);
  g_clear_error (&board->error);
  g_clear_error (&board->record_error);
  g_clear_pointer (&board->job, df_job_unref);
  g_free (board);
}

gchar *
df_board_describe (DfBoard *board)
{
  if (board->device->serial == NULL)
    /* TRANSLATORS: a board of a bench run: its USB port path */
    return g_strdup_printf (_("board at %s"), board->device->path);
  /* TRANSLATORS: a board of a bench run: serial number and USB port path */
  return g_strdup_printf (_("serial %s at %s"), board->device->serial, board->device->path);
}

/* --- on a board's worker thread ---------------------------------------- */

typedef struct {
  DfBench *self;
  DfBoard *board;
} BoardRef;

static BoardRef *
board_ref_new (DfBench *self, DfBoard *board)
{
  BoardRef *ref = g_new0 (BoardRef, 1);
  ref->self = g_object_ref (self);
  ref->board = df_board_ref (board);
  return ref;
}

static void
board_ref_free (gpointer data)
{
  BoardRef *ref = data;
  g_object_unref (ref->self);
  df_board_unref (ref->board);
  g_free (ref);
}

static gboolean
emit_progress (gpointer data)
{
  BoardRef *ref = data;

  g_mutex_lock (&ref->self->lock);
  ref->board->progress = ref->board->pending;
  ref->board->queued = FALSE;
  g_mutex_unlock (&ref->self->lock);
  if (ref->board->state == DF_BOARD_FLASHING)
    g_signal_emit (ref->self, signals[SIGNAL_BOARD_PROGRESS], 0, ref->board);
  return G_SOURCE_REMOVE;
}

/* called on the job's thread: keeps the latest, at most one update queued
 * per board, so a fast job cannot flood the main loop */
static void
on_job_progress (const DfProgress *progress, gpointer user_data)
{
  DfBench *self = g_task_get_source_object (user_data);
  DfBoard *board = g_task_get_task_data (user_data);
  gboolean queue;

  board->phase = MAX (board->phase, progress->phase);
  g_mutex_lock (&self->lock);
  board->pending = *progress;
  queue = !board->queued;
  board->queued = TRUE;
  g_mutex_unlock (&self->lock);
  if (queue)
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_progress,
                                board_ref_new (self, board), board_ref_free);
}

static DfVerifyOutcome
verify_outcome (DfBench *self, DfBoard *board)
{
  if (!self->options.verify)
    return DF_VERIFY_SKIPPED;
  if (g_error_matches (board->error, DF_ERROR, DF_ERROR_VERIFY))
    return DF_VERIFY_FAILED;
  if (board->error != NULL)
    return DF_VERIFY_NOT_REACHED;
  return board->phase >= DF_PHASE_VERIFY ? DF_VERIFY_OK : DF_VERIFY_UNAVAILABLE;
}

/* Flashes the board and writes its record, both here: fsync() can take a
 * while and the window must not wait for it.  The main thread reads the
 * results only after "board-finished". */
static void
flash_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DfBench *self = source;
  DfBoard *board = task_data;
  gint64 start = g_get_monotonic_time ();
  DfPlan *plan;

  df_job_set_progress_func (board->job, on_job_progress, task);
  df_job_run (board->job, cancellable, &board->error);
  board->seconds = (g_get_monotonic_time () - start) / 1e6;
  plan = df_job_get_plan (board->job);
  board->bytes = board->error == NULL && plan != NULL ? plan->write_bytes : 0;
  board->verify = verify_outcome (self, board);
  if (self->record != NULL)
    df_bench_record_append (self->record, board, self->file, self->sha256, &board->record_error);
  g_task_return_boolean (task, TRUE);
}

/* --- on the main thread -------------------------------------------------- */

static void
finish_if_idle (DfBench *self)
{
  if (!self->stopping || self->running > 0 || self->finished)
    return;
  self->finished = TRUE;
  /* nothing more to watch: the monitor's thread ends here */
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static void
on_flashed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DfBench *self = DF_BENCH (source);
  DfBoard *board = g_task_get_task_data (G_TASK (result));

  g_task_propagate_boolean (G_TASK (result), NULL);
  board->state = board->error == NULL ? DF_BOARD_OK : DF_BOARD_FAILED;
  board->finished_us = g_get_monotonic_time ();
  if (board->error == NULL)
    self->passed++;
  else
    self->failed++;
  self->running--;
  g_signal_emit (self, signals[SIGNAL_BOARD_FINISHED], 0, board);
  finish_if_idle (self);
}

static void
start_board (DfBench *self, DfDevice *device)
{
  DfBoard *board = g_new0 (DfBoard, 1);
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_flashed, NULL);

  board->ref_count = 1;
  board->number = ++self->started;
  board->device = df_device_ref (device);
  board->state = DF_BOARD_FLASHING;
  board->started = g_date_time_new_now_local ();
  board->job = df_job_new (device, self->image, &self->options);
  df_job_set_force (board->job, self->force);
  g_ptr_array_add (self->boards, board);
  g_hash_table_replace (self->ports, g_strdup (device->path), df_board_ref (board));
  self->running++;
  if (self->count > 0 && self->started >= self->count)
    self->stopping = TRUE;  /* the last one: take no more */

  g_signal_emit (self, signals[SIGNAL_BOARD_STARTED], 0, board);
  g_task_set_source_tag (task, start_board);
  g_task_set_task_data (task, df_board_ref (board), (GDestroyNotify) df_board_unref);
  /* the job checks the cancellable itself and returns the device to dfuIDLE */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, flash_in_thread);
}

static gboolean
matches (DfBench *self, DfDevice *device)
{
  guint16 vid = self->image->suffix.vid, pid = self->image->suffix.pid;

  if (self->selectors != NULL && self->selectors[0] != NULL)
    {
      for (guint i = 0; self->selectors[i] != NULL; i++)
        if (df_device_matches (device, self->selectors[i]))
          return TRUE;
      return FALSE;
    }
  /* a PID of 0 (ST's DfuFileMgr) or 0xFFFF means any product of the vendor */
  return device->vid == vid && (pid == 0 || pid == DF_ID_ANY || device->pid == pid);
}

/* on its port soon after its leave: the same board, whatever its serial
 * says (a board listed while it leaves may have no readable strings) */
static gboolean
came_back_after_leave (DfBoard *last, gint64 now)
{
  return last->state == DF_BOARD_OK && !last->unplugged && last->left_us != 0 &&
         now - last->left_us < RETURN_WINDOW_US;
}

static void
skip (DfBench *self, DfDevice *device, const gchar *reason)
{
  g_signal_emit (self, signals[SIGNAL_BOARD_SKIPPED], 0, device, reason);
}

static void
on_device_added (DfMonitor *monitor, DfDevice *device, DfBench *self)
{
  DfBoard *last = g_hash_table_lookup (self->ports, device->path);
  gint64 now = g_get_monotonic_time ();

  if (self->stopping || !matches (self, device))
    return;
  /* a board re-enumerating under its own job (switching to DFU mode) */
  if (last != NULL && last->state == DF_BOARD_FLASHING)
    return;
  if (last != NULL && came_back_after_leave (last, now))
    {
      skip (self, device, _("came back in DFU mode after its flash: not flashed again "
                            "(some parts stay in the bootloader until power-cycled)"));
      return;
    }
  if (last != NULL && last->state == DF_BOARD_OK && !self->repeat &&
      g_strcmp0 (last->device->serial, device->serial) == 0)
    {
      skip (self, device, _("already flashed in this run: not flashed again "
                            "(allow repeats to flash a board again after replugging it)"));
      return;
    }
  start_board (self, device);
}

/* the leave of a board just flashed, or a board unplugged */
static void
on_device_removed (DfMonitor *monitor, DfDevice *device, DfBench *self)
{
  DfBoard *last = g_hash_table_lookup (self->ports, device->path);
  gint64 now = g_get_monotonic_time ();

  if (last == NULL || g_strcmp0 (last->device->serial, device->serial) != 0)
    return;
  /* the leave is the job's last step: its removal often comes first */
  if (last->state == DF_BOARD_FLASHING ||
      (last->state == DF_BOARD_OK && self->options.leave && last->left_us == 0 &&
       now - last->finished_us < RETURN_WINDOW_US))
    last->left_us = now;
  else
    last->unplugged = TRUE;
}

DfBench *
df_bench_new (DfImage *image, const gchar *file, const DfPlanOptions *options, GError **error)
{
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  DfBench *self;

  if (!g_file_get_contents (file, &contents, &length, error))
    return NULL;
  self = g_object_new (DF_TYPE_BENCH, NULL);
  self->image = df_image_ref (image);
  self->file = g_strdup (file);
  self->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  self->options = *options;
  return self;
}

void
df_bench_set_selectors (DfBench *self, const gchar *const *selectors)
{
  g_strfreev (self->selectors);
  self->selectors = g_strdupv ((gchar **) selectors);
}

void
df_bench_set_count (DfBench *self, guint count)
{
  self->count = count;
}

void
df_bench_set_repeat (DfBench *self, gboolean repeat)
{
  self->repeat = repeat;
}

void
df_bench_set_force (DfBench *self, gboolean force)
{
  self->force = force;
}

gboolean
df_bench_set_log (DfBench *self, const gchar *path, GError **error)
{
  DfBenchRecord *record = df_bench_record_open (path, error);

  if (record == NULL)
    return FALSE;
  g_clear_pointer (&self->record, df_bench_record_close);
  self->record = record;
  return TRUE;
}

const gchar *
df_bench_get_log (DfBench *self)
{
  return self->record != NULL ? df_bench_record_get_path (self->record) : NULL;
}

const gchar *
df_bench_get_sha256 (DfBench *self)
{
  return self->sha256;
}

gboolean
df_bench_start (DfBench *self, GError **error)
{
  guint16 vid = self->image->suffix.vid;

  g_return_val_if_fail (!self->watching, FALSE);
  if ((self->selectors == NULL || self->selectors[0] == NULL) &&
      (!self->image->has_suffix || vid == 0 || vid == DF_ID_ANY))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("the file names no USB vendor and product id, so any DFU device plugged in would be "
                     "flashed; say which boards to flash (VID:PID, e.g. 0483:df11)"));
      return FALSE;
    }
  self->monitor = df_monitor_new ();
  g_signal_connect (self->monitor, "device-added", G_CALLBACK (on_device_added), self);
  g_signal_connect (self->monitor, "device-removed", G_CALLBACK (on_device_removed), self);
  if (!df_monitor_start (self->monitor, error))
    {
      g_clear_object (&self->monitor);
      return FALSE;
    }
  self->watching = TRUE;
  return TRUE;
}

void
df_bench_stop (DfBench *self, gboolean cancel)
{
  self->stopping = TRUE;
  if (cancel)
    g_cancellable_cancel (self->cancellable);
  if (self->watching)
    finish_if_idle (self);
}

gboolean
df_bench_is_running (DfBench *self)
{
  return self->watching && !self->finished;
}

GPtrArray *
df_bench_get_boards (DfBench *self)
{
  return self->boards;
}

guint
df_bench_get_passed (DfBench *self)
{
  return self->passed;
}

guint
df_bench_get_failed (DfBench *self)
{
  return self->failed;
}

guint
df_bench_get_running (DfBench *self)
{
  return self->running;
}

static void
df_bench_dispose (GObject *object)
{
  DfBench *self = DF_BENCH (object);

  /* boards still running hold a reference: this runs after they finish */
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  G_OBJECT_CLASS (df_bench_parent_class)->dispose (object);
}

static void
df_bench_finalize (GObject *object)
{
  DfBench *self = DF_BENCH (object);

  df_image_unref (self->image);
  g_free (self->file);
  g_free (self->sha256);
  g_strfreev (self->selectors);
  g_clear_pointer (&self->record, df_bench_record_close);
  g_object_unref (self->cancellable);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_ptr_array_unref (self->boards);
  g_hash_table_unref (self->ports);
  G_OBJECT_CLASS (df_bench_parent_class)->finalize (object);
}

static void
df_bench_class_init (DfBenchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = df_bench_dispose;
  object_class->finalize = df_bench_finalize;

  /* DfBoard and DfDevice are plain structs, passed as pointers */
  signals[SIGNAL_BOARD_STARTED] =
    g_signal_new ("board-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_BOARD_PROGRESS] =
    g_signal_new ("board-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_BOARD_FINISHED] =
    g_signal_new ("board-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* a matching device left alone: DfDevice, and why (translated) */
  signals[SIGNAL_BOARD_SKIPPED] =
    g_signal_new ("board-skipped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_STRING);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
df_bench_init (DfBench *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->boards = g_ptr_array_new_with_free_func ((GDestroyNotify) df_board_unref);
  self->ports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) df_board_unref);
}
