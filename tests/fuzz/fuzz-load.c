/* fuzz-load: detection and loading of any file (df_image_load_bytes), then
 * conversion to every format that keeps addresses.
 *
 * Invariants for an input loaded without error, for each format whose
 * writer accepts the image:
 *  - detection finds the format just written;
 *  - the written file loads clean;
 *  - DfuSe keeps everything; Intel HEX, S-record and ELF keep the bytes at
 *    their addresses when the image has one target (they have no targets)
 *    and no overlapping segments (their readers sort segments by address,
 *    which can change which of two overlapping copies wins). */
#include "fuzz-common.h"

static const DfFormat formats[] = { DF_FORMAT_DFUSE, DF_FORMAT_IHEX, DF_FORMAT_SREC, DF_FORMAT_ELF };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = fuzz_bytes (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  DfWriteOptions options;

  image = df_image_load_bytes (bytes, "fuzz", DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_IGNORE_CRC, &error);
  if (image == NULL || df_image_has_errors (image) || !df_image_has_addresses (image))
    return 0;

  df_write_options_init (&options);
  options.pad_to_8 = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) out = fuzz_write (image, formats[i], &options);
      g_autoptr(DfImage) back = NULL;
      g_autoptr(GError) local = NULL;

      if (out == NULL)
        continue;
      g_assert_cmpstr (df_format_to_string (df_format_detect (out, NULL)), ==, df_format_to_string (formats[i]));
      back = df_image_load_bytes (out, "converted", DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &local);
      g_assert_no_error (local);
      fuzz_assert_clean (back, "a converted file does not load");
      if (formats[i] == DF_FORMAT_DFUSE)
        fuzz_assert_content_equal (image, back);
      else if (image->targets->len == 1 && !fuzz_has_overlaps (image))
        fuzz_assert_same_memory (image, back, FALSE);
    }
  return 0;
}
