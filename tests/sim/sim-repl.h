/* sim-repl.h: the REPL of a virtual MicroPython board, bytes in, bytes
 * out, in plain C with no umockdev in it (the runner serves it on a pty,
 * tests may call it directly). */
#pragma once

#include "sim-device.h"

G_BEGIN_DECLS

typedef struct _SimRepl SimRepl;

/* A board just started: friendly REPL, empty line.  mp is copied. */
SimRepl  *sim_repl_new (const SimMicroPython *mp, SimReplBehaviour behaviour);
void      sim_repl_free (SimRepl *repl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimRepl, sim_repl_free)

/* Takes the bytes the host wrote and appends the board's answer to out.
 * TRUE when machine.bootloader() ran: the board leaves the bus (whatever
 * follows is lost). */
gboolean  sim_repl_input (SimRepl *repl, const guint8 *data, gsize len, GByteArray *out);
/* whether the board is in raw REPL mode (a host must never leave it so) */
gboolean  sim_repl_is_raw (SimRepl *repl);

G_END_DECLS
