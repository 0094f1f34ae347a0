/* test-dfuse: DfuSe and plain DFU files, read and written. */
#include <string.h>

#include "df-le.h"
#include "df-test-util.h"

/* a two-target file: alt 0 "Internal Flash" with two elements, alt 1 with one */
static GBytes *
write_sample (gboolean pad)
{
  const DfTestSegment segs[] = { { 0x08000000, 0x1000 }, { 0x08020000, 0x800 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(GBytes) option_bytes = df_test_pattern (16, 9);
  DfTarget *t0 = g_ptr_array_index (image->targets, 0);
  DfTarget *t1;
  DfWriteOptions options;

  t0->name = g_strdup ("Internal Flash");
  t1 = df_image_add_target (image, 1, NULL);
  df_target_add_segment (t1, 0x1FFFC000, option_bytes);
  df_write_options_init (&options);
  options.vid = 0x0483;
  options.pid = 0xdf11;
  options.bcd_device = 0x2200;
  options.pad_to_8 = pad;
  return df_dfuse_write (image, &options, NULL);
}

/* the bytes with their suffix CRC made right again after an edit */
static GBytes *
fix_crc (GByteArray *array)
{
  df_put_le32 (array->data + array->len - 4, df_dfu_crc (array->data, array->len - 4));
  return g_bytes_new (array->data, array->len);
}

static gboolean
has_diagnostic (DfImage *image, DfSeverity severity, const gchar *phrase)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == severity && strstr (diag->message, phrase) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_write_layout (void)
{
  g_autoptr(GBytes) bytes = write_sample (FALSE);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  /* prefix, 2 targets, 3 elements, suffix */
  g_assert_cmpuint (size, ==, 11 + 2 * 274 + 3 * 8 + 0x1000 + 0x800 + 16 + 16);
  g_assert_cmpmem (data, 6, "DfuSe\x01", 6);
  g_assert_cmpuint (df_le32 (data + 6), ==, size - 16); /* ST's convention */
  g_assert_cmpuint (data[10], ==, 2);
  g_assert_cmpmem (data + 11, 6, "Target", 6);
  g_assert_cmpstr ((const gchar *) data + 11 + 11, ==, "Internal Flash");
  g_assert_cmpuint (df_le32 (data + 11 + 7), ==, 1);
  g_assert_cmpuint (df_le32 (data + 11 + 266), ==, 2 * 8 + 0x1000 + 0x800);
  g_assert_cmpuint (df_le32 (data + 11 + 270), ==, 2);
  g_assert_cmpuint (df_le16 (data + size - 10), ==, 0x011a);
  g_assert_cmpuint (df_le16 (data + size - 12), ==, 0x0483);
  g_assert_cmpuint (df_le16 (data + size - 14), ==, 0xdf11);
  g_assert_cmpuint (df_le16 (data + size - 16), ==, 0x2200);
  g_assert_cmpuint (df_le32 (data + size - 4), ==, df_dfu_crc (data, size - 4));
}

static void
test_round_trip (void)
{
  g_autoptr(GBytes) bytes = write_sample (FALSE);
  g_autoptr(DfImage) image = df_dfuse_parse (bytes, "sample.dfu", DF_LOAD_NONE);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(DfImage) reparsed = NULL;
  DfWriteOptions options;
  DfTarget *target;

  g_assert_false (df_image_has_errors (image));
  g_assert_cmpuint (image->diagnostics->len, ==, 0);
  g_assert_cmpuint (image->targets->len, ==, 2);
  target = g_ptr_array_index (image->targets, 0);
  g_assert_cmpstr (target->name, ==, "Internal Flash");
  g_assert_cmpuint (target->segments->len, ==, 2);
  g_assert_cmphex (((DfSegment *) g_ptr_array_index (target->segments, 1))->address, ==, 0x08020000);
  target = g_ptr_array_index (image->targets, 1);
  g_assert_null (target->name);
  g_assert_cmpuint (target->alt, ==, 1);
  g_assert_cmpuint (image->suffix.vid, ==, 0x0483);

  /* write(parse(file)) gives the same bytes back */
  df_write_options_init (&options);
  options.vid = image->suffix.vid;
  options.pid = image->suffix.pid;
  options.bcd_device = image->suffix.bcd_device;
  options.pad_to_8 = FALSE;
  again = df_dfuse_write (image, &options, NULL);
  g_assert_true (g_bytes_equal (bytes, again));
  reparsed = df_dfuse_parse (again, "again.dfu", DF_LOAD_NONE);
  g_assert_true (df_image_content_equal (image, reparsed));
}

static void
test_padding (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 13 }, { 0x08000100, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(DfImage) parsed = NULL;
  DfWriteOptions options;
  DfSegment *segment;
  const guint8 *data;
  gsize size;

  df_write_options_init (&options);
  bytes = df_dfuse_write (image, &options, NULL);
  parsed = df_dfuse_parse (bytes, "padded.dfu", DF_LOAD_NONE);
  g_assert_false (df_image_has_errors (parsed));
  g_assert_false (has_diagnostic (parsed, DF_SEVERITY_WARNING, "multiple of 8"));
  segment = g_ptr_array_index (((DfTarget *) g_ptr_array_index (parsed->targets, 0))->segments, 0);
  data = g_bytes_get_data (segment->data, &size);
  g_assert_cmpuint (size, ==, 16);
  g_assert_cmpmem (data, 13, g_bytes_get_data (((DfSegment *) g_ptr_array_index (((DfTarget *) g_ptr_array_index (image->targets, 0))->segments, 0))->data, NULL), 13);
  g_assert_cmpmem (data + 13, 3, "\xff\xff\xff", 3);

  /* without padding the odd size stays; the reader does not warn (Defuse
   * pads such writes itself: the warning is convert/pack --no-pad's) */
  options.pad_to_8 = FALSE;
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_pointer (&parsed, df_image_unref);
  bytes = df_dfuse_write (image, &options, NULL);
  parsed = df_dfuse_parse (bytes, "odd.dfu", DF_LOAD_NONE);
  g_assert_true (df_image_content_equal (image, parsed));
  g_assert_false (has_diagnostic (parsed, DF_SEVERITY_WARNING, "multiple of 8"));
}

/* Each case edits a good file at a place and expects one diagnostic. */
typedef enum {
  EDIT_TRUNCATE_INSIDE_ELEMENT,
  EDIT_ELEMENT_SIZE_TOO_BIG,
  EDIT_TARGET_SIZE_WRONG,
  EDIT_ELEMENT_COUNT_TOO_SMALL,
  EDIT_ELEMENT_COUNT_HUGE,
  EDIT_TARGETS_ZERO,
  EDIT_TARGETS_TOO_MANY,
  EDIT_TRAILING_BYTES,
  EDIT_IMAGE_SIZE_WITH_SUFFIX,
  EDIT_IMAGE_SIZE_ODD,
  EDIT_CRC,
  EDIT_NO_SUFFIX,
  EDIT_SUFFIX_LENGTH_SHORT,
  EDIT_PID_ZERO,
  EDIT_OVERLAP,
  EDIT_ZERO_ELEMENTS,
  EDIT_BAD_SIGNATURE,
  EDIT_VERSION,
} Edit;

static const struct {
  const gchar *name;
  Edit edit;
  DfSeverity severity;
  const gchar *phrase;
} bad_cases[] = {
  { "truncated", EDIT_TRUNCATE_INSIDE_ELEMENT, DF_SEVERITY_ERROR, "past the end of the file" },
  { "element-past-end", EDIT_ELEMENT_SIZE_TOO_BIG, DF_SEVERITY_ERROR, "past the end of the file" },
  { "target-size", EDIT_TARGET_SIZE_WRONG, DF_SEVERITY_ERROR, "says its elements take" },
  { "count-small", EDIT_ELEMENT_COUNT_TOO_SMALL, DF_SEVERITY_ERROR, "says its elements take" },
  { "count-huge", EDIT_ELEMENT_COUNT_HUGE, DF_SEVERITY_ERROR, "element count is wrong" },
  { "no-targets", EDIT_TARGETS_ZERO, DF_SEVERITY_ERROR, "no targets" },
  { "targets-too-many", EDIT_TARGETS_TOO_MANY, DF_SEVERITY_ERROR, "truncated" },
  { "trailing", EDIT_TRAILING_BYTES, DF_SEVERITY_WARNING, "trailing bytes" },
  { "image-size-with-suffix", EDIT_IMAGE_SIZE_WITH_SUFFIX, DF_SEVERITY_NOTE, "dfuse-pack.py" },
  { "image-size-odd", EDIT_IMAGE_SIZE_ODD, DF_SEVERITY_WARNING, "DFUImageSize is" },
  { "crc", EDIT_CRC, DF_SEVERITY_ERROR, "CRC mismatch" },
  { "no-suffix", EDIT_NO_SUFFIX, DF_SEVERITY_ERROR, "does not end with a DFU suffix" },
  { "suffix-short", EDIT_SUFFIX_LENGTH_SHORT, DF_SEVERITY_ERROR, "bLength is 12" },
  { "pid-zero", EDIT_PID_ZERO, DF_SEVERITY_NOTE, "DfuFileMgr" },
  { "overlap", EDIT_OVERLAP, DF_SEVERITY_WARNING, "overlaps" },
  { "zero-elements", EDIT_ZERO_ELEMENTS, DF_SEVERITY_WARNING, "no elements" },
  { "signature", EDIT_BAD_SIGNATURE, DF_SEVERITY_ERROR, "\"Target\"" },
  { "version", EDIT_VERSION, DF_SEVERITY_WARNING, "format version 2" },
};

/* offsets in the sample: target 1 at 11, its first element header at 285 */
#define T1 11
#define E1 (T1 + 274)

static GBytes *
apply_edit (Edit edit)
{
  g_autoptr(GBytes) good = write_sample (FALSE);
  g_autoptr(GByteArray) a = g_byte_array_new ();
  gsize size;
  const guint8 *data = g_bytes_get_data (good, &size);

  g_byte_array_append (a, data, (guint) size);
  switch (edit)
    {
    case EDIT_TRUNCATE_INSIDE_ELEMENT:
      {
        /* cut the file inside the first element, keep a valid suffix */
        g_autoptr(GBytes) cut = df_dfu_append_suffix (a->data, E1 + 8 + 100, 0x0483, 0xdf11, 0x2200, 0x011a);
        return g_steal_pointer (&cut);
      }
    case EDIT_ELEMENT_SIZE_TOO_BIG:
      df_put_le32 (a->data + E1 + 4, 0x100000);
      break;
    case EDIT_TARGET_SIZE_WRONG:
      df_put_le32 (a->data + T1 + 266, df_le32 (a->data + T1 + 266) + 4);
      break;
    case EDIT_ELEMENT_COUNT_TOO_SMALL:
      df_put_le32 (a->data + T1 + 270, 1);
      break;
    case EDIT_ELEMENT_COUNT_HUGE:
      df_put_le32 (a->data + T1 + 270, 0x7fffffff);
      break;
    case EDIT_TARGETS_ZERO:
      a->data[10] = 0;
      break;
    case EDIT_TARGETS_TOO_MANY:
      a->data[10] = 3;
      break;
    case EDIT_TRAILING_BYTES:
      {
        g_autoptr(GBytes) longer = NULL;
        g_byte_array_set_size (a, a->len - 16);
        g_byte_array_append (a, (const guint8 *) "junk", 4);
        df_put_le32 (a->data + 6, a->len);
        longer = df_dfu_append_suffix (a->data, a->len, 0x0483, 0xdf11, 0x2200, 0x011a);
        return g_steal_pointer (&longer);
      }
    case EDIT_IMAGE_SIZE_WITH_SUFFIX:
      df_put_le32 (a->data + 6, a->len);
      break;
    case EDIT_IMAGE_SIZE_ODD:
      df_put_le32 (a->data + 6, 12345);
      break;
    case EDIT_CRC:
      a->data[E1 + 8] ^= 0x01;
      return g_bytes_new (a->data, a->len); /* CRC left stale on purpose */
    case EDIT_NO_SUFFIX:
      g_byte_array_set_size (a, a->len - 16);
      return g_bytes_new (a->data, a->len);
    case EDIT_SUFFIX_LENGTH_SHORT:
      a->data[a->len - 5] = 12;
      break;
    case EDIT_PID_ZERO:
      df_put_le16 (a->data + a->len - 14, 0);
      break;
    case EDIT_OVERLAP:
      df_put_le32 (a->data + E1 + 8 + 0x1000, 0x08000800); /* element 2 address */
      break;
    case EDIT_ZERO_ELEMENTS:
      {
        /* alt 1 becomes a target with no elements; file shrinks */
        g_autoptr(GBytes) shorter = NULL;
        guint t2 = E1 + 8 + 0x1000 + 8 + 0x800;
        df_put_le32 (a->data + t2 + 266, 0);
        df_put_le32 (a->data + t2 + 270, 0);
        g_byte_array_set_size (a, t2 + 274);
        df_put_le32 (a->data + 6, a->len);
        shorter = df_dfu_append_suffix (a->data, a->len, 0x0483, 0xdf11, 0x2200, 0x011a);
        return g_steal_pointer (&shorter);
      }
    case EDIT_BAD_SIGNATURE:
      a->data[T1] = 't';
      break;
    case EDIT_VERSION:
      a->data[5] = 2;
      break;
    default:
      g_assert_not_reached ();
    }
  return fix_crc (a);
}

static void
test_bad_input (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autoptr(GBytes) bytes = apply_edit (bad_cases[i].edit);
  g_autoptr(DfImage) image = df_dfuse_parse (bytes, "bad.dfu", DF_LOAD_NONE);

  if (!has_diagnostic (image, bad_cases[i].severity, bad_cases[i].phrase))
    {
      for (guint j = 0; j < image->diagnostics->len; j++)
        g_printerr ("# got: %s\n", ((DfDiagnostic *) g_ptr_array_index (image->diagnostics, j))->message);
      g_error ("case %s: no diagnostic of severity %d with “%s”",
               bad_cases[i].name, bad_cases[i].severity, bad_cases[i].phrase);
    }
  /* errors refuse; warnings and notes leave a usable image */
  g_assert_cmpint (df_image_has_errors (image), ==, bad_cases[i].severity == DF_SEVERITY_ERROR);
}

static void
test_crc_override (void)
{
  g_autoptr(GBytes) bytes = apply_edit (EDIT_CRC);
  g_autoptr(DfImage) image = df_dfuse_parse (bytes, "bad.dfu", DF_LOAD_IGNORE_CRC);

  g_assert_false (df_image_has_errors (image));
  g_assert_true (has_diagnostic (image, DF_SEVERITY_WARNING, "CRC mismatch"));
}

static void
test_diagnostic_offsets (void)
{
  g_autoptr(GBytes) bytes = apply_edit (EDIT_ELEMENT_SIZE_TOO_BIG);
  g_autoptr(DfImage) image = df_dfuse_parse (bytes, "bad.dfu", DF_LOAD_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (df_image_check (image, &error));
  g_assert_cmpstr (error->message, ==,
                   "bad.dfu: offset 0x11d: element 1 of target 1 (alt 0) at 0x08000000 claims 1048576 bytes, "
                   "running 1042126 bytes past the end of the file");
}

static void
test_extended_suffix (void)
{
  /* fwupd once wrote metadata before the standard 16 bytes (bLength 29) */
  g_autoptr(GByteArray) a = g_byte_array_new ();
  g_autoptr(GBytes) payload_and_meta = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(DfImage) image = NULL;
  DfSegment *segment;

  g_byte_array_append (a, (const guint8 *) "abcdef" "0123456789abc", 19);
  payload_and_meta = df_dfu_append_suffix (a->data, a->len, 0xffff, 0xffff, 0xffff, 0x0100);
  g_byte_array_set_size (a, 0);
  g_byte_array_append (a, g_bytes_get_data (payload_and_meta, NULL), (guint) g_bytes_get_size (payload_and_meta));
  a->data[a->len - 5] = 29;
  bytes = fix_crc (a);

  image = df_dfu_parse (bytes, "meta.dfu", DF_LOAD_NONE);
  g_assert_false (df_image_has_errors (image));
  g_assert_true (has_diagnostic (image, DF_SEVERITY_NOTE, "extended DFU suffix of 29 bytes"));
  segment = g_ptr_array_index (((DfTarget *) g_ptr_array_index (image->targets, 0))->segments, 0);
  g_assert_false (segment->has_address);
  g_assert_cmpuint (g_bytes_get_size (segment->data), ==, 6);
  g_assert_cmpmem (g_bytes_get_data (segment->data, NULL), 6, "abcdef", 6);
}

static void
test_plain_dfu (void)
{
  g_autoptr(GBytes) payload = df_test_pattern (1000, 3);
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(DfImage) parsed = NULL;
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;

  df_target_add_payload (df_image_add_target (image, 0, NULL), payload);
  df_write_options_init (&options);
  options.vid = 0x1209;
  options.pid = 0x5bf0;
  bytes = df_dfu_write (image, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 1016);
  g_assert_cmpint (df_format_detect (bytes, NULL), ==, DF_FORMAT_DFU);

  parsed = df_dfu_parse (bytes, "fw.dfu", DF_LOAD_NONE);
  g_assert_false (df_image_has_errors (parsed));
  g_assert_true (df_image_content_equal (image, parsed));
  g_assert_cmphex (parsed->suffix.bcd_dfu, ==, 0x0100);
  g_assert_cmphex (parsed->suffix.vid, ==, 0x1209);
  g_assert_cmphex (parsed->suffix.pid, ==, 0x5bf0);

  /* a plain DFU file cannot hold two segments */
  {
    const DfTestSegment segs[] = { { 0x08000000, 8 }, { 0x08001000, 8 } };
    g_autoptr(DfImage) two = df_test_image (DF_FORMAT_DFUSE, segs, 2);
    g_autoptr(GError) local = NULL;
    g_assert_null (df_dfu_write (two, &options, &local));
    g_assert_nonnull (strstr (local->message, "write a DfuSe file instead"));
  }
}

static void
test_write_refuses (void)
{
  g_autoptr(DfImage) empty = df_image_new (DF_FORMAT_DFUSE, "empty");
  g_autoptr(DfImage) payload = df_image_new (DF_FORMAT_RAW, "raw.bin");
  g_autoptr(GBytes) data = df_test_pattern (16, 1);
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;

  df_write_options_init (&options);
  g_assert_null (df_dfuse_write (empty, &options, &error));
  g_assert_nonnull (strstr (error->message, "1 to 255 targets"));
  g_clear_error (&error);

  df_target_add_payload (df_image_add_target (payload, 0, NULL), data);
  g_assert_null (df_dfuse_write (payload, &options, &error));
  g_assert_nonnull (strstr (error->message, "give the load address"));
}

static void
test_detect (void)
{
  static const struct {
    const gchar *content;
    const gchar *name;
    DfFormat format;
  } cases[] = {
    { "DfuSe\x01", "x", DF_FORMAT_DFUSE },
    { "\x7f" "ELF\x01\x01", "x", DF_FORMAT_ELF },
    { ":020000040800F2\n", "x", DF_FORMAT_IHEX },
    { "\xef\xbb\xbf:00000001FF\r\n", "x", DF_FORMAT_IHEX },
    { "S00600004844521B\n", "x", DF_FORMAT_SREC },
    { "\x01\x02\x03", "fw.bin", DF_FORMAT_RAW },
    { "\x01\x02\x03", "fw.dfu", DF_FORMAT_UNKNOWN },
    { "hello", "fw.txt", DF_FORMAT_UNKNOWN },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (cases[i].content, strlen (cases[i].content));
      g_assert_cmpint (df_format_detect (bytes, cases[i].name), ==, cases[i].format);
    }
}

static void
test_load_unknown (void)
{
  /* a vendor blob named .dfu: one clear error, not a crash or a guess */
  g_autoptr(GBytes) bytes = df_test_pattern (4096, 7);
  g_autoptr(DfImage) image = df_image_load_bytes (bytes, "vendor.dfu", DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (df_image_has_errors (image));
  g_assert_false (df_image_check (image, &error));
  g_assert_nonnull (strstr (error->message, "vendor.dfu: "));

  /* a DfuSe file forced as raw is refused */
  {
    g_autoptr(GBytes) dfuse = write_sample (TRUE);
    g_autoptr(GError) local = NULL;
    g_assert_null (df_image_load_bytes (dfuse, "fw.dfu", DF_FORMAT_RAW, TRUE, 0x08000000, DF_LOAD_NONE, &local));
    g_assert_nonnull (strstr (local->message, "not a raw binary"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dfuse/write-layout", test_write_layout);
  g_test_add_func ("/dfuse/round-trip", test_round_trip);
  g_test_add_func ("/dfuse/padding", test_padding);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/dfuse/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_bad_input);
    }
  g_test_add_func ("/dfuse/crc-override", test_crc_override);
  g_test_add_func ("/dfuse/diagnostic-offsets", test_diagnostic_offsets);
  g_test_add_func ("/dfuse/extended-suffix", test_extended_suffix);
  g_test_add_func ("/dfuse/plain-dfu", test_plain_dfu);
  g_test_add_func ("/dfuse/write-refuses", test_write_refuses);
  g_test_add_func ("/dfuse/detect", test_detect);
  g_test_add_func ("/dfuse/load-unknown", test_load_unknown);
  return g_test_run ();
}
