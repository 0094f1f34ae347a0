/* defuse-window-actions.c: the win.* actions: open (Ctrl+O), rescan (F5),
 * flash (Ctrl+Enter), flash-all, cancel, cancel-device, set-address
 * and copy-udev-commands (detach and unprotect: defuse-window-device-steps.c);
 * the confirmation of
 * risky flashes and of a cancel that leaves no firmware; the worker
 * threads they start. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-permission.h"
#include "defuse-window-private.h"

/* ---- open ---- */

static void
on_chooser_response (GtkNativeDialog *chooser, gint response, DefuseWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      defuse_window_open_file (self, file);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
add_filter (GtkFileChooser *chooser, const gchar *name, const gchar * const *patterns)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
open_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  g_autofree gchar *folder = g_settings_get_string (self->settings, "last-folder");
  GtkFileChooserNative *chooser;

  /* native: the file chooser portal works inside Flatpak */
  chooser = gtk_file_chooser_native_new (_("Open Firmware"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  add_filter (GTK_FILE_CHOOSER (chooser), _("Firmware files"),
              (const gchar *[]) { "*.dfu", "*.DFU", "*.hex", "*.HEX", "*.ihex", "*.srec", "*.s19", "*.s28",
                                  "*.s37", "*.mot", "*.elf", "*.ELF", "*.axf", "*.bin", "*.BIN", NULL });
  add_filter (GTK_FILE_CHOOSER (chooser), _("All files"), (const gchar *[]) { "*", NULL });
  if (folder[0] != '\0')
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), dir, NULL);
    }
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- rescan, udev ---- */

static void
rescan_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);

  if (self->monitor != NULL)
    df_monitor_rescan (self->monitor);
}

static void
copy_udev_commands_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  g_autofree gchar *commands = defuse_permission_commands ();

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), commands);
  defuse_window_toast (DEFUSE_WINDOW (widget), _("Commands copied: paste them in a terminal"));
}

/* ---- flash ---- */

