/* df-poll.h: when to send the next GETSTATUS to a busy device.
 *
 * DFU 1.1 says: wait the bwPollTimeout the device reports.  Many devices
 * report a fixed guess instead of their busy time (STM32F2/F4/F7 ROMs: 100
 * ms for a 250 ms erase and 104 ms for a 10 ms write; DESIGN.md sections 3
 * and 5), so where the device is known to cope with an early request, the
 * host asks early.  These are pure decisions (no I/O): df-protocol.c's
 * status loop follows them and the unit tests check them per behaviour. */
#pragma once

#include "df-quirks.h"

G_BEGIN_DECLS

/* the kinds of operation whose busy times are learnt apart */
typedef enum {
  DF_POLL_OP_COMMAND,  /* set address, plain DFU manifestation */
  DF_POLL_OP_ERASE,    /* one page or sector */
  DF_POLL_OP_WRITE,
  DF_POLL_OPS,
  DF_POLL_OP_ONE_OFF = DF_POLL_OPS,  /* mass erase, read unprotect: teaches nothing */
} DfPollOp;

typedef struct {
  DfEarlyStatus behaviour;       /* the device's quirk; SPEC once it refused an early request */
  guint32       poll_timeout_ms; /* the bwPollTimeout of the last busy answer */
  guint         busy_answers;    /* busy answers to this operation so far (1: the one that started it) */
  gint64        waited_us;       /* since the first busy answer */
  gint64        expected_us;     /* how long the same kind of operation took before, 0: not known */
} DfPollState;

/* the shortest pause between two requests to a device that answers busy
 * at once (MicroPython's mboot reports 0 ms): a pause, not a spin */
#define DF_POLL_MIN_PAUSE_US 500
/* the longest pause where the device reports 0 ms */
#define DF_POLL_ZERO_TIMEOUT_CAP_US 5000

/* the shortest write a time per KiB is learnt from */
#define DF_POLL_LEARN_MIN_BYTES 256
/* the longest pause, whatever the device asks for */
#define DF_POLL_LONG_WAIT_CAP_US (3 * G_USEC_PER_SEC)

/* how long to wait after a busy answer before the next GETSTATUS */
guint64 df_poll_pause_us (const DfPollState *st);
/* what one operation teaches about the next of its kind: seen_us is how
 * long it kept the device busy, *expected_us what was known before */
void    df_poll_learn (gint64 *expected_us, gint64 seen_us);
/* how long to wait after a GETSTATUS was stalled (retry the status, never
 * the command) */
guint64 df_poll_stall_pause_us (const DfPollState *st);

G_END_DECLS
