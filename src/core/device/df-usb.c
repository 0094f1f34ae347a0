#include <errno.h>
#include <glib/gi18n.h>
#include <libusb.h>
#include <string.h>

#include "df-error.h"
#include "df-le.h"
#include "df-quirks.h"
#include "df-trace.h"
#include "df-usb.h"
#include "df-usb-describe.h"

#define STRING_TIMEOUT_MS 1000

/* "1.0.26", for reports */
const gchar *
df_usb_version (void)
{
  static gsize version;

  if (g_once_init_enter (&version))
    {
      const struct libusb_version *v = libusb_get_version ();
      g_once_init_leave (&version, (gsize) g_strdup_printf ("%u.%u.%u%s", v->major, v->minor, v->micro, v->rc));
    }
  return (const gchar *) version;
}

const gchar *
df_usb_permission_hint (void)
{
  return _("Linux lets only root open this USB device. Install Defuse's udev rule and replug the device:\n"
           "  sudo install -m 644 60-defuse.rules /etc/udev/rules.d/\n"
           "  sudo udevadm control --reload && sudo udevadm trigger\n"
           "(the rule is in the data/ folder of the source, or /usr/lib/udev/rules.d/ once installed)");
}

void
df_usb_set_error (GError **error, gint code, const gchar *what)
{
  switch (code)
    {
    case LIBUSB_ERROR_ACCESS:
      g_set_error (error, DF_ERROR, DF_ERROR_PERMISSION, _("%s: permission denied. %s"),
                   what, df_usb_permission_hint ());
      break;
    case LIBUSB_ERROR_NO_DEVICE:
      g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
                   _("%s: the device is gone (unplugged, or it reset itself)"), what);
      break;
    case LIBUSB_ERROR_TIMEOUT:
      g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT, _("%s: the device did not answer in time"), what);
      break;
    case LIBUSB_ERROR_PIPE:
      g_set_error (error, DF_ERROR, DF_ERROR_STALLED, _("%s: the device refused the request (stall)"), what);
      break;
    case LIBUSB_ERROR_BUSY:
      /* usbfs: another open file claimed the interface; the flash it runs
       * goes on untouched */
      g_set_error (error, DF_ERROR, DF_ERROR_IN_USE,
                   _("%s: the device is in use by another program (another Defuse window, defuse-cli, dfu-util "
                     "or a flasher): wait until it is done, then try again"), what);
      break;
    case LIBUSB_ERROR_NOT_FOUND:
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("%s: not found"), what);
      break;
    default:
      g_set_error (error, DF_ERROR, DF_ERROR_FAILED, "%s: %s", what, libusb_strerror (code));
      break;
    }
}

gpointer
df_usb_get_context (GError **error)
{
  static gsize initialized = 0;
  static libusb_context *context = NULL;
  static gint init_status = 0;

  if (g_once_init_enter (&initialized))
    {
      init_status = libusb_init (&context);
      g_once_init_leave (&initialized, 1);
    }
  if (init_status != 0)
    {
      df_usb_set_error (error, init_status, _("starting libusb"));
      return NULL;
    }
  return context;
}

/* usbmon's status for a libusb result */
static gint
usbmon_status (gint rc)
{
  switch (rc)
    {
    case LIBUSB_ERROR_PIPE:
      return -EPIPE;
    case LIBUSB_ERROR_TIMEOUT:
      return -ETIMEDOUT;
    case LIBUSB_ERROR_NO_DEVICE:
      return -ENODEV;
    default:
      return rc >= 0 ? 0 : -EPROTO;
    }
}

static void LIBUSB_CALL
on_transfer_done (struct libusb_transfer *transfer)
{
  *(gint *) transfer->user_data = 1;
}

/* libusb's synchronous control transfer, which a Cancel ends at once: a
 * device may hold (NAK) a GETSTATUS for the whole of a mass erase, tens of
 * seconds, and the window and Ctrl+C must not wait for it.  The events are
 * handled in short slices, as libusb's own sync transfers do, with a look
 * at the cancellable between them. */
