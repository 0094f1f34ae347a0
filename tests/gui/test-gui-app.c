/* test-gui-app.c: the application as a file manager or a terminal starts
 * it: files opened through GApplication, app.* actions and accelerators,
 * the About and shortcuts windows, dark mode, quit. */
#include "gui-test-util.h"
#include "defuse-application.h"
#include "defuse-window-private.h"

static DefuseApplication *app;

static gboolean
stack_shows_file (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (DEFUSE_WINDOW (data)->content_stack), "file") == 0;
}

static DefuseWindow *
active_window (void)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (DEFUSE_IS_WINDOW (window));
  return DEFUSE_WINDOW (window);
}

static GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
toplevel_shown (gpointer data)
{
  return find_toplevel ((GType) GPOINTER_TO_SIZE (data)) != NULL;
}

/* a double-click in a file manager: GApplication "open" */
static void
test_open (void)
{
  g_autoptr(GFile) file = gui_test_sample_file ();
  GFile *files[] = { file };
  DefuseWindow *window;

  g_application_open (G_APPLICATION (app), files, 1, "");
  window = active_window ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 860);
  g_assert_true (gui_test_wait (stack_shows_file, window, 10000));
  g_assert_nonnull (defuse_window_get_image (window));

  /* the accelerators of DESIGN.md and the issue */
  {
    g_auto(GStrv) quit = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
    g_auto(GStrv) open = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.open");
    g_auto(GStrv) rescan = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.rescan");
    g_assert_cmpstr (quit[0], ==, "<Control>q");
    g_assert_cmpstr (open[0], ==, "<Control>o");
    g_assert_cmpstr (rescan[0], ==, "F5");
  }
}

static void
test_about (void)
{
  GtkWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_true (gui_test_wait (toplevel_shown, GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), 5000));
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "Defuse");
  gui_test_screenshot (GTK_WIDGET (about), "about");
  gtk_window_destroy (about);
}

static void
test_shortcuts (void)
{
  GtkWindow *shortcuts;

  gtk_widget_activate_action (GTK_WIDGET (active_window ()), "win.show-help-overlay", NULL);
  g_assert_true (gui_test_wait (toplevel_shown, GSIZE_TO_POINTER (GTK_TYPE_SHORTCUTS_WINDOW), 5000));
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  gui_test_screenshot (GTK_WIDGET (shortcuts), "shortcuts");
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);
}

/* dark mode comes from libadwaita: the app only follows it */
static void
test_dark (void)
{
  DefuseWindow *window = active_window ();
  g_autoptr(DfDevice) device = gui_test_device (0x0483, 0xdf11, "3276385C3034", "1-2",
                                                "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", NULL);

  defuse_window_add_device (window, device);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gui_test_screenshot (GTK_WIDGET (window), "dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (app)) == NULL;
}

static void
test_quit (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_true (gui_test_wait (no_windows, NULL, 5000));
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("DEFUSE_NO_MONITOR", "1", TRUE);
  gui_test_init (&argc, &argv);
  app = defuse_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* as g_application_run would: the windows keep it alive */
  g_application_hold (G_APPLICATION (app));

  g_test_add_func ("/gui/app/open", test_open);
  g_test_add_func ("/gui/app/about", test_about);
  g_test_add_func ("/gui/app/shortcuts", test_shortcuts);
  g_test_add_func ("/gui/app/dark", test_dark);
  g_test_add_func ("/gui/app/quit", test_quit);
  status = g_test_run ();
  g_application_release (G_APPLICATION (app));
  g_clear_object (&app);
  return status;
}
