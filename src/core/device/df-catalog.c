#include <glib/gi18n.h>

#include "df-catalog.h"
#include "df-micropython.h"
#include "df-key-table.h"
#include "df-match.h"

#define CATALOG_RESOURCE "/io/github/defuse/core/catalog/defuse.catalog"

typedef struct {
  DfCatalogEntry  public;
  DfMatch        *match;
} Entry;

static const gchar *value_keys[] = { "name", "family", "steps", NULL };

static gboolean
check_entry (GKeyFile *file, const gchar *group, GError **error)
{
  g_autoptr(DfMatch) match = df_match_new (file, group, error);
  g_auto(GStrv) keys = NULL;

  if (match == NULL)
    return FALSE;
  keys = g_key_file_get_keys (file, group, NULL, NULL);
  for (guint k = 0; keys[k] != NULL; k++)
    if (!df_match_is_key (keys[k]) && !g_strv_contains (value_keys, keys[k]))
      {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND, _("unknown key “%s”"), keys[k]);
        return FALSE;
      }
  return TRUE;
}

/* data strings are English in the file and looked up in the translations */
static gchar *
translated (GKeyFile *file, const gchar *group, const gchar *key)
{
  g_autofree gchar *value = g_key_file_get_string (file, group, key, NULL);
  return value != NULL && value[0] != '\0' ? g_strdup (g_dgettext (GETTEXT_PACKAGE, value)) : NULL;
}

static GPtrArray *
load (void)
{
  g_autofree gchar *user_dir = df_key_table_user_dir ("DEFUSE_CATALOG_DIR", "catalog.d");
  g_autoptr(DfKeyTable) table = df_key_table_load (CATALOG_RESOURCE, user_dir, ".catalog", check_entry);
  GKeyFile *file = df_key_table_get_file (table);
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);
  GPtrArray *entries = g_ptr_array_new ();

  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_autoptr(DfMatch) match = df_match_new (file, groups[g], NULL);
      Entry *entry;

      if (match == NULL)
        continue;
      entry = g_new0 (Entry, 1);
      entry->match = g_steal_pointer (&match);
      entry->public.id = g_strdup (groups[g]);
      entry->public.name = translated (file, groups[g], "name");
      entry->public.family = translated (file, groups[g], "family");
      entry->public.steps = translated (file, groups[g], "steps");
      if (entry->public.name == NULL)
        entry->public.name = g_strdup (groups[g]);
      g_ptr_array_add (entries, entry);
    }
  return entries;
}

/* read once, kept for the life of the program */
GPtrArray *
df_catalog_get_entries (void)
{
  static gsize once = 0;
  static GPtrArray *entries;

  if (g_once_init_enter (&once))
    {
      entries = load ();
      g_once_init_leave (&once, 1);
    }
  return entries;
}

const DfCatalogEntry *
df_catalog_lookup (const DfDevice *device)
{
  GPtrArray *entries = df_catalog_get_entries ();

  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (entries, i);
      if (df_match_device (entry->match, device, NULL))
        return &entry->public;
    }
  return NULL;
}

gchar *
df_catalog_describe (const DfDevice *device)
{
  const DfCatalogEntry *entry = df_catalog_lookup (device);
  const DfAlt *alt = device->alts->len > 0 ? g_ptr_array_index (device->alts, 0) : NULL;
  g_autofree gchar *size = NULL;

  /* a MicroPython board knows its own name: "PYBv1.1 with STM32F405RG" */
  if (entry == NULL && device->micropython != NULL && device->micropython->machine != NULL)
    return g_strdup (device->micropython->machine);
  if (entry == NULL)
    return g_strdup (device->product != NULL ? device->product : _("DFU device"));
  if (alt != NULL && alt->layout != NULL && alt->layout->regions->len > 0)
    size = df_layout_format_size (((DfRegion *) g_ptr_array_index (alt->layout->regions, 0))->size);
  if (size == NULL)
    return g_strdup (entry->name);
  /* TRANSLATORS: a kind of device and the size of its main memory, e.g. "STM32F4 system bootloader, 1 MiB" */
  return g_strdup_printf (_("%s, %s"), entry->name, size);
}

GPtrArray *
df_catalog_get_families (void)
{
  static gsize once = 0;
  static GPtrArray *families;

  if (g_once_init_enter (&once))
    {
      GPtrArray *entries = df_catalog_get_entries ();
      GPtrArray *out = g_ptr_array_new ();
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < entries->len; i++)
        {
          DfCatalogEntry *entry = g_ptr_array_index (entries, i);
          const gchar *family = entry->family != NULL ? entry->family : entry->name;
          if (entry->steps == NULL || g_hash_table_contains (seen, family))
            continue;
          g_hash_table_add (seen, (gpointer) family);
          g_ptr_array_add (out, entry);
        }
      families = out;
      g_once_init_leave (&once, 1);
    }
  return families;
}
