/* df-dfuse.c: ST's DfuSe file format (UM0391): an 11-byte prefix, targets
 * (one per alternate setting) of addressed elements, and the DFU suffix.
 *
 * The reader is lenient where the tools in the field disagree and says so
 * in a note; it refuses what cannot be trusted.  All fields little-endian. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-le.h"

#define PREFIX_SIZE        11
#define TARGET_PREFIX_SIZE 274
#define TARGET_NAME_SIZE   255
#define ELEMENT_HEADER     8

static void
check_overlaps (DfImage *image, DfTarget *target, const gsize *offsets)
{
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *a = g_ptr_array_index (target->segments, i);
      guint64 a_end = (guint64) a->address + g_bytes_get_size (a->data);
      for (guint j = i + 1; j < target->segments->len; j++)
        {
          DfSegment *b = g_ptr_array_index (target->segments, j);
          guint64 b_end = (guint64) b->address + g_bytes_get_size (b->data);
          if (a->address < b_end && b->address < a_end)
            df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) offsets[j], 0,
                                     _("target %u: element %u (0x%08x..0x%08" PRIx64 ") overlaps element %u "
                                     "(0x%08x..0x%08" PRIx64 "); the later one wins on the device"),
                                     target->alt, j + 1, b->address, b_end - 1, i + 1, a->address, a_end - 1);
        }
    }
}

/* szTargetName: up to 255 bytes, NUL-terminated when shorter, made valid
 * UTF-8 */
static gchar *
target_name (const guint8 *prefix)
{
  const gchar *raw = (const gchar *) prefix + 11;
  gsize len = strnlen (raw, TARGET_NAME_SIZE);

  if (g_utf8_validate (raw, (gssize) len, NULL))
    return g_strndup (raw, len);
  return g_utf8_make_valid (raw, (gssize) len);
}

/* element (0-based) of target number index at *pos, added to target.
 * FALSE after an error that makes the rest unreadable.  Sizes that are not
 * a multiple of 8 are no concern here: Defuse pads such writes itself, and
 * convert/pack --no-pad warn where they matter. */
static gboolean
parse_element (DfImage *image, GBytes *bytes, gsize end, DfTarget *target, guint index, guint32 element,
               gsize *pos)
{
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  guint32 address, size;

  if (end - *pos < ELEMENT_HEADER)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) *pos, 0,
                               _("truncated: element %u of target %u has no room for its header"),
                               element + 1, index + 1);
      return FALSE;
    }
  address = df_le32 (data + *pos);
  size = df_le32 (data + *pos + 4);
  if (size > end - *pos - ELEMENT_HEADER)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) *pos, 0,
                               _("element %u of target %u (alt %u) at 0x%08x claims %u bytes, "
                               "running %zu bytes past the end of the file"),
                               element + 1, index + 1, target->alt, address, size,
                               (gsize) size - (end - *pos - ELEMENT_HEADER));
      return FALSE;
    }
  if ((guint64) address + size > (guint64) G_MAXUINT32 + 1)
    df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) *pos, 0,
                             _("element %u of target %u at 0x%08x with %u bytes runs past the 4 GiB address space"),
                             element + 1, index + 1, address, size);
  {
    g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (bytes, *pos + ELEMENT_HEADER, size);
    df_target_add_segment (target, address, chunk);
  }
  *pos += ELEMENT_HEADER + size;
  return TRUE;
}

/* one target at *pos; FALSE after an error that makes the rest unreadable */
static gboolean
parse_target (DfImage *image, GBytes *bytes, const guint8 *data, gsize end,
              guint index, gsize *pos)
{
  const guint8 *p = data + *pos;
  gsize start = *pos;
  guint8 alt;
  guint32 named, target_size, count;
  gsize consumed = 0;
  g_autofree gchar *name = NULL;
  g_autofree gsize *offsets = NULL;
  DfTarget *target;

  if (end - *pos < TARGET_PREFIX_SIZE)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) *pos, 0,
                               _("truncated: target %u needs a %u-byte header but only %zu bytes are left"),
                               index + 1, TARGET_PREFIX_SIZE, end - *pos);
      return FALSE;
    }
  if (memcmp (p, "Target", 6) != 0)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) *pos, 0,
                               _("target %u does not start with the signature \"Target\"; "
                               "the previous target's size or element count is wrong"), index + 1);
      return FALSE;
    }
  alt = p[6];
  named = df_le32 (p + 7);
  target_size = df_le32 (p + 266);
  count = df_le32 (p + 270);
  if (named != 0)
    name = target_name (p);
  if (df_image_find_target (image, alt) != NULL)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) *pos + 6, 0,
                             _("target %u uses alternate setting %u, like an earlier target"), index + 1, alt);
  target = df_image_add_target (image, alt, name);
  *pos += TARGET_PREFIX_SIZE;

  if (count == 0)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) start + 270, 0,
                             _("target %u (alt %u) has no elements: nothing will be written for it"), index + 1, alt);

  /* a hostile count must not drive allocation: each element needs 8 bytes */
  if (count > (end - *pos) / ELEMENT_HEADER)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) start + 270, 0,
                               _("target %u (alt %u) claims %u elements but only %zu bytes follow; "
                               "the element count is wrong or the file is truncated"),
                               index + 1, alt, count, end - *pos);
      return FALSE;
    }
  offsets = g_new0 (gsize, count + 1);

  for (guint32 i = 0; i < count; i++)
    {
      gsize element_start = *pos;

      offsets[i] = *pos;
      if (!parse_element (image, bytes, end, target, index, i, pos))
        return FALSE;
      consumed += *pos - element_start;
    }

  if (consumed != target_size)
    df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) start + 266, 0,
                             _("target %u (alt %u) says its elements take %u bytes but its %u elements take %zu"),
                             index + 1, alt, target_size, count, consumed);
  check_overlaps (image, target, offsets);
  return TRUE;
}

