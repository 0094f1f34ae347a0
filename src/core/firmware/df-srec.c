/* df-srec.c: Motorola S-records, S0 to S9.
 *
 * A record is "S<type><count><address><data><checksum>": the count gives the
 * bytes after it, the address is 2, 3 or 4 bytes by type, and the checksum is
 * the ones' complement of the sum of count, address and data.  S0 is a
 * header (kept as a note), S1/S2/S3 carry data, S5/S6 count the data records
 * before them, and S9/S8/S7 end the file with a start address.
 *
 * Lines, hex digits and the joining of records into segments are shared
 * with the Intel HEX reader in df-records.c. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-records.h"

#define RECORD_MAX  255 /* the count byte's reach */
#define DATA_MAX    16  /* data bytes per written record, as objcopy */

/* address bytes of S0 to S9; 0 for the reserved S4 */
static const guint address_sizes[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };

static void
header_note (DfRecords *r, const guint8 *data, gsize size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autofree gchar *escaped = g_strescape (text, NULL);

  if (*escaped != '\0')
    df_records_diagnostic (r, DF_SEVERITY_NOTE, "header (S0): \"%s\"", escaped);
}

/* the digit after the "S"; FALSE after an error diagnostic */
static gboolean
record_type (DfRecords *r, const guint8 *text, gsize len, guint *type)
{
  if (len == 0 || !g_ascii_isdigit (text[0]) || text[0] == '4')
    {
      if (len > 0 && g_ascii_isprint (text[0]))
        df_records_diagnostic (r, DF_SEVERITY_ERROR, "unknown record type 'S%c' (S-records have S0 to S3 and S5 to S9)",
                               text[0]);
      else
        df_records_diagnostic (r, DF_SEVERITY_ERROR, "unknown record type: no digit after the 'S'");
      return FALSE;
    }
  *type = (guint) (text[0] - '0');
  return TRUE;
}

/* The record's bytes after its type into rec, checked: whole, its byte
 * count right, room for its address, its checksum right (or ignored).
 * FALSE after an error diagnostic. */
static gboolean
decode_record (DfRecords *r, const guint8 *text, gsize len, guint type, guint8 *rec, gsize *n)
{
  guint address_size = address_sizes[type];
  guint8 count, sum = 0;

  if (!df_records_decode_hex (r, text + 1, len - 1, 3, rec, 1 + RECORD_MAX, n))
    return FALSE;
  if (*n == 0)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR, "record too short: S%u with no byte count", type);
      return FALSE;
    }
  count = rec[0];
  if (count != *n - 1)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR,
                             "byte count is 0x%02x (%u) but %zu bytes follow it",
                             count, count, *n - 1);
      return FALSE;
    }
  if (count < address_size + 1)
    {
      df_records_diagnostic (r, DF_SEVERITY_ERROR,
                             "record too short: an S%u record needs a %u-byte address and a checksum, "
                             "but holds %u bytes", type, address_size, count);
      return FALSE;
    }
  for (gsize i = 0; i < *n - 1; i++)
    sum += rec[i];
  return df_records_check_sum (r, rec[*n - 1], (guint8) ~sum);
}

/* One record (the line without its "S").  data_records counts the S1/S2/S3
 * records so far, for S5/S6.  Sets *end on S7/S8/S9.  FALSE after an error
 * diagnostic. */
