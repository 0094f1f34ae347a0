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

/* a scratch directory named after prefix, or NULL with the test skipped if
 * objcopy (binutils) is missing */
gchar        *df_test_objcopy_dir (const gchar *prefix);
/* runs objcopy with the NULL-terminated args; fails the test if it fails */
void          df_test_run_objcopy (const gchar *const *args);
/* removes the NULL-terminated files from dir, then dir */
void          df_test_remove_dir (const gchar *dir, const gchar *const *files);
