/* df-quirks.h: devices that do not say the truth about themselves, and
 * what the field has learnt to do about it (DESIGN.md section 3). */
#pragma once

#include "df-device.h"

G_BEGIN_DECLS

typedef enum {
  DF_QUIRK_NONE = 0,
  DF_QUIRK_UTF8_SERIAL = 1 << 0,   /* serial string holds raw bytes, not UTF-16 */
  DF_QUIRK_GD32_LAYOUT = 1 << 1,   /* the layout string is wrong; fix it from the serial */
} DfQuirks;

DfQuirks df_quirks_for (guint16 vid, guint16 pid);
/* corrects what enumeration read, once the device's alts are known */
void     df_quirks_fix_device (DfDevice *device);

G_END_DECLS
