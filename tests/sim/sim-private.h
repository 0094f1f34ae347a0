/* sim-private.h: what the files of the device model share (not the runner).
 *
 * sim-profile.c  loads a profile (JSON) into SimProfile
 * sim-flash.c    the memory: sectors, NOR programming rules
 * sim-fault.c    parses fault specs
 * sim-stats.c    counts and times everything, writes JSON and the log
 * sim-device.c   USB descriptors, standard requests, the DFU/DfuSe state
 *                machine and the clock
 */
#pragma once

#include "df-layout.h"
#include "sim-device.h"
#include "sim-flash.h"

G_BEGIN_DECLS

/* DFU 1.1 section 6.1.2 */
typedef enum {
  SIM_STATE_APP_IDLE            = 0,
  SIM_STATE_APP_DETACH          = 1,
  SIM_STATE_DFU_IDLE            = 2,
  SIM_STATE_DNLOAD_SYNC         = 3,
  SIM_STATE_DNBUSY              = 4,
  SIM_STATE_DNLOAD_IDLE         = 5,
  SIM_STATE_MANIFEST_SYNC       = 6,
  SIM_STATE_MANIFEST            = 7,
  SIM_STATE_MANIFEST_WAIT_RESET = 8,
  SIM_STATE_UPLOAD_IDLE         = 9,
  SIM_STATE_ERROR               = 10,
} SimState;

/* bStatus values */
enum {
  SIM_OK               = 0x00,
  SIM_ERR_TARGET       = 0x01,
  SIM_ERR_FILE         = 0x02,
  SIM_ERR_WRITE        = 0x03,
  SIM_ERR_ERASE        = 0x04,
  SIM_ERR_CHECK_ERASED = 0x05,
  SIM_ERR_PROG         = 0x06,
  SIM_ERR_VERIFY       = 0x07,
  SIM_ERR_ADDRESS      = 0x08,
  SIM_ERR_NOTDONE      = 0x09,
  SIM_ERR_FIRMWARE     = 0x0A,
  SIM_ERR_VENDOR       = 0x0B,
  SIM_ERR_USBR         = 0x0C,
  SIM_ERR_POR          = 0x0D,
  SIM_ERR_UNKNOWN      = 0x0E,
  SIM_ERR_STALLEDPKT   = 0x0F,
};

const gchar *sim_state_to_string (guint state);       /* "dfuDNBUSY" */
gboolean     sim_state_from_string (const gchar *str, guint *state);
const gchar *sim_status_to_string (guint status);     /* "errVERIFY" */
gboolean     sim_status_from_string (const gchar *str, guint *status);

/* DFU class requests */
enum {
  SIM_DFU_DETACH    = 0,
  SIM_DFU_DNLOAD    = 1,
  SIM_DFU_UPLOAD    = 2,
  SIM_DFU_GETSTATUS = 3,
  SIM_DFU_CLRSTATUS = 4,
  SIM_DFU_GETSTATE  = 5,
  SIM_DFU_ABORT     = 6,
};

/* the operations a DNLOAD starts, for timing and statistics */
typedef enum {
  SIM_OP_SET_ADDRESS,
  SIM_OP_ERASE,
  SIM_OP_MASS_ERASE,
  SIM_OP_READ_UNPROTECT,
  SIM_OP_WRITE,
  SIM_OP_LEAVE,        /* DfuSe leave, or plain DFU manifestation */
  SIM_OP_READ,         /* an UPLOAD of memory (no GETSTATUS, wire time only) */
  SIM_OP_LAST,
} SimOpKind;

const gchar *sim_op_to_string (SimOpKind op);  /* "set_address", "erase", ... */

typedef enum {
  SIM_MODE_DFUSE,    /* an ST DfuSe bootloader */
  SIM_MODE_DFU,      /* a plain DFU 1.1 device in DFU mode */
  SIM_MODE_RUNTIME,  /* an application with a DFU runtime interface */
  SIM_MODE_MICROPYTHON, /* MicroPython on a USB serial port; machine.bootloader() */
  SIM_MODE_FLIP,     /* an AVR's FLIP v1 bootloader (Atmel factory, LUFA/QMK DFU): sim-flip.c */
} SimProfileMode;

typedef enum {
  SIM_AFTER_LEAVE_APP,         /* comes back as the application */
  SIM_AFTER_LEAVE_BOOTLOADER,  /* comes back as the bootloader (BOOT0 held high) */
  SIM_AFTER_LEAVE_GONE,        /* stays away */
} SimAfterLeave;

typedef struct {
  guint16  vid;
  guint16  pid;
  guint16  bcd_device;
  guint16  bcd_usb;
  gchar   *manufacturer;
  gchar   *product;
  gchar   *serial;
  gboolean serial_8bit;       /* GD32VF103: serial string as 8-bit bytes, not UTF-16LE */
  guint8   max_packet_size0;
  guint    speed_mbps;
  guint8   max_power;         /* bMaxPower, 2 mA units */
  guint8   config_attributes; /* bmAttributes of the configuration */
} SimUsbIdentity;

