/* df-srec.c: Motorola S-records, S0 to S9.
 *
 * A record is "S<type><count><address><data><checksum>": the count gives the
 * bytes after it, the address is 2, 3 or 4 bytes by type, and the checksum is
 * the ones' complement of the sum of count, address and data.  S0 is a
 * header (kept as a note), S1/S2/S3 carry data, S5/S6 count the data records
 * before them, and S9/S8/S7 end the file with a start address.
 *
 * The reader works like the Intel HEX one (df-ihex.c): one pass appending
 * each data record to a run of contiguous bytes, then the runs are sorted,
 * joined where they touch and checked for overlaps. */
#include <string.h>

#include "df-error.h"
#include "df-formats.h"

#define RECORD_MAX  255 /* the count byte's reach */
#define DATA_MAX    16  /* data bytes per written record, as objcopy */
#define MAX_ERRORS  10  /* past this, the file is not S-records at all */

/* address bytes of S0 to S9; 0 for the reserved S4 */
static const guint address_sizes[10] = { 2, 2, 3, 4, 0, 2, 3, 4, 3, 2 };

/* bytes at consecutive addresses, from one or more records */
typedef struct {
  guint32     address;
  guint       line;  /* of its first record */
  GByteArray *data;
} Run;

typedef struct {
  DfImage    *image;
  DfLoadFlags flags;
  gsize       offset;  /* of the current line in the file */
  guint       line;    /* 1-based number of the current line */
  guint       records; /* S1/S2/S3 records so far, for S5/S6 */
  GPtrArray  *runs;    /* of Run, in file order */
} Parser;

static void
run_free (gpointer data)
{
  Run *run = data;
  g_clear_pointer (&run->data, g_byte_array_unref);
  g_free (run);
}

static void G_GNUC_PRINTF (3, 4)
line_diagnostic (Parser *p, DfSeverity severity, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  df_image_add_diagnostic (p->image, severity, (gint64) p->offset, p->line, "%s", message);
}

static void
add_data (Parser *p, guint32 address, const guint8 *data, gsize size)
{
  Run *last = p->runs->len > 0 ? g_ptr_array_index (p->runs, p->runs->len - 1) : NULL;

  if (last == NULL || (guint64) last->address + last->data->len != address)
    {
      last = g_new0 (Run, 1);
      last->address = address;
      last->line = p->line;
      last->data = g_byte_array_new ();
      g_ptr_array_add (p->runs, last);
    }
  g_byte_array_append (last->data, data, (guint) size);
}

static gint
run_compare (gconstpointer a, gconstpointer b)
{
  const Run *ra = *(Run *const *) a;
  const Run *rb = *(Run *const *) b;
  return ra->address < rb->address ? -1 : ra->address > rb->address;
}

/* Sorts the runs into segments of one target.  Records written out of order
 * leave runs that touch once sorted: those are joined.  Overlaps are kept as
 * separate segments with a warning. */
static void
add_segments (Parser *p)
{
  DfTarget *target = df_image_add_target (p->image, 0, NULL);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  Run *reach = NULL; /* the kept run ending highest so far */

  /* stable: runs at one address stay in file order */
  g_ptr_array_sort (p->runs, run_compare);
  for (guint i = 0; i < p->runs->len; i++)
    {
      Run *run = g_ptr_array_index (p->runs, i);
      Run *prev = kept->len > 0 ? g_ptr_array_index (kept, kept->len - 1) : NULL;
      guint64 end = (guint64) run->address + run->data->len;
      guint64 reach_end = reach != NULL ? (guint64) reach->address + reach->data->len : 0;

      if (reach != NULL && reach_end > run->address)
        df_image_add_diagnostic (p->image, DF_SEVERITY_WARNING, -1, run->line,
                                 "bytes 0x%08x..0x%08" G_GINT64_MODIFIER "x are given twice: by the data at 0x%08x "
                                 "(line %u) and by the data at 0x%08x (line %u)",
                                 run->address, MIN (end, reach_end) - 1,
                                 reach->address, reach->line, run->address, run->line);
      else if (prev != NULL && (guint64) prev->address + prev->data->len == run->address)
        {
          g_byte_array_append (prev->data, run->data->data, run->data->len);
          continue;
        }
      g_ptr_array_add (kept, run);
      if (reach == NULL || end > reach_end)
        reach = run;
    }

  for (guint i = 0; i < kept->len; i++)
    {
      Run *run = g_ptr_array_index (kept, i);
      g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&run->data));
      df_target_add_segment (target, run->address, bytes);
    }
}

/* the next line at *pos without its line ending and trailing whitespace;
 * FALSE at the end of the data */
