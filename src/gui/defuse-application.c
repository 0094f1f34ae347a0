/* defuse-application.c: app.* actions (quit, about), accelerators, and
 * GApplication "open": each file goes to a window of its own unless the
 * active window has none yet (double-click in a file manager). */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-application.h"
#include "defuse-window.h"

struct _DefuseApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (DefuseApplication, defuse_application, ADW_TYPE_APPLICATION)

static DefuseWindow *
get_window (DefuseApplication *self, gboolean want_empty)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (DEFUSE_IS_WINDOW (active) &&
      (!want_empty || defuse_window_get_image (DEFUSE_WINDOW (active)) == NULL))
    return DEFUSE_WINDOW (active);
  return defuse_window_new (GTK_APPLICATION (self));
}

static void
defuse_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (DEFUSE_APPLICATION (app), FALSE)));
}

static void
defuse_application_open (GApplication *app, GFile **files, gint n_files, const gchar *hint)
{
  for (gint i = 0; i < n_files; i++)
    {
      DefuseWindow *window = get_window (DEFUSE_APPLICATION (app), TRUE);
      defuse_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  /* closing each window saves its size and cancels its jobs cleanly */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  const gchar *developers[] = { _("The Defuse contributors"), NULL };
  GtkWindow *parent = gtk_application_get_active_window (app);
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (parent != NULL ? gtk_widget_get_display (GTK_WIDGET (parent))
                                                                         : gdk_display_get_default ());
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        /* the app icon comes with the desktop files; run
                         * from the build tree, a generic one */
                        "application-icon", gtk_icon_theme_has_icon (theme, APPLICATION_ID)
                                                ? APPLICATION_ID : "media-removable-symbolic",
                        "application-name", _("Defuse"),
                        "developer-name", _("The Defuse contributors"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "comments", _("Flash and inspect the firmware of USB DFU devices: "
                                      "STM32 boards, MicroPython, keyboards, flight controllers."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* TRANSLATORS: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "about", .activate = about_activated },
};

static void
defuse_application_startup (GApplication *app)
{
  static const struct { const gchar *action; const gchar *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.rescan", { "F5", "<Control>r", NULL } },
    { "win.flash", { "<Control>Return", NULL } },
  };

  G_APPLICATION_CLASS (defuse_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
}

static void
defuse_application_class_init (DefuseApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = defuse_application_activate;
  app_class->open = defuse_application_open;
  app_class->startup = defuse_application_startup;
}

static void
defuse_application_init (DefuseApplication *self)
{
}

DefuseApplication *
defuse_application_new (void)
{
  return g_object_new (DEFUSE_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/defuse/Defuse",
                       NULL);
}
