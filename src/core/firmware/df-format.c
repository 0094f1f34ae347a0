/* df-format.c: picking a format for a file and loading or saving an image
 * in it.  Content decides first; the extension only names raw binaries. */
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-formats.h"

static const struct {
  const gchar *extension;
  DfFormat format;
} extensions[] = {
  { ".dfu", DF_FORMAT_DFUSE }, { ".dfuse", DF_FORMAT_DFUSE },
  { ".hex", DF_FORMAT_IHEX }, { ".ihex", DF_FORMAT_IHEX }, { ".ihx", DF_FORMAT_IHEX },
  { ".srec", DF_FORMAT_SREC }, { ".s19", DF_FORMAT_SREC }, { ".s28", DF_FORMAT_SREC },
  { ".s37", DF_FORMAT_SREC }, { ".mot", DF_FORMAT_SREC },
  { ".elf", DF_FORMAT_ELF }, { ".axf", DF_FORMAT_ELF },
  { ".bin", DF_FORMAT_RAW },
};

DfFormat
df_format_from_extension (const gchar *path)
{
  const gchar *dot = strrchr (path, '.');
  for (guint i = 0; dot != NULL && i < G_N_ELEMENTS (extensions); i++)
    if (g_ascii_strcasecmp (dot, extensions[i].extension) == 0)
      return extensions[i].format;
  return DF_FORMAT_UNKNOWN;
}

static gboolean
looks_like_text_records (const guint8 *data, gsize size, gchar start)
{
  gsize i = 0;
  if (size >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < size && g_ascii_isspace (data[i]))
    i++;
  if (i >= size || data[i] != start)
    return FALSE;
  if (start == 'S')
    return i + 1 < size && g_ascii_isdigit (data[i + 1]);
  return i + 1 < size && g_ascii_isxdigit (data[i + 1]);
}

DfFormat
df_format_detect (GBytes *bytes, const gchar *name)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  if (size >= 5 && memcmp (data, "DfuSe", 5) == 0)
    return DF_FORMAT_DFUSE;
  if (df_dfu_has_suffix (bytes))
    return DF_FORMAT_DFU;
  if (size >= 4 && memcmp (data, "\x7f" "ELF", 4) == 0)
    return DF_FORMAT_ELF;
  if (looks_like_text_records (data, size, ':'))
    return DF_FORMAT_IHEX;
  if (looks_like_text_records (data, size, 'S'))
    return DF_FORMAT_SREC;
  if (name != NULL && df_format_from_extension (name) == DF_FORMAT_RAW)
    return DF_FORMAT_RAW;
  return DF_FORMAT_UNKNOWN;
}

DfImage *
df_image_load_bytes (GBytes *bytes, const gchar *name, DfFormat format,
                     gboolean has_address, guint32 address, DfLoadFlags flags,
                     GError **error)
{
  DfImage *image;

  if (format == DF_FORMAT_UNKNOWN)
    format = df_format_detect (bytes, name);
  /* an address given for a file of unknown content means "it is raw" */
  if (format == DF_FORMAT_UNKNOWN && has_address)
    format = DF_FORMAT_RAW;

  switch (format)
    {
    case DF_FORMAT_DFUSE:
      return df_dfuse_parse (bytes, name, flags);
    case DF_FORMAT_DFU:
      return df_dfu_parse (bytes, name, flags);
    case DF_FORMAT_IHEX:
      return df_ihex_parse (bytes, name, flags);
    case DF_FORMAT_SREC:
      return df_srec_parse (bytes, name, flags);
    case DF_FORMAT_ELF:
      return df_elf_parse (bytes, name, flags);
    case DF_FORMAT_RAW:
      if (df_format_detect (bytes, NULL) == DF_FORMAT_DFUSE || df_dfu_has_suffix (bytes))
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("%s is a DFU file, not a raw binary: open it without an address"), name);
          return NULL;
        }
      if (!has_address)
        {
          /* a payload without address, like a plain DFU file: writers and
           * devices that need an address refuse it when they see it */
          image = df_image_new (DF_FORMAT_RAW, name);
          df_target_add_payload (df_image_add_target (image, 0, NULL), bytes);
          df_image_add_diagnostic (image, DF_SEVERITY_NOTE, -1, 0,
                                   _("a raw binary has no address in it: give its load address "
                                   "(for example 0x08000000) to flash it or to convert it to DfuSe, HEX, S-record or ELF"));
          return image;
        }
      return df_raw_parse (bytes, name, address);
    case DF_FORMAT_UNKNOWN:
    default:
      break;
    }

  image = df_image_new (DF_FORMAT_UNKNOWN, name);
  df_image_add_diagnostic (image, DF_SEVERITY_ERROR, -1, 0,
                           _("not a firmware file Defuse can read: no DfuSe prefix, no DFU suffix, "
                           "not ELF, Intel HEX or S-record; a raw binary needs its load address"));
  return image;
}

DfImage *
df_image_load_file (const gchar *path, DfFormat format, gboolean has_address,
                    guint32 address, DfLoadFlags flags, GError **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;

  /* mmap() of a folder or a device fails with "No such device": say what it is */
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("%s is a folder, not a firmware file"), path);
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO,
                   _("%s is a device or a pipe, not a firmware file: give the path of a file"), path);
      return NULL;
    }
  /* mapped, not read: a large file costs no copy, and segments slice it */
  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error_literal (error, DF_ERROR, DF_ERROR_IO, local->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  return df_image_load_bytes (bytes, path, format, has_address, address, flags, error);
}

GBytes *
df_image_write (DfImage *image, DfFormat format, const DfWriteOptions *options,
                GError **error)
{
  guint32 base;

  switch (format)
    {
    case DF_FORMAT_DFUSE:
      return df_dfuse_write (image, options, error);
    case DF_FORMAT_DFU:
      return df_dfu_write (image, options, error);
    case DF_FORMAT_IHEX:
      return df_ihex_write (image, error);
    case DF_FORMAT_SREC:
      return df_srec_write (image, error);
    case DF_FORMAT_ELF:
      return df_elf_write (image, error);
    case DF_FORMAT_RAW:
      return df_raw_write (image, options, &base, error);
    case DF_FORMAT_UNKNOWN:
    default:
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("no output format chosen"));
      return NULL;
    }
}

gboolean
df_image_save_file (DfImage *image, const gchar *path, DfFormat format,
                    const DfWriteOptions *options, GError **error)
{
  g_autoptr(GBytes) bytes = df_image_write (image, format, options, error);
  gsize size;
  const gchar *data;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &size);
  return df_file_save (path, data, size, error);
}

gboolean
df_file_save (const gchar *path, const void *data, gsize size, GError **error)
{
  g_autoptr(GError) local = NULL;
  const gchar *reason;

  /* CONSISTENT writes a temporary file and renames it over the target */
  if (g_file_set_contents_full (path, data, (gssize) size,
                                G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    return TRUE;
  /* GLib's message names its temporary file ("x.hex.RC3GZ3"), which the
   * user never asked for: keep only its reason, after the last ": " */
  reason = g_strrstr (local->message, ": ");
  g_set_error (error, DF_ERROR, DF_ERROR_IO, _("could not write %s: %s"), path,
               reason != NULL ? reason + 2 : local->message);
  return FALSE;
}
