/* test-gui-bench.c: bench mode in the window, under defuse-sim
 * (--count 1 --plug-later 1: no board at the start).  Armed for the open
 * file, it flashes the board plugged in through the real DfMonitor and
 * DfJob, shows its state on its row and its result in the panel, writes
 * the record, and a new window starts disarmed. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gui-test-util.h"
#include "defuse-config.h"
#include "defuse-window-private.h"

static gboolean
stack_shows_file (gpointer data)
{
  DefuseWindow *window = data;
  return g_strcmp0 (gtk_stack_get_visible_child_name (window->content_stack), "file") == 0;
}

static void
open_sample (DefuseWindow *window)
{
  g_autoptr(GFile) file = gui_test_sample_file ();

  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (stack_shows_file, window, 10000));
}

static gboolean
shows (gpointer data)
{
  gpointer *args = data;
  g_autofree gchar *visible = gui_test_visible_text (args[0]);
  return strstr (visible, args[1]) != NULL;
}

static void
assert_shows (gpointer widget, const gchar *text)
{
  gpointer args[] = { widget, (gpointer) text };
  g_autofree gchar *visible = NULL;

  if (shows (args))
    return;
  visible = gui_test_visible_text (widget);
  g_error ("“%s” is not shown; the window shows:\n%s", text, visible);
}

static gboolean
board_done (gpointer data)
{
  DfBench *bench = data;
  return df_bench_get_passed (bench) + df_bench_get_failed (bench) >= 1;
}

static gboolean
board_on_row_or_done (gpointer data)
{
  gpointer *args = data;
  return shows (args) || board_done (args[2]);
}

/* the one record: a JSON object with what the issue asks for */
static void
assert_log (const gchar *path)
{
  g_autofree gchar *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *row;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  lines = g_strsplit (g_strchomp (contents), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  node = json_from_string (lines[0], &error);
  g_assert_no_error (error);
  row = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (row, "result"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (row, "serial"), ==, "3276365C3235");
  g_assert_cmpstr (json_object_get_string_member (row, "path"), ==, "1-1");
  g_assert_cmpstr (json_object_get_string_member (row, "verify"), ==, "ok");
  g_assert_cmpint (json_object_get_int_member (row, "vid"), ==, 0x0483);
  g_assert_cmpuint (strlen (json_object_get_string_member (row, "sha256")), ==, 64);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (row, "file"), "micropython-like.dfu"));
}

static void
test_bench (void)
{
  DefuseWindow *window = gui_test_window (1100);
  g_autofree gchar *log = g_build_filename (g_get_tmp_dir (), "defuse-gui-bench.jsonl", NULL);
  gpointer on_row[] = { window->device_list, "Bench: ", NULL };
  DfBench *bench;

  g_unlink (log);
  open_sample (window);
  /* bench mode is a view of its own */
  adw_view_stack_set_visible_child_name (window->view_stack, "bench");
  gui_test_settle (GTK_WIDGET (window));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->bench_panel)));
  g_assert_false (defuse_bench_panel_is_armed (window->bench_panel));
  /* the log goes under Documents (or home) unless chosen */
  g_assert_nonnull (strstr (defuse_bench_panel_get_log (window->bench_panel), "Defuse Bench Logs"));
  defuse_bench_panel_set_log (window->bench_panel, log);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.bench-arm", NULL);
  g_assert_true (defuse_bench_panel_is_armed (window->bench_panel));
  bench = defuse_bench_panel_get_bench (window->bench_panel);
  g_assert_cmpstr (adw_view_switcher_title_get_subtitle (window->window_title), ==,
                   "Bench mode: each board plugged in is flashed");
  /* while armed, only the bench flashes */
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window->flash_panel),
                                                                                      DEFUSE_TYPE_FLASH_PANEL, "flash_button"))));
  assert_shows (window->bench_panel, "0 passed · 0 failed");
  gui_test_screenshot (GTK_WIDGET (window), "bench-armed");

  /* a board is plugged in: flashed at once, its row says so meanwhile */
  g_assert_cmpint (kill (getppid (), SIGUSR1), ==, 0);
  on_row[2] = bench;
  g_assert_true (gui_test_wait (board_on_row_or_done, on_row, 60000));
  g_assert_false (board_done (bench));
  gui_test_screenshot (GTK_WIDGET (window), "bench-flashing");
  g_assert_true (gui_test_wait (board_done, bench, 60000));
  g_assert_cmpuint (df_bench_get_passed (bench), ==, 1);
  gui_test_settle (GTK_WIDGET (window));
  assert_shows (window->bench_panel, "1 passed · 0 failed");
  assert_shows (window->bench_panel, "serial 3276365C3235 at 1-1");
  gui_test_screenshot (GTK_WIDGET (window), "bench-result");
  assert_log (log);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.bench-disarm", NULL);
  g_assert_false (defuse_bench_panel_is_armed (window->bench_panel));
  g_assert_cmpstr (adw_view_switcher_title_get_subtitle (window->window_title), !=,
                   "Bench mode: each board plugged in is flashed");
  gtk_window_destroy (GTK_WINDOW (window));

  /* the next start: nothing remembered, not armed */
  window = gui_test_window (1100);
  open_sample (window);
  g_assert_false (defuse_bench_panel_is_armed (window->bench_panel));
  adw_view_stack_set_visible_child_name (window->view_stack, "bench");
  gui_test_settle (GTK_WIDGET (window));
  assert_shows (window->bench_panel, "Flash each board as it is plugged in");
  gui_test_screenshot (GTK_WIDGET (window), "bench-idle");
  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (log);
}

int
main (int argc, char *argv[])
{
  g_unsetenv ("DEFUSE_NO_MONITOR");
  gui_test_init (&argc, &argv);
  /* a USB request made from this thread fails the test (df-transport.c) */
  g_assert_nonnull (g_getenv ("DEFUSE_ASSERT_WORKER_THREAD"));
  g_assert_true (g_main_context_acquire (NULL));
  g_test_add_func ("/gui/bench", test_bench);
  return g_test_run ();
}