static gchar *
backup_path (DfDevice *device)
{
  const gchar *documents = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  g_autofree gchar *dir = g_build_filename (documents != NULL ? documents : g_get_home_dir (),
                                            _("Defuse Backups"), NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree gchar *name = NULL;

  g_mkdir_with_parents (dir, 0700);
  name = g_strdup_printf ("%04x-%04x-%s-%s.dfu", device->vid, device->pid,
                          device->serial != NULL ? device->serial : "noserial", stamp);
  g_strdelimit (name, "/\\:", '_');
  return g_build_filename (dir, name, NULL);
}

/* a Flash All ends with one summary that stays until dismissed; each
 * board's own result is on its row */
static void
count_batch (DefuseWindow *self, DefuseFlashTask *task)
{
  g_autoptr(GString) text = g_string_new (NULL);
  AdwToast *toast;

  switch (defuse_flash_task_get_state (task))
    {
    case DEFUSE_FLASH_SUCCEEDED:
      self->batch_ok++;
      break;
    case DEFUSE_FLASH_CANCELLED:
      self->batch_cancelled++;
      break;
    case DEFUSE_FLASH_FAILED:
    case DEFUSE_FLASH_RUNNING:
    default:
      self->batch_failed++;
      break;
    }
  if (--self->batch_running > 0)
    return;
  /* TRANSLATORS: the summary of Flash All, e.g. "3 boards flashed" */
  g_string_append_printf (text, ngettext ("%u board flashed", "%u boards flashed", self->batch_ok), self->batch_ok);
  if (self->batch_failed > 0)
    /* TRANSLATORS: appended to the summary of Flash All */
    g_string_append_printf (text, ngettext (", %u failed", ", %u failed", self->batch_failed), self->batch_failed);
  if (self->batch_cancelled > 0)
    g_string_append_printf (text, ngettext (", %u cancelled", ", %u cancelled", self->batch_cancelled),
                            self->batch_cancelled);
  toast = adw_toast_new (text->str);
  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  self->batch_ok = self->batch_failed = self->batch_cancelled = 0;
}

static void
on_task_finished (DefuseFlashTask *task, DefuseWindow *self)
{
  g_hash_table_remove (self->tasks, defuse_flash_task_get_device_id (task));
  if (g_object_get_data (G_OBJECT (task), "batch") != NULL)
    count_batch (self, task);
  defuse_window_update_plan (self);
  /* the new plan may have turned Flash Again on: the result keeps the focus */
  if (task == defuse_flash_panel_get_task (self->flash_panel))
    defuse_flash_panel_focus_result (self->flash_panel);
  _defuse_window_keyboard_task_finished (self, task);
}

void
_defuse_window_run_task (DefuseWindow *self, DefuseFlashTask *task)
{
  DefuseDeviceRow *row = g_hash_table_lookup (self->rows, defuse_flash_task_get_device_id (task));

  g_hash_table_insert (self->tasks, g_strdup (defuse_flash_task_get_device_id (task)), task);
  g_signal_connect_object (task, "finished", G_CALLBACK (on_task_finished), self, 0);
  if (row != NULL)
    defuse_device_row_set_task (row, task);
  defuse_flash_task_start (task);
}

static DefuseFlashTask *
start_task (DefuseWindow *self, DfDevice *device, gboolean force)
{
  DfPlanOptions options;
  g_autofree gchar *backup = NULL;
  DefuseFlashTask *task;

  _defuse_window_plan_options (self, &options);
  if (defuse_flash_panel_get_backup (self->flash_panel))
    backup = backup_path (device);
  task = defuse_flash_task_new (device, self->image, &options, force, backup);
  _defuse_window_run_task (self, task);
  return task;
}

/* devices that the file can go to: DFU mode, allowed, no blocking problem */
static GPtrArray *
flashable_devices (DefuseWindow *self, gboolean *mismatch)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);

  *mismatch = FALSE;
  if (self->image == NULL || df_image_has_errors (self->image))
    return devices;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->device_list));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      DfDevice *device;
      DfPlanOptions options;
      g_autoptr(DfPlan) plan = NULL;
      gboolean blocked = FALSE;

      if (!DEFUSE_IS_DEVICE_ROW (child))
        continue;
      device = defuse_device_row_get_device (DEFUSE_DEVICE_ROW (child));
      if (!_defuse_window_device_is_flashable (device) ||
          g_hash_table_contains (self->tasks, defuse_device_row_get_id (DEFUSE_DEVICE_ROW (child))))
        continue;
      _defuse_window_plan_options (self, &options);
      plan = df_plan_new (self->image, device, &options);
      for (guint i = 0; i < plan->problems->len; i++)
        {
          DfPlanProblem *problem = g_ptr_array_index (plan->problems, i);
          blocked |= !problem->overridable;
          *mismatch |= problem->overridable;
        }
      if (!blocked)
        g_ptr_array_add (devices, df_device_ref (device));
    }
  return devices;
}

typedef struct {
  DefuseWindow *self;
  GPtrArray    *devices;
} FlashRequest;

static void
flash_request_free (gpointer data, GClosure *unused)
{
  FlashRequest *request = data;
  g_object_unref (request->self);
  g_ptr_array_unref (request->devices);
  g_free (request);
}

static void
start_request (DefuseWindow *self, GPtrArray *devices, gboolean force)
{
  for (guint i = 0; i < devices->len; i++)
    {
      DefuseFlashTask *task = start_task (self, g_ptr_array_index (devices, i), force);
      /* a single flash shows its progress in the panel, several in their rows */
      if (devices->len == 1)
        defuse_flash_panel_set_task (self->flash_panel, task);
      else
        {
          g_object_set_data (G_OBJECT (task), "batch", GINT_TO_POINTER (TRUE));
          self->batch_running++;
        }
    }
  defuse_window_update_state (self);
}

static void
on_confirm_response (AdwMessageDialog *dialog, const gchar *response, FlashRequest *request)
{
  if (g_strcmp0 (response, "flash") == 0)
    start_request (request->self, request->devices, TRUE);
}