static gboolean
next_line (const guint8 *data, gsize size, gsize *pos, const guint8 **line, gsize *len)
{
  const guint8 *newline;
  gsize start = *pos;
  gsize end;

  if (start >= size)
    return FALSE;
  newline = memchr (data + start, '\n', size - start);
  end = newline != NULL ? (gsize) (newline - data) : size;
  *pos = newline != NULL ? end + 1 : size;
  while (end > start && g_ascii_isspace (data[end - 1]))
    end--;
  *line = data + start;
  *len = end - start;
  return TRUE;
}

/* Decodes the hex digits after "Sn" into out (at most max bytes) and sets
 * *n to how many bytes the digits give.  FALSE after an error diagnostic. */
static gboolean
decode_hex (Parser *p, const guint8 *text, gsize len, guint8 *out, gsize max, gsize *n)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]))
      {
        if (g_ascii_isprint (text[i]))
          line_diagnostic (p, DF_SEVERITY_ERROR, "'%c' in column %" G_GSIZE_FORMAT " is not a hex digit",
                           text[i], i + 3);
        else
          line_diagnostic (p, DF_SEVERITY_ERROR, "byte 0x%02x in column %" G_GSIZE_FORMAT " is not a hex digit",
                           text[i], i + 3);
        return FALSE;
      }
  if (len % 2 != 0)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR,
                       "odd number of hex digits (%" G_GSIZE_FORMAT "): a record is made of whole bytes", len);
      return FALSE;
    }
  *n = len / 2;
  for (gsize i = 0; i < MIN (*n, max); i++)
    out[i] = (guint8) (g_ascii_xdigit_value (text[2 * i]) << 4 | g_ascii_xdigit_value (text[2 * i + 1]));
  return TRUE;
}

static void
header_note (Parser *p, const guint8 *data, gsize size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autofree gchar *escaped = g_strescape (text, NULL);

  if (*escaped != '\0')
    line_diagnostic (p, DF_SEVERITY_NOTE, "header (S0): \"%s\"", escaped);
}

/* One record (the line without its "S").  Sets *end on S7/S8/S9.  FALSE
 * after an error diagnostic. */
static gboolean
parse_record (Parser *p, const guint8 *text, gsize len, gboolean *end)
{
  guint8 rec[1 + RECORD_MAX];
  gsize n, size;
  guint type, address_size;
  guint8 count, sum = 0;
  guint64 address = 0;
  const guint8 *data;

  if (len == 0 || !g_ascii_isdigit (text[0]) || text[0] == '4')
    {
      if (len > 0 && g_ascii_isprint (text[0]))
        line_diagnostic (p, DF_SEVERITY_ERROR, "unknown record type 'S%c' (S-records have S0 to S3 and S5 to S9)",
                         text[0]);
      else
        line_diagnostic (p, DF_SEVERITY_ERROR, "unknown record type: no digit after the 'S'");
      return FALSE;
    }
  type = (guint) (text[0] - '0');
  address_size = address_sizes[type];
  if (!decode_hex (p, text + 1, len - 1, rec, sizeof rec, &n))
    return FALSE;
  if (n == 0)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR, "record too short: S%u with no byte count", type);
      return FALSE;
    }
  count = rec[0];
  if (count != n - 1)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR,
                       "byte count is 0x%02x (%u) but %" G_GSIZE_FORMAT " bytes follow it",
                       count, count, n - 1);
      return FALSE;
    }
  if (count < address_size + 1)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR,
                       "record too short: an S%u record needs a %u-byte address and a checksum, "
                       "but holds %u bytes", type, address_size, count);
      return FALSE;
    }
  for (gsize i = 0; i < n - 1; i++)
    sum += rec[i];
  sum = (guint8) ~sum;
  if (rec[n - 1] != sum)
    {
      gboolean ignore = (p->flags & DF_LOAD_IGNORE_CRC) != 0;
      line_diagnostic (p, ignore ? DF_SEVERITY_WARNING : DF_SEVERITY_ERROR,
                       "checksum is 0x%02x but the record's bytes give 0x%02x", rec[n - 1], sum);
      if (!ignore)
        return FALSE;
    }

  for (guint i = 0; i < address_size; i++)
    address = address << 8 | rec[1 + i];
  data = rec + 1 + address_size;
  size = n - 2 - address_size;
  switch (type)
    {
    case 0:
      header_note (p, data, size);
      return TRUE;
    case 1:
    case 2:
    case 3:
      if (address + size > (guint64) G_MAXUINT32 + 1)
        {
          line_diagnostic (p, DF_SEVERITY_ERROR,
                           "%" G_GSIZE_FORMAT " bytes at 0x%08" G_GINT64_MODIFIER "x run past the 4 GiB address space",
                           size, address);
          return FALSE;
        }
      p->records++;
      if (size > 0)
        add_data (p, (guint32) address, data, size);
      return TRUE;
    case 5:
    case 6:
      if (address != p->records)
        line_diagnostic (p, DF_SEVERITY_WARNING,
                         "the S%u count record says %" G_GUINT64_FORMAT " data records came before it, "
                         "but there were %u: records may be missing", type, address, p->records);
      return TRUE;
    default: /* 7, 8, 9 */
      if (address != 0)
        line_diagnostic (p, DF_SEVERITY_NOTE, "start address 0x%08" G_GINT64_MODIFIER "x (not needed to flash; ignored)",
                         address);
      *end = TRUE;
      return TRUE;
    }
}

