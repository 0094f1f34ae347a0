/* df-micropython.h: boards running MicroPython on a USB serial port: which
 * ports are candidates (data/micropython-boards.conf), what the board says
 * it runs when asked through the raw REPL, and machine.bootloader().
 * Which board of MicroPython's table it is: df-micropython-identify.h. */
#pragma once

#include "df-device.h"
#include "df-serial-port.h"

G_BEGIN_DECLS

struct _DfMicroPython {
  gint          ref_count;
  DfSerialPort *port;
  gchar        *version;     /* os.uname().release: "1.24.1"; NULL if the board did not answer */
  gchar        *machine;     /* os.uname().machine: "PYBv1.1 with STM32F405RG" */
  gchar        *build;       /* sys.implementation._build: "PYBV11-DP" (MicroPython >= 1.25), or NULL */
  GError       *error;       /* why the board did not answer, or NULL */
  guint32       fs_start;    /* the internal filesystem from the board table, inclusive; */
  guint32       fs_end;      /* both 0 when unknown (or the candidate boards differ) */
  gchar        *bootloader_layout; /* its DFU bootloader's alt 0 name, from the board table, or NULL */
};

DfMicroPython *df_micropython_ref (DfMicroPython *board);
void           df_micropython_unref (DfMicroPython *board);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMicroPython, df_micropython_unref)

/* whether the port's USB ids or strings say MicroPython */
gboolean       df_micropython_is_candidate (DfSerialPort *port);
/* the candidate ports, each asked what it runs (one that does not answer
 * has board->error set); selectors as for df_serial_port_matches, NULL
 * for all.  Never NULL. */
GPtrArray     *df_micropython_find (const gchar *const *selectors, GCancellable *cancellable);

/* Asks the board through the raw REPL (Ctrl-C, Ctrl-A, code, Ctrl-D, then
 * Ctrl-B back to the friendly REPL) for sys.implementation and
 * os.uname(); each step is bounded.  NULL with an error saying what the
 * port did (no answer, not MicroPython's REPL, hung up). */
DfMicroPython *df_micropython_query (DfSerialPort *port, GCancellable *cancellable, GError **error);
/* What the board answered print(sys.implementation._build): the build,
 * or NULL when it has none (AttributeError before MicroPython 1.25). */
gchar         *df_micropython_parse_build (GByteArray *got, GByteArray *err);
/* What the board answered the query in raw mode: got is what it printed
 * up to its first Ctrl-D, err what followed up to "\x04>" (the exception),
 * sentinels included.  NULL with an error when that is not MicroPython's
 * answer.  Pure (no I/O), so the device fuzzer feeds it. */
DfMicroPython *df_micropython_parse_answer (DfSerialPort *port, GByteArray *got, GByteArray *err, GError **error);
/* df_micropython_query, or a board holding the error (never NULL) */
DfMicroPython *df_micropython_probe (DfSerialPort *port, GCancellable *cancellable);
/* Runs machine.bootloader(): the board leaves the bus at once. */
gboolean       df_micropython_enter_bootloader (DfMicroPython *board, GCancellable *cancellable, GError **error);

/* The board as a device of the list: mode DF_DEVICE_MODE_MICROPYTHON,
 * its USB identity, and the memory its bootloader will show (alt 0) when
 * the board data knows it, so that a plan can be drawn before the switch. */
DfDevice      *df_micropython_to_device (DfMicroPython *board);

/* "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG" */
gchar         *df_micropython_describe (DfMicroPython *board);

G_END_DECLS
