/* defuse-micropython-build-question.h: "Which Board Is This?", asked when
 * a board's machine string fits several MicroPython builds. */
#pragma once

#include <adwaita.h>

#include "df-micropython.h"
#include "df-micropython-boards.h"

G_BEGIN_DECLS

/* chosen: the index of the build the user picked in candidates */
typedef void (*DefuseBuildChosenFunc) (guint chosen, gpointer user_data);

/* Presents the question over parent, candidates (of DfMpBuild) listed in
 * order, the first checked; on Choose, calls chosen.  user_data is freed
 * with destroy once the dialog is gone, answered or not. */
void defuse_micropython_ask_build (GtkWindow *parent, const DfMicroPython *mp, GPtrArray *candidates,
                                   DefuseBuildChosenFunc chosen, gpointer user_data, GDestroyNotify destroy);

G_END_DECLS
