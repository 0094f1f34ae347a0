#include <string.h>

#include "df-quirks.h"

#define GD32_VID 0x28e9
#define GD32VF103_PID 0x0189
#define GD32VF103_FLASH_BASE 0x08000000

DfQuirks
df_quirks_for (guint16 vid, guint16 pid)
{
  /* GD32VF103: the serial descriptor holds 8-bit characters (dfu-util's
   * QUIRK_UTF8_SERIAL) and alt 0 claims 512 x 2 KiB pages where the part
   * has 1 KiB pages (dfu-util's QUIRK_DFUSE_LAYOUT) */
  if (vid == GD32_VID && pid == GD32VF103_PID)
    return DF_QUIRK_UTF8_SERIAL | DF_QUIRK_GD32_LAYOUT;
  return DF_QUIRK_NONE;
}

/* The serial is the part number's tail, e.g. "3CBJ": its third character
 * gives the flash size (GD32VF103 datasheet, tables 2-1 and 2-2); every
 * GD32VF103 has 1 KiB pages. */
static guint
gd32_page_count (const gchar *serial)
{
  switch (serial[2])
    {
    case '4':
      return 16;
    case '6':
      return 32;
    case '8':
      return 64;
    default:
      return 128;  /* 'B', and the largest part for anything unknown */
    }
}

void
df_quirks_fix_device (DfDevice *device)
{
  DfAlt *alt;
  g_autofree gchar *fixed = NULL;
  DfLayout *layout;

  if (!(df_quirks_for (device->vid, device->pid) & DF_QUIRK_GD32_LAYOUT))
    return;
  alt = df_device_find_alt (device, 0);
  if (alt == NULL || alt->layout == NULL || device->serial == NULL ||
      strlen (device->serial) != 4 || device->serial[0] != '3' || device->serial[3] != 'J')
    return;
  fixed = g_strdup_printf ("@%s/0x%08x/%u*001Kg", alt->layout->name, GD32VF103_FLASH_BASE,
                           gd32_page_count (device->serial));
  layout = df_layout_parse (fixed, NULL);
  if (layout == NULL)
    return;
  g_debug ("GD32VF103: layout “%s” replaced by “%s”", alt->name, fixed);
  df_layout_free (alt->layout);
  alt->layout = layout;
}
