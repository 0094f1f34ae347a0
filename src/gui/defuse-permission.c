/* defuse-permission.c: where the udev rule is decides the commands.  udev
 * reads /usr/lib/udev/rules.d itself, so a packaged Defuse only needs a
 * reload; a /usr/local install or a build tree needs the rule copied to
 * /etc/udev/rules.d; inside Flatpak the host cannot see our files, so the
 * rule's one essential line is written with tee. */
#include "defuse-config.h"

#include "defuse-permission.h"

#define RELOAD "sudo udevadm control --reload && sudo udevadm trigger"
#define ESSENTIAL_RULE "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ENV{ID_USB_INTERFACES}==\"*:fe01??:*\", TAG+=\"uaccess\""

gchar *
defuse_permission_commands (void)
{
  const gchar *candidates[] = { UDEV_RULE_INSTALLED, UDEV_RULE_SOURCE };

  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return g_strdup ("echo '" ESSENTIAL_RULE "' | sudo tee /etc/udev/rules.d/60-defuse.rules\n" RELOAD);
  if (g_str_has_prefix (UDEV_RULE_INSTALLED, "/usr/lib/udev/") && g_file_test (UDEV_RULE_INSTALLED, G_FILE_TEST_EXISTS))
    return g_strdup (RELOAD);
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_EXISTS))
      {
        g_autofree gchar *quoted = g_shell_quote (candidates[i]);
        return g_strdup_printf ("sudo install -m 644 %s /etc/udev/rules.d/\n%s", quoted, RELOAD);
      }
  return g_strdup ("echo '" ESSENTIAL_RULE "' | sudo tee /etc/udev/rules.d/60-defuse.rules\n" RELOAD);
}
