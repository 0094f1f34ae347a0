#include <glib/gi18n.h>

#include "df-clock.h"
#include "df-error.h"
#include "df-poll.h"
#include "df-protocol-private.h"

/* DFU 1.1 class requests */
enum {
  DFU_DETACH = 0,
  DFU_DNLOAD = 1,
  DFU_UPLOAD = 2,
  DFU_GETSTATUS = 3,
  DFU_CLRSTATUS = 4,
  DFU_GETSTATE = 5,
  DFU_ABORT = 6,
};

#define REQ_OUT 0x21 /* host to device, class, interface */
#define REQ_IN  0xA1

#define REQUEST_TIMEOUT_MS DF_REQUEST_TIMEOUT_MS

static const gchar *state_names[] = {
  "appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
  "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR",
};

const gchar *
df_state_to_string (guint8 state)
{
  return state < G_N_ELEMENTS (state_names) ? state_names[state] : "unknown state";
}

static const struct {
  const gchar *name;
  const gchar *meaning;
} statuses[] = {
  { "OK", N_("no error") },
  { "errTARGET", N_("the file is not for this device, or the address is outside its memory") },
  { "errFILE", N_("the device rejected the file") },
  { "errWRITE", N_("the device could not write the memory") },
  { "errERASE", N_("the device could not erase the memory") },
  { "errCHECK_ERASED", N_("the memory was not blank after erasing") },
  { "errPROG", N_("programming the memory failed") },
  { "errVERIFY", N_("the memory did not hold the written data afterwards") },
  { "errADDRESS", N_("the address is outside the device's memory") },
  { "errNOTDONE", N_("the device expected more data") },
  { "errFIRMWARE", N_("the firmware on the device is corrupt") },
  { "errVENDOR", N_("the device refused (on STM32: the chip is read-protected, and removing the protection erases the whole chip)") },
  { "errUSBR", N_("the device saw an unexpected USB reset") },
  { "errPOR", N_("the device saw an unexpected power-on reset") },
  { "errUNKNOWN", N_("an unknown error") },
  { "errSTALLEDPKT", N_("the device did not expect that request in its state") },
};

const gchar *
df_status_to_string (guint8 status)
{
  return status < G_N_ELEMENTS (statuses) ? statuses[status].name : "unknown status";
}

const gchar *
df_status_describe (guint8 status)
{
  return status < G_N_ELEMENTS (statuses) ? _(statuses[status].meaning) : _("an unknown error");
}

void
df_connection_note (DfConnection *c, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (c->note != NULL)
    c->note (message, c->note_data);
  else
    g_debug ("%s", message);
}

gboolean
df_sleep_ms (guint ms, GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto cancelled;
  if (ms == 0)
    return TRUE;
  /* a Cancel wakes the sleep at once (df-clock.c) */
  df_clock_sleep_us ((guint64) ms * 1000, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto cancelled;
  return TRUE;

cancelled:
  /* one error domain for callers: cancelled is DF_ERROR_CANCELLED */
  if (error != NULL && *error != NULL && (*error)->domain == G_IO_ERROR)
    {
      (*error)->domain = DF_ERROR;
      (*error)->code = DF_ERROR_CANCELLED;
    }
  return FALSE;
}

/* how long a request the device should answer at once may take */
static guint
request_timeout (DfConnection *c)
{
  return c->request_timeout_ms > 0 ? c->request_timeout_ms : REQUEST_TIMEOUT_MS;
}

static gboolean
control_out (DfConnection *c, guint8 request, guint16 value, const guint8 *data,
             gsize length, guint timeout_ms, GError **error)
{
  return df_transport_control (c->transport, REQ_OUT, request, value, c->interface,
                               (guint8 *) data, length, NULL, timeout_ms, c->cancellable, error);
}

gboolean
df_dfu_detach (DfConnection *c, guint16 timeout_ms, GError **error)
{
  return control_out (c, DFU_DETACH, timeout_ms, NULL, 0, request_timeout (c), error);
}

gboolean
df_dfu_dnload (DfConnection *c, guint16 block, const guint8 *data, gsize length, GError **error)
{
  return control_out (c, DFU_DNLOAD, block, data, length, request_timeout (c), error);
}

gboolean
df_dfu_upload (DfConnection *c, guint16 block, guint8 *data, gsize length, gsize *actual,
               GError **error)
{
  return df_transport_control (c->transport, REQ_IN, DFU_UPLOAD, block, c->interface,
                               data, length, actual, request_timeout (c), c->cancellable, error);
}

static gboolean
get_status_timeout (DfConnection *c, DfStatus *status, guint timeout_ms, GError **error)
{
  guint8 buf[6];
  gsize actual = 0;

  if (!df_transport_control (c->transport, REQ_IN, DFU_GETSTATUS, 0, c->interface,
                             buf, sizeof buf, &actual, timeout_ms, c->cancellable, error))
    return FALSE;
  if (actual != sizeof buf)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("the device answered GETSTATUS with %zu bytes instead of 6"), actual);
      return FALSE;
    }
  status->status = buf[0];
  status->poll_timeout_ms = buf[1] | (buf[2] << 8) | ((guint32) buf[3] << 16);
  status->state = buf[4];
  if (status->state > DF_STATE_ERROR)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("the device reported state %u, which DFU does not define"), status->state);
      return FALSE;
    }
  return TRUE;
}

