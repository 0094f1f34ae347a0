/* defuse-micropython-dialog.h: Get MicroPython…: board, variant and
 * version of MicroPython's official firmware, downloaded (checked by the
 * engine) and opened in the window like any file. */
#pragma once

#include <adwaita.h>

#include "defuse-window.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_MICROPYTHON_DIALOG (defuse_micropython_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DefuseMicroPythonDialog, defuse_micropython_dialog, DEFUSE, MICROPYTHON_DIALOG, AdwWindow)

/* site: the download site; build: "PYBV11-DP" to start with, or NULL;
 * device_id: the device the file is for (selected when it opens), or NULL */
DefuseMicroPythonDialog *defuse_micropython_dialog_new (DefuseWindow *window, const gchar *site, const gchar *build,
                                                        const gchar *device_id);

G_END_DECLS
