#include "df-test-util.h"

GBytes *
df_test_pattern (gsize size, guint seed)
{
  guint8 *data = g_malloc (size);
  guint32 x = seed * 2654435761u + 1;
  for (gsize i = 0; i < size; i++)
    {
      x = x * 1103515245u + 12345u;
      data[i] = (guint8) (x >> 16);
    }
  return g_bytes_new_take (data, size);
}

DfImage *
df_test_image (DfFormat format, const DfTestSegment *segments, guint n)
{
  DfImage *image = df_image_new (format, "test");
  DfTarget *target = df_image_add_target (image, 0, NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GBytes) data = df_test_pattern (segments[i].size, i + 1);
      df_target_add_segment (target, segments[i].address, data);
    }
  return image;
}

gchar *
df_test_corpus_file (const gchar *name)
{
  const gchar *dir = g_getenv ("DEFUSE_CORPUS");
  g_autofree gchar *path = g_build_filename (dir != NULL ? dir : "../shared/corpus", name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("../shared/corpus is not present");
      return NULL;
    }
  return g_steal_pointer (&path);
}