gboolean
df_dfu_get_status (DfConnection *c, DfStatus *status, GError **error)
{
  return get_status_timeout (c, status, request_timeout (c), error);
}

gboolean
df_dfu_clear_status (DfConnection *c, GError **error)
{
  return control_out (c, DFU_CLRSTATUS, 0, NULL, 0, request_timeout (c), error);
}

gboolean
df_dfu_get_state (DfConnection *c, guint8 *state, GError **error)
{
  gsize actual = 0;

  if (!df_transport_control (c->transport, REQ_IN, DFU_GETSTATE, 0, c->interface,
                             state, 1, &actual, request_timeout (c), c->cancellable, error))
    return FALSE;
  if (actual != 1)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL, _("the device answered GETSTATE with no byte"));
      return FALSE;
    }
  return TRUE;
}

gboolean
df_dfu_abort (DfConnection *c, GError **error)
{
  return control_out (c, DFU_ABORT, 0, NULL, 0, request_timeout (c), error);
}

/* which DfError a bStatus is: what a caller may retry depends on it */
static gint
status_error_code (DfConnection *c, guint8 status)
{
  switch (status)
    {
    case DF_STATUS_ERR_VENDOR:
      /* on an STM32 bootloader errVENDOR means read protection (AN3156) */
      return c->dfuse ? DF_ERROR_PROTECTED : DF_ERROR_DEVICE;
    case DF_STATUS_ERR_WRITE:
    case DF_STATUS_ERR_ERASE:
    case DF_STATUS_ERR_CHECK_ERASED:
    case DF_STATUS_ERR_PROG:
    case DF_STATUS_ERR_VERIFY:
      return DF_ERROR_WRITE;
    case DF_STATUS_ERR_TARGET:
    case DF_STATUS_ERR_ADDRESS:
      return DF_ERROR_ADDRESS;
    default:
      return DF_ERROR_DEVICE;
    }
}

static void
set_device_error (DfConnection *c, const DfStatus *status, GError **error)
{
  if (status->status == DF_STATUS_OK)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("the device went into %s without saying why (status OK)"),
                   df_state_to_string (status->state));
      return;
    }
  gint code = status_error_code (c, status->status);
  g_set_error (error, DF_ERROR, code, _("the device reported %s: %s"),
               df_status_to_string (status->status), df_status_describe (status->status));
}

/* the bwPollTimeout the device reports, corrected by the quirk table's
 * factor for devices known to over- or under-report it */
static guint
scaled_poll_timeout (DfConnection *c, const DfStatus *status)
{
  if (c->quirks == NULL || c->quirks->poll_timeout_factor == 1.0)
    return status->poll_timeout_ms;
  return (guint) (status->poll_timeout_ms * c->quirks->poll_timeout_factor + 0.5);
}

static gboolean
sleep_us (DfConnection *c, guint64 us, GError **error)
{
  /* whole milliseconds can be cancelled at once; shorter pauses just pass */
  if (us >= 1000)
    return df_sleep_ms ((guint) ((us + 999) / 1000), c->cancellable, error);
  if (us > 0)
    df_clock_sleep_us (us, NULL);
  return df_sleep_ms (0, c->cancellable, error);
}

/* a pause, never past the operation's deadline (then one more request
 * finds out) */
static guint64
until_deadline (guint64 pause_us, gint64 deadline)
{
  gint64 left = deadline - df_clock_now_us ();

  return MIN (pause_us, (guint64) MAX (left, DF_POLL_MIN_PAUSE_US));
}

static gboolean
is_busy (guint8 state)
{
  return state == DF_STATE_DNBUSY || state == DF_STATE_DNLOAD_SYNC || state == DF_STATE_MANIFEST_SYNC;
}

/* A device that takes an early GETSTATUS as a request its state does not
 * expect (DFU 1.1 appendix A: nothing is expected in dfuDNBUSY) stalls it
 * and reports dfuERROR/errSTALLEDPKT.  Clear it and never ask early again
 * on this connection; the caller checks the operation and redoes it. */
static gboolean
early_refused (DfConnection *c, GError **error)
{
  g_debug ("the device refused a GETSTATUS sent before its bwPollTimeout: "
           "clearing the error, the spec's timing from now on");
  c->early_refused = TRUE;
  return df_dfu_ensure_idle (c, error);
}

