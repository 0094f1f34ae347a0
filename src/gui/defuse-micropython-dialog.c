/* defuse-micropython-dialog.c: Get MicroPython….  Choosing a board asks
 * the site for its releases (the user opened the dialog for that); the
 * versions shown are the .dfu files of the chosen variant, stable ones
 * unless previews are switched on.  The file is downloaded into the cache,
 * checked there by the engine, and opened in the window. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-inspector.h"
#include "defuse-micropython-dialog.h"
#include "defuse-window-private.h"
#include "df-error.h"
#include "df-micropython-site.h"
#include "df-micropython-update.h"

struct _DefuseMicroPythonDialog
{
  AdwWindow       parent_instance;

  GtkWidget      *cancel_button;
  GtkWidget      *get_button;
  AdwComboRow    *board_row;
  AdwComboRow    *variant_row;
  GtkSwitch      *preview_switch;
  AdwComboRow    *version_row;
  GtkSpinner     *spinner;
  GtkLabel       *status_label;
  GtkProgressBar *progress_bar;

  DefuseWindow   *window;
  gchar          *site;
  gchar          *device_id;
  gchar          *variant_wanted; /* the prefilled variant, until the variants are shown */
  GPtrArray      *boards;         /* of DfMpBoard, as the board row lists them */
  GPtrArray      *releases;       /* of DfMpRelease: the board's, as listed */
  GPtrArray      *shown;          /* of DfMpRelease: the version row's */
  gchar          *note;           /* the site was not used: why */
  GCancellable   *cancellable;    /* the listing or download running */
};

G_DEFINE_FINAL_TYPE (DefuseMicroPythonDialog, defuse_micropython_dialog, ADW_TYPE_WINDOW)

static DfMpBoard *
selected_board (DefuseMicroPythonDialog *self)
{
  guint i = adw_combo_row_get_selected (self->board_row);
  return i < self->boards->len ? g_ptr_array_index (self->boards, i) : NULL;
}

static DfMpRelease *
selected_release (DefuseMicroPythonDialog *self)
{
  guint i = adw_combo_row_get_selected (self->version_row);
  return self->shown != NULL && i < self->shown->len ? g_ptr_array_index (self->shown, i) : NULL;
}

static void
set_status (DefuseMicroPythonDialog *self, const gchar *text, gboolean error, gboolean busy)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
update_get_button (DefuseMicroPythonDialog *self)
{
  gtk_widget_set_sensitive (self->get_button, selected_release (self) != NULL && self->cancellable == NULL);
}

/* the versions of the variant chosen, newest first */
static void
fill_versions (DefuseMicroPythonDialog *self)
{
  DfMpBoard *board = selected_board (self);
  guint v = adw_combo_row_get_selected (self->variant_row);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(DfMpBuild) build = NULL;

  g_clear_pointer (&self->shown, g_ptr_array_unref);
  if (board != NULL && self->releases != NULL)
    {
      /* the first entry is the standard build */
      build = df_mp_build_new (board, v == 0 || v == GTK_INVALID_LIST_POSITION ? NULL : board->variants[v - 1]);
      self->shown = df_mp_releases_for_build (self->releases, build, gtk_switch_get_active (self->preview_switch));
      for (guint i = 0; i < self->shown->len; i++)
        {
          DfMpRelease *release = g_ptr_array_index (self->shown, i);
          g_autofree gchar *text = NULL;
          /* TRANSLATORS: a release in the version list: version, date (YYYYMMDD as the site has it) */
          text = g_strdup_printf (release->cached != NULL ? _("v%s · %.4s-%.2s-%.2s · downloaded")
                                                          : _("v%s · %.4s-%.2s-%.2s"),
                                  release->version, release->date, release->date + 4, release->date + 6);
          gtk_string_list_append (names, text);
        }
    }
  adw_combo_row_set_model (self->version_row, G_LIST_MODEL (names));
  gtk_widget_set_sensitive (GTK_WIDGET (self->version_row), self->shown != NULL && self->shown->len > 0);
  if (self->shown != NULL && self->shown->len == 0)
    set_status (self, gtk_switch_get_active (self->preview_switch)
                        ? _("The site has no firmware file for this variant.")
                        : _("The site has no stable firmware file for this variant: preview builds may have one."),
                FALSE, FALSE);
  else if (self->shown != NULL)
    set_status (self, self->note, FALSE, FALSE);
  update_get_button (self);
}

