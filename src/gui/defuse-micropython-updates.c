/* defuse-micropython-updates.c: MicroPython's releases in the device list.
 *
 * A board running MicroPython gets a row under Switch to DFU Mode.  The
 * site is asked only when the user presses Check, or at plug-in when the
 * check-micropython-releases setting is on.  A newer release of the
 * board's own build is offered as "vX.Y.Z available" with Update: the
 * download, then the window's own flash of the file, which switches the
 * board to DFU mode and keeps its files (defuse-micropython-update.c).  A board whose
 * machine string fits several builds is asked about once, and the answer
 * remembered per serial number.  A board in DFU mode gets Get MicroPython…
 * (defuse-micropython-dialog.c).  The releases found are kept for the
 * window's life: a board back from its update is told it is up to date
 * without asking the site again. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-micropython-build-question.h"
#include "defuse-micropython-dialog.h"
#include "defuse-micropython-updates-private.h"
#include "df-error.h"
#include "df-formats.h"
#include "df-micropython-identify.h"
#include "df-micropython-site.h"
#include "df-micropython-switch.h"
#include "df-micropython-update.h"

struct _DefuseMicroPythonUpdates
{
  GHashTable *boards;    /* device id → Board, while its row is shown */
  GHashTable *releases;  /* board id → GPtrArray of DfMpRelease, as last listed */
  GHashTable *notes;     /* board id → why the site was not used (the cache was) */
  GHashTable *builds_at; /* port path → the build last seen running there */
};

static void start_check (Board *b);

static void
call_clear (gpointer data)
{
  Call *call = data;
  g_object_unref (call->window);
  g_free (call->id);
  g_object_unref (call->cancellable);
}

Call *
mp_call_new (Board *b)
{
  Call *call = g_rc_box_new0 (Call);

  call->window = g_object_ref (b->window);
  call->id = g_strdup (b->id);
  call->cancellable = g_object_ref (b->cancellable);
  return call;
}

void
mp_call_unref (gpointer call)
{
  g_rc_box_release_full (call, call_clear);
}

/* the board the call was for, if it is still shown and this is its latest call */
Board *
mp_call_board (Call *call)
{
  DefuseMicroPythonUpdates *self = call->window->micropython;
  Board *b = self != NULL ? g_hash_table_lookup (self->boards, call->id) : NULL;

  return b != NULL && b->cancellable == call->cancellable ? b : NULL;
}

/* the setting (tests point it at 127.0.0.1) */
static gchar *
site_url (DefuseWindow *window)
{
  gchar *site = g_settings_get_string (window->settings, "micropython-site");

  if (site[0] != '\0')
    return site;
  g_free (site);
  return g_strdup (DF_MP_DEFAULT_SITE);
}

/* "micropython.org", as the site is named in sentences */
static gchar *
site_name (DefuseWindow *window)
{
  g_autofree gchar *site = site_url (window);
  g_autoptr(GUri) uri = g_uri_parse (site, G_URI_FLAGS_NONE, NULL);

  return g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : site);
}

void
mp_board_show (Board *b, const gchar *title, const gchar *subtitle, const gchar *button, const gchar *action,
               gboolean busy)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (b->row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (b->row), subtitle != NULL ? subtitle : "");
  gtk_widget_set_visible (b->button, button != NULL);
  /* a row without a button does nothing when clicked */
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (b->row), button != NULL ? b->button : NULL);
  if (button != NULL)
    {
      gtk_button_set_label (GTK_BUTTON (b->button), button);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b->button), action);
    }
  gtk_widget_set_visible (b->spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (b->spinner), busy);
  gtk_widget_set_visible (b->progress, FALSE);
  gtk_widget_set_visible (b->cancel, busy);
}

