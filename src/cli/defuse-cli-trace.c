/* --trace FILE.pcapng for flash, read and list: every control transfer of
 * the run, for Wireshark or tshark. */
#include <inttypes.h>
#include <glib/gi18n.h>

#include "defuse-cli.h"
#include "df-trace.h"

gboolean
cli_trace_start (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  DfTrace *trace;

  if (path == NULL)
    return TRUE;
  trace = df_trace_new_file (path, &error);
  if (trace == NULL)
    {
      cli_error ("%s", error->message);
      return FALSE;
    }
  df_trace_set_default (trace);
  return TRUE;
}

int
cli_trace_finish (int status)
{
  g_autoptr(GError) error = NULL;
  DfTrace *trace = df_trace_get_default ();
  guint64 transfers;

  if (trace == NULL)
    return status;
  df_trace_set_default (NULL);
  transfers = df_trace_get_transfers (trace);
  if (!df_trace_close (trace, &error))
    {
      cli_error ("%s", error->message);
      return status == CLI_EXIT_OK ? CLI_EXIT_BAD_FILE : status;
    }
  /* on stderr: stdout may be --json's events */
  g_printerr (_("USB trace: %" PRIu64 " control transfers. Wireshark 4.0 and older decode DFU in it "
                "with Decode As… (USB product → USB DFU).\n"), transfers);
  return status;
}
