/* df-micropython-release.c: firmware file names, versions and the links
 * of a board's download page. */
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-micropython-release.h"

#define FIRMWARE_DIR     "/resources/firmware"
#define FIRMWARE_DIR_LEN ((gint) sizeof FIRMWARE_DIR - 1)
#define VERSION_RE "(\\d+)\\.(\\d+)\\.(\\d+)(?:-preview(?:\\.(\\d+)\\.g([0-9a-f]+))?)?"

DfMpRelease *
df_mp_release_ref (DfMpRelease *release)
{
  g_atomic_int_inc (&release->ref_count);
  return release;
}

void
df_mp_release_unref (DfMpRelease *release)
{
  if (release == NULL || !g_atomic_int_dec_and_test (&release->ref_count))
    return;
  g_free (release->board);
  g_free (release->variant);
  g_free (release->date);
  g_free (release->version);
  g_free (release->ext);
  g_free (release->file_name);
  g_free (release->url);
  g_free (release->cached);
  g_free (release);
}

DfMpRelease *
df_mp_release_parse_name (const gchar *board_id, const gchar *file_name)
{
  g_autofree gchar *escaped = g_regex_escape_string (board_id, -1);
  /* the variant: upper-case letters, digits, "_" (board.json keys) */
  g_autofree gchar *pattern = g_strdup_printf ("^%s(?:-([A-Za-z0-9_]+))?-(\\d{8})-v(" VERSION_RE ")\\.([a-z0-9]+)$",
                                               escaped);
  g_autoptr(GRegex) regex = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  DfMpRelease *release;
  g_autofree gchar *variant = NULL;

  if (!g_regex_match (regex, file_name, 0, &match))
    return NULL;
  release = g_new0 (DfMpRelease, 1);
  release->ref_count = 1;
  release->board = g_strdup (board_id);
  variant = g_match_info_fetch (match, 1);
  release->variant = variant[0] != '\0' ? g_steal_pointer (&variant) : NULL;
  release->date = g_match_info_fetch (match, 2);
  release->version = g_match_info_fetch (match, 3);
  release->preview = strstr (release->version, "-preview") != NULL;
  release->ext = g_match_info_fetch (match, 9);
  release->file_name = g_strdup (file_name);
  return release;
}

typedef struct {
  guint64  numbers[3];
  gboolean preview;
  gint64   preview_n;   /* -1: "-preview" alone */
} Version;

static gboolean
parse_version (const gchar *text, Version *v)
{
  static GRegex *regex;
  static gsize once;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree gchar *n = NULL;

  if (g_once_init_enter (&once))
    {
      regex = g_regex_new ("^v?" VERSION_RE "$", G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&once, 1);
    }
  if (text == NULL || !g_regex_match (regex, text, 0, &match))
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree gchar *part = g_match_info_fetch (match, (gint) i + 1);
      v->numbers[i] = g_ascii_strtoull (part, NULL, 10);
    }
  v->preview = strstr (text, "-preview") != NULL;
  n = g_match_info_fetch (match, 4);
  v->preview_n = n != NULL && n[0] != '\0' ? (gint64) g_ascii_strtoull (n, NULL, 10) : -1;
  return TRUE;
}

gboolean
df_mp_version_is_valid (const gchar *version)
{
  Version v;
  return parse_version (version, &v);
}

gint
df_mp_version_compare (const gchar *a, const gchar *b, gboolean *valid)
{
  Version va, vb;
  gboolean ok = parse_version (a, &va) && parse_version (b, &vb);

  if (valid != NULL)
    *valid = ok;
  if (!ok)
    return 0;
  for (guint i = 0; i < 3; i++)
    if (va.numbers[i] != vb.numbers[i])
      return va.numbers[i] < vb.numbers[i] ? -1 : 1;
  /* a preview comes before its release */
  if (va.preview != vb.preview)
    return va.preview ? -1 : 1;
  if (!va.preview || va.preview_n < 0 || vb.preview_n < 0 || va.preview_n == vb.preview_n)
    return 0;
  return va.preview_n < vb.preview_n ? -1 : 1;
}

gint
df_mp_release_compare_newest_first (gconstpointer pa, gconstpointer pb)
{
  const DfMpRelease *a = *(DfMpRelease *const *) pa;
  const DfMpRelease *b = *(DfMpRelease *const *) pb;
  gint by_version = df_mp_version_compare (a->version, b->version, NULL);
  gint by_date = g_strcmp0 (a->date, b->date);

  if (by_version != 0)
    return -by_version;
  if (by_date != 0)
    return -by_date;
  if ((a->variant == NULL) != (b->variant == NULL))
    return a->variant == NULL ? -1 : 1;
  if (g_strcmp0 (a->variant, b->variant) != 0)
    return g_strcmp0 (a->variant, b->variant);
  return g_strcmp0 (a->ext, b->ext);
}

GPtrArray *
df_mp_site_parse_board_page (const gchar *html, const gchar *page_url, const gchar *board_id, GError **error)
{
  g_autoptr(GRegex) href = g_regex_new ("href\\s*=\\s*[\"']([^\"'<>]+)[\"']", G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GPtrArray) releases = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_release_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (g_regex_match (href, html, 0, &match); g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree gchar *link = g_match_info_fetch (match, 1);
      g_autofree gchar *absolute = g_uri_resolve_relative (page_url, link, G_URI_FLAGS_NONE, NULL);
      g_autoptr(GUri) uri = absolute != NULL ? g_uri_parse (absolute, G_URI_FLAGS_NONE, NULL) : NULL;
      const gchar *path = uri != NULL ? g_uri_get_path (uri) : NULL;
      const gchar *slash = path != NULL ? strrchr (path, '/') : NULL;
      DfMpRelease *release;

      /* only /resources/firmware/<file>, whatever the markup around it */
      if (slash == NULL || slash - path < FIRMWARE_DIR_LEN ||
          strncmp (slash - FIRMWARE_DIR_LEN, FIRMWARE_DIR, FIRMWARE_DIR_LEN) != 0)
        continue;
      release = df_mp_release_parse_name (board_id, slash + 1);
      if (release == NULL || g_hash_table_contains (seen, release->file_name))
        {
          g_clear_pointer (&release, df_mp_release_unref);
          continue;
        }
      release->url = g_steal_pointer (&absolute);
      g_hash_table_add (seen, release->file_name);
      g_ptr_array_add (releases, release);
    }
  if (releases->len == 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("%s links no firmware file named as MicroPython names them "
                     "(/resources/firmware/%s-YYYYMMDD-vX.Y.Z.dfu): the site has changed, or has no files for "
                     "this board; download the file by hand and flash it with “defuse-cli flash FILE”"),
                   page_url, board_id);
      return NULL;
    }
  g_ptr_array_sort (releases, df_mp_release_compare_newest_first);
  return g_steal_pointer (&releases);
}