/* the row for what is known: the build, the releases listed for it */
void
mp_board_refresh (Board *b)
{
  DefuseMicroPythonUpdates *self = b->window->micropython;
  DfMicroPython *mp = b->device->micropython;
  GPtrArray *releases = b->build != NULL ? g_hash_table_lookup (self->releases, b->build->board->id) : NULL;
  const gchar *note = b->build != NULL ? g_hash_table_lookup (self->notes, b->build->board->id) : NULL;
  g_autofree gchar *where = site_name (b->window);
  g_autofree gchar *name = b->build != NULL ? df_mp_build_to_string (b->build) : NULL;
  g_autofree gchar *title = NULL, *subtitle = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMpRelease) release = NULL;
  DfMpUpdateKind kind;

  g_clear_pointer (&b->newer, df_mp_release_unref);
  if (b->build == NULL && (b->candidates == NULL || b->candidates->len == 0))
    {
      mp_board_show (b, _("MicroPython Updates"),
            _("Defuse does not know which board this is, so it cannot look for its releases."), NULL, NULL, FALSE);
      return;
    }
  if (b->build != NULL && !df_mp_board_check_dfu (b->build->board, &error))
    {
      g_autofree gchar *sentence = defuse_sentence (error->message);
      mp_board_show (b, _("MicroPython Updates"), sentence, NULL, NULL, FALSE);
      return;
    }
  if (releases == NULL)
    {
      /* TRANSLATORS: the site's name, e.g. "micropython.org" */
      subtitle = g_strdup_printf (_("Look on %s for a newer release"), where);
      mp_board_show (b, _("MicroPython Updates"), subtitle, _("_Check"), "win.micropython-check", FALSE);
      return;
    }
  release = df_mp_choose_release (releases, b->build, mp->version, FALSE, NULL, &kind, &error);
  if (release == NULL)
    {
      /* TRANSLATORS: a board's build, e.g. "PYBV11" */
      subtitle = g_strdup_printf (_("There is no stable release of %s."), name);
      mp_board_show (b, _("MicroPython Updates"), subtitle, _("_Check"), "win.micropython-check", FALSE);
      return;
    }
  if (kind == DF_MP_UPDATE_CURRENT)
    {
      /* TRANSLATORS: a version, then the board's build: "v1.25.0 is the newest stable release of PYBV11" */
      subtitle = g_strdup_printf (_("v%s is the newest stable release of %s."), release->version, name);
      mp_board_show (b, _("MicroPython Is Up to Date"), subtitle, NULL, NULL, FALSE);
      return;
    }
  b->newer = g_steal_pointer (&release);
  /* TRANSLATORS: "MicroPython v1.25.0 available" */
  title = g_strdup_printf (_("MicroPython v%s available"), b->newer->version);
  /* where its files are is known: the update flashes at once only a file that keeps them */
  subtitle = mp->fs_end != 0
    /* TRANSLATORS: the version the board runs now */
    ? g_strdup_printf (_("It runs v%s. The update keeps the files on the board."), mp->version)
    : g_strdup_printf (_("It runs v%s."), mp->version);
  if (note != NULL)
    {
      g_autofree gchar *plain = g_steal_pointer (&subtitle);
      subtitle = g_strdup_printf ("%s %s", plain, note);
    }
  mp_board_show (b, title, subtitle, _("_Update"), "win.micropython-update", FALSE);
}

/* ---- which build ---- */

static void
know_build (Board *b, DfMpBuild *build)
{
  g_autofree gchar *name = df_mp_build_to_string (build);

  g_clear_pointer (&b->build, df_mp_build_free);
  b->build = build;
  /* the same board in DFU mode, at the same port, is prefilled in Get MicroPython… */
  if (b->device->path != NULL)
    g_hash_table_insert (b->window->micropython->builds_at, g_strdup (b->device->path), g_steal_pointer (&name));
}

typedef struct {
  DefuseWindow *window;
  gchar        *id;
} BuildQuestion;

static void
build_question_free (gpointer data)
{
  BuildQuestion *q = data;
  g_object_unref (q->window);
  g_free (q->id);
  g_free (q);
}

