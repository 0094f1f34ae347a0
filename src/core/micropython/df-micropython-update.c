/* df-micropython-update.c: choosing the release. */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-micropython-update.h"

GPtrArray *
df_mp_releases_for_build (GPtrArray *releases, const DfMpBuild *build, gboolean preview)
{
  GPtrArray *fit = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_release_unref);

  for (guint i = 0; i < releases->len; i++)
    {
      DfMpRelease *release = g_ptr_array_index (releases, i);
      /* DfuSe files only: what the checks and the DFU bootloader take */
      if (g_strcmp0 (release->ext, "dfu") == 0 && g_strcmp0 (release->board, build->board->id) == 0 &&
          g_strcmp0 (release->variant, build->variant) == 0 && (preview || !release->preview))
        g_ptr_array_add (fit, df_mp_release_ref (release));
    }
  return fit;
}

DfMpRelease *
df_mp_choose_release (GPtrArray *releases, const DfMpBuild *build, const gchar *running, gboolean preview,
                      const gchar *version, DfMpUpdateKind *kind, GError **error)
{
  g_autoptr(GPtrArray) fit = df_mp_releases_for_build (releases, build, preview || version != NULL);
  g_autofree gchar *name = df_mp_build_to_string (build);
  DfMpRelease *chosen = NULL;
  gboolean known;

  for (guint i = 0; i < fit->len && chosen == NULL; i++)
    {
      DfMpRelease *release = g_ptr_array_index (fit, i);
      /* "1.25.0" and "v1.25.0" alike */
      if (version == NULL || (df_mp_version_compare (release->version, version, &known) == 0 && known &&
                              g_str_has_suffix (release->version, version[0] == 'v' ? version + 1 : version)))
        chosen = release;
    }
  if (chosen == NULL)
    {
      if (version != NULL)
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("there is no MicroPython v%s for %s"),
                     version[0] == 'v' ? version + 1 : version, name);
      else if (preview)
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("there is no MicroPython release for %s, stable or preview"),
                     name);
      else
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                     _("there is no stable MicroPython release for %s (--preview looks at previews too)"), name);
      return NULL;
    }
  if (version != NULL)
    *kind = DF_MP_UPDATE_ASKED;
  else if (running != NULL && df_mp_version_compare (chosen->version, running, &known) <= 0 && known)
    *kind = DF_MP_UPDATE_CURRENT;
  else
    *kind = DF_MP_UPDATE_NEWER;
  return df_mp_release_ref (chosen);
}
