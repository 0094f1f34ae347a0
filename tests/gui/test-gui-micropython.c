/* test-gui-micropython.c: MicroPython's releases in the window (issue 22).
 * The site is a SoupServer of this process on 127.0.0.1 serving pages in
 * micropython.org's shape (board page linking /resources/firmware/<file>):
 * real HTTP, fetched by the engine's own libsoup sessions on its worker
 * threads while the test iterates the main loop the server runs in.  The
 * board is defuse-sim's pyboard (run by tests/gui/meson.build), running
 * MicroPython v1.24.1, whose machine string fits five builds.  Cache and
 * remembered answers live in a folder of the test's own. */
#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "df-formats.h"
#include "df-micropython-identify.h"
#include "df-usb.h"
#include "gui-sim-util.h"
#include "defuse-micropython-dialog.h"
#include "defuse-window-private.h"

#define PYB "PYBv1.1 with STM32F405RG"
#define FS_START 0x4000      /* the pyboard's files: 0x08004000-0x0801ffff */
#define FS_END   0x20000
#define NEWEST   "PYBV11-20250415-v1.25.0.dfu"

/* ---- the site ---- */

typedef struct {
  SoupServer *server;
  GHashTable *files;     /* name → GBytes */
  guint       requests;
  gchar      *url;
} Site;

static void
on_request (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query, gpointer data)
{
  Site *site = data;
  GBytes *file;

  site->requests++;
  if (g_strcmp0 (path, "/download/PYBV11/") == 0)
    {
      g_autoptr(GString) page = g_string_new ("<!DOCTYPE html><html><body><h1>PYBV11</h1>\n");
      GHashTableIter iter;
      gpointer name;

      g_hash_table_iter_init (&iter, site->files);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        g_string_append_printf (page, "<a href=\"/resources/firmware/%s\">[.dfu]</a><br>\n", (gchar *) name);
      g_string_append (page, "</body></html>\n");
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "text/html", SOUP_MEMORY_COPY, page->str, page->len);
      return;
    }
  if (g_str_has_prefix (path, "/resources/firmware/") &&
      (file = g_hash_table_lookup (site->files, path + strlen ("/resources/firmware/"))) != NULL)
    {
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (file, NULL), g_bytes_get_size (file));
      return;
    }
  soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
}

/* a pyboard build as MicroPython's stm32 port lays it out, its banner in
 * flash, as dfu.py packs it (0483:df11); part1 (may be NULL) gets the
 * element at 0x08020000 */
static GBytes *
pyboard_firmware (const gchar *version, const gchar *date, GBytes **part1)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, "pyboard.dfu");
  DfTarget *target = df_image_add_target (image, 0, "Internal Flash");
  g_autofree gchar *banner = g_strdup_printf ("MicroPython v%s on %s; " PYB, version, date);
  g_autofree guint8 *a = g_malloc (14776), *b = g_malloc (120000);
  g_autoptr(GBytes) first = NULL, second = NULL;
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;
  GBytes *bytes;

  for (gsize i = 0; i < 14776; i++)
    a[i] = (guint8) (i * 7 + 3);
  for (gsize i = 0; i < 120000; i++)
    b[i] = (guint8) (i * 13 + strlen (version));
  memcpy (b + 4096, banner, strlen (banner) + 1);
  first = g_bytes_new (a, 14776);
  second = g_bytes_new (b, 120000);
  df_target_add_segment (target, 0x08000000, first);
  df_target_add_segment (target, 0x08020000, second);
  df_write_options_init (&options);
  options.vid = 0x0483;
  options.pid = 0xdf11;
  bytes = df_dfuse_write (image, &options, &error);
  g_assert_no_error (error);
  if (part1 != NULL)
    *part1 = g_bytes_ref (second);
  return bytes;
}

