/* defuse-window-device-steps.c: the win.detach and win.unprotect actions:
 * USB work on one device that ends with it back on the bus, found again
 * (in DFU mode, or erased and unprotected), on a worker thread. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-window-private.h"

/* the detach and the read-unprotect: each ends with the device back on
 * the bus, found again */
typedef DfDevice *(*DeviceStep) (DfDevice *device, GCancellable *cancellable, GError **error);

static void
device_step_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DeviceStep step = g_object_get_data (G_OBJECT (task), "step");
  g_autoptr(GError) error = NULL;
  DfDevice *device = step (data, cancellable, &error);

  if (device == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, device, (GDestroyNotify) df_device_unref);
}

/* the callback gets the device found again, or the error */
static void
run_device_step (DefuseWindow *self, DfDevice *device, DeviceStep step, GAsyncReadyCallback callback,
                 gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);

  g_object_set_data (G_OBJECT (task), "step", step);
  g_task_set_task_data (task, df_device_ref (device), (GDestroyNotify) df_device_unref);
  g_task_run_in_thread (task, device_step_thread);
}

/* ---- read protection ---- */

static void
on_unprotected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DefuseWindow *self = DEFUSE_WINDOW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfDevice) device = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  self->unprotecting = FALSE;
  if (device == NULL)
    {
      g_autofree gchar *text = g_strdup_printf (_("The read protection was not removed: %s"), error->message);
      defuse_window_toast (self, text);
    }
  else
    {
      defuse_window_toast (self, _("Read protection removed: the chip is blank and can be flashed now"));
      /* the result of the refused flash is over: back to Flash */
      defuse_flash_panel_set_task (self->flash_panel, NULL);
      g_free (self->selected_id);
      self->selected_id = df_device_get_id (device);
    }
  defuse_window_update_plan (self);
}

static void
on_unprotect_response (AdwMessageDialog *dialog, const gchar *response, DefuseWindow *self)
{
  const gchar *id = g_object_get_data (G_OBJECT (dialog), "device-id");
  DefuseDeviceRow *row = g_hash_table_lookup (self->rows, id);

  if (g_strcmp0 (response, "unprotect") != 0 || row == NULL)
    return;
  self->unprotecting = TRUE;
  _defuse_window_actions_update (self);
  defuse_window_toast (self, _("Removing the read protection: the chip erases itself and restarts…"));
  /* the erase and the wait for the chip to come back are USB traffic */
  run_device_step (self, defuse_device_row_get_device (row), df_device_unprotect_and_wait, on_unprotected, NULL);
}

static void
unprotect_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  const gchar *id = g_variant_get_string (param, NULL);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Remove Read Protection?"),
                                   _("The chip erases ALL of its memory to remove the protection: the firmware and "
                                     "everything kept in flash are lost, and cannot be read first. Then it can be "
                                     "flashed again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "unprotect", _("_Erase and Unprotect"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "unprotect", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "device-id", g_strdup (id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_unprotect_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- switch to DFU mode ---- */

static void
on_detached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DefuseWindow *self = DEFUSE_WINDOW (source);
  g_autofree gchar *id = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DfDevice) device = g_task_propagate_pointer (G_TASK (result), &error);
  DefuseDeviceRow *row;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  row = g_hash_table_lookup (self->rows, id);
  if (row != NULL)
    defuse_device_row_set_busy (row, FALSE);
  if (device == NULL)
    {
      g_autofree gchar *text = g_strdup_printf (_("Could not switch to DFU mode: %s"), error->message);
      defuse_window_toast (self, text);
      return;
    }
  /* the monitor shows the DFU-mode device; flash it next */
  g_free (self->selected_id);
  self->selected_id = df_device_get_id (device);
  defuse_window_update_plan (self);
}

static void
detach_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  const gchar *id = g_variant_get_string (param, NULL);
  DefuseDeviceRow *row = g_hash_table_lookup (self->rows, id);

  if (row == NULL)
    return;
  defuse_device_row_set_busy (row, TRUE);
  /* detaching and waiting for the device to come back is USB traffic */
  run_device_step (self, defuse_device_row_get_device (row), df_device_detach_and_wait, on_detached, g_strdup (id));
}

void
_defuse_window_class_device_steps_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.detach", "s", detach_activated);
  gtk_widget_class_install_action (widget_class, "win.unprotect", "s", unprotect_activated);
}