DfImage *
df_dfuse_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  DfImage *image = df_image_new (DF_FORMAT_DFUSE, name);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gssize content;
  gsize pos = PREFIX_SIZE;
  guint32 image_size;
  guint targets;

  if (size < PREFIX_SIZE || memcmp (data, "DfuSe", 5) != 0)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0,
                               _("not a DfuSe file: it does not start with \"DfuSe\""));
      return image;
    }
  content = df_dfu_read_suffix (image, bytes, flags);
  if (content < 0)
    return image;
  if (content < PREFIX_SIZE)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0, _("truncated: the DfuSe prefix runs into the suffix"));
      return image;
    }

  if (data[5] != 0x01)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, 5, 0,
                             _("DfuSe format version %u (expected 1); reading it as version 1"), data[5]);
  if (image->suffix.bcd_dfu != DF_BCD_DFU_DFUSE)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) size - 10, 0,
                             _("the suffix gives DFU version 0x%04x, not 0x011a as DfuSe files do"),
                             image->suffix.bcd_dfu);

  /* Tools disagree on DFUImageSize: ST's DfuFileMgr and MicroPython's dfu.py
   * leave the suffix out, dfu-util's dfuse-pack.py counts it. */
  image_size = df_le32 (data + 6);
  if (image_size == (guint64) content)
    ; /* the common case: everything before the suffix */
  else if (image_size == size - DF_SUFFIX_SIZE)
    df_image_add_diagnostic (image, DF_SEVERITY_NOTE, 6, 0,
                             _("DFUImageSize %u counts the extended suffix's extra bytes"), image_size);
  else if (image_size == size)
    df_image_add_diagnostic (image, DF_SEVERITY_NOTE, 6, 0,
                             _("DFUImageSize %u includes the suffix, as dfu-util's dfuse-pack.py writes "
                             "(ST's tools exclude it; fwupd refuses such files)"), image_size);
  else
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, 6, 0,
                             _("DFUImageSize is %u but the file holds %zd bytes before its suffix; ignored"),
                             image_size, content);

  targets = data[10];
  if (targets == 0)
    df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 10, 0, _("the DfuSe file has no targets: nothing to flash"));

  for (guint i = 0; i < targets; i++)
    if (!parse_target (image, bytes, data, (gsize) content, i, &pos))
      return image;

  if (pos < (gsize) content)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) pos, 0,
                             _("%zu trailing bytes after the last target are ignored"),
                             (gsize) content - pos);
  return image;
}

static gsize
padded_size (gsize size, const DfWriteOptions *options)
{
  return options->pad_to_8 ? (size + 7) & ~(gsize) 7 : size;
}

GBytes *
df_dfuse_write (DfImage *image, const DfWriteOptions *options, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (image->targets->len == 0 || image->targets->len > 255)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("a DfuSe file holds 1 to 255 targets; %s has %u"), image->source, image->targets->len);
      return NULL;
    }

  if (!df_image_check_addresses (image, "DfuSe", error))
    return NULL;
  g_byte_array_append (out, (const guint8 *) "DfuSe\x01", 6);
  df_append_le32 (out, 0); /* DFUImageSize, set below */
  g_byte_array_append (out, (const guint8[]) { image->targets->len }, 1);

  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      guint8 header[TARGET_PREFIX_SIZE] = { 0 };
      gsize target_size = 0;

      if (target->name != NULL && strlen (target->name) >= TARGET_NAME_SIZE)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("target name \"%s\" is longer than the 254 bytes DfuSe allows"), target->name);
          return NULL;
        }
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size = padded_size (g_bytes_get_size (segment->data), options);
          if (size > G_MAXUINT32 || (guint64) segment->address + size > (guint64) G_MAXUINT32 + 1)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                           _("element at 0x%08x with %zu bytes does not fit the 32-bit address space"),
                           segment->address, size);
              return NULL;
            }
          target_size += ELEMENT_HEADER + size;
        }
      if (target_size > G_MAXUINT32)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, _("target %u is larger than 4 GiB"), target->alt);
          return NULL;
        }

      memcpy (header, "Target", 6);
      header[6] = target->alt;
      if (target->name != NULL)
        {
          df_put_le32 (header + 7, 1);
          memcpy (header + 11, target->name, strlen (target->name));
        }
      df_put_le32 (header + 266, (guint32) target_size);
      df_put_le32 (header + 270, target->segments->len);
      g_byte_array_append (out, header, sizeof header);

      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize size;
          const guint8 *data = g_bytes_get_data (segment->data, &size);
          gsize padded = padded_size (size, options);

          df_append_le32 (out, segment->address);
          df_append_le32 (out, (guint32) padded);
          g_byte_array_append (out, data, (guint) size);
          for (gsize k = size; k < padded; k++)
            g_byte_array_append (out, &options->fill, 1);
        }
    }

  /* DFUImageSize without the suffix: ST's convention, the one fwupd accepts */
  df_put_le32 (out->data + 6, out->len);
  return df_dfu_append_suffix (out->data, out->len, options->vid, options->pid,
                               options->bcd_device, DF_BCD_DFU_DFUSE);
}
