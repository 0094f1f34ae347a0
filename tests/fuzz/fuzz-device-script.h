/* fuzz-device-script.h: a DFU device in the test's own process whose every
 * answer comes from a script (a fuzz input), put in place of libusb with
 * df_usb_set_bus() and of the clock with df_clock_install().
 *
 * It behaves as a DFU 1.1 device and, when its descriptors say DfuSe, as
 * an STM32 bootloader (DESIGN.md section 3): a state machine, memory that
 * reads back what was written, an address pointer, erase by sector of its
 * layout; when the engine takes it for Atmel's FLIP (its id is in the
 * quirk table), as LUFA's DFU bootloader (fuzz-device-flip.c).  Before answering each request (and each string read) it takes
 * one byte off the script saying how to answer it; an empty script is a
 * device that does everything right, so a seed with no script reaches the
 * end of a flash:
 *
 *   low 4 bits  0 (or >= 12): answer right     1: stall
 *               2: drop off the bus            3: hold the request until it times out
 *               4: short answer (IN) / I/O error (OUT)   5: over-long answer (overflow)
 *               6: GETSTATUS: busy, bwPollTimeout from the next 3 bytes
 *               7: GETSTATUS: dfuERROR with bStatus = high 4 bits
 *               8: GETSTATUS: the next 6 bytes as the answer
 *               9: hold the request (high 4 bits x 250 ms) then answer
 *               10: lose its state (back to dfuIDLE)   11: cancel the job
 *
 * Time is virtual: the engine's sleeps and the device's holds advance it,
 * nothing really waits.  The device aborts when the engine leaves it
 * waiting (a sleep, or a request it must hold to its timeout) longer than
 * max_wait_us, or spends more than max_operation_us from a DNLOAD to its
 * last status request: that is a wait past the bound.  It records every erase,
 * write, mass erase and read unprotect it was asked for, where the host
 * asked for it (a device that lost a SET_ADDRESS writes elsewhere: its
 * fault, not the host's). */
#pragma once

#include "df-device.h"
#include "fuzz-reader.h"

G_BEGIN_DECLS

typedef struct {
  guint16    vid;
  guint16    pid;
  guint16    bcd_device;
  guint8     class_code;     /* bInterfaceClass (0xFE) */
  guint8     subclass;       /* bInterfaceSubClass (0x01) */
  guint8     protocol;       /* bInterfaceProtocol: 1 runtime, 2 DFU mode */
  GBytes    *functional;     /* the descriptors after the last alt setting */
  GPtrArray *alt_names;      /* of GBytes, one alt setting each */
  GBytes    *manufacturer;   /* NULL: no string */
  GBytes    *product;
  GBytes    *serial;

  guint16    busy_poll_ms;   /* the bwPollTimeout of its busy answers */
  gboolean   block_by_length; /* DfuSe: block n at pointer + (n - 2) x wLength, not x wTransferSize */
  guint8     memory_fill;    /* what memory never written reads as */
  gboolean   comes_back;     /* dropped off the bus: back in DFU mode at the next enumeration */
  gint64     max_wait_us;    /* the longest the engine may leave it waiting */
  gint64     max_operation_us; /* the longest from a DNLOAD to the end of its status requests */
} ScriptedDeviceConfig;

typedef enum {
  SCRIPT_ERASE,       /* DfuSe erase of the page at address */
  SCRIPT_MASS_ERASE,
  SCRIPT_UNPROTECT,
  SCRIPT_WRITE,       /* DfuSe: at address */
  SCRIPT_DOWNLOAD,    /* plain DFU: at offset address of the download */
  SCRIPT_CHIP_ERASE,  /* FLIP: the application section, address its size */
} ScriptOpKind;

typedef struct {
  ScriptOpKind kind;
  guint8       alt;    /* FLIP: the memory, 0 flash or 1 EEPROM */
  guint32      address;
  GBytes      *data;   /* SCRIPT_WRITE, SCRIPT_DOWNLOAD */
} ScriptOp;

typedef struct _ScriptedDevice ScriptedDevice;

/* prints "fuzz invariant: ..." and aborts (SIGABRT, which libFuzzer
 * catches and saves the input for; g_error() would raise SIGTRAP) */
void fuzz_violation (const gchar *format, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

/* takes the config's contents; the script is read as requests come */
ScriptedDevice *scripted_device_new (ScriptedDeviceConfig *config, FuzzReader *script);
void            scripted_device_free (ScriptedDevice *device);
/* it becomes the bus and the clock until uninstalled */
void            scripted_device_install (ScriptedDevice *device);
void            scripted_device_uninstall (ScriptedDevice *device);

/* what enumeration finds now (df_usb_enumerate) */
GPtrArray      *scripted_device_enumerate (ScriptedDevice *device);
/* the erases and writes it was asked for, of ScriptOp, in order */
GPtrArray      *scripted_device_get_ops (ScriptedDevice *device);
/* virtual time since it was made */
gint64          scripted_device_elapsed_us (ScriptedDevice *device);
guint           scripted_device_get_dnloads (ScriptedDevice *device);
/* checks the last DNLOAD's time (done at the next request that is not a
 * GETSTATUS; call it when the operation returns) */
void            scripted_device_end_operation (ScriptedDevice *device);
/* what a cancel answer cancels: hand it to the operation */
GCancellable   *scripted_device_get_cancellable (ScriptedDevice *device);

G_END_DECLS
