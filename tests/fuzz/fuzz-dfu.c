/* fuzz-dfu: the DFU suffix and plain DFU reader, then a round trip.
 *
 * Invariant for an input read without error: written back, it reads back
 * clean with the same payload and suffix ids, and writing that again gives
 * the same file. */
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = fuzz_bytes (data, size);
  g_autoptr(DfImage) image = df_dfu_parse (bytes, "fuzz.dfu", DF_LOAD_NONE);
  g_autoptr(GBytes) out = NULL, again = NULL;
  g_autoptr(DfImage) back = NULL;
  DfWriteOptions options;

  /* a fuzzer cannot forge a CRC: read past it to reach the round trip */
  if (df_image_has_errors (image))
    {
      g_clear_pointer (&image, df_image_unref);
      image = df_dfu_parse (bytes, "fuzz.dfu", DF_LOAD_IGNORE_CRC);
      if (df_image_has_errors (image))
        return 0;
    }

  df_write_options_init (&options);
  options.vid = image->suffix.vid;
  options.pid = image->suffix.pid;
  options.bcd_device = image->suffix.bcd_device;
  out = fuzz_write (image, DF_FORMAT_DFU, &options);
  g_assert_nonnull (out); /* one payload: always writable */
  back = df_dfu_parse (out, "rewritten.dfu", DF_LOAD_NONE);
  fuzz_assert_clean (back, "a written DFU file does not read back");
  fuzz_assert_content_equal (image, back);
  g_assert_cmphex (back->suffix.vid, ==, image->suffix.vid);
  g_assert_cmphex (back->suffix.pid, ==, image->suffix.pid);
  g_assert_cmphex (back->suffix.bcd_device, ==, image->suffix.bcd_device);
  again = fuzz_write (back, DF_FORMAT_DFU, &options);
  g_assert_true (g_bytes_equal (out, again));
  return 0;
}
