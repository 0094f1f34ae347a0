/* test-raw: raw binaries, read at a given address and written with gaps
 * filled. */
#include <string.h>

#include "df-error.h"
#include "df-test-util.h"

static void
test_parse (void)
{
  g_autoptr(GBytes) bytes = df_test_pattern (1000, 1);
  g_autoptr(DfImage) image = df_raw_parse (bytes, "fw.bin", 0x08000000);
  DfTarget *target;
  DfSegment *segment;

  g_assert_cmpint (image->format, ==, DF_FORMAT_RAW);
  g_assert_cmpuint (image->diagnostics->len, ==, 0);
  g_assert_cmpuint (image->targets->len, ==, 1);
  target = g_ptr_array_index (image->targets, 0);
  g_assert_cmpuint (target->alt, ==, 0);
  g_assert_null (target->name);
  g_assert_cmpuint (target->segments->len, ==, 1);
  segment = g_ptr_array_index (target->segments, 0);
  g_assert_true (segment->has_address);
  g_assert_cmphex (segment->address, ==, 0x08000000);
  g_assert_true (g_bytes_equal (segment->data, bytes));
}

static void
test_parse_bad (void)
{
  static const struct {
    const gchar *name;
    gsize        size;
    guint32      address;
    const gchar *phrase;  /* NULL: no diagnostic */
    gint64       offset;
  } cases[] = {
    { "empty", 0, 0x08000000, "empty", -1 },
    /* the offset is that of the first byte past 4 GiB */
    { "past 4 GiB", 17, 0xFFFFFFF0, "17 bytes loaded at 0xfffffff0 run past the 4 GiB address space", 16 },
    { "past 4 GiB at the last address", 2, 0xFFFFFFFF, "the last byte would be at 0x100000000", 1 },
    { "up to 4 GiB", 16, 0xFFFFFFF0, NULL, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = df_test_pattern (cases[i].size, 1);
      g_autoptr(DfImage) image = df_raw_parse (bytes, "fw.bin", cases[i].address);
      DfDiagnostic *diag;

      g_test_message ("case: %s", cases[i].name);
      if (cases[i].phrase == NULL)
        {
          g_assert_cmpuint (image->diagnostics->len, ==, 0);
          continue;
        }
      g_assert_cmpuint (image->diagnostics->len, ==, 1);
      diag = g_ptr_array_index (image->diagnostics, 0);
      g_test_message ("%s", diag->message);
      g_assert_cmpint (diag->severity, ==, DF_SEVERITY_ERROR);
      g_assert_nonnull (strstr (diag->message, cases[i].phrase));
      g_assert_cmpint (diag->offset, ==, cases[i].offset);
    }
}

static GBytes *
write_raw (DfImage *image, guint8 fill, guint32 *base)
{
  DfWriteOptions options;
  g_autoptr(GError) error = NULL;
  GBytes *out;

  df_write_options_init (&options);
  options.fill = fill;
  out = df_raw_write (image, &options, base, &error);
  g_assert_no_error (error);
  return out;
}

static void
add_segment (DfTarget *target, guint32 address, const gchar *text)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  df_target_add_segment (target, address, data);
}

static void
assert_bytes (GBytes *bytes, const gchar *expected, gsize size)
{
  g_autoptr(GBytes) want = g_bytes_new (expected, size);
  g_assert_true (g_bytes_equal (bytes, want));
}

static void
test_write_one_segment (void)
{
  const DfTestSegment shape = { 0x08000000, 1000 };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, &shape, 1);
  DfSegment *segment = g_ptr_array_index (((DfTarget *) g_ptr_array_index (image->targets, 0))->segments, 0);
  guint32 base = 0;
  g_autoptr(GBytes) out = write_raw (image, 0xFF, &base);
  g_autoptr(DfImage) again = df_raw_parse (out, "fw.bin", base);

  g_assert_cmphex (base, ==, 0x08000000);
  g_assert_true (g_bytes_equal (out, segment->data));
  g_assert_true (df_image_content_equal (image, again));
}

