/* test-gui-sim.c: the window against virtual devices.  Each test runs in
 * its own process under defuse-sim (tests/gui/meson.build picks the
 * profile, count and faults), so the real DfMonitor and DfJob talk through
 * the real libusb to the device model.  DEFUSE_ASSERT_WORKER_THREAD makes
 * the transport abort on a USB request from the thread that owns the main
 * context; the test owns it throughout, so any such request fails it. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-protocol.h"
#include "df-usb.h"
#include "gui-sim-util.h"
#include "defuse-config.h"
#include "defuse-failure.h"
#include "defuse-window-private.h"

static void
on_fraction (GtkProgressBar *bar, GParamSpec *pspec, GArray *values)
{
  gdouble value = gtk_progress_bar_get_fraction (bar);
  g_array_append_val (values, value);
}

static gboolean
fraction_between (gpointer data)
{
  DefuseFlashTask *task = data;
  const DfProgress *progress = defuse_flash_task_get_progress (task);
  /* halfway through writing: the screenshot shows a bar and bytes moving */
  return (progress->phase == DF_PHASE_WRITE && progress->done * 2 >= progress->total && progress->total > 0) ||
         gui_sim_task_finished (task);
}

/* the device appears, the file fills the inspector, the flash runs on a
 * worker with intermediate progress, the device leaves DFU mode and goes */
static void
test_flash (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GArray) fractions = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr(DefuseFlashTask) task = NULL;
  guint between = 0;
  const gchar *backup;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_assert_shows (window, "STM32F4 system bootloader, 1 MiB");
  gui_sim_open_sample (window);
  gui_sim_assert_shows (window, "Fits This Board");
  /* the inspector, one click away */
  adw_view_stack_set_visible_child_name (window->view_stack, "details");
  gui_test_settle (GTK_WIDGET (window));
  gui_sim_assert_shows (window, "0xa6e4017a stored, 0xa6e4017a computed");
  gui_sim_assert_shows (window, "Correct");
  gui_sim_assert_shows (window, "0x08020000 – 0x0806AEEF");
  adw_view_stack_set_visible_child_name (window->view_stack, "flash");
  gui_test_settle (GTK_WIDGET (window));
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 5), ==, DEFUSE_SECTOR_ERASE_WRITE);
  gui_test_screenshot (GTK_WIDGET (window), "sim-device-and-file");

  gtk_switch_set_active (gui_sim_panel_child (window, "backup_switch"), TRUE);
  g_signal_connect (gui_sim_panel_child (window, "progress_bar"), "notify::fraction", G_CALLBACK (on_fraction), fractions);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (fraction_between, task, 60000));
  if (!gui_sim_task_finished (task))
    gui_test_screenshot (GTK_WIDGET (window), "flashing");
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));

  /* the bar passed through values between the ends, never going back */
  for (guint i = 0; i < fractions->len; i++)
    {
      gdouble value = g_array_index (fractions, gdouble, i);
      between += value > 0.02 && value < 0.98;
      if (i > 0)
        g_assert_cmpfloat (value, >=, g_array_index (fractions, gdouble, i - 1));
    }
  g_test_message ("%u progress values, %u between the ends", fractions->len, between);
  g_assert_cmpuint (between, >=, 5);

  /* the result names what was flashed where, and what was checked */
  gui_sim_assert_shows (window, "Flashed and Verified in");
  gui_sim_assert_shows (window, "“micropython-like.dfu” to STM32F4 system bootloader, 1 MiB (serial");
  gui_sim_assert_shows (window, "Verified: the memory was read back and holds exactly what the file has.");
  /* the verdict is about the next flash: not under a result */
  gui_sim_assert_not_shown (window, "Fits This Board");
  gui_sim_assert_not_shown (window, "No Board Connected");
  /* the result has the focus (and so is scrolled to) */
  g_assert_true (gtk_widget_has_focus (gui_sim_panel_child (window, "done_button")));
  backup = defuse_flash_task_get_backup_path (task);
  g_assert_nonnull (backup);
  g_assert_true (g_file_test (backup, G_FILE_TEST_IS_REGULAR));
  gui_test_screenshot (GTK_WIDGET (window), "done");

  /* it left DFU mode: it comes back as its application, which is no DFU device */
  gui_sim_wait_for_devices (window, 0, -1);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->device_stack), ==, "empty");
  /* Flash Again is off, and says why */
  gui_test_settle (GTK_WIDGET (window));
  g_assert_false (gtk_widget_is_sensitive (gui_sim_panel_child (window, "again_button")));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (gui_sim_panel_child (window, "again_button")),
                            "put it in DFU mode again"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* an application with a DFU runtime switches to DFU mode: the bootloader
 * appears in the list as a second device, the application goes */
