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
#include "df-catalog.h"
#include "df-error.h"

struct _DefuseFlashPanel
{
  GtkWidget        parent_instance;

  GtkStack        *stack;
  GtkSwitch       *verify_switch;
  GtkSwitch       *diff_switch;
  GtkSwitch       *leave_switch;
  GtkSwitch       *backup_switch;
  GtkSwitch       *mass_erase_switch;
  AdwExpanderRow  *options_row;
  GtkWidget       *verify_row;
  GtkWidget       *diff_row;
  GtkWidget       *leave_row;
  GtkWidget       *backup_row;
  GtkWidget       *mass_erase_row;
  GtkLabel        *blocker_label;
  GtkButton       *flash_button;
  GtkLabel        *phase_label;
  GtkLabel        *percent_label;
  GtkProgressBar  *progress_bar;
  GtkLabel        *detail_label;
  GtkWidget       *result_card;
  GtkImage        *result_icon;
  GtkLabel        *result_title;
  GtkLabel        *result_what;
  GtkLabel        *result_message;
  GtkLabel        *result_hint;
  GtkButton       *done_button;
  GtkButton       *again_button;
  GtkButton       *unprotect_button;
  GtkButton       *trace_button;
  GtkButton       *report_button;
  GtkButton       *cancel_button;
  GtkFlowBox      *result_buttons;
  GtkExpander     *log_expander;
  GtkTextView     *log_view;

  GSettings       *settings;
  DefuseFlashTask *task;
};

G_DEFINE_FINAL_TYPE (DefuseFlashPanel, defuse_flash_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_OPTIONS_CHANGED, SIGNAL_TASK_CHANGED, N_SIGNALS };
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
  return gtk_switch_get_active (self->backup_switch) && gtk_widget_get_visible (self->backup_row);
}

/* the folded Options row says what is on: "Verify · Start the new firmware" */
static void
update_summary (DefuseFlashPanel *self)
{
  const struct { GtkWidget *row; GtkSwitch *on; const gchar *words; } options[] = {
    { self->verify_row, self->verify_switch, N_("Verify") },
    { self->diff_row, self->diff_switch, N_("Skip unchanged sectors") },
    { self->leave_row, self->leave_switch, N_("Start the new firmware") },
    { self->backup_row, self->backup_switch, N_("Back up first") },
    { self->mass_erase_row, self->mass_erase_switch, N_("Erase the whole chip") },
  };
  g_autoptr(GPtrArray) on = g_ptr_array_new ();
  g_autofree gchar *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (gtk_widget_get_visible (options[i].row) && gtk_switch_get_active (options[i].on))
      g_ptr_array_add (on, (gpointer) _(options[i].words));
  g_ptr_array_add (on, NULL);
  text = on->len > 1 ? g_strjoinv (" · ", (gchar **) on->pdata) : g_strdup (_("Write only"));
  adw_expander_row_set_subtitle (self->options_row, text);
}

void
defuse_flash_panel_set_plan (DefuseFlashPanel *self, DfPlan *plan, gboolean mismatch)
{
  /* only what the board can do is offered; with no board, everything */
  gtk_widget_set_visible (self->verify_row, plan == NULL || plan->can_verify);
  gtk_widget_set_visible (self->diff_row, plan == NULL || plan->can_diff);
  gtk_widget_set_visible (self->backup_row, plan == NULL || plan->can_backup);
  gtk_widget_set_visible (self->mass_erase_row, plan == NULL || plan->can_mass_erase);
  /* a file made for another device is flashed only on purpose */
  if (mismatch)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->flash_button), "suggested-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->flash_button), "destructive-action");
      gtk_button_set_label (self->flash_button, _("_Flash Anyway…"));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->flash_button), "destructive-action");
      gtk_widget_add_css_class (GTK_WIDGET (self->flash_button), "suggested-action");
      gtk_button_set_label (self->flash_button, _("_Flash"));
    }
  update_summary (self);
}

void
defuse_flash_panel_set_blocker (DefuseFlashPanel *self, const gchar *reason)
{
  gtk_label_set_text (self->blocker_label, reason != NULL ? reason : "");
}

void
defuse_flash_panel_set_again_blocker (DefuseFlashPanel *self, const gchar *reason)
{
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->again_button),
                               reason != NULL ? reason
                                              : _("Write the same file to the same board again (Ctrl+Enter)"));
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

