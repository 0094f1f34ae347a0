/* df-protocol.h: the DFU 1.1 class requests and ST's DfuSe commands on an
 * opened DFU interface (DESIGN.md section 3).  No policy lives here: what
 * to erase and write is the plan's business (df-plan.c); this file only
 * speaks the protocol correctly, waits as the device asks and turns every
 * answer that is not success into one clear error. */
#pragma once

#include "df-poll.h"
#include "df-transport.h"

G_BEGIN_DECLS

typedef enum {
  DF_STATE_APP_IDLE = 0,
  DF_STATE_APP_DETACH = 1,
  DF_STATE_DFU_IDLE = 2,
  DF_STATE_DNLOAD_SYNC = 3,
  DF_STATE_DNBUSY = 4,
  DF_STATE_DNLOAD_IDLE = 5,
  DF_STATE_MANIFEST_SYNC = 6,
  DF_STATE_MANIFEST = 7,
  DF_STATE_MANIFEST_WAIT_RESET = 8,
  DF_STATE_UPLOAD_IDLE = 9,
  DF_STATE_ERROR = 10,
} DfState;

typedef enum {
  DF_STATUS_OK = 0x00,
  DF_STATUS_ERR_TARGET = 0x01,
  DF_STATUS_ERR_FILE = 0x02,
  DF_STATUS_ERR_WRITE = 0x03,
  DF_STATUS_ERR_ERASE = 0x04,
  DF_STATUS_ERR_CHECK_ERASED = 0x05,
  DF_STATUS_ERR_PROG = 0x06,
  DF_STATUS_ERR_VERIFY = 0x07,
  DF_STATUS_ERR_ADDRESS = 0x08,
  DF_STATUS_ERR_NOTDONE = 0x09,
  DF_STATUS_ERR_FIRMWARE = 0x0A,
  DF_STATUS_ERR_VENDOR = 0x0B,
  DF_STATUS_ERR_USBR = 0x0C,
  DF_STATUS_ERR_POR = 0x0D,
  DF_STATUS_ERR_UNKNOWN = 0x0E,
  DF_STATUS_ERR_STALLEDPKT = 0x0F,
} DfStatusCode;

typedef struct {
  guint8  status;          /* bStatus */
  guint32 poll_timeout_ms; /* bwPollTimeout */
  guint8  state;           /* bState */
} DfStatus;

const gchar *df_state_to_string (guint8 state);    /* "dfuIDLE" */
const gchar *df_status_to_string (guint8 status);  /* "errWRITE" */
/* what the status means for the user, e.g. "the device could not write the memory" */
const gchar *df_status_describe (guint8 status);

/* the longest an erase may keep a device busy: an STM32 mass erase takes
 * seconds (dfu-util waits up to 35 s) */
#define DF_MAX_BUSY_MS 40000

/* a line for the transcript: something about the device worth knowing */
typedef void (*DfNoteFunc) (const gchar *message, gpointer user_data);

/* an opened DFU interface: what every request needs */
typedef struct {
  DfTransport  *transport;
  guint8        interface;
  guint16       transfer_size;  /* wTransferSize */
  gboolean      dfuse;          /* speaks ST's DfuSe extension */
  GCancellable *cancellable;
  guint         max_busy_ms;    /* how long an erase may keep the device busy */
  const DfQuirks *quirks;       /* the device's (borrowed from the DfDevice), NULL: none */
  gboolean      early_refused;  /* it refused an early GETSTATUS (spec-strict): the spec's timing from then on */
  gboolean      address_every_block; /* chunks are shorter than the descriptor's wTransferSize
                                      * (quirk table): the device's block arithmetic would
                                      * misplace them, so each gets its own SET_ADDRESS */
  gint64        busy_seen_us[DF_POLL_OPS]; /* the shortest each kind of operation kept it busy
                                            * (writes: per KiB), 0: none yet */
  DfNoteFunc    note;           /* the transcript's, NULL: the debug log */
  gpointer      note_data;
  gboolean      long_wait_noted; /* it asked for a wait past DF_POLL_LONG_WAIT_CAP_US (said once) */
  guint         request_timeout_ms; /* for requests it should answer at once, 0: 5 s */
  gint          flip_page;      /* FLIP: the 64 KiB flash page selected, -1: not known */
  gboolean      stuck;          /* it answered busy past every bound: asking again would
                                 * only wait as long again */
} DfConnection;

/* tells c->note, or the debug log */
void df_connection_note (DfConnection *c, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

/* single requests */
gboolean df_dfu_detach (DfConnection *c, guint16 timeout_ms, GError **error);
gboolean df_dfu_dnload (DfConnection *c, guint16 block, const guint8 *data, gsize length, GError **error);
gboolean df_dfu_upload (DfConnection *c, guint16 block, guint8 *data, gsize length, gsize *actual, GError **error);
gboolean df_dfu_get_status (DfConnection *c, DfStatus *status, GError **error);
gboolean df_dfu_clear_status (DfConnection *c, GError **error);
gboolean df_dfu_get_state (DfConnection *c, guint8 *state, GError **error);
gboolean df_dfu_abort (DfConnection *c, GError **error);

/* GETSTATUS until the device is no longer busy.  When to ask again
 * follows the quirk table's early_status (df-poll.h): at once where the device holds an
 * early request, short growing pauses where it answers busy again, the
 * bwPollTimeout it reports elsewhere; never more.  A dfuERROR answer
 * becomes an error whose message says what the device reported.  The last
 * status is returned in *status (may be NULL).  For writes and commands
 * that finish in well under 5 s; erases wait up to max_busy_ms. */
gboolean df_dfu_wait_while_busy (DfConnection *c, DfStatus *status, GError **error);

/* From whatever state: CLRSTATUS out of dfuERROR, ABORT out of the others,
 * until dfuIDLE.  Used on open, after an error and after cancelling. */
gboolean df_dfu_ensure_idle (DfConnection *c, GError **error);

/* DfuSe commands (wBlockNum 0), each completed with its status wait; a
 * command whose early status request was refused is sent again */
gboolean df_dfuse_set_address (DfConnection *c, guint32 address, GError **error);
gboolean df_dfuse_erase_page (DfConnection *c, guint32 address, GError **error);
gboolean df_dfuse_mass_erase (DfConnection *c, GError **error);
gboolean df_dfuse_read_unprotect (DfConnection *c, GError **error);

/* one chunk: DNLOAD + status wait; sleeps nothing the device does not ask.
 * *refused: the device refused an early status request (a spec-strict
 * device); it is back in dfuIDLE, c->early_refused is set, and whether the
 * block was written is unknown: the caller checks it and writes it again */
gboolean df_dfu_write_block (DfConnection *c, guint16 block, const guint8 *data, gsize length,
                             gboolean *refused, GError **error);

/* the zero-length DNLOAD that leaves DFU mode; the device vanishing
 * during or after it is success, not failure */
gboolean df_dfu_leave (DfConnection *c, GError **error);

/* a cancellable sleep; FALSE with DF_ERROR_CANCELLED when cancelled */
gboolean df_sleep_ms (guint ms, GCancellable *cancellable, GError **error);

G_END_DECLS
