/* df-micropython-identify.c: a running MicroPython's board and variant. */
#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "df-error.h"
#include "df-micropython-identify.h"

#define CHOICES_GROUP_KEY "build"

static gchar *
choices_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "defuse", "micropython-boards.ini", NULL);
}

gchar *
df_micropython_remembered_build (const gchar *serial)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree gchar *path = choices_path ();

  if (serial == NULL || !g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_key_file_get_string (file, serial, CHOICES_GROUP_KEY, NULL);
}

gboolean
df_micropython_remember_build (const gchar *serial, const DfMpBuild *build, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree gchar *path = choices_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (serial != NULL, FALSE);
  g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  if (build != NULL)
    {
      g_autofree gchar *text = df_mp_build_to_string (build);
      g_key_file_set_string (file, serial, CHOICES_GROUP_KEY, text);
    }
  else
    g_key_file_remove_group (file, serial, NULL);
  /* g_key_file_save_to_file writes a temporary file and renames it */
  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_key_file_save_to_file (file, path, &local))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("could not remember the board in %s: %s"), path,
                   local != NULL ? local->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
df_micropython_identify (DfMicroPython *board, const gchar **how)
{
  g_autofree gchar *remembered = df_micropython_remembered_build (board->port != NULL ? board->port->serial : NULL);
  g_autoptr(GPtrArray) by_machine = NULL;
  const gchar *dummy;

  how = how != NULL ? how : &dummy;
  *how = NULL;
  if (board->build != NULL)
    {
      DfMpBuild *build = df_mp_build_parse (board->build, NULL);
      GPtrArray *builds = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_build_free);
      if (build != NULL)
        g_ptr_array_add (builds, build);
      *how = "_build";
      return builds;
    }
  by_machine = df_mp_builds_for_machine (board->machine);
  *how = "machine";
  /* a remembered answer counts while the board still reports a machine
   * string that fits it (another firmware may have been flashed since) */
  for (guint i = 0; remembered != NULL && i < by_machine->len; i++)
    {
      DfMpBuild *build = g_ptr_array_index (by_machine, i);
      g_autofree gchar *text = df_mp_build_to_string (build);
      if (g_strcmp0 (text, remembered) == 0)
        {
          GPtrArray *one = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_build_free);
          g_ptr_array_add (one, g_ptr_array_steal_index (by_machine, i));
          *how = "remembered";
          return one;
        }
    }
  return g_steal_pointer (&by_machine);
}
