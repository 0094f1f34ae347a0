/* defuse-micropython-updates-private.h: a MicroPython board's Updates
 * row, shared by the release check (defuse-micropython-updates.c) and the
 * Update button's download and flash (defuse-micropython-update.c). */
#pragma once

#include "defuse-window-private.h"
#include "df-micropython-identify.h"
#include "df-micropython-site.h"

G_BEGIN_DECLS

typedef struct {
  DefuseWindow *window;       /* the row goes before the window does */
  gchar        *id;
  DfDevice     *device;
  GtkWidget    *row, *button, *spinner, *progress, *cancel;
  GPtrArray    *candidates;   /* of DfMpBuild: what the board may be */
  DfMpBuild    *build;        /* what it is, once known */
  DfMpRelease  *newer;        /* the update offered */
  GCancellable *cancellable;  /* the check or download running */
} Board;

/* one asynchronous call for a board, which may be gone when it ends */
typedef struct {
  DefuseWindow *window;
  gchar        *id;
  GCancellable *cancellable;
} Call;

Call  *mp_call_new (Board *b);
void   mp_call_unref (gpointer call);
/* the board the call was for, if it is still shown and this is its latest call */
Board *mp_call_board (Call *call);
/* the board an action's parameter (a device id) names, if its row is shown */
Board *mp_board_for_param (GtkWidget *widget, GVariant *param);

/* the row: title, subtitle, a button and its action (NULL: none), a spinner */
void   mp_board_show (Board *b, const gchar *title, const gchar *subtitle, const gchar *button,
                      const gchar *action, gboolean busy);
/* the row for what is known: the build, the releases listed for it */
void   mp_board_refresh (Board *b);

/* win.micropython-update */
void   _defuse_micropython_update_activated (GtkWidget *widget, const gchar *action, GVariant *param);

G_END_DECLS
