/* placeholder: being written */
#include "df-error.h"
#include "df-formats.h"

DfImage *
df_raw_parse (GBytes *bytes, const gchar *name, guint32 address)
{
  DfImage *image = df_image_new (DF_FORMAT_RAW, name);
  DfTarget *target = df_image_add_target (image, 0, NULL);
  df_target_add_segment (target, address, bytes);
  return image;
}

GBytes *
df_raw_write (DfImage *image, const DfWriteOptions *options, guint32 *base, GError **error)
{
  g_set_error_literal (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, "not implemented yet");
  return NULL;
}
