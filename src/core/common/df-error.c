#include "df-error.h"

G_DEFINE_QUARK (df-error-quark, df_error)

/* indexed by DfError; scripts depend on these names: never rename one */
static const gchar *const kinds[] = {
  [DF_ERROR_FAILED] = "failed",
  [DF_ERROR_INVALID_FILE] = "bad-file",
  [DF_ERROR_INVALID_ARGUMENT] = "usage",
  [DF_ERROR_NOT_SUPPORTED] = "not-supported",
  [DF_ERROR_IO] = "file-error",
  [DF_ERROR_NOT_FOUND] = "no-device",
  [DF_ERROR_AMBIGUOUS] = "several-devices",
  [DF_ERROR_PERMISSION] = "permission",
  [DF_ERROR_INCOMPATIBLE] = "does-not-fit",
  [DF_ERROR_DEVICE] = "device-error",
  [DF_ERROR_PROTECTED] = "read-protected",
  [DF_ERROR_DISCONNECTED] = "device-gone",
  [DF_ERROR_TIMEOUT] = "timeout",
  [DF_ERROR_PROTOCOL] = "protocol",
  [DF_ERROR_STALLED] = "stalled",
  [DF_ERROR_VERIFY] = "verify-failed",
  [DF_ERROR_CANCELLED] = "cancelled",
  [DF_ERROR_WRITE] = "write-failed",
  [DF_ERROR_ADDRESS] = "address-refused",
  [DF_ERROR_IN_USE] = "in-use",
};

const gchar *
df_error_kind (const GError *error)
{
  if (error == NULL || error->domain != DF_ERROR || error->code < 0 ||
      (gsize) error->code >= G_N_ELEMENTS (kinds) || kinds[error->code] == NULL)
    return "failed";
  return kinds[error->code];
}
