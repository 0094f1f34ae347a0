/* defuse-file-loader.h: reads and parses a firmware file on a worker
 * thread, so a large ELF or HEX never freezes the window. */
#pragma once

#include <gio/gio.h>

#include "df-image.h"

G_BEGIN_DECLS

/* has_address: load a raw binary at address */
void     defuse_file_load_async (GFile *file, gboolean has_address, guint32 address,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
DfImage *defuse_file_load_finish (GAsyncResult *result, GError **error);

/* a raw binary loaded without address: the user must say where it goes */
gboolean defuse_image_needs_address (DfImage *image);

G_END_DECLS
