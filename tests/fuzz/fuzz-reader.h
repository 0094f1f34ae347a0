/* fuzz-reader.h: taking typed values off the front of a fuzz input.  An
 * input that runs out gives zeros: every prefix of an input is an input,
 * and the zero answer is always the plain, well-behaved one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const guint8 *data;
  gsize         left;
} FuzzReader;

guint8   fuzz_u8 (FuzzReader *r);
guint16  fuzz_u16 (FuzzReader *r);   /* little-endian */
guint32  fuzz_u24 (FuzzReader *r);
guint32  fuzz_u32 (FuzzReader *r);
/* a u8 length, then that many bytes (fewer where the input ends) */
GBytes  *fuzz_string (FuzzReader *r);
gboolean fuzz_done (FuzzReader *r);

G_END_DECLS