static void
test_switch_mode (void)
{
  DefuseWindow *window = gui_test_window (860);
  DefuseDeviceRow *row;
  GHashTableIter iter;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_RUNTIME);
  gui_sim_assert_shows (window, "Switch to DFU Mode");
  gui_test_screenshot (GTK_WIDGET (window), "sim-runtime");
  g_hash_table_iter_init (&iter, window->rows);
  g_assert_true (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.detach", "s", defuse_device_row_get_id (row));

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  g_assert_nonnull (defuse_window_get_selected_device (window));
  g_assert_cmpint (defuse_window_get_selected_device (window)->mode, ==, DF_DEVICE_MODE_DFUSE);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* the failure page's report and USB trace */
static void
check_failure_actions (DefuseWindow *window, DefuseFlashTask *task)
{
  g_autofree gchar *report = defuse_failure_report (task);
  g_autofree gchar *dir = g_dir_make_tmp ("defuse-trace-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "trace.pcapng", NULL);
  g_autofree gchar *device = df_device_describe (defuse_flash_task_get_device (task));
  g_autofree gchar *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const gchar *tshark = g_find_program_in_path ("tshark");

  g_assert_true (gtk_widget_get_mapped (gui_sim_panel_child (window, "trace_button")));
  g_assert_true (gtk_widget_get_mapped (gui_sim_panel_child (window, "report_button")));
  for (const gchar *const *part = (const gchar *const[]) { "Defuse " PACKAGE_VERSION, "libusb 1.", "kernel Linux ",
                                                            device, "@Internal Flash", "Flashing ", "kind: write-failed",
                                                            "errWRITE", NULL }; *part != NULL; part++)
    if (strstr (report, *part) == NULL)
      g_error ("the report lacks “%s”:\n%s", *part, report);

  /* the trace of this flash, descriptors first, opens in tshark */
  g_assert_true (defuse_failure_write_trace (path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  g_assert_cmpuint (size, >, 10000);
  g_assert_cmpmem (contents, 4, "\x0a\x0d\x0d\x0a", 4);
  if (tshark != NULL)
    {
      g_autofree gchar *out = NULL;
      /* Decode As: Debian 12's Wireshark 4.0 ties DFU to a product list */
      const gchar *argv[] = { tshark, "-r", path, "-d", "usb.product==0x0483df11,usbdfu",
                              "-Y", "usbdfu.command == 1", NULL };
      g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                   &out, NULL, NULL, NULL));
      g_assert_nonnull (strstr (out, "DFU"));
    }
  g_unlink (path);
  g_rmdir (dir);
  g_free ((gchar *) tshark);
}

/* every write fails on the device from the 20th on (a one-off failure is
 * retried): the error in words, what to do next, the log */
static void
test_fault (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DefuseFlashTask) task = NULL;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_FAILED);
  g_test_message ("error: %s", defuse_flash_task_get_error (task)->message);
  gui_sim_assert_shows (window, "Flashing Failed");
  {
    g_autofree gchar *sentence = defuse_flash_task_describe_error (task);
    g_auto(GStrv) lines = g_strsplit (sentence, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      gui_sim_assert_shows (window, lines[i]);
  }
  /* DFU's raw names are in the log, not in the words of the result */
  gui_sim_assert_not_shown (window, "errWRITE");
  g_assert_nonnull (strstr (defuse_flash_task_get_log (task), "errWRITE"));
  gui_sim_assert_shows (window, defuse_flash_task_get_hint (task));
  /* the way out has the focus: Flash Again */
  g_assert_true (gtk_widget_has_focus (gui_sim_panel_child (window, "again_button")));
  g_assert_true (gtk_expander_get_expanded (gui_sim_panel_child (window, "log_expander")));
  gui_test_screenshot (GTK_WIDGET (window), "error");
  check_failure_actions (window, task);
  /* the device stays, in DFU mode, ready for another try */
  g_assert_cmpuint (g_hash_table_size (window->rows), ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
state_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DfDevice *device = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DfTransport) transport = df_usb_open (device, &error);
  DfConnection c = { 0 };
  guint8 state = 0xff;

  if (transport == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  c.transport = transport;
  c.interface = device->interface;
  c.transfer_size = device->transfer_size;
  c.dfuse = device->mode == DF_DEVICE_MODE_DFUSE;
  if (!df_dfu_get_state (&c, &state, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, state);
}

static void
on_state (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  gint *state = data;

  *state = (gint) g_task_propagate_int (G_TASK (result), &error);
  g_assert_no_error (error);
}

static gboolean
state_known (gpointer data)
{
  return *(gint *) data >= 0;
}

/* the device's DFU state, asked on a worker thread as the GUI would */
static gint
device_state (DfDevice *device)
{
  gint state = -1;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_state, &state);

  g_task_set_task_data (task, df_device_ref (device), (GDestroyNotify) df_device_unref);
  g_task_run_in_thread (task, state_thread);
  g_assert_true (gui_test_wait (state_known, &state, 30000));
  return state;
}

static gboolean
well_into_writing (gpointer data)
{
  const DfProgress *progress = defuse_flash_task_get_progress (data);
  return progress->phase == DF_PHASE_WRITE || gui_sim_task_finished (data);
}

/* Cancel during the writes: the job stops between requests and leaves the
 * device in dfuIDLE */
static void
test_cancel (void)
{
  DefuseWindow *window = gui_test_window (860);
  AdwMessageDialog *dialog;
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(DfDevice) device = NULL;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  device = df_device_ref (defuse_window_get_selected_device (window));
  gui_sim_open_sample (window);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (well_into_writing, task, 60000));
  g_assert_false (gui_sim_task_finished (task));
  /* mid-write, Cancel asks first: Keep Flashing goes on */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Stop Flashing?");
  gui_test_screenshot (GTK_WIDGET (dialog), "cancel-asks");
  adw_message_dialog_response (dialog, "keep");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_false (g_cancellable_is_cancelled (defuse_flash_task_get_cancellable (task)));
  /* and Stop stops */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "stop");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 60000));
  g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_CANCELLED);
  gui_sim_assert_shows (window, "Flashing Cancelled");
  gui_test_screenshot (GTK_WIDGET (window), "cancelled");

  g_assert_cmpuint (g_hash_table_size (window->rows), ==, 1);
  g_assert_cmpint (device_state (device), ==, DF_STATE_DFU_IDLE);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
