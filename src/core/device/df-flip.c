#include <glib/gi18n.h>
#include <string.h>

#include "df-clock.h"
#include "df-error.h"
#include "df-flip.h"

/* the command bytes (doc7618 appendix, LUFA BootloaderDFU.h) */
enum {
  CMD_PROG_START = 0x01,
  CMD_DISPLAY_DATA = 0x03,
  CMD_WRITE = 0x04,
  CMD_READ = 0x05,
  CMD_CHANGE_BASE = 0x06,
};

/* a write block: a 32-byte header holding the command, the start address
 * modulo 32 in filler bytes (LUFA discards them; avrdude sends them),
 * the data, and a 16-byte suffix the bootloaders ignore */
#define HEADER_SIZE 32
#define SUFFIX_SIZE 16
#define ERASE_POLL_MS 20

static gboolean
device_error (DfConnection *c, const DfStatus *status, const gchar *what, GError **error)
{
  gint code = status->status == DF_STATUS_ERR_WRITE || status->status == DF_STATUS_ERR_ERASE ||
              status->status == DF_STATUS_ERR_PROG ? DF_ERROR_WRITE
            : status->status == DF_STATUS_ERR_ADDRESS || status->status == DF_STATUS_ERR_TARGET ? DF_ERROR_ADDRESS
            : DF_ERROR_DEVICE;

  g_set_error (error, DF_ERROR, code, _("%s: the device reported %s (%s)"), what,
               df_status_to_string (status->status), df_status_describe (status->status));
  return FALSE;
}

/* a command DNLOAD and the GETSTATUS that tells how it went; a stall is
 * the bootloader refusing it (dfuERROR/errWRITE from a locked chip) */
static gboolean
command (DfConnection *c, const guint8 *cmd, gsize length, const gchar *what, DfStatus *status, GError **error)
{
  g_autoptr(GError) local = NULL;
  DfStatus scratch;

  if (status == NULL)
    status = &scratch;
  if (!df_dfu_dnload (c, 0, cmd, length, &local))
    {
      DfStatus after;
      if (g_error_matches (local, DF_ERROR, DF_ERROR_STALLED) && df_dfu_get_status (c, &after, NULL) &&
          after.status != DF_STATUS_OK)
        return device_error (c, &after, what, error);
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", what);
      return FALSE;
    }
  if (!df_dfu_get_status (c, status, error))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  if (status->status != DF_STATUS_OK || status->state == DF_STATE_ERROR)
    return device_error (c, status, what, error);
  return TRUE;
}

gboolean
df_flip_make_idle (DfConnection *c, GError **error)
{
  c->flip_page = -1;
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      DfStatus status;

      if (!df_dfu_get_status (c, &status, error))
        return FALSE;
      if (status.state == DF_STATE_DFU_IDLE && status.status == DF_STATUS_OK)
        return TRUE;
      /* LUFA's CLRSTATUS resets the status only; its ABORT the state */
      if (status.status != DF_STATUS_OK || status.state == DF_STATE_ERROR)
        if (!df_dfu_clear_status (c, error))
          return FALSE;
      if (!df_dfu_abort (c, error))
        return FALSE;
    }
  g_set_error (error, DF_ERROR, DF_ERROR_DEVICE,
               _("the bootloader does not return to dfuIDLE; unplug the keyboard and enter its bootloader again"));
  return FALSE;
}

gboolean
df_flip_read_config (DfConnection *c, guint8 group, guint8 index, guint8 *value, GError **error)
{
  const guint8 cmd[3] = { CMD_READ, group, index };
  gsize actual = 0;

  if (!command (c, cmd, sizeof cmd, _("reading the chip's identity"), NULL, error))
    return FALSE;
  if (!df_dfu_upload (c, 0, value, 1, &actual, error))
    return FALSE;
  if (actual != 1)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("reading the chip's identity: the device answered %zu bytes instead of 1"), actual);
      return FALSE;
    }
  return TRUE;
}

gboolean
df_flip_read_signature (DfConnection *c, guint8 signature[3], GError **error)
{
  static const guint8 index[3] = { 0x31, 0x60, 0x61 };

  for (guint i = 0; i < 3; i++)
    if (!df_flip_read_config (c, 0x01, index[i], &signature[i], error))
      return FALSE;
  return TRUE;
}

