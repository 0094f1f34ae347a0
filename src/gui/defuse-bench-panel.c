/* defuse-bench-panel.c: the window's bench mode (see the header).  The Arm
 * and Disarm buttons are win.bench-arm and win.bench-disarm
 * (defuse-window-bench.c), which hand over the flash options; this panel
 * owns the DfBench while armed and shows what it did. */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "defuse-bench-panel.h"
#include "defuse-inspector.h"

/* the last results shown; the log holds them all */
#define RECENT_ROWS 5

struct _DefuseBenchPanel
{
  GtkWidget     parent_instance;

  GtkStack     *stack;
  AdwActionRow *idle_log_row;
  AdwActionRow *status_row;
  AdwActionRow *armed_log_row;
  GtkListBox   *recent_list;

  GFile        *file;
  DfImage      *image;
  gchar        *log;
  DfBench      *bench;
  guint         recent;
};

G_DEFINE_FINAL_TYPE (DefuseBenchPanel, defuse_bench_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_ARMED_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
show_log (DefuseBenchPanel *self)
{
  g_autofree gchar *where = self->log != NULL ? defuse_display_path (self->log) : NULL;

  adw_action_row_set_subtitle (self->idle_log_row, where != NULL ? where : "");
  adw_action_row_set_subtitle (self->armed_log_row, where != NULL ? where : "");
}

void
defuse_bench_panel_set_log (DefuseBenchPanel *self, const gchar *path)
{
  g_free (self->log);
  self->log = g_strdup (path);
  show_log (self);
}

const gchar *
defuse_bench_panel_get_log (DefuseBenchPanel *self)
{
  return self->log;
}

/* Documents/Defuse Bench Logs/FILE-DATE-TIME.jsonl, like the backups */
static gchar *
default_log (GFile *file)
{
  const gchar *documents = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  g_autofree gchar *base = g_file_get_basename (file);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree gchar *name = NULL;
  gchar *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  name = g_strdup_printf ("%s-%s.jsonl", base, stamp);
  return g_build_filename (documents != NULL ? documents : g_get_home_dir (), _("Defuse Bench Logs"), name, NULL);
}

static void
show_counts (DefuseBenchPanel *self)
{
  g_autofree gchar *counts = NULL;

  if (self->bench == NULL)
    return;
  /* TRANSLATORS: bench mode: boards flashed well and boards that failed */
  counts = g_strdup_printf (_("%u passed · %u failed"), df_bench_get_passed (self->bench),
                            df_bench_get_failed (self->bench));
  adw_action_row_set_subtitle (self->status_row, counts);
}

static void
on_board_finished (DfBench *bench, DfBoard *board, DefuseBenchPanel *self)
{
  g_autofree gchar *who = df_board_describe (board);
  g_autofree gchar *size = g_format_size_full (board->bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *what = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (board->error == NULL ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  GtkWidget *last;

  if (board->error == NULL)
    /* TRANSLATORS: bench mode: a board's result: size and seconds */
    what = g_strdup_printf (_("Flashed %s in %.1f s"), size, board->seconds);
  else
    what = g_strdup (board->error->message);
  gtk_widget_add_css_class (icon, board->error == NULL ? "success" : "error");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), who);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), what);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_tooltip_text (row, what);
  gtk_list_box_prepend (self->recent_list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), TRUE);
  if (++self->recent > RECENT_ROWS)
    {
      last = gtk_widget_get_last_child (GTK_WIDGET (self->recent_list));
      gtk_list_box_remove (self->recent_list, last);
      self->recent--;
    }
  show_counts (self);
}

static void
clear_recent (DefuseBenchPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);
  self->recent = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), FALSE);
}

