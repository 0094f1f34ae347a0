#include <string.h>
#include <glib/gstdio.h>

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

GBytes *
df_test_bytes_from_hex (const gchar *hex)
{
  gsize n = strlen (hex) / 2;
  guint8 *data = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    data[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (data, n);
}

DfImage *
df_test_image_from_hex (guint32 address, const gchar *hex)
{
  DfImage *image = df_image_new (DF_FORMAT_RAW, "test");
  DfTarget *target = df_image_add_target (image, 0, NULL);
  g_autoptr(GBytes) data = df_test_bytes_from_hex (hex);
  df_target_add_segment (target, address, data);
  return image;
}

DfDiagnostic *
df_test_find_diagnostic (DfImage *image, DfSeverity severity, const gchar *phrase)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == severity && strstr (diag->message, phrase) != NULL)
        return diag;
    }
  return NULL;
}

void
df_test_dump_diagnostics (DfImage *image)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      g_autofree gchar *text = df_image_format_diagnostic (image, g_ptr_array_index (image->diagnostics, i));
      g_test_message ("%s", text);
    }
}

void
df_test_assert_segments (DfImage *image, DfFormat format, const DfTestExpected *expected, guint n)
{
  DfTarget *target;

  df_test_dump_diagnostics (image);
  g_assert_false (df_image_has_errors (image));
  g_assert_null (df_test_find_diagnostic (image, DF_SEVERITY_WARNING, ""));
  g_assert_cmpint (image->format, ==, format);
  g_assert_cmpuint (image->targets->len, ==, 1);
  target = g_ptr_array_index (image->targets, 0);
  g_assert_cmpuint (target->alt, ==, 0);
  g_assert_null (target->name);
  g_assert_cmpuint (target->segments->len, ==, n);
  for (guint j = 0; j < n; j++)
    {
      DfSegment *segment = g_ptr_array_index (target->segments, j);
      g_autoptr(GBytes) bytes = df_test_bytes_from_hex (expected[j].hex);
      g_assert_true (segment->has_address);
      g_assert_cmphex (segment->address, ==, expected[j].address);
      g_assert_true (g_bytes_equal (segment->data, bytes));
    }
}

void
df_test_assert_diagnostic (DfImage *image, DfSeverity severity, guint line, const gchar *phrase)
{
  DfDiagnostic *diag;

  df_test_dump_diagnostics (image);
  diag = df_test_find_diagnostic (image, severity, phrase);
  g_assert_nonnull (diag);
  g_assert_cmpuint (diag->line, ==, line);
  g_assert_true (df_image_has_errors (image) == (severity == DF_SEVERITY_ERROR));
}

gchar *
df_test_objcopy_dir (const gchar *prefix)
{
  g_autofree gchar *objcopy = g_find_program_in_path ("objcopy");
  g_autofree gchar *template = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  gchar *dir;

  if (objcopy == NULL)
    {
      g_test_skip ("objcopy (binutils) is not installed");
      return NULL;
    }
  dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  return dir;
}

void
df_test_run_objcopy (const gchar *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree gchar *err = NULL;
  g_autoptr(GError) error = NULL;
  gint status;

  g_ptr_array_add (argv, (gpointer) "objcopy");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("objcopy: %s", err);
      g_assert_no_error (error);
    }
}

void
df_test_assert_objcopy_reads (const gchar *dir, const gchar *ours, const gchar *objcopy_format,
                              GBytes *written, DfImage *image)
{
  g_autofree gchar *ours_path = g_build_filename (dir, ours, NULL);
  g_autofree gchar *bin_path = g_build_filename (dir, "theirs.bin", NULL);
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GBytes) theirs = NULL;
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;
  g_autofree gchar *contents = NULL;
  gsize size;
  guint32 base;

  df_write_options_init (&options);
  raw = df_raw_write (image, &options, &base, &error);
  g_assert_no_error (error);
  g_file_set_contents (ours_path, g_bytes_get_data (written, NULL), (gssize) g_bytes_get_size (written), &error);
  g_assert_no_error (error);
  df_test_run_objcopy ((const gchar *[]) { "-I", objcopy_format, "-O", "binary", "--gap-fill", "0xff",
                                           ours_path, bin_path, NULL });
  g_file_get_contents (bin_path, &contents, &size, &error);
  g_assert_no_error (error);
  theirs = g_bytes_new_take (g_steal_pointer (&contents), size);
  g_assert_true (g_bytes_equal (raw, theirs));
}

void
df_test_remove_dir (const gchar *dir, const gchar *const *files)
{
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree gchar *path = g_build_filename (dir, files[i], NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}
