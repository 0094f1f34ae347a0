/* defuse-cli unprotect: remove an STM32's read protection (RDP).  The chip
 * erases all its memory to do it, so --force is required. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-cli.h"

int
cli_unprotect (int argc, char **argv)
{
  g_auto(GStrv) selectors = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &selectors, N_("The device: VID:PID, serial number or port path"), N_("SEL") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Confirm that ALL memory of the chip may be erased"), NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(DfDevice) device = NULL;
  g_autofree gchar *label = NULL;

  g_option_context_set_summary (context, _("Remove the read protection of an STM32 (DfuSe). The chip erases ALL its memory."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (!force)
    {
      cli_error (_("removing the read protection erases the whole chip, data included; add --force to confirm"));
      return CLI_EXIT_USAGE;
    }
  devices = cli_select_devices ((const gchar *const *) selectors, TRUE, &error);
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      return cli_exit_for_error (error);
    }
  label = df_device_describe (g_ptr_array_index (devices, 0));
  if (((DfDevice *) g_ptr_array_index (devices, 0))->mode != DF_DEVICE_MODE_DFUSE)
    {
      cli_error (_("%s does not speak DfuSe: it has no read protection to remove"), label);
      return CLI_EXIT_INCOMPATIBLE;
    }
  device = df_device_unprotect_and_wait (g_ptr_array_index (devices, 0), NULL, &error);
  if (device == NULL)
    {
      cli_error ("%s: %s", label, error->message);
      return cli_exit_for_error (error);
    }
  printf (_("%s: read protection removed; the chip is blank and back in DFU mode\n"), label);
  return CLI_EXIT_OK;
}
