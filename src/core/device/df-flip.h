/* df-flip.h: Atmel's FLIP protocol version 1 on an opened DFU interface:
 * the bootloader of the ATmega16U2/32U2/16U4/32U4 and AT90USB chips, and
 * the LUFA and QMK DFU bootloaders that copy it.  Every command is a DFU
 * DNLOAD whose data is the command (Atmel doc7618, appendix; LUFA
 * Bootloaders/DFU/BootloaderDFU.c; dfu-programmer src/atmel.c; avrdude
 * src/flip1.c).  No policy here: df-job-flip.c decides what to do. */
#pragma once

#include "df-flip-chips.h"
#include "df-protocol.h"

G_BEGIN_DECLS

typedef enum {
  DF_FLIP_FLASH = 0,
  DF_FLIP_EEPROM = 1,
} DfFlipMemory;

/* the most data bytes one write or read block carries (dfu-programmer's
 * ATMEL_MAX_TRANSFER_SIZE; a 64 KiB boundary is never crossed either) */
#define DF_FLIP_MAX_BLOCK 1024
/* how long a chip erase may keep the device busy (dfu-programmer waits
 * 20 s; an AT90USB1287 erases 120 KiB in about 1 s) */
#define DF_FLIP_ERASE_MAX_MS 20000

/* GETSTATUS, then CLRSTATUS and ABORT as needed, until dfuIDLE with
 * status OK; forgets the selected 64 KiB page */
gboolean df_flip_make_idle (DfConnection *c, GError **error);

/* one configuration byte: `05 group index`, GETSTATUS, a 1-byte UPLOAD;
 * group 0 = bootloader (00 version, 01 id1, 02 id2), 1 = signature
 * (30 manufacturer, 31 family, 60 product, 61 revision) */
gboolean df_flip_read_config (DfConnection *c, guint8 group, guint8 index, guint8 *value, GError **error);
/* the three AVR signature bytes (family, product, revision: 1E 95 87) */
gboolean df_flip_read_signature (DfConnection *c, guint8 signature[3], GError **error);
gboolean df_flip_read_bootloader_version (DfConnection *c, guint8 *version, GError **error);

/* `04 00 FF`: erases the application section and lifts the security
 * lock; a device that answers dfuDNBUSY/errNOTDONE is asked again for up
 * to DF_FLIP_ERASE_MAX_MS, one that holds the status request is waited for */
gboolean df_flip_chip_erase (DfConnection *c, GError **error);

/* `03 01 start end` within the selected 64 KiB page (end inclusive):
 * *blank, and where it is not, the first used address in *first_used */
gboolean df_flip_blank_check (DfConnection *c, guint16 start, guint16 end, gboolean *blank,
                              guint16 *first_used, GError **error);

/* whether the factory bootloader's security lock is on (only an erase lifts
 * it): a one-byte blank check that a locked device refuses with errWRITE */
gboolean df_flip_is_locked (DfConnection *c, gboolean *locked, GError **error);

/* `06 03 00 PP`: the 64 KiB page of flash the 16-bit addresses are in;
 * sent only when it changes (and once after make_idle) */
gboolean df_flip_select_page (DfConnection *c, guint8 page, GError **error);

/* one block: 1..DF_FLIP_MAX_BLOCK bytes within one 64 KiB page of
 * address (32-bit: the page is selected as needed) */
gboolean df_flip_write_block (DfConnection *c, DfFlipMemory memory, guint32 address,
                              const guint8 *data, gsize length, GError **error);
gboolean df_flip_read_block (DfConnection *c, DfFlipMemory memory, guint32 address,
                             guint8 *data, gsize length, GError **error);

/* start the application: `04 03 00` (watchdog reset) or `04 03 01 00 00`
 * (jump to 0), then the zero-length DNLOAD that makes it go; the device
 * leaving the bus on the way is success */
gboolean df_flip_start_application (DfConnection *c, gboolean reset, GError **error);

G_END_DECLS
