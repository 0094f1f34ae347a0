/* defuse-failure.c: "Copy Report" and "Save USB Trace" on the failure
 * page.  The report is plain text with one heading per part, in the
 * English words of a bug tracker (the maintainers read it); the log and
 * the error are as the user saw them. */
#include "defuse-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <sys/utsname.h>

#include "defuse-failure.h"
#include "df-error.h"
#include "df-quirks.h"
#include "df-trace.h"
#include "df-usb.h"

static void
add_device (GString *report, DfDevice *device)
{
  g_autofree gchar *what = df_device_describe (device);

  g_string_append_printf (report, "\n## Device\n%s\nbcdDevice 0x%04x, DFU 0x%04x, wTransferSize %u, attributes 0x%02x\n",
                          what, device->bcd_device, device->dfu_version, device->transfer_size,
                          device->attributes);
  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      g_string_append_printf (report, "alt %u: %s\n", alt->alt, alt->name != NULL ? alt->name : "(no name)");
    }
  if (device->quirks == NULL || device->quirks->matches->len == 0)
    g_string_append (report, "quirks: none\n");
  for (guint i = 0; device->quirks != NULL && i < device->quirks->matches->len; i++)
    {
      DfQuirkMatch *match = g_ptr_array_index (device->quirks->matches, i);
      g_string_append_printf (report, "quirk %s (%s): %s, because %s\n",
                              match->entry, match->origin, match->settings, match->reason);
    }
}

gchar *
defuse_failure_report (DefuseFlashTask *task)
{
  GString *report = g_string_new ("# Defuse flash report\n\n## Versions\n");
  const GError *error = defuse_flash_task_get_error (task);
  DfDevice *device = defuse_flash_task_get_device (task);
  DfImage *image = defuse_flash_task_get_image (task);
  g_autofree gchar *os = g_get_os_info (G_OS_INFO_KEY_PRETTY_NAME);
  struct utsname kernel;

  g_string_append_printf (report, "Defuse %s\nlibusb %s\n", PACKAGE_VERSION, df_usb_version ());
  if (uname (&kernel) == 0)
    g_string_append_printf (report, "kernel %s %s %s\n", kernel.sysname, kernel.release, kernel.machine);
  if (os != NULL)
    g_string_append_printf (report, "system %s\n", os);
  add_device (report, device);
  g_string_append_printf (report, "\n## File\n%s\n", image->source);
  /* the log starts with the plan (defuse_flash_task_start) */
  g_string_append_printf (report, "\n## Plan and log\n%s", defuse_flash_task_get_log (task));
  if (error != NULL)
    g_string_append_printf (report, "\n## Error\nkind: %s\n%s\n", df_error_kind (error), error->message);
  return g_string_free (report, FALSE);
}

void
defuse_failure_copy_report (GtkWidget *widget, DefuseFlashTask *task)
{
  g_autofree gchar *report = defuse_failure_report (task);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), report);
}

static guint flashes_running;  /* between trace_begin and trace_end, main thread */

void
defuse_failure_trace_begin (void)
{
  DfTrace *trace = df_trace_get_default ();

  if (trace == NULL)
    {
      trace = df_trace_new_memory ();
      df_trace_set_default (trace);  /* kept until the app exits */
    }
  /* a flash alone starts a fresh trace; several at once share theirs */
  if (flashes_running++ == 0)
    df_trace_clear (trace);
}

void
defuse_failure_trace_end (void)
{
  g_return_if_fail (flashes_running > 0);
  flashes_running--;
}

gboolean
defuse_failure_write_trace (const gchar *path, GError **error)
{
  DfTrace *trace = df_trace_get_default ();

  if (trace == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("no USB trace was recorded"));
      return FALSE;
    }
  return df_trace_save (trace, path, error);
}

static void
on_trace_chosen (GtkNativeDialog *dialog, gint response, gpointer user_data)
{
  g_autoptr(GtkWidget) widget = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree gchar *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!defuse_failure_write_trace (path, &error))
        {
          GtkRoot *root = gtk_widget_get_root (widget);
          GtkWidget *message = adw_message_dialog_new (GTK_WINDOW (root), _("The USB Trace Was Not Saved"),
                                                       error->message);
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (message), "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (message));
        }
    }
  g_object_unref (dialog);
}

void
defuse_failure_save_trace (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Save USB Trace"), GTK_WINDOW (root), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "defuse-usb-trace.pcapng");
  g_signal_connect (chooser, "response", G_CALLBACK (on_trace_chosen), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