gboolean
df_flip_read_bootloader_version (DfConnection *c, guint8 *version, GError **error)
{
  return df_flip_read_config (c, 0x00, 0x00, version, error);
}

gboolean
df_flip_chip_erase (DfConnection *c, GError **error)
{
  static const guint8 cmd[3] = { CMD_WRITE, 0x00, 0xff };
  gint64 deadline = df_clock_now_us () + (gint64) DF_FLIP_ERASE_MAX_MS * 1000;
  guint saved = c->request_timeout_ms;
  DfStatus status;
  gboolean ok;

  if (!df_dfu_dnload (c, 0, cmd, sizeof cmd, error))
    {
      g_prefix_error (error, _("erasing the chip: "));
      return FALSE;
    }
  for (;;)
    {
      /* the factory bootloader holds the status request until it is done
       * (avrdude's flip1 and dfu-programmer 0.6 wait on it) */
      c->request_timeout_ms = DF_FLIP_ERASE_MAX_MS;
      ok = df_dfu_get_status (c, &status, error);
      c->request_timeout_ms = saved;
      if (!ok)
        {
          g_prefix_error (error, _("erasing the chip: "));
          return FALSE;
        }
      /* others answer busy until done (dfu-programmer 0.7 polls them) */
      if (status.status == DF_STATUS_ERR_NOTDONE && status.state == DF_STATE_DNBUSY)
        {
          if (df_clock_now_us () >= deadline)
            {
              g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                           _("erasing the chip: the device is still busy after %u s; unplug the keyboard, "
                             "enter its bootloader again and retry"), DF_FLIP_ERASE_MAX_MS / 1000);
              return FALSE;
            }
          if (!df_sleep_ms (ERASE_POLL_MS, c->cancellable, error))
            return FALSE;
          continue;
        }
      if (status.status != DF_STATUS_OK || status.state == DF_STATE_ERROR)
        return device_error (c, &status, _("erasing the chip"), error);
      return TRUE;
    }
}

gboolean
df_flip_blank_check (DfConnection *c, guint16 start, guint16 end, gboolean *blank, guint16 *first_used,
                     GError **error)
{
  const guint8 cmd[6] = { CMD_DISPLAY_DATA, 0x01, start >> 8, start & 0xff, end >> 8, end & 0xff };
  g_autoptr(GError) local = NULL;
  DfStatus status;
  guint8 at[2];
  gsize actual = 0;

  if (command (c, cmd, sizeof cmd, _("checking that the flash is blank"), &status, &local))
    {
      *blank = TRUE;
      return TRUE;
    }
  if (status.status != DF_STATUS_ERR_CHECK_ERASED)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* not blank: a 2-byte UPLOAD says where (LUFA sends it little-endian) */
  *blank = FALSE;
  if (!df_dfu_upload (c, 0, at, sizeof at, &actual, error) || !df_flip_make_idle (c, error))
    return FALSE;
  *first_used = actual == 2 ? (guint16) (at[0] | (at[1] << 8)) : start;
  return TRUE;
}

gboolean
df_flip_is_locked (DfConnection *c, gboolean *locked, GError **error)
{
  const guint8 cmd[6] = { CMD_DISPLAY_DATA, 0x01, 0, 0, 0, 0 };
  g_autoptr(GError) local = NULL;
  DfStatus status = { 0 };

  *locked = FALSE;
  if (command (c, cmd, sizeof cmd, "lock", &status, &local))
    return TRUE;
  *locked = g_error_matches (local, DF_ERROR, DF_ERROR_WRITE);
  if (!*locked && status.status != DF_STATUS_ERR_CHECK_ERASED)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return df_flip_make_idle (c, error);
}

gboolean
df_flip_select_page (DfConnection *c, guint8 page, GError **error)
{
  const guint8 cmd[4] = { CMD_CHANGE_BASE, 0x03, 0x00, page };

  if (c->flip_page == page)
    return TRUE;
  if (!command (c, cmd, sizeof cmd, _("selecting a 64 KiB page of flash"), NULL, error))
    return FALSE;
  c->flip_page = page;
  return TRUE;
}

