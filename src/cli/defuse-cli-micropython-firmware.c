/* defuse-cli micropython: MicroPython's official firmware for a board:
 * "firmware" lists the releases, "download" fetches one into the cache,
 * "update" fetches, switches the board to DFU mode and flashes it keeping
 * its files, "boards" prints the board table.  The network is used only
 * by the first three, and only the site given (--site). */
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defuse-cli.h"
#include "df-error.h"
#include "df-micropython-check.h"
#include "df-micropython-identify.h"
#include "df-micropython-site.h"
#include "df-micropython-switch.h"
#include "df-micropython-update.h"

typedef struct {
  gchar   **selectors;  /* --device */
  gchar    *board;      /* --board ID[-VARIANT] */
  gchar    *version;    /* --version */
  gchar    *site;       /* --site */
  gboolean  preview;
  gboolean  json;
  gboolean  force;
} Options;

static void
options_clear (Options *o)
{
  g_strfreev (o->selectors);
  g_free (o->board);
  g_free (o->version);
  g_free (o->site);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* "PYBV11, PYBV11-DP, ..." */
static gchar *
list_builds (GPtrArray *builds)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < builds->len; i++)
    {
      g_autofree gchar *name = df_mp_build_to_string (g_ptr_array_index (builds, i));
      g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", name);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The build meant: --board, or the board plugged in (identified, or as
 * remembered); board_out gets the board plugged in when one was asked.
 * NULL with an error; several candidates are an error listing them. */
static DfMpBuild *
choose_build (const Options *o, gboolean need_board, DfMicroPython **board_out, GError **error)
{
  g_autoptr(DfMicroPython) board = NULL;
  g_autoptr(GPtrArray) builds = NULL;
  g_autofree gchar *names = NULL;
  const gchar *how = NULL;

  if (o->board != NULL && !need_board)
    return df_mp_build_parse (o->board, error);
  board = cli_micropython_choose ((const gchar *const *) o->selectors, error);
  if (board == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                     o->selectors != NULL ? _("no MicroPython board matches --device")
                                          : _("no board running MicroPython is plugged in; name one with --board ID"));
      return NULL;
    }
  if (o->board != NULL)
    {
      DfMpBuild *build = df_mp_build_parse (o->board, error);
      /* the user's answer, for the next time (a board without a serial
       * number cannot be told apart: nothing is remembered) */
      if (build != NULL && board->port->serial != NULL &&
          !df_micropython_remember_build (board->port->serial, build, error))
        g_clear_pointer (&build, df_mp_build_free);
      if (build != NULL && board_out != NULL)
        *board_out = g_steal_pointer (&board);
      return build;
    }
  builds = df_micropython_identify (board, &how);
  if (builds->len == 1)
    {
      if (board_out != NULL)
        *board_out = g_steal_pointer (&board);
      return g_ptr_array_steal_index (builds, 0);
    }
  if (builds->len == 0)
    {
      if (g_strcmp0 (how, "_build") == 0)
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                     _("the board reports build “%s”, which is not in Defuse's board table (MicroPython %s); "
                       "name it with --board ID"), board->build, df_mp_board_table_version ());
      else
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                     _("no board in Defuse's table (MicroPython %s) is a “%s”; name it with --board ID"),
                     df_mp_board_table_version (), board->machine);
      return NULL;
    }
  names = list_builds (builds);
  g_set_error (error, DF_ERROR, DF_ERROR_AMBIGUOUS,
               _("“%s” (MicroPython v%s, which does not say its build) may be any of: %s; "
                 "say which with --board (Defuse remembers it for this board)"),
               board->machine, board->version, names);
  return NULL;
}

/* The build's releases (.dfu, the channel asked) on the site, or in the
 * cache when the site cannot be read, which is said; NULL with the
 * site's error when the cache has none of them either. */
