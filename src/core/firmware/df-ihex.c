/* df-ihex.c: Intel HEX, record types 00 to 05.
 *
 * A record is ":LLAAAATT<data>CC": byte count, 16-bit offset, type, data and
 * a checksum making the sum of all its bytes zero.  Types 02 and 04 set the
 * base the offsets are added to; 03 and 05 give a start address, which the
 * device does not need and which becomes a note.
 *
 * Lines, hex digits and the joining of records into segments are shared
 * with the S-record reader in df-records.c. */
#include <inttypes.h>

#include <glib/gi18n.h>

#include "df-records.h"

#define RECORD_MAX  (5 + 255) /* count, offset (2), type, 255 data, checksum */
#define DATA_MAX    16        /* data bytes per written record, as objcopy */

enum {
  TYPE_DATA = 0x00,
  TYPE_EOF = 0x01,
  TYPE_SEGMENT_BASE = 0x02,
  TYPE_SEGMENT_START = 0x03,
  TYPE_LINEAR_BASE = 0x04,
  TYPE_LINEAR_START = 0x05,
};

/* The record's bytes into rec, checked: whole, its byte count right, its
 * checksum right (or ignored).  FALSE after an error diagnostic. */
static gboolean
decode_record (DfRecords *r, const guint8 *text, gsize len, guint8 *rec, gsize *n)
{
  guint8 count, sum = 0;

  if (!df_records_decode_hex (r, text, len, 2, rec, RECORD_MAX, n))
    return FALSE;
  if (*n < 5)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR,
                             "record too short: %zu bytes, but even an empty record has 5 "
                             "(count, address, type, checksum)", *n);
      return FALSE;
    }
  count = rec[0];
  if (count != *n - 5)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR,
                             "byte count is 0x%02x (%u) but the record holds %zu data bytes",
                             count, count, *n - 5);
      return FALSE;
    }
  for (gsize i = 0; i < *n - 1; i++)
    sum += rec[i];
  return df_records_check_sum (r, rec[*n - 1], (guint8) -sum);
}

/* type 00: count bytes at base + offset */
static gboolean
add_data_record (DfRecords *r, guint32 base, guint16 offset, const guint8 *data, guint8 count)
{
  guint64 address = (guint64) base + offset;

  if (address + count > (guint64) G_MAXUINT32 + 1)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR,
                             "%u bytes at 0x%08" PRIx64 " run past the 4 GiB address space",
                             count, address);
      return FALSE;
    }
  if (count > 0)
    df_records_add_data (r, (guint32) address, data, count);
  return TRUE;
}

/* types 03 and 05: a start address, which flashing does not need */
static gboolean
note_start_address (DfRecords *r, guint8 type, const guint8 *data, guint8 count)
{
  if (count != 4)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR, "a start address record (type 0%u) must hold 4 bytes, not %u",
                             type, count);
      return FALSE;
    }
  if (type == TYPE_SEGMENT_START)
    df_records_diagnostic (r, DF_SEVERITY_NOTE, "start address CS:IP %02x%02x:%02x%02x (not needed to flash; ignored)",
                           data[0], data[1], data[2], data[3]);
  else
    df_records_diagnostic (r, DF_SEVERITY_NOTE, "start address 0x%02x%02x%02x%02x (not needed to flash; ignored)",
                           data[0], data[1], data[2], data[3]);
  return TRUE;
}

/* One record (the line without its ':').  base is the one from the last
 * type 02 or 04 record.  Sets *eof on the EOF record.  FALSE after an error
 * diagnostic. */
