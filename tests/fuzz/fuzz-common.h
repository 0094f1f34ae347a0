/* fuzz-common.h: what the libFuzzer targets share (see README.md). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "df-error.h"
#include "df-formats.h"

/* libFuzzer's entry points, declared for -Wmissing-prototypes */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* the input as GBytes without a copy */
GBytes *fuzz_bytes (const uint8_t *data, size_t size);

/* prints the diagnostics and aborts when image has an error */
void fuzz_assert_clean (DfImage *image, const char *what);

/* writes image; NULL when the writer refuses it for a reason the image
 * explains (no address, too many targets...), aborts on any other failure */
GBytes *fuzz_write (DfImage *image, DfFormat format, const DfWriteOptions *options);

/* aborts unless a and b put the same bytes at the same addresses, target
 * by target (where segments overlap, the later one counts, as on the
 * device); how the bytes are cut into segments does not matter, nor the
 * alternate settings unless same_alts */
void fuzz_assert_same_memory (DfImage *a, DfImage *b, gboolean same_alts);
/* TRUE when segments of one target share an address.  Readers warn about
 * it, and which copy wins then depends on segment order, which the text
 * and ELF readers sort by address: a conversion may change the winner. */
gboolean fuzz_has_overlaps (DfImage *image);
/* aborts unless df_image_content_equal (a, b) */
void fuzz_assert_content_equal (DfImage *a, DfImage *b);

typedef DfImage *(*FuzzParseFunc) (GBytes *bytes, const gchar *name, DfLoadFlags flags);

/* The text record formats (Intel HEX, S-record): read, then round trip
 * through the writer.  For an input read without error (checksums
 * ignored, a fuzzer rarely gets them right), the written file reads back
 * clean with the same bytes at the same addresses; how they are cut into
 * segments may differ (the reader joins records that touch).  Without
 * overlapping data, a second write of what was read back gives the same
 * file. */
int fuzz_text_records (const uint8_t *data, size_t size, FuzzParseFunc parse, DfFormat format);