static Site *
site_new (GBytes **newest_part1)
{
  Site *site = g_new0 (Site, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  site->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  g_hash_table_insert (site->files, g_strdup ("PYBV11-20241129-v1.24.1.dfu"),
                       pyboard_firmware ("1.24.1", "2024-11-29", NULL));
  g_hash_table_insert (site->files, g_strdup (NEWEST), pyboard_firmware ("1.25.0", "2025-04-15", newest_part1));
  g_hash_table_insert (site->files, g_strdup ("PYBV11-DP-20250415-v1.25.0.dfu"),
                       pyboard_firmware ("1.25.0", "2025-04-15", NULL));
  g_hash_table_insert (site->files, g_strdup ("PYBV11-20250601-v1.26.0-preview.12.gabcdef012.dfu"),
                       pyboard_firmware ("1.26.0-preview.12.gabcdef012", "2025-06-01", NULL));
  site->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (site->server, NULL, on_request, site, NULL);
  g_assert_true (soup_server_listen_local (site->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (site->server);
  site->url = g_strdup_printf ("http://127.0.0.1:%d/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return site;
}

static void
site_free (Site *site)
{
  soup_server_disconnect (site->server);
  g_object_unref (site->server);
  g_hash_table_unref (site->files);
  g_free (site->url);
  g_free (site);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Site, site_free)

/* ---- helpers ---- */

typedef struct {
  GtkWidget   *widget;
  const gchar *text;
} TextWait;

static gboolean
text_shown (gpointer data)
{
  TextWait *wait = data;
  g_autofree gchar *visible = gui_test_visible_text (wait->widget);
  return strstr (visible, wait->text) != NULL;
}

static void
wait_shows (GtkWidget *widget, const gchar *text)
{
  TextWait wait = { widget, text };
  if (!gui_test_wait (text_shown, &wait, 30000))
    {
      g_autofree gchar *visible = gui_test_visible_text (widget);
      g_error ("“%s” is not shown; the window shows:\n%s", text, visible);
    }
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* the main loop runs (the monitor, the rows, any request) for ms */
static void
run_for (guint ms)
{
  gui_test_wait (never, NULL, ms);
}

static GSettings *
settings_for (const gchar *site, gboolean check)
{
  GSettings *settings = g_settings_new ("io.github.defuse.Defuse");
  g_settings_set_string (settings, "micropython-site", site);
  g_settings_set_boolean (settings, "check-micropython-releases", check);
  return settings;
}

static void
remember_pyboard (void)
{
  g_autoptr(DfMpBuild) build = df_mp_build_parse ("PYBV11", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (df_micropython_remember_build ("3276365C3235", build, &error));
  g_assert_no_error (error);
}

static gchar *
cache_path (const gchar *name)
{
  return g_build_filename (g_get_user_cache_dir (), "defuse", "firmware", "PYBV11", name, NULL);
}

static gboolean
has_task (gpointer data)
{
  return defuse_flash_panel_get_task (((DefuseWindow *) data)->flash_panel) != NULL;
}

static AdwMessageDialog *
wait_for_dialog (void)
{
  for (guint i = 0; i < 100 && gui_test_find_dialog () == NULL; i++)
    run_for (50);
  g_assert_nonnull (gui_test_find_dialog ());
  return gui_test_find_dialog ();
}

/* ---- tests ---- */

/* v1.24.1 to the newest: which board (asked once, remembered), the
 * release found, downloaded into the cache, flashed through the window's
 * flash (the switch included), the files on the board kept */
static void
test_update (void)
{
  g_autoptr(GBytes) part1 = NULL;
  g_autoptr(Site) site = site_new (&part1);
  g_autoptr(GSettings) settings = settings_for (site->url, FALSE);
  DefuseWindow *window = gui_test_window (860);
  g_autofree gchar *cached = cache_path (NEWEST);
  g_autofree gchar *remembered = NULL;
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GBytes) memory = NULL;
  AdwMessageDialog *dialog;
  const guint8 *mem;
  gsize size;

  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  gui_sim_assert_shows (window, "MicroPython v1.24.1 on " PYB);
  wait_shows (GTK_WIDGET (window), "Look on 127.0.0.1 for a newer release");
  g_assert_cmpuint (site->requests, ==, 0);

  /* Check: the machine string fits five builds, the user says which */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.micropython-check", "s",
                              defuse_device_row_get_id (gui_sim_only_row (window)));
  dialog = wait_for_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Which Board Is This?");
  g_assert_cmpuint (site->requests, ==, 0);
  gui_test_screenshot (GTK_WIDGET (dialog), "micropython-which-board");
  {
    g_autofree gchar *choices = gui_test_visible_text (GTK_WIDGET (dialog));
    g_assert_nonnull (strstr (choices, "PYBV11-DP_THREAD"));
    g_assert_nonnull (strstr (choices, "Pyboard v1.1, standard build"));
  }
  adw_message_dialog_response (dialog, "choose");
  remembered = df_micropython_remembered_build ("3276365C3235");
  g_assert_cmpstr (remembered, ==, "PYBV11");

  wait_shows (GTK_WIDGET (window), "MicroPython v1.25.0 available");
  gui_sim_assert_shows (window, "It runs v1.24.1.");
  /* stable only: the preview is not offered */
  gui_sim_assert_not_shown (window, "1.26.0");
  g_assert_cmpuint (site->requests, ==, 1);
  g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));
  gui_test_screenshot (GTK_WIDGET (window), "micropython-update-available");

  /* Update: downloaded, checked, flashed by the window's own flash */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.micropython-update", "s",
                              defuse_device_row_get_id (gui_sim_only_row (window)));
  g_assert_true (gui_test_wait (has_task, window, 30000));
  g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (site->requests, ==, 2);
  g_assert_cmpstr (g_file_peek_path (window->file), ==, cached);
  task = g_object_ref (defuse_flash_panel_get_task (window->flash_panel));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  gui_sim_assert_shows (window, "Now running MicroPython v1.25.0 on " PYB);

  /* back, with _build: known without asking, and up to date without the site */
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  wait_shows (GTK_WIDGET (window), "MicroPython Is Up to Date");
  gui_sim_assert_shows (window, "v1.25.0 is the newest stable release of PYBV11.");
  g_assert_cmpuint (site->requests, ==, 2);

  /* in DFU mode its memory is read: the new firmware, the files as they were */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.detach", "s", defuse_device_row_get_id (gui_sim_only_row (window)));
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  memory = gui_sim_read_memory (defuse_window_get_selected_device (window), 0, 0x08000000, 0x40000);
  mem = g_bytes_get_data (memory, &size);
  g_assert_cmpmem (mem + 0x20000, g_bytes_get_size (part1), g_bytes_get_data (part1, NULL), g_bytes_get_size (part1));
  for (gsize i = FS_START; i < FS_END; i++)
    if (mem[i] != (guint8) (i * 7 + 3))
      g_error ("the board's files changed at 0x%08" G_GSIZE_MODIFIER "x", 0x08000000 + i);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* the site is asked only when the user says so: not at plug-in with the
 * setting off, at once when it is turned on */
static void
test_no_network (void)
{
  g_autoptr(Site) site = site_new (NULL);
  g_autoptr(GSettings) settings = settings_for (site->url, FALSE);
  g_autoptr(GVariant) state = NULL;
  DefuseWindow *window;

  remember_pyboard ();
  window = gui_test_window (860);
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  wait_shows (GTK_WIDGET (window), "Look on 127.0.0.1 for a newer release");
  run_for (1500);
  g_assert_cmpuint (site->requests, ==, 0);
  gui_sim_assert_not_shown (window, "available");

  /* the main menu's check box */
  state = g_action_group_get_action_state (G_ACTION_GROUP (window), "check-micropython-releases");
  g_assert_false (g_variant_get_boolean (state));
  g_action_group_activate_action (G_ACTION_GROUP (window), "check-micropython-releases", NULL);
  g_assert_true (g_settings_get_boolean (settings, "check-micropython-releases"));
  wait_shows (GTK_WIDGET (window), "MicroPython v1.25.0 available");
  g_assert_cmpuint (site->requests, ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a site that cannot be reached: one message in the row; with a file of
 * the board in the cache, that file is offered, and the row says why */
static void
test_offline (void)
{
  g_autoptr(Site) site = site_new (NULL);
  g_autofree gchar *url = g_strdup (site->url);
  g_autoptr(GSettings) settings = NULL;
  g_autofree gchar *cached = cache_path (NEWEST);
  g_autofree gchar *dir = g_path_get_dirname (cached);
  DefuseWindow *window;
  GBytes *file = g_hash_table_lookup (site->files, NEWEST);
  const gchar *id;

  /* the port is closed: nothing listens there any more */
  soup_server_disconnect (site->server);
  settings = settings_for (url, FALSE);
  remember_pyboard ();
  window = gui_test_window (860);
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  id = defuse_device_row_get_id (gui_sim_only_row (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.micropython-check", "s", id);
  wait_shows (GTK_WIDGET (window), "Could Not Look for Releases");
  gui_sim_assert_shows (window, "Could not reach http://127.0.0.1:");
  gui_sim_assert_shows (window, "Try Again");
  gui_test_screenshot (GTK_WIDGET (window), "micropython-offline");

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (cached, g_bytes_get_data (file, NULL), (gssize) g_bytes_get_size (file), NULL));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.micropython-check", "s", id);
  wait_shows (GTK_WIDGET (window), "MicroPython v1.25.0 available");
  gui_sim_assert_shows (window, "Offered from the files already downloaded, as the site could not be read. Could not "
                                "reach http://127.0.0.1:");
  gtk_window_destroy (GTK_WINDOW (window));
}

static DefuseMicroPythonDialog *
find_get_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (DEFUSE_IS_MICROPYTHON_DIALOG (l->data))
      return l->data;
  return NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  return find_get_dialog () == NULL;
}

static gpointer
dialog_child (gpointer dialog, const gchar *id)
{
  return gtk_widget_get_template_child (dialog, DEFUSE_TYPE_MICROPYTHON_DIALOG, id);
}

static const gchar *
combo_text (gpointer dialog, const gchar *id)
{
  AdwComboRow *row = dialog_child (dialog, id);
  GtkStringObject *item = adw_combo_row_get_selected_item (row);
  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

/* a board in DFU mode: Get MicroPython… prefilled with the board Defuse
 * knows it to be, its versions from the site, the file downloaded and
 * opened in the window */
static void
test_get_dialog (void)
{
  g_autoptr(Site) site = site_new (NULL);
  g_autoptr(GSettings) settings = settings_for (site->url, FALSE);
  g_autofree gchar *cached = cache_path (NEWEST);
  DefuseMicroPythonDialog *dialog;
  DefuseWindow *window;
  GtkSwitch *preview;

  remember_pyboard ();
  window = gui_test_window (860);
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_MICROPYTHON);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.detach", "s", defuse_device_row_get_id (gui_sim_only_row (window)));
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_DFUSE);
  g_assert_cmpuint (site->requests, ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.get-micropython", "s",
                              defuse_device_row_get_id (gui_sim_only_row (window)));
  dialog = find_get_dialog ();
  g_assert_nonnull (dialog);
  wait_shows (GTK_WIDGET (dialog), "v1.25.0 · 2025-04-15");
  g_assert_cmpuint (site->requests, ==, 1);
  g_assert_cmpstr (combo_text (dialog, "board_row"), ==, "Pyboard v1.1 (PYBV11)");
  g_assert_cmpstr (combo_text (dialog, "variant_row"), ==, "Standard");
  g_assert_cmpstr (combo_text (dialog, "version_row"), ==, "v1.25.0 · 2025-04-15");
  gui_test_screenshot (GTK_WIDGET (dialog), "micropython-get-dialog");

  /* previews behind their switch */
  preview = dialog_child (dialog, "preview_switch");
  gtk_switch_set_active (preview, TRUE);
  g_assert_cmpstr (combo_text (dialog, "version_row"), ==, "v1.26.0-preview.12.gabcdef012 · 2025-06-01");
  gtk_switch_set_active (preview, FALSE);
  g_assert_cmpstr (combo_text (dialog, "version_row"), ==, "v1.25.0 · 2025-04-15");

  gtk_widget_activate (dialog_child (dialog, "get_button"));
  g_assert_true (gui_test_wait (dialog_gone, NULL, 30000));
  g_assert_cmpuint (site->requests, ==, 2);
  g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));
  wait_shows (GTK_WIDGET (window), "Fits This Board");
  g_assert_cmpstr (g_file_peek_path (window->file), ==, cached);
  g_assert_cmpstr (adw_view_switcher_title_get_title (window->window_title), ==, NEWEST);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  /* a cache and remembered boards of this run only (read once by GLib) */
  g_autofree gchar *home = g_dir_make_tmp ("defuse-gui-mp-XXXXXX", NULL);
  g_autofree gchar *cache = g_build_filename (home, "cache", NULL);
  g_autofree gchar *config = g_build_filename (home, "config", NULL);

  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  /* loopback, never through a proxy */
  g_unsetenv ("http_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("all_proxy");
  g_unsetenv ("ALL_PROXY");
  gui_sim_init (&argc, &argv);

  g_test_add_func ("/gui/micropython/update", test_update);
  g_test_add_func ("/gui/micropython/no-network", test_no_network);
  g_test_add_func ("/gui/micropython/offline", test_offline);
  g_test_add_func ("/gui/micropython/get-dialog", test_get_dialog);
  return g_test_run ();
}