DfImage *
df_srec_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (run_free);
  Parser p = { .image = df_image_new (DF_FORMAT_SREC, name), .flags = flags, .runs = runs };
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const guint8 *line;
  gsize len, pos = 0, next = 0;
  guint errors = 0, records = 0;
  gboolean end = FALSE;

  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    pos = next = 3; /* UTF-8 byte order mark, as some Windows editors save */

  for (; next_line (data, size, &next, &line, &len); pos = next)
    {
      p.line++;
      p.offset = pos;
      if (len == 0)
        continue;
      if (end)
        {
          line_diagnostic (&p, DF_SEVERITY_WARNING, "text after the termination record (S7, S8 or S9) is ignored");
          break;
        }
      records++;
      if (line[0] != 'S')
        line_diagnostic (&p, DF_SEVERITY_ERROR, "the line does not start with 'S' as an S-record must");
      else if (parse_record (&p, line + 1, len - 1, &end))
        continue;
      if (++errors == MAX_ERRORS)
        {
          line_diagnostic (&p, DF_SEVERITY_ERROR, "stopped after %u errors: this does not look like S-records", errors);
          return p.image;
        }
    }

  if (records == 0)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, -1, 0, "the file is empty: it holds no S-records");
  else if (!end)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, (gint64) size, 0,
                             "no termination record (S7, S8 or S9) after line %u: the file is truncated", p.line);
  else if (runs->len == 0 && errors == 0)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, -1, 0, "no data records (S1, S2 or S3): the file holds no firmware");
  add_segments (&p);
  return p.image;
}

static void
append_byte (GString *out, guint8 byte)
{
  static const gchar digits[] = "0123456789ABCDEF";
  g_string_append_c (out, digits[byte >> 4]);
  g_string_append_c (out, digits[byte & 0xf]);
}

static void
append_record (GString *out, guint type, guint32 address, const guint8 *data, gsize size)
{
  guint address_size = address_sizes[type];
  guint8 count = (guint8) (address_size + size + 1);
  guint8 sum = count;

  g_string_append_c (out, 'S');
  g_string_append_c (out, (gchar) ('0' + type));
  append_byte (out, count);
  for (guint i = address_size; i-- > 0;)
    {
      guint8 byte = (address >> (8 * i)) & 0xff;
      append_byte (out, byte);
      sum += byte;
    }
  for (gsize i = 0; i < size; i++)
    {
      append_byte (out, data[i]);
      sum += data[i];
    }
  append_byte (out, (guint8) ~sum);
  g_string_append_c (out, '\n');
}

GBytes *
df_srec_write (DfImage *image, GError **error)
{
  static const gchar header[] = "defuse";
  g_autoptr(GString) out = g_string_new (NULL);
  guint64 last = 0; /* highest address holding a byte */
  guint type, records = 0;

  if (df_image_total_size (image) == 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, "%s holds no data: nothing to write", image->source);
      return NULL;
    }
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size = g_bytes_get_size (segment->data);

          if (!segment->has_address)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                           "%s has a payload with no address, and S-records need one for every byte: "
                           "give the address to load it at (for example 0x08000000)", image->source);
              return NULL;
            }
          if ((guint64) segment->address + size > (guint64) G_MAXUINT32 + 1)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                           "the segment at 0x%08x with %" G_GSIZE_FORMAT " bytes runs past the 4 GiB "
                           "S-records can address", segment->address, size);
              return NULL;
            }
          if (size > 0)
            last = MAX (last, (guint64) segment->address + size - 1);
        }
    }

  /* the shortest address that reaches every byte, as objcopy chooses */
  type = last <= 0xffff ? 1 : last <= 0xffffff ? 2 : 3;
  append_record (out, 0, 0, (const guint8 *) header, strlen (header));
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size;
          const guint8 *data = g_bytes_get_data (segment->data, &size);

          for (gsize pos = 0; pos < size; pos += DATA_MAX)
            {
              append_record (out, type, segment->address + (guint32) pos, data + pos, MIN (size - pos, DATA_MAX));
              records++;
            }
        }
    }
  if (records <= 0xffff)
    append_record (out, 5, records, NULL, 0);
  append_record (out, 10 - type, 0, NULL, 0); /* S9 ends S1 data, S8 S2, S7 S3 */
  return g_string_free_to_bytes (g_steal_pointer (&out));
}