all_finished (gpointer data)
{
  return g_hash_table_size (((DefuseWindow *) data)->tasks) == 0;
}

/* a bench: two boards flashed at once, each row with its own progress */
static void
test_flash_all (void)
{
  DefuseWindow *window = gui_test_window (860);

  gui_sim_wait_for_devices (window, 2, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  g_assert_true (gtk_widget_get_visible (window->flash_all_button));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash-all", NULL);
  g_assert_cmpuint (g_hash_table_size (window->tasks), ==, 2);
  g_assert_true (gui_test_wait (well_into_writing, g_hash_table_lookup (window->tasks,
                                                                          window->selected_id), 60000));
  gui_test_screenshot (GTK_WIDGET (window), "flash-all");
  g_assert_true (gui_test_wait (all_finished, window, 120000));
  gui_sim_wait_for_devices (window, 0, -1);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
widget_visible (gpointer data)
{
  return gtk_widget_get_visible (data);
}

/* a second board plugged in while the window is open appears at once
 * (defuse-sim --plug-later: SIGUSR1 to the runner plugs it in) */
static void
test_plug_in (void)
{
  DefuseWindow *window = gui_test_window (860);

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  g_assert_false (gtk_widget_get_visible (window->flash_all_button));
  g_assert_cmpint (kill (getppid (), SIGUSR1), ==, 0);
  gui_sim_wait_for_devices (window, 2, DF_DEVICE_MODE_DFUSE);
  gui_sim_assert_shows (window, "serial 3276365C3236");
  /* two boards and a file: both can be flashed at once */
  g_assert_true (gui_test_wait (widget_visible, window->flash_all_button, 5000));
  gui_test_screenshot (GTK_WIDGET (window), "plugged-in");
  gtk_window_destroy (GTK_WINDOW (window));
}


/* --- a board running MicroPython (profile pyboard) --- */

#define PYB_BANNER "MicroPython v1.25.0 on 2025-04-15; PYBv1.1 with STM32F405RG"

/* a pyboard build as MicroPython's stm32 port lays it out (0x08000000 and
 * 0x08020000), its banner in flash, written by the engine to a .dfu */
static GFile *
write_pyboard_firmware (GBytes **part0, GBytes **part1)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, "pyboard.dfu");
  DfTarget *target = df_image_add_target (image, 0, "Internal Flash");
  g_autofree guint8 *a = g_malloc (14776), *b = g_malloc (306928);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_build_filename (g_get_tmp_dir (), "defuse-gui-pyboard.dfu", NULL);
  DfWriteOptions options;

  for (gsize i = 0; i < 14776; i++)
    a[i] = (guint8) (i * 7 + 3);
  for (gsize i = 0; i < 306928; i++)
    b[i] = (guint8) (i * 13 + 5);
  memcpy (b + 4096, PYB_BANNER, sizeof PYB_BANNER);
  *part0 = g_bytes_new (a, 14776);
  *part1 = g_bytes_new (b, 306928);
  df_target_add_segment (target, 0x08000000, *part0);
  df_target_add_segment (target, 0x08020000, *part1);
  /* as MicroPython's dfu.py writes it: for the STM32 bootloader */
  df_write_options_init (&options);
  options.vid = 0x0483;
  options.pid = 0xdf11;
  bytes = df_dfuse_write (image, &options, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL));
  return g_file_new_for_path (path);
}