static void
on_build_chosen (guint chosen, gpointer data)
{
  BuildQuestion *q = data;
  Board *b = q->window->micropython != NULL ? g_hash_table_lookup (q->window->micropython->boards, q->id) : NULL;
  g_autoptr(GError) error = NULL;
  DfMpBuild *build;

  if (b == NULL || b->candidates == NULL || chosen >= b->candidates->len)
    return;
  build = g_ptr_array_index (b->candidates, chosen);
  know_build (b, df_mp_build_new (build->board, build->variant));
  /* a board without a serial number cannot be told apart: asked again next time */
  if (b->device->serial != NULL && !df_micropython_remember_build (b->device->serial, b->build, &error))
    defuse_window_toast (b->window, error->message);
  start_check (b);
}

/* its machine string fits several builds: which one, asked once */
static void
ask_build (Board *b)
{
  BuildQuestion *q = g_new0 (BuildQuestion, 1);

  q->window = g_object_ref (b->window);
  q->id = g_strdup (b->id);
  defuse_micropython_ask_build (GTK_WINDOW (b->window), b->device->micropython, b->candidates, on_build_chosen, q,
                                build_question_free);
}

/* ---- check ---- */

static void
on_listed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) site_error = NULL, error = NULL;
  g_autoptr(GPtrArray) releases = df_mp_site_list_finish (result, &site_error, &error);
  Board *b = mp_call_board (data);
  DefuseMicroPythonUpdates *self;

  /* a board still shown keeps the window alive */
  mp_call_unref (data);
  if (b == NULL)
    return;
  self = b->window->micropython;
  g_clear_object (&b->cancellable);
  if (releases == NULL)
    {
      g_autofree gchar *sentence = NULL;
      if (g_error_matches (error, DF_ERROR, DF_ERROR_CANCELLED))
        {
          mp_board_refresh (b);
          return;
        }
      sentence = defuse_sentence (error->message);
      mp_board_show (b, _("Could Not Look for Releases"), sentence, _("_Try Again"), "win.micropython-check", FALSE);
      return;
    }
  g_hash_table_insert (self->releases, g_strdup (b->build->board->id), g_steal_pointer (&releases));
  if (site_error != NULL)
    {
      g_autofree gchar *sentence = defuse_sentence (site_error->message);
      /* TRANSLATORS: the site could not be read (why, a sentence): the files in the cache are offered */
      g_hash_table_insert (self->notes, g_strdup (b->build->board->id),
                           g_strdup_printf (_("Offered from the files already downloaded, as the site could not be "
                                              "read. %s"), sentence));
    }
  else
    g_hash_table_remove (self->notes, b->build->board->id);
  mp_board_refresh (b);
}

static void
start_check (Board *b)
{
  g_autofree gchar *where = site_name (b->window);
  g_autofree gchar *text = NULL, *site = NULL;

  if (b->build == NULL || !df_mp_board_check_dfu (b->build->board, NULL))
    {
      mp_board_refresh (b);
      return;
    }
  if (b->cancellable != NULL)
    g_cancellable_cancel (b->cancellable);
  g_clear_object (&b->cancellable);
  b->cancellable = g_cancellable_new ();
  /* TRANSLATORS: the site's name, e.g. "Looking on micropython.org…" */
  text = g_strdup_printf (_("Looking on %s…"), where);
  mp_board_show (b, _("MicroPython Updates"), text, NULL, NULL, TRUE);
  site = site_url (b->window);
  df_mp_site_list_async (site, b->build->board, b->cancellable, on_listed, mp_call_new (b));
}

Board *
mp_board_for_param (GtkWidget *widget, GVariant *param)
{
  DefuseMicroPythonUpdates *self = DEFUSE_WINDOW (widget)->micropython;
  return self != NULL ? g_hash_table_lookup (self->boards, g_variant_get_string (param, NULL)) : NULL;
}

static void
check_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  Board *b = mp_board_for_param (widget, param);

  if (b == NULL)
    return;
  if (b->build == NULL && b->candidates != NULL && b->candidates->len > 1)
    ask_build (b);
  else
    start_check (b);
}

/* ---- Stop ---- */

static void
cancel_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  Board *b = mp_board_for_param (widget, param);

  if (b != NULL && b->cancellable != NULL)
    g_cancellable_cancel (b->cancellable);
}

