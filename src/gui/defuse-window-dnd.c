/* defuse-window-dnd.c: files dropped on the window open; a file dropped
 * on a device row opens and offers to flash that device.  Both accept a
 * GFile and a GdkFileList (file managers send text/uri-list, which GTK
 * turns into either); a highlighted zone shows where a drop will land. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-window-private.h"

static GFile *
first_file (const GValue *value)
{
  if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    return g_value_get_object (value);
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));
      GFile *file = files != NULL ? files->data : NULL;
      g_slist_free (files);
      return file;
    }
  return NULL;
}

static GtkDropTarget *
file_drop_target (void)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);

  gtk_drop_target_set_gtypes (target, (GType[]) { GDK_TYPE_FILE_LIST, G_TYPE_FILE }, 2);
  return target;
}

static GdkDragAction
on_window_enter (GtkDropTarget *target, gdouble x, gdouble y, DefuseWindow *self)
{
  gtk_widget_set_visible (self->drop_zone, TRUE);
  return GDK_ACTION_COPY;
}

static void
on_window_leave (GtkDropTarget *target, DefuseWindow *self)
{
  gtk_widget_set_visible (self->drop_zone, FALSE);
}

static gboolean
on_window_drop (GtkDropTarget *target, const GValue *value, gdouble x, gdouble y, DefuseWindow *self)
{
  GFile *file = first_file (value);

  gtk_widget_set_visible (self->drop_zone, FALSE);
  if (file == NULL)
    return FALSE;
  defuse_window_open_file (self, file);
  return TRUE;
}

static gboolean
on_row_drop (GtkDropTarget *target, const GValue *value, gdouble x, gdouble y, DefuseWindow *self)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  GFile *file = first_file (value);

  gtk_widget_set_visible (self->drop_zone, FALSE);
  if (file == NULL || !DEFUSE_IS_DEVICE_ROW (row))
    return FALSE;
  defuse_window_open_file_for_device (self, file, defuse_device_row_get_id (DEFUSE_DEVICE_ROW (row)));
  return TRUE;
}

static GdkDragAction
on_row_enter (GtkDropTarget *target, gdouble x, gdouble y, DefuseWindow *self)
{
  /* the row highlights itself (:drop(active) in defuse.css) */
  gtk_widget_set_visible (self->drop_zone, FALSE);
  return GDK_ACTION_COPY;
}

void
_defuse_window_dnd_attach_row (DefuseWindow *self, DefuseDeviceRow *row)
{
  GtkDropTarget *target = file_drop_target ();

  g_signal_connect_object (target, "enter", G_CALLBACK (on_row_enter), self, 0);
  g_signal_connect_object (target, "drop", G_CALLBACK (on_row_drop), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (row), GTK_EVENT_CONTROLLER (target));
}

void
_defuse_window_dnd_init (DefuseWindow *self)
{
  GtkDropTarget *target = file_drop_target ();

  g_signal_connect_object (target, "enter", G_CALLBACK (on_window_enter), self, 0);
  g_signal_connect_object (target, "leave", G_CALLBACK (on_window_leave), self, 0);
  g_signal_connect_object (target, "drop", G_CALLBACK (on_window_drop), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}