/* Only risky requests are confirmed: a file made for another USB device
 * (the plan's overridable problem) and a mass erase. */
static void
confirm_and_start (DefuseWindow *self, GPtrArray *devices, gboolean mismatch)
{
  DfPlanOptions options;
  g_autoptr(GString) body = g_string_new (NULL);
  FlashRequest *request;
  GtkWidget *dialog;
  const gchar *heading;

  df_plan_options_init (&options);
  defuse_flash_panel_get_options (self->flash_panel, &options);
  if (!mismatch && !options.mass_erase)
    {
      start_request (self, devices, FALSE);
      return;
    }

  if (mismatch)
    {
      g_autofree gchar *ids = defuse_format_usb_id (self->image->suffix.vid, self->image->suffix.pid);
      DfDevice *first = g_ptr_array_index (devices, 0);
      /* TRANSLATORS: the file's USB ids, then the device's */
      g_string_append_printf (body, _("The file says it is for USB device %s, but this device is %04x:%04x. "
                                      "Flashing the wrong firmware can leave a board that only its bootloader can rescue."),
                              ids, first->vid, first->pid);
    }
  if (options.mass_erase)
    {
      if (body->len > 0)
        g_string_append (body, "\n\n");
      g_string_append (body, _("The whole chip is erased first: everything on it that is not in this file is lost, "
                               "including settings and file systems kept in flash."));
    }
  heading = mismatch ? (devices->len > 1 ? _("Flash Firmware Made for Other Devices?")
                                         : _("Flash Firmware Made for Another Device?"))
                     : _("Erase the Whole Chip?");

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body->str);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "flash", options.mass_erase ? _("_Erase and Flash") : _("_Flash Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "flash", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  request = g_new0 (FlashRequest, 1);
  request->self = g_object_ref (self);
  request->devices = g_ptr_array_ref (devices);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_confirm_response), request, flash_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
flash_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  gboolean mismatch = FALSE;

  if (self->plan == NULL)
    return;
  for (guint i = 0; i < self->plan->problems->len; i++)
    {
      DfPlanProblem *problem = g_ptr_array_index (self->plan->problems, i);
      if (!problem->overridable)
        return;
      mismatch = TRUE;
    }
  g_ptr_array_add (devices, df_device_ref (self->plan->device));
  confirm_and_start (self, devices, mismatch);
}

static void
flash_all_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *self = DEFUSE_WINDOW (widget);
  gboolean mismatch;
  g_autoptr(GPtrArray) devices = flashable_devices (self, &mismatch);

  if (devices->len > 0)
    confirm_and_start (self, devices, mismatch);
}

static void
on_offer_response (AdwMessageDialog *dialog, const gchar *response, DefuseWindow *self)
{
  if (g_strcmp0 (response, "flash") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.flash", NULL);
}

/* after a file is dropped on a device row */
void
_defuse_window_offer_flash (DefuseWindow *self, const gchar *device_id)
{
  DfDevice *device;
  g_autofree gchar *name = NULL, *what = NULL;
  GtkWidget *dialog;
  gboolean at_once = self->flash_at_once;

  self->flash_at_once = FALSE;
  if (g_strcmp0 (self->selected_id, device_id) != 0 || self->plan == NULL)
    return;
  device = self->plan->device;
  for (guint i = 0; i < self->plan->problems->len; i++)
    {
      DfPlanProblem *problem = g_ptr_array_index (self->plan->problems, i);
      if (!problem->overridable)
        {
          /* TRANSLATORS: why a dropped file cannot be flashed */
          g_autofree gchar *text = g_strdup_printf (_("This file cannot be flashed to this device: %s"),
                                                    problem->message);
          defuse_window_toast (self, text);
          return;
        }
    }
  /* an update the user asked for: flashed as Flash does it, risky ones confirmed */
  if (at_once)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.flash", NULL);
      return;
    }
  name = g_file_get_basename (self->file);
  what = df_device_describe (device);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Flash This File?"), NULL);
  /* TRANSLATORS: file name, then the device */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), _("Write “%s” to %s?"), name, what);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Not Now"),
                                    "flash", _("_Flash"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "flash", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "flash");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_offer_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- cancel ---- */

