/* df-flip-command.h: single FLIP operations on a device, outside a flash
 * job: for `defuse-cli read`, `info`, and the dfu-programmer personality
 * (erase, read, start the application), and the EEPROM images the window
 * offers (QMK Toolbox's Clear EEPROM and Set Left/Right Hand). */
#pragma once

#include <gio/gio.h>

#include "df-device.h"
#include "df-flip.h"
#include "df-image.h"
#include "df-memory.h"

G_BEGIN_DECLS

typedef struct {
  guint8            signature[3];
  guint8            bootloader_version;
  guint8            bootloader_id[2];
  const DfFlipChip *chip;       /* by signature and id; NULL: unknown or reads FF */
} DfFlipIdentity;

gboolean df_flip_device_identify (DfDevice *device, DfFlipIdentity *identity, GCancellable *cancellable,
                                  GError **error);
/* one configuration byte (df_flip_read_config: 0 00 the bootloader's
 * version, 1 30 the manufacturer...), as dfu-programmer's `get` reads it */
gboolean df_flip_device_read_config (DfDevice *device, guint8 group, guint8 index, guint8 *value,
                                     GCancellable *cancellable, GError **error);
/* the chip erase, then the blank check of the application section */
gboolean df_flip_device_erase (DfDevice *device, GCancellable *cancellable, GError **error);
/* *blank for the application section; the first used address otherwise */
gboolean df_flip_device_blank_check (DfDevice *device, gboolean *blank, guint32 *first_used,
                                     GCancellable *cancellable, GError **error);
GBytes  *df_flip_device_read (DfDevice *device, DfFlipMemory memory, guint32 address, gsize length,
                              DfChunkFunc func, gpointer user_data, GCancellable *cancellable, GError **error);
/* reset: a watchdog reset (`04 03 00`), else a jump to 0 */
gboolean df_flip_device_start (DfDevice *device, gboolean reset, GCancellable *cancellable, GError **error);

/* EEPROM images for a FLIP job (flash with options.alt = DF_FLIP_EEPROM):
 * bytes at address; QMK Toolbox's reset.eep (one 0x00 at 0: QMK's
 * EECONFIG magic is gone, the keyboard resets its settings at the next
 * start); its left.eep/right.eep (QMK's EECONFIG_HANDEDNESS byte) */
DfImage *df_flip_eeprom_image_new (guint32 address, const guint8 *bytes, gsize size);
DfImage *df_flip_eeprom_clear_image_new (void);
DfImage *df_flip_eeprom_handedness_image_new (gboolean left);

G_END_DECLS
