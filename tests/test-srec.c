/* test-srec: Motorola S-record reading and writing, checked against objcopy. */
#include <string.h>

#include "df-error.h"
#include "df-test-util.h"

static DfImage *
parse_text (const gchar *text, DfLoadFlags flags)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  return df_srec_parse (bytes, "test.srec", flags);
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
    { "one S1 record", "S107000001020304EE\nS9030000FC\n", { { 0, "01020304" } }, 1 },
    { "header and count",
      "S008000068656C6C6FE3\nS107000001020304EE\nS5030001FB\nS9030000FC\n", { { 0, "01020304" } }, 1 },
    { "contiguous records merge",
      "S107000001020304EE\nS10500040506EB\nS9030000FC\n", { { 0, "010203040506" } }, 1 },
    { "a gap starts a segment",
      "S107000001020304EE\nS1040100AA50\nS9030000FC\n", { { 0, "01020304" }, { 0x100, "AA" } }, 2 },
    { "out of order records are sorted and joined",
      "S1040100AA50\nS10500040506EB\nS107000001020304EE\nS9030000FC\n",
      { { 0, "010203040506" }, { 0x100, "AA" } }, 2 },
    { "S2 and S8", "S20612345601025A\nS804000000FB\n", { { 0x123456, "0102" } }, 1 },
    { "S3, S5 and S7",
      "S3090800000001020304E4\nS307080000040506E1\nS5030002FA\nS70500000000FA\n",
      { { 0x08000000, "010203040506" } }, 1 },
    { "S6 count", "S3090800000001020304E4\nS307080000040506E1\nS604000002F9\nS70500000000FA\n",
      { { 0x08000000, "010203040506" } }, 1 },
    { "S1 data ended by S7", "S107000001020304EE\nS70500000000FA\n", { { 0, "01020304" } }, 1 },
    { "an empty data record", "S1030000FC\nS107000001020304EE\nS9030000FC\n", { { 0, "01020304" } }, 1 },
    { "BOM, CRLF, blank lines, trailing whitespace, lowercase",
      "\xef\xbb\xbfS107000001020304ee \r\n\r\nS10500040506eb\t\r\nS9030000fc\r\n", { { 0, "010203040506" } }, 1 },
    { "no newline after the last record", "S107000001020304EE\nS9030000FC", { { 0, "01020304" } }, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DfImage) image = parse_text (cases[i].text, DF_LOAD_NONE);

      g_test_message ("case: %s", cases[i].name);
      df_test_assert_segments (image, DF_FORMAT_SREC, cases[i].segments, cases[i].n_segments);
    }
}

