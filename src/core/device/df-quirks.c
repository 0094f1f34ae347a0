#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "df-error.h"
#include "df-flip-chips.h"
#include "df-key-table.h"
#include "df-match.h"
#include "df-quirks.h"

/* longer than this is not a wedge but a hang */
#define DF_MAX_WEDGE_MS 60000

#define QUIRKS_RESOURCE "/io/github/defuse/core/quirks/defuse.quirk"

static const gchar *early_status_names[] = {
  [DF_EARLY_STATUS_SPEC] = "spec",
  [DF_EARLY_STATUS_HOLD] = "hold",
  [DF_EARLY_STATUS_ANSWER_BUSY] = "answer-busy",
  [DF_EARLY_STATUS_STALL] = "stall",
};

static const gchar *protocol_names[] = {
  [DF_QUIRK_PROTOCOL_AUTO] = "auto",
  [DF_QUIRK_PROTOCOL_DFU] = "dfu",
  [DF_QUIRK_PROTOCOL_DFUSE] = "dfuse",
  [DF_QUIRK_PROTOCOL_FLIP] = "flip",
};

const gchar *
df_early_status_to_string (DfEarlyStatus early_status)
{
  return early_status < G_N_ELEMENTS (early_status_names) ? early_status_names[early_status] : "?";
}

static void
match_free (gpointer data)
{
  DfQuirkMatch *match = data;
  g_free (match->entry);
  g_free (match->origin);
  g_free (match->reason);
  g_free (match->settings);
  g_free (match);
}

DfQuirks *
df_quirks_new (void)
{
  DfQuirks *quirks = g_new0 (DfQuirks, 1);
  quirks->ref_count = 1;
  quirks->poll_timeout_factor = 1.0;
  quirks->matches = g_ptr_array_new_with_free_func (match_free);
  return quirks;
}

DfQuirks *
df_quirks_ref (DfQuirks *quirks)
{
  g_atomic_int_inc (&quirks->ref_count);
  return quirks;
}

void
df_quirks_unref (DfQuirks *quirks)
{
  if (!g_atomic_int_dec_and_test (&quirks->ref_count))
    return;
  g_free (quirks->layout);
  g_ptr_array_unref (quirks->matches);
  g_free (quirks);
}

/* --- values ------------------------------------------------------------ */

static gboolean
parse_enum (const gchar *value, const gchar **names, guint n, guint *out, GError **error)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (value, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("“%s” is not one of the values allowed"), value);
  return FALSE;
}

static gboolean
parse_bool (const gchar *value, gboolean *out, GError **error)
{
  if (g_strcmp0 (value, "true") == 0 || g_strcmp0 (value, "false") == 0)
    {
      *out = g_str_equal (value, "true");
      return TRUE;
    }
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("“%s” is not true or false"), value);
  return FALSE;
}

