/* fuzz-dfuse: the DfuSe reader, then a round trip through the writer.
 *
 * Invariants for an input read without error:
 *  - written back without padding, it reads back clean with the same
 *    targets, names, addresses and bytes, and the same suffix ids;
 *  - writing what was read back gives the same file (the writer is a
 *    function of the content);
 *  - written with padding to 8, every element keeps its bytes followed by
 *    fill bytes up to a multiple of 8. */
#include <string.h>

#include "fuzz-common.h"

static void
check_padded (DfImage *image, const DfWriteOptions *options)
{
  DfWriteOptions padded = *options;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(DfImage) back = NULL;

  padded.pad_to_8 = TRUE;
  out = fuzz_write (image, DF_FORMAT_DFUSE, &padded);
  if (out == NULL)
    return; /* padding can push an element past 4 GiB */
  back = df_dfuse_parse (out, "padded.dfu", DF_LOAD_NONE);
  fuzz_assert_clean (back, "a padded DfuSe file does not read back");
  g_assert_cmpuint (back->targets->len, ==, image->targets->len);
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *ta = g_ptr_array_index (image->targets, i);
      DfTarget *tb = g_ptr_array_index (back->targets, i);
      g_assert_cmpuint (ta->segments->len, ==, tb->segments->len);
      for (guint j = 0; j < ta->segments->len; j++)
        {
          DfSegment *sa = g_ptr_array_index (ta->segments, j);
          DfSegment *sb = g_ptr_array_index (tb->segments, j);
          gsize na, nb;
          const guint8 *da = g_bytes_get_data (sa->data, &na);
          const guint8 *db = g_bytes_get_data (sb->data, &nb);
          g_assert_cmphex (sa->address, ==, sb->address);
          g_assert_cmpuint (nb, ==, (na + 7) & ~(gsize) 7);
          g_assert_true (na == 0 || memcmp (da, db, na) == 0);
          for (gsize k = na; k < nb; k++)
            g_assert_cmphex (db[k], ==, padded.fill);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = fuzz_bytes (data, size);
  g_autoptr(DfImage) image = df_dfuse_parse (bytes, "fuzz.dfu", DF_LOAD_NONE);
  g_autoptr(GBytes) out = NULL, again = NULL;
  g_autoptr(DfImage) back = NULL;
  DfWriteOptions options;

  /* a fuzzer cannot forge a CRC: read past it to reach the round trip */
  if (df_image_has_errors (image))
    {
      g_clear_pointer (&image, df_image_unref);
      image = df_dfuse_parse (bytes, "fuzz.dfu", DF_LOAD_IGNORE_CRC);
      if (df_image_has_errors (image))
        return 0;
    }

  df_write_options_init (&options);
  options.pad_to_8 = FALSE;
  options.vid = image->suffix.vid;
  options.pid = image->suffix.pid;
  options.bcd_device = image->suffix.bcd_device;
  out = fuzz_write (image, DF_FORMAT_DFUSE, &options);
  if (out == NULL)
    return 0;
  back = df_dfuse_parse (out, "rewritten.dfu", DF_LOAD_NONE);
  fuzz_assert_clean (back, "a written DfuSe file does not read back");
  fuzz_assert_content_equal (image, back);
  g_assert_cmphex (back->suffix.vid, ==, image->suffix.vid);
  g_assert_cmphex (back->suffix.pid, ==, image->suffix.pid);
  g_assert_cmphex (back->suffix.bcd_device, ==, image->suffix.bcd_device);
  again = fuzz_write (back, DF_FORMAT_DFUSE, &options);
  g_assert_nonnull (again);
  g_assert_true (g_bytes_equal (out, again));

  check_padded (image, &options);
  return 0;
}