/* "“fw.dfu” on STM32F4 system bootloader, 1 MiB (serial 3276…)": a
 * result names what it is about, whatever is open now */
static gchar *
describe_what (DefuseFlashTask *task)
{
  g_autofree gchar *file = g_path_get_basename (defuse_flash_task_get_image (task)->source);
  g_autofree gchar *board = df_catalog_describe (defuse_flash_task_get_device (task));
  const gchar *serial = defuse_flash_task_get_device (task)->serial;

  if (serial != NULL)
    /* TRANSLATORS: file name, board, its serial number */
    return g_strdup_printf (_("“%s” to %s (serial %s)"), file, board, serial);
  /* TRANSLATORS: file name, board */
  return g_strdup_printf (_("“%s” to %s"), file, board);
}

/* exactly what was checked, never more */
static gchar *
describe_verify (DefuseFlashTask *task)
{
  const gchar *not_verified = defuse_flash_task_get_not_verified (task);

  if (defuse_flash_task_get_verified (task))
    return g_strdup (_("Verified: the memory was read back and holds exactly what the file has."));
  if (not_verified != NULL)
    {
      g_autofree gchar *why = defuse_sentence (not_verified);
      /* TRANSLATORS: why a flash was not verified, e.g. "Not verified: This device cannot be read back." */
      return g_strdup_printf (_("Not verified: %s"), why);
    }
  return g_strdup (_("Not verified: Verify was off."));
}

static void
on_finished (DefuseFlashPanel *self)
{
  DefuseFlashTask *task = self->task;
  DefuseFlashState state = defuse_flash_task_get_state (task);
  g_autofree gchar *elapsed = format_elapsed (defuse_flash_task_get_elapsed (task));
  g_autofree gchar *title = NULL, *what = NULL, *message = NULL;
  const gchar *icon, *style, *hint;
  gboolean refused = FALSE, failed, protected;

  switch (state)
    {
    case DEFUSE_FLASH_SUCCEEDED:
      icon = "emblem-ok-symbolic";
      style = "success";
      /* TRANSLATORS: the result of a flash, with the time it took */
      title = g_strdup_printf (defuse_flash_task_get_verified (task) ? _("Flashed and Verified in %s")
                                                                     : _("Flashed in %s"), elapsed);
      {
        g_autofree gchar *verify = describe_verify (task);
        if (defuse_flash_task_get_backup_path (task) != NULL)
          {
            g_autofree gchar *where = defuse_display_path (defuse_flash_task_get_backup_path (task));
            message = g_strdup_printf (_("%s\nThe old contents are saved in %s."), verify, where);
          }
        else
          message = g_steal_pointer (&verify);
      }
      hint = defuse_flash_task_get_not_started (task) ? defuse_flash_task_get_hint (task)
             : defuse_flash_task_get_now_running (task) != NULL ? defuse_flash_task_get_now_running (task)
             : defuse_flash_task_get_leave (task) ? _("The board is starting its new firmware.")
             : _("The board is still in DFU mode.");
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
      title = g_strdup (refused ? _("Board in Use") : _("Flashing Failed"));
      message = defuse_flash_task_describe_error (task);
      hint = defuse_flash_task_get_hint (task);
      break;
    }
  what = describe_what (task);

  gtk_image_set_from_icon_name (self->result_icon, icon);
  gtk_widget_set_css_classes (GTK_WIDGET (self->result_icon), (const gchar *[]) { style, NULL });
  gtk_label_set_text (self->result_title, title);
  gtk_label_set_text (self->result_what, what);
  gtk_label_set_text (self->result_message, message);
  gtk_widget_set_visible (GTK_WIDGET (self->result_message), message != NULL);
  gtk_label_set_text (self->result_hint, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->result_hint), hint != NULL);
  /* a failure can be reported: the USB trace, the report; a refusal has
   * neither a trace nor anything to report */
  failed = state == DEFUSE_FLASH_FAILED && !refused;
  /* a locked keyboard is not read-protected: the window asks about its chip erase */
  protected = failed && g_error_matches (defuse_flash_task_get_error (task), DF_ERROR, DF_ERROR_PROTECTED) &&
              defuse_flash_task_get_device (task)->mode != DF_DEVICE_MODE_FLIP;
  g_object_set_data (G_OBJECT (self->trace_button), "wanted", GINT_TO_POINTER (failed));
  g_object_set_data (G_OBJECT (self->report_button), "wanted", GINT_TO_POINTER (failed));
  g_object_set_data (G_OBJECT (self->unprotect_button), "wanted", GINT_TO_POINTER (protected));
  gtk_flow_box_invalidate_filter (self->result_buttons);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->unprotect_button), "s",
                                    defuse_flash_task_get_device_id (task));
  gtk_button_set_label (self->report_button, _("Copy _Report"));
  /* one suggested action: Done after a success, the way out after a failure */
  gtk_widget_remove_css_class (GTK_WIDGET (self->done_button), "suggested-action");
  gtk_widget_remove_css_class (GTK_WIDGET (self->again_button), "suggested-action");
  gtk_widget_remove_css_class (GTK_WIDGET (self->unprotect_button), "suggested-action");
  gtk_widget_add_css_class (GTK_WIDGET (protected ? self->unprotect_button
                                        : state == DEFUSE_FLASH_SUCCEEDED ? self->done_button
                                        : self->again_button), "suggested-action");
  gtk_stack_set_visible_child_name (self->stack, "result");
  /* a failure is easier to understand with the transcript open */
  if (failed)
    gtk_expander_set_expanded (self->log_expander, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_card), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  /* the result has the focus, so the page scrolls to it and a screen
   * reader reads it */
  defuse_flash_panel_focus_result (self);
}

