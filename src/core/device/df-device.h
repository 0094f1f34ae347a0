/* df-device.h: what the engine knows about one DFU interface on the bus,
 * as found by enumeration (df-usb.c).  Plain data, no libusb types, so the
 * CLI and GUI can show it and the plan can check a file against it. */
#pragma once

#include "df-layout.h"

G_BEGIN_DECLS

typedef enum {
  DF_DEVICE_MODE_RUNTIME,  /* application with a DFU runtime interface (protocol 1) */
  DF_DEVICE_MODE_DFU,      /* DFU mode (protocol 2), plain DFU 1.1 */
  DF_DEVICE_MODE_DFUSE,    /* DFU mode speaking ST's DfuSe extension */
  DF_DEVICE_MODE_MICROPYTHON, /* MicroPython on its serial port: machine.bootloader() switches it */
  DF_DEVICE_MODE_FLIP,     /* DFU mode speaking Atmel's FLIP v1 (AVR keyboards: df-flip.h) */
} DfDeviceMode;

/* DFU functional descriptor bmAttributes */
typedef enum {
  DF_ATTR_CAN_DOWNLOAD = 1 << 0,
  DF_ATTR_CAN_UPLOAD = 1 << 1,
  DF_ATTR_MANIFESTATION_TOLERANT = 1 << 2,
  DF_ATTR_WILL_DETACH = 1 << 3,
} DfAttributes;

typedef struct {
  guint8    alt;
  gchar    *name;    /* iInterface string, NULL if none */
  DfLayout *layout;  /* parsed DfuSe layout, NULL if the name is not one */
} DfAlt;

/* what the quirk table says about a device (df-quirks.h) */
typedef struct _DfQuirks DfQuirks;
/* a board running MicroPython (df-micropython.h) */
typedef struct _DfMicroPython DfMicroPython;
/* an AVR chip a FLIP bootloader runs on (df-flip-chips.h) */
typedef struct _DfFlipChip DfFlipChip;

typedef struct {
  gint          ref_count;
  guint16       vid;
  guint16       pid;
  guint16       bcd_device;
  gchar        *manufacturer;
  gchar        *product;
  gchar        *serial;
  guint8        bus;
  guint8        address;      /* device number on the bus */
  gchar        *path;         /* port path "1-2.3", stable while plugged in one port */
  guint8        configuration;
  guint8        interface;
  DfDeviceMode  mode;
  guint8        attributes;   /* DfAttributes */
  guint16       detach_timeout_ms;
  guint16       transfer_size;
  guint16       dfu_version;  /* bcdDFUVersion: 0x0110, 0x011a... */
  GPtrArray    *alts;         /* of DfAlt */
  gboolean      permission_denied; /* strings unreadable: the udev rule is missing */
  DfQuirks     *quirks;       /* set by enumeration (df_quirks_apply), NULL: none known */
  DfMicroPython *micropython; /* MICROPYTHON mode: the board and what it runs */
  const DfFlipChip *flip_chip; /* FLIP mode: the chip its id names (the signature decides at flash time) */
} DfDevice;

DfDevice    *df_device_new (void);
DfDevice    *df_device_ref (DfDevice *device);
void         df_device_unref (DfDevice *device);
DfAlt       *df_device_add_alt (DfDevice *device, guint8 alt, const gchar *name);
DfAlt       *df_device_find_alt (DfDevice *device, guint8 alt);
/* by number ("0") or by name, case-insensitive ("Internal Flash") */
DfAlt       *df_device_find_alt_by_text (DfDevice *device, const gchar *text);
/* "STM32F4 system bootloader, 1 MiB (0483:df11, serial 3276...) at 1-2":
 * named by the catalog (df-catalog.h), else by its product string */
gchar       *df_device_describe (DfDevice *device);

/* The smallest wTransferSize anything can be flashed with: DfuSe's
 * commands are 5 bytes, and the flash parts DFU serves program 8-byte
 * double words (STM32L4/G4).  A device reporting less has a broken or
 * counterfeit descriptor. */
#define DF_MIN_TRANSFER_SIZE 8
/* FALSE, with an error naming the device, when its transfer size is too
 * small to flash or read with */
gboolean     df_device_check_transfer_size (DfDevice *device, GError **error);
const gchar *df_device_mode_to_string (DfDeviceMode mode);
/* running an application that Defuse can switch to DFU mode (a DFU
 * runtime, MicroPython) */
gboolean     df_device_is_application (DfDevice *device);
/* whether a --device selector names it: "VID:PID" (hex), serial or port path */
gboolean     df_device_matches (DfDevice *device, const gchar *selector);
/* a key that is the same for the same device on the same port */
gchar       *df_device_get_id (DfDevice *device);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfDevice, df_device_unref)

G_END_DECLS
