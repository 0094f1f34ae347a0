#include <glib/gi18n.h>
#include <stdlib.h>

#include "df-error.h"
#include "df-match.h"

typedef struct {
  guint16  vid;
  gint     pid;  /* -1: any */
} UsbId;

struct _DfMatch {
  GArray  *ids;            /* of UsbId, empty: any */
  gint64   bcd_low;        /* -1: any */
  gint64   bcd_high;
  gint64   dfu_version;    /* -1: any */
  gint     mode;           /* DfDeviceMode, -1: any */
  gchar   *manufacturer;   /* glob patterns, NULL: any */
  gchar   *product;
  gchar   *serial;
  GStrv    alt_names;      /* NULL: any */
};

static const gchar *const match_keys[] = {  /* NULL-terminated: a GStrv */
  "vid-pid", "bcd-device", "dfu-version", "mode", "manufacturer", "product", "serial", "alt-name", NULL,
};

gboolean
df_match_is_key (const gchar *key)
{
  return g_strv_contains (match_keys, key);
}

gboolean
df_match_parse_number (const gchar *text, guint64 max, guint64 *value, GError **error)
{
  g_autofree gchar *stripped = g_strstrip (g_strdup (text));
  gchar *end = NULL;
  guint64 v;

  v = g_ascii_strtoull (stripped, &end, 0);
  if (stripped[0] == '\0' || *end != '\0' || v > max)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a number up to 0x%llx"), stripped, (unsigned long long) max);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

static gboolean
parse_hex16 (const gchar *text, guint16 *value)
{
  gchar *end = NULL;
  guint64 v = g_ascii_strtoull (text, &end, 16);

  if (text[0] == '\0' || *end != '\0' || v > 0xffff)
    return FALSE;
  *value = (guint16) v;
  return TRUE;
}

static gboolean
parse_ids (DfMatch *match, GStrv items, GError **error)
{
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (g_strstrip (items[i]), ":", -1);
      UsbId id = { 0, -1 };
      guint16 pid = 0;

      if (g_strv_length (parts) != 2 || !parse_hex16 (parts[0], &id.vid) ||
          !(g_strcmp0 (parts[1], "*") == 0 || parse_hex16 (parts[1], &pid)))
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a USB id like 0483:df11"), items[i]);
          return FALSE;
        }
      if (g_strcmp0 (parts[1], "*") != 0)
        id.pid = pid;
      g_array_append_val (match->ids, id);
    }
  return TRUE;
}

static gboolean
parse_range (DfMatch *match, const gchar *text, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", 2);
  guint64 low, high;

  if (!df_match_parse_number (parts[0], 0xffff, &low, error))
    return FALSE;
  high = low;
  if (parts[1] != NULL && !df_match_parse_number (parts[1], 0xffff, &high, error))
    return FALSE;
  match->bcd_low = (gint64) low;
  match->bcd_high = (gint64) high;
  return TRUE;
}

static gboolean
parse_mode (DfMatch *match, const gchar *text, GError **error)
{
  static const gchar *modes[] = { [DF_DEVICE_MODE_RUNTIME] = "runtime",
                                  [DF_DEVICE_MODE_DFU] = "dfu",
                                  [DF_DEVICE_MODE_DFUSE] = "dfuse",
                                  [DF_DEVICE_MODE_MICROPYTHON] = "micropython",
                                  [DF_DEVICE_MODE_FLIP] = "flip" };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_strcmp0 (text, modes[i]) == 0)
      {
        match->mode = (gint) i;
        return TRUE;
      }
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a mode (dfu, dfuse, runtime or micropython)"), text);
  return FALSE;
}

static gboolean
parse_key (DfMatch *match, GKeyFile *file, const gchar *group, const gchar *key, GError **error)
{
  g_autofree gchar *value = g_key_file_get_string (file, group, key, NULL);
  g_auto(GStrv) list = NULL;

  if (value == NULL || value[0] == '\0')
    return TRUE;  /* unset */
  if (g_str_equal (key, "vid-pid") || g_str_equal (key, "alt-name"))
    {
      list = g_key_file_get_string_list (file, group, key, NULL, error);
      if (list == NULL)
        return FALSE;
      if (g_str_equal (key, "alt-name"))
        {
          match->alt_names = g_steal_pointer (&list);
          return TRUE;
        }
      return parse_ids (match, list, error);
    }
  if (g_str_equal (key, "bcd-device"))
    return parse_range (match, value, error);
  if (g_str_equal (key, "dfu-version"))
    {
      guint64 v;
      if (!df_match_parse_number (value, 0xffff, &v, error))
        return FALSE;
      match->dfu_version = (gint64) v;
      return TRUE;
    }
  if (g_str_equal (key, "mode"))
    return parse_mode (match, value, error);
  if (g_str_equal (key, "manufacturer"))
    match->manufacturer = g_steal_pointer (&value);
  else if (g_str_equal (key, "product"))
    match->product = g_steal_pointer (&value);
  else if (g_str_equal (key, "serial"))
    match->serial = g_steal_pointer (&value);
  return TRUE;
}

