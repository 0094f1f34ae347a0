/* df-ihex.c: Intel HEX, record types 00 to 05.
 *
 * A record is ":LLAAAATT<data>CC": byte count, 16-bit offset, type, data and
 * a checksum making the sum of all its bytes zero.  Types 02 and 04 set the
 * base the offsets are added to; 03 and 05 give a start address, which the
 * device does not need and which becomes a note.
 *
 * The reader makes one pass: each data record is appended to the current run
 * of contiguous bytes or starts a new one; at the end the runs are sorted by
 * address, runs that became contiguous are joined, and overlaps are reported. */
#include <string.h>

#include "df-error.h"
#include "df-formats.h"

#define RECORD_MAX  (5 + 255) /* count, offset (2), type, 255 data, checksum */
#define DATA_MAX    16        /* data bytes per written record, as objcopy */
#define MAX_ERRORS  10        /* past this, the file is not Intel HEX at all */

enum {
  TYPE_DATA = 0x00,
  TYPE_EOF = 0x01,
  TYPE_SEGMENT_BASE = 0x02,
  TYPE_SEGMENT_START = 0x03,
  TYPE_LINEAR_BASE = 0x04,
  TYPE_LINEAR_START = 0x05,
};

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
  guint32     base;    /* from the last type 02 or 04 record */
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

/* Decodes the hex digits after the ':' into out (at most max bytes) and sets
 * *n to how many bytes the digits give.  FALSE after an error diagnostic. */
static gboolean
decode_hex (Parser *p, const guint8 *text, gsize len, guint8 *out, gsize max, gsize *n)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]))
      {
        if (g_ascii_isprint (text[i]))
          line_diagnostic (p, DF_SEVERITY_ERROR, "'%c' in column %" G_GSIZE_FORMAT " is not a hex digit",
                           text[i], i + 2);
        else
          line_diagnostic (p, DF_SEVERITY_ERROR, "byte 0x%02x in column %" G_GSIZE_FORMAT " is not a hex digit",
                           text[i], i + 2);
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

/* One record (the line without its ':').  Sets *eof on the EOF record.
 * FALSE after an error diagnostic. */
static gboolean
parse_record (Parser *p, const guint8 *text, gsize len, gboolean *eof)
{
  guint8 rec[RECORD_MAX];
  gsize n;
  guint8 count, type, sum = 0;
  guint16 offset;
  const guint8 *data;

  if (!decode_hex (p, text, len, rec, sizeof rec, &n))
    return FALSE;
  if (n < 5)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR,
                       "record too short: %" G_GSIZE_FORMAT " bytes, but even an empty record has 5 "
                       "(count, address, type, checksum)", n);
      return FALSE;
    }
  count = rec[0];
  if (count != n - 5)
    {
      line_diagnostic (p, DF_SEVERITY_ERROR,
                       "byte count is 0x%02x (%u) but the record holds %" G_GSIZE_FORMAT " data bytes",
                       count, count, n - 5);
      return FALSE;
    }
  for (gsize i = 0; i < n - 1; i++)
    sum += rec[i];
  sum = (guint8) -sum;
  if (rec[n - 1] != sum)
    {
      gboolean ignore = (p->flags & DF_LOAD_IGNORE_CRC) != 0;
      line_diagnostic (p, ignore ? DF_SEVERITY_WARNING : DF_SEVERITY_ERROR,
                       "checksum is 0x%02x but the record's bytes give 0x%02x", rec[n - 1], sum);
      if (!ignore)
        return FALSE;
    }

  offset = (guint16) (rec[1] << 8 | rec[2]);
  type = rec[3];
  data = rec + 4;
  switch (type)
    {
    case TYPE_DATA:
      {
        guint64 address = (guint64) p->base + offset;
        if (address + count > (guint64) G_MAXUINT32 + 1)
          {
            line_diagnostic (p, DF_SEVERITY_ERROR,
                             "%u bytes at 0x%08" G_GINT64_MODIFIER "x run past the 4 GiB address space",
                             count, address);
            return FALSE;
          }
        if (count > 0)
          add_data (p, (guint32) address, data, count);
        return TRUE;
      }
    case TYPE_EOF:
      if (count != 0)
        line_diagnostic (p, DF_SEVERITY_WARNING, "the end-of-file record should hold no data but has a byte count of %u; the data is ignored", count);
      *eof = TRUE;
      return TRUE;
    case TYPE_SEGMENT_BASE:
    case TYPE_LINEAR_BASE:
      if (count != 2)
        {
          line_diagnostic (p, DF_SEVERITY_ERROR, "an extended %s address record (type 0%u) must hold 2 bytes, not %u",
                           type == TYPE_LINEAR_BASE ? "linear" : "segment", type, count);
          return FALSE;
        }
      /* segment bases count in 16-byte paragraphs, linear bases in 64 KiB */
      p->base = (guint32) (data[0] << 8 | data[1]) << (type == TYPE_LINEAR_BASE ? 16 : 4);
      return TRUE;
    case TYPE_SEGMENT_START:
    case TYPE_LINEAR_START:
      if (count != 4)
        {
          line_diagnostic (p, DF_SEVERITY_ERROR, "a start address record (type 0%u) must hold 4 bytes, not %u",
                           type, count);
          return FALSE;
        }
      if (type == TYPE_SEGMENT_START)
        line_diagnostic (p, DF_SEVERITY_NOTE, "start address CS:IP %02x%02x:%02x%02x (not needed to flash; ignored)",
                         data[0], data[1], data[2], data[3]);
      else
        line_diagnostic (p, DF_SEVERITY_NOTE, "start address 0x%02x%02x%02x%02x (not needed to flash; ignored)",
                         data[0], data[1], data[2], data[3]);
      return TRUE;
    default:
      line_diagnostic (p, DF_SEVERITY_ERROR, "unknown record type 0x%02x (Intel HEX has types 00 to 05)", type);
      return FALSE;
    }
}