static gboolean
check_block (guint32 address, gsize length, GError **error)
{
  if (length == 0 || length > DF_FLIP_MAX_BLOCK || (address >> 16) != ((address + length - 1) >> 16))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   "FLIP block of %zu bytes at 0x%05x: 1 to %u bytes within one 64 KiB page", length,
                   address, DF_FLIP_MAX_BLOCK);
      return FALSE;
    }
  return TRUE;
}

gboolean
df_flip_write_block (DfConnection *c, DfFlipMemory memory, guint32 address, const guint8 *data, gsize length,
                     GError **error)
{
  guint16 start = address & 0xffff;
  guint16 end = (guint16) (start + length - 1);
  gsize filler = start % HEADER_SIZE;
  g_autofree guint8 *message = NULL;
  gsize size = HEADER_SIZE + filler + length + SUFFIX_SIZE;

  if (!check_block (address, length, error))
    return FALSE;
  if (memory == DF_FLIP_FLASH && !df_flip_select_page (c, (guint8) (address >> 16), error))
    return FALSE;
  message = g_malloc0 (size);
  message[0] = CMD_PROG_START;
  message[1] = memory == DF_FLIP_EEPROM ? 0x01 : 0x00;
  message[2] = start >> 8;
  message[3] = start & 0xff;
  message[4] = end >> 8;
  message[5] = end & 0xff;
  memcpy (message + HEADER_SIZE + filler, data, length);
  return command (c, message, size, memory == DF_FLIP_EEPROM ? _("writing the EEPROM") : _("writing the flash"),
                  NULL, error);
}

gboolean
df_flip_read_block (DfConnection *c, DfFlipMemory memory, guint32 address, guint8 *data, gsize length,
                    GError **error)
{
  guint16 start = address & 0xffff;
  guint16 end = (guint16) (start + length - 1);
  const guint8 cmd[6] = { CMD_DISPLAY_DATA, memory == DF_FLIP_EEPROM ? 0x02 : 0x00,
                          start >> 8, start & 0xff, end >> 8, end & 0xff };
  const gchar *what = memory == DF_FLIP_EEPROM ? _("reading the EEPROM") : _("reading the flash");
  g_autoptr(GError) local = NULL;
  gsize actual = 0;

  if (!check_block (address, length, error))
    return FALSE;
  if (memory == DF_FLIP_FLASH && !df_flip_select_page (c, (guint8) (address >> 16), error))
    return FALSE;
  /* the bootloaders prepare the read in the DNLOAD: the data follows at
   * once (dfu-programmer asks no status in between) */
  if (!df_dfu_dnload (c, 0, cmd, sizeof cmd, &local))
    {
      DfStatus after;
      if (g_error_matches (local, DF_ERROR, DF_ERROR_STALLED) && df_dfu_get_status (c, &after, NULL) &&
          after.status == DF_STATUS_ERR_WRITE)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_PROTECTED,
                       _("%s: the chip is locked (Atmel's bootloader allows reading only after a chip erase, "
                         "which also erases the firmware)"), what);
          return FALSE;
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", what);
      return FALSE;
    }
  if (!df_dfu_upload (c, 0, data, length, &actual, error))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  if (actual != length)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL, _("%s: the device sent %zu bytes instead of %zu"), what,
                   actual, length);
      return FALSE;
    }
  return TRUE;
}

gboolean
df_flip_start_application (DfConnection *c, gboolean reset, GError **error)
{
  const guint8 watchdog[3] = { CMD_WRITE, 0x03, 0x00 };
  const guint8 jump[5] = { CMD_WRITE, 0x03, 0x01, 0x00, 0x00 };
  g_autoptr(GError) local = NULL;

  if (!df_dfu_dnload (c, 0, reset ? watchdog : jump, reset ? sizeof watchdog : sizeof jump, error))
    {
      g_prefix_error (error, _("starting the application: "));
      return FALSE;
    }
  /* the command runs at the next DNLOAD; the device may be gone before
   * it answers */
  if (!df_dfu_dnload (c, 0, NULL, 0, &local) && !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), _("starting the application: "));
      return FALSE;
    }
  return TRUE;
}