static void
fill_variants (DefuseMicroPythonDialog *self)
{
  DfMpBoard *board = selected_board (self);
  g_autoptr(GtkStringList) names = gtk_string_list_new ((const gchar *[]) { _("Standard"), NULL });
  guint wanted = 0;

  for (guint i = 0; board != NULL && board->variants[i] != NULL; i++)
    {
      gtk_string_list_append (names, board->variants[i]);
      if (g_strcmp0 (board->variants[i], self->variant_wanted) == 0)
        wanted = i + 1;
    }
  g_clear_pointer (&self->variant_wanted, g_free);
  adw_combo_row_set_model (self->variant_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->variant_row, wanted);
  gtk_widget_set_sensitive (GTK_WIDGET (self->variant_row), g_list_model_get_n_items (G_LIST_MODEL (names)) > 1);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(DefuseMicroPythonDialog) self = data;
  g_autoptr(GError) site_error = NULL, error = NULL;
  g_autoptr(GPtrArray) releases = df_mp_site_list_finish (result, &site_error, &error);

  /* closed, or another board chosen since */
  if (releases == NULL && g_error_matches (error, DF_ERROR, DF_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->note, g_free);
  if (releases == NULL)
    {
      g_autofree gchar *sentence = defuse_sentence (error->message);
      fill_versions (self);
      set_status (self, sentence, TRUE, FALSE);
      return;
    }
  if (site_error != NULL)
    {
      g_autofree gchar *sentence = defuse_sentence (site_error->message);
      /* TRANSLATORS: the site could not be read (why, a sentence): the files in the cache are offered */
      self->note = g_strdup_printf (_("Offered from the files already downloaded, as the site could not be "
                                      "read. %s"), sentence);
    }
  g_clear_pointer (&self->releases, g_ptr_array_unref);
  self->releases = g_steal_pointer (&releases);
  fill_versions (self);
}

static void
cancel_running (DefuseMicroPythonDialog *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
on_board_selected (DefuseMicroPythonDialog *self)
{
  DfMpBoard *board = selected_board (self);
  g_autofree gchar *text = NULL;
  g_autoptr(GUri) uri = g_uri_parse (self->site, G_URI_FLAGS_NONE, NULL);

  cancel_running (self);
  g_clear_pointer (&self->releases, g_ptr_array_unref);
  fill_variants (self);
  fill_versions (self);
  if (board == NULL)
    return;
  /* TRANSLATORS: the site's name, e.g. "Looking on micropython.org…" */
  text = g_strdup_printf (_("Looking on %s…"), uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri)
                                                                                         : self->site);
  set_status (self, text, FALSE, TRUE);
  self->cancellable = g_cancellable_new ();
  df_mp_site_list_async (self->site, board, self->cancellable, on_listed, g_object_ref (self));
}

/* ---- download ---- */

static void
on_progress (guint64 received, guint64 total, gpointer data)
{
  DefuseMicroPythonDialog *self = data;

  /* an update queued before the end or a cancel */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  if (total > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, (gdouble) received / (gdouble) total);
  else
    gtk_progress_bar_pulse (self->progress_bar);
}

static void
set_downloading (DefuseMicroPythonDialog *self, gboolean downloading)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), downloading);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->board_row), !downloading);
  gtk_widget_set_sensitive (GTK_WIDGET (self->variant_row), !downloading);
  gtk_widget_set_sensitive (GTK_WIDGET (self->version_row), !downloading);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preview_switch), !downloading);
  update_get_button (self);
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(DefuseMicroPythonDialog) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = df_mp_site_download_finish (result, &error);
  g_autoptr(GFile) file = NULL;

  /* progress queued before the end may still come: self lives as long as the task */
  g_object_set_data_full (G_OBJECT (result), "defuse-dialog", g_object_ref (self), g_object_unref);
  if (path == NULL && g_error_matches (error, DF_ERROR, DF_ERROR_CANCELLED))
    {
      if (gtk_widget_get_visible (GTK_WIDGET (self)))
        {
          g_clear_object (&self->cancellable);
          set_downloading (self, FALSE);
          set_status (self, _("Download cancelled."), FALSE, FALSE);
        }
      return;
    }
  g_clear_object (&self->cancellable);
  set_downloading (self, FALSE);
  if (path == NULL)
    {
      g_autofree gchar *sentence = defuse_sentence (error->message);
      set_status (self, sentence, TRUE, FALSE);
      return;
    }
  file = g_file_new_for_path (path);
  if (self->device_id != NULL)
    defuse_window_select_device (self->window, self->device_id);
  defuse_window_open_file (self->window, file);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_get_clicked (DefuseMicroPythonDialog *self)
{
  DfMpRelease *release = selected_release (self);
  g_autofree gchar *text = NULL;

  if (release == NULL || self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  set_downloading (self, TRUE);
  /* TRANSLATORS: the file being downloaded */
  text = g_strdup_printf (release->cached != NULL ? _("Checking %s…") : _("Downloading %s…"), release->file_name);
  set_status (self, text, FALSE, FALSE);
  df_mp_site_download_async (release, selected_board (self), on_progress, self, self->cancellable, on_downloaded,
                             g_object_ref (self));
}

/* Cancel stops a download first, then closes */
static void
on_cancel_clicked (DefuseMicroPythonDialog *self)
{
  if (self->cancellable != NULL && gtk_widget_get_visible (GTK_WIDGET (self->progress_bar)))
    {
      cancel_running (self);
      set_downloading (self, FALSE);
      set_status (self, _("Download cancelled."), FALSE, FALSE);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
on_close_request (GtkWindow *window)
{
  cancel_running (DEFUSE_MICROPYTHON_DIALOG (window));
  return FALSE;
}

/* ---- the board list ---- */

static void
fill_boards (DefuseMicroPythonDialog *self, const gchar *build)
{
  g_auto(GStrv) ids = df_mp_board_list_ids ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(DfMpBuild) wanted = build != NULL ? df_mp_build_parse (build, NULL) : NULL;
  guint selected = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      DfMpBoard *board = df_mp_board_lookup (ids[i]);
      g_autofree gchar *text = NULL;

      if (board == NULL || !df_mp_board_check_dfu (board, NULL))
        {
          g_clear_pointer (&board, df_mp_board_unref);
          continue;
        }
      /* TRANSLATORS: a board in the list: its product name, then MicroPython's id, e.g. "Pyboard v1.1 (PYBV11)" */
      text = board->product != NULL ? g_strdup_printf (_("%s (%s)"), board->product, board->id) : g_strdup (board->id);
      if (wanted != NULL && g_strcmp0 (wanted->board->id, board->id) == 0)
        selected = self->boards->len;
      gtk_string_list_append (names, text);
      g_ptr_array_add (self->boards, board);
    }
  self->variant_wanted = wanted != NULL ? g_strdup (wanted->variant) : NULL;
  /* the board Defuse knows, else the first: the combo row always has one
   * selected, and opening the dialog was asking the site */
  g_signal_handlers_block_by_func (self->board_row, on_board_selected, self);
  adw_combo_row_set_model (self->board_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->board_row, selected);
  g_signal_handlers_unblock_by_func (self->board_row, on_board_selected, self);
  on_board_selected (self);
}

static void
defuse_micropython_dialog_dispose (GObject *object)
{
  DefuseMicroPythonDialog *self = DEFUSE_MICROPYTHON_DIALOG (object);

  cancel_running (self);
  g_clear_object (&self->window);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_MICROPYTHON_DIALOG);
  G_OBJECT_CLASS (defuse_micropython_dialog_parent_class)->dispose (object);
}

static void
defuse_micropython_dialog_finalize (GObject *object)
{
  DefuseMicroPythonDialog *self = DEFUSE_MICROPYTHON_DIALOG (object);

  g_free (self->site);
  g_free (self->device_id);
  g_free (self->variant_wanted);
  g_free (self->note);
  g_ptr_array_unref (self->boards);
  g_clear_pointer (&self->releases, g_ptr_array_unref);
  g_clear_pointer (&self->shown, g_ptr_array_unref);
  G_OBJECT_CLASS (defuse_micropython_dialog_parent_class)->finalize (object);
}

static void
defuse_micropython_dialog_class_init (DefuseMicroPythonDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = defuse_micropython_dialog_dispose;
  object_class->finalize = defuse_micropython_dialog_finalize;
  window_class->close_request = on_close_request;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-micropython-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, get_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, board_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, variant_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, preview_switch);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, version_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseMicroPythonDialog, progress_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_board_selected);
  gtk_widget_class_bind_template_callback (widget_class, fill_versions);
  gtk_widget_class_bind_template_callback (widget_class, update_get_button);
  gtk_widget_class_bind_template_callback (widget_class, on_get_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  /* Escape closes, as in any dialog */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
defuse_micropython_dialog_init (DefuseMicroPythonDialog *self)
{
  self->boards = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_board_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}

DefuseMicroPythonDialog *
defuse_micropython_dialog_new (DefuseWindow *window, const gchar *site, const gchar *build, const gchar *device_id)
{
  DefuseMicroPythonDialog *self = g_object_new (DEFUSE_TYPE_MICROPYTHON_DIALOG, "transient-for", window, NULL);

  self->window = g_object_ref (window);
  self->site = g_strdup (site);
  self->device_id = g_strdup (device_id);
  fill_boards (self, build);
  return self;
}