static gint
cancellable_transfer (libusb_device_handle *handle, guint8 request_type, guint8 request, guint16 value,
                      guint16 index, guint8 *data, guint16 length, guint timeout_ms, GCancellable *cancellable)
{
  libusb_context *context = df_usb_get_context (NULL);
  g_autofree guint8 *buffer = NULL;  /* the setup packet, then the data */
  struct libusb_transfer *transfer;
  gboolean cancelled = FALSE;
  gint completed = 0;
  gint rc;

  if (cancellable == NULL)
    return libusb_control_transfer (handle, request_type, request, value, index, data, length, timeout_ms);
  transfer = libusb_alloc_transfer (0);
  if (transfer == NULL)
    return LIBUSB_ERROR_NO_MEM;
  buffer = g_malloc0 (LIBUSB_CONTROL_SETUP_SIZE + (gsize) length);
  libusb_fill_control_setup (buffer, request_type, request, value, index, length);
  if (!(request_type & LIBUSB_ENDPOINT_IN) && length > 0)
    memcpy (buffer + LIBUSB_CONTROL_SETUP_SIZE, data, length);
  libusb_fill_control_transfer (transfer, handle, buffer, on_transfer_done, &completed, timeout_ms);
  rc = libusb_submit_transfer (transfer);
  if (rc < 0)
    {
      libusb_free_transfer (transfer);
      return rc;
    }
  while (!completed)
    {
      struct timeval slice = { 0, 50000 };

      rc = libusb_handle_events_timeout_completed (context, &slice, &completed);
      if ((rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED) ||
          (!cancelled && g_cancellable_is_cancelled (cancellable)))
        {
          /* the transfer ends as cancelled; handled on the next turn */
          if (!cancelled)
            libusb_cancel_transfer (transfer);
          cancelled = TRUE;
        }
    }
  switch (transfer->status)
    {
    case LIBUSB_TRANSFER_COMPLETED:
      rc = transfer->actual_length;
      if (request_type & LIBUSB_ENDPOINT_IN)
        memcpy (data, libusb_control_transfer_get_data (transfer), (gsize) rc);
      break;
    case LIBUSB_TRANSFER_TIMED_OUT:
      rc = LIBUSB_ERROR_TIMEOUT;
      break;
    case LIBUSB_TRANSFER_STALL:
      rc = LIBUSB_ERROR_PIPE;
      break;
    case LIBUSB_TRANSFER_NO_DEVICE:
      rc = LIBUSB_ERROR_NO_DEVICE;
      break;
    case LIBUSB_TRANSFER_OVERFLOW:
      rc = LIBUSB_ERROR_OVERFLOW;
      break;
    case LIBUSB_TRANSFER_CANCELLED:
      rc = LIBUSB_ERROR_INTERRUPTED;
      break;
    default:
      rc = LIBUSB_ERROR_IO;
      break;
    }
  libusb_free_transfer (transfer);
  return rc;
}

/* Every control transfer of the engine goes through here: written to the
 * USB trace when one is on (df-trace.h); one NULL check when off. */
static gint
control_transfer (libusb_device_handle *handle, guint8 request_type, guint8 request, guint16 value,
                  guint16 index, guint8 *data, guint16 length, guint timeout_ms, GCancellable *cancellable)
{
  DfTrace *trace = df_trace_get_default ();
  libusb_device *dev;
  gint64 start;
  gint rc;

  if (G_LIKELY (trace == NULL))
    return cancellable_transfer (handle, request_type, request, value, index, data, length, timeout_ms,
                                 cancellable);
  start = g_get_real_time ();
  rc = cancellable_transfer (handle, request_type, request, value, index, data, length, timeout_ms, cancellable);
  dev = libusb_get_device (handle);
  df_trace_control (trace, libusb_get_bus_number (dev), libusb_get_device_address (dev),
                    request_type, request, value, index, length, data, rc > 0 ? (gsize) rc : 0,
                    usbmon_status (rc), start, g_get_real_time ());
  return rc;
}

/* A trace starts a device with its descriptors (read again, so they are
 * on the record): they tell Wireshark the interface is DFU. */
