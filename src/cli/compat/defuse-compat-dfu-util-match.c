/* Which devices a dfu-util command line means, as dfu-util 0.11 decides it:
 * ids before the comma of -d match a device running its application
 * (runtime), ids after it a device in DFU mode; -S likewise; -a, -c, -i,
 * -n and -p narrow further.  Each alt setting that matches is an entry,
 * as in dfu-util's list, and `-w` waits for one with the hotplug monitor. */
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "defuse-compat.h"
#include "df-error.h"
#include "df-monitor.h"
#include "df-usb.h"

void
dfu_util_match_init (DfuUtilMatch *match)
{
  memset (match, 0, sizeof *match);
  match->vid = match->pid = match->vid_dfu = match->pid_dfu = DFU_UTIL_ANY;
  match->devnum = match->cfg = match->intf = match->alt = DFU_UTIL_ANY;
}

void
dfu_util_match_clear (DfuUtilMatch *match)
{
  g_clear_pointer (&match->serial, g_free);
  g_clear_pointer (&match->serial_dfu, g_free);
  g_clear_pointer (&match->path, g_free);
  g_clear_pointer (&match->alt_name, g_free);
}

/* one id: hex with an optional 0x, "*" for any, "-" for none, empty for
 * the default */
static gboolean
parse_id (const gchar *text, gint fallback, gint *id, GError **error)
{
  guint64 value;
  const gchar *digits = text;

  if (*text == '\0')
    *id = fallback;
  else if (g_str_equal (text, "*"))
    *id = DFU_UTIL_ANY;
  else if (g_str_equal (text, "-"))
    *id = DFU_UTIL_NONE;
  else
    {
      if (g_str_has_prefix (digits, "0x") || g_str_has_prefix (digits, "0X"))
        digits += 2;
      if (!g_ascii_string_to_unsigned (digits, 16, 0, 0xffff, &value, NULL))
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("invalid USB id “%s” in --device: use hexadecimal, e.g. -d 0483:df11"), text);
          return FALSE;
        }
      *id = (gint) value;
    }
  return TRUE;
}

/* "V:P": either part may be missing */
static gboolean
parse_pair (const gchar *text, gint fallback_vid, gint fallback_pid, gint *vid, gint *pid, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ":", 2);

  if (!parse_id (parts[0] != NULL ? parts[0] : "", fallback_vid, vid, error))
    return FALSE;
  return parse_id (parts[0] != NULL && parts[1] != NULL ? parts[1] : "", fallback_pid, pid, error);
}

gboolean
dfu_util_match_parse_device (DfuUtilMatch *match, const gchar *text, GError **error)
{
  const gchar *comma = strchr (text, ',');
  g_autofree gchar *runtime = g_strndup (text, comma != NULL ? (gsize) (comma - text) : strlen (text));

  match->vid = match->pid = match->vid_dfu = match->pid_dfu = DFU_UTIL_ANY;
  if (comma == text)
    /* DFU-mode ids only: no device running its application matches */
    match->vid = match->pid = DFU_UTIL_NONE;
  else if (!parse_pair (runtime, DFU_UTIL_ANY, DFU_UTIL_ANY, &match->vid, &match->pid, error))
    return FALSE;
  if (comma == NULL)
    return TRUE;
  /* after the comma, what is left out is the runtime ids (2341:0069,:0369) */
  return parse_pair (comma + 1,
                     match->vid == DFU_UTIL_NONE ? DFU_UTIL_ANY : match->vid,
                     match->pid == DFU_UTIL_NONE ? DFU_UTIL_ANY : match->pid,
                     &match->vid_dfu, &match->pid_dfu, error);
}

void
dfu_util_match_parse_serial (DfuUtilMatch *match, const gchar *text)
{
  const gchar *comma = strchr (text, ',');

  g_free (match->serial);
  g_free (match->serial_dfu);
  match->serial = g_strndup (text, comma != NULL ? (gsize) (comma - text) : strlen (text));
  match->serial_dfu = g_strdup (comma != NULL ? comma + 1 : match->serial);
  if (*match->serial == '\0')
    g_clear_pointer (&match->serial, g_free);
  if (*match->serial_dfu == '\0')
    g_clear_pointer (&match->serial_dfu, g_free);
}