static gboolean
parse_record (DfRecords *r, const guint8 *text, gsize len, gboolean *end, gpointer user_data)
{
  guint *data_records = user_data;
  guint8 rec[1 + RECORD_MAX];
  gsize n, size;
  guint type, address_size;
  guint64 address = 0;
  const guint8 *data;

  if (!record_type (r, text, len, &type) || !decode_record (r, text, len, type, rec, &n))
    return FALSE;
  address_size = address_sizes[type];
  for (guint i = 0; i < address_size; i++)
    address = address << 8 | rec[1 + i];
  data = rec + 1 + address_size;
  size = n - 2 - address_size;
  switch (type)
    {
    case 0:
      header_note (r, data, size);
      return TRUE;
    case 1:
    case 2:
    case 3:
      if (address + size > (guint64) G_MAXUINT32 + 1)
        {
          df_records_diagnostic (r, DF_SEVERITY_ERROR,
                                 "%zu bytes at 0x%08" PRIx64 " run past the 4 GiB address space",
                                 size, address);
          return FALSE;
        }
      (*data_records)++;
      if (size > 0)
        df_records_add_data (r, (guint32) address, data, size);
      return TRUE;
    case 5:
    case 6:
      if (address != *data_records)
        df_records_diagnostic (r, DF_SEVERITY_WARNING,
                               "the S%u count record says %" PRIu64 " data records came before it, "
                               "but there were %u: records may be missing", type, address, *data_records);
      return TRUE;
    default: /* 7, 8, 9 */
      if (address != 0)
        df_records_diagnostic (r, DF_SEVERITY_NOTE, "start address 0x%08" PRIx64 " (not needed to flash; ignored)",
                               address);
      *end = TRUE;
      return TRUE;
    }
}

static const DfRecordsSyntax syntax = {
  .format = DF_FORMAT_SREC,
  .start = 'S',
  .name = "S-records",
  .end_record = N_("termination record (S7, S8 or S9)"),
  .not_a_record = N_("the line does not start with 'S' as an S-record must"),
  .after_end = N_("text after the termination record (S7, S8 or S9) is ignored"),
  .empty = N_("the file is empty: it holds no S-records"),
  .no_data = N_("no data records (S1, S2 or S3): the file holds no firmware"),
  .parse_record = parse_record,
};

DfImage *
df_srec_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  guint data_records = 0;

  return df_records_parse (&syntax, bytes, name, flags, &data_records);
}

static void
append_record (GString *out, guint type, guint32 address, const guint8 *data, gsize size)
{
  guint address_size = address_sizes[type];
  guint8 count = (guint8) (address_size + size + 1);
  guint8 sum = count;

  g_string_append_c (out, 'S');
  g_string_append_c (out, (gchar) ('0' + type));
  df_records_append_byte (out, count);
  for (guint i = address_size; i-- > 0;)
    {
      guint8 byte = (address >> (8 * i)) & 0xff;
      df_records_append_byte (out, byte);
      sum += byte;
    }
  for (gsize i = 0; i < size; i++)
    {
      df_records_append_byte (out, data[i]);
      sum += data[i];
    }
  df_records_append_byte (out, (guint8) ~sum);
  g_string_append_c (out, '\n');
}

GBytes *
df_srec_write (DfImage *image, GError **error)
{
  static const gchar header[] = "defuse";
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) segments = NULL;
  guint64 last = 0; /* highest address holding a byte */
  guint type, records = 0;

  if (!df_records_check_writable (image, "S-record", error))
    return NULL;
  segments = df_image_list_segments (image);
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      gsize size = g_bytes_get_size (segment->data);

      if (size > 0)
        last = MAX (last, (guint64) segment->address + size - 1);
    }

  /* the shortest address that reaches every byte, as objcopy chooses */
  type = last <= 0xffff ? 1 : last <= 0xffffff ? 2 : 3;
  append_record (out, 0, 0, (const guint8 *) header, strlen (header));
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (segment->data, &size);

      for (gsize pos = 0; pos < size; pos += DATA_MAX)
        {
          append_record (out, type, segment->address + (guint32) pos, data + pos, MIN (size - pos, DATA_MAX));
          records++;
        }
    }
  if (records <= 0xffff)
    append_record (out, 5, records, NULL, 0);
  append_record (out, 10 - type, 0, NULL, 0); /* S9 ends S1 data, S8 S2, S7 S3 */
  return g_string_free_to_bytes (g_steal_pointer (&out));
}