static gboolean
parse_factor (const gchar *value, gdouble *out, GError **error)
{
  gchar *end = NULL;
  gdouble v = g_ascii_strtod (value, &end);

  if (*end != '\0' || !(v > 0.0 && v <= 100.0))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("“%s” is not a factor between 0 and 100"), value);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_busy_time (const gchar *value, gdouble *out, GError **error)
{
  gchar *end = NULL;
  gdouble v = g_ascii_strtod (value, &end);

  if (*end != '\0' || !(v > 0.0 && v <= 100000.0))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a time in milliseconds between 0 and 100000"), value);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_layout (const gchar *value, gchar **out, GError **error)
{
  g_autoptr(DfLayout) layout = df_layout_parse (value, error);

  if (layout == NULL)
    return FALSE;
  g_free (*out);
  *out = g_strdup (value);
  return TRUE;
}

/* Sets one quirk key on quirks; FALSE for an unknown key or a bad value.
 * Match keys and the layout-by-serial keys are handled elsewhere. */
static gboolean
parse_value (DfQuirks *q, const gchar *key, const gchar *value, GError **error)
{
  guint e = 0;
  guint64 n = 0;
  gboolean ok;

  if (g_str_equal (key, "early-status"))
    {
      ok = parse_enum (value, early_status_names, G_N_ELEMENTS (early_status_names), &e, error);
      q->early_status = e;
      return ok;
    }
  if (g_str_equal (key, "protocol"))
    {
      ok = parse_enum (value, protocol_names, G_N_ELEMENTS (protocol_names), &e, error);
      q->protocol = e;
      return ok;
    }
  if (g_str_equal (key, "serial-encoding"))
    {
      static const gchar *encodings[] = { "utf16", "8bit" };
      ok = parse_enum (value, encodings, G_N_ELEMENTS (encodings), &e, error);
      q->serial_8bit = e == 1;
      return ok;
    }
  if (g_str_equal (key, "poll-timeout-factor"))
    return parse_factor (value, &q->poll_timeout_factor, error);
  if (g_str_equal (key, "erase-ms-per-kib"))
    return parse_busy_time (value, &q->erase_ms_per_kib, error);
  if (g_str_equal (key, "write-ms-per-kib"))
    return parse_busy_time (value, &q->write_ms_per_kib, error);
  if (g_str_equal (key, "max-transfer-size"))
    {
      ok = df_match_parse_number (value, 0xffff, &n, error);
      q->max_transfer_size = (guint) n;
      return ok;
    }
  if (g_str_equal (key, "clear-status-twice-after-erase-from"))
    {
      ok = df_match_parse_number (value, G_MAXUINT32, &n, error);
      q->clear_twice_after_erase_from = (guint32) n;
      return ok;
    }
  if (g_str_equal (key, "clear-status-twice-after-ms"))
    {
      ok = df_match_parse_number (value, DF_MAX_WEDGE_MS, &n, error);
      q->clear_twice_after_ms = (guint) n;
      return ok;
    }
  if (g_str_equal (key, "layout"))
    return parse_layout (value, &q->layout, error);
  if (g_str_equal (key, "layout-serial-char"))
    return df_match_parse_number (value, 31, &n, error);
  if (g_str_has_prefix (key, "layout-") && strlen (key) == strlen ("layout-") + 1)
    {
      g_autofree gchar *scratch = NULL;
      return parse_layout (value, &scratch, error);
    }
  if (g_str_equal (key, "enabled"))
    return parse_bool (value, &ok, error);
  {
    static const struct { const gchar *key; gsize offset; } flags[] = {
      { "leave-without-status", G_STRUCT_OFFSET (DfQuirks, leave_without_status) },
      { "clear-status-only-in-error", G_STRUCT_OFFSET (DfQuirks, clear_status_only_in_error) },
      { "set-address-before-leave", G_STRUCT_OFFSET (DfQuirks, set_address_before_leave) },
      { "blank-needs-no-erase", G_STRUCT_OFFSET (DfQuirks, blank_needs_no_erase) },
      { "serial-not-unique", G_STRUCT_OFFSET (DfQuirks, serial_not_unique) },
      { "returns-in-dfu-after-leave", G_STRUCT_OFFSET (DfQuirks, returns_in_dfu_after_leave) },
    };
    for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
      if (g_str_equal (key, flags[i].key))
        return parse_bool (value, G_STRUCT_MEMBER_P (q, flags[i].offset), error);
  }
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("unknown key “%s”"), key);
  return FALSE;
}

/* whether an entry is well formed: every key known, every value valid */
static gboolean
check_entry (GKeyFile *file, const gchar *group, GError **error)
{
  g_autoptr(DfQuirks) scratch = df_quirks_new ();
  g_autoptr(DfMatch) match = df_match_new (file, group, error);
  g_auto(GStrv) keys = NULL;

  if (match == NULL)
    return FALSE;
  keys = g_key_file_get_keys (file, group, NULL, NULL);
  for (guint k = 0; keys[k] != NULL; k++)
    {
      g_autofree gchar *value = g_key_file_get_string (file, group, keys[k], NULL);
      if (df_match_is_key (keys[k]) || value == NULL || value[0] == '\0')
        continue;
      if (!parse_value (scratch, keys[k], value, error))
        {
          g_prefix_error (error, "%s: ", keys[k]);
          return FALSE;
        }
    }
  return TRUE;
}

