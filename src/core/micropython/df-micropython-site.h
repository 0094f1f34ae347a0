/* df-micropython-site.h: MicroPython's download site (micropython.org, or
 * any site of the same shape: the base URL is a setting) through libsoup 3,
 * which honours the desktop's proxy settings (its default GProxyResolver).
 * Nothing here is called until the user asks for it.
 *
 * Each function blocks (progress and cancel through the arguments); the
 * _async forms run it on a worker thread for the window. */
#pragma once

#include <gio/gio.h>

#include "df-micropython-boards.h"
#include "df-micropython-release.h"

G_BEGIN_DECLS

#define DF_MP_DEFAULT_SITE "https://micropython.org/"

/* received and total bytes (total 0: the site did not say); called on the
 * thread that downloads */
typedef void (*DfMpProgressFunc) (guint64 received, guint64 total, gpointer user_data);

/* The board's firmware files on the site (<site>download/<ID>/), newest
 * first, those in the cache marked (and cached files the site no longer
 * lists added).  When the site cannot be read (offline, an HTTP error, a
 * page that changed shape) and the cache holds files of the board, those
 * are returned and site_error says why the site was not used; with an
 * empty cache the function fails with that error.  Never an empty list. */
GPtrArray *df_mp_site_list (const gchar *site, DfMpBoard *board, GError **site_error,
                            GCancellable *cancellable, GError **error);

/* The release's file, from the cache or downloaded into it: checked
 * (df_mp_check_download) before it is kept or used, written whole or not
 * at all.  Returns its path. */
gchar     *df_mp_site_download (DfMpRelease *release, DfMpBoard *board, DfMpProgressFunc progress,
                                gpointer user_data, GCancellable *cancellable, GError **error);

void       df_mp_site_list_async (const gchar *site, DfMpBoard *board, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *df_mp_site_list_finish (GAsyncResult *result, GError **site_error, GError **error);

/* progress is called on the thread-default main context of the caller */
void       df_mp_site_download_async (DfMpRelease *release, DfMpBoard *board, DfMpProgressFunc progress,
                                      gpointer user_data, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer callback_data);
gchar     *df_mp_site_download_finish (GAsyncResult *result, GError **error);

G_END_DECLS