static gboolean
parse_record (DfRecords *r, const guint8 *text, gsize len, gboolean *eof, gpointer user_data)
{
  guint32 *base = user_data;
  guint8 rec[RECORD_MAX];
  gsize n;
  guint8 count, type;
  guint16 offset;
  const guint8 *data;

  if (!decode_record (r, text, len, rec, &n))
    return FALSE;
  count = rec[0];
  offset = (guint16) (rec[1] << 8 | rec[2]);
  type = rec[3];
  data = rec + 4;
  switch (type)
    {
    case TYPE_DATA:
      return add_data_record (r, *base, offset, data, count);
    case TYPE_EOF:
      if (count != 0)
        df_records_diagnostic (r, DF_SEVERITY_WARNING, "the end-of-file record should hold no data but has a byte count of %u; the data is ignored", count);
      *eof = TRUE;
      return TRUE;
    case TYPE_SEGMENT_BASE:
    case TYPE_LINEAR_BASE:
      if (count != 2)
        {
          df_records_diagnostic (r, DF_SEVERITY_ERROR, "an extended %s address record (type 0%u) must hold 2 bytes, not %u",
                                 type == TYPE_LINEAR_BASE ? "linear" : "segment", type, count);
          return FALSE;
        }
      /* segment bases count in 16-byte paragraphs, linear bases in 64 KiB */
      *base = (guint32) (data[0] << 8 | data[1]) << (type == TYPE_LINEAR_BASE ? 16 : 4);
      return TRUE;
    case TYPE_SEGMENT_START:
    case TYPE_LINEAR_START:
      return note_start_address (r, type, data, count);
    default:
      df_records_diagnostic (r, DF_SEVERITY_ERROR, "unknown record type 0x%02x (Intel HEX has types 00 to 05)", type);
      return FALSE;
    }
}

static const DfRecordsSyntax syntax = {
  .format = DF_FORMAT_IHEX,
  .start = ':',
  .name = "Intel HEX",
  .end_record = N_("end-of-file record (:00000001FF)"),
  .not_a_record = N_("the line does not start with ':' as an Intel HEX record must"),
  .after_end = N_("text after the end-of-file record is ignored"),
  .empty = N_("the file is empty: it holds no Intel HEX records"),
  .no_data = N_("no data records: the file holds no firmware"),
  .parse_record = parse_record,
};

DfImage *
df_ihex_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  guint32 base = 0;

  return df_records_parse (&syntax, bytes, name, flags, &base);
}

static inline gchar *
put_hex_byte (gchar *p, guint8 byte)
{
  static const gchar digits[] = "0123456789ABCDEF";

  p[0] = digits[byte >> 4];
  p[1] = digits[byte & 0xf];
  return p + 2;
}

/* ":CCOOOOTT" data "SS\n", written straight into out's buffer: a 2 MiB
 * image is 130000 records, and two calls per byte cost more than the rest
 * of a conversion */
static void
append_record (GString *out, guint8 type, guint16 offset, const guint8 *data, guint8 count)
{
  const guint8 header[4] = { count, offset >> 8, offset & 0xff, type };
  gsize at = out->len;
  guint8 sum = 0;
  gchar *p;

  g_string_set_size (out, at + 1 + 2 * (sizeof header + count + 1) + 1);
  p = out->str + at;
  *p++ = ':';
  for (guint i = 0; i < sizeof header; i++)
    {
      p = put_hex_byte (p, header[i]);
      sum += header[i];
    }
  for (guint i = 0; i < count; i++)
    {
      p = put_hex_byte (p, data[i]);
      sum += data[i];
    }
  p = put_hex_byte (p, (guint8) -sum);
  *p = '\n';
}

GBytes *
df_ihex_write (DfImage *image, GError **error)
{
  /* 44 characters per 16 bytes, and a base record per 64 KiB */
  g_autoptr(GString) out = g_string_sized_new (df_image_total_size (image) / DATA_MAX * 45 + 64);
  g_autoptr(GPtrArray) segments = NULL;
  guint32 upper = 0; /* the 04 base in effect: 0 until one is written */

  if (!df_records_check_writable (image, "Intel HEX", error))
    return NULL;
  segments = df_image_list_segments (image);
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (segment->data, &size);
      guint64 address = segment->address;

      for (gsize pos = 0; pos < size;)
        {
          /* a record must not cross a 64 KiB boundary: its offset is 16 bits */
          gsize chunk = MIN (MIN (size - pos, DATA_MAX), 0x10000 - (address & 0xffff));
          if (address >> 16 != upper)
            {
              upper = (guint32) (address >> 16);
              append_record (out, TYPE_LINEAR_BASE, 0, (const guint8[]) { upper >> 8, upper & 0xff }, 2);
            }
          append_record (out, TYPE_DATA, address & 0xffff, data + pos, (guint8) chunk);
          pos += chunk;
          address += chunk;
        }
    }
  append_record (out, TYPE_EOF, 0, NULL, 0);
  return g_string_free_to_bytes (g_steal_pointer (&out));
}
