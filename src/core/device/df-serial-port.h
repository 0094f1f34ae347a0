/* df-serial-port.h: USB CDC-ACM serial ports (Linux ttyACMn), found
 * through sysfs, which ties each tty to its USB interface and device (and
 * so to its port path), and opened as a raw terminal. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gint     ref_count;
  gchar   *name;          /* "ttyACM0" */
  gchar   *devnode;       /* "/dev/ttyACM0" */
  gchar   *path;          /* USB port path "1-2.3", as DfDevice has it */
  guint8   bus;
  guint8   address;
  guint8   interface;     /* the CDC-ACM control interface */
  guint16  vid;
  guint16  pid;
  guint16  bcd_device;
  gchar   *manufacturer;
  gchar   *product;
  gchar   *serial;
} DfSerialPort;

DfSerialPort *df_serial_port_ref (DfSerialPort *port);
void          df_serial_port_unref (DfSerialPort *port);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfSerialPort, df_serial_port_unref)

/* every USB CDC-ACM port, sorted by name; never NULL */
GPtrArray    *df_serial_port_enumerate (void);
/* "Pyboard Virtual Comm Port in FS Mode (f055:9800, serial ...) at 1-1" */
gchar        *df_serial_port_describe (DfSerialPort *port);
/* whether a --device selector names it: device node, tty name, port path,
 * serial number or VID:PID */
gboolean      df_serial_port_matches (DfSerialPort *port, const gchar *selector);

/* Opens the port as a raw 8N1 terminal, non-blocking, input flushed, and
 * locked against other programs that lock (flock, as pyserial does). */
gint          df_serial_port_open (DfSerialPort *port, GError **error);

/* Writes all of data, or fails by the deadline (monotonic us). */
gboolean      df_serial_write (gint fd, const gchar *data, gsize len, gint64 deadline,
                               GCancellable *cancellable, GError **error);
/* Reads into buffer until it ends with sentinel; FALSE with
 * G_IO_ERROR_TIMED_OUT at the deadline, G_IO_ERROR_CLOSED when the port
 * hangs up, G_IO_ERROR_CANCELLED. */
gboolean      df_serial_read_until (gint fd, GByteArray *buffer, const gchar *sentinel, gint64 deadline,
                                    GCancellable *cancellable, GError **error);

G_END_DECLS