/* gaps take the fill byte; segments land by address, not by order */
static void
test_write_sparse (void)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_IHEX, "fw.hex");
  DfTarget *target = df_image_add_target (image, 0, NULL);
  guint32 base = 0;
  g_autoptr(GBytes) ff = NULL;
  g_autoptr(GBytes) zero = NULL;

  add_segment (target, 0x20000008, "CD");
  add_segment (target, 0x20000000, "AB");
  add_segment (target, 0x20000004, "");  /* empty: takes no room */
  add_segment (target, 0x2000000C, "");
  ff = write_raw (image, 0xFF, &base);
  g_assert_cmphex (base, ==, 0x20000000);
  assert_bytes (ff, "AB\xff\xff\xff\xff\xff\xff" "CD", 10);
  zero = write_raw (image, 0x00, &base);
  assert_bytes (zero, "AB\0\0\0\0\0\0CD", 10);
}

/* every target is laid out (DfuSe alt settings side by side); where data
 * overlaps, the later segment wins, as it would on the device */
static void
test_write_targets_and_overlap (void)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, "fw.dfu");
  DfTarget *flash = df_image_add_target (image, 0, "Internal Flash");
  DfTarget *other = df_image_add_target (image, 1, "Other");
  guint32 base = 0;
  g_autoptr(GBytes) out = NULL;

  add_segment (flash, 0x100, "abcdef");
  add_segment (flash, 0x102, "XY");
  add_segment (other, 0x0FE, "01");
  out = write_raw (image, 0xFF, &base);
  g_assert_cmphex (base, ==, 0xFE);
  assert_bytes (out, "01abXYef", 8);
}

/* a plain DFU payload has no address: it is written as it is */
static void
test_write_payload (void)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(GBytes) payload = df_test_pattern (300, 3);
  guint32 base = 0x1234;
  g_autoptr(GBytes) out = NULL;

  df_target_add_payload (df_image_add_target (image, 0, NULL), payload);
  out = write_raw (image, 0xFF, &base);
  g_assert_cmphex (base, ==, 0);
  g_assert_true (g_bytes_equal (out, payload));
}

static void
test_write_refuses (void)
{
  g_autoptr(DfImage) far = df_image_new (DF_FORMAT_DFUSE, "far.dfu");
  g_autoptr(DfImage) near = df_image_new (DF_FORMAT_DFUSE, "near.dfu");
  g_autoptr(DfImage) mixed = df_image_new (DF_FORMAT_DFUSE, "mixed.dfu");
  g_autoptr(DfImage) empty = df_image_new (DF_FORMAT_DFUSE, "empty.dfu");
  g_autoptr(GBytes) payload = df_test_pattern (4, 1);
  DfTarget *target;
  DfWriteOptions options;
  guint32 base;
  g_autoptr(GError) error = NULL;
  GBytes *out;

  df_write_options_init (&options);

  /* flash and RAM of an STM32: 384 MiB apart */
  target = df_image_add_target (far, 0, NULL);
  add_segment (target, 0x08000000, "code");
  add_segment (target, 0x20000000, "data");
  out = df_raw_write (far, &options, &base, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "a gap of 383 MiB (0x17fffffc bytes)"));
  g_assert_nonnull (strstr (error->message, "0x08000003"));
  g_assert_nonnull (strstr (error->message, "0x20000000"));
  g_assert_nonnull (strstr (error->message, "Intel HEX"));
  g_clear_error (&error);

  /* one byte over the limit is refused before anything is allocated */
  target = df_image_add_target (near, 0, NULL);
  add_segment (target, 0x0, "a");
  add_segment (target, 0x1 + 256 * 1024 * 1024 + 1, "b");
  out = df_raw_write (near, &options, &base, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  target = df_image_add_target (mixed, 0, NULL);
  add_segment (target, 0x08000000, "code");
  df_target_add_payload (target, payload);
  out = df_raw_write (mixed, &options, &base, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no address"));
  g_clear_error (&error);

  df_image_add_target (empty, 0, NULL);
  out = df_raw_write (empty, &options, &base, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no data"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/raw/parse", test_parse);
  g_test_add_func ("/raw/parse-bad", test_parse_bad);
  g_test_add_func ("/raw/write-one-segment", test_write_one_segment);
  g_test_add_func ("/raw/write-sparse", test_write_sparse);
  g_test_add_func ("/raw/write-targets-and-overlap", test_write_targets_and_overlap);
  g_test_add_func ("/raw/write-payload", test_write_payload);
  g_test_add_func ("/raw/write-refuses", test_write_refuses);
  return g_test_run ();
}