typedef struct {
  gchar         *name;      /* iInterface string as the device reports it */
  DfLayout      *reported;  /* name parsed, NULL when not a DfuSe layout */
  DfLayout      *geometry;  /* the real memory behind the alt, never NULL */
  SimMemoryKind  memory;
  GBytes        *fill;      /* initial contents from the alt's base, or NULL */
} SimAltProfile;

typedef struct {
  GArray  *erase_us;          /* of SimEraseTime, by sector size */
  gdouble  erase_us_per_kib;  /* for sector sizes not listed */
  guint64  program_us;        /* per program unit */
  guint64  write_overhead_us; /* per write request */
  guint64  mass_erase_us;
  guint64  command_us;        /* set address, rejected commands */
  guint64  read_unprotect_us;
  guint64  manifest_us;       /* leave / manifestation */
  guint64  reconnect_us;      /* gone to back on the bus after leave, reset, detach */
  guint64  detach_us;         /* DETACH to disconnect for will-detach devices */
} SimTiming;

typedef struct {
  guint32 size;
  guint64 us;
} SimEraseTime;

/* what a GETSTATUS gets while the device is still erasing (other
 * operations hold it: SIM_BUSY_NAK), or for SIM_BUSY_ERROR before the
 * bwPollTimeout it reported has passed, whatever the operation */
typedef enum {
  SIM_BUSY_NAK,     /* held until the device is ready (STM32F4: erases block the USB stack) */
  SIM_BUSY_STALL,   /* stalled (STM32F0, L4: dfu-util retries up to 3 times) */
  SIM_BUSY_ANSWER,  /* answered dfuDNBUSY again (STM32H7: hosts poll until it ends) */
  SIM_BUSY_ERROR,   /* spec-strict: in dfuDNBUSY, before bwPollTimeout, DFU 1.1 (appendix A,
                     * state 4) expects no request: stalled, dfuERROR/errSTALLEDPKT */
} SimBusyStatus;

typedef struct _SimFlipProfile SimFlipProfile;

struct _SimProfile {
  gint            ref_count;
  gchar          *name;
  gchar          *path;
  gchar          *description;
  SimProfileMode  mode;
  SimUsbIdentity  usb;

  /* DFU functional descriptor and interface */
  guint8          dfu_attributes;
  guint16         detach_timeout_ms;
  guint16         transfer_size;
  guint16         bcd_dfu;
  guint8          dfu_interface;    /* its bInterfaceNumber (runtime apps put it after others) */
  gchar          *runtime_name;     /* iInterface of a runtime interface */

  GPtrArray      *alts;             /* of SimAltProfile */
  SimFlashRules   rules;
  SimTiming       timing;
  guint           poll_ms[SIM_OP_LAST];  /* bwPollTimeout the device reports per operation */
  guint64         wire_latency_us;
  guint64         wire_bytes_per_s;

  /* quirks */
  SimBusyStatus   getstatus_while_busy;
  SimBusyStatus   getstatus_while_writing;     /* mboot answers dfuDNBUSY for writes too */
  guint32         wedge_after_erase_from;      /* H7 rev V: dfuDNBUSY for good after erasing here (0: never) */
  gboolean        clrstatus_stalls;            /* C5: CLRSTATUS outside dfuERROR stalls */
  guint16         max_dnload;                  /* G4: longest DNLOAD accepted (0: wTransferSize) */
  gboolean        serial_shared;               /* every part has the same serial (F0, AT32) */
  gboolean        leave_on_dnload;             /* GD32VF103: gone at the zero-length DNLOAD */
  guint           power_on_state;
  guint           power_on_status;
  gboolean        read_protected;

  SimAfterLeave   after_leave;
  SimUsbIdentity  app;              /* what comes back after leave (plain application) */
  SimProfile     *bootloader;       /* runtime, micropython: the DFU-mode profile it switches into */
  SimMicroPython  micropython;      /* what a micropython profile's REPL reports */
  gchar          *version_in_flash; /* the banner prefix to find the flashed version by, or NULL */
  SimFlipProfile *flip;             /* mode flip: the bootloader (sim-flip.h) */
};

SimProfile *sim_profile_ref (SimProfile *profile);
/* sim-micropython.c: what the board reports: the profile's, or the banner
 * found in the flash after prefix ("MicroPython v1.25.0 on 2025-04-15; MACHINE") */
SimMicroPython *sim_micropython_new (const SimMicroPython *profile, const guint8 *flash, gsize size,
                                     const gchar *prefix);
const gchar *sim_profile_get_dir (void);
void        sim_usb_identity_clear (SimUsbIdentity *usb);

/* the time one control transfer takes on the wire, unscaled */
guint64     sim_profile_wire_us (const SimProfile *profile, gsize data_bytes);
/* the busy time of erasing one sector of size bytes, unscaled */
guint64     sim_profile_erase_us (const SimProfile *profile, guint32 size);

/* for the unit tests: the device's DFU state and bStatus, its address
 * pointer and whether it is read protected */
guint       sim_device_get_state (SimDevice *dev);
guint       sim_device_get_status (SimDevice *dev);
guint32     sim_device_get_pointer (SimDevice *dev);
gboolean    sim_device_is_read_protected (SimDevice *dev);

G_END_DECLS