static void
trace_descriptors (libusb_device_handle *handle)
{
  guint8 buf[1024];

  if (df_trace_get_default () == NULL)
    return;
  control_transfer (handle, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_DEVICE << 8, 0,
                    buf, LIBUSB_DT_DEVICE_SIZE, STRING_TIMEOUT_MS, NULL);
  if (control_transfer (handle, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_CONFIG << 8, 0,
                        buf, LIBUSB_DT_CONFIG_SIZE, STRING_TIMEOUT_MS, NULL) == LIBUSB_DT_CONFIG_SIZE)
    control_transfer (handle, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_CONFIG << 8, 0,
                      buf, MIN (df_le16 (buf + 2), sizeof buf), STRING_TIMEOUT_MS, NULL);
}

static gint
get_string_descriptor (libusb_device_handle *handle, guint8 index, guint16 langid, guchar *buf, gsize size)
{
  return control_transfer (handle, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR,
                           (LIBUSB_DT_STRING << 8) | index, langid, buf, (guint16) size, STRING_TIMEOUT_MS,
                           NULL);
}

static gchar *
port_path (libusb_device *dev)
{
  guint8 ports[8];
  gint n = libusb_get_port_numbers (dev, ports, sizeof ports);
  g_autoptr(GString) path = g_string_new (NULL);

  g_string_append_printf (path, "%u", libusb_get_bus_number (dev));
  for (gint i = 0; i < n; i++)
    g_string_append_printf (path, "%c%u", i == 0 ? '-' : '.', ports[i]);
  if (n <= 0)
    g_string_append_printf (path, ":%u", libusb_get_device_address (dev));
  return g_string_free (g_steal_pointer (&path), FALSE);
}

/* a device being listed: opened for its strings when it has a DFU interface */
typedef struct {
  libusb_device        *dev;
  libusb_device_handle *handle;
} Listing;

static DfUsbOpenResult
open_for_strings (gpointer user_data)
{
  Listing *listing = user_data;
  gint rc = libusb_open (listing->dev, &listing->handle);

  if (rc == 0)
    {
      trace_descriptors (listing->handle);
      return DF_USB_OPENED;
    }
  listing->handle = NULL;
  return rc == LIBUSB_ERROR_ACCESS ? DF_USB_DENIED : rc == LIBUSB_ERROR_NO_DEVICE ? DF_USB_GONE : DF_USB_UNREADABLE;
}

static gint
get_string (guint8 index, guint16 langid, guint8 *buf, gsize size, gpointer user_data)
{
  Listing *listing = user_data;
  return get_string_descriptor (listing->handle, index, langid, buf, size);
}

/* libusb's parsed descriptors, handed to df_usb_describe() */
static void
add_dfu_interfaces (libusb_device *dev, GPtrArray *devices)
{
  struct libusb_device_descriptor desc;
  struct libusb_config_descriptor *config = NULL;
  g_autofree DfUsbInterface *interfaces = NULL;
  g_autoptr(GPtrArray) alts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *path = NULL;
  Listing listing = { dev, NULL };
  DfUsbDescriptors d;

  if (libusb_get_device_descriptor (dev, &desc) != 0 ||
      libusb_get_active_config_descriptor (dev, &config) != 0)
    return;

  interfaces = g_new0 (DfUsbInterface, config->bNumInterfaces);
  for (guint8 i = 0; i < config->bNumInterfaces; i++)
    {
      const struct libusb_interface *interface = &config->interface[i];
      DfUsbAltSetting *settings = g_new0 (DfUsbAltSetting, MAX (interface->num_altsetting, 1));

      g_ptr_array_add (alts, settings);
      for (gint a = 0; a < interface->num_altsetting; a++)
        {
          const struct libusb_interface_descriptor *alt = &interface->altsetting[a];
          settings[a] = (DfUsbAltSetting) {
            .number = alt->bInterfaceNumber,
            .alt_setting = alt->bAlternateSetting,
            .class_code = alt->bInterfaceClass,
            .subclass = alt->bInterfaceSubClass,
            .protocol = alt->bInterfaceProtocol,
            .name_index = alt->iInterface,
            .extra = alt->extra,
            .extra_length = alt->extra_length > 0 ? (gsize) alt->extra_length : 0,
          };
        }
      interfaces[i].alts = settings;
      interfaces[i].n_alts = interface->num_altsetting > 0 ? (guint) interface->num_altsetting : 0;
    }

  path = port_path (dev);
  d = (DfUsbDescriptors) {
    .vid = desc.idVendor,
    .pid = desc.idProduct,
    .bcd_device = desc.bcdDevice,
    .device_class = desc.bDeviceClass,
    .device_subclass = desc.bDeviceSubClass,
    .manufacturer_index = desc.iManufacturer,
    .product_index = desc.iProduct,
    .serial_index = desc.iSerialNumber,
    .bus = libusb_get_bus_number (dev),
    .address = libusb_get_device_address (dev),
    .path = path,
    .configuration = config->bConfigurationValue,
    .interfaces = interfaces,
    .n_interfaces = config->bNumInterfaces,
    .open = open_for_strings,
    .get_string = get_string,
    .user_data = &listing,
  };
  df_usb_describe (&d, devices);

  if (listing.handle != NULL)
    libusb_close (listing.handle);
  libusb_free_config_descriptor (config);
}

