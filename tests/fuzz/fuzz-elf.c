/* fuzz-elf: the ELF reader (libelf underneath), then a round trip.
 *
 * Invariant for an input read without error: written back (ELF32 ARM, one
 * PT_LOAD per segment), it reads back clean with the same segments in the
 * same order, and writing that again gives the same file. */
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GBytes) bytes = fuzz_bytes (data, size);
  g_autoptr(DfImage) image = df_elf_parse (bytes, "fuzz.elf", DF_LOAD_NONE);
  g_autoptr(GBytes) out = NULL, again = NULL;
  g_autoptr(DfImage) back = NULL;

  if (df_image_has_errors (image))
    return 0;
  out = fuzz_write (image, DF_FORMAT_ELF, NULL);
  g_assert_nonnull (out); /* a clean ELF image is always writable */
  back = df_elf_parse (out, "rewritten.elf", DF_LOAD_NONE);
  fuzz_assert_clean (back, "a written ELF file does not read back");
  fuzz_assert_content_equal (image, back);
  again = fuzz_write (back, DF_FORMAT_ELF, NULL);
  g_assert_true (g_bytes_equal (out, again));
  return 0;
}
