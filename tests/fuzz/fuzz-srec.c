/* fuzz-srec: the S-record reader, then a round trip through the writer
 * (the invariants are those of fuzz_text_records). */
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_text_records (data, size, df_srec_parse, DF_FORMAT_SREC);
}
