/* defuse-flash-panel.c: options → progress → result, and the log.  The
 * switches are bound to GSettings (except mass erase: too dangerous to be
 * remembered); the Flash and Cancel buttons are the win.flash and
 * win.cancel actions, so their sensitivity follows the window's state. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-failure.h"
#include "defuse-flash-panel.h"
#include "defuse-flash-words.h"
#include "defuse-inspector.h"

struct _DefuseFlashPanel
{
  GtkWidget        parent_instance;

  GtkStack        *stack;
  GtkSwitch       *verify_switch;
  GtkSwitch       *diff_switch;
  GtkSwitch       *leave_switch;
  GtkSwitch       *backup_switch;
  GtkSwitch       *mass_erase_switch;
  GtkLabel        *blocker_label;
  GtkButton       *flash_button;
  GtkLabel        *phase_label;
  GtkLabel        *percent_label;
  GtkProgressBar  *progress_bar;
  GtkLabel        *detail_label;
  GtkImage        *result_icon;
  GtkLabel        *result_title;
  GtkLabel        *result_message;
  GtkLabel        *result_hint;
  GtkButton       *done_button;
  GtkButton       *trace_button;
  GtkButton       *report_button;
  GtkExpander     *log_expander;
  GtkTextView     *log_view;

  GSettings       *settings;
  DefuseFlashTask *task;
};

G_DEFINE_FINAL_TYPE (DefuseFlashPanel, defuse_flash_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_OPTIONS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

void
defuse_flash_panel_get_options (DefuseFlashPanel *self, DfPlanOptions *options)
{
  options->verify = gtk_switch_get_active (self->verify_switch);
  options->diff = gtk_switch_get_active (self->diff_switch);
  options->leave = gtk_switch_get_active (self->leave_switch);
  options->mass_erase = gtk_switch_get_active (self->mass_erase_switch);
}

gboolean
defuse_flash_panel_get_backup (DefuseFlashPanel *self)
{
  return gtk_switch_get_active (self->backup_switch);
}

void
defuse_flash_panel_set_blocker (DefuseFlashPanel *self, const gchar *reason)
{
  gtk_label_set_text (self->blocker_label, reason != NULL ? reason : "");
}

static void
on_progress (DefuseFlashPanel *self)
{
  const DfProgress *progress = defuse_flash_task_get_progress (self->task);
  g_autofree gchar *percent = g_strdup_printf ("%.0f %%", progress->fraction * 100);
  g_autofree gchar *detail = defuse_flash_words_progress (progress);

  gtk_label_set_text (self->phase_label, df_phase_describe (progress->phase));
  gtk_label_set_text (self->percent_label, percent);
  gtk_progress_bar_set_fraction (self->progress_bar, progress->fraction);
  gtk_label_set_text (self->detail_label, detail);
}

static void
on_log (DefuseFlashPanel *self, const gchar *line)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, line, -1);
  gtk_text_buffer_insert (buffer, &end, "\n", 1);
  gtk_widget_set_visible (GTK_WIDGET (self->log_expander), TRUE);
}

static gchar *
format_elapsed (gdouble seconds)
{
  if (seconds < 60)
    /* TRANSLATORS: how long the flash took, in seconds */
    return g_strdup_printf (_("%.1f s"), seconds);
  /* TRANSLATORS: how long the flash took, in minutes and seconds */
  return g_strdup_printf (_("%u min %02u s"), (guint) seconds / 60, (guint) seconds % 60);
}