static void
on_cancel_response (AdwMessageDialog *dialog, const gchar *response, DefuseFlashTask *task)
{
  if (g_strcmp0 (response, "stop") == 0)
    defuse_flash_task_cancel (task);
}

/* Stopping in the middle of an erase or a write leaves a board without
 * working firmware: that is asked first.  Elsewhere (the switch, a
 * backup, the read-back) it loses nothing and stops at once. */
static void
cancel_task (DefuseWindow *self, DefuseFlashTask *task)
{
  DfPhase phase = defuse_flash_task_get_progress (task)->phase;
  GtkWidget *dialog;

  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_RUNNING)
    return;
  if (phase != DF_PHASE_ERASE && phase != DF_PHASE_WRITE)
    {
      defuse_flash_task_cancel (task);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Stop Flashing?"),
                                   _("The board’s old firmware is already partly erased or overwritten: if you stop "
                                     "now, it will not start until it is flashed again. It stays in DFU mode, "
                                     "ready for that."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Flashing"),
                                    "stop", _("_Stop"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_response), task, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseFlashTask *task = defuse_flash_panel_get_task (DEFUSE_WINDOW (widget)->flash_panel);

  if (task != NULL)
    cancel_task (DEFUSE_WINDOW (widget), task);
}

static void
cancel_device_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseFlashTask *task = g_hash_table_lookup (DEFUSE_WINDOW (widget)->tasks, g_variant_get_string (param, NULL));

  if (task != NULL)
    cancel_task (DEFUSE_WINDOW (widget), task);
}

/* ---- a raw binary's address ---- */

static void
set_address_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  _defuse_window_ask_address (DEFUSE_WINDOW (widget));
}

/* ---- state ---- */

void
_defuse_window_actions_update (DefuseWindow *self)
{
  DefuseFlashTask *shown = defuse_flash_panel_get_task (self->flash_panel);
  gboolean can_flash = self->plan != NULL && self->selected_id != NULL &&
                       !g_hash_table_contains (self->tasks, self->selected_id) &&
                       !self->plan->device->permission_denied;
  gboolean mismatch;
  g_autoptr(GPtrArray) all = flashable_devices (self, &mismatch);

  if (can_flash)
    for (guint i = 0; i < self->plan->problems->len; i++)
      can_flash &= ((DfPlanProblem *) g_ptr_array_index (self->plan->problems, i))->overridable;

  /* while bench mode is armed, it alone flashes */
  can_flash &= !defuse_bench_panel_is_armed (self->bench_panel);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.flash", can_flash);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.flash-all",
                                 all->len >= 2 && !defuse_bench_panel_is_armed (self->bench_panel));
  gtk_widget_set_visible (self->flash_all_button, all->len >= 2);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel",
                                 shown != NULL && defuse_flash_task_get_state (shown) == DEFUSE_FLASH_RUNNING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.rescan", self->monitor != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.unprotect", !self->unprotecting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.set-address",
                                 self->file != NULL && !_defuse_window_is_busy (self));
  _defuse_window_bench_update (self);
  _defuse_window_keyboard_update (self);
}

void
_defuse_window_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_activated);
  gtk_widget_class_install_action (widget_class, "win.rescan", NULL, rescan_activated);
  gtk_widget_class_install_action (widget_class, "win.flash", NULL, flash_activated);
  gtk_widget_class_install_action (widget_class, "win.flash-all", NULL, flash_all_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel-device", "s", cancel_device_activated);
  gtk_widget_class_install_action (widget_class, "win.copy-udev-commands", NULL, copy_udev_commands_activated);
  gtk_widget_class_install_action (widget_class, "win.set-address", NULL, set_address_activated);
  _defuse_window_class_device_steps_init (widget_class);
}
