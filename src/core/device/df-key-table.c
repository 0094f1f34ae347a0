#include <gio/gio.h>
#include <glib/gi18n.h>

#include "df-data-resources.h"
#include "df-key-table.h"

struct _DfKeyTable {
  GKeyFile   *file;
  GHashTable *origins;   /* group -> user file path (built-in groups are absent) */
  GPtrArray  *warnings;  /* of gchar, NULL-terminated */
};

static void
load_builtin (DfKeyTable *table, const gchar *resource)
{
  static gsize registered = 0;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const gchar *data;

  /* registered by hand: a static library drops an object nothing calls */
  if (g_once_init_enter (&registered))
    {
      df_data_register_resource ();
      g_once_init_leave (&registered, 1);
    }
  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  /* the built-in table is part of the program: it is checked by the
   * tests, so failing here is a build defect */
  g_return_if_fail (bytes != NULL);
  data = g_bytes_get_data (bytes, &size);
  if (!g_key_file_load_from_data (table->file, data, size, G_KEY_FILE_KEEP_COMMENTS, &error))
    g_critical ("%s: %s", resource, error->message);
}

static void
merge_group (DfKeyTable *table, GKeyFile *file, const gchar *group, const gchar *path)
{
  g_auto(GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);

  for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
    {
      g_autofree gchar *value = g_key_file_get_value (file, group, keys[k], NULL);
      g_key_file_set_value (table->file, group, keys[k], value != NULL ? value : "");
    }
  if (keys == NULL || keys[0] == NULL)
    g_key_file_set_value (table->file, group, "enabled", "true");  /* an empty [entry] still exists */
  g_hash_table_insert (table->origins, g_strdup (group), g_strdup (path));
}

static void
merge_file (DfKeyTable *table, const gchar *path, DfKeyTableCheck check)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error))
    {
      /* TRANSLATORS: a user's quirk or catalog file, and why it was not read */
      g_ptr_array_add (table->warnings, g_strdup_printf (_("%s skipped: %s"), path, error->message));
      return;
    }
  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_clear_error (&error);
      if (check != NULL && !check (file, groups[g], &error))
        {
          /* TRANSLATORS: a user's file, an entry name in it, and why it was not used */
          g_ptr_array_add (table->warnings, g_strdup_printf (_("%s: [%s] skipped: %s"),
                                                             path, groups[g], error->message));
          continue;
        }
      merge_group (table, file, groups[g], path);
    }
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar **) a, *(const gchar **) b);
}

static void
merge_user_dir (DfKeyTable *table, const gchar *user_dir, const gchar *suffix, DfKeyTableCheck check)
{
  g_autoptr(GDir) dir = g_dir_open (user_dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  if (dir == NULL)
    return;  /* no user files: the usual case */
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, suffix))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree gchar *path = g_build_filename (user_dir, g_ptr_array_index (names, i), NULL);
      merge_file (table, path, check);
    }
}

DfKeyTable *
df_key_table_load (const gchar *resource, const gchar *user_dir, const gchar *suffix,
                   DfKeyTableCheck check)
{
  DfKeyTable *table = g_new0 (DfKeyTable, 1);

  table->file = g_key_file_new ();
  table->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  table->warnings = g_ptr_array_new_with_free_func (g_free);
  load_builtin (table, resource);
  if (user_dir != NULL)
    merge_user_dir (table, user_dir, suffix, check);
  g_ptr_array_add (table->warnings, NULL);
  return table;
}

void
df_key_table_free (DfKeyTable *table)
{
  g_key_file_unref (table->file);
  g_hash_table_unref (table->origins);
  g_ptr_array_unref (table->warnings);
  g_free (table);
}

GKeyFile *
df_key_table_get_file (DfKeyTable *table)
{
  return table->file;
}

const gchar *
df_key_table_get_origin (DfKeyTable *table, const gchar *group)
{
  const gchar *path = g_hash_table_lookup (table->origins, group);
  return path != NULL ? path : _("built-in");
}

const gchar * const *
df_key_table_get_warnings (DfKeyTable *table)
{
  return (const gchar * const *) table->warnings->pdata;
}

gchar *
df_key_table_user_dir (const gchar *env_var, const gchar *name)
{
  const gchar *dir = g_getenv (env_var);

  if (dir != NULL && dir[0] != '\0')
    return g_strdup (dir);
  return g_build_filename (g_get_user_config_dir (), "defuse", name, NULL);
}
