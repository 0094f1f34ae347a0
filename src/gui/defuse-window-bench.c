/* defuse-window-bench.c: bench mode in the window: the win.bench-arm and
 * win.bench-disarm actions, the header saying it is armed, each board's
 * state on its row in the device list, and a desktop notification per
 * result.  The panel (defuse-bench-panel.c) owns the run. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-window-private.h"

static DefuseDeviceRow *
row_of (DefuseWindow *self, DfDevice *device)
{
  g_autofree gchar *id = df_device_get_id (device);
  return g_hash_table_lookup (self->rows, id);
}

static void
on_board_changed (DfBench *bench, DfBoard *board, DefuseWindow *self)
{
  DefuseDeviceRow *row = row_of (self, board->device);

  if (row != NULL)
    defuse_device_row_show_board (row, board);
}

static void
notify_result (DefuseWindow *self, DfBoard *board)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr(GNotification) notification = NULL;
  g_autofree gchar *who = df_board_describe (board);

  if (app == NULL)
    return;
  notification = g_notification_new (board->error == NULL ? _("Board Flashed") : _("Board Failed"));
  g_notification_set_body (notification, board->error == NULL ? who : board->error->message);
  g_notification_set_priority (notification, board->error == NULL ? G_NOTIFICATION_PRIORITY_NORMAL
                                                                  : G_NOTIFICATION_PRIORITY_HIGH);
  /* one at a time: the panel lists the others */
  g_application_send_notification (app, "bench-result", notification);
}

static void
on_board_finished (DfBench *bench, DfBoard *board, DefuseWindow *self)
{
  on_board_changed (bench, board, self);
  notify_result (self, board);
  if (board->error != NULL)
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
on_armed_changed (DefuseBenchPanel *panel, DefuseWindow *self)
{
  DfBench *bench = defuse_bench_panel_get_bench (panel);

  if (bench != NULL)
    {
      g_signal_connect_object (bench, "board-started", G_CALLBACK (on_board_changed), self, 0);
      g_signal_connect_object (bench, "board-progress", G_CALLBACK (on_board_changed), self, 0);
      g_signal_connect_object (bench, "board-finished", G_CALLBACK (on_board_finished), self, 0);
      /* the file's folder comes back on disarm */
      g_object_set_data_full (G_OBJECT (self->window_title), "defuse-subtitle",
                              g_strdup (adw_view_switcher_title_get_subtitle (self->window_title)), g_free);
      adw_view_switcher_title_set_subtitle (self->window_title, _("Bench mode: each board plugged in is flashed"));
      gtk_widget_add_css_class (GTK_WIDGET (self->window_title), "bench-armed");
    }
  else
    {
      adw_view_switcher_title_set_subtitle (self->window_title,
                                     g_object_get_data (G_OBJECT (self->window_title), "defuse-subtitle"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->window_title), "bench-armed");
    }
  _defuse_window_actions_update (self);
}

static void
arm_activated (GtkWidget *widget, const gchar *action_name, GVariant *parameter)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  DfPlanOptions options;

  df_plan_options_init (&options);
  defuse_flash_panel_get_options (self->flash_panel, &options);
  /* never the whole chip of every board plugged in */
  options.mass_erase = FALSE;
  if (!defuse_bench_panel_arm (self->bench_panel, &options, &error))
    defuse_window_toast (self, error->message);
}

static void
disarm_activated (GtkWidget *widget, const gchar *action_name, GVariant *parameter)
{
  defuse_bench_panel_disarm (DEFUSE_WINDOW (widget)->bench_panel);
}

/* armable: a good file that names the boards it is for */
void
_defuse_window_bench_update (DefuseWindow *self)
{
  gboolean armed = defuse_bench_panel_is_armed (self->bench_panel);
  gboolean good = self->image != NULL && !df_image_has_errors (self->image) && self->image->has_suffix &&
                  self->image->suffix.vid != 0 && self->image->suffix.vid != DF_ID_ANY;

  AdwViewStackPage *page = adw_view_stack_get_page (self->view_stack,
                                                    adw_view_stack_get_child_by_name (self->view_stack, "bench"));

  /* a mode of its own: a view beside Flash, marked while armed */
  adw_view_stack_page_set_visible (page, self->image != NULL && !df_image_has_errors (self->image));
  adw_view_stack_page_set_needs_attention (page, armed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.bench-arm", good && !armed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.bench-disarm", armed);
}

void
_defuse_window_bench_init (DefuseWindow *self)
{
  g_signal_connect_object (self->bench_panel, "armed-changed", G_CALLBACK (on_armed_changed), self, 0);
  _defuse_window_bench_update (self);
}

void
_defuse_window_class_bench_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.bench-arm", NULL, arm_activated);
  gtk_widget_class_install_action (widget_class, "win.bench-disarm", NULL, disarm_activated);
}
