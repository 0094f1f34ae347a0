/* df-usb-describe.h: what `defuse-cli list` shows of a USB device, from
 * its descriptors: one DfDevice per DFU interface, with its strings, the
 * DFU functional descriptor, the alt settings' names and layouts, its mode
 * and quirks.  Pure: it reads descriptors handed to it (df-usb.c hands it
 * libusb's, the device fuzzer its own) and strings through a callback,
 * and includes no libusb type. */
#pragma once

#include "df-device.h"

G_BEGIN_DECLS

/* one alt setting of an interface, as its interface descriptor says */
typedef struct {
  guint8        number;       /* bInterfaceNumber */
  guint8        alt_setting;  /* bAlternateSetting */
  guint8        class_code;   /* bInterfaceClass */
  guint8        subclass;     /* bInterfaceSubClass */
  guint8        protocol;     /* bInterfaceProtocol */
  guint8        name_index;   /* iInterface */
  const guint8 *extra;        /* the descriptors after it (DFU functional...) */
  gsize         extra_length;
} DfUsbAltSetting;

typedef struct {
  const DfUsbAltSetting *alts;
  guint                  n_alts;
} DfUsbInterface;

/* how the device could be opened for its strings */
typedef enum {
  DF_USB_OPENED,
  DF_USB_DENIED,      /* permission denied: listed without strings */
  DF_USB_UNREADABLE,  /* another failure: listed without strings */
  DF_USB_GONE,        /* gone while being listed: not listed */
} DfUsbOpenResult;

typedef struct {
  guint16 vid;
  guint16 pid;
  guint16 bcd_device;
  guint8  device_class;         /* bDeviceClass, bDeviceSubClass: Atmel's FLIP */
  guint8  device_subclass;      /* bootloaders say DFU here, not in the interface */
  guint8  manufacturer_index;   /* iManufacturer */
  guint8  product_index;        /* iProduct */
  guint8  serial_index;         /* iSerialNumber */
  guint8  bus;
  guint8  address;
  const gchar *path;            /* port path, "1-2.3" */
  guint8  configuration;        /* bConfigurationValue */
  const DfUsbInterface *interfaces;
  guint   n_interfaces;

  /* opens the device for its strings, called once, at the first DFU
   * interface (opening a device that is not DFU would wake its drivers) */
  DfUsbOpenResult (*open) (gpointer user_data);
  /* GET_DESCRIPTOR (STRING): the bytes read into buf, < 0 on failure;
   * called only once open said DF_USB_OPENED */
  gint (*get_string) (guint8 index, guint16 langid, guint8 *buf, gsize size, gpointer user_data);
  gpointer user_data;
} DfUsbDescriptors;

/* adds a DfDevice per DFU interface of the device to devices */
void df_usb_describe (const DfUsbDescriptors *descriptors, GPtrArray *devices);

G_END_DECLS