static GPtrArray *
list_releases (const Options *o, DfMpBuild *build, gboolean preview, GError **error)
{
  g_autoptr(GError) site_error = NULL;
  g_autoptr(GPtrArray) releases = NULL;
  g_autoptr(GPtrArray) fit = NULL;

  if (!df_mp_board_check_dfu (build->board, error))
    return NULL;
  releases = df_mp_site_list (o->site, build->board, &site_error, NULL, error);
  if (releases == NULL)
    return NULL;
  fit = df_mp_releases_for_build (releases, build, preview);
  if (site_error != NULL && fit->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&site_error));
      return NULL;
    }
  if (site_error != NULL)
    /* TRANSLATORS: the site could not be read (why); the list is what the cache holds */
    g_printerr (_("%s; showing the files already in the cache.\n"), site_error->message);
  return g_steal_pointer (&fit);
}

static int
fail (const GError *error)
{
  cli_error ("%s", error->message);
  return cli_exit_for_error (error);
}

static gboolean
parse (int *argc, char ***argv, const gchar *summary, const GOptionEntry *extra, Options *o)
{
  const GOptionEntry entries[] = {
    { "board", 'b', 0, G_OPTION_ARG_STRING, &o->board, N_("The board: ID or ID-VARIANT, as micropython.org names it"), N_("ID") },
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &o->selectors, N_("The board plugged in: serial port, port path, serial number or VID:PID"), N_("SEL") },
    { "preview", 0, 0, G_OPTION_ARG_NONE, &o->preview, N_("Include preview (nightly) builds"), NULL },
    { "site", 0, 0, G_OPTION_ARG_STRING, &o->site, N_("The download site (default https://micropython.org/)"), N_("URL") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (extra != NULL)
    g_option_context_add_main_entries (context, extra, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, argc, argv))
    return FALSE;
  if (*argc > 1)
    {
      cli_error (_("unexpected argument “%s” (see --help)"), (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

/* --- firmware --- */

static void
print_releases_json (DfMpBuild *build, GPtrArray *releases)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree gchar *name = df_mp_build_to_string (build);

  json_builder_begin_object (builder);
  cli_json_string (builder, "board", build->board->id);
  cli_json_string (builder, "variant", build->variant);
  cli_json_string (builder, "build", name);
  json_builder_set_member_name (builder, "releases");
  json_builder_begin_array (builder);
  for (guint i = 0; i < releases->len; i++)
    {
      DfMpRelease *release = g_ptr_array_index (releases, i);
      json_builder_begin_object (builder);
      cli_json_string (builder, "version", release->version);
      cli_json_string (builder, "date", release->date);
      cli_json_bool (builder, "preview", release->preview);
      cli_json_string (builder, "file", release->file_name);
      cli_json_string (builder, "url", release->url);
      cli_json_string (builder, "cached", release->cached);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  cli_json_print (builder, FALSE);
}

static int
firmware (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  const GOptionEntry extra[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("Print JSON"), NULL },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMpBuild) build = NULL;
  g_autoptr(GPtrArray) fit = NULL;
  g_autofree gchar *name = NULL;
  gint width = 0;

  if (!parse (&argc, &argv, _("List MicroPython's releases for a board, newest first."), extra, &o))
    return CLI_EXIT_USAGE;
  build = choose_build (&o, FALSE, NULL, &error);
  if (build == NULL || (fit = list_releases (&o, build, o.preview, &error)) == NULL)
    return fail (error);
  if (o.json)
    {
      print_releases_json (build, fit);
      return CLI_EXIT_OK;
    }
  name = df_mp_build_to_string (build);
  if (fit->len == 0)
    {
      if (o.preview)
        printf (_("No release of %s, stable or preview\n"), name);
      else
        printf (_("No stable release of %s (--preview shows previews)\n"), name);
      return CLI_EXIT_OK;
    }
  for (guint i = 0; i < fit->len; i++)
    width = MAX (width, (gint) strlen (((DfMpRelease *) g_ptr_array_index (fit, i))->version));
  for (guint i = 0; i < fit->len; i++)
    {
      DfMpRelease *release = g_ptr_array_index (fit, i);
      printf ("v%-*s  %.4s-%.2s-%.2s  %s%s\n", width, release->version, release->date, release->date + 4,
              release->date + 6, release->file_name, release->cached != NULL ? _("  (cached)") : "");
    }
  return CLI_EXIT_OK;
}

/* --- download --- */

typedef struct {
  gboolean      tty;
  guint64       shown;
  GMainLoop    *loop;
  GCancellable *cancellable;
  gchar        *path;
  GError       *error;
} DownloadProgress;

static void
on_download_progress (guint64 received, guint64 total, gpointer user_data)
{
  DownloadProgress *p = user_data;

  if (!p->tty || (received - p->shown < 65536 && received != total))
    return;
  p->shown = received;
  if (total > 0)
    g_printerr ("\r%s %3u%%", _("Downloading"), (guint) (received * 100 / total));
  else
    g_printerr ("\r%s %" G_GUINT64_FORMAT " KiB", _("Downloading"), received / 1024);
}

static void
on_downloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DownloadProgress *p = user_data;

  p->path = df_mp_site_download_finish (result, &p->error);
  g_main_loop_quit (p->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* on a worker thread, as the window does it; Ctrl+C cancels */
static gchar *
download_file (DfMpRelease *release, DfMpBoard *board, GError **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  DownloadProgress progress = { isatty (fileno (stderr)), 0, loop, cancellable, NULL, NULL };
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, cancellable);

  df_mp_site_download_async (release, board, on_download_progress, &progress, cancellable, on_downloaded, &progress);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  if (progress.tty && progress.shown > 0)
    g_printerr ("\n");
  if (progress.error != NULL)
    g_propagate_error (error, progress.error);
  return progress.path;
}

/* the file of the release for the build: cached or downloaded, checked */
static gchar *
fetch (const Options *o, DfMpBuild *build, const gchar *running, DfMpRelease **release_out,
       DfMpUpdateKind *kind, GError **error)
{
  g_autoptr(GPtrArray) releases = list_releases (o, build, o->preview || o->version != NULL, error);
  g_autoptr(DfMpRelease) release = NULL;
  gchar *path;

  if (releases == NULL)
    return NULL;
  release = df_mp_choose_release (releases, build, running, o->preview, o->version, kind, error);
  if (release == NULL)
    return NULL;
  if (*kind == DF_MP_UPDATE_CURRENT)
    {
      *release_out = g_steal_pointer (&release);
      return NULL;
    }
  if (release->cached == NULL)
    printf (_("Downloading %s\n"), release->url);
  fflush (stdout);
  path = download_file (release, build->board, error);
  if (path != NULL)
    *release_out = g_steal_pointer (&release);
  return path;
}

static int
download (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  const GOptionEntry extra[] = {
    { "version", 0, 0, G_OPTION_ARG_STRING, &o.version, N_("This version rather than the newest"), N_("X.Y.Z") },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMpBuild) build = NULL;
  g_autoptr(DfMpRelease) release = NULL;
  g_autofree gchar *path = NULL;
  DfMpUpdateKind kind;

  if (!parse (&argc, &argv, _("Download MicroPython's firmware for a board into the cache, checked, and print its path."),
              extra, &o))
    return CLI_EXIT_USAGE;
  build = choose_build (&o, FALSE, NULL, &error);
  if (build == NULL || (path = fetch (&o, build, NULL, &release, &kind, &error)) == NULL)
    return fail (error);
  printf ("%s\n", path);
  return CLI_EXIT_OK;
}

/* --- update --- */

static int
update (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  const GOptionEntry extra[] = {
    { "version", 0, 0, G_OPTION_ARG_STRING, &o.version, N_("This version rather than the newest (may be older)"), N_("X.Y.Z") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &o.force, N_("Flash even if the firmware's banner names another board, or it overwrites the board's files"), NULL },
    { NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMpBuild) build = NULL;
  g_autoptr(DfMicroPython) board = NULL;
  g_autoptr(DfMpRelease) release = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(DfDevice) device = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) df_job_unref);
  g_autofree gchar *path = NULL;
  g_autofree gchar *name = NULL;
  DfMpUpdateKind kind;
  DfPlanOptions options;

  if (!parse (&argc, &argv, _("Update the MicroPython board plugged in to the newest release of its build: download, "
                              "switch to DFU mode, flash keeping its files, and start it."), extra, &o))
    return CLI_EXIT_USAGE;
  build = choose_build (&o, TRUE, &board, &error);
  if (build == NULL)
    return fail (error);
  name = df_mp_build_to_string (build);
  path = fetch (&o, build, board->version, &release, &kind, &error);
  if (path == NULL && error != NULL)
    return fail (error);
  if (kind == DF_MP_UPDATE_CURRENT)
    {
      if (o.preview)
        printf (_("%s runs MicroPython v%s; the newest release of %s, previews included, is v%s: nothing to do\n"),
                board->port->devnode, board->version, name, release->version);
      else
        printf (_("%s runs MicroPython v%s; the newest stable release of %s is v%s: nothing to do\n"),
                board->port->devnode, board->version, name, release->version);
      return CLI_EXIT_OK;
    }
  image = df_image_load_file (path, DF_FORMAT_DFUSE, FALSE, 0, DF_LOAD_NONE, &error);
  if (image == NULL)
    return fail (error);
  /* an update keeps the board's files: a release laid out otherwise is
   * flashed only when the user says so */
  if (df_micropython_filesystem_fate (board, image, FALSE) == DF_FILESYSTEM_OVERWRITTEN && !o.force)
    {
      g_set_error (&error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
                   _("%s would overwrite the board's files (its filesystem at 0x%08x-0x%08x); copy them off the "
                     "board and add --force, or flash it with “defuse-cli flash”"), path, board->fs_start, board->fs_end);
      return fail (error);
    }
  printf (_("MicroPython v%s for %s: %s\n"), release->version, name, path);
  cli_micropython_announce (board, image, FALSE);
  device = df_micropython_to_device (board);
  df_plan_options_init (&options);
  g_ptr_array_add (jobs, df_job_new (device, image, &options));
  df_job_set_force (g_ptr_array_index (jobs, 0), o.force);
  error = cli_run_jobs (jobs, FALSE);
  return error != NULL ? cli_exit_for_error (error) : CLI_EXIT_OK;
}

/* --- boards --- */

static int
boards (int argc, char **argv)
{
  g_auto(Options) o = { 0 };
  g_auto(GStrv) ids = NULL;

  if (!parse (&argc, &argv, _("List the MicroPython boards Defuse knows (MicroPython's board folders)."), NULL, &o))
    return CLI_EXIT_USAGE;
  ids = df_mp_board_list_ids ();
  printf (_("MicroPython %s\n"), df_mp_board_table_version ());
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(DfMpBoard) board = df_mp_board_lookup (ids[i]);
      g_autofree gchar *machine = df_mp_board_machine (board, NULL);
      g_autofree gchar *variants = g_strjoinv (",", board->variants);

      printf ("%-32s %-10s %s%s%s%s\n", board->id, board->port, machine != NULL ? machine : "?",
              variants[0] != '\0' ? "  [" : "", variants, variants[0] != '\0' ? "]" : "");
    }
  return CLI_EXIT_OK;
}

int
cli_micropython (int argc, char **argv)
{
  static const struct {
    const gchar *name;
    int (*run) (int argc, char **argv);
  } commands[] = {
    { "firmware", firmware }, { "download", download }, { "update", update }, { "boards", boards },
  };

  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      if (g_strcmp0 (argv[1], commands[i].name) == 0)
        return commands[i].run (argc - 1, argv + 1);
  g_printerr ("%s\n", _("Usage: defuse-cli micropython firmware|download|update|boards [OPTIONS…]\n"
                        "  firmware  the releases for a board, newest first, and which are cached\n"
                        "  download  the firmware file only, into the cache\n"
                        "  update    download, switch the board to DFU mode, flash keeping its files\n"
                        "  boards    the boards Defuse knows"));
  return argc >= 2 && (g_strcmp0 (argv[1], "--help") == 0 || g_strcmp0 (argv[1], "-h") == 0)
    ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
