/* df-le.h: little-endian fields in byte buffers (DFU files and USB are
 * little-endian; the buffers are unaligned, so no casts). */
#pragma once

#include <glib.h>

static inline guint16
df_le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static inline guint32
df_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static inline void
df_put_le16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static inline void
df_put_le32 (guint8 *p, guint32 v)
{
  for (guint i = 0; i < 4; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

static inline void
df_append_le16 (GByteArray *array, guint16 v)
{
  guint8 b[2];
  df_put_le16 (b, v);
  g_byte_array_append (array, b, sizeof b);
}

static inline void
df_append_le32 (GByteArray *array, guint32 v)
{
  guint8 b[4];
  df_put_le32 (b, v);
  g_byte_array_append (array, b, sizeof b);
}