/* --- the table ----------------------------------------------------------- */

static DfKeyTable *
get_table (void)
{
  static gsize once = 0;
  static DfKeyTable *table;

  if (g_once_init_enter (&once))
    {
      g_autofree gchar *user_dir = df_key_table_user_dir ("DEFUSE_QUIRKS_DIR", "quirks.d");
      table = df_key_table_load (QUIRKS_RESOURCE, user_dir, ".quirk", check_entry);
      g_once_init_leave (&once, 1);
    }
  return table;
}

/* each entry's match, parsed once: a lookup runs on every enumeration, and
 * a bootloader's wait for its device enumerates every 50 ms; NULL for an
 * entry that is disabled or whose match does not read */
static GPtrArray *
get_matches (void)
{
  static gsize once = 0;
  static GPtrArray *matches;

  if (g_once_init_enter (&once))
    {
      GKeyFile *file = df_key_table_get_file (get_table ());
      g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);

      matches = g_ptr_array_new ();
      for (guint g = 0; groups[g] != NULL; g++)
        {
          g_autofree gchar *enabled = g_key_file_get_value (file, groups[g], "enabled", NULL);
          g_ptr_array_add (matches, g_strcmp0 (enabled, "false") == 0 ? NULL
                                    : df_match_new (file, groups[g], NULL));
        }
      g_once_init_leave (&once, 1);
    }
  return matches;
}

gchar **
df_quirk_table_entry_names (void)
{
  return g_key_file_get_groups (df_key_table_get_file (get_table ()), NULL);
}

const gchar * const *
df_quirk_table_warnings (void)
{
  return df_key_table_get_warnings (get_table ());
}

gboolean
df_quirk_table_check_data (const gchar *data, gsize length, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE, error))
    return FALSE;
  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    if (!check_entry (file, groups[g], error))
      {
        g_prefix_error (error, "[%s] ", groups[g]);
        return FALSE;
      }
  return TRUE;
}

/* the layout an entry gives for this device: by a character of the serial
 * when "layout-serial-char" is set (GD32 parts size their flash so) */
static gchar *
entry_layout (GKeyFile *file, const gchar *group, const DfDevice *device)
{
  g_autofree gchar *index = g_key_file_get_string (file, group, "layout-serial-char", NULL);
  guint64 i;

  if (index != NULL && index[0] != '\0' && df_match_parse_number (index, 31, &i, NULL) &&
      device->serial != NULL && strlen (device->serial) > i)
    {
      g_autofree gchar *key = g_strdup_printf ("layout-%c", device->serial[i]);
      gchar *layout = g_key_file_get_string (file, group, key, NULL);
      if (layout != NULL && layout[0] != '\0')
        return layout;
      g_free (layout);
    }
  return g_key_file_get_string (file, group, "layout", NULL);
}

static void
apply_entry (DfQuirks *quirks, GKeyFile *file, const gchar *group, const DfDevice *device,
             GString *settings)
{
  g_auto(GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);
  g_autofree gchar *layout = entry_layout (file, group, device);

  for (guint k = 0; keys[k] != NULL; k++)
    {
      g_autofree gchar *value = g_key_file_get_string (file, group, keys[k], NULL);
      if (df_match_is_key (keys[k]) || g_str_has_prefix (keys[k], "layout") ||
          g_str_equal (keys[k], "enabled") || value == NULL || value[0] == '\0')
        continue;
      if (!parse_value (quirks, keys[k], value, NULL))
        continue;  /* checked when loaded; an unset key is "" */
      g_string_append_printf (settings, "%s%s=%s", settings->len > 0 ? ", " : "", keys[k], value);
    }
  if (layout != NULL && layout[0] != '\0' && parse_layout (layout, &quirks->layout, NULL))
    g_string_append_printf (settings, "%slayout=%s", settings->len > 0 ? ", " : "", layout);
}

