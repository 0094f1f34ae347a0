#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>
#include <zlib.h>

#include "df-error.h"
#include "df-image.h"

static const gchar *format_names[] = {
  [DF_FORMAT_UNKNOWN] = "unknown",
  [DF_FORMAT_DFUSE] = "dfuse",
  [DF_FORMAT_DFU] = "dfu",
  [DF_FORMAT_IHEX] = "ihex",
  [DF_FORMAT_SREC] = "srec",
  [DF_FORMAT_ELF] = "elf",
  [DF_FORMAT_RAW] = "raw",
};

const gchar *
df_format_to_string (DfFormat format)
{
  if ((guint) format >= G_N_ELEMENTS (format_names))
    return format_names[DF_FORMAT_UNKNOWN];
  return format_names[format];
}

DfFormat
df_format_from_string (const gchar *str)
{
  for (guint i = 1; str != NULL && i < G_N_ELEMENTS (format_names); i++)
    if (g_ascii_strcasecmp (str, format_names[i]) == 0)
      return (DfFormat) i;
  return DF_FORMAT_UNKNOWN;
}

static void
segment_free (gpointer data)
{
  DfSegment *segment = data;
  g_bytes_unref (segment->data);
  g_free (segment);
}

static void
target_free (gpointer data)
{
  DfTarget *target = data;
  g_free (target->name);
  g_ptr_array_unref (target->segments);
  g_free (target);
}

static void
diagnostic_free (gpointer data)
{
  DfDiagnostic *diag = data;
  g_free (diag->message);
  g_free (diag);
}

DfImage *
df_image_new (DfFormat format, const gchar *source)
{
  DfImage *image = g_new0 (DfImage, 1);
  image->ref_count = 1;
  image->format = format;
  image->source = g_strdup (source != NULL ? source : "(memory)");
  image->targets = g_ptr_array_new_with_free_func (target_free);
  image->diagnostics = g_ptr_array_new_with_free_func (diagnostic_free);
  return image;
}

/* Images cross threads (parsed on a worker, shown by the GUI, flashed by a
 * job), so the count is atomic.  Content is not changed once shared. */
DfImage *
df_image_ref (DfImage *image)
{
  g_atomic_int_inc (&image->ref_count);
  return image;
}

void
df_image_unref (DfImage *image)
{
  if (!g_atomic_int_dec_and_test (&image->ref_count))
    return;
  g_free (image->source);
  g_ptr_array_unref (image->targets);
  g_ptr_array_unref (image->diagnostics);
  g_free (image);
}

DfTarget *
df_image_add_target (DfImage *image, guint8 alt, const gchar *name)
{
  DfTarget *target = g_new0 (DfTarget, 1);
  target->alt = alt;
  target->name = g_strdup (name);
  target->segments = g_ptr_array_new_with_free_func (segment_free);
  g_ptr_array_add (image->targets, target);
  return target;
}

DfTarget *
df_image_find_target (DfImage *image, guint8 alt)
{
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      if (target->alt == alt)
        return target;
    }
  return NULL;
}

DfSegment *
df_target_add_segment (DfTarget *target, guint32 address, GBytes *data)
{
  DfSegment *segment = g_new0 (DfSegment, 1);
  segment->address = address;
  segment->has_address = TRUE;
  segment->data = g_bytes_ref (data);
  g_ptr_array_add (target->segments, segment);
  return segment;
}

DfSegment *
df_target_add_payload (DfTarget *target, GBytes *data)
{
  DfSegment *segment = df_target_add_segment (target, 0, data);
  segment->has_address = FALSE;
  return segment;
}

DfImage *
df_image_extract_target (DfImage *image, guint8 alt)
{
  DfImage *copy = df_image_new (image->format, image->source);
  DfTarget *target = df_image_find_target (image, alt);
  DfTarget *target_copy = df_image_add_target (copy, alt, target->name);

  copy->has_suffix = image->has_suffix;
  copy->suffix = image->suffix;
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (target->segments, i);
      DfSegment *s = df_target_add_segment (target_copy, segment->address, segment->data);
      s->has_address = segment->has_address;
    }
  return copy;
}

