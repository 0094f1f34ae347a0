/* df-serial-port.c: USB CDC-ACM serial ports through sysfs and termios.
 *
 * /sys/class/tty/ttyACMn links to the tty's sysfs device,
 * .../usbB/B-P.P/B-P.P:1.I/tty/ttyACMn: its parent is the USB interface
 * (bInterfaceNumber), whose parent is the USB device (idVendor, product,
 * busnum, devnum) named by its port path.  libudev reads the same files;
 * reading them directly needs no extra library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-serial-port.h"

#define SYS_CLASS_TTY "/sys/class/tty"

DfSerialPort *
df_serial_port_ref (DfSerialPort *port)
{
  g_atomic_int_inc (&port->ref_count);
  return port;
}

void
df_serial_port_unref (DfSerialPort *port)
{
  if (port == NULL || !g_atomic_int_dec_and_test (&port->ref_count))
    return;
  g_free (port->name);
  g_free (port->devnode);
  g_free (port->path);
  g_free (port->manufacturer);
  g_free (port->product);
  g_free (port->serial);
  g_free (port);
}

/* a sysfs attribute without its newline, NULL if absent */
static gchar *
read_attr (const gchar *dir, const gchar *name)
{
  g_autofree gchar *file = g_build_filename (dir, name, NULL);
  gchar *text = NULL;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return NULL;
  return g_strchomp (text);
}

static guint64
read_number (const gchar *dir, const gchar *name, guint base)
{
  g_autofree gchar *text = read_attr (dir, name);
  guint64 value = 0;

  if (text != NULL)
    g_ascii_string_to_unsigned (g_strstrip (text), base, 0, G_MAXUINT32, &value, NULL);
  return value;
}

static DfSerialPort *
port_from_sysfs (const gchar *name)
{
  g_autofree gchar *link_path = g_build_filename (SYS_CLASS_TTY, name, NULL);
  g_autofree gchar *target = g_file_read_link (link_path, NULL);
  g_autofree gchar *tty_dir = NULL;
  g_autofree gchar *class_dir = NULL;
  g_autofree gchar *iface_dir = NULL;
  g_autofree gchar *usb_dir = NULL;
  g_autofree gchar *iface_class = NULL;
  DfSerialPort *port;

  if (target == NULL)
    return NULL;
  tty_dir = g_canonicalize_filename (target, SYS_CLASS_TTY);
  class_dir = g_path_get_dirname (tty_dir);     /* .../B-P:1.I/tty */
  iface_dir = g_path_get_dirname (class_dir);   /* .../B-P:1.I */
  usb_dir = g_path_get_dirname (iface_dir);     /* .../B-P */
  iface_class = read_attr (iface_dir, "bInterfaceClass");
  /* CDC (02) control interfaces only: ttyUSB bridges and others are not ACM */
  if (g_strcmp0 (iface_class, "02") != 0 || read_number (usb_dir, "idVendor", 16) == 0)
    return NULL;

  port = g_new0 (DfSerialPort, 1);
  port->ref_count = 1;
  port->name = g_strdup (name);
  port->devnode = g_strconcat ("/dev/", name, NULL);
  port->path = g_path_get_basename (usb_dir);
  port->bus = (guint8) read_number (usb_dir, "busnum", 10);
  port->address = (guint8) read_number (usb_dir, "devnum", 10);
  port->interface = (guint8) read_number (iface_dir, "bInterfaceNumber", 16);
  port->vid = (guint16) read_number (usb_dir, "idVendor", 16);
  port->pid = (guint16) read_number (usb_dir, "idProduct", 16);
  port->bcd_device = (guint16) read_number (usb_dir, "bcdDevice", 16);
  port->manufacturer = read_attr (usb_dir, "manufacturer");
  port->product = read_attr (usb_dir, "product");
  port->serial = read_attr (usb_dir, "serial");
  return port;
}

static gint
compare_ports (gconstpointer a, gconstpointer b)
{
  const DfSerialPort *pa = *(DfSerialPort *const *) a;
  const DfSerialPort *pb = *(DfSerialPort *const *) b;
  return g_utf8_collate (pa->name, pb->name);
}

GPtrArray *
df_serial_port_enumerate (void)
{
  GPtrArray *ports = g_ptr_array_new_with_free_func ((GDestroyNotify) df_serial_port_unref);
  g_autoptr(GDir) dir = g_dir_open (SYS_CLASS_TTY, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      DfSerialPort *port;
      if (!g_str_has_prefix (name, "ttyACM"))
        continue;
      port = port_from_sysfs (name);
      if (port != NULL)
        g_ptr_array_add (ports, port);
    }
  g_ptr_array_sort (ports, compare_ports);
  return ports;
}

