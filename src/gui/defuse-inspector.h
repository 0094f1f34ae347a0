/* defuse-inspector.h: what is in a firmware file (format, suffix, CRC,
 * targets and elements, notes), and the words the window shares. */
#pragma once

#include <adwaita.h>

#include "df-plan.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_INSPECTOR (defuse_inspector_get_type ())
G_DECLARE_FINAL_TYPE (DefuseInspector, defuse_inspector, DEFUSE, INSPECTOR, GtkWidget)

void defuse_inspector_set_image (DefuseInspector *self, DfImage *image);

/* "DfuSe", "Intel HEX"... translated */
const gchar *defuse_format_describe (DfFormat format);
/* "DfuSe firmware", "Intel HEX"...: the format in the file's summary */
const gchar *defuse_format_describe_short (DfFormat format);
/* "0483:df11", "any", "0483:0000 (no product given)" */
gchar       *defuse_format_usb_id (guint16 vid, guint16 pid);

/* the core's message fragments as sentences: capital first, full stop */
gchar       *defuse_sentence (const gchar *fragment);
/* "~/Documents/x.dfu" rather than "/home/ada/Documents/x.dfu" */
gchar       *defuse_display_path (const gchar *path);

G_END_DECLS
