/* df-key-table.h: a table of entries in key-file form, built into the
 * engine (a GResource compiled from data/) and extended or changed by the
 * user's files.  The quirk table and the catalog are such tables.
 *
 * Files are merged in order: the built-in one, then every file ending in
 * the table's suffix in the user directory, sorted by name.  A later
 * [entry] of the same name changes the keys it gives and keeps the rest;
 * a new [entry] is added at the end.  User files that cannot be read, and
 * user entries the check function refuses, are skipped with a warning. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DfKeyTable DfKeyTable;

/* checks one entry of a user file before it is merged */
typedef gboolean (*DfKeyTableCheck) (GKeyFile *file, const gchar *group, GError **error);

/* resource: path in the engine's GResource; user_dir: NULL for none */
DfKeyTable  *df_key_table_load (const gchar *resource, const gchar *user_dir,
                                const gchar *suffix, DfKeyTableCheck check);
void         df_key_table_free (DfKeyTable *table);
GKeyFile    *df_key_table_get_file (DfKeyTable *table);
/* "built-in", or the user file that added or last changed the entry */
const gchar *df_key_table_get_origin (DfKeyTable *table, const gchar *group);
/* what was skipped and why, NULL-terminated */
const gchar * const *df_key_table_get_warnings (DfKeyTable *table);
/* the directory for user files: $env_var if set, else
 * ~/.config/defuse/<name> (g_get_user_config_dir) */
gchar       *df_key_table_user_dir (const gchar *env_var, const gchar *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfKeyTable, df_key_table_free)

G_END_DECLS
