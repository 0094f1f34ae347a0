/* defuse-window-devices.c: the window's device list: a row per device the
 * monitor reports, which one is selected (the Flash button flashes it),
 * and the page shown when there is none or one may not be opened. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-window-private.h"
#include "df-micropython.h"
#include "df-catalog.h"

DfDevice *
defuse_window_get_selected_device (DefuseWindow *self)
{
  DefuseDeviceRow *row;

  if (self->selected_id == NULL)
    return NULL;
  row = g_hash_table_lookup (self->rows, self->selected_id);
  return row != NULL ? defuse_device_row_get_device (row) : NULL;
}

gboolean
_defuse_window_device_is_flashable (DfDevice *device)
{
  /* a MicroPython board is switched by the flash itself, if it answered */
  return device->mode != DF_DEVICE_MODE_RUNTIME && !device->permission_denied &&
         !(device->micropython != NULL && device->micropython->error != NULL);
}

static void
update_device_page (DefuseWindow *self)
{
  GHashTableIter iter;
  gpointer row;
  gboolean denied = FALSE;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    denied |= defuse_device_row_get_device (row)->permission_denied;
  gtk_widget_set_visible (self->permission_box, denied);
  /* a radio button with nothing to choose from is noise */
  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    gtk_widget_set_visible (GTK_WIDGET (defuse_device_row_get_check (row)), g_hash_table_size (self->rows) > 1);
  gtk_stack_set_visible_child_name (self->device_stack, g_hash_table_size (self->rows) > 0 ? "list" : "empty");
}

void
defuse_window_select_device (DefuseWindow *self, const gchar *id)
{
  DefuseDeviceRow *row = id != NULL ? g_hash_table_lookup (self->rows, id) : NULL;

  if (row != NULL)
    {
      /* the radio button's "toggled" comes back here with the same id */
      gtk_check_button_set_active (defuse_device_row_get_check (row), TRUE);
      if (g_strcmp0 (self->selected_id, id) == 0)
        return;
    }
  g_free (self->selected_id);
  self->selected_id = row != NULL ? g_strdup (id) : NULL;
  defuse_window_update_plan (self);
}

static void
on_row_check_toggled (GtkCheckButton *check, DefuseDeviceRow *row)
{
  DefuseWindow *self = DEFUSE_WINDOW (gtk_widget_get_root (GTK_WIDGET (row)));

  if (self != NULL && gtk_check_button_get_active (check))
    defuse_window_select_device (self, defuse_device_row_get_id (row));
}

/* with nothing selected, the first device that can be flashed */
static void
select_some_device (DefuseWindow *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->device_list));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (DEFUSE_IS_DEVICE_ROW (child) && _defuse_window_device_is_flashable (defuse_device_row_get_device (DEFUSE_DEVICE_ROW (child))))
      {
        defuse_window_select_device (self, defuse_device_row_get_id (DEFUSE_DEVICE_ROW (child)));
        return;
      }
  defuse_window_select_device (self, NULL);
}

void
defuse_window_add_device (DefuseWindow *self, DfDevice *device)
{
  g_autofree gchar *id = df_device_get_id (device);
  DefuseDeviceRow *row, *other = NULL;
  GHashTableIter iter;

  if (g_hash_table_contains (self->rows, id))
    defuse_window_remove_device (self, device);

  row = defuse_device_row_new (device);
  gtk_widget_add_css_class (GTK_WIDGET (row), "device-row");
  g_hash_table_iter_init (&iter, self->rows);
  if (g_hash_table_iter_next (&iter, NULL, (gpointer *) &other))
    gtk_check_button_set_group (defuse_device_row_get_check (row), defuse_device_row_get_check (other));
  gtk_widget_set_sensitive (GTK_WIDGET (defuse_device_row_get_check (row)), _defuse_window_device_is_flashable (device));
  g_signal_connect_object (defuse_device_row_get_check (row), "toggled",
                           G_CALLBACK (on_row_check_toggled), row, 0);
  defuse_device_row_set_task (row, g_hash_table_lookup (self->tasks, id));
  gtk_list_box_append (self->device_list, GTK_WIDGET (row));
  g_hash_table_insert (self->rows, g_strdup (id), row);
  _defuse_window_dnd_attach_row (self, row);
  _defuse_window_micropython_attach_row (self, row);

  update_device_page (self);
  if (g_strcmp0 (self->selected_id, id) == 0)
    {
      /* the device a step found again (win.detach, win.unprotect) before
       * the monitor told of it: its plan, now that it has a row */
      gtk_check_button_set_active (defuse_device_row_get_check (row), TRUE);
      defuse_window_update_plan (self);
    }
  else if (self->selected_id == NULL && _defuse_window_device_is_flashable (device))
    defuse_window_select_device (self, id);
  else
    _defuse_window_actions_update (self);
}