static const DfUsbBus *test_bus;

void
df_usb_set_bus (const DfUsbBus *bus)
{
  test_bus = bus;
}

GPtrArray *
df_usb_enumerate (GError **error)
{
  libusb_context *context;
  libusb_device **list = NULL;
  GPtrArray *devices;
  gssize n;

  if (test_bus != NULL)
    return test_bus->enumerate (test_bus->user_data, error);
  context = df_usb_get_context (error);
  if (context == NULL)
    return NULL;
  n = libusb_get_device_list (context, &list);
  if (n < 0)
    {
      df_usb_set_error (error, (gint) n, _("listing USB devices"));
      return NULL;
    }
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  for (gssize i = 0; i < n; i++)
    add_dfu_interfaces (list[i], devices);
  libusb_free_device_list (list, 1);
  return devices;
}

/* the libusb transport */
typedef struct {
  DfTransport           parent;
  libusb_device_handle *handle;
  gint                  claimed;  /* interface number, -1 if none */
} UsbTransport;

static gboolean
usb_control (DfTransport *transport, guint8 request_type, guint8 request, guint16 value,
             guint16 index, guint8 *data, gsize length, gsize *actual, guint timeout_ms,
             GCancellable *cancellable, GError **error)
{
  UsbTransport *self = (UsbTransport *) transport;
  gint n = control_transfer (self->handle, request_type, request, value, index,
                             data, (guint16) length, timeout_ms, cancellable);
  if (n == LIBUSB_ERROR_INTERRUPTED && g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("cancelled"));
      return FALSE;
    }
  if (n < 0)
    {
      df_usb_set_error (error, n, _("USB request"));
      return FALSE;
    }
  *actual = (gsize) n;
  return TRUE;
}

static gboolean
usb_claim (DfTransport *transport, guint8 interface, GError **error)
{
  UsbTransport *self = (UsbTransport *) transport;
  gint rc;

  /* a kernel driver (e.g. a runtime device's CDC/HID companion) may hold
   * the interface; libusb detaches it for the time we hold the claim */
  libusb_set_auto_detach_kernel_driver (self->handle, 1);
  rc = libusb_claim_interface (self->handle, interface);
  if (rc != 0)
    {
      df_usb_set_error (error, rc, _("claiming the DFU interface"));
      return FALSE;
    }
  self->claimed = interface;
  return TRUE;
}

