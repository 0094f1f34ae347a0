/* df-micropython-release.h: MicroPython's released firmware files, known
 * by their names: micropython.org links each as
 * /resources/firmware/<ID>[-<VARIANT>]-<YYYYMMDD>-v<version>.<ext>, the
 * version X.Y.Z or X.Y.Z-preview.N.gHASH.  There is no machine-readable
 * index (micropython#8821); mpflash (mpflash/download/from_web.py) follows
 * the links by these names, not by the page's layout, and so does Defuse. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint      ref_count;
  gchar    *board;      /* "PYBV11" */
  gchar    *variant;    /* "DP", NULL for the standard build */
  gchar    *date;       /* "20250415" */
  gchar    *version;    /* "1.25.0" or "1.26.0-preview.123.gabcdef012" */
  gboolean  preview;
  gchar    *ext;        /* "dfu", "hex" */
  gchar    *file_name;  /* "PYBV11-20250415-v1.25.0.dfu" */
  gchar    *url;        /* where the site has it, NULL for a file only in the cache */
  gchar    *cached;     /* its path in the cache, or NULL */
} DfMpRelease;

DfMpRelease *df_mp_release_ref (DfMpRelease *release);
void         df_mp_release_unref (DfMpRelease *release);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMpRelease, df_mp_release_unref)

/* the release a file of board_id is, by its name; NULL if the name is not
 * one (another board's, or another shape) */
DfMpRelease *df_mp_release_parse_name (const gchar *board_id, const gchar *file_name);

/* "1.25.0" < "1.25.1"; "1.26.0-preview.5.gX" < "1.26.0-preview.12.gY" <
 * "1.26.0"; a leading "v" is ignored; "1.26.0-preview" (what a preview
 * build's os.uname().release says) equals every preview of 1.26.0.
 * FALSE in valid when either is not a version. */
gint         df_mp_version_compare (const gchar *a, const gchar *b, gboolean *valid);
gboolean     df_mp_version_is_valid (const gchar *version);

/* newest first: version, then date, then the standard build before variants */
gint         df_mp_release_compare_newest_first (gconstpointer a, gconstpointer b);

/* The board's files linked from its download page (html, as fetched from
 * page_url; links resolved against it), newest first.  An empty list is
 * an error: the page no longer links files by these names, so the site
 * changed shape (DF_ERROR_PROTOCOL, the message says what was looked for). */
GPtrArray   *df_mp_site_parse_board_page (const gchar *html, const gchar *page_url, const gchar *board_id,
                                          GError **error);

G_END_DECLS
