/* df-usb.h: DFU devices through libusb: finding them and opening one as a
 * transport.  The only file of the engine that includes libusb.h. */
#pragma once

#include "df-device.h"
#include "df-protocol.h"
#include "df-transport.h"

G_BEGIN_DECLS

/* every DFU interface on the bus (one DfDevice each), in bus order */
GPtrArray   *df_usb_enumerate (GError **error);
/* opens and claims the device's DFU interface */
DfTransport *df_usb_open (DfDevice *device, GError **error);
/* Linux usbfs takes control transfers of at most a page (4096 bytes);
 * dfu-util caps wTransferSize the same way */
#define DF_USB_MAX_CONTROL_TRANSFER 4096
/* the transfer size Defuse uses with the device: its wTransferSize (1024
 * without one), less where the quirk table or the OS says */
guint16      df_usb_transfer_size (DfDevice *device);
/* opens the device and fills conn for its DFU interface (transfer size,
 * DfuSe or not, the longest erase to wait for); returns the transport,
 * which the caller closes */
DfTransport *df_usb_connect (DfDevice *device, GCancellable *cancellable,
                             DfConnection *conn, GError **error);
/* An in-process bus for tests (the device fuzzer): while one is set,
 * df_usb_enumerate() and df_usb_open() ask it instead of libusb, so the
 * job, read, detach and resume run unchanged on its devices.  open returns
 * a transport with the device's DFU interface claimed.  NULL: libusb. */
typedef struct {
  GPtrArray   *(*enumerate) (gpointer user_data, GError **error);
  DfTransport *(*open) (DfDevice *device, gpointer user_data, GError **error);
  gpointer      user_data;
} DfUsbBus;

void         df_usb_set_bus (const DfUsbBus *bus);

/* libusb's version, "1.0.26" */
const gchar *df_usb_version (void);
/* what to tell a user who gets LIBUSB_ERROR_ACCESS */
const gchar *df_usb_permission_hint (void);

/* the process-wide libusb context (for the hotplug monitor); NULL when
 * libusb cannot start, with the reason in error */
gpointer     df_usb_get_context (GError **error);
/* turn a libusb error code into a DF_ERROR with the context given */
void         df_usb_set_error (GError **error, gint code, const gchar *what);

G_END_DECLS