/* ---- Get MicroPython… ---- */

/* the build of a board in DFU mode, when Defuse has seen it run MicroPython */
static gchar *
known_build (DefuseWindow *window, DfDevice *device)
{
  DefuseMicroPythonUpdates *self = window->micropython;
  g_autofree gchar *id = df_device_get_id (device);
  Board *b = g_hash_table_lookup (self->boards, id);
  const gchar *seen = device->path != NULL ? g_hash_table_lookup (self->builds_at, device->path) : NULL;

  if (b != NULL && b->build != NULL)
    return df_mp_build_to_string (b->build);
  if (seen != NULL)
    return g_strdup (seen);
  return df_micropython_remembered_build (device->serial);
}

static void
get_activated (GtkWidget *widget, const gchar *action, GVariant *param)
{
  DefuseWindow *window = DEFUSE_WINDOW (widget);
  const gchar *id = g_variant_get_string (param, NULL);
  DefuseDeviceRow *row = id[0] != '\0' ? g_hash_table_lookup (window->rows, id) : NULL;
  DfDevice *device = row != NULL ? defuse_device_row_get_device (row) : defuse_window_get_selected_device (window);
  g_autofree gchar *build = device != NULL ? known_build (window, device) : NULL;
  g_autofree gchar *device_id = device != NULL ? df_device_get_id (device) : NULL;
  g_autofree gchar *site = site_url (window);

  gtk_window_present (GTK_WINDOW (defuse_micropython_dialog_new (window, site, build, device_id)));
}

/* ---- rows ---- */

static void
board_free (gpointer data)
{
  Board *b = data;
  DefuseMicroPythonUpdates *self = b->window->micropython;

  if (b->cancellable != NULL)
    g_cancellable_cancel (b->cancellable);
  if (self != NULL && g_hash_table_lookup (self->boards, b->id) == b)
    g_hash_table_remove (self->boards, b->id);
  g_clear_object (&b->cancellable);
  g_clear_pointer (&b->candidates, g_ptr_array_unref);
  g_clear_pointer (&b->build, df_mp_build_free);
  g_clear_pointer (&b->newer, df_mp_release_unref);
  df_device_unref (b->device);
  g_free (b->id);
  g_free (b);
}

static GtkWidget *
action_row (const gchar *title, const gchar *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

static GtkWidget *
row_button (const gchar *label, const gchar *action, const gchar *id)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", id);
  return button;
}

