/* defuse-micropython-update.c: the Update button of a MicroPython board's
 * row (defuse-micropython-updates.c offers it): the release's download,
 * with progress and Stop, then the window's own flash of the file when it
 * keeps the board's files, or the file opened when it would not. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-micropython-updates-private.h"
#include "df-error.h"
#include "df-formats.h"
#include "df-micropython-switch.h"

static void
on_download_progress (guint64 received, guint64 total, gpointer data)
{
  Board *b = mp_call_board (data);
  g_autofree gchar *got = g_format_size_full (received, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *all = g_format_size_full (total, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *text = NULL;

  if (b == NULL)
    return;
  if (total > 0)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (b->progress), (gdouble) received / (gdouble) total);
      /* TRANSLATORS: bytes downloaded of the file's size, e.g. "120 KiB of 400 KiB" */
      text = g_strdup_printf (_("%s of %s"), got, all);
    }
  else
    {
      gtk_progress_bar_pulse (GTK_PROGRESS_BAR (b->progress));
      text = g_strdup (got);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (b->row), text);
}

/* the file, checked by the engine: flashed at once when it keeps the
 * board's files; otherwise opened, the verdict saying what it erases */
static void
flash_downloaded (Board *b, const gchar *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = df_image_load_file (path, DF_FORMAT_DFUSE, FALSE, 0, DF_LOAD_NONE, &error);
  DfPlanOptions options;

  df_plan_options_init (&options);
  defuse_flash_panel_get_options (b->window->flash_panel, &options);
  if (image != NULL &&
      df_micropython_filesystem_fate (b->device->micropython, image, options.mass_erase) == DF_FILESYSTEM_KEPT)
    defuse_window_flash_file_on_device (b->window, file, b->id);
  else
    {
      defuse_window_open_file_for_device (b->window, file, b->id);
      defuse_window_toast (b->window, _("This release would not keep the files on the board: see what it erases "
                                        "before flashing it"));
    }
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = df_mp_site_download_finish (result, &error);
  Call *call = data;
  Board *b = mp_call_board (call);

  /* progress queued before the end may still come: the call lives as
   * long as the task (each progress update holds it) */
  g_object_set_data_full (G_OBJECT (result), "defuse-call", call, mp_call_unref);
  if (b == NULL)
    return;
  g_clear_object (&b->cancellable);
  mp_board_refresh (b);
  if (path == NULL)
    {
      g_autofree gchar *sentence = NULL, *text = NULL;
      if (g_error_matches (error, DF_ERROR, DF_ERROR_CANCELLED))
        return;
      sentence = defuse_sentence (error->message);
      /* TRANSLATORS: why the download failed; nothing was flashed */
      text = g_strdup_printf (_("The download failed, nothing was flashed: %s"), sentence);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (b->row), text);
      return;
    }
  flash_downloaded (b, path);
}

void
_defuse_micropython_update_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  Board *b = mp_board_for_param (widget, param);
  g_autofree gchar *title = NULL;
  Call *call;

  /* a flash of it runs already */
  if (b == NULL || b->newer == NULL || g_hash_table_contains (b->window->tasks, b->id))
    return;
  if (b->cancellable != NULL)
    g_cancellable_cancel (b->cancellable);
  g_clear_object (&b->cancellable);
  b->cancellable = g_cancellable_new ();
  /* TRANSLATORS: "Downloading MicroPython v1.25.0…" */
  title = g_strdup_printf (_("Downloading MicroPython v%s…"), b->newer->version);
  mp_board_show (b, title, NULL, NULL, NULL, FALSE);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (b->progress), 0);
  gtk_widget_set_visible (b->progress, TRUE);
  gtk_widget_set_visible (b->cancel, TRUE);
  call = mp_call_new (b);
  df_mp_site_download_async (b->newer, b->build->board, on_download_progress, call, b->cancellable,
                             on_downloaded, call);
}
