/* test-ihex: Intel HEX reading and writing, checked against objcopy. */
#include <string.h>

#include "df-error.h"
#include "df-test-util.h"

static DfImage *
parse_text (const gchar *text, DfLoadFlags flags)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  return df_ihex_parse (bytes, "test.hex", flags);
}

static void
test_parse_good (void)
{
  static const struct {
    const gchar    *name;
    const gchar    *text;
    DfTestExpected  segments[3];
    guint           n_segments;
  } cases[] = {
    { "one record", ":0400000001020304F2\n:00000001FF\n", { { 0, "01020304" } }, 1 },
    { "contiguous records merge",
      ":0400000001020304F2\n:020004000506EF\n:00000001FF\n", { { 0, "010203040506" } }, 1 },
    { "a gap starts a segment",
      ":0400000001020304F2\n:01010000AA54\n:00000001FF\n", { { 0, "01020304" }, { 0x100, "AA" } }, 2 },
    { "out of order records are sorted and joined",
      ":01010000AA54\n:020004000506EF\n:0400000001020304F2\n:00000001FF\n",
      { { 0, "010203040506" }, { 0x100, "AA" } }, 2 },
    { "extended linear address",
      ":020000040800F2\n:0400000001020304F2\n:00000001FF\n", { { 0x08000000, "01020304" } }, 1 },
    { "extended segment address",
      ":020000021234B6\n:0400000001020304F2\n:00000001FF\n", { { 0x12340, "01020304" } }, 1 },
    { "records on both sides of a 64 KiB boundary join",
      ":10FFF000000102030405060708090A0B0C0D0E0F89\n:020000040001F9\n:0400000001020304F2\n:00000001FF\n",
      { { 0xfff0, "000102030405060708090A0B0C0D0E0F01020304" } }, 1 },
    { "BOM, CRLF, blank lines, trailing whitespace, lowercase",
      "\xef\xbb\xbf:0400000001020304f2  \r\n\r\n:020004000506ef\t\r\n:00000001ff\r\n",
      { { 0, "010203040506" } }, 1 },
    { "no newline after the last record", ":0400000001020304F2\n:00000001FF", { { 0, "01020304" } }, 1 },
    { "start addresses are accepted",
      ":0400000300000100F8\n:0400000001020304F2\n:0400000508000131BD\n:00000001FF\n", { { 0, "01020304" } }, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DfImage) image = parse_text (cases[i].text, DF_LOAD_NONE);

      g_test_message ("case: %s", cases[i].name);
      df_test_assert_segments (image, DF_FORMAT_IHEX, cases[i].segments, cases[i].n_segments);
    }
}

static void
test_start_address_notes (void)
{
  g_autoptr(DfImage) image = parse_text (":0400000300000100F8\n:0400000001020304F2\n"
                                         ":0400000508000131BD\n:00000001FF\n", DF_LOAD_NONE);
  DfDiagnostic *diag;

  diag = df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "0x08000131");
  g_assert_nonnull (diag);
  g_assert_cmpuint (diag->line, ==, 3);
  diag = df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "0000:0100");
  g_assert_nonnull (diag);
  g_assert_cmpuint (diag->line, ==, 1);
}

