/* df-raw.c: raw binaries.  A raw file carries no address: reading needs the
 * user's, and writing lays every segment out from the lowest address to the
 * highest, filling the gaps, and reports that lowest address. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-formats.h"

/* a raw file is mostly gap beyond this: surely not what the user wants */
#define GAP_MAX (256 * 1024 * 1024)

DfImage *
df_raw_parse (GBytes *bytes, const gchar *name, guint32 address)
{
  DfImage *image = df_image_new (DF_FORMAT_RAW, name);
  DfTarget *target = df_image_add_target (image, 0, NULL);
  gsize size = g_bytes_get_size (bytes);

  if (size == 0)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 0, _("the file is empty: there is nothing to flash"));
      return image;
    }
  /* the offset is that of the first byte with no address */
  if ((guint64) address + size > (guint64) G_MAXUINT32 + 1)
    df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) ((guint64) G_MAXUINT32 + 1 - address), 0,
                             _("%zu bytes loaded at 0x%08x run past the 4 GiB address space "
                             "(the last byte would be at 0x%" PRIx64 "); check the address"),
                             size, address, (guint64) address + size - 1);
  df_target_add_segment (target, address, bytes);
  return image;
}

static gint
segment_compare (gconstpointer a, gconstpointer b)
{
  const DfSegment *sa = *(DfSegment *const *) a;
  const DfSegment *sb = *(DfSegment *const *) b;
  return sa->address < sb->address ? -1 : sa->address > sb->address;
}

/* From the lowest address to the highest, over segments sorted by address:
 * FALSE with an error for a payload among addressed segments, bytes past
 * 4 GiB, or a gap too big to fill. */
static gboolean
find_span (DfImage *image, GPtrArray *segments, const DfWriteOptions *options,
           guint64 *start_out, guint64 *end_out, GError **error)
{
  guint64 start, end = 0;

  start = ((DfSegment *) g_ptr_array_index (segments, 0))->address;
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      guint64 segment_end = (guint64) segment->address + g_bytes_get_size (segment->data);

      if (!segment->has_address)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("%s mixes a payload with no address with addressed segments; "
                       "a raw binary cannot place it: give its address"), image->source);
          return FALSE;
        }
      if (segment_end > (guint64) G_MAXUINT32 + 1)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                       _("the segment at 0x%08x runs past the 4 GiB address space"), segment->address);
          return FALSE;
        }
      if (i > 0 && segment->address > end && segment->address - end > GAP_MAX)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                       _("a gap of %" PRIu64 " MiB (0x%" PRIx64 " bytes) lies between the data "
                       "ending at 0x%08" PRIx64 " and the data at 0x%08x; a raw binary would have to "
                       "fill it with 0x%02x: write Intel HEX or S-record instead (--to ihex), which keep the addresses"),
                       (segment->address - end) >> 20, segment->address - end, end - 1, segment->address,
                       options->fill);
          return FALSE;
        }
      end = MAX (end, segment_end);
    }
  *start_out = start;
  *end_out = end;
  return TRUE;
}

GBytes *
df_raw_write (DfImage *image, const DfWriteOptions *options, guint32 *base, GError **error)
{
  g_autoptr(GPtrArray) all = df_image_list_segments (image);
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();
  guint64 start, end;
  guint8 *out;

  /* every non-empty segment of every target */
  for (guint i = 0; i < all->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (all, i);
      if (g_bytes_get_size (segment->data) > 0)
        g_ptr_array_add (segments, segment);
    }
  if (segments->len == 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("%s holds no data: nothing to write"), image->source);
      return NULL;
    }

  /* a plain DFU payload: the bytes as they are, at no particular address */
  if (segments->len == 1 && !((DfSegment *) g_ptr_array_index (segments, 0))->has_address)
    {
      *base = 0;
      return g_bytes_ref (((DfSegment *) g_ptr_array_index (segments, 0))->data);
    }

  g_ptr_array_sort (segments, segment_compare);
  if (!find_span (image, segments, options, &start, &end, error))
    return NULL;

  /* copied in image order: where segments overlap, the later one wins, as
   * it would on the device */
  out = g_malloc (end - start);
  memset (out, options->fill, end - start);
  for (guint i = 0; i < all->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (all, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (segment->data, &size);
      if (size > 0)
        memcpy (out + (segment->address - start), data, size);
    }
  *base = (guint32) start;
  return g_bytes_new_take (out, end - start);
}