static void
test_notes (void)
{
  g_autoptr(DfImage) image = parse_text ("S008000068656C6C6FE3\nS3090800000001020304E4\nS70508000131C0\n",
                                         DF_LOAD_NONE);
  g_autoptr(DfImage) odd = parse_text ("S006000061016235\nS107000001020304EE\nS9030000FC\n", DF_LOAD_NONE);
  DfDiagnostic *diag;

  diag = df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "header (S0): \"hello\"");
  g_assert_nonnull (diag);
  g_assert_cmpuint (diag->line, ==, 1);
  diag = df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "start address 0x08000131");
  g_assert_nonnull (diag);
  g_assert_cmpuint (diag->line, ==, 3);
  /* a control character in the header is escaped, not printed */
  g_assert_nonnull (df_test_find_diagnostic (odd, DF_SEVERITY_NOTE, "header (S0): \"a\\001b\""));
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
    { "bad checksum", "S107000001020304EF\nS9030000FC\n", DF_SEVERITY_ERROR, 1,
      "checksum is 0xef but the record's bytes give 0xee" },
    { "non-hex character", "S10700000102G304EE\nS9030000FC\n", DF_SEVERITY_ERROR, 1,
      "'G' in column 13 is not a hex digit" },
    { "control character", "S107000001020304\x7f" "EE\nS9030000FC\n", DF_SEVERITY_ERROR, 1,
      "byte 0x7f in column 17 is not a hex digit" },
    { "odd length", "S008000068656C6C6FE3\nS107000001020304E\nS9030000FC\n", DF_SEVERITY_ERROR, 2,
      "odd number of hex digits" },
    { "count too large", "S108000001020304EE\nS9030000FC\n", DF_SEVERITY_ERROR, 1,
      "byte count is 0x08 (8) but 7 bytes follow it" },
    { "count too small", "S106000001020304EE\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "byte count is 0x06" },
    { "no count", "S1\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "too short" },
    { "no room for the address", "S30500000000FA\nS3030000FC\nS70500000000FA\n", DF_SEVERITY_ERROR, 2,
      "an S3 record needs a 4-byte address and a checksum" },
    { "reserved S4", "S4030000FC\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "unknown record type 'S4'" },
    { "unknown type letter", "SX030000FC\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "unknown record type 'SX'" },
    { "no type", "S\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "unknown record type: no digit" },
    { "missing termination", "S107000001020304EE\n", DF_SEVERITY_ERROR, 0, "no termination record" },
    { "data after termination", "S107000001020304EE\nS9030000FC\nS1040100AA50\n", DF_SEVERITY_WARNING, 3,
      "after the termination record" },
    { "count mismatch", "S107000001020304EE\nS5030002FA\nS9030000FC\n", DF_SEVERITY_WARNING, 2,
      "says 2 data records came before it, but there were 1" },
    { "address wraps past 4 GiB", "S315FFFFFFF8000102030405060708090A0B0C0D0E0F7D\nS70500000000FA\n",
      DF_SEVERITY_ERROR, 1, "16 bytes at 0xfffffff8 run past the 4 GiB address space" },
    { "missing 'S'", "S107000001020304EE\n:0400000001020304F2\nS9030000FC\n", DF_SEVERITY_ERROR, 2,
      "does not start with 'S'" },
    { "lowercase s", "s107000001020304EE\nS9030000FC\n", DF_SEVERITY_ERROR, 1, "does not start with 'S'" },
    { "empty file", "", DF_SEVERITY_ERROR, 0, "empty" },
    { "blank lines only", "\xef\xbb\xbf\r\n  \n\n", DF_SEVERITY_ERROR, 0, "empty" },
    { "no data", "S008000068656C6C6FE3\nS9030000FC\n", DF_SEVERITY_ERROR, 0, "no data records" },
    { "binary junk", "\x7f" "ELF\x02\x01\x01\n\n", DF_SEVERITY_ERROR, 1, "does not start with 'S'" },
    { "overlap", "S107000001020304EE\nS1050002BBCC71\nS9030000FC\n", DF_SEVERITY_WARNING, 2,
      "bytes 0x00000002..0x00000003 are given twice: by the data at 0x00000000 (line 1) "
      "and by the data at 0x00000002 (line 2)" },
    { "many bad lines", "x\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\n", DF_SEVERITY_ERROR, 10, "stopped after 10 errors" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DfImage) image = parse_text (cases[i].text, DF_LOAD_NONE);

      g_test_message ("case: %s", cases[i].name);
      df_test_assert_diagnostic (image, cases[i].severity, cases[i].line, cases[i].phrase);
    }
}

static void
test_ignore_checksum (void)
{
  g_autoptr(DfImage) image = parse_text ("S107000001020304EF\nS9030000FC\n", DF_LOAD_IGNORE_CRC);
  DfTarget *target = g_ptr_array_index (image->targets, 0);

  g_assert_false (df_image_has_errors (image));
  g_assert_nonnull (df_test_find_diagnostic (image, DF_SEVERITY_WARNING, "checksum is 0xef"));
  g_assert_cmpuint (target->segments->len, ==, 1);
}

static gchar *
write_text (DfImage *image)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = df_srec_write (image, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static void
test_write_exact (void)
{
  g_autoptr(DfImage) twenty = df_test_image_from_hex (0x08000000, "000102030405060708090A0B0C0D0E0F10111213");
  g_autoptr(DfImage) low = df_test_image_from_hex (0x100, "000102");
  g_autoptr(DfImage) top24 = df_test_image_from_hex (0xFFFFFE, "0001");
  g_autofree gchar *twenty_text = write_text (twenty);
  g_autofree gchar *low_text = write_text (low);
  g_autofree gchar *top24_text = write_text (top24);

  g_assert_cmpstr (twenty_text, ==,
                   "S00900006465667573657A\n"
                   "S31508000000000102030405060708090A0B0C0D0E0F6A\n"
                   "S309080000101011121398\n"
                   "S5030002FA\n"
                   "S70500000000FA\n");
  g_assert_cmpstr (low_text, ==, "S00900006465667573657A\nS1060100000102F5\nS5030001FB\nS9030000FC\n");
  g_assert_cmpstr (top24_text, ==, "S00900006465667573657A\nS206FFFFFE0001FC\nS5030001FB\nS804000000FB\n");
}

/* the record type follows the highest address holding a byte, as objcopy */
static void
test_write_record_type (void)
{
  static const struct {
    guint32 address;
    gsize   size;
    gchar   type;
  } cases[] = {
    { 0x0000, 16, '1' }, { 0xFFFE, 2, '1' }, { 0xFFFF, 2, '2' }, { 0xFFFFFE, 2, '2' },
    { 0xFFFFFF, 2, '3' }, { 0x08000000, 1, '3' },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DfTestSegment shape = { cases[i].address, cases[i].size };
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_SREC, &shape, 1);
      g_autofree gchar *text = write_text (image);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

      g_assert_cmpint (lines[1][1], ==, cases[i].type);
      g_assert_cmpint (lines[3][1], ==, '0' + 10 - (cases[i].type - '0'));
    }
}

/* S5 only while the count fits its 16 bits */
static void
test_write_count_record (void)
{
  const DfTestSegment fits = { 0x08000000, 16 * 0xffff };
  const DfTestSegment too_many = { 0x08000000, 16 * 0x10000 };
  g_autoptr(DfImage) a = df_test_image (DF_FORMAT_SREC, &fits, 1);
  g_autoptr(DfImage) b = df_test_image (DF_FORMAT_SREC, &too_many, 1);
  g_autofree gchar *a_text = write_text (a);
  g_autofree gchar *b_text = write_text (b);

  g_assert_true (g_str_has_suffix (a_text, "\nS503FFFFFE\nS70500000000FA\n"));
  g_assert_null (strstr (b_text, "\nS5"));
  g_assert_true (g_str_has_suffix (b_text, "\nS70500000000FA\n"));
}

static void
test_write_refuses (void)
{
  g_autoptr(DfImage) payload = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(DfImage) empty = df_image_new (DF_FORMAT_DFUSE, "empty.dfu");
  g_autoptr(GBytes) data = df_test_pattern (10, 1);
  g_autoptr(GError) error = NULL;
  GBytes *out;

  df_target_add_payload (df_image_add_target (payload, 0, NULL), data);
  out = df_srec_write (payload, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "give the address"));
  g_clear_error (&error);

  df_image_add_target (empty, 0, NULL);
  out = df_srec_write (empty, &error);
  g_assert_null (out);
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
}

static const struct {
  const gchar  *name;
  DfTestSegment segments[3];
  guint         n;
} shapes[] = {
  { "one segment", { { 0x08000000, 1000 } }, 1 },
  { "sparse", { { 0x08000000, 100 }, { 0x08004000, 33 }, { 0x08010000, 1 } }, 3 },
  { "across 64 KiB", { { 0x0800FFF0, 64 } }, 1 },
  { "low (S1)", { { 0, 5 }, { 0x10, 3 } }, 2 },
  { "24-bit (S2)", { { 0x123456, 100 }, { 0xFFFF00, 256 } }, 2 },
  { "above 16 MiB (S3)", { { 0x01000000, 50 }, { 0x90000000, 50 } }, 2 },
  { "up to 4 GiB", { { 0xFFFFFFF0, 16 } }, 1 },
};

static void
test_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_SREC, shapes[i].segments, shapes[i].n);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) srec = df_srec_write (image, &error);
      g_autoptr(DfImage) parsed = NULL;

      g_test_message ("shape: %s", shapes[i].name);
      g_assert_no_error (error);
      parsed = df_srec_parse (srec, "round-trip.srec", DF_LOAD_NONE);
      df_test_dump_diagnostics (parsed);
      /* only the note for our own header */
      g_assert_cmpuint (parsed->diagnostics->len, ==, 1);
      g_assert_nonnull (df_test_find_diagnostic (parsed, DF_SEVERITY_NOTE, "\"defuse\""));
      g_assert_true (df_image_content_equal (image, parsed));
    }
}