static void
on_finished (DefuseFlashPanel *self)
{
  DefuseFlashTask *task = self->task;
  g_autofree gchar *elapsed = format_elapsed (defuse_flash_task_get_elapsed (task));
  g_autofree gchar *title = NULL, *message = NULL;
  const gchar *icon, *style, *hint;
  gboolean refused = FALSE, failed;

  switch (defuse_flash_task_get_state (task))
    {
    case DEFUSE_FLASH_SUCCEEDED:
      icon = "emblem-ok-symbolic";
      style = "success";
      /* TRANSLATORS: the result of a flash, with the time it took */
      title = g_strdup_printf (_("Flashed in %s"), elapsed);
      if (defuse_flash_task_get_backup_path (task) != NULL)
        {
          g_autofree gchar *where = defuse_display_path (defuse_flash_task_get_backup_path (task));
          message = g_strdup_printf (_("The old contents are saved in %s."), where);
        }
      hint = defuse_flash_task_get_not_started (task) ? defuse_flash_task_get_hint (task)
             : defuse_flash_task_get_now_running (task) != NULL ? defuse_flash_task_get_now_running (task)
             : gtk_switch_get_active (self->leave_switch) ? _("The device is starting its new firmware.")
             : _("The device is still in DFU mode.");
      break;
    case DEFUSE_FLASH_CANCELLED:
      icon = "dialog-warning-symbolic";
      style = "warning";
      title = g_strdup (_("Flashing Cancelled"));
      message = defuse_flash_task_describe_error (task);
      hint = defuse_flash_task_get_hint (task);
      break;
    case DEFUSE_FLASH_FAILED:
    case DEFUSE_FLASH_RUNNING:
    default:
      /* refused before anything was sent: nothing failed on the board */
      refused = defuse_flash_task_is_refused (task);
      icon = refused ? "dialog-warning-symbolic" : "dialog-error-symbolic";
      style = refused ? "warning" : "error";
      title = g_strdup (refused ? _("Device in Use") : _("Flashing Failed"));
      message = defuse_flash_task_describe_error (task);
      hint = defuse_flash_task_get_hint (task);
      break;
    }

  gtk_image_set_from_icon_name (self->result_icon, icon);
  gtk_widget_set_css_classes (GTK_WIDGET (self->result_icon), (const gchar *[]) { style, NULL });
  gtk_label_set_text (self->result_title, title);
  gtk_label_set_text (self->result_message, message);
  gtk_widget_set_visible (GTK_WIDGET (self->result_message), message != NULL);
  gtk_label_set_text (self->result_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->result_hint), hint != NULL);
  /* a failure can be reported: the USB trace, the report; a refusal has
   * neither a trace nor anything to report */
  failed = defuse_flash_task_get_state (task) == DEFUSE_FLASH_FAILED && !refused;
  gtk_widget_set_visible (GTK_WIDGET (self->trace_button), failed);
  gtk_widget_set_visible (GTK_WIDGET (self->report_button), failed);
  gtk_button_set_label (self->report_button, _("Copy _Report"));
  gtk_stack_set_visible_child_name (self->stack, "result");
  /* a failure is easier to understand with the transcript open */
  if (failed)
    gtk_expander_set_expanded (self->log_expander, TRUE);
}

void
defuse_flash_panel_set_task (DefuseFlashPanel *self, DefuseFlashTask *task)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);

  g_return_if_fail (DEFUSE_IS_FLASH_PANEL (self));

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_set_object (&self->task, task);

  gtk_text_buffer_set_text (buffer, task != NULL ? defuse_flash_task_get_log (task) : "", -1);
  gtk_widget_set_visible (GTK_WIDGET (self->log_expander), task != NULL);
  if (task == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "options");
      return;
    }

  g_signal_connect_object (task, "progress", G_CALLBACK (on_progress), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (task, "log", G_CALLBACK (on_log), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (task, "finished", G_CALLBACK (on_finished), self, G_CONNECT_SWAPPED);
  if (defuse_flash_task_get_state (task) == DEFUSE_FLASH_RUNNING)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0);
      gtk_label_set_text (self->phase_label, _("Starting"));
      gtk_label_set_text (self->percent_label, "");
      gtk_label_set_text (self->detail_label, "");
      on_progress (self);
      gtk_stack_set_visible_child_name (self->stack, "progress");
    }
  else
    on_finished (self);
}

DefuseFlashTask *
defuse_flash_panel_get_task (DefuseFlashPanel *self)
{
  return self->task;
}

static void
on_done_clicked (DefuseFlashPanel *self)
{
  defuse_flash_panel_set_task (self, NULL);
}

static void
on_trace_clicked (DefuseFlashPanel *self)
{
  defuse_failure_save_trace (GTK_WIDGET (self));
}

static void
on_report_clicked (DefuseFlashPanel *self)
{
  defuse_failure_copy_report (GTK_WIDGET (self), self->task);
  /* TRANSLATORS: the Copy Report button once it did */
  gtk_button_set_label (self->report_button, _("Report _Copied"));
}

static void
on_option_changed (DefuseFlashPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_OPTIONS_CHANGED], 0);
}

static void
defuse_flash_panel_dispose (GObject *object)
{
  GtkWidget *child;
  DefuseFlashPanel *self = DEFUSE_FLASH_PANEL (object);

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_clear_object (&self->task);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_FLASH_PANEL);
  /* the unnamed top box of the template is not a template child */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (defuse_flash_panel_parent_class)->dispose (object);
}

static void
defuse_flash_panel_class_init (DefuseFlashPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_flash_panel_dispose;

  /* an option that changes the plan (and so the memory map) was toggled */
  signals[SIGNAL_OPTIONS_CHANGED] = g_signal_new ("options-changed", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-flash-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, verify_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, diff_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, leave_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, backup_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, mass_erase_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, blocker_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, flash_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, phase_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, percent_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, detail_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_icon);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_title);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_message);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_hint);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, done_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, trace_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, report_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, log_expander);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, log_view);
  gtk_widget_class_bind_template_callback (widget_class, on_option_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_trace_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_report_clicked);
}

static void
defuse_flash_panel_init (DefuseFlashPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "verify", self->verify_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "skip-unchanged", self->diff_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "leave", self->leave_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "backup", self->backup_switch, "active", G_SETTINGS_BIND_DEFAULT);
}
