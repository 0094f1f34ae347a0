/* dfu-util -l: one line per matching alt setting, in dfu-util 0.11's exact
 * format, since build scripts match it with regular expressions (QMK greps
 * "Found DFU", others take [vid:pid], alt=N, name="..." and serial="...").
 * Strings are ASCII as libusb reads them; absent ones print UNKNOWN. */
#include <stdio.h>

#include "defuse-compat.h"

static const gchar *
or_unknown (const gchar *text)
{
  return text != NULL && *text != '\0' ? text : "UNKNOWN";
}

void
dfu_util_print_list (GArray *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      DfuUtilEntry *entry = &g_array_index (entries, DfuUtilEntry, i);
      DfDevice *device = entry->device;

      printf ("Found %s: [%04x:%04x] ver=%04x, devnum=%u, cfg=%u, intf=%u, path=\"%s\", "
              "alt=%u, name=\"%s\", serial=\"%s\"\n",
              device->mode == DF_DEVICE_MODE_RUNTIME ? "Runtime" : "DFU",
              device->vid, device->pid, device->bcd_device, device->address,
              device->configuration, device->interface, device->path,
              entry->alt->alt, or_unknown (entry->alt->name), or_unknown (device->serial));
    }
  fflush (stdout);
}
