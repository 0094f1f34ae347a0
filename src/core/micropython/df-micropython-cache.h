/* df-micropython-cache.h: downloaded firmware files, kept under
 * $XDG_CACHE_HOME/defuse/firmware/<board>/ by their site names.  A file is
 * written there only whole and checked (a temporary file renamed), so what
 * the cache holds is always usable, and usable offline. */
#pragma once

#include <gio/gio.h>

#include "df-micropython-release.h"

G_BEGIN_DECLS

/* $XDG_CACHE_HOME/defuse/firmware/<board_id> */
gchar     *df_mp_cache_dir (const gchar *board_id);
/* the board's files in the cache, as releases (url NULL, cached set),
 * newest first; never NULL */
GPtrArray *df_mp_cache_list (const gchar *board_id);
/* sets cached on each release the cache holds, and adds the cached files
 * the list lacks; the list ends newest first */
void       df_mp_cache_merge (GPtrArray *releases, const gchar *board_id);
/* Writes bytes as the release's file: into a temporary file beside it,
 * then renamed; on any failure (a full disk) nothing is left behind.
 * Sets release->cached. */
gboolean   df_mp_cache_store (DfMpRelease *release, GBytes *bytes, GError **error);

G_END_DECLS
