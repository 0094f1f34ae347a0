/* df-flip-chips.h: the AVR chips Atmel's FLIP v1 bootloaders run on, as
 * data: flash and EEPROM sizes, the flash page, the bootloader section at
 * the top of flash and the signature bytes.  Sources: the datasheets'
 * memory and signature tables, dfu-programmer's target table
 * (src/arguments.c) for the ids and the bootloader sections it assumes.
 * Some USB ids cover several chips (03eb:2ffb is the AT90USB1286 and the
 * AT90USB1287): the signature tells them apart, and where they differ in
 * nothing Defuse needs, the first is named. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct _DfFlipChip {
  const gchar *name;            /* "ATmega32U4" */
  const gchar *mcu;             /* "atmega32u4": avr-gcc's, dfu-programmer's and QMK's name */
  guint16      pid;             /* the factory bootloader's id (vendor 03eb) */
  guint8       signature[3];    /* 1E 95 87 */
  guint32      flash_size;
  guint32      bootloader_size; /* the section at the top of flash, never written */
  guint16      page_size;       /* the flash page (SPM_PAGESIZE) */
  guint32      eeprom_size;
};
typedef struct _DfFlipChip DfFlipChip;

#define DF_FLIP_VID 0x03eb

/* the first chip with this bootloader id, NULL if none */
const DfFlipChip *df_flip_chip_by_pid (guint16 pid);
/* the chip with this id and these signature bytes, NULL if none */
const DfFlipChip *df_flip_chip_by_signature (guint16 pid, const guint8 signature[3]);
/* by avr-gcc's name ("atmega32u4", case-insensitive), NULL if none */
const DfFlipChip *df_flip_chip_by_mcu (const gchar *mcu);
/* any chip with this signature, whatever its id (for messages) */
const DfFlipChip *df_flip_chip_any_by_signature (const guint8 signature[3]);
/* the application section: flash below the bootloader */
guint32           df_flip_chip_app_size (const DfFlipChip *chip);
/* the layouts Defuse shows and plans with ("@Flash/0x00000000/224*128 g,32*128 a") */
gchar            *df_flip_chip_flash_layout (const DfFlipChip *chip);
gchar            *df_flip_chip_eeprom_layout (const DfFlipChip *chip);
/* every chip, NULL-terminated order of the table */
const DfFlipChip *df_flip_chip_nth (guint n);

G_END_DECLS