/* a board running MicroPython: its updates */
static void
attach_updates (DefuseWindow *window, DefuseDeviceRow *device_row, DfDevice *device, const gchar *id)
{
  Board *b = g_new0 (Board, 1);
  g_autoptr(GPtrArray) builds = df_micropython_identify (device->micropython, NULL);

  b->window = window;
  b->id = g_strdup (id);
  b->device = df_device_ref (device);
  b->row = action_row (_("MicroPython Updates"), NULL);
  b->spinner = gtk_spinner_new ();
  b->progress = gtk_progress_bar_new ();
  gtk_widget_set_size_request (b->progress, 64, -1);
  gtk_widget_set_valign (b->progress, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (b->progress, "row-progress");
  gtk_accessible_update_property (GTK_ACCESSIBLE (b->progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Download progress"), -1);
  b->button = row_button (_("_Check"), "win.micropython-check", id);
  b->cancel = gtk_button_new_from_icon_name ("process-stop-symbolic");
  gtk_widget_set_valign (b->cancel, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (b->cancel), "win.micropython-cancel");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (b->cancel), "s", id);
  gtk_widget_add_css_class (b->cancel, "flat");
  gtk_widget_add_css_class (b->cancel, "circular");
  gtk_widget_set_tooltip_text (b->cancel, _("Stop"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (b->cancel), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Stop"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (b->row), b->spinner);
  adw_action_row_add_suffix (ADW_ACTION_ROW (b->row), b->progress);
  adw_action_row_add_suffix (ADW_ACTION_ROW (b->row), b->button);
  adw_action_row_add_suffix (ADW_ACTION_ROW (b->row), b->cancel);
  g_object_set_data_full (G_OBJECT (b->row), "defuse-board", b, board_free);
  g_hash_table_insert (window->micropython->boards, g_strdup (id), b);

  if (builds->len == 1)
    know_build (b, g_ptr_array_steal_index (builds, 0));
  else
    b->candidates = g_ptr_array_ref (builds);
  defuse_device_row_add_action_row (device_row, b->row);
  mp_board_refresh (b);
  /* the site only when the user said so; a board that needs asking first waits for Check */
  if (b->build != NULL && b->newer == NULL && g_settings_get_boolean (window->settings, "check-micropython-releases") &&
      !g_hash_table_contains (window->micropython->releases, b->build->board->id))
    start_check (b);
}

void
_defuse_window_micropython_attach_row (DefuseWindow *self, DefuseDeviceRow *row)
{
  DfDevice *device = defuse_device_row_get_device (row);
  const gchar *id = defuse_device_row_get_id (row);
  GtkWidget *get, *button;

  if (device->mode == DF_DEVICE_MODE_MICROPYTHON && device->micropython != NULL && device->micropython->error == NULL)
    attach_updates (self, row, device, id);
  /* MicroPython's DFU boards are stm32 ones, bootloaders speaking DfuSe */
  if (device->mode != DF_DEVICE_MODE_DFUSE || device->permission_denied)
    return;
  get = action_row (_("MicroPython"), _("Download an official release for this board and open it"));
  button = row_button (_("_Get…"), "win.get-micropython", id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Get MicroPython"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (get), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (get), button);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), get);
}

static void
on_check_setting (GSettings *settings, const gchar *key, DefuseWindow *window)
{
  GHashTableIter iter;
  gpointer b;

  if (!g_settings_get_boolean (settings, key))
    return;
  g_hash_table_iter_init (&iter, window->micropython->boards);
  while (g_hash_table_iter_next (&iter, NULL, &b))
    if (((Board *) b)->build != NULL && ((Board *) b)->cancellable == NULL &&
        !g_hash_table_contains (window->micropython->releases, ((Board *) b)->build->board->id))
      start_check (b);
}

void
_defuse_window_micropython_init (DefuseWindow *self)
{
  g_autoptr(GAction) check = g_settings_create_action (self->settings, "check-micropython-releases");

  self->micropython = g_new0 (DefuseMicroPythonUpdates, 1);
  self->micropython->boards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->micropython->releases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_ptr_array_unref);
  self->micropython->notes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->micropython->builds_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* win.check-micropython-releases: the main menu's check box */
  g_action_map_add_action (G_ACTION_MAP (self), check);
  g_signal_connect_object (self->settings, "changed::check-micropython-releases", G_CALLBACK (on_check_setting),
                           self, 0);
}

void
_defuse_window_micropython_dispose (DefuseWindow *self)
{
  DefuseMicroPythonUpdates *updates = g_steal_pointer (&self->micropython);
  GHashTableIter iter;
  gpointer b;

  if (updates == NULL)
    return;
  /* the rows go later, with the template: they no longer find the tables */
  g_hash_table_iter_init (&iter, updates->boards);
  while (g_hash_table_iter_next (&iter, NULL, &b))
    if (((Board *) b)->cancellable != NULL)
      g_cancellable_cancel (((Board *) b)->cancellable);
  g_hash_table_unref (updates->boards);
  g_hash_table_unref (updates->releases);
  g_hash_table_unref (updates->notes);
  g_hash_table_unref (updates->builds_at);
  g_free (updates);
}

void
_defuse_window_class_micropython_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.micropython-check", "s", check_activated);
  gtk_widget_class_install_action (widget_class, "win.micropython-update", "s", _defuse_micropython_update_activated);
  gtk_widget_class_install_action (widget_class, "win.micropython-cancel", "s", cancel_activated);
  gtk_widget_class_install_action (widget_class, "win.get-micropython", "s", get_activated);
}
