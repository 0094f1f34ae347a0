/* df-usb-names.h: the names people know a USB device by ("STMicroelectronics",
 * "STM Device in DFU Mode"), from the system's USB id database: udev's
 * hwdb, else the usb.ids file (hwdata / usbutils).  The database is read
 * once per id and the answer kept; safe from any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when the database knows the vendor; *product is NULL when it does
 * not know the product.  vendor and product may be NULL; the strings are
 * new. */
gboolean df_usb_names_lookup (guint16 vid, guint16 pid, gchar **vendor, gchar **product);

/* "STMicroelectronics STM Device in DFU Mode", the vendor alone when the
 * product is unknown, NULL when the vendor is */
gchar   *df_usb_names_describe (guint16 vid, guint16 pid);

/* The usb.ids fallback on its own, for tests: looks the id up in the text
 * of a usb.ids file */
gboolean df_usb_ids_lookup (const gchar *text, gsize length, guint16 vid, guint16 pid,
                            gchar **vendor, gchar **product);

G_END_DECLS
