/* test-gui-layout.c: the window at the sizes and in the languages people
 * use it: the first screen at 1080x760 and 360x720 in English and German
 * (screenshots to look at), a failed flash that keeps both panes, and the
 * keyboard's way through the window. */
#include <locale.h>
#include <glib/gi18n.h>

#include "gui-test-util.h"
#include "defuse-config.h"
#include "defuse-window-private.h"

#define F405_FLASH "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"

/* gettext reads LANGUAGE again after setlocale(); the catalogs are the
 * build tree's */
static void
use_language (const gchar *language)
{
  g_setenv ("LANGUAGE", language, TRUE);
  setlocale (LC_ALL, "");
}

static gboolean
page_is_file (gpointer window)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (((DefuseWindow *) window)->content_stack), "file") == 0;
}

/* a window of width x height with an STM32F405 in DFU mode and the sample */
static DefuseWindow *
window_with_board (gint width, gint height, DfDevice **device)
{
  DefuseWindow *window = defuse_window_new (NULL);
  g_autoptr(GFile) file = gui_test_sample_file ();

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  *device = gui_test_device (0x0483, 0xdf11, "3276385C3034", "1-2", F405_FLASH, NULL);
  defuse_window_add_device (window, *device);
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (page_is_file, window, 10000));
  gui_test_settle (GTK_WIDGET (window));
  return window;
}

static void
first_screen (const gchar *language, gint width, gint height)
{
  g_autoptr(DfDevice) device = NULL;
  g_autofree gchar *name = g_strdup_printf ("first-screen-%s-%d", language, width);
  DefuseWindow *window;

  use_language (language);
  window = window_with_board (width, height, &device);
  /* wide: both panes; narrow: one, the file's */
  g_assert_cmpint (adw_leaflet_get_folded (window->leaflet), ==, width < 720);
  g_assert_true (adw_leaflet_get_visible_child (window->leaflet) == window->content_box);
  /* nothing needs more room than the window has */
  {
    gint minimum;
    gtk_widget_measure (GTK_WIDGET (window->leaflet), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
    g_assert_cmpint (minimum, <=, width);
  }
  gui_test_screenshot (GTK_WIDGET (window), name);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_first_screen (void)
{
  first_screen ("en", 1080, 760);
  first_screen ("en", 360, 720);
  first_screen ("de", 1080, 760);
  first_screen ("de", 360, 720);
  use_language ("en");
}

static gboolean
task_done (gpointer window)
{
  DefuseFlashTask *task = defuse_flash_panel_get_task (((DefuseWindow *) window)->flash_panel);
  return task != NULL && defuse_flash_task_get_state (task) != DEFUSE_FLASH_RUNNING;
}

/* A failed flash shows its result with three buttons; the row of buttons
 * wraps, the window keeps both panes.  The board here is not on the bus
 * (no USB in this test): the flash fails on its worker, for real. */
static void
failure_keeps_panes (const gchar *language, gint width)
{
  g_autoptr(DfDevice) device = NULL;
  g_autofree gchar *name = g_strdup_printf ("failed-%s-%d", language, width);
  DefuseWindow *window;

  use_language (language);
  window = window_with_board (width, 760, &device);
  g_assert_false (adw_leaflet_get_folded (window->leaflet));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  g_assert_true (gui_test_wait (task_done, window, 30000));
  gui_test_settle (GTK_WIDGET (window));
  g_assert_cmpint (defuse_flash_task_get_state (defuse_flash_panel_get_task (window->flash_panel)), ==,
                   DEFUSE_FLASH_FAILED);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window->flash_panel),
                                                                                   DEFUSE_TYPE_FLASH_PANEL,
                                                                                   "report_button"))));
  g_assert_false (adw_leaflet_get_folded (window->leaflet));
  gui_test_screenshot (GTK_WIDGET (window), name);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_failure_keeps_panes (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GVariant) default_width = g_settings_get_default_value (settings, "window-width");

  failure_keeps_panes ("en", 960);
  failure_keeps_panes ("de", g_variant_get_int32 (default_width));
  use_language ("en");
}

static gboolean
is_inside (GtkWidget *widget, GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* Tab from the start: the device list comes before the file's page, the
 * memory map is a stop, and no row that only shows text is one */
static void
test_keyboard_order (void)
{
  g_autoptr(DfDevice) device = NULL;
  DefuseWindow *window = window_with_board (1080, 760, &device);
  GtkWidget *flash_button = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window->flash_panel),
                                                                       DEFUSE_TYPE_FLASH_PANEL, "flash_button"));
  gint device_stop = -1, map_stop = -1, flash_stop = -1;

  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  for (gint i = 0; i < 60 && flash_stop < 0; i++)
    {
      GtkWidget *focus;

      g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD));
      focus = gtk_root_get_focus (GTK_ROOT (window));
      g_assert_nonnull (focus);
      g_test_message ("stop %d: %s", i, G_OBJECT_TYPE_NAME (focus));
      if (device_stop < 0 && is_inside (focus, GTK_WIDGET (window->device_list)))
        device_stop = i;
      if (map_stop < 0 && is_inside (focus, GTK_WIDGET (window->memory_map)))
        map_stop = i;
      if (focus == flash_button)
        flash_stop = i;
      /* a row of words is no stop */
      g_assert_false (is_inside (focus, GTK_WIDGET (window->verdict)));
      g_assert_false (is_inside (focus, GTK_WIDGET (window->summary_title)));
    }
  g_assert_cmpint (device_stop, >=, 0);
  g_assert_cmpint (map_stop, >, device_stop);
  g_assert_cmpint (flash_stop, >, map_stop);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  g_autofree gchar *catalogs = NULL;

  g_setenv ("DEFUSE_NO_MONITOR", "1", TRUE);
  gui_test_init (&argc, &argv);
  catalogs = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, catalogs);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/gui/layout/first-screen", test_first_screen);
  g_test_add_func ("/gui/layout/failure-keeps-panes", test_failure_keeps_panes);
  g_test_add_func ("/gui/layout/keyboard-order", test_keyboard_order);
  return g_test_run ();
}
