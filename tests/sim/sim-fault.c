/* sim-fault.c: fault specs for the virtual devices (--fault on defuse-sim).
 *
 *   SPEC    := ACTION [ "@" TRIGGER ]
 *   TRIGGER := WHAT "=" N [ "+" ]
 *   WHAT    := request | dnload | upload | getstatus | write | erase | byte
 *              | leave | bootloader
 *
 * Requests and operations are counted from 1 (request=1 is the first
 * control transfer the device sees, enumeration included: the event log
 * and the "transfers" statistics show the numbers); byte=N is the write
 * that holds firmware byte N, counting every byte written from 0; leave=N
 * the Nth leave request (the DfuSe zero-length DNLOAD, or a plain DFU
 * device's manifestation); bootloader=N the Nth machine.bootloader() a
 * MicroPython board runs (unplug only).  A "+"
 * after N makes the fault persistent: the Nth and every later request or
 * operation of that kind (not for byte=N), e.g. "status=errWRITE@write=10+"
 * for a sector or part that refuses every write from then on, as a
 * write-protected or worn-out one does.
 *
 *   stall              the triggering request is stalled (URB -EPIPE).  A
 *                      stalled DFU request other than GETSTATUS/GETSTATE
 *                      puts the device in dfuERROR/errSTALLEDPKT, as a
 *                      real bootloader does when it stalls.
 *   status=ERR         ERR is a bStatus name (errWRITE, errVERIFY, ...;
 *                      see sim_status_from_string) or number.  A DNLOAD,
 *                      write, erase or byte trigger fails that operation
 *                      (memory untouched; the GETSTATUS after the busy
 *                      time answers dfuERROR/ERR).  An UPLOAD is stalled
 *                      with dfuERROR/ERR.  Any other trigger makes the next
 *                      GETSTATUS (this one, if it is one) answer dfuERROR/ERR.
 *   disconnect         the device leaves the bus for good.  On a request
 *                      trigger at once (that request gets ENODEV); with
 *                      byte=N in the middle of the write: bytes before N
 *                      (whole program units) are programmed, the rest not.
 *   reset              like disconnect, but the device comes back in DFU
 *                      mode after its reconnect time (a brown-out).
 *   unplug[=MS]        someone pulls the cable: gone at once (that request
 *                      gets ENODEV; on bootloader=N the board never
 *                      reaches its bootloader), any reconnection it had
 *                      coming called off.  Without MS it stays unplugged
 *                      until plugged in again (defuse-sim --control, or
 *                      SIGUSR1); with MS it is plugged in again after MS
 *                      ms of device time (scaled like every device time).
 *                      It comes back on its port with a new device number,
 *                      as the board powers up (sim_device_unplug), memory
 *                      kept.
 *   no-answer[=K]      the triggering request and the K-1 after it are
 *                      never answered (the host times out); without K
 *                      nothing is answered any more.
 *   bad-status[=LEN]   the next GETSTATUS answer (this one, if it is one)
 *                      is LEN bytes (default 3) instead of 6.
 *   state=STATE        the device goes into STATE (dfuIDLE, dfuDNBUSY,
 *                      dfuERROR, ... or a number) and the next GETSTATUS or
 *                      GETSTATE reports it: an unexpected state.
 *   lost               a write (DNLOAD, write or byte trigger) is answered
 *                      OK but programs nothing, as when the program pulse
 *                      does not take: only reading back finds it.
 *   rdp                read protection active from the start (no trigger):
 *                      reads, writes and erases answer errVENDOR until a
 *                      read-unprotect (0x92) wipes the flash.
 *   repl=garbage       a MicroPython profile's serial port answers bytes
 *                      that are not MicroPython's REPL (no trigger).
 *   repl=silent        ... reads what it is sent and never answers.
 *   no-bootloader      machine.bootloader() restarts MicroPython instead of
 *                      the bootloader (no trigger): the board never comes
 *                      up in DFU mode.
 *   early-status=HOW   the device answers an early GETSTATUS as HOW says,
 *                      whatever its profile's getstatus_while_busy: nak
 *                      (held until ready), stall, answer (dfuDNBUSY again)
 *                      or error (spec-strict: one before the reported
 *                      bwPollTimeout stalls and the device goes to
 *                      dfuERROR/errSTALLEDPKT).  From the start, or from
 *                      the trigger on when one is given.
 *
 * Examples: "stall@request=12", "status=errWRITE@byte=65536",
 * "disconnect@byte=100000", "no-answer@request=40", "bad-status@request=7",
 * "state=dfuERROR@request=3", "status=errERASE@erase=2", "lost@write=7",
 * "status=errWRITE@write=10+", "rdp", "early-status=error", "early-status=error@write=3",
 * "unplug@erase=2", "unplug=500@write=5", "unplug@leave=1", "unplug@bootloader=1".
 */
