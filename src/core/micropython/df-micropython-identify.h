/* df-micropython-identify.h: which build of which board a running
 * MicroPython is: sys.implementation._build (MicroPython >= 1.25) says
 * it; before that only the machine string ("PYBv1.1 with STM32F405RG")
 * does, which fits a board's standard build and its variants alike, or
 * several boards.  The user's answer is remembered per serial number in
 * $XDG_CONFIG_HOME/defuse/micropython-boards.ini. */
#pragma once

#include "df-micropython.h"
#include "df-micropython-boards.h"

G_BEGIN_DECLS

/* The builds the board may be (of DfMpBuild, never NULL): its _build; or
 * the build remembered for its serial number, when it still fits the
 * machine string; or every build whose machine string it reports.  One
 * is an answer; several need the user; none: a board Defuse's table does
 * not know.  how (may be NULL) gets "_build", "remembered" or "machine". */
GPtrArray *df_micropython_identify (DfMicroPython *board, const gchar **how);

/* remembers (build non-NULL) or forgets the build of the board with this
 * serial number */
gboolean   df_micropython_remember_build (const gchar *serial, const DfMpBuild *build, GError **error);
/* the build remembered for the serial number, or NULL */
gchar     *df_micropython_remembered_build (const gchar *serial);

G_END_DECLS