gboolean
defuse_bench_panel_arm (DefuseBenchPanel *self, const DfPlanOptions *options, GError **error)
{
  g_autofree gchar *path = NULL;
  g_autoptr(DfBench) bench = NULL;

  g_return_val_if_fail (self->image != NULL && self->bench == NULL, FALSE);
  path = g_file_get_path (self->file);
  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Bench mode needs a file on this computer: save it to a folder first."));
      return FALSE;
    }
  bench = df_bench_new (self->image, path, options, error);
  if (bench == NULL || !df_bench_set_log (bench, self->log, error) || !df_bench_start (bench, error))
    return FALSE;
  self->bench = g_steal_pointer (&bench);
  g_signal_connect_object (self->bench, "board-finished", G_CALLBACK (on_board_finished), self, 0);
  clear_recent (self);
  show_counts (self);
  gtk_stack_set_visible_child_name (self->stack, "armed");
  g_signal_emit (self, signals[SIGNAL_ARMED_CHANGED], 0);
  return TRUE;
}

void
defuse_bench_panel_disarm (DefuseBenchPanel *self)
{
  if (self->bench == NULL)
    return;
  /* the boards in progress are returned to dfuIDLE and recorded as failed */
  df_bench_stop (self->bench, TRUE);
  g_signal_handlers_disconnect_by_data (self->bench, self);
  g_clear_object (&self->bench);
  gtk_stack_set_visible_child_name (self->stack, "idle");
  g_signal_emit (self, signals[SIGNAL_ARMED_CHANGED], 0);
}

gboolean
defuse_bench_panel_is_armed (DefuseBenchPanel *self)
{
  return self->bench != NULL;
}

DfBench *
defuse_bench_panel_get_bench (DefuseBenchPanel *self)
{
  return self->bench;
}

void
defuse_bench_panel_set_file (DefuseBenchPanel *self, GFile *file, DfImage *image)
{
  g_autofree gchar *log = NULL;

  defuse_bench_panel_disarm (self);
  g_set_object (&self->file, file);
  g_clear_pointer (&self->image, df_image_unref);
  self->image = image != NULL ? df_image_ref (image) : NULL;
  log = file != NULL ? default_log (file) : NULL;
  defuse_bench_panel_set_log (self, log);
}

static void
on_log_chosen (GtkNativeDialog *dialog, gint response, DefuseBenchPanel *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree gchar *path = g_file_get_path (file);
      if (path != NULL)
        defuse_bench_panel_set_log (self, path);
    }
  g_object_unref (dialog);
}

static void
on_choose_log (DefuseBenchPanel *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Bench Log"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Use"), _("_Cancel"));

  if (self->log != NULL)
    {
      g_autoptr(GFile) current = g_file_new_for_path (self->log);
      g_autoptr(GFile) folder = g_file_get_parent (current);
      g_autofree gchar *name = g_file_get_basename (current);

      g_mkdir_with_parents (g_file_peek_path (folder), 0755);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), folder, NULL);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (on_log_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
defuse_bench_panel_dispose (GObject *object)
{
  DefuseBenchPanel *self = DEFUSE_BENCH_PANEL (object);
  GtkWidget *child;

  defuse_bench_panel_disarm (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_BENCH_PANEL);
  /* the group at the top of the template is not a template child */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (defuse_bench_panel_parent_class)->dispose (object);
}

static void
defuse_bench_panel_finalize (GObject *object)
{
  DefuseBenchPanel *self = DEFUSE_BENCH_PANEL (object);

  g_clear_object (&self->file);
  g_clear_pointer (&self->image, df_image_unref);
  g_free (self->log);
  G_OBJECT_CLASS (defuse_bench_panel_parent_class)->finalize (object);
}

static void
defuse_bench_panel_class_init (DefuseBenchPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_bench_panel_dispose;
  object_class->finalize = defuse_bench_panel_finalize;

  signals[SIGNAL_ARMED_CHANGED] =
    g_signal_new ("armed-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-bench-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseBenchPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseBenchPanel, idle_log_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseBenchPanel, status_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseBenchPanel, armed_log_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseBenchPanel, recent_list);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_log);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
defuse_bench_panel_init (DefuseBenchPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