/* objcopy turns our S-records into the same bytes as our raw writer */
static void
test_objcopy_reads_ours (void)
{
  g_autofree gchar *dir = df_test_objcopy_dir ("test-srec");
  const gchar *files[] = { "ours.srec", "theirs.bin", NULL };

  if (dir == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autoptr(DfImage) image = NULL;
      g_autoptr(GBytes) srec = NULL;
      g_autoptr(GError) error = NULL;

      /* a raw file of this one would be 2 GiB of gap */
      if (shapes[i].segments[shapes[i].n - 1].address - shapes[i].segments[0].address > 0x10000000)
        continue;
      g_test_message ("shape: %s", shapes[i].name);
      image = df_test_image (DF_FORMAT_SREC, shapes[i].segments, shapes[i].n);
      srec = df_srec_write (image, &error);
      g_assert_no_error (error);
      df_test_assert_objcopy_reads (dir, "ours.srec", "srec", srec, image);
    }
  df_test_remove_dir (dir, files);
}

/* we read what objcopy writes from a binary, with S1 and with S3 records */
static void
test_we_read_objcopy (void)
{
  static const struct {
    const gchar *address;
    guint32      value;
    gchar        type;
  } cases[] = {
    { "0", 0, '1' },
    { "0x08000000", 0x08000000, '3' },
  };
  g_autofree gchar *dir = df_test_objcopy_dir ("test-srec");
  const gchar *files[] = { "fw.bin", "fw.srec", NULL };
  g_autofree gchar *bin_path = NULL;
  g_autofree gchar *srec_path = NULL;
  g_autoptr(GBytes) firmware = df_test_pattern (40000, 7);
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  bin_path = g_build_filename (dir, "fw.bin", NULL);
  srec_path = g_build_filename (dir, "fw.srec", NULL);
  g_file_set_contents (bin_path, g_bytes_get_data (firmware, NULL), (gssize) g_bytes_get_size (firmware), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DfImage) image = NULL;
      g_autofree gchar *text = NULL;
      DfTarget *target;
      DfSegment *segment;

      df_test_run_objcopy ((const gchar *[]) { "-I", "binary", "-O", "srec", "--change-addresses", cases[i].address,
                                               bin_path, srec_path, NULL });
      g_file_get_contents (srec_path, &text, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (strchr (text, '\n')[2], ==, cases[i].type);

      image = df_image_load_file (srec_path, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &error);
      g_assert_no_error (error);
      df_test_dump_diagnostics (image);
      g_assert_cmpint (image->format, ==, DF_FORMAT_SREC);
      g_assert_false (df_image_has_errors (image));
      g_assert_nonnull (df_test_find_diagnostic (image, DF_SEVERITY_NOTE, "header (S0)"));
      g_assert_cmpuint (image->targets->len, ==, 1);
      target = g_ptr_array_index (image->targets, 0);
      g_assert_cmpuint (target->segments->len, ==, 1);
      segment = g_ptr_array_index (target->segments, 0);
      g_assert_cmphex (segment->address, ==, cases[i].value);
      g_assert_true (g_bytes_equal (segment->data, firmware));
    }
  df_test_remove_dir (dir, files);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/srec/parse-good", test_parse_good);
  g_test_add_func ("/srec/notes", test_notes);
  g_test_add_func ("/srec/parse-bad", test_parse_bad);
  g_test_add_func ("/srec/ignore-checksum", test_ignore_checksum);
  g_test_add_func ("/srec/write-exact", test_write_exact);
  g_test_add_func ("/srec/write-record-type", test_write_record_type);
  g_test_add_func ("/srec/write-count-record", test_write_count_record);
  g_test_add_func ("/srec/write-refuses", test_write_refuses);
  g_test_add_func ("/srec/round-trip", test_round_trip);
  g_test_add_func ("/srec/objcopy-reads-ours", test_objcopy_reads_ours);
  g_test_add_func ("/srec/we-read-objcopy", test_we_read_objcopy);
  return g_test_run ();
}
