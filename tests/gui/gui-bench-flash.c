/* gui-bench-flash.c: the longest main-loop stall while the window flashes
 * a file (run under defuse-sim by tests/gui/gui-bench).  A 1 ms timer
 * measures how late the main loop dispatches it, and the main thread's
 * own CPU time in the gap tells its work from its waiting for a CPU (the
 * virtual device runner shares the machine).  Prints one JSON object. */
#define _GNU_SOURCE  /* RUSAGE_THREAD */
#include <sys/resource.h>

#include "gui-test-util.h"
#include "defuse-window-private.h"

/* CPU time of the calling thread: a stall with little of it is the
 * thread waiting (preempted, a lock), with much of it the thread working */
static gint64
thread_cpu_us (void)
{
  struct rusage usage;
  getrusage (RUSAGE_THREAD, &usage);
  return (gint64) usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
         (gint64) usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;
}

typedef struct {
  gint64 last_cpu;
  gint64 last_timer;
  gint64 worst_timer_gap;
  gint64 worst_busy;       /* main thread CPU in the gap */
  guint  long_gaps;        /* gaps over 16 ms */
  guint  progress_updates;
  DefuseFlashTask *task;
} Stalls;

static gboolean
on_timer (gpointer data)
{
  Stalls *stalls = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();

  if (stalls->last_timer > 0)
    {
      stalls->worst_timer_gap = MAX (stalls->worst_timer_gap, now - stalls->last_timer);
      stalls->worst_busy = MAX (stalls->worst_busy, cpu - stalls->last_cpu);
      stalls->long_gaps += now - stalls->last_timer > 17000;
    }
  /* where the long ones happen, for whoever hunts them */
  if (stalls->last_timer > 0 && now - stalls->last_timer > 16000 && stalls->task != NULL)
    {
      const DfProgress *p = defuse_flash_task_get_progress (stalls->task);
      g_printerr ("stall of %.1f ms (main thread busy %.1f ms) at %.2f s (%s, %.0f %%)\n",
                  (now - stalls->last_timer) / 1000.0, (cpu - stalls->last_cpu) / 1000.0,
                  p->elapsed, df_phase_to_string (p->phase), p->fraction * 100);
    }
  stalls->last_cpu = cpu;
  stalls->last_timer = now;
  return G_SOURCE_CONTINUE;
}

static void
on_progress (DefuseFlashTask *task, Stalls *stalls)
{
  stalls->progress_updates++;
}

static gboolean
devices_found (gpointer data)
{
  return g_hash_table_size (((DefuseWindow *) data)->rows) > 0;
}

static gboolean
file_shown (gpointer data)
{
  return ((DefuseWindow *) data)->plan != NULL;
}

static gboolean
finished (gpointer data)
{
  return defuse_flash_task_get_state (data) != DEFUSE_FLASH_RUNNING;
}

int
main (int argc, char *argv[])
{
  DefuseWindow *window;
  g_autoptr(GFile) file = NULL;
  DefuseFlashTask *task;
  Stalls stalls = { 0 };
  guint timer;

  gui_test_init (&argc, &argv);
  if (argc != 2)
    g_error ("usage: gui-bench-flash FILE.dfu");
  file = g_file_new_for_commandline_arg (argv[1]);
  window = defuse_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gui_test_wait (devices_found, window, 30000));
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (file_shown, window, 30000));
  gui_test_settle (GTK_WIDGET (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  task = defuse_flash_panel_get_task (window->flash_panel);
  g_assert_nonnull (task);
  g_signal_connect (task, "progress", G_CALLBACK (on_progress), &stalls);
  stalls.task = task;
  timer = g_timeout_add (1, on_timer, &stalls);
  g_assert_true (gui_test_wait (finished, task, 600000));
  g_source_remove (timer);

  g_print ("{\"result\": \"%s\", \"seconds\": %.2f, \"bytes\": %" G_GUINT64_FORMAT ", "
           "\"longest_main_loop_stall_ms\": %.1f, \"most_main_thread_work_in_a_gap_ms\": %.1f, "
           "\"gaps_over_16ms\": %u, \"progress_updates\": %u}\n",
           defuse_flash_task_get_state (task) == DEFUSE_FLASH_SUCCEEDED ? "ok" : "failed",
           defuse_flash_task_get_elapsed (task), (guint64) df_image_total_size (window->image),
           MAX (stalls.worst_timer_gap - 1000, 0) / 1000.0, stalls.worst_busy / 1000.0,
           stalls.long_gaps, stalls.progress_updates);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