void
df_image_add_diagnostic (DfImage *image, DfSeverity severity, gint64 offset,
                         guint line, const gchar *format, ...)
{
  DfDiagnostic *diag = g_new0 (DfDiagnostic, 1);
  va_list args;

  diag->severity = severity;
  diag->offset = offset;
  diag->line = line;
  va_start (args, format);
  diag->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (image->diagnostics, diag);
}

gboolean
df_image_has_errors (DfImage *image)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == DF_SEVERITY_ERROR)
        return TRUE;
    }
  return FALSE;
}

gchar *
df_image_format_diagnostic (DfImage *image, const DfDiagnostic *diag)
{
  if (diag->line > 0)
    return g_strdup_printf ("%s: line %u: %s", image->source, diag->line, diag->message);
  if (diag->offset >= 0)
    return g_strdup_printf ("%s: offset 0x%" PRIx64 ": %s",
                            image->source, diag->offset, diag->message);
  return g_strdup_printf ("%s: %s", image->source, diag->message);
}

gboolean
df_image_check (DfImage *image, GError **error)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity == DF_SEVERITY_ERROR)
        {
          g_autofree gchar *text = df_image_format_diagnostic (image, diag);
          g_set_error_literal (error, DF_ERROR, DF_ERROR_INVALID_FILE, text);
          return FALSE;
        }
    }
  return TRUE;
}

gsize
df_image_total_size (DfImage *image)
{
  gsize total = 0;
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          total += g_bytes_get_size (segment->data);
        }
    }
  return total;
}

GPtrArray *
df_image_list_segments (DfImage *image)
{
  GPtrArray *segments = g_ptr_array_new ();

  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        g_ptr_array_add (segments, g_ptr_array_index (target->segments, j));
    }
  return segments;
}

gboolean
df_image_has_addresses (DfImage *image)
{
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          if (!segment->has_address)
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
df_image_check_addresses (DfImage *image, const gchar *format_name, GError **error)
{
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size = g_bytes_get_size (segment->data);

          if (!segment->has_address)
            {
              /* TRANSLATORS: the file, then a format name such as "Intel HEX" */
              g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                           _("%s has a payload with no address, and %s needs one for every byte: "
                             "give the address to load it at; when converting, give the load address "
                             "with --address (for example 0x08000000)"),
                           image->source, format_name);
              return FALSE;
            }
          if ((guint64) segment->address + size > (guint64) G_MAXUINT32 + 1)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                           _("the segment at 0x%08x with %zu bytes runs past the 4 GiB %s can address"),
                           segment->address, size, format_name);
              return FALSE;
            }
        }
    }
  return TRUE;
}

gboolean
df_image_content_equal (DfImage *a, DfImage *b)
{
  if (a->targets->len != b->targets->len)
    return FALSE;
  for (guint i = 0; i < a->targets->len; i++)
    {
      DfTarget *ta = g_ptr_array_index (a->targets, i);
      DfTarget *tb = g_ptr_array_index (b->targets, i);
      if (ta->alt != tb->alt || g_strcmp0 (ta->name, tb->name) != 0 ||
          ta->segments->len != tb->segments->len)
        return FALSE;
      for (guint j = 0; j < ta->segments->len; j++)
        {
          DfSegment *sa = g_ptr_array_index (ta->segments, j);
          DfSegment *sb = g_ptr_array_index (tb->segments, j);
          if (sa->has_address != sb->has_address ||
              (sa->has_address && sa->address != sb->address) ||
              !g_bytes_equal (sa->data, sb->data))
            return FALSE;
        }
    }
  return TRUE;
}

/* zlib takes a uInt length; feed it in chunks so sizes over 4 GiB stay right */
static guint32
crc32_update (guint32 crc, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      uInt chunk = (uInt) MIN (size, (gsize) G_MAXUINT32);
      crc = (guint32) crc32 (crc, data, chunk);
      data += chunk;
      size -= chunk;
    }
  return crc;
}

guint32
df_crc32 (const guint8 *data, gsize size)
{
  return crc32_update ((guint32) crc32 (0L, Z_NULL, 0), data, size);
}

/* DFU 1.1 appendix B: CRC-32 starting at 0xFFFFFFFF with no final XOR, which
 * is the bitwise NOT of zlib's (final-XORed) crc32. */
guint32
df_dfu_crc (const guint8 *data, gsize size)
{
  return ~df_crc32 (data, size);
}
