/* df-micropython-cache.c: the firmware cache. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "df-error.h"
#include "df-micropython-cache.h"

/* temporary files: ".<name>.XXXXXX.part", never taken for a release (a
 * release name starts with the board id) */
#define STALE_SECONDS (24 * 3600)

gchar *
df_mp_cache_dir (const gchar *board_id)
{
  return g_build_filename (g_get_user_cache_dir (), "defuse", "firmware", board_id, NULL);
}

/* a temporary file a killed download left */
static void
remove_if_stale (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  if (name[0] == '.' && g_str_has_suffix (name, ".part") && g_stat (path, &st) == 0 &&
      (gint64) st.st_mtime < g_get_real_time () / G_USEC_PER_SEC - STALE_SECONDS)
    g_unlink (path);
}

GPtrArray *
df_mp_cache_list (const gchar *board_id)
{
  g_autofree gchar *dir_path = df_mp_cache_dir (board_id);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *releases = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_release_unref);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      DfMpRelease *release = df_mp_release_parse_name (board_id, name);
      if (release == NULL)
        {
          remove_if_stale (dir_path, name);
          continue;
        }
      release->cached = g_build_filename (dir_path, name, NULL);
      g_ptr_array_add (releases, release);
    }
  g_ptr_array_sort (releases, df_mp_release_compare_newest_first);
  return releases;
}

void
df_mp_cache_merge (GPtrArray *releases, const gchar *board_id)
{
  g_autoptr(GPtrArray) cached = df_mp_cache_list (board_id);

  for (guint c = 0; c < cached->len; c++)
    {
      DfMpRelease *file = g_ptr_array_index (cached, c);
      gboolean listed = FALSE;

      for (guint i = 0; i < releases->len && !listed; i++)
        {
          DfMpRelease *release = g_ptr_array_index (releases, i);
          if (g_strcmp0 (release->file_name, file->file_name) == 0)
            {
              g_free (release->cached);
              release->cached = g_strdup (file->cached);
              listed = TRUE;
            }
        }
      if (!listed)
        g_ptr_array_add (releases, df_mp_release_ref (file));
    }
  g_ptr_array_sort (releases, df_mp_release_compare_newest_first);
}

static gboolean
write_all (gint fd, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

gboolean
df_mp_cache_store (DfMpRelease *release, GBytes *bytes, GError **error)
{
  g_autofree gchar *dir = df_mp_cache_dir (release->board);
  g_autofree gchar *path = g_build_filename (dir, release->file_name, NULL);
  g_autofree gchar *temp = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gint fd = -1;
  gint saved = 0;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      saved = errno;
      goto failed;
    }
  temp = g_strdup_printf ("%s/.%s.XXXXXX.part", dir, release->file_name);
  fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      saved = errno;
      g_clear_pointer (&temp, g_free);
      goto failed;
    }
  /* fsync before the rename: after a crash the name holds all or nothing */
  if (!write_all (fd, data, size) || fsync (fd) != 0)
    {
      saved = errno;
      goto failed;
    }
  if (close (fd) != 0)
    {
      fd = -1;
      saved = errno;
      goto failed;
    }
  fd = -1;
  if (g_rename (temp, path) != 0)
    {
      saved = errno;
      goto failed;
    }
  g_free (release->cached);
  release->cached = g_steal_pointer (&path);
  return TRUE;

failed:
  if (fd >= 0)
    close (fd);
  if (temp != NULL)
    g_unlink (temp);
  if (saved == ENOSPC)
    g_set_error (error, DF_ERROR, DF_ERROR_IO,
                 _("could not keep %s in the cache (%s): the disk is full; free some space and try again"),
                 release->file_name, dir);
  else
    g_set_error (error, DF_ERROR, DF_ERROR_IO, _("could not keep %s in the cache (%s): %s"),
                 release->file_name, dir, g_strerror (saved));
  return FALSE;
}