#include <stdlib.h>
#include <string.h>

#include "df-error.h"
#include "sim-fault.h"
#include "sim-private.h"

void
sim_fault_free (SimFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->spec);
  g_free (fault);
}

static const struct {
  const gchar   *name;
  SimTriggerKind kind;
} triggers[] = {
  { "request", SIM_TRIGGER_REQUEST },
  { "dnload", SIM_TRIGGER_DNLOAD },
  { "upload", SIM_TRIGGER_UPLOAD },
  { "getstatus", SIM_TRIGGER_GETSTATUS },
  { "write", SIM_TRIGGER_WRITE },
  { "erase", SIM_TRIGGER_ERASE },
  { "byte", SIM_TRIGGER_BYTE },
  { "leave", SIM_TRIGGER_LEAVE },
  { "bootloader", SIM_TRIGGER_BOOTLOADER },
};

const gchar *
sim_trigger_to_string (SimTriggerKind trigger)
{
  for (guint i = 0; i < G_N_ELEMENTS (triggers); i++)
    if (triggers[i].kind == trigger)
      return triggers[i].name;
  return "none";
}

static gboolean
parse_number (const gchar *str, guint64 max, guint64 *value)
{
  gchar *end = NULL;
  guint64 v;

  if (str == NULL || !g_ascii_isdigit (str[0]))
    return FALSE;
  v = g_ascii_strtoull (str, &end, 0);
  if (end == str || *end != '\0' || v > max)
    return FALSE;
  *value = v;
  return TRUE;
}

static gboolean G_GNUC_PRINTF (3, 4)
bad_spec (GError **error, const gchar *spec, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, "fault \"%s\": %s", spec, what);
  return FALSE;
}

