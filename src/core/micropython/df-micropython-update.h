/* df-micropython-update.h: which release to put on a board.  Stable
 * releases unless previews are asked for, the board's own variant, never
 * older than what it runs unless a version is asked for by name. */
#pragma once

#include "df-micropython-boards.h"
#include "df-micropython-release.h"

G_BEGIN_DECLS

/* The .dfu files of the build among releases (newest first), previews
 * only with preview; a new array of the same releases. */
GPtrArray   *df_mp_releases_for_build (GPtrArray *releases, const DfMpBuild *build, gboolean preview);

typedef enum {
  DF_MP_UPDATE_NEWER,     /* the release is newer than what runs (or that is unknown) */
  DF_MP_UPDATE_CURRENT,   /* the board runs it already, or something newer */
  DF_MP_UPDATE_ASKED,     /* the version asked for by name, older or not */
} DfMpUpdateKind;

/* The release to install on a board of build that runs the version
 * running (NULL: unknown): version when given (any channel), else the
 * newest of the channel.  NULL with DF_ERROR_NOT_FOUND when there is no
 * such file; kind says whether it is an update at all. */
DfMpRelease *df_mp_choose_release (GPtrArray *releases, const DfMpBuild *build, const gchar *running,
                                   gboolean preview, const gchar *version, DfMpUpdateKind *kind, GError **error);

G_END_DECLS