DfQuirks *
df_quirks_lookup (DfDevice *device)
{
  DfKeyTable *table = get_table ();
  GKeyFile *file = df_key_table_get_file (table);
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);
  GPtrArray *matches = get_matches ();
  DfQuirks *quirks = df_quirks_new ();

  for (guint g = 0; groups[g] != NULL && g < matches->len; g++)
    {
      DfMatch *match = g_ptr_array_index (matches, g);
      g_autoptr(GString) settings = NULL;
      gchar *reason = NULL;
      DfQuirkMatch *applied;

      if (match == NULL || !df_match_device (match, device, &reason))
        continue;
      settings = g_string_new (NULL);
      apply_entry (quirks, file, groups[g], device, settings);
      applied = g_new0 (DfQuirkMatch, 1);
      applied->entry = g_strdup (groups[g]);
      applied->origin = g_strdup (df_key_table_get_origin (table, groups[g]));
      applied->reason = reason;
      applied->settings = g_string_free (g_steal_pointer (&settings), FALSE);
      g_ptr_array_add (quirks->matches, applied);
    }
  return quirks;
}

static void
replace_layout (DfDevice *device, const gchar *layout_text)
{
  DfAlt *alt = df_device_find_alt (device, 0);
  DfLayout *layout;

  if (alt == NULL)
    return;
  layout = df_layout_parse (layout_text, NULL);
  if (layout == NULL)
    return;
  g_debug ("alt 0: layout “%s” replaced by “%s” (quirk table)", alt->name, layout_text);
  g_clear_pointer (&alt->layout, df_layout_free);
  alt->layout = layout;
}

/* A FLIP bootloader has no alt settings naming its memories: its two
 * memories come from the chip table, alt 0 the flash (the bootloader
 * section readable only) and alt 1 the EEPROM; they are memory numbers,
 * never USB alt settings (df-job-flip.c). */
static void
apply_flip (DfDevice *device)
{
  const DfFlipChip *chip = df_flip_chip_by_pid (device->pid);
  g_autofree gchar *flash = NULL;
  g_autofree gchar *eeprom = NULL;

  if (chip == NULL)
    return;
  device->mode = DF_DEVICE_MODE_FLIP;
  device->flip_chip = chip;
  device->attributes |= DF_ATTR_CAN_DOWNLOAD | DF_ATTR_CAN_UPLOAD;
  flash = df_flip_chip_flash_layout (chip);
  eeprom = df_flip_chip_eeprom_layout (chip);
  g_ptr_array_set_size (device->alts, 0);
  df_device_add_alt (device, 0, flash);
  df_device_add_alt (device, 1, eeprom);
}

void
df_quirks_apply (DfDevice *device, DfQuirkSerialFunc reread_serial, gpointer user_data)
{
  DfQuirks *quirks;

  g_clear_pointer (&device->quirks, df_quirks_unref);
  quirks = df_quirks_lookup (device);
  /* the serial decides some entries: read it the way the table says and
   * look again */
  if (quirks->serial_8bit && reread_serial != NULL)
    {
      g_free (device->serial);
      device->serial = reread_serial (user_data);
      df_quirks_unref (quirks);
      quirks = df_quirks_lookup (device);
    }
  device->quirks = quirks;
  if (quirks->layout != NULL)
    replace_layout (device, quirks->layout);
  if (device->mode != DF_DEVICE_MODE_RUNTIME && quirks->protocol == DF_QUIRK_PROTOCOL_DFU)
    device->mode = DF_DEVICE_MODE_DFU;
  else if (device->mode != DF_DEVICE_MODE_RUNTIME && quirks->protocol == DF_QUIRK_PROTOCOL_DFUSE)
    device->mode = DF_DEVICE_MODE_DFUSE;
  else if (device->mode != DF_DEVICE_MODE_RUNTIME && quirks->protocol == DF_QUIRK_PROTOCOL_FLIP)
    apply_flip (device);
}