static void
test_parse_bad (void)
{
  static const struct {
    const gchar *name;
    const gchar *text;
    DfSeverity   severity;
    guint        line;     /* 0: the diagnostic is about the whole file */
    const gchar *phrase;
  } cases[] = {
    { "bad checksum", ":0400000001020304F3\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "checksum is 0xf3 but the record's bytes give 0xf2" },
    { "only an EOF record", ":00000001FF\n", DF_SEVERITY_ERROR, 0, "no data records" },
    { "non-hex character", ":04000000010203G4F2\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "'G' in column 16 is not a hex digit" },
    { "control character", ":0400000001020304\x01" "F2\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "byte 0x01 in column 18 is not a hex digit" },
    { "odd length", ":020000040800F2\n:0400000001020304F\n:00000001FF\n", DF_SEVERITY_ERROR, 2,
      "odd number of hex digits" },
    { "count too large", ":0500000001020304F1\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "byte count is 0x05 (5) but the record holds 4 data bytes" },
    { "count too small", ":0300000001020304F3\n:00000001FF\n", DF_SEVERITY_ERROR, 1, "byte count is 0x03" },
    { "record too short", ":0000\n:00000001FF\n", DF_SEVERITY_ERROR, 1, "too short" },
    { "unknown record type", ":00000006FA\n:00000001FF\n", DF_SEVERITY_ERROR, 1, "unknown record type 0x06" },
    { "missing EOF record", ":0400000001020304F2\n", DF_SEVERITY_ERROR, 0, "no end-of-file record" },
    { "data after EOF", ":0400000001020304F2\n:00000001FF\n:01010000AA54\n", DF_SEVERITY_WARNING, 3,
      "after the end-of-file record" },
    { "address wraps past 4 GiB",
      ":02000004FFFFFC\n:10FFF800000102030405060708090A0B0C0D0E0F81\n:00000001FF\n", DF_SEVERITY_ERROR, 2,
      "16 bytes at 0xfffffff8 run past the 4 GiB address space" },
    { "missing ':'", ":0400000001020304F2\n0400000001020304F2\n:00000001FF\n", DF_SEVERITY_ERROR, 2,
      "does not start with ':'" },
    { "leading space", " :0400000001020304F2\n:00000001FF\n", DF_SEVERITY_ERROR, 1, "does not start with ':'" },
    { "empty file", "", DF_SEVERITY_ERROR, 0, "empty" },
    { "blank lines only", "\xef\xbb\xbf\r\n  \n\n", DF_SEVERITY_ERROR, 0, "empty" },
    { "no data", ":020000040800F2\n:00000001FF\n", DF_SEVERITY_ERROR, 0, "no data records" },
    { "short segment address", ":0100000201FC\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "extended segment address record (type 02) must hold 2 bytes, not 1" },
    { "short start address", ":020000050800F1\n:0400000001020304F2\n:00000001FF\n", DF_SEVERITY_ERROR, 1,
      "must hold 4 bytes" },
    { "EOF with data", ":0400000001020304F2\n:01000001AA54\n", DF_SEVERITY_WARNING, 2,
      "end-of-file record should hold no data but has a byte count of 1" },
    { "binary junk", "\x7f" "ELF\x02\x01\x01\n\n", DF_SEVERITY_ERROR, 1, "does not start with ':'" },
    { "overlap", ":0400000001020304F2\n:02000200BBCC75\n:00000001FF\n", DF_SEVERITY_WARNING, 2,
      "bytes 0x00000002..0x00000003 are given twice: by the data at 0x00000000 (line 1) "
      "and by the data at 0x00000002 (line 2)" },
    { "duplicate record", ":0400000001020304F2\n:0400000001020304F2\n:00000001FF\n", DF_SEVERITY_WARNING, 2,
      "given twice" },
    { "many bad lines", "x\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\n", DF_SEVERITY_ERROR, 10, "stopped after 10 errors" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DfImage) image = parse_text (cases[i].text, DF_LOAD_NONE);

      g_test_message ("case: %s", cases[i].name);
      df_test_assert_diagnostic (image, cases[i].severity, cases[i].line, cases[i].phrase);
    }
}

/* the diagnostic as the user sees it: file, line, what is wrong */
static void
test_diagnostic_text (void)
{
  g_autoptr(DfImage) image = parse_text (":020000040800F2\n:0400000001020304F3\n:00000001FF\n", DF_LOAD_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (df_image_check (image, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_FILE);
  g_assert_cmpstr (error->message, ==, "test.hex: line 2: checksum is 0xf3 but the record's bytes give 0xf2");
}

static void
test_ignore_checksum (void)
{
  g_autoptr(DfImage) image = parse_text (":0400000001020304F3\n:00000001FF\n", DF_LOAD_IGNORE_CRC);
  DfTarget *target = g_ptr_array_index (image->targets, 0);
  DfSegment *segment;

  g_assert_false (df_image_has_errors (image));
  g_assert_nonnull (df_test_find_diagnostic (image, DF_SEVERITY_WARNING, "checksum is 0xf3"));
  g_assert_cmpuint (target->segments->len, ==, 1);
  segment = g_ptr_array_index (target->segments, 0);
  g_assert_cmpuint (g_bytes_get_size (segment->data), ==, 4);
}

/* many records give one segment, and one pass: 4 MiB must parse quickly */
static void
test_parse_large (void)
{
  const DfTestSegment shape[] = { { 0x08000000, 4 * 1024 * 1024 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, shape, 1);
  g_autoptr(GBytes) hex = df_ihex_write (image, NULL);
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(DfImage) parsed = df_ihex_parse (hex, "large.hex", DF_LOAD_NONE);

  g_test_message ("parsed %" G_GSIZE_FORMAT " bytes of hex in %.3f s", g_bytes_get_size (hex),
                  g_timer_elapsed (timer, NULL));
  g_assert_false (df_image_has_errors (parsed));
  g_assert_true (df_image_content_equal (image, parsed));
}

static void
assert_written (DfImage *image, const gchar *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = df_ihex_write (image, &error);
  g_autofree gchar *text = NULL;

  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (text, ==, expected);
}

static void
test_write_exact (void)
{
  g_autoptr(DfImage) twenty = df_test_image_from_hex (0x08000000, "000102030405060708090A0B0C0D0E0F10111213");
  g_autoptr(DfImage) boundary = df_test_image_from_hex (0x0800FFF8, "000102030405060708090A0B0C0D0E0F");
  g_autoptr(DfImage) low = df_test_image_from_hex (0x100, "AA");

  /* 16 bytes per record, a type 04 record before the first */
  assert_written (twenty,
                  ":020000040800F2\n"
                  ":10000000000102030405060708090A0B0C0D0E0F78\n"
                  ":0400100010111213A6\n"
                  ":00000001FF\n");
  /* no record crosses a 64 KiB boundary, and a new base follows it */
  assert_written (boundary,
                  ":020000040800F2\n"
                  ":08FFF8000001020304050607E5\n"
                  ":020000040801F1\n"
                  ":0800000008090A0B0C0D0E0F9C\n"
                  ":00000001FF\n");
  /* below 64 KiB no base record is needed */
  assert_written (low, ":01010000AA54\n:00000001FF\n");
}

static void
test_write_refuses (void)
{
  g_autoptr(DfImage) payload = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(DfImage) empty = df_image_new (DF_FORMAT_DFUSE, "empty.dfu");
  g_autoptr(DfImage) past = df_test_image_from_hex (0xFFFFFFFF, "0102");
  g_autoptr(GBytes) data = df_test_pattern (10, 1);
  g_autoptr(GError) error = NULL;
  GBytes *out;

  df_target_add_payload (df_image_add_target (payload, 0, NULL), data);
  out = df_ihex_write (payload, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "fw.dfu"));
  g_assert_nonnull (strstr (error->message, "give the address"));
  g_clear_error (&error);

  df_image_add_target (empty, 0, NULL);
  out = df_ihex_write (empty, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  out = df_ihex_write (past, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED);
}

static const struct {
  const gchar  *name;
  DfTestSegment segments[3];
  guint         n;
} shapes[] = {
  { "one segment", { { 0x08000000, 1000 } }, 1 },
  { "sparse", { { 0x08000000, 100 }, { 0x08004000, 33 }, { 0x08010000, 1 } }, 3 },
  { "across 64 KiB", { { 0x0800FFF0, 64 } }, 1 },
  { "across several 64 KiB", { { 0x08000007, 200000 } }, 1 },
  { "low", { { 0, 5 }, { 0x10, 3 } }, 2 },
  { "above 16 MiB", { { 0x90000000, 50 } }, 1 },
  { "up to 4 GiB", { { 0xFFFFFFF0, 16 } }, 1 },
};

static void
test_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, shapes[i].segments, shapes[i].n);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) hex = df_ihex_write (image, &error);
      g_autoptr(DfImage) parsed = NULL;

      g_test_message ("shape: %s", shapes[i].name);
      g_assert_no_error (error);
      parsed = df_ihex_parse (hex, "round-trip.hex", DF_LOAD_NONE);
      df_test_dump_diagnostics (parsed);
      g_assert_cmpuint (parsed->diagnostics->len, ==, 0);
      g_assert_true (df_image_content_equal (image, parsed));
    }
}

/* objcopy turns our hex into the same bytes as our raw writer */
static void
test_objcopy_reads_ours (void)
{
  g_autofree gchar *dir = df_test_objcopy_dir ("test-ihex");
  const gchar *files[] = { "ours.hex", "theirs.bin", NULL };

  if (dir == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, shapes[i].segments, shapes[i].n);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) hex = df_ihex_write (image, &error);

      g_test_message ("shape: %s", shapes[i].name);
      g_assert_no_error (error);
      df_test_assert_objcopy_reads (dir, "ours.hex", "ihex", hex, image);
    }
  df_test_remove_dir (dir, files);
}

/* we read what objcopy writes from a binary */
static void
test_we_read_objcopy (void)
{
  g_autofree gchar *dir = df_test_objcopy_dir ("test-ihex");
  const gchar *files[] = { "fw.bin", "fw.hex", NULL };
  g_autofree gchar *bin_path = NULL;
  g_autofree gchar *hex_path = NULL;
  g_autoptr(GBytes) firmware = df_test_pattern (100000, 7);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  DfTarget *target;
  DfSegment *segment;

  if (dir == NULL)
    return;
  bin_path = g_build_filename (dir, "fw.bin", NULL);
  hex_path = g_build_filename (dir, "fw.hex", NULL);
  g_file_set_contents (bin_path, g_bytes_get_data (firmware, NULL), (gssize) g_bytes_get_size (firmware), &error);
  g_assert_no_error (error);
  df_test_run_objcopy ((const gchar *[]) { "-I", "binary", "-O", "ihex", "--change-addresses", "0x08000000",
                                           bin_path, hex_path, NULL });

  image = df_image_load_file (hex_path, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &error);
  g_assert_no_error (error);
  df_test_dump_diagnostics (image);
  g_assert_cmpint (image->format, ==, DF_FORMAT_IHEX);
  g_assert_false (df_image_has_errors (image));
  g_assert_nonnull (df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "start address 0x08000000"));
  g_assert_cmpuint (image->targets->len, ==, 1);
  target = g_ptr_array_index (image->targets, 0);
  g_assert_cmpuint (target->segments->len, ==, 1);
  segment = g_ptr_array_index (target->segments, 0);
  g_assert_cmphex (segment->address, ==, 0x08000000);
  g_assert_true (g_bytes_equal (segment->data, firmware));
  g_clear_pointer (&image, df_image_unref);
  df_test_remove_dir (dir, files);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ihex/parse-good", test_parse_good);
  g_test_add_func ("/ihex/start-address-notes", test_start_address_notes);
  g_test_add_func ("/ihex/parse-bad", test_parse_bad);
  g_test_add_func ("/ihex/diagnostic-text", test_diagnostic_text);
  g_test_add_func ("/ihex/ignore-checksum", test_ignore_checksum);
  g_test_add_func ("/ihex/parse-large", test_parse_large);
  g_test_add_func ("/ihex/write-exact", test_write_exact);
  g_test_add_func ("/ihex/write-refuses", test_write_refuses);
  g_test_add_func ("/ihex/round-trip", test_round_trip);
  g_test_add_func ("/ihex/objcopy-reads-ours", test_objcopy_reads_ours);
  g_test_add_func ("/ihex/we-read-objcopy", test_we_read_objcopy);
  return g_test_run ();
}
