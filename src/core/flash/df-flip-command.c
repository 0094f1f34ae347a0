#include <inttypes.h>
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-flip-command.h"
#include "df-usb.h"

static gboolean
is_flip (DfDevice *device, GError **error)
{
  if (device->mode == DF_DEVICE_MODE_FLIP && device->flip_chip != NULL)
    return TRUE;
  g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED, _("this device does not speak Atmel's FLIP protocol"));
  return FALSE;
}

/* opens a FLIP device and brings it to dfuIDLE */
static DfTransport *
open_flip (DfDevice *device, DfConnection *conn, GCancellable *cancellable, GError **error)
{
  DfTransport *transport;

  if (!is_flip (device, error))
    return NULL;
  transport = df_usb_connect (device, cancellable, conn, error);
  if (transport == NULL)
    return NULL;
  if (!df_flip_make_idle (conn, error))
    {
      df_transport_close (transport);
      return NULL;
    }
  return transport;
}

gboolean
df_flip_device_identify (DfDevice *device, DfFlipIdentity *identity, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  transport = open_flip (device, &conn, cancellable, error);
  if (transport == NULL)
    return FALSE;
  if (!df_flip_read_bootloader_version (&conn, &identity->bootloader_version, error) ||
      !df_flip_read_config (&conn, 0x00, 0x01, &identity->bootloader_id[0], error) ||
      !df_flip_read_config (&conn, 0x00, 0x02, &identity->bootloader_id[1], error) ||
      !df_flip_read_signature (&conn, identity->signature, error))
    return FALSE;
  identity->chip = df_flip_chip_by_signature (device->pid, identity->signature);
  return TRUE;
}

gboolean
df_flip_device_read_config (DfDevice *device, guint8 group, guint8 index, guint8 *value, GCancellable *cancellable,
                            GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  transport = open_flip (device, &conn, cancellable, error);
  return transport != NULL && df_flip_read_config (&conn, group, index, value, error);
}

static gboolean
blank_check (DfConnection *conn, const DfFlipChip *chip, gboolean *blank, guint32 *first_used, GError **error)
{
  guint32 app = df_flip_chip_app_size (chip);

  *blank = TRUE;
  for (guint32 at = 0; at < app; at += 0x10000)
    {
      guint32 end = MIN (app, at + 0x10000) - 1;
      guint16 used = 0;

      if (!df_flip_select_page (conn, (guint8) (at >> 16), error) ||
          !df_flip_blank_check (conn, at & 0xffff, end & 0xffff, blank, &used, error))
        return FALSE;
      if (!*blank)
        {
          *first_used = at + used;
          return TRUE;
        }
    }
  return TRUE;
}

gboolean
df_flip_device_blank_check (DfDevice *device, gboolean *blank, guint32 *first_used, GCancellable *cancellable,
                            GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  transport = open_flip (device, &conn, cancellable, error);
  return transport != NULL && blank_check (&conn, device->flip_chip, blank, first_used, error);
}

gboolean
df_flip_device_erase (DfDevice *device, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;
  gboolean blank = FALSE;
  guint32 used = 0;

  transport = open_flip (device, &conn, cancellable, error);
  if (transport == NULL || !df_flip_chip_erase (&conn, error) ||
      !blank_check (&conn, device->flip_chip, &blank, &used, error))
    return FALSE;
  if (!blank)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_WRITE,
                   _("the chip erase left the flash at 0x%05x not blank; unplug the keyboard, enter its bootloader "
                     "again and retry"), used);
      return FALSE;
    }
  return TRUE;
}

GBytes *
df_flip_device_read (DfDevice *device, DfFlipMemory memory, guint32 address, gsize length, DfChunkFunc func,
                     gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  g_autofree guint8 *data = NULL;
  DfConnection conn;
  guint64 size;

  if (!is_flip (device, error))
    return NULL;
  size = memory == DF_FLIP_EEPROM ? device->flip_chip->eeprom_size : device->flip_chip->flash_size;
  /* no length: the memory from address to its end */
  if (length == 0 && address < size)
    length = (gsize) (size - address);
  /* refused before the device is opened */
  if (length == 0 || (guint64) address + length > size)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("0x%05x–0x%05" PRIx64 " is outside the %s's %s (%" PRIu64 " bytes)"),
                   address, (guint64) address + length - 1, device->flip_chip->name,
                   memory == DF_FLIP_EEPROM ? _("EEPROM") : _("flash"), size);
      return NULL;
    }
  transport = open_flip (device, &conn, cancellable, error);
  if (transport == NULL)
    return NULL;
  data = g_malloc (MAX (length, 1));
  for (gsize off = 0; off < length;)
    {
      guint32 at = (guint32) (address + off);
      gsize n = MIN (MIN (length - off, DF_FLIP_MAX_BLOCK), 0x10000 - (at & 0xffff));

      if (!df_flip_read_block (&conn, memory, at, data + off, n, error))
        return NULL;
      if (func != NULL)
        func (n, at, user_data);
      off += n;
    }
  return g_bytes_new_take (g_steal_pointer (&data), length);
}

gboolean
df_flip_device_start (DfDevice *device, gboolean reset, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  DfConnection conn;

  transport = open_flip (device, &conn, cancellable, error);
  return transport != NULL && df_flip_start_application (&conn, reset, error);
}

DfImage *
df_flip_eeprom_image_new (guint32 address, const guint8 *bytes, gsize size)
{
  DfImage *image = df_image_new (DF_FORMAT_IHEX, "EEPROM");
  DfTarget *target = df_image_add_target (image, DF_FLIP_EEPROM, "EEPROM");
  g_autoptr(GBytes) data = g_bytes_new (bytes, size);

  df_target_add_segment (target, address, data);
  return image;
}

DfImage *
df_flip_eeprom_clear_image_new (void)
{
  /* QMK Toolbox's reset.eep: ":0100000000FF" */
  static const guint8 zero = 0x00;
  return df_flip_eeprom_image_new (0, &zero, 1);
}

DfImage *
df_flip_eeprom_handedness_image_new (gboolean left)
{
  /* QMK's quantum/split_common/eeprom-{left,right}hand.eep: 15 bytes from
   * 0, EECONFIG_HANDEDNESS (byte 14) 1 for the left half, 0 for the right */
  guint8 bytes[15] = { 0 };

  bytes[14] = left ? 1 : 0;
  return df_flip_eeprom_image_new (0, bytes, sizeof bytes);
}
