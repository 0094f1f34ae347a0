/* test-gui-in-use.c: two programs, one board.  defuse-cli runs beside the
 * window under the same defuse-sim runner (so both see the same virtual
 * board through the real libusb), started by the test at the moment it
 * chooses: whoever comes second is told the board is in use, in one
 * message, and the flash already running goes on to its verified end. */
#include <string.h>

#include <glib/gstdio.h>

#include "df-error.h"
#include "df-trace.h"
#include "gui-sim-util.h"

#define CLI_EXIT_DEVICE 6  /* README's exit status: device error */

static gboolean
writing (gpointer data)
{
  const DfProgress *progress = defuse_flash_task_get_progress (data);
  return progress->phase == DF_PHASE_WRITE || gui_sim_task_finished (data);
}

/* DFU (class) requests in the window's USB trace: its pcapng records
 * (df-trace.c) are usbmon packets, the setup packet at byte 40 of each;
 * the trace starts with the device's descriptors, standard requests */
static guint
class_requests_traced (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("defuse-trace-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "trace.pcapng", NULL);
  g_autofree guint8 *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = 0, at = 0;
  guint count = 0;

  g_assert_true (df_trace_save (df_trace_get_default (), path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, (gchar **) &data, &size, NULL));
  while (at + 12 <= size)
    {
      guint32 type, length;
      const guint8 *packet = data + at + 28;  /* an Enhanced Packet Block's packet */

      memcpy (&type, data + at, 4);
      memcpy (&length, data + at + 4, 4);
      g_assert_cmpuint (length, >=, 12);
      if (type == 6 && at + 28 + 48 <= size && packet[8] == 'S' && packet[14] == 0)
        count += (packet[40] & 0x60) != 0;
      at += length;
    }
  g_unlink (path);
  g_rmdir (dir);
  return count;
}

/* one "defuse-cli:" line, saying the board is in use, nothing else */
static void
check_refused (GuiSimCli *cli, const gchar *what)
{
  const gchar *err = gui_sim_cli_stderr (cli);
  g_auto(GStrv) lines = g_strsplit (err, "\n", -1);

  g_test_message ("%s: exit %d: %s", what, gui_sim_cli_wait (cli, 60000), err);
  g_assert_cmpint (gui_sim_cli_wait (cli, 60000), ==, CLI_EXIT_DEVICE);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);  /* one line and its newline */
  g_assert_true (g_str_has_prefix (lines[0], "defuse-cli: "));
  g_assert_nonnull (strstr (lines[0], "in use by another program"));
}

/* the window flashes; defuse-cli flash and read reach for the board in the
 * middle of it and are refused; the window's flash ends verified */
static void
test_cli_while_window (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) sample = gui_test_sample_file ();
  g_autofree gchar *sample_path = g_file_get_path (sample);
  g_autofree gchar *dir = g_dir_make_tmp ("defuse-in-use-XXXXXX", NULL);
  g_autofree gchar *read_path = g_build_filename (dir, "read.bin", NULL);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GuiSimCli) flash = NULL, read = NULL;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (writing, task, 60000));
  g_assert_false (gui_sim_task_finished (task));

  flash = gui_sim_cli_start ("flash", "--json", sample_path, NULL);
  read = gui_sim_cli_start ("read", "-l", "4096", read_path, NULL);
  gui_sim_cli_wait (flash, 60000);
  gui_sim_cli_wait (read, 60000);
  /* both were turned away while the window held the board */
  g_assert_false (gui_sim_task_finished (task));
  check_refused (flash, "defuse-cli flash");
  g_assert_nonnull (strstr (gui_sim_cli_stdout (flash), "\"kind\":\"in-use\""));
  g_assert_nonnull (strstr (gui_sim_cli_stdout (flash), "\"exit\":6"));
  check_refused (read, "defuse-cli read");
  g_assert_false (g_file_test (read_path, G_FILE_TEST_EXISTS));

  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("the window's flash failed: %s\n%s", defuse_flash_task_get_error (task)->message,
             defuse_flash_task_get_log (task));
  /* GLib writes sizes with a no-break space */
  g_assert_true (g_regex_match_simple ("verified 299.7.KiB at 0x08020000", defuse_flash_task_get_log (task), 0, 0));
  gui_sim_assert_shows (window, "Flashed and Verified in");
  g_rmdir (dir);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* defuse-cli flashes; the window's Flash is refused at once with an
 * in-use message, sends nothing, and the CLI's flash ends verified */
static void
test_window_while_cli (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) sample = gui_test_sample_file ();
  g_autofree gchar *sample_path = g_file_get_path (sample);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GuiSimCli) cli = NULL;
  const GError *error;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  cli = gui_sim_cli_start ("flash", sample_path, NULL);
  g_assert_true (gui_sim_cli_wait_line (cli, "Writing", 60000));

  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 30000));
  g_assert_false (gui_sim_cli_exited (cli));
  error = defuse_flash_task_get_error (task);
  g_test_message ("the window says: %s", error != NULL ? error->message : "(nothing)");
  g_assert_error (error, DF_ERROR, DF_ERROR_IN_USE);
  g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_FAILED);
  gui_sim_assert_shows (window, "Board in Use");
  gui_sim_assert_shows (window, "Another program is using this device");
  gui_sim_assert_shows (window, "Nothing was sent to it");
  g_assert_false (gtk_widget_get_mapped (gui_sim_panel_child (window, "report_button")));
  /* not one DFU request of the window's reached the board */
  g_assert_cmpuint (class_requests_traced (), ==, 0);
  g_assert_null (gui_test_find_dialog ());
  gui_test_screenshot (GTK_WIDGET (window), "in-use");

  g_assert_cmpint (gui_sim_cli_wait (cli, 120000), ==, 0);
  g_assert_true (g_regex_match_simple ("verified 299.7.KiB at 0x08020000", gui_sim_cli_stdout (cli), 0, 0));
  g_assert_cmpstr (gui_sim_cli_stderr (cli), ==, "");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  gui_sim_init (&argc, &argv);

  g_test_add_func ("/gui/in-use/cli-while-window", test_cli_while_window);
  g_test_add_func ("/gui/in-use/window-while-cli", test_window_while_cli);
  return g_test_run ();
}
