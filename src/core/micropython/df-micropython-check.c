/* df-micropython-check.c: a firmware file's MicroPython banner and the
 * checks on downloaded files. */
#define _GNU_SOURCE  /* memmem */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-micropython-check.h"

#define BANNER_PREFIX "MicroPython v"
/* the STM32 system bootloader's ids, which dfu.py writes into MicroPython's
 * .dfu files; mboot enumerates with the same (ports/stm32/mboot: MBOOT_USB_VID,
 * MBOOT_USB_PID default 0x0483, 0xDF11) */
#define ST_DFU_VID 0x0483
#define ST_DFU_PID 0xDF11

void
df_mp_banner_free (DfMpBanner *banner)
{
  if (banner == NULL)
    return;
  g_free (banner->version);
  g_free (banner->date);
  g_free (banner->machine);
  g_free (banner);
}

/* the printable run from p up to stop (or a control byte, or end) */
static const guint8 *
printable_until (const guint8 *p, const guint8 *end, const gchar *stop)
{
  gsize stop_len = strlen (stop);

  for (; p < end && *p >= 0x20 && *p < 0x7f; p++)
    if (stop_len > 0 && (gsize) (end - p) >= stop_len && memcmp (p, stop, stop_len) == 0)
      return p;
  return stop_len > 0 ? NULL : p;
}

/* "1.25.0 on 2025-04-15; PYBv1.1 with STM32F405RG" after the prefix */
static DfMpBanner *
parse_banner (const guint8 *p, const guint8 *end)
{
  const guint8 *on = printable_until (p, end, " on ");
  const guint8 *semi = on != NULL ? printable_until (on + 4, end, "; ") : NULL;
  const guint8 *stop = semi != NULL ? printable_until (semi + 2, end, "") : NULL;
  DfMpBanner *banner;

  if (stop == NULL || on == p || !g_ascii_isdigit (*p) || stop == semi + 2)
    return NULL;
  banner = g_new0 (DfMpBanner, 1);
  banner->version = g_strndup ((const gchar *) p, (gsize) (on - p));
  banner->date = g_strndup ((const gchar *) on + 4, (gsize) (semi - on - 4));
  banner->machine = g_strndup ((const gchar *) semi + 2, (gsize) (stop - semi - 2));
  return banner;
}

DfMpBanner *
df_mp_banner_find (DfImage *image)
{
  g_autoptr(GPtrArray) segments = df_image_list_segments (image);
  gsize prefix_len = strlen (BANNER_PREFIX);

  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (segment->data, &size);
      const guint8 *end = data + size;

      for (const guint8 *p = data; p != NULL && (gsize) (end - p) > prefix_len; p++)
        {
          DfMpBanner *banner;
          p = memmem (p, (gsize) (end - p), BANNER_PREFIX, prefix_len);
          if (p == NULL)
            break;
          /* "MicroPython v" also starts other strings (help texts): the
           * banner is the one that parses */
          banner = parse_banner (p + prefix_len, end);
          if (banner != NULL)
            return banner;
        }
    }
  return NULL;
}

gboolean
df_micropython_check_banner (DfImage *image, const gchar *machine, GError **error)
{
  g_autoptr(DfMpBanner) banner = NULL;

  if (machine == NULL)
    return TRUE;
  banner = df_mp_banner_find (image);
  if (banner == NULL || g_strcmp0 (banner->machine, machine) == 0)
    return TRUE;
  g_set_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
               _("the file is MicroPython v%s built for “%s” but this board is “%s”; "
                 "flash it only if you are sure it is the right firmware (--force)"),
               banner->version, banner->machine, machine);
  return FALSE;
}

/* the banner names the board or one of its variants */
static gboolean
banner_fits_board (const DfMpBanner *banner, DfMpBoard *board)
{
  g_autofree gchar *standard = df_mp_board_machine (board, NULL);

  if (standard == NULL)
    {
      /* the sources did not give plain names (rp2 boards): the board
       * name, where known, must still start it */
      return board->name == NULL || g_str_has_prefix (banner->machine, board->name);
    }
  if (g_strcmp0 (standard, banner->machine) == 0)
    return TRUE;
  for (guint v = 0; board->variants[v] != NULL; v++)
    {
      g_autofree gchar *own = df_mp_board_machine (board, board->variants[v]);
      if (g_strcmp0 (own, banner->machine) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_elements (DfImage *image, DfMpBoard *board, GError **error)
{
  g_autoptr(GPtrArray) segments = df_image_list_segments (image);

  if (board->flash_end == 0)
    return TRUE;  /* the sources do not say */
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      gsize len = g_bytes_get_size (segment->data);
      guint64 last = (guint64) segment->address + len - 1;

      if (len > 0 && (!segment->has_address || segment->address < board->flash_start || last > board->flash_end))
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INVALID_FILE,
                       _("element %u (0x%08x-0x%08" PRIx64 ") lies outside %s's flash "
                         "(0x%08x-0x%08x)"), i + 1, segment->address, last, board->id,
                       board->flash_start, board->flash_end);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
df_mp_check_download (GBytes *bytes, DfMpBoard *board, const DfMpRelease *release, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(DfMpBanner) banner = NULL;

  image = df_image_load_bytes (bytes, release->file_name, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &local);
  if (image != NULL && image->format != DF_FORMAT_DFUSE)
    g_set_error (&local, DF_ERROR, DF_ERROR_INVALID_FILE, _("it is not a DfuSe file (it reads as %s)"),
                 df_format_to_string (image->format));
  else if (image != NULL && df_image_check (image, &local))
    {
      guint16 vid = image->suffix.vid, pid = image->suffix.pid;
      if (!((vid == ST_DFU_VID || vid == DF_ID_ANY) && (pid == ST_DFU_PID || pid == DF_ID_ANY)))
        g_set_error (&local, DF_ERROR, DF_ERROR_INVALID_FILE,
                     _("it is for USB device %04x:%04x, not the STM32 DFU bootloader (0483:df11)"), vid, pid);
      else if (check_elements (image, board, &local) && (banner = df_mp_banner_find (image)) != NULL)
        {
          if (!banner_fits_board (banner, board))
            g_set_error (&local, DF_ERROR, DF_ERROR_INVALID_FILE,
                         _("its banner says it is built for “%s”, not for %s"), banner->machine, board->id);
          else if (df_mp_version_compare (banner->version, release->version, NULL) != 0)
            g_set_error (&local, DF_ERROR, DF_ERROR_INVALID_FILE,
                         _("its banner says MicroPython v%s, its name v%s"), banner->version, release->version);
        }
    }
  if (local == NULL)
    return TRUE;
  g_set_error (error, DF_ERROR, DF_ERROR_INVALID_FILE, _("%s fails its checks, so it was not used: %s"),
               release->file_name, local->message);
  return FALSE;
}