SimFault *
sim_fault_parse (const gchar *spec, GError **error)
{
  g_autoptr(SimFault) fault = g_new0 (SimFault, 1);
  g_autofree gchar *action = NULL;
  g_autofree gchar *when = NULL;
  const gchar *at = strchr (spec, '@');
  const gchar *eq;
  g_autofree gchar *verb = NULL;
  const gchar *arg = NULL;
  guint64 n;

  fault->spec = g_strdup (spec);
  action = at != NULL ? g_strndup (spec, (gsize) (at - spec)) : g_strdup (spec);
  if (at != NULL)
    when = g_strdup (at + 1);

  eq = strchr (action, '=');
  verb = eq != NULL ? g_strndup (action, (gsize) (eq - action)) : g_strdup (action);
  if (eq != NULL)
    arg = eq + 1;

  if (g_str_equal (verb, "stall") && arg == NULL)
    fault->kind = SIM_FAULT_STALL;
  else if (g_str_equal (verb, "status"))
    {
      fault->kind = SIM_FAULT_STATUS;
      if (arg == NULL || !sim_status_from_string (arg, &fault->arg) || fault->arg == SIM_OK)
        {
          bad_spec (error, spec, "expected status=ERR with ERR one of errTARGET, errFILE, errWRITE, errERASE, "
                    "errCHECK_ERASED, errPROG, errVERIFY, errADDRESS, errNOTDONE, errFIRMWARE, errVENDOR, "
                    "errUSBR, errPOR, errUNKNOWN, errSTALLEDPKT or 1..15");
          return NULL;
        }
    }
  else if (g_str_equal (verb, "disconnect") && arg == NULL)
    fault->kind = SIM_FAULT_DISCONNECT;
  else if (g_str_equal (verb, "reset") && arg == NULL)
    fault->kind = SIM_FAULT_RESET;
  else if (g_str_equal (verb, "unplug"))
    {
      fault->kind = SIM_FAULT_UNPLUG;
      fault->arg = G_MAXUINT;
      if (arg != NULL)
        {
          if (!parse_number (arg, G_MAXUINT - 1, &n))
            {
              bad_spec (error, spec, "unplug=MS needs the milliseconds until it is plugged in again");
              return NULL;
            }
          fault->arg = (guint) n;
        }
    }
  else if (g_str_equal (verb, "no-answer"))
    {
      fault->kind = SIM_FAULT_NO_ANSWER;
      fault->arg = G_MAXUINT;
      if (arg != NULL)
        {
          if (!parse_number (arg, G_MAXUINT - 1, &n) || n == 0)
            {
              bad_spec (error, spec, "no-answer=K needs a count K >= 1");
              return NULL;
            }
          fault->arg = (guint) n;
        }
    }
  else if (g_str_equal (verb, "bad-status"))
    {
      fault->kind = SIM_FAULT_BAD_STATUS;
      fault->arg = 3;
      if (arg != NULL)
        {
          if (!parse_number (arg, 64, &n) || n == 6)
            {
              bad_spec (error, spec, "bad-status=LEN needs a reply length 0..64 other than 6");
              return NULL;
            }
          fault->arg = (guint) n;
        }
    }
  else if (g_str_equal (verb, "state"))
    {
      fault->kind = SIM_FAULT_STATE;
      if (arg == NULL || !sim_state_from_string (arg, &fault->arg))
        {
          bad_spec (error, spec, "expected state=STATE with STATE one of appIDLE, appDETACH, dfuIDLE, "
                    "dfuDNLOAD-SYNC, dfuDNBUSY, dfuDNLOAD-IDLE, dfuMANIFEST-SYNC, dfuMANIFEST, "
                    "dfuMANIFEST-WAIT-RESET, dfuUPLOAD-IDLE, dfuERROR or 0..10");
          return NULL;
        }
    }
  else if (g_str_equal (verb, "lost") && arg == NULL)
    fault->kind = SIM_FAULT_LOST;
  else if (g_str_equal (verb, "rdp") && arg == NULL)
    fault->kind = SIM_FAULT_RDP;
  else if (g_str_equal (verb, "repl") && (g_strcmp0 (arg, "garbage") == 0 || g_strcmp0 (arg, "silent") == 0))
    {
      fault->kind = SIM_FAULT_REPL;
      fault->arg = g_str_equal (arg, "garbage") ? SIM_REPL_GARBAGE : SIM_REPL_SILENT;
    }
  else if (g_str_equal (verb, "no-bootloader") && arg == NULL)
    fault->kind = SIM_FAULT_NO_BOOTLOADER;
  else if (g_str_equal (verb, "early-status"))
    {
      static const gchar *const hows[] = { [SIM_BUSY_NAK] = "nak", [SIM_BUSY_STALL] = "stall",
                                           [SIM_BUSY_ANSWER] = "answer", [SIM_BUSY_ERROR] = "error" };
      fault->kind = SIM_FAULT_EARLY_STATUS;
      fault->arg = G_N_ELEMENTS (hows);
      for (guint i = 0; arg != NULL && i < G_N_ELEMENTS (hows); i++)
        if (g_str_equal (arg, hows[i]))
          fault->arg = i;
      if (fault->arg == G_N_ELEMENTS (hows))
        {
          bad_spec (error, spec, "expected early-status=HOW with HOW one of nak, stall, answer or error");
          return NULL;
        }
    }
  else
    {
      bad_spec (error, spec, "unknown fault; expected stall, status=ERR, disconnect, reset, unplug[=MS], no-answer[=K], "
                "bad-status[=LEN], state=STATE, lost, rdp, repl=garbage, repl=silent, no-bootloader or early-status=HOW");
      return NULL;
    }

  if (fault->kind == SIM_FAULT_RDP || fault->kind == SIM_FAULT_REPL || fault->kind == SIM_FAULT_NO_BOOTLOADER
      || (fault->kind == SIM_FAULT_EARLY_STATUS && when == NULL))
    {
      if (when != NULL)
        {
          bad_spec (error, spec, "%s takes no trigger: it holds from the start", verb);
          return NULL;
        }
      return g_steal_pointer (&fault);
    }
  if (when == NULL)
    {
      bad_spec (error, spec, "needs a trigger, e.g. @request=12 or @byte=65536");
      return NULL;
    }
  eq = strchr (when, '=');
  if (eq != NULL)
    {
      g_autofree gchar *what = g_strndup (when, (gsize) (eq - when));
      for (guint i = 0; i < G_N_ELEMENTS (triggers); i++)
        if (g_str_equal (what, triggers[i].name))
          fault->trigger = triggers[i].kind;
    }
  if (fault->trigger == SIM_TRIGGER_NONE)
    {
      bad_spec (error, spec, "unknown trigger \"%s\"; expected request=N, dnload=N, upload=N, getstatus=N, "
                "write=N, erase=N, byte=N, leave=N or bootloader=N", when);
      return NULL;
    }
  if (fault->trigger == SIM_TRIGGER_BOOTLOADER && fault->kind != SIM_FAULT_UNPLUG)
    {
      bad_spec (error, spec, "the bootloader trigger takes unplug only");
      return NULL;
    }
  if (g_str_has_suffix (eq + 1, "+") && fault->trigger != SIM_TRIGGER_BYTE)
    {
      fault->repeat = TRUE;
      *(gchar *) (eq + strlen (eq) - 1) = '\0';  /* eq points into when, ours */
    }
  if (!parse_number (eq + 1, G_MAXUINT64 - 1, &fault->at)
      || (fault->at == 0 && fault->trigger != SIM_TRIGGER_BYTE))
    {
      bad_spec (error, spec, "the trigger needs a number%s", fault->trigger == SIM_TRIGGER_BYTE ? "" : " >= 1");
      return NULL;
    }
  return g_steal_pointer (&fault);
}