void
defuse_window_remove_device (DefuseWindow *self, DfDevice *device)
{
  g_autofree gchar *id = df_device_get_id (device);
  DefuseDeviceRow *row = g_hash_table_lookup (self->rows, id);

  if (row == NULL)
    return;
  gtk_list_box_remove (self->device_list, GTK_WIDGET (row));
  g_hash_table_remove (self->rows, id);
  update_device_page (self);
  if (g_strcmp0 (self->selected_id, id) == 0)
    {
      g_clear_pointer (&self->selected_id, g_free);
      select_some_device (self);
    }
  else
    _defuse_window_actions_update (self);
}

static void
on_device_added (DfMonitor *monitor, DfDevice *device, DefuseWindow *self)
{
  defuse_window_add_device (self, device);
}

static void
on_device_removed (DfMonitor *monitor, DfDevice *device, DefuseWindow *self)
{
  defuse_window_remove_device (self, device);
}

/* One monitor for all windows: one worker thread watching the bus; the
 * last window to go takes it along. */
static DfMonitor *
get_shared_monitor (gboolean *fresh)
{
  static GWeakRef shared;  /* zero-filled static storage is a valid GWeakRef */
  DfMonitor *monitor = g_weak_ref_get (&shared);

  *fresh = monitor == NULL;
  if (monitor == NULL)
    {
      monitor = df_monitor_new ();
      g_weak_ref_set (&shared, monitor);
    }
  return monitor;
}

/* the empty list helps: for each kind of board the catalog knows
 * (df-catalog.h), how to start its bootloader, folded until asked */
void
_defuse_window_devices_fill_steps (DefuseWindow *self)
{
  GPtrArray *families = df_catalog_get_families ();

  for (guint i = 0; i < families->len; i++)
    {
      DfCatalogEntry *entry = g_ptr_array_index (families, i);
      GtkWidget *row = adw_expander_row_new ();
      GtkWidget *steps = gtk_label_new (entry->steps);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entry->family != NULL ? entry->family : entry->name);
      gtk_label_set_wrap (GTK_LABEL (steps), TRUE);
      gtk_label_set_xalign (GTK_LABEL (steps), 0);
      gtk_label_set_selectable (GTK_LABEL (steps), TRUE);
      gtk_widget_set_margin_start (steps, 12);
      gtk_widget_set_margin_end (steps, 12);
      gtk_widget_set_margin_top (steps, 8);
      gtk_widget_set_margin_bottom (steps, 8);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), steps);
      /* the first, the most common (STM32), open */
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), i == 0);
      gtk_list_box_insert (self->steps_list, row, (gint) i);
    }
}

void
_defuse_window_devices_start_monitor (DefuseWindow *self)
{
  g_autoptr(GError) error = NULL;
  gboolean fresh;

  /* tests add their own devices */
  if (g_getenv ("DEFUSE_NO_MONITOR") != NULL)
    return;
  self->monitor = get_shared_monitor (&fresh);
  g_signal_connect_object (self->monitor, "device-added", G_CALLBACK (on_device_added), self, 0);
  g_signal_connect_object (self->monitor, "device-removed", G_CALLBACK (on_device_removed), self, 0);
  if (!fresh)
    {
      g_autoptr(GPtrArray) devices = df_monitor_get_devices (self->monitor);
      for (guint i = 0; i < devices->len; i++)
        defuse_window_add_device (self, g_ptr_array_index (devices, i));
    }
  else if (!df_monitor_start (self->monitor, &error))
    {
      g_autofree gchar *text = g_strdup_printf (_("Defuse cannot watch the USB bus: %s"), error->message);
      gtk_label_set_text (self->monitor_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->monitor_error_label), TRUE);
    }
}
