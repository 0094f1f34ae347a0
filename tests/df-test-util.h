/* df-test-util.h: small builders and helpers shared by the unit tests. */
#pragma once

#include "df-formats.h"

/* bytes of the given length filled with a pattern that depends on seed */
GBytes  *df_test_pattern (gsize size, guint seed);
typedef struct {
  guint32 address;
  gsize   size;
} DfTestSegment;

/* an image with one target (alt 0) holding patterned segments */
DfImage *df_test_image (DfFormat format, const DfTestSegment *segments, guint n);
/* path of a corpus file, or NULL (and the test skipped) when absent */
gchar   *df_test_corpus_file (const gchar *name);

/* the bytes that hex digits (an even number of them) spell */
GBytes       *df_test_bytes_from_hex (const gchar *hex);
/* an image with one target (alt 0) holding those bytes at address */
DfImage      *df_test_image_from_hex (guint32 address, const gchar *hex);
/* the first diagnostic of that severity whose message holds phrase */
DfDiagnostic *df_test_find_diagnostic (DfImage *image, DfSeverity severity, const gchar *phrase);
/* every diagnostic of image as a test message */
void          df_test_dump_diagnostics (DfImage *image);

/* a segment a parse should give: its address and its bytes as hex digits */
typedef struct {
  guint32      address;
  const gchar *hex;
} DfTestExpected;

/* image was read in format without an error or a warning into one target
 * (alt 0, no name) holding exactly the n expected segments */
void          df_test_assert_segments (DfImage *image, DfFormat format, const DfTestExpected *expected, guint n);
/* image has a diagnostic of severity holding phrase, on line (0: about the
 * whole file), and has errors exactly when severity is an error */
void          df_test_assert_diagnostic (DfImage *image, DfSeverity severity, guint line, const gchar *phrase);

/* a scratch directory named after prefix, or NULL with the test skipped if
 * objcopy (binutils) is missing */
gchar        *df_test_objcopy_dir (const gchar *prefix);
/* runs objcopy with the NULL-terminated args; fails the test if it fails */
void          df_test_run_objcopy (const gchar *const *args);
/* removes the NULL-terminated files from dir, then dir */
void          df_test_remove_dir (const gchar *dir, const gchar *const *files);
/* objcopy -I objcopy_format -O binary --gap-fill 0xff turns written, our
 * file of image, into the bytes our raw writer makes of image; the files
 * are dir/ours and dir/theirs.bin */
void          df_test_assert_objcopy_reads (const gchar *dir, const gchar *ours, const gchar *objcopy_format,
                                            GBytes *written, DfImage *image);
