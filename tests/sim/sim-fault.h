/* sim-fault.h: injected faults (grammar in sim-fault.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIM_FAULT_STALL,       /* the request is stalled */
  SIM_FAULT_STATUS,      /* an operation fails with a bStatus */
  SIM_FAULT_DISCONNECT,  /* the device leaves the bus for good */
  SIM_FAULT_RESET,       /* the device resets: leaves and comes back in DFU mode */
  SIM_FAULT_NO_ANSWER,   /* requests are never answered (the host times out) */
  SIM_FAULT_BAD_STATUS,  /* a GETSTATUS answer of the wrong length */
  SIM_FAULT_STATE,       /* the device reports (and goes into) an unexpected state */
  SIM_FAULT_RDP,         /* read protection is active (no trigger) */
  SIM_FAULT_REPL,        /* a MicroPython REPL answers garbage or nothing (no trigger) */
  SIM_FAULT_NO_BOOTLOADER, /* machine.bootloader() restarts MicroPython instead (no trigger) */
  SIM_FAULT_EARLY_STATUS, /* the device answers an early GETSTATUS this way (from the start or the trigger) */
  SIM_FAULT_LOST,        /* a write answered OK that programmed nothing */
  SIM_FAULT_UNPLUG,      /* the board is unplugged (arg: replug after ms, G_MAXUINT: not by itself) */
} SimFaultKind;

typedef enum {
  SIM_TRIGGER_NONE,
  SIM_TRIGGER_REQUEST,    /* the Nth control transfer of any kind */
  SIM_TRIGGER_DNLOAD,     /* the Nth DFU_DNLOAD */
  SIM_TRIGGER_UPLOAD,     /* the Nth DFU_UPLOAD */
  SIM_TRIGGER_GETSTATUS,  /* the Nth DFU_GETSTATUS */
  SIM_TRIGGER_WRITE,      /* the Nth write operation */
  SIM_TRIGGER_ERASE,      /* the Nth erase (page or mass) */
  SIM_TRIGGER_BYTE,       /* the write holding firmware byte N (counted from 0) */
  SIM_TRIGGER_LEAVE,      /* the Nth leave request (DfuSe zero-length DNLOAD, DFU manifestation) */
  SIM_TRIGGER_BOOTLOADER, /* the Nth machine.bootloader() of a MicroPython board */
} SimTriggerKind;

typedef struct {
  gchar          *spec;
  SimFaultKind    kind;
  guint           arg;      /* status, state, reply length or request count */
  SimTriggerKind  trigger;
  guint64         at;
  gboolean        repeat;   /* "@write=N+": the Nth and every one after */
  gboolean        fired;
} SimFault;

SimFault    *sim_fault_parse (const gchar *spec, GError **error);
void         sim_fault_free (SimFault *fault);
const gchar *sim_trigger_to_string (SimTriggerKind trigger);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimFault, sim_fault_free)

G_END_DECLS