static gboolean
usb_set_alt (DfTransport *transport, guint8 interface, guint8 alt, GError **error)
{
  UsbTransport *self = (UsbTransport *) transport;
  DfTrace *trace = df_trace_get_default ();
  gint64 start = trace != NULL ? g_get_real_time () : 0;
  gint rc = libusb_set_interface_alt_setting (self->handle, interface, alt);

  /* the kernel sends it as the standard SET_INTERFACE request: on the
   * record, it tells Wireshark which alt setting the requests go to */
  if (trace != NULL)
    {
      libusb_device *dev = libusb_get_device (self->handle);
      df_trace_control (trace, libusb_get_bus_number (dev), libusb_get_device_address (dev),
                        LIBUSB_RECIPIENT_INTERFACE, LIBUSB_REQUEST_SET_INTERFACE, alt, interface, 0, NULL, 0,
                        usbmon_status (rc), start, g_get_real_time ());
    }

  if (rc != 0)
    {
      g_autofree gchar *what = g_strdup_printf (_("selecting alt setting %u"), alt);
      df_usb_set_error (error, rc, what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
usb_reset (DfTransport *transport, GError **error)
{
  UsbTransport *self = (UsbTransport *) transport;
  gint rc = libusb_reset_device (self->handle);

  /* NOT_FOUND: the device re-enumerated as something else, as asked */
  if (rc != 0 && rc != LIBUSB_ERROR_NOT_FOUND && rc != LIBUSB_ERROR_NO_DEVICE)
    {
      df_usb_set_error (error, rc, _("resetting the device"));
      return FALSE;
    }
  return TRUE;
}

static void
usb_close (DfTransport *transport)
{
  UsbTransport *self = (UsbTransport *) transport;

  if (self->claimed >= 0)
    libusb_release_interface (self->handle, self->claimed);
  libusb_close (self->handle);
  g_free (self);
}

static const DfTransportVtable usb_vtable = {
  .control = usb_control,
  .claim = usb_claim,
  .set_alt = usb_set_alt,
  .reset = usb_reset,
  .close = usb_close,
};

DfTransport *
df_usb_open (DfDevice *device, GError **error)
{
  libusb_context *context;
  libusb_device **list = NULL;
  libusb_device_handle *handle = NULL;
  gint rc = LIBUSB_ERROR_NO_DEVICE;
  UsbTransport *self;
  gssize n;

  if (test_bus != NULL)
    return test_bus->open (device, test_bus->user_data, error);
  context = df_usb_get_context (error);
  if (context == NULL)
    return NULL;
  n = libusb_get_device_list (context, &list);
  for (gssize i = 0; i < n; i++)
    if (libusb_get_bus_number (list[i]) == device->bus &&
        libusb_get_device_address (list[i]) == device->address)
      {
        rc = libusb_open (list[i], &handle);
        break;
      }
  /* an empty bus still gets a list (of one NULL) to free */
  if (n >= 0)
    libusb_free_device_list (list, 1);
  if (handle == NULL)
    {
      g_autofree gchar *what = df_device_describe (device);
      df_usb_set_error (error, rc, what);
      return NULL;
    }

  trace_descriptors (handle);
  self = g_new0 (UsbTransport, 1);
  self->parent.vtable = &usb_vtable;
  self->handle = handle;
  self->claimed = -1;
  if (!usb_claim (&self->parent, device->interface, error))
    {
      usb_close (&self->parent);
      return NULL;
    }
  return &self->parent;
}

guint16
df_usb_transfer_size (DfDevice *device)
{
  /* 1024 without a functional descriptor (df-usb-describe.c) */
  guint16 size = MAX (device->transfer_size, DF_MIN_TRANSFER_SIZE);
  guint max = device->quirks != NULL ? device->quirks->max_transfer_size : 0;

  if (max > 0 && max < size)
    size = (guint16) max;
  return MIN (size, DF_USB_MAX_CONTROL_TRANSFER);
}

DfTransport *
df_usb_connect (DfDevice *device, GCancellable *cancellable, DfConnection *conn, GError **error)
{
  DfTransport *transport;
  guint16 size = df_usb_transfer_size (device);

  if (!df_device_check_transfer_size (device, error))
    return NULL;
  transport = df_usb_open (device, error);
  if (transport == NULL)
    return NULL;
  *conn = (DfConnection) {
    .transport = transport,
    .interface = device->interface,
    .transfer_size = size,
    /* the device's block arithmetic counts in its own wTransferSize */
    .address_every_block = size < device->transfer_size,
    .dfuse = device->mode == DF_DEVICE_MODE_DFUSE,
    .cancellable = cancellable,
    .max_busy_ms = DF_MAX_BUSY_MS,
    .quirks = device->quirks,
  };
  return transport;
}
