/* defuse-file-loader.c: GTask around df_image_load_file().  Local files
 * are mapped by the core; other GFiles (a portal, a network share without
 * a FUSE path) are read whole first. */
#include "defuse-config.h"

#include "df-formats.h"
#include "defuse-file-loader.h"

typedef struct {
  gboolean has_address;
  guint32  address;
} LoadData;

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GFile *file = G_FILE (source);
  LoadData *data = task_data;
  g_autofree gchar *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  DfImage *image;

  if (path != NULL)
    image = df_image_load_file (path, DF_FORMAT_UNKNOWN, data->has_address, data->address,
                                DF_LOAD_NONE, &error);
  else
    {
      g_autoptr(GBytes) bytes = g_file_load_bytes (file, cancellable, NULL, &error);
      g_autofree gchar *name = g_file_get_basename (file);
      image = bytes == NULL ? NULL
                            : df_image_load_bytes (bytes, name, DF_FORMAT_UNKNOWN, data->has_address,
                                                   data->address, DF_LOAD_NONE, &error);
    }
  if (image == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, image, (GDestroyNotify) df_image_unref);
}

void
defuse_file_load_async (GFile *file, gboolean has_address, guint32 address,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (file, cancellable, callback, user_data);
  LoadData *data = g_new0 (LoadData, 1);

  data->has_address = has_address;
  data->address = address;
  g_task_set_source_tag (task, defuse_file_load_async);
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, load_thread);
}

DfImage *
defuse_file_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
defuse_image_needs_address (DfImage *image)
{
  return image->format == DF_FORMAT_RAW && !df_image_has_addresses (image) && !df_image_has_errors (image);
}
