/* defuse-keyboard-panel.c: the Keyboard group under the device list: its
 * rows are the win.keyboard-eeprom action, and under them the progress of
 * the tool that runs, then its result in the keyboard's words. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-inspector.h"
#include "defuse-keyboard-panel.h"
#include "df-error.h"

struct _DefuseKeyboardPanel
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkStack           *stack;
  GtkLabel           *phase_label;
  GtkProgressBar     *progress_bar;
  GtkWidget          *result_card;
  GtkImage           *result_icon;
  GtkLabel           *result_title;
  GtkLabel           *result_message;
  GtkLabel           *result_hint;
  GtkButton          *done_button;

  DefuseFlashTask    *task;
  DefuseKeyboardTool  tool;
  gboolean            erased;
};

G_DEFINE_FINAL_TYPE (DefuseKeyboardPanel, defuse_keyboard_panel, GTK_TYPE_WIDGET)

static void
on_progress (DefuseKeyboardPanel *self)
{
  const DfProgress *progress = defuse_flash_task_get_progress (self->task);

  gtk_label_set_text (self->phase_label, df_phase_describe (progress->phase));
  gtk_progress_bar_set_fraction (self->progress_bar, progress->fraction);
}

static const gchar *
done_title (DefuseKeyboardTool tool)
{
  switch (tool)
    {
    case DEFUSE_KEYBOARD_LEFT:
      return _("Left Hand Set");
    case DEFUSE_KEYBOARD_RIGHT:
      return _("Right Hand Set");
    case DEFUSE_KEYBOARD_CLEAR:
    default:
      return _("EEPROM Cleared");
    }
}

static const gchar *
done_message (DefuseKeyboardTool tool)
{
  switch (tool)
    {
    case DEFUSE_KEYBOARD_LEFT:
      return _("This half of the keyboard now knows it is the left one.");
    case DEFUSE_KEYBOARD_RIGHT:
      return _("This half of the keyboard now knows it is the right one.");
    case DEFUSE_KEYBOARD_CLEAR:
    default:
      return _("The keyboard starts with its firmware’s default settings.");
    }
}

static void
on_finished (DefuseKeyboardPanel *self)
{
  DefuseFlashState state = defuse_flash_task_get_state (self->task);
  const GError *error = defuse_flash_task_get_error (self->task);
  g_autofree gchar *message = NULL;
  const gchar *title, *icon, *style, *hint = NULL;

  if (state == DEFUSE_FLASH_SUCCEEDED)
    {
      title = done_title (self->tool);
      icon = "emblem-ok-symbolic";
      style = "success";
      message = g_strdup_printf ("%s\n%s", done_message (self->tool),
                                 _("Verified: the EEPROM was read back and holds what was written."));
      /* the erase took the firmware: that is what to do next */
      hint = self->erased ? _("The chip was erased first, so the keyboard has no firmware now: open its .hex "
                              "file and flash it.")
                          : _("The keyboard is still in its bootloader: unplug it and plug it in again to start "
                              "it.");
    }
  else
    {
      /* locked: nothing was changed, and the window asks about the erase */
      gboolean locked = g_error_matches (error, DF_ERROR, DF_ERROR_PROTECTED);
      title = locked ? _("Chip Locked") : state == DEFUSE_FLASH_CANCELLED ? _("Cancelled") : _("EEPROM Not Written");
      icon = state == DEFUSE_FLASH_FAILED && !locked ? "dialog-error-symbolic" : "dialog-warning-symbolic";
      style = state == DEFUSE_FLASH_FAILED && !locked ? "error" : "warning";
      message = defuse_flash_task_describe_error (self->task);
      hint = locked ? NULL : defuse_flash_task_get_hint (self->task);
    }
  gtk_image_set_from_icon_name (self->result_icon, icon);
  gtk_widget_set_css_classes (GTK_WIDGET (self->result_icon), (const gchar *[]) { style, NULL });
  gtk_label_set_text (self->result_title, title);
  gtk_label_set_text (self->result_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_message), message != NULL);
  gtk_label_set_text (self->result_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_hint), hint != NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_card), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_stack_set_visible_child_name (self->stack, "result");
  gtk_widget_grab_focus (GTK_WIDGET (self->done_button));
}

void
defuse_keyboard_panel_set_task (DefuseKeyboardPanel *self, DefuseFlashTask *task, DefuseKeyboardTool tool,
                                gboolean erased)
{
  g_return_if_fail (DEFUSE_IS_KEYBOARD_PANEL (self));

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_set_object (&self->task, task);
  self->tool = tool;
  self->erased = erased;
  if (task == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }
  g_signal_connect_object (task, "progress", G_CALLBACK (on_progress), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (task, "finished", G_CALLBACK (on_finished), self, G_CONNECT_SWAPPED);
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_RUNNING)
    {
      on_finished (self);
      return;
    }
  gtk_label_set_text (self->phase_label, _("Starting"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_stack_set_visible_child_name (self->stack, "progress");
}

DefuseFlashTask *
defuse_keyboard_panel_get_task (DefuseKeyboardPanel *self)
{
  return self->task;
}

void
defuse_keyboard_panel_set_device (DefuseKeyboardPanel *self, DfDevice *device)
{
  g_autofree gchar *id = device != NULL ? df_device_get_id (device) : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self), device != NULL && device->mode == DF_DEVICE_MODE_FLIP);
  /* a result is about its keyboard: another one selected, it goes */
  if (self->task != NULL && g_strcmp0 (id, defuse_flash_task_get_device_id (self->task)) != 0 &&
      defuse_flash_task_get_state (self->task) != DEFUSE_FLASH_RUNNING)
    defuse_keyboard_panel_set_task (self, NULL, DEFUSE_KEYBOARD_CLEAR, FALSE);
}

static void
on_done_clicked (DefuseKeyboardPanel *self)
{
  defuse_keyboard_panel_set_task (self, NULL, DEFUSE_KEYBOARD_CLEAR, FALSE);
}

static void
defuse_keyboard_panel_dispose (GObject *object)
{
  DefuseKeyboardPanel *self = DEFUSE_KEYBOARD_PANEL (object);

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_clear_object (&self->task);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_KEYBOARD_PANEL);
  G_OBJECT_CLASS (defuse_keyboard_panel_parent_class)->dispose (object);
}

static void
defuse_keyboard_panel_class_init (DefuseKeyboardPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_keyboard_panel_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-keyboard-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, box);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, phase_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, result_card);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, result_icon);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, result_title);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, result_message);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, result_hint);
  gtk_widget_class_bind_template_child (widget_class, DefuseKeyboardPanel, done_button);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
}

static void
defuse_keyboard_panel_init (DefuseKeyboardPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
