/* df-error.h: the one error domain of the Defuse core.  Codes say what kind
 * of thing went wrong so callers (CLI exit status, GUI hints) can react;
 * the message says what, on what, and what to do. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DF_ERROR (df_error_quark ())
GQuark df_error_quark (void);

typedef enum {
  DF_ERROR_FAILED,           /* anything not below */
  DF_ERROR_INVALID_FILE,     /* the firmware file is malformed */
  DF_ERROR_INVALID_ARGUMENT, /* the user asked for something impossible */
  DF_ERROR_NOT_SUPPORTED,    /* the format or device cannot do that */
  DF_ERROR_IO,               /* reading or writing a file failed */
  DF_ERROR_NOT_FOUND,        /* no such device or alt setting */
  DF_ERROR_AMBIGUOUS,        /* several devices match a selection */
  DF_ERROR_PERMISSION,       /* the OS refused access to the device */
  DF_ERROR_INCOMPATIBLE,     /* the file does not fit the device */
  DF_ERROR_DEVICE,           /* the device reported an error status */
  DF_ERROR_PROTECTED,        /* the chip is read-protected */
  DF_ERROR_DISCONNECTED,     /* the device went away */
  DF_ERROR_TIMEOUT,          /* the device stopped answering */
  DF_ERROR_PROTOCOL,         /* the device answered nonsense */
  DF_ERROR_STALLED,          /* the device stalled (refused) a request */
  DF_ERROR_VERIFY,           /* read-back differs from what was written */
  DF_ERROR_CANCELLED,        /* the user cancelled */
  DF_ERROR_WRITE,            /* the device could not erase or write (errWRITE, errERASE...) */
  DF_ERROR_ADDRESS,          /* the device refused the address (errTARGET, errADDRESS) */
  DF_ERROR_IN_USE,           /* another program holds the device */
} DfError;

/* A stable, machine-readable name for what went wrong ("no-device",
 * "verify-failed"...), the "kind" of defuse-cli's --json failure events
 * and the GUI's report; documented in defuse-cli(1).  The one place that
 * maps errors to kinds: any error outside DF_ERROR is "failed". */
const gchar *df_error_kind (const GError *error);

G_END_DECLS