DfImage *
df_ihex_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (run_free);
  Parser p = { .image = df_image_new (DF_FORMAT_IHEX, name), .flags = flags, .runs = runs };
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const guint8 *line;
  gsize len, pos = 0, next = 0;
  guint errors = 0, records = 0;
  gboolean eof = FALSE;

  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    pos = next = 3; /* UTF-8 byte order mark, as some Windows editors save */

  for (; next_line (data, size, &next, &line, &len); pos = next)
    {
      p.line++;
      p.offset = pos;
      if (len == 0)
        continue;
      if (eof)
        {
          line_diagnostic (&p, DF_SEVERITY_WARNING, "text after the end-of-file record is ignored");
          break;
        }
      records++;
      if (line[0] != ':')
        line_diagnostic (&p, DF_SEVERITY_ERROR, "the line does not start with ':' as an Intel HEX record must");
      else if (parse_record (&p, line + 1, len - 1, &eof))
        continue;
      if (++errors == MAX_ERRORS)
        {
          line_diagnostic (&p, DF_SEVERITY_ERROR, "stopped after %u errors: this does not look like Intel HEX", errors);
          return p.image;
        }
    }

  if (records == 0)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, -1, 0, "the file is empty: it holds no Intel HEX records");
  else if (!eof)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, (gint64) size, 0,
                             "no end-of-file record (:00000001FF) after line %u: the file is truncated", p.line);
  else if (runs->len == 0 && errors == 0)
    df_image_add_diagnostic (p.image, DF_SEVERITY_ERROR, -1, 0, "no data records: the file holds no firmware");
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
append_record (GString *out, guint8 type, guint16 offset, const guint8 *data, guint8 count)
{
  guint8 sum = count + (offset >> 8) + (offset & 0xff) + type;

  g_string_append_c (out, ':');
  append_byte (out, count);
  append_byte (out, offset >> 8);
  append_byte (out, offset & 0xff);
  append_byte (out, type);
  for (guint i = 0; i < count; i++)
    {
      append_byte (out, data[i]);
      sum += data[i];
    }
  append_byte (out, (guint8) -sum);
  g_string_append_c (out, '\n');
}

GBytes *
df_ihex_write (DfImage *image, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint32 upper = 0; /* the 04 base in effect: 0 until one is written */

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
          gsize size;
          const guint8 *data = g_bytes_get_data (segment->data, &size);
          guint64 address = segment->address;

          if (!segment->has_address)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                           "%s has a payload with no address, and Intel HEX needs one for every byte: "
                           "give the address to load it at (for example 0x08000000)", image->source);
              return NULL;
            }
          if (address + size > (guint64) G_MAXUINT32 + 1)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                           "the segment at 0x%08x with %" G_GSIZE_FORMAT " bytes runs past the 4 GiB "
                           "Intel HEX can address", segment->address, size);
              return NULL;
            }
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
    }
  append_record (out, TYPE_EOF, 0, NULL, 0);
  return g_string_free_to_bytes (g_steal_pointer (&out));
}