gchar *
df_serial_port_describe (DfSerialPort *port)
{
  const gchar *product = port->product != NULL ? port->product : _("USB serial port");

  if (port->serial != NULL)
    return g_strdup_printf (_("%s (%04x:%04x, serial %s) at %s"), product,
                            port->vid, port->pid, port->serial, port->path);
  return g_strdup_printf (_("%s (%04x:%04x) at %s"), product, port->vid, port->pid, port->path);
}

gboolean
df_serial_port_matches (DfSerialPort *port, const gchar *selector)
{
  guint64 vid, pid;
  g_auto(GStrv) ids = g_strsplit (selector, ":", 2);

  if (g_strcmp0 (selector, port->devnode) == 0 || g_strcmp0 (selector, port->name) == 0 ||
      g_strcmp0 (selector, port->path) == 0 || g_strcmp0 (selector, port->serial) == 0)
    return TRUE;
  return g_strv_length (ids) == 2 &&
         g_ascii_string_to_unsigned (ids[0], 16, 0, 0xffff, &vid, NULL) &&
         g_ascii_string_to_unsigned (ids[1], 16, 0, 0xffff, &pid, NULL) &&
         vid == port->vid && pid == port->pid;
}

gint
df_serial_port_open (DfSerialPort *port, GError **error)
{
  struct termios tio;
  gint fd = open (port->devnode, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    {
      gint saved = errno;
      g_set_error (error, DF_ERROR, saved == EACCES ? DF_ERROR_PERMISSION : DF_ERROR_FAILED,
                   saved == EACCES ? _("cannot open %s: permission denied; add yourself to the “dialout” group "
                                       "(sudo usermod -aG dialout $USER) and log in again")
                                   : _("cannot open %s: %s"), port->devnode, g_strerror (saved));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("%s is in use by another program (a terminal or IDE); close it and try again"), port->devnode);
      close (fd);
      return -1;
    }
  if (tcgetattr (fd, &tio) == 0)
    {
      cfmakeraw (&tio);
      tio.c_cflag |= CLOCAL | CREAD;
      cfsetspeed (&tio, B115200);  /* CDC-ACM ignores it; MicroPython's UART REPLs use it */
      tcsetattr (fd, TCSANOW, &tio);
    }
  tcflush (fd, TCIOFLUSH);
  return fd;
}

/* waits for fd to be ready for events, or the deadline or a cancel */
static gboolean
wait_ready (gint fd, gshort events, gint64 deadline, GCancellable *cancellable, GError **error)
{
  GPollFD cancel_fd = { -1, 0, 0 };
  gboolean has_cancel = cancellable != NULL && g_cancellable_make_pollfd (cancellable, &cancel_fd);
  gint result;

  for (;;)
    {
      struct pollfd fds[2] = { { fd, events, 0 }, { cancel_fd.fd, POLLIN, 0 } };
      gint64 left_ms = (deadline - g_get_monotonic_time () + 999) / 1000;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        break;
      if (left_ms <= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
          break;
        }
      result = poll (fds, has_cancel ? 2 : 1, (gint) MIN (left_ms, 1000));
      if (result < 0 && errno != EINTR)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
          break;
        }
      if (result > 0 && fds[0].revents != 0)
        {
          if (has_cancel)
            g_cancellable_release_fd (cancellable);
          return TRUE;
        }
    }
  if (has_cancel)
    g_cancellable_release_fd (cancellable);
  return FALSE;
}

gboolean
df_serial_write (gint fd, const gchar *data, gsize len, gint64 deadline,
                 GCancellable *cancellable, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);
      if (n > 0)
        done += (gsize) n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          g_set_error (error, G_IO_ERROR, errno == EIO ? G_IO_ERROR_CLOSED : g_io_error_from_errno (errno),
                       "%s", g_strerror (errno));
          return FALSE;
        }
      else if (!wait_ready (fd, POLLOUT, deadline, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
ends_with (GByteArray *buffer, const gchar *sentinel)
{
  gsize n = strlen (sentinel);
  return buffer->len >= n && memcmp (buffer->data + buffer->len - n, sentinel, n) == 0;
}

gboolean
df_serial_read_until (gint fd, GByteArray *buffer, const gchar *sentinel, gint64 deadline,
                      GCancellable *cancellable, GError **error)
{
  while (!ends_with (buffer, sentinel))
    {
      guint8 c;
      gssize n = read (fd, &c, 1);  /* byte by byte: never read past the sentinel */
      if (n == 1)
        g_byte_array_append (buffer, &c, 1);
      else if (n == 0 || (n < 0 && errno == EIO))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, _("the port hung up"));
          return FALSE;
        }
      else if (errno != EAGAIN && errno != EINTR)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
          return FALSE;
        }
      else if (!wait_ready (fd, POLLIN, deadline, cancellable, error))
        return FALSE;
    }
  return TRUE;
}
