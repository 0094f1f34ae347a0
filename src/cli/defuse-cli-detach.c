/* defuse-cli detach: from the application to DFU mode. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-error.h"

int
cli_detach (int argc, char **argv)
{
  g_auto(GStrv) selectors = NULL;
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &selectors, N_("The device: VID:PID, serial number or port path"), N_("SEL") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(DfDevice) dfu = NULL;
  g_autofree gchar *before = NULL, *after = NULL;

  g_option_context_set_summary (context, _("Ask a device running its application to switch to DFU mode, and wait for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;

  devices = cli_select_devices ((const gchar *const *) selectors, TRUE, &error);
  /* no DFU device: a board running MicroPython? */
  if (devices == NULL && g_error_matches (error, DF_ERROR, DF_ERROR_NOT_FOUND))
    {
      g_autoptr(GError) none = g_steal_pointer (&error);
      devices = cli_micropython_select ((const gchar *const *) selectors, NULL, FALSE, &error);
      if (devices == NULL && error == NULL)
        error = g_steal_pointer (&none);
    }
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      return cli_exit_for_error (error);
    }
  before = df_device_describe (g_ptr_array_index (devices, 0));
  if (!df_device_is_application (g_ptr_array_index (devices, 0)))
    {
      printf (_("%s is already in DFU mode\n"), before);
      return CLI_EXIT_OK;
    }
  dfu = df_device_detach_and_wait (g_ptr_array_index (devices, 0), NULL, &error);
  if (dfu == NULL)
    {
      cli_error ("%s: %s", before, error->message);
      return cli_exit_for_error (error);
    }
  after = df_device_describe (dfu);
  printf (_("%s is now in DFU mode: %s\n"), before, after);
  return CLI_EXIT_OK;
}
