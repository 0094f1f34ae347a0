/* defuse-permission.h: the exact commands that give the user access to
 * DFU devices on this system (the udev rule shipped in data/). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar *defuse_permission_commands (void);

G_END_DECLS
