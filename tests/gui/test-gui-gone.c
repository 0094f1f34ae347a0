/* test-gui-gone.c: the board unplugged during a flash, in each phase.
 * tests/gui/meson.build runs each case in its own process under defuse-sim
 * with an "unplug" fault that pulls the cable at the chosen request (the
 * board then stays off the bus) and --control, through which the test
 * plugs it back in.  The window must end with one message that says what
 * happened and what to do, in its own words, offer Flash again once the
 * board is back, and a second flash must succeed. */
#include <string.h>

#include "gui-sim-util.h"

typedef enum {
  FAILED,       /* the firmware on the board is incomplete or unchecked */
  NOT_STARTED,  /* written and verified; it went before the start command */
  STARTED,      /* it went at the start command: to the host, a leave */
} Outcome;

typedef struct {
  const gchar *name;
  DfPhase      phase;       /* where the flash was when the board went */
  DfDeviceMode mode;        /* the board as listed */
  Outcome      outcome;
} Case;

static gboolean
flash_offered (gpointer data)
{
  DefuseWindow *window = data;
  return gtk_widget_is_sensitive (gui_sim_panel_child (window, "flash_button"));
}

/* the result page: its title, message and hint, shown and plain */
static void
check_result (DefuseWindow *window, DefuseFlashTask *task, const Case *c, const gchar *name)
{
  const GError *error = defuse_flash_task_get_error (task);
  g_autofree gchar *visible = gui_test_visible_text (GTK_WIDGET (window));
  const gchar *hint = gtk_label_get_text (gui_sim_panel_child (window, "result_hint"));
  const gchar *message = gtk_label_get_text (gui_sim_panel_child (window, "result_message"));

  g_test_message ("%s: %s\nhint: %s", name, message, hint);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (gui_sim_panel_child (window, "stack")), ==, "result");
  if (c->outcome != FAILED)
    {
      g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_SUCCEEDED);
      gui_sim_assert_shows (window, "Flashed and Verified in");
      /* written and verified: the board only missed its start command */
      if (c->outcome == NOT_STARTED)
        g_assert_nonnull (strstr (hint, "written and verified, but the device went away"));
      g_assert_null (error);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_FAILED);
      gui_sim_assert_shows (window, "Flashing Failed");
      g_assert_true (gtk_widget_get_visible (gui_sim_panel_child (window, "result_message")));
      g_assert_nonnull (strstr (message, c->mode == DF_DEVICE_MODE_MICROPYTHON ? "no DFU device appeared"
                                                                               : "the device is gone"));
    }
  g_assert_true (gtk_widget_get_visible (gui_sim_panel_child (window, "result_hint")));
  g_assert_cmpstr (hint, !=, "");
  /* in the window's words: no defuse-cli option anywhere */
  if (strstr (visible, "--") != NULL)
    g_error ("the window shows a command-line option:\n%s", visible);
  /* one message: no dialog or toast repeats it */
  g_assert_null (gui_test_find_dialog ());
}

/* the phase of the last progress before the result (a success ends with
 * DONE: the phase it was gone in came before) */
static void
on_progress (DefuseFlashTask *task, DfPhase *phase)
{
  DfPhase now = defuse_flash_task_get_progress (task)->phase;

  if (now != DF_PHASE_DONE)
    *phase = now;
}

static void
gone_in_phase (gconstpointer data)
{
  const Case *c = data;
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DefuseFlashTask) task = NULL, again = NULL;
  g_autofree gchar *shot = g_strdup_printf ("gone-%s", c->name);
  g_autofree gchar *node = NULL;
  DfPhase last = DF_PHASE_DETACH;

  gui_sim_wait_for_devices (window, 1, c->mode);
  gui_sim_open_sample (window);
  /* the sample's MicroPython banner names another board than the pyboard's:
   * said at the top, in the window's words */
  if (c->mode == DF_DEVICE_MODE_MICROPYTHON)
    {
      const gchar *banner = gtk_label_get_text (window->banner_label);
      g_assert_true (gtk_revealer_get_reveal_child (window->banner));
      g_assert_nonnull (strstr (banner, "Defuse demo board with STM32F405RG"));
      g_assert_null (strstr (banner, "--force"));
    }
  task = g_object_ref (c->mode == DF_DEVICE_MODE_MICROPYTHON ? gui_sim_start_flash_anyway (window)
                                                             : gui_sim_start_flash (window));
  g_signal_connect (task, "progress", G_CALLBACK (on_progress), &last);
  /* the job waits a few seconds for the board to come back, then gives up */
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 60000));
  g_test_message ("log:\n%s", defuse_flash_task_get_log (task));
  g_assert_cmpstr (df_phase_to_string (last), ==, df_phase_to_string (c->phase));
  check_result (window, task, c, c->name);
  gui_test_screenshot (GTK_WIDGET (window), shot);

  /* off the bus: nothing to flash */
  gui_sim_wait_for_devices (window, 0, -1);
  g_assert_false (flash_offered (window));

  /* plugged back in: listed again, Flash offered, and it works */
  node = gui_sim_control ("plug 1");
  g_test_message ("plugged in again as %s", node);
  gui_sim_wait_for_devices (window, 1, c->mode);
  g_assert_true (gui_test_wait (flash_offered, window, 30000));
  again = g_object_ref (c->mode == DF_DEVICE_MODE_MICROPYTHON ? gui_sim_start_flash_anyway (window)
                                                              : gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, again, 120000));
  if (defuse_flash_task_get_state (again) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("the flash after the replug failed: %s\n%s", defuse_flash_task_get_error (again)->message,
             defuse_flash_task_get_log (again));
  gui_sim_assert_shows (window, "Flashed and Verified in");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  static const Case cases[] = {
    { "erase", DF_PHASE_ERASE, DF_DEVICE_MODE_DFUSE, FAILED },
    { "write", DF_PHASE_WRITE, DF_DEVICE_MODE_DFUSE, FAILED },
    { "verify", DF_PHASE_VERIFY, DF_DEVICE_MODE_DFUSE, FAILED },
    { "leave", DF_PHASE_LEAVE, DF_DEVICE_MODE_DFUSE, NOT_STARTED },
    { "leave-request", DF_PHASE_LEAVE, DF_DEVICE_MODE_DFUSE, STARTED },
    { "micropython", DF_PHASE_DETACH, DF_DEVICE_MODE_MICROPYTHON, FAILED },
  };

  gui_sim_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *path = g_strconcat ("/gui/gone/", cases[i].name, NULL);
      g_test_add_data_func (path, &cases[i], gone_in_phase);
    }
  return g_test_run ();
}
