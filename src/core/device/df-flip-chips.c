#include <string.h>

#include "df-flip-chips.h"

/* Signature bytes: each datasheet's "Signature Bytes" table.  Bootloader
 * sections: the factory bootloader's (4 KiB, 8 KiB on the AT90USB64x and
 * AT90USB128x, as dfu-programmer's table has them).  Page sizes: 64 words
 * on the 8/16/32 KiB parts, 128 words on the AT90USB64x/128x. */
static const DfFlipChip chips[] = {
  { "ATmega32U4",  "atmega32u4",  0x2ff4, { 0x1e, 0x95, 0x87 }, 0x8000,  0x1000, 128, 0x400 },
  { "ATmega16U4",  "atmega16u4",  0x2ff3, { 0x1e, 0x94, 0x88 }, 0x4000,  0x1000, 128, 0x200 },
  { "ATmega32U2",  "atmega32u2",  0x2ff0, { 0x1e, 0x95, 0x8a }, 0x8000,  0x1000, 128, 0x400 },
  { "ATmega16U2",  "atmega16u2",  0x2fef, { 0x1e, 0x94, 0x89 }, 0x4000,  0x1000, 128, 0x200 },
  { "ATmega8U2",   "atmega8u2",   0x2fee, { 0x1e, 0x93, 0x89 }, 0x2000,  0x1000, 128, 0x200 },
  { "AT90USB162",  "at90usb162",  0x2ffa, { 0x1e, 0x94, 0x82 }, 0x4000,  0x1000, 128, 0x200 },
  { "AT90USB82",   "at90usb82",   0x2ff7, { 0x1e, 0x93, 0x82 }, 0x2000,  0x1000, 128, 0x200 },
  { "AT90USB646",  "at90usb646",  0x2ff9, { 0x1e, 0x96, 0x82 }, 0x10000, 0x2000, 256, 0x800 },
  { "AT90USB647",  "at90usb647",  0x2ff9, { 0x1e, 0x96, 0x82 }, 0x10000, 0x2000, 256, 0x800 },
  { "AT90USB1286", "at90usb1286", 0x2ffb, { 0x1e, 0x97, 0x82 }, 0x20000, 0x2000, 256, 0x1000 },
  { "AT90USB1287", "at90usb1287", 0x2ffb, { 0x1e, 0x97, 0x82 }, 0x20000, 0x2000, 256, 0x1000 },
  { "ATmega32U6",  "atmega32u6",  0x2ff2, { 0x1e, 0x95, 0x88 }, 0x8000,  0x1000, 128, 0x400 },
};

const DfFlipChip *
df_flip_chip_nth (guint n)
{
  return n < G_N_ELEMENTS (chips) ? &chips[n] : NULL;
}

const DfFlipChip *
df_flip_chip_by_pid (guint16 pid)
{
  for (guint i = 0; i < G_N_ELEMENTS (chips); i++)
    if (chips[i].pid == pid)
      return &chips[i];
  return NULL;
}

const DfFlipChip *
df_flip_chip_by_signature (guint16 pid, const guint8 signature[3])
{
  for (guint i = 0; i < G_N_ELEMENTS (chips); i++)
    if (chips[i].pid == pid && memcmp (chips[i].signature, signature, 3) == 0)
      return &chips[i];
  return NULL;
}

const DfFlipChip *
df_flip_chip_any_by_signature (const guint8 signature[3])
{
  for (guint i = 0; i < G_N_ELEMENTS (chips); i++)
    if (memcmp (chips[i].signature, signature, 3) == 0)
      return &chips[i];
  return NULL;
}

const DfFlipChip *
df_flip_chip_by_mcu (const gchar *mcu)
{
  for (guint i = 0; mcu != NULL && i < G_N_ELEMENTS (chips); i++)
    if (g_ascii_strcasecmp (chips[i].mcu, mcu) == 0)
      return &chips[i];
  return NULL;
}

guint32
df_flip_chip_app_size (const DfFlipChip *chip)
{
  return chip->flash_size - chip->bootloader_size;
}

gchar *
df_flip_chip_flash_layout (const DfFlipChip *chip)
{
  /* application pages writeable, the bootloader's readable only */
  return g_strdup_printf ("@Flash/0x00000000/%u*%03u g,%u*%03u a",
                          df_flip_chip_app_size (chip) / chip->page_size, chip->page_size,
                          chip->bootloader_size / chip->page_size, chip->page_size);
}

gchar *
df_flip_chip_eeprom_layout (const DfFlipChip *chip)
{
  return g_strdup_printf ("@EEPROM/0x00000000/1*%u g", chip->eeprom_size);
}
