/* df-protocol-private.h: what df-protocol.c shares with the DfuSe
 * commands (df-dfuse-commands.c). */
#pragma once

#include "df-poll.h"
#include "df-protocol.h"

G_BEGIN_DECLS

/* a request the device should answer at once */
#define DF_REQUEST_TIMEOUT_MS 5000

/* GETSTATUS until the operation the last DNLOAD started is done (see
 * df-protocol.c); *refused: the device refused an early status request
 * and is back in dfuIDLE */
gboolean df_protocol_wait_while_busy (DfConnection *c, DfPollOp op, gsize bytes, guint busy_ms,
                                      DfStatus *status_out, gboolean *refused, GError **error);

G_END_DECLS
