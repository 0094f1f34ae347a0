#include "df-le.h"
#include "df-quirks.h"
#include "df-usb-describe.h"

#define DFU_CLASS         0xFE
#define DFU_SUBCLASS      0x01
#define DFU_PROTO_RUNTIME 0x01
#define DFU_FUNCTIONAL_DESCRIPTOR 0x21
#define STRING_DESCRIPTOR 0x03

/* the strings of a device being described: readable once opened */
typedef struct {
  const DfUsbDescriptors *d;
  gboolean                opened;
} Strings;

/* a string descriptor holding 8-bit characters instead of UTF-16 */
static gchar *
read_raw_string (Strings *s, guint8 index)
{
  guchar buf[256];
  gint n;

  if (!s->opened || index == 0)
    return NULL;
  n = s->d->get_string (index, 0x0409, buf, sizeof buf, s->d->user_data);
  if (n <= 2 || buf[1] != STRING_DESCRIPTOR)
    return NULL;
  return g_strndup ((const gchar *) buf + 2, MIN ((gsize) n, buf[0]) - 2);
}

/* what df_quirks_apply needs to read the serial again, as 8-bit */
typedef struct {
  Strings *strings;
  guint8   index;
} SerialRead;

static gchar *
reread_serial_raw (gpointer user_data)
{
  SerialRead *read = user_data;
  return read_raw_string (read->strings, read->index);
}

/* as libusb_get_string_descriptor_ascii() reads it (the first language,
 * '?' for what is not ASCII) */
static gchar *
read_string (Strings *s, guint8 index)
{
  guchar buf[256];
  GString *text;
  gint n;

  if (!s->opened || index == 0)
    return NULL;
  n = s->d->get_string (0, 0, buf, sizeof buf, s->d->user_data);
  if (n < 4)
    return NULL;
  n = s->d->get_string (index, df_le16 (buf + 2), buf, sizeof buf, s->d->user_data);
  if (n < 2 || buf[1] != STRING_DESCRIPTOR)
    return NULL;
  n = MIN (n, buf[0]);
  text = g_string_new (NULL);
  for (gint i = 2; i + 1 < n; i += 2)
    g_string_append_c (text, buf[i + 1] != 0 ? '?' : (gchar) buf[i]);
  return g_string_free (text, FALSE);
}

/* the DFU functional descriptor: in the extra bytes of the interface's
 * alt settings (DfuSe bootloaders put it after the last one) */
static gboolean
find_functional_descriptor (const DfUsbInterface *interface, DfDevice *device)
{
  for (guint a = 0; a < interface->n_alts; a++)
    {
      const DfUsbAltSetting *alt = &interface->alts[a];
      const guint8 *p = alt->extra;
      gsize left = alt->extra_length;

      while (left >= 2 && p[0] >= 2 && p[0] <= left)
        {
          if (p[1] == DFU_FUNCTIONAL_DESCRIPTOR && p[0] >= 7)
            {
              device->attributes = p[2];
              device->detach_timeout_ms = df_le16 (p + 3);
              device->transfer_size = df_le16 (p + 5);
              device->dfu_version = p[0] >= 9 ? df_le16 (p + 7) : 0x0100;
              return TRUE;
            }
          left -= p[0];
          p += p[0];
        }
    }
  return FALSE;
}

void
df_usb_describe (const DfUsbDescriptors *d, GPtrArray *devices)
{
  Strings strings = { d, FALSE };
  DfUsbOpenResult opened = DF_USB_UNREADABLE;
  gboolean tried = FALSE;
  SerialRead serial_read;

  for (guint i = 0; i < d->n_interfaces; i++)
    {
      const DfUsbInterface *interface = &d->interfaces[i];
      const DfUsbAltSetting *first;
      DfDevice *device;

      if (interface->n_alts < 1)
        continue;
      first = &interface->alts[0];
      /* Atmel's factory FLIP bootloader says DFU in its device descriptor
       * and leaves the interface descriptor zero (avrdude src/flip1.c:
       * "all values in the interface descriptor ... are actually 0") */
      if ((first->class_code != DFU_CLASS || first->subclass != DFU_SUBCLASS) &&
          !(d->device_class == DFU_CLASS && d->device_subclass == DFU_SUBCLASS && first->class_code == 0 &&
            d->n_interfaces == 1))
        continue;

      /* strings need an open device; a permission error still lists it */
      if (!tried)
        {
          tried = TRUE;
          opened = d->open (d->user_data);
          strings.opened = opened == DF_USB_OPENED;
          /* gone while being listed (leaving DFU mode): listing it without
           * its strings would show a device that is not there */
          if (opened == DF_USB_GONE)
            break;
        }

      device = df_device_new ();
      device->vid = d->vid;
      device->pid = d->pid;
      device->bcd_device = d->bcd_device;
      device->bus = d->bus;
      device->address = d->address;
      device->path = g_strdup (d->path);
      device->configuration = d->configuration;
      device->interface = first->number;
      device->permission_denied = opened == DF_USB_DENIED;
      device->manufacturer = read_string (&strings, d->manufacturer_index);
      device->product = read_string (&strings, d->product_index);
      device->serial = read_string (&strings, d->serial_index);
      device->transfer_size = 1024;
      device->dfu_version = 0x0110;
      find_functional_descriptor (interface, device);

      for (guint a = 0; a < interface->n_alts; a++)
        {
          const DfUsbAltSetting *alt = &interface->alts[a];
          g_autofree gchar *name = read_string (&strings, alt->name_index);
          df_device_add_alt (device, alt->alt_setting, name);
        }

      if (first->protocol == DFU_PROTO_RUNTIME)
        device->mode = DF_DEVICE_MODE_RUNTIME;
      else if (device->dfu_version == 0x011A ||
               (device->alts->len > 0 && ((DfAlt *) g_ptr_array_index (device->alts, 0))->layout != NULL))
        device->mode = DF_DEVICE_MODE_DFUSE;
      else
        device->mode = DF_DEVICE_MODE_DFU;

      serial_read.strings = &strings;
      serial_read.index = d->serial_index;
      df_quirks_apply (device, reread_serial_raw, &serial_read);
      g_ptr_array_add (devices, device);
    }
}
