/* df-dfu.c: the DFU suffix (DFU 1.1 appendix B) and plain DFU files, which
 * are a raw payload followed by that suffix and carry no address. */
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-le.h"

/* offsets inside the standard 16 bytes at the very end of the file */
#define SUFFIX_SIGNATURE 8  /* "UFD" */
#define SUFFIX_LENGTH    11 /* bLength */
#define SUFFIX_CRC       12 /* dwCRC */

void
df_write_options_init (DfWriteOptions *options)
{
  memset (options, 0, sizeof *options);
  options->vid = DF_ID_ANY;
  options->pid = DF_ID_ANY;
  options->bcd_device = DF_ID_ANY;
  options->pad_to_8 = TRUE;
  options->fill = 0xFF;
}

gboolean
df_dfu_has_suffix (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const guint8 *suffix;

  if (size < DF_SUFFIX_SIZE)
    return FALSE;
  suffix = data + size - DF_SUFFIX_SIZE;
  return memcmp (suffix + SUFFIX_SIGNATURE, "UFD", 3) == 0;
}

gssize
df_dfu_read_suffix (DfImage *image, GBytes *bytes, DfLoadFlags flags)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const guint8 *suffix;
  DfSuffix *s = &image->suffix;

  if (!df_dfu_has_suffix (bytes))
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, size >= DF_SUFFIX_SIZE ? (gint64) (size - 8) : -1, 0,
                               _("not a DFU file: it does not end with a DFU suffix (signature \"UFD\"); "
                               "if this is a raw binary, give its load address"));
      return -1;
    }

  suffix = data + size - DF_SUFFIX_SIZE;
  s->bcd_device = df_le16 (suffix + 0);
  s->pid = df_le16 (suffix + 2);
  s->vid = df_le16 (suffix + 4);
  s->bcd_dfu = df_le16 (suffix + 6);
  s->length = suffix[SUFFIX_LENGTH];
  s->crc_stored = df_le32 (suffix + SUFFIX_CRC);
  s->crc_computed = df_dfu_crc (data, size - 4);
  image->has_suffix = TRUE;

  if (s->length < DF_SUFFIX_SIZE || s->length > size)
    {
      df_image_add_diagnostic (image, DF_SEVERITY_ERROR, (gint64) (size - DF_SUFFIX_SIZE + SUFFIX_LENGTH), 0,
                               _("DFU suffix length bLength is %u; it must be at least 16 and at most the file size (%zu)"),
                               s->length, size);
      return -1;
    }
  if (s->length > DF_SUFFIX_SIZE)
    df_image_add_diagnostic (image, DF_SEVERITY_NOTE, (gint64) (size - s->length), 0,
                             _("extended DFU suffix of %u bytes (older fwupd wrote metadata there); "
                             "the %u extra bytes are not firmware and are ignored"),
                             s->length, s->length - DF_SUFFIX_SIZE);

  if (s->crc_stored != s->crc_computed)
    df_image_add_diagnostic (image, (flags & DF_LOAD_IGNORE_CRC) ? DF_SEVERITY_WARNING : DF_SEVERITY_ERROR,
                             (gint64) (size - 4), 0,
                             _("CRC mismatch: the suffix says 0x%08x but the file's bytes give 0x%08x; "
                             "the file is damaged or was edited after it was made"),
                             s->crc_stored, s->crc_computed);

  if (s->bcd_dfu != DF_BCD_DFU_PLAIN && s->bcd_dfu != DF_BCD_DFU_1_1 && s->bcd_dfu != DF_BCD_DFU_DFUSE)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, (gint64) (size - DF_SUFFIX_SIZE + 6), 0,
                             _("unknown DFU version 0x%04x in the suffix (expected 0x0100, 0x0110 or 0x011a)"),
                             s->bcd_dfu);

  /* ST's DfuFileMgr writes PID 0x0000; dfu-util refuses such files, which
   * users report as a bug.  Treat it as "any product" and say so. */
  if (s->pid == 0x0000)
    df_image_add_diagnostic (image, DF_SEVERITY_NOTE, (gint64) (size - DF_SUFFIX_SIZE + 2), 0,
                             _("product id 0x0000 (as ST's DfuFileMgr writes) is treated as unspecified: "
                             "the file is not checked against the device's product id"));
  if (s->vid == 0x0000)
    df_image_add_diagnostic (image, DF_SEVERITY_NOTE, (gint64) (size - DF_SUFFIX_SIZE + 4), 0,
                             _("vendor id 0x0000 is treated as unspecified"));

  return (gssize) (size - s->length);
}

DfImage *
df_dfu_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags)
{
  DfImage *image = df_image_new (DF_FORMAT_DFU, name);
  g_autoptr(GBytes) payload = NULL;
  gssize content;
  DfTarget *target;

  content = df_dfu_read_suffix (image, bytes, flags);
  if (content < 0)
    return image;

  if (image->suffix.bcd_dfu == DF_BCD_DFU_DFUSE)
    df_image_add_diagnostic (image, DF_SEVERITY_WARNING, -1, 0,
                             _("the suffix says DfuSe (bcdDFU 0x011a) but the file has no DfuSe prefix; "
                             "it is read as a plain DFU payload with no address"));
  if (content == 0)
    df_image_add_diagnostic (image, DF_SEVERITY_ERROR, 0, 0, _("the DFU file holds no firmware: its payload is empty"));

  payload = g_bytes_new_from_bytes (bytes, 0, (gsize) content);
  target = df_image_add_target (image, 0, NULL);
  df_target_add_payload (target, payload);
  return image;
}

GBytes *
df_dfu_append_suffix (const guint8 *content, gsize size, guint16 vid, guint16 pid,
                      guint16 bcd_device, guint16 bcd_dfu)
{
  GByteArray *out = g_byte_array_sized_new (size + DF_SUFFIX_SIZE);

  g_byte_array_append (out, content, size);
  df_append_le16 (out, bcd_device);
  df_append_le16 (out, pid);
  df_append_le16 (out, vid);
  df_append_le16 (out, bcd_dfu);
  g_byte_array_append (out, (const guint8 *) "UFD", 3);
  g_byte_array_append (out, (const guint8[]) { DF_SUFFIX_SIZE }, 1);
  df_append_le32 (out, df_dfu_crc (out->data, out->len));
  return g_byte_array_free_to_bytes (out);
}

GBytes *
df_dfu_write (DfImage *image, const DfWriteOptions *options, GError **error)
{
  DfTarget *target;
  DfSegment *segment;
  gsize size;
  const guint8 *data;

  if (image->targets->len != 1 ||
      ((DfTarget *) g_ptr_array_index (image->targets, 0))->segments->len != 1)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("a plain DFU file holds one payload and no address, but %s has %u targets and %zu segments; "
                   "write a DfuSe file instead (--to dfuse)"),
                   image->source, image->targets->len,
                   image->targets->len == 1 ? (gsize) ((DfTarget *) g_ptr_array_index (image->targets, 0))->segments->len : 0);
      return NULL;
    }
  target = g_ptr_array_index (image->targets, 0);
  segment = g_ptr_array_index (target->segments, 0);
  data = g_bytes_get_data (segment->data, &size);
  return df_dfu_append_suffix (data, size, options->vid, options->pid,
                               options->bcd_device, DF_BCD_DFU_PLAIN);
}