/* listed with what it runs, flashed through machine.bootloader(), back
 * with the new version; switched again by its row's button, its memory is
 * the file's */
static void
test_micropython (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GBytes) part0 = NULL, part1 = NULL;
  g_autoptr(GFile) file = write_pyboard_firmware (&part0, &part1);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GBytes) memory = NULL;
  const guint8 *mem;
  gsize size;
  gboolean erased = TRUE;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  gui_sim_assert_shows (window, "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG");
  gui_sim_assert_shows (window, "Switch to DFU Mode");
  gui_sim_open_file (window, file);
  gui_sim_assert_shows (window, "Your files are kept");
  gui_sim_assert_shows (window, "0x08004000-0x0801ffff");
  g_assert_true (defuse_memory_map_shows_files (window->memory_map, &erased));
  g_assert_false (erased);
  gui_test_screenshot (GTK_WIDGET (window), "sim-micropython");

  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  g_assert_cmpstr (defuse_flash_task_get_now_running (task), ==,
                   "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG");
  gui_sim_assert_shows (window, "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG");
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  gui_sim_assert_shows (window, "MicroPython v1.25.0 on PYBv1.1 with STM32F405RG");
  gui_test_screenshot (GTK_WIDGET (window), "sim-micropython-done");

  /* the row's button sends it to DFU mode, where its memory is read back */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.detach", "s", defuse_device_row_get_id (gui_sim_only_row (window)));
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  memory = gui_sim_read_memory (defuse_window_get_selected_device (window), 0, 0x08000000, 0x80000);
  mem = g_bytes_get_data (memory, &size);
  g_assert_cmpuint (size, ==, 0x80000);
  g_assert_cmpmem (mem, 14776, g_bytes_get_data (part0, NULL), 14776);
  g_assert_cmpmem (mem + 0x20000, 306928, g_bytes_get_data (part1, NULL), 306928);
  for (gsize i = 14776; i < 0x4000; i++)
    g_assert_cmpuint (mem[i], ==, 0xff);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a port on MicroPython's ids that answers line noise: listed with what
 * went wrong, never selected for a flash, never switched */