static gboolean
id_matches (gint wanted, guint16 id)
{
  return wanted == DFU_UTIL_ANY || wanted == id;
}

static gboolean
device_matches (const DfuUtilMatch *match, DfDevice *device)
{
  gboolean dfu_mode = device->mode != DF_DEVICE_MODE_RUNTIME;
  const gchar *serial = device->serial != NULL ? device->serial : "UNKNOWN";
  const gchar *wanted_serial = dfu_mode ? match->serial_dfu : match->serial;

  if (match->path != NULL && g_strcmp0 (match->path, device->path) != 0)
    return FALSE;
  if (match->devnum != DFU_UTIL_ANY && match->devnum != device->address)
    return FALSE;
  if (match->cfg != DFU_UTIL_ANY && match->cfg != device->configuration)
    return FALSE;
  if (match->intf != DFU_UTIL_ANY && match->intf != device->interface)
    return FALSE;
  if (!id_matches (dfu_mode ? match->vid_dfu : match->vid, device->vid) ||
      !id_matches (dfu_mode ? match->pid_dfu : match->pid, device->pid))
    return FALSE;
  return wanted_serial == NULL || g_str_equal (wanted_serial, serial);
}

static gboolean
alt_matches (const DfuUtilMatch *match, DfDevice *device, DfAlt *alt)
{
  /* a runtime interface has no alt settings to choose from */
  if (device->mode == DF_DEVICE_MODE_RUNTIME)
    return TRUE;
  if (match->alt != DFU_UTIL_ANY && match->alt != alt->alt)
    return FALSE;
  return match->alt_name == NULL || g_strcmp0 (match->alt_name, alt->name) == 0;
}

GArray *
dfu_util_match_entries (const DfuUtilMatch *match, GPtrArray *devices)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (DfuUtilEntry));

  for (guint i = 0; i < devices->len; i++)
    {
      DfDevice *device = g_ptr_array_index (devices, i);

      if (!device_matches (match, device))
        continue;
      for (guint a = 0; a < device->alts->len; a++)
        {
          DfuUtilEntry entry = { device, g_ptr_array_index (device->alts, a) };
          /* dfu-util prepends each one to its list: it lists in reverse */
          if (alt_matches (match, device, entry.alt))
            g_array_prepend_val (entries, entry);
        }
    }
  return entries;
}

typedef struct {
  const DfuUtilMatch *match;
  GMainLoop          *loop;
  GPtrArray          *devices;
  GArray             *entries;
} Wait;

static void
on_device_added (DfMonitor *monitor, DfDevice *device, gpointer user_data)
{
  Wait *wait = user_data;
  g_autoptr(GPtrArray) devices = df_monitor_get_devices (monitor);
  g_autoptr(GArray) entries = dfu_util_match_entries (wait->match, devices);

  if (entries->len == 0 || wait->devices != NULL)
    return;
  wait->devices = g_steal_pointer (&devices);
  wait->entries = g_steal_pointer (&entries);
  g_main_loop_quit (wait->loop);
}

/* dfu-util -w: until a matching device is plugged in (Ctrl+C to stop) */
static GPtrArray *
wait_for_match (const DfuUtilMatch *match, GArray **entries, GError **error)
{
  g_autoptr(DfMonitor) monitor = df_monitor_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { match, loop, NULL, NULL };

  /* dfu-util's words, untranslated: scripts wait for this line */
  printf ("%s\n", "Waiting for device, exit with ctrl-C");
  fflush (stdout);
  g_signal_connect (monitor, "device-added", G_CALLBACK (on_device_added), &wait);
  if (!df_monitor_start (monitor, error))
    return NULL;
  g_main_loop_run (loop);
  /* queued emissions hold the monitor: they must not reach this frame */
  g_signal_handlers_disconnect_by_data (monitor, &wait);
  *entries = wait.entries;
  return wait.devices;
}

GPtrArray *
dfu_util_match_find (const DfuUtilMatch *match, gboolean wait, GArray **entries, GError **error)
{
  g_autoptr(GPtrArray) devices = NULL;

  if (wait)
    return wait_for_match (match, entries, error);
  devices = df_usb_enumerate (error);
  if (devices == NULL)
    return NULL;
  *entries = dfu_util_match_entries (match, devices);
  return g_steal_pointer (&devices);
}