/* GETSTATUS until the operation the last DNLOAD started is done; when to
 * ask again is df-poll.c's decision, by how the device answers an early
 * request.  busy_ms: how long the operation may keep the device busy; a
 * device that holds (NAKs) GETSTATUS while it works keeps one request that
 * long: STM32F405 reports 100 ms for a mass erase that takes seconds
 * (dfu-util waits up to 35 s for erases).  bytes: how much a write
 * programs (0 for commands): writes are learnt per KiB, because a short
 * last block is done sooner than a whole one.  *refused: see
 * early_refused(). */
gboolean
df_protocol_wait_while_busy (DfConnection *c, DfPollOp op, gsize bytes, guint busy_ms, DfStatus *status_out,
                             gboolean *refused, GError **error)
{
  DfStatus status;
  gint64 start = df_clock_now_us ();
  gint64 deadline = start + (gint64) busy_ms * 1000;
  gint64 first_busy = 0;
  gint64 ready_at = 0;  /* when the device said it would be ready */
  gboolean asked_early = FALSE;
  guint status_timeout = MAX (busy_ms, REQUEST_TIMEOUT_MS);
  DfPollState poll = {
    .behaviour = c->early_refused || c->quirks == NULL ? DF_EARLY_STATUS_SPEC : c->quirks->early_status,
    .expected_us = op < DF_POLL_OPS ? c->busy_seen_us[op] : 0,
  };

  if (bytes > 0)
    poll.expected_us = poll.expected_us * (gint64) bytes / 1024;

  *refused = FALSE;
  for (;;)
    {
      g_autoptr(GError) local = NULL;
      gint64 sent = df_clock_now_us ();

      asked_early |= sent < ready_at;
      if (!get_status_timeout (c, &status, status_timeout, &local))
        {
          /* STM32L4 and STM32F0 stall GETSTATUS while erasing: retry the
           * status, never the command */
          if (g_error_matches (local, DF_ERROR, DF_ERROR_STALLED) && sent < deadline)
            {
              poll.waited_us = sent - (first_busy > 0 ? first_busy : start);
              if (!sleep_us (c, until_deadline (df_poll_stall_pause_us (&poll), deadline), error))
                return FALSE;
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (asked_early && status.state == DF_STATE_ERROR && status.status == DF_STATUS_ERR_STALLEDPKT)
        {
          *refused = TRUE;
          return early_refused (c, error);
        }
      if (status.state == DF_STATE_ERROR || status.status != DF_STATUS_OK)
        {
          set_device_error (c, &status, error);
          return FALSE;
        }
      if (!is_busy (status.state))
        break;
      if (df_clock_now_us () > deadline)
        {
          /* it answers, so the link is fine: the device is stuck */
          c->stuck = TRUE;
          g_set_error (error, DF_ERROR, DF_ERROR_DEVICE,
                       _("the device stayed busy (%s) for more than %u s; unplug it and put it in DFU mode "
                         "again"), df_state_to_string (status.state), busy_ms / 1000);
          return FALSE;
        }
      sent = df_clock_now_us ();
      if (first_busy == 0)
        first_busy = sent;
      ready_at = sent + (gint64) status.poll_timeout_ms * 1000;
      poll.poll_timeout_ms = scaled_poll_timeout (c, &status);
      poll.busy_answers++;
      poll.waited_us = sent - first_busy;
      if ((guint64) poll.poll_timeout_ms * 1000 > DF_POLL_LONG_WAIT_CAP_US && !c->long_wait_noted)
        {
          c->long_wait_noted = TRUE;
          /* TRANSLATORS: a transcript line; %u: milliseconds, then seconds */
          df_connection_note (c, _("the device asked to wait %u ms before its next status request, longer than "
                                   "any flash operation takes; asking sooner, at most %u s apart"),
                              poll.poll_timeout_ms, (guint) (DF_POLL_LONG_WAIT_CAP_US / G_USEC_PER_SEC));
        }
      if (!sleep_us (c, until_deadline (df_poll_pause_us (&poll), deadline), error))
        return FALSE;
      /* a device that asks for long waits gets them, with room to spare */
      status_timeout = MAX (status_timeout, MIN (status.poll_timeout_ms,
                                                 DF_POLL_LONG_WAIT_CAP_US / 1000) + REQUEST_TIMEOUT_MS);
    }
  /* a block of a few bytes is all fixed cost: per KiB it would teach a
   * time a hundred times too long (a 1-byte block busy 100 ms: 102 s) */
  if (first_busy > 0 && op < DF_POLL_OPS && (bytes == 0 || bytes >= DF_POLL_LEARN_MIN_BYTES))
    {
      gint64 seen = df_clock_now_us () - first_busy;
      df_poll_learn (&c->busy_seen_us[op], bytes > 0 ? seen * 1024 / (gint64) bytes : seen);
    }
  if (status_out != NULL)
    *status_out = status;
  return TRUE;
}

gboolean
df_dfu_wait_while_busy (DfConnection *c, DfStatus *status_out, GError **error)
{
  gboolean refused;

  if (!df_protocol_wait_while_busy (c, DF_POLL_OP_COMMAND, 0, REQUEST_TIMEOUT_MS, status_out, &refused, error))
    return FALSE;
  if (refused)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_DEVICE,
                   _("the device refused a status request sent before the time it asked for; try again"));
      return FALSE;
    }
  return TRUE;
}