DfMatch *
df_match_new (GKeyFile *file, const gchar *group, GError **error)
{
  g_autoptr(DfMatch) match = g_new0 (DfMatch, 1);

  match->ids = g_array_new (FALSE, FALSE, sizeof (UsbId));
  match->bcd_low = match->bcd_high = match->dfu_version = -1;
  match->mode = -1;
  for (guint i = 0; match_keys[i] != NULL; i++)
    if (!parse_key (match, file, group, match_keys[i], error))
      {
        g_prefix_error (error, "[%s] %s: ", group, match_keys[i]);
        return NULL;
      }
  return g_steal_pointer (&match);
}

void
df_match_free (DfMatch *match)
{
  g_array_unref (match->ids);
  g_free (match->manufacturer);
  g_free (match->product);
  g_free (match->serial);
  g_strfreev (match->alt_names);
  g_free (match);
}

static gboolean
match_ids (const DfMatch *match, const DfDevice *device, GString *reason)
{
  for (guint i = 0; i < match->ids->len; i++)
    {
      UsbId *id = &g_array_index (match->ids, UsbId, i);
      if (id->vid == device->vid && (id->pid < 0 || id->pid == device->pid))
        {
          g_string_append_printf (reason, "%04x:%04x", device->vid, device->pid);
          return TRUE;
        }
    }
  return match->ids->len == 0;
}

/* a pattern on a string the device may not have */
static gboolean
match_glob (const gchar *pattern, const gchar *what, const gchar *text, GString *reason)
{
  if (pattern == NULL)
    return TRUE;
  if (text == NULL || !g_pattern_match_simple (pattern, text))
    return FALSE;
  g_string_append_printf (reason, "%s%s “%s” is “%s”", reason->len > 0 ? ", " : "", what, text, pattern);
  return TRUE;
}

static gboolean
match_alt_names (const DfMatch *match, const DfDevice *device, GString *reason)
{
  for (guint p = 0; match->alt_names != NULL && match->alt_names[p] != NULL; p++)
    {
      const gchar *pattern = match->alt_names[p];
      const DfAlt *found = NULL;

      for (guint i = 0; i < device->alts->len && found == NULL; i++)
        {
          const DfAlt *alt = g_ptr_array_index (device->alts, i);
          if (alt->name != NULL && g_pattern_match_simple (pattern, alt->name))
            found = alt;
        }
      if (found == NULL)
        return FALSE;
      g_string_append_printf (reason, "%salt %u “%s” is “%s”", reason->len > 0 ? ", " : "",
                              found->alt, found->name, pattern);
    }
  return TRUE;
}

gboolean
df_match_device (const DfMatch *match, const DfDevice *device, gchar **reason_out)
{
  g_autoptr(GString) reason = g_string_new (NULL);

  if (match->ids->len == 0 && match->bcd_low < 0 && match->dfu_version < 0 && match->mode < 0 &&
      match->manufacturer == NULL && match->product == NULL && match->serial == NULL &&
      match->alt_names == NULL)
    return FALSE;
  if (!match_ids (match, device, reason))
    return FALSE;
  if (match->bcd_low >= 0)
    {
      if (device->bcd_device < match->bcd_low || device->bcd_device > match->bcd_high)
        return FALSE;
      g_string_append_printf (reason, "%sbcdDevice 0x%04x", reason->len > 0 ? ", " : "",
                              device->bcd_device);
    }
  if (match->dfu_version >= 0)
    {
      if (device->dfu_version != match->dfu_version)
        return FALSE;
      g_string_append_printf (reason, "%sDFU version 0x%04x", reason->len > 0 ? ", " : "",
                              device->dfu_version);
    }
  if (match->mode >= 0)
    {
      if ((gint) device->mode != match->mode)
        return FALSE;
      g_string_append_printf (reason, "%s%s", reason->len > 0 ? ", " : "",
                              df_device_mode_to_string (device->mode));
    }
  if (!match_glob (match->manufacturer, "manufacturer", device->manufacturer, reason) ||
      !match_glob (match->product, "product", device->product, reason) ||
      !match_glob (match->serial, "serial", device->serial, reason) ||
      !match_alt_names (match, device, reason))
    return FALSE;
  if (reason_out != NULL)
    *reason_out = g_string_free (g_steal_pointer (&reason), FALSE);
  return TRUE;
}
