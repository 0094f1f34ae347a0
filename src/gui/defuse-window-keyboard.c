/* defuse-window-keyboard.c: the window's part for AVR keyboards (Atmel
 * FLIP bootloaders): the
 * win.keyboard-eeprom action runs QMK Toolbox's Clear EEPROM and Set
 * Left/Right Hand as flashes of the engine's EEPROM images; and when
 * Atmel's factory bootloader refuses an EEPROM write because it is locked
 * (nothing changed yet), the window says the chip erase it needs also
 * erases the firmware, and only runs it with force once the user agrees. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "df-catalog.h"
#include "df-error.h"
#include "df-flip-command.h"
#include "defuse-window-private.h"

#define TOOL_KEY "keyboard-tool"  /* on a task: its DefuseKeyboardTool + 1 */

static gboolean
is_keyboard (DfDevice *device)
{
  return device != NULL && device->mode == DF_DEVICE_MODE_FLIP && device->flip_chip != NULL;
}


static DfImage *
tool_image (DefuseKeyboardTool tool)
{
  switch (tool)
    {
    case DEFUSE_KEYBOARD_LEFT:
      return df_flip_eeprom_handedness_image_new (TRUE);
    case DEFUSE_KEYBOARD_RIGHT:
      return df_flip_eeprom_handedness_image_new (FALSE);
    case DEFUSE_KEYBOARD_CLEAR:
    default:
      return df_flip_eeprom_clear_image_new ();
    }
}

/* force: after the factory bootloader's refusal, agreed to erase the chip */
static void
run_tool (DefuseWindow *self, DfDevice *device, DefuseKeyboardTool tool, gboolean force)
{
  g_autoptr(DfImage) image = tool_image (tool);
  DfPlanOptions options;
  DefuseFlashTask *task;

  /* read back; stay in the bootloader, as QMK Toolbox does, ready for
   * the firmware that usually follows */
  df_plan_options_init (&options);
  options.verify = TRUE;
  options.leave = FALSE;
  task = defuse_flash_task_new (device, image, &options, force, NULL);
  g_object_set_data (G_OBJECT (task), TOOL_KEY, GINT_TO_POINTER (tool + 1));
  defuse_keyboard_panel_set_task (self->keyboard_panel, task, tool, force);
  _defuse_window_run_task (self, task);
}

/* ---- Clear EEPROM asks first ---- */

typedef struct {
  DefuseWindow       *self;
  DfDevice           *device;
  DefuseKeyboardTool  tool;
  DefuseFlashTask    *refused;  /* the refused flash to run again with force */
} Request;

static void
request_free (gpointer data, GClosure *unused)
{
  Request *request = data;

  g_object_unref (request->self);
  df_device_unref (request->device);
  g_clear_object (&request->refused);
  g_free (request);
}

static GtkWidget *
ask (DefuseWindow *self, const gchar *heading, const gchar *body, const gchar *yes, Request *request,
     GCallback on_response)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "yes", yes, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "yes", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", on_response, request, request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
on_clear_response (AdwMessageDialog *dialog, const gchar *response, Request *request)
{
  if (g_strcmp0 (response, "yes") == 0 && !g_hash_table_contains (request->self->tasks, request->self->selected_id))
    run_tool (request->self, request->device, request->tool, FALSE);
}

static void
keyboard_eeprom_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  DfDevice *device = defuse_window_get_selected_device (self);
  const gchar *which = g_variant_get_string (param, NULL);
  DefuseKeyboardTool tool = g_str_equal (which, "left") ? DEFUSE_KEYBOARD_LEFT
                            : g_str_equal (which, "right") ? DEFUSE_KEYBOARD_RIGHT
                            : DEFUSE_KEYBOARD_CLEAR;
  Request *request;

  if (!is_keyboard (device) || g_hash_table_contains (self->tasks, self->selected_id))
    return;
  /* the hand is one byte, set again as easily; the settings are not */
  if (tool != DEFUSE_KEYBOARD_CLEAR)
    {
      run_tool (self, device, tool, FALSE);
      return;
    }
  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->device = df_device_ref (device);
  request->tool = tool;
  ask (self, _("Clear the Keyboard’s EEPROM?"),
       _("The keyboard forgets the settings it keeps in its EEPROM, such as lighting and keymap changes made with "
         "VIA, and starts with its firmware’s defaults. The firmware itself stays."),
       _("_Clear EEPROM"), request, G_CALLBACK (on_clear_response));
}

/* ---- the factory bootloader's lock ---- */

static void
on_erase_response (AdwMessageDialog *dialog, const gchar *response, Request *request)
{
  DefuseWindow *self = request->self;
  g_autofree gchar *id = df_device_get_id (request->device);
  gpointer tool = g_object_get_data (G_OBJECT (request->refused), TOOL_KEY);
  DfPlanOptions options;
  DefuseFlashTask *task;

  if (g_strcmp0 (response, "yes") != 0 || g_hash_table_contains (self->tasks, id) ||
      !g_hash_table_contains (self->rows, id))
    return;
  if (tool != NULL)
    {
      run_tool (self, request->device, GPOINTER_TO_INT (tool) - 1, TRUE);
      return;
    }
  /* an .eep file flashed with Flash: the same file again, with force */
  _defuse_window_plan_options (self, &options);
  task = defuse_flash_task_new (request->device, defuse_flash_task_get_image (request->refused), &options, TRUE,
                                NULL);
  defuse_flash_panel_set_task (self->flash_panel, task);
  _defuse_window_run_task (self, task);
  defuse_window_update_state (self);
}

void
_defuse_window_keyboard_task_finished (DefuseWindow *self, DefuseFlashTask *task)
{
  DfDevice *device = defuse_flash_task_get_device (task);
  Request *request;

  if (!is_keyboard (device) ||
      !g_error_matches (defuse_flash_task_get_error (task), DF_ERROR, DF_ERROR_PROTECTED))
    return;
  request = g_new0 (Request, 1);
  request->self = g_object_ref (self);
  request->device = df_device_ref (device);
  request->refused = g_object_ref (task);
  ask (self, _("Erase the Chip and Write EEPROM?"),
       _("This keyboard’s bootloader, Atmel’s factory one, is locked: it writes the EEPROM only after a chip "
         "erase, and the erase also deletes the keyboard’s firmware. The keyboard then does nothing until you "
         "flash its firmware again. Nothing has been changed yet."),
       _("_Erase and Write"), request, G_CALLBACK (on_erase_response));
}

void
_defuse_window_keyboard_update (DefuseWindow *self)
{
  DfDevice *device = defuse_window_get_selected_device (self);

  defuse_keyboard_panel_set_device (self->keyboard_panel, device);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.keyboard-eeprom",
                                 is_keyboard (device) && !device->permission_denied &&
                                 !g_hash_table_contains (self->tasks, self->selected_id) &&
                                 !defuse_bench_panel_is_armed (self->bench_panel));
}

void
_defuse_window_class_keyboard_init (GtkWidgetClass *widget_class)
{
  g_type_ensure (DEFUSE_TYPE_KEYBOARD_PANEL);
  gtk_widget_class_install_action (widget_class, "win.keyboard-eeprom", "s", keyboard_eeprom_activated);
}
