/* test-image: the image model and the CRC functions. */
#include <string.h>

#include "df-error.h"
#include "df-test-util.h"

/* Known CRC-32 vectors: zlib's crc32 and the DFU suffix CRC (its NOT). */
static void
test_crc_vectors (void)
{
  static const struct {
    const gchar *input;
    guint32 zlib;
  } vectors[] = {
    { "", 0x00000000 },
    { "a", 0xe8b7be43 },
    { "123456789", 0xcbf43926 },
    { "The quick brown fox jumps over the lazy dog", 0x414fa339 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      const guint8 *data = (const guint8 *) vectors[i].input;
      gsize size = strlen (vectors[i].input);
      g_assert_cmphex (df_crc32 (data, size), ==, vectors[i].zlib);
      g_assert_cmphex (df_dfu_crc (data, size), ==, ~vectors[i].zlib);
    }
}

static void
test_format_names (void)
{
  for (DfFormat f = DF_FORMAT_DFUSE; f <= DF_FORMAT_RAW; f++)
    g_assert_cmpint (df_format_from_string (df_format_to_string (f)), ==, f);
  g_assert_cmpint (df_format_from_string ("pdf"), ==, DF_FORMAT_UNKNOWN);
  g_assert_cmpint (df_format_from_string (NULL), ==, DF_FORMAT_UNKNOWN);
}

static void
test_diagnostics (void)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, "fw.dfu");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = NULL;

  df_image_add_diagnostic (image, DF_SEVERITY_WARNING, 0x1c, 0, "odd %s", "thing");
  g_assert_false (df_image_has_errors (image));
  g_assert_true (df_image_check (image, NULL));
  text = df_image_format_diagnostic (image, g_ptr_array_index (image->diagnostics, 0));
  g_assert_cmpstr (text, ==, "fw.dfu: offset 0x1c: odd thing");

  df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 7, "bad checksum");
  g_assert_true (df_image_has_errors (image));
  g_assert_false (df_image_check (image, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_FILE);
  g_assert_cmpstr (error->message, ==, "fw.dfu: line 7: bad checksum");
}

static void
test_content_equal (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 100 }, { 0x08020000, 50 } };
  g_autoptr(DfImage) a = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(DfImage) b = df_test_image (DF_FORMAT_IHEX, segs, 2);
  g_autoptr(DfImage) c = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  DfTarget *t;

  g_assert_true (df_image_content_equal (a, b));
  g_assert_false (df_image_content_equal (a, c));
  g_assert_cmpuint (df_image_total_size (a), ==, 150);
  g_assert_true (df_image_has_addresses (a));

  t = g_ptr_array_index (b->targets, 0);
  g_free (t->name);
  t->name = g_strdup ("Internal Flash");
  g_assert_false (df_image_content_equal (a, b));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/crc-vectors", test_crc_vectors);
  g_test_add_func ("/image/format-names", test_format_names);
  g_test_add_func ("/image/diagnostics", test_diagnostics);
  g_test_add_func ("/image/content-equal", test_content_equal);
  return g_test_run ();
}