static void
test_micropython_garbage (void)
{
  DefuseWindow *window = gui_test_window (860);
  DefuseDeviceRow *row;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  row = gui_sim_only_row (window);
  gui_sim_assert_shows (window, "does not answer like MicroPython's REPL");
  g_assert_false (_defuse_window_device_is_flashable (defuse_device_row_get_device (row)));
  g_assert_null (defuse_window_get_selected_device (window));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (defuse_device_row_get_check (row))));
  gui_test_screenshot (GTK_WIDGET (window), "sim-micropython-garbage");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a plain DFU 1.1 board (dfu11: not manifestation tolerant) cannot be
 * read back after the download: the window offers no option it cannot
 * carry out, and the result never claims a verify */
static void
test_plain (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autofree gchar *dir = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "tests", "gui", "tmp", NULL);
  g_autofree gchar *path = g_build_filename (dir, "plain-firmware.dfu", NULL);
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFU, path);
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;
  guint8 bytes[20 * 1024];

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) (i * 13 + 1);
  payload = g_bytes_new (bytes, sizeof bytes);
  df_target_add_payload (df_image_add_target (image, 0, NULL), payload);
  df_write_options_init (&options);
  options.vid = 0x1209;
  options.pid = 0x5bf0;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (df_image_save_file (image, path, DF_FORMAT_DFU, &options, &error));
  g_assert_no_error (error);

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFU);
  gui_sim_open_file (window, file);
  /* what the board cannot do is not offered, and the verdict says so */
  g_assert_false (gtk_widget_get_visible (gui_sim_panel_child (window, "verify_row")));
  g_assert_false (gtk_widget_get_visible (gui_sim_panel_child (window, "diff_row")));
  g_assert_false (gtk_widget_get_visible (gui_sim_panel_child (window, "mass_erase_row")));
  g_assert_false (gtk_widget_get_visible (gui_sim_panel_child (window, "backup_row")));
  g_assert_true (gtk_widget_get_visible (gui_sim_panel_child (window, "leave_row")));
  gui_sim_assert_shows (window, "Cannot be verified");
  gui_sim_assert_shows (window, "Memory size not known");
  gui_sim_assert_not_shown (window, "Fits its memory");
  g_assert_false (window->plan->options.verify);
  g_assert_false (window->plan->options.diff);
  g_assert_false (window->plan->options.mass_erase);
  gui_test_screenshot (GTK_WIDGET (window), "plain-device");

  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 60000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  g_assert_false (defuse_flash_task_get_verified (task));
  gui_sim_assert_shows (window, "Flashed in");
  gui_sim_assert_not_shown (window, "Verified");
  gui_sim_assert_shows (window, "Not verified: This device cannot be read back once the new firmware is in place");
  gui_test_screenshot (GTK_WIDGET (window), "plain-done");
  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (path);
}

/* A flash owns its file and its board: opening another file while it
 * runs gives that file a window of its own, and the result names what
 * was flashed */
