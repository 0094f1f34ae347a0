/* defuse-window.h: the main window: devices on the left, the opened file
 * (memory map, flash panel, inspector) on the right. */
#pragma once

#include <adwaita.h>

#include "df-image.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_WINDOW (defuse_window_get_type ())
G_DECLARE_FINAL_TYPE (DefuseWindow, defuse_window, DEFUSE, WINDOW, AdwApplicationWindow)

/* application may be NULL (tests) */
DefuseWindow *defuse_window_new (GtkApplication *application);
/* reads and parses the file on a worker thread, then shows it */
void          defuse_window_open_file (DefuseWindow *self, GFile *file);
DfImage      *defuse_window_get_image (DefuseWindow *self);

G_END_DECLS
