/* df-records.c: what Intel HEX and S-records share (see df-records.h).
 *
 * The reader makes one pass: each data record is appended to the current run
 * of contiguous bytes or starts a new one; at the end the runs are sorted by
 * address, runs that became contiguous are joined, and overlaps are reported. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-records.h"

#define MAX_ERRORS  10  /* past this, the file is not of that format at all */

/* bytes at consecutive addresses, from one or more records */
typedef struct {
  guint32     address;
  guint       line;  /* of its first record */
  GByteArray *data;
} Run;

struct _DfRecords {
  DfImage    *image;
  DfLoadFlags flags;
  gsize       offset;  /* of the current line in the file */
  guint       line;    /* 1-based number of the current line */
  GPtrArray  *runs;    /* of Run, in file order */
};

static void
run_free (gpointer data)
{
  Run *run = data;
  g_clear_pointer (&run->data, g_byte_array_unref);
  g_free (run);
}

void
df_records_diagnostic (DfRecords *records, DfSeverity severity, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  df_image_add_diagnostic (records->image, severity, (gint64) records->offset, records->line, "%s", message);
}

void
df_records_add_data (DfRecords *records, guint32 address, const guint8 *data, gsize size)
{
  GPtrArray *runs = records->runs;
  Run *last = runs->len > 0 ? g_ptr_array_index (runs, runs->len - 1) : NULL;

  if (last == NULL || (guint64) last->address + last->data->len != address)
    {
      last = g_new0 (Run, 1);
      last->address = address;
      last->line = records->line;
      last->data = g_byte_array_new ();
      g_ptr_array_add (runs, last);
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
add_segments (DfRecords *records)
{
  DfTarget *target = df_image_add_target (records->image, 0, NULL);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  Run *reach = NULL; /* the kept run ending highest so far */

  /* stable: runs at one address stay in file order */
  g_ptr_array_sort (records->runs, run_compare);
  for (guint i = 0; i < records->runs->len; i++)
    {
      Run *run = g_ptr_array_index (records->runs, i);
      Run *prev = kept->len > 0 ? g_ptr_array_index (kept, kept->len - 1) : NULL;
      guint64 end = (guint64) run->address + run->data->len;
      guint64 reach_end = reach != NULL ? (guint64) reach->address + reach->data->len : 0;

      if (reach != NULL && reach_end > run->address)
        df_image_add_diagnostic (records->image, DF_SEVERITY_WARNING, -1, run->line,
                                 _("bytes 0x%08x..0x%08" PRIx64 " are given twice: by the data at 0x%08x "
                                   "(line %u) and by the data at 0x%08x (line %u)"),
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

gboolean
df_records_decode_hex (DfRecords *records, const guint8 *text, gsize len, gsize column,
                       guint8 *out, gsize max, gsize *n)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]))
      {
        if (g_ascii_isprint (text[i]))
          df_records_diagnostic (records, DF_SEVERITY_ERROR, "'%c' in column %zu is not a hex digit",
                                 text[i], column + i);
        else
          df_records_diagnostic (records, DF_SEVERITY_ERROR, "byte 0x%02x in column %zu is not a hex digit",
                                 text[i], column + i);
        return FALSE;
      }
  if (len % 2 != 0)
    {
      df_records_diagnostic (records, DF_SEVERITY_ERROR,
                             "odd number of hex digits (%zu): a record is made of whole bytes", len);
      return FALSE;
    }
  *n = len / 2;
  for (gsize i = 0; i < MIN (*n, max); i++)
    out[i] = (guint8) (g_ascii_xdigit_value (text[2 * i]) << 4 | g_ascii_xdigit_value (text[2 * i + 1]));
  return TRUE;
}

gboolean
df_records_check_sum (DfRecords *records, guint8 stored, guint8 computed)
{
  gboolean ignore = (records->flags & DF_LOAD_IGNORE_CRC) != 0;

  if (stored == computed)
    return TRUE;
  df_records_diagnostic (records, ignore ? DF_SEVERITY_WARNING : DF_SEVERITY_ERROR,
                         "checksum is 0x%02x but the record's bytes give 0x%02x", stored, computed);
  return ignore;
}

DfImage *
df_records_parse (const DfRecordsSyntax *syntax, GBytes *bytes, const gchar *name,
                  DfLoadFlags flags, gpointer user_data)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (run_free);
  DfRecords r = { .image = df_image_new (syntax->format, name), .flags = flags, .runs = runs };
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
      r.line++;
      r.offset = pos;
      if (len == 0)
        continue;
      if (end)
        {
          df_records_diagnostic (&r, DF_SEVERITY_WARNING, "%s", _(syntax->after_end));
          break;
        }
      records++;
      if (line[0] != syntax->start)
        df_records_diagnostic (&r, DF_SEVERITY_ERROR, "%s", _(syntax->not_a_record));
      else if (syntax->parse_record (&r, line + 1, len - 1, &end, user_data))
        continue;
      if (++errors == MAX_ERRORS)
        {
          df_records_diagnostic (&r, DF_SEVERITY_ERROR, "stopped after %u errors: this does not look like %s",
                                 errors, syntax->name);
          return r.image;
        }
    }

  if (records == 0)
    df_image_add_diagnostic (r.image, DF_SEVERITY_ERROR, -1, 0, "%s", _(syntax->empty));
  else if (!end)
    df_image_add_diagnostic (r.image, DF_SEVERITY_ERROR, (gint64) size, 0,
                             _("no %s after line %u: the file is truncated"), _(syntax->end_record), r.line);
  else if (runs->len == 0 && errors == 0)
    df_image_add_diagnostic (r.image, DF_SEVERITY_ERROR, -1, 0, "%s", _(syntax->no_data));
  add_segments (&r);
  return r.image;
}

gboolean
df_records_check_writable (DfImage *image, const gchar *format_name, GError **error)
{
  if (df_image_total_size (image) == 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("%s holds no data: nothing to write"), image->source);
      return FALSE;
    }
  return df_image_check_addresses (image, format_name, error);
}

void
df_records_append_byte (GString *out, guint8 byte)
{
  static const gchar digits[] = "0123456789ABCDEF";
  g_string_append_c (out, digits[byte >> 4]);
  g_string_append_c (out, digits[byte & 0xf]);
}
