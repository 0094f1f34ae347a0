#include "fuzz-reader.h"

guint8
fuzz_u8 (FuzzReader *r)
{
  if (r->left == 0)
    return 0;
  r->left--;
  return *r->data++;
}

guint16
fuzz_u16 (FuzzReader *r)
{
  guint16 lo = fuzz_u8 (r);
  return (guint16) (lo | (fuzz_u8 (r) << 8));
}

guint32
fuzz_u24 (FuzzReader *r)
{
  guint32 lo = fuzz_u16 (r);
  return lo | ((guint32) fuzz_u8 (r) << 16);
}

guint32
fuzz_u32 (FuzzReader *r)
{
  guint32 lo = fuzz_u16 (r);
  return lo | ((guint32) fuzz_u16 (r) << 16);
}

GBytes *
fuzz_string (FuzzReader *r)
{
  gsize want = fuzz_u8 (r);  /* not inside MIN (): it would be read twice */
  gsize n = MIN (want, r->left);
  GBytes *bytes = g_bytes_new (r->data, n);

  r->data += n;
  r->left -= n;
  return bytes;
}

gboolean
fuzz_done (FuzzReader *r)
{
  return r->left == 0;
}