void
defuse_flash_panel_focus_result (DefuseFlashPanel *self)
{
  GtkWidget *target = GTK_WIDGET (self->done_button);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "result") != 0)
    return;
  if (gtk_widget_has_css_class (GTK_WIDGET (self->unprotect_button), "suggested-action"))
    target = GTK_WIDGET (self->unprotect_button);
  else if (gtk_widget_has_css_class (GTK_WIDGET (self->again_button), "suggested-action") &&
           gtk_widget_is_sensitive (GTK_WIDGET (self->again_button)))
    target = GTK_WIDGET (self->again_button);
  gtk_widget_grab_focus (target);
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
      g_signal_emit (self, signals[SIGNAL_TASK_CHANGED], 0);
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
      /* Cancel has the focus: the page scrolls to the progress */
      gtk_widget_grab_focus (GTK_WIDGET (self->cancel_button));
    }
  else
    on_finished (self);
  g_signal_emit (self, signals[SIGNAL_TASK_CHANGED], 0);
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
  gtk_widget_grab_focus (GTK_WIDGET (self->flash_button));
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
  update_summary (self);
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
  /* a flash is shown, or no longer */
  signals[SIGNAL_TASK_CHANGED] = g_signal_new ("task-changed", G_TYPE_FROM_CLASS (klass),
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
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, options_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, verify_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, diff_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, leave_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, backup_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, mass_erase_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_card);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_what);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, again_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, unprotect_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseFlashPanel, result_buttons);
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

/* the buttons a result wants; the flow box wraps them on narrow windows
 * (hidden children would still take its room: GtkFlowBox 4.8) */
static gboolean
result_button_wanted (GtkFlowBoxChild *child, gpointer unused)
{
  GObject *button = G_OBJECT (gtk_flow_box_child_get_child (child));
  return g_object_get_data (button, "optional") == NULL || g_object_get_data (button, "wanted") != NULL;
}

static void
defuse_flash_panel_init (DefuseFlashPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_object_set_data (G_OBJECT (self->trace_button), "optional", GINT_TO_POINTER (TRUE));
  g_object_set_data (G_OBJECT (self->report_button), "optional", GINT_TO_POINTER (TRUE));
  g_object_set_data (G_OBJECT (self->unprotect_button), "optional", GINT_TO_POINTER (TRUE));
  gtk_flow_box_set_filter_func (self->result_buttons, result_button_wanted, NULL, NULL);

  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "verify", self->verify_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "skip-unchanged", self->diff_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "leave", self->leave_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "backup", self->backup_switch, "active", G_SETTINGS_BIND_DEFAULT);
  /* leave and backup change no plan, but the summary says them */
  g_signal_connect_swapped (self->leave_switch, "notify::active", G_CALLBACK (update_summary), self);
  g_signal_connect_swapped (self->backup_switch, "notify::active", G_CALLBACK (update_summary), self);
  update_summary (self);
}
