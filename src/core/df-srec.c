/* placeholder: being written */
#include "df-error.h"
#include "df-formats.h"

DfImage *
df_srec_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  DfImage *image = df_image_new (DF_FORMAT_UNKNOWN, name);
  df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 0, "not implemented yet");
  return image;
}

GBytes *
df_srec_write (DfImage *image, GError **error)
{
  g_set_error_literal (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, "not implemented yet");
  return NULL;
}
