/* df-test-util.h: small builders shared by the unit tests. */
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
