/* sim-flip.h: the FLIP v1 bootloader of the USB AVRs in the device model:
 * Atmel's factory bootloader and LUFA's (QMK DFU) copy of it.  The
 * commands ride on DFU requests (Atmel doc7618; LUFA
 * Bootloaders/DFU/BootloaderDFU.c, which this follows where the factory
 * bootloader's behaviour is not documented). */
#pragma once

#include "sim-private.h"

G_BEGIN_DECLS

/* the profile's "flip" object */
struct _SimFlipProfile {
  gboolean lufa;              /* LUFA/QMK DFU: interface FE/01/02 + functional descriptor; CLRSTATUS
                               * keeps dfuERROR; blank check of the whole application section;
                               * each page erased as it is written */
  gboolean secure;            /* the security lock is on at every start until a chip erase */
  gboolean signature_ff_after_erase; /* signature reads 0xFF after an erase until a power-up */
  guint8   signature[3];
  guint8   bootloader[3];     /* version, id1, id2 */
  guint32  bootloader_size;   /* at the top of alt 0's flash */
  guint32  page_size;
  guint64  page_erase_us;
  guint64  page_write_us;
  guint64  eeprom_byte_us;
};

/* the state a FLIP bootloader keeps */
typedef struct {
  gboolean locked;
  gboolean signature_ff;
  guint8   page64;            /* 64 KiB page of flash selected */
  guint8   command[6];        /* the last command (byte 0) and its data */
  guint16  start;
  guint16  end;
  guint8   response;          /* for a 1-byte UPLOAD after a read command */
  gboolean wait_for_exit;     /* start application: at the next DNLOAD */
  /* injected faults (sim-fault.c), for the next write or erase only */
  guint    fail_status;       /* it fails with this bStatus, nothing done */
  gboolean lost;              /* a write answered OK that programmed nothing */
} SimFlipState;

/* what a request left to the device model */
typedef struct {
  guint64   busy_us;          /* the device works this long after answering */
  SimOpKind op;               /* for the statistics; SIM_OP_LAST: none */
  gsize     bytes;
  gboolean  leave;            /* the application starts */
} SimFlipEffect;

/* at power-up (plug) and at every entry to the bootloader */
void      sim_flip_power_up (SimFlipState *flip, const SimProfile *p);
void      sim_flip_enter (SimFlipState *flip, const SimProfile *p);

/* what a DNLOAD asks for, for the fault triggers: SIM_OP_WRITE (with the
 * bytes it programs in *bytes), SIM_OP_MASS_ERASE or SIM_OP_LAST */
SimOpKind sim_flip_classify (const SimSetup *setup, const guint8 *data, gsize *bytes);

/* one DFU class request to the FLIP bootloader; *state and *status are
 * the DFU state machine's */
SimResult sim_flip_request (SimFlipState *flip, const SimProfile *p, SimMemory *memory, guint *state,
                            guint *status, const SimSetup *setup, guint8 *data, gsize *actual,
                            SimFlipEffect *effect);

G_END_DECLS