static void
test_open_while_flashing (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GFile) sample = gui_test_sample_file ();
  g_autofree gchar *other_path = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "tests", "gui", "tmp",
                                                   "other.dfu", NULL);
  g_autoptr(GFile) other = g_file_new_for_path (other_path);
  g_autoptr(GList) before = NULL, after = NULL;
  DefuseWindow *second = NULL;

  g_assert_true (g_file_copy (sample, other, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL));
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  task = g_object_ref (gui_sim_start_flash (window));
  before = gtk_window_list_toplevels ();
  defuse_window_open_file (window, other);
  after = gtk_window_list_toplevels ();
  g_assert_cmpuint (g_list_length (after), ==, g_list_length (before) + 1);
  for (GList *l = after; l != NULL; l = l->next)
    if (DEFUSE_IS_WINDOW (l->data) && l->data != (gpointer) window)
      second = l->data;
  g_assert_nonnull (second);
  /* this window still shows the file it flashes */
  g_assert_true (g_file_equal (window->file, sample));
  g_assert_cmpstr (adw_view_switcher_title_get_title (window->window_title), ==, "micropython-like.dfu");
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_SUCCEEDED);
  gui_sim_assert_shows (window, "“micropython-like.dfu” to STM32F4 system bootloader, 1 MiB");
  g_assert_true (g_file_equal (window->file, sample));
  gtk_window_destroy (GTK_WINDOW (second));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
some_dialog (gpointer unused)
{
  return gui_test_find_dialog () != NULL;
}

static gboolean
flash_offered_again (gpointer data)
{
  DefuseWindow *window = data;
  return defuse_flash_panel_get_task (window->flash_panel) == NULL &&
         gtk_widget_is_sensitive (gui_sim_panel_child (window, "flash_button"));
}

/* A read-protected STM32: the result offers to remove the protection in
 * the window's own words (never "the vendor's tool"), asks first, and then
 * the board can be flashed */
static void
test_read_protected (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DefuseFlashTask) task = NULL, again = NULL;
  AdwMessageDialog *dialog;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  gui_sim_open_sample (window);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 60000));
  g_assert_error (defuse_flash_task_get_error (task), DF_ERROR, DF_ERROR_PROTECTED);
  gui_sim_assert_not_shown (window, "vendor");
  g_assert_true (gtk_widget_get_mapped (gui_sim_panel_child (window, "unprotect_button")));
  g_assert_true (gtk_widget_has_focus (gui_sim_panel_child (window, "unprotect_button")));
  gui_test_screenshot (GTK_WIDGET (window), "read-protected");

  /* a button activated from the keyboard clicks after its press animation */
  gtk_widget_activate (gui_sim_panel_child (window, "unprotect_button"));
  g_assert_true (gui_test_wait (some_dialog, NULL, 5000));
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Remove Read Protection?");
  adw_message_dialog_response (dialog, "unprotect");
  gtk_window_destroy (GTK_WINDOW (dialog));
  /* the chip erases itself and comes back: Flash is offered again */
  g_assert_true (gui_test_wait (flash_offered_again, window, 60000));
  again = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, again, 120000));
  if (defuse_flash_task_get_state (again) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash after unprotect failed: %s\n%s", defuse_flash_task_get_error (again)->message,
             defuse_flash_task_get_log (again));
  gui_sim_assert_shows (window, "Flashed and Verified in");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  gui_sim_init (&argc, &argv);

  g_test_add_func ("/gui/sim/flash", test_flash);
  g_test_add_func ("/gui/sim/switch-mode", test_switch_mode);
  g_test_add_func ("/gui/sim/fault", test_fault);
  g_test_add_func ("/gui/sim/cancel", test_cancel);
  g_test_add_func ("/gui/sim/flash-all", test_flash_all);
  g_test_add_func ("/gui/sim/plug-in", test_plug_in);
  g_test_add_func ("/gui/sim/micropython", test_micropython);
  g_test_add_func ("/gui/sim/micropython-garbage", test_micropython_garbage);
  g_test_add_func ("/gui/sim/plain", test_plain);
  g_test_add_func ("/gui/sim/open-while-flashing", test_open_while_flashing);
  g_test_add_func ("/gui/sim/read-protected", test_read_protected);
  return g_test_run ();
}