/* From a busy state the device gets the time an operation may take (the
 * failure may have come in the middle of an erase); after a Cancel, only
 * the short cleanup time */
static gint64
busy_deadline (DfConnection *c)
{
  guint ms = c->request_timeout_ms > 0 ? c->request_timeout_ms : MAX (c->max_busy_ms, REQUEST_TIMEOUT_MS);

  return df_clock_now_us () + (gint64) ms * 1000;
}

gboolean
df_dfu_ensure_idle (DfConnection *c, GError **error)
{
  gint64 deadline = busy_deadline (c);
  guint waits = 0;

  for (guint attempt = 0; attempt < 4; attempt++)
    {
      g_autoptr(GError) local = NULL;
      DfStatus status;

      if (!df_dfu_get_status (c, &status, &local))
        {
          /* STM32F0/L4 stall GETSTATUS while they finish an erase the
           * failure interrupted: ask again shortly, for a bounded time */
          if (g_error_matches (local, DF_ERROR, DF_ERROR_STALLED) && df_clock_now_us () < deadline)
            {
              if (!df_sleep_ms (MIN (10 * ++waits, 200), c->cancellable, error))
                return FALSE;
              attempt--;
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      switch (status.state)
        {
        case DF_STATE_DFU_IDLE:
          return TRUE;
        case DF_STATE_ERROR:
          if (!df_dfu_clear_status (c, error))
            return FALSE;
          break;
        case DF_STATE_DNBUSY:
        case DF_STATE_MANIFEST:
          /* still at work (an STM32H7 answers busy through an erase):
           * waiting is no attempt, until the deadline */
          if (df_clock_now_us () >= deadline)
            {
              c->stuck = TRUE;
              g_set_error (error, DF_ERROR, DF_ERROR_DEVICE,
                           _("the device stays busy (%s) and does not return to dfuIDLE; unplug it and put it "
                             "in DFU mode again"), df_state_to_string (status.state));
              return FALSE;
            }
          attempt--;
          if (!df_sleep_ms (CLAMP (status.poll_timeout_ms, MIN (++waits, 50), DF_POLL_LONG_WAIT_CAP_US / 1000),
                            c->cancellable, error))
            return FALSE;
          break;
        case DF_STATE_APP_IDLE:
        case DF_STATE_APP_DETACH:
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                       _("the device is running its application (%s), not in DFU mode: detach it first"),
                       df_state_to_string (status.state));
          return FALSE;
        default:
          if (!df_dfu_abort (c, error))
            return FALSE;
          break;
        }
    }
  g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
               _("the device does not return to dfuIDLE; unplug it and put it in DFU mode again"));
  return FALSE;
}

gboolean
df_dfu_write_block (DfConnection *c, guint16 block, const guint8 *data, gsize length,
                    gboolean *refused, GError **error)
{
  if (!df_dfu_dnload (c, block, data, length, error))
    return FALSE;
  return df_protocol_wait_while_busy (c, DF_POLL_OP_WRITE, length, REQUEST_TIMEOUT_MS, NULL, refused, error);
}

gboolean
df_dfu_leave (DfConnection *c, GError **error)
{
  g_autoptr(GError) local = NULL;
  DfStatus status;

  if (!df_dfu_dnload (c, c->dfuse ? 2 : 0, NULL, 0, error))
    return FALSE;
  /* GD32VF103 goes at the DNLOAD and answers nothing more (dfu-util's
   * QUIRK_DFUSE_LEAVE) */
  if (c->quirks != NULL && c->quirks->leave_without_status)
    return TRUE;
  /* the device answers dfuMANIFEST and goes, or goes at once: errors from
   * here on are the device leaving, not failures */
  if (!df_dfu_get_status (c, &status, &local))
    {
      g_debug ("after leave: %s", local->message);
      return TRUE;
    }
  if (status.state == DF_STATE_ERROR)
    {
      set_device_error (c, &status, error);
      g_prefix_error (error, _("leaving DFU mode: "));
      return FALSE;
    }
  return TRUE;
}
