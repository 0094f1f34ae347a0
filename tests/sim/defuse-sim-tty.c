/* defuse-sim-tty.c: the serial port of a virtual MicroPython board.
 *
 * Linux's cdc_acm driver gives each CDC-ACM control interface a tty,
 * /sys/devices/.../1-PORT/1-PORT:1.IFACE/tty/ttyACMn, /dev/ttyACMn.  The
 * testbed gets the same: an interface record and a tty record under the
 * USB device.  umockdev backs a SUBSYSTEM=tty node with a pty
 * (umockdev.vala create_node_for_device; umockdev_testbed_get_dev_fd gives
 * the master end), so the program opens /dev/ttyACMn, sets termios on it
 * and reads and writes a real terminal; a thread here serves the master
 * end from the REPL model (sim-repl.c).
 *
 * umockdev keeps the master of a removed node open and refuses a second
 * node of the same name, so each enumeration gets the next free name, as
 * Linux does while a program still holds the old tty open.  When the
 * board leaves the bus the master is replaced by /dev/null: the program's
 * open port hangs up (EIO, POLLHUP), as a tty does when its USB device goes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "defuse-sim.h"
#include "sim-repl.h"

#define ACM_MAJOR 166

struct _DefuseSimTty {
  DefuseSim     *sim;
  DefuseSimSlot *slot;
  SimRepl       *repl;
  gchar         *iface_syspath;
  gchar         *tty_syspath;
  gchar         *devnode;       /* /dev/ttyACMn */
  int            master;        /* umockdev's; never closed here */
  int            slave;         /* held so that the master never sees a hang-up */
  int            wake;          /* eventfd: stop */
  gboolean       stopped;       /* under sim->lock */
  GThread       *thread;
};

static void
serve_bytes (DefuseSimTty *tty, const guint8 *data, gsize len)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gboolean bootloader = sim_repl_input (tty->repl, data, len, out);
  gsize done = 0;

  while (done < out->len)
    {
      gssize n = write (tty->master, out->data + done, out->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  if (bootloader)
    {
      defuse_sim_log (tty->sim, "device %u: machine.bootloader() on %s", tty->slot->index, tty->devnode);
      sim_device_micropython_bootloader (tty->slot->device, (guint64) g_get_monotonic_time ());
      defuse_sim_slot_poll_events (tty->slot);
    }
}

static gpointer
serve (gpointer data)
{
  DefuseSimTty *tty = data;
  guint8 buffer[512];

  for (;;)
    {
      struct pollfd fds[2] = { { tty->master, POLLIN, 0 }, { tty->wake, POLLIN, 0 } };
      gssize n;

      if (poll (fds, 2, -1) < 0 && errno != EINTR)
        break;
      if (fds[1].revents != 0)
        break;
      if (!(fds[0].revents & POLLIN))
        continue;
      n = read (tty->master, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        break;
      g_rec_mutex_lock (&tty->sim->lock);
      if (!tty->stopped && !tty->sim->stopping)
        serve_bytes (tty, buffer, (gsize) n);
      g_rec_mutex_unlock (&tty->sim->lock);
    }
  return NULL;
}

static gchar *
tty_record (DefuseSimTty *tty, guint minor, const gchar *name)
{
  return g_strdup_printf ("P: %s\nN: %s\nE: SUBSYSTEM=tty\nE: DEVNAME=/dev/%s\nE: MAJOR=%u\nE: MINOR=%u\n"
                          "A: dev=%u:%u\\n\n",
                          tty->tty_syspath + strlen ("/sys"), name, name, ACM_MAJOR, minor, ACM_MAJOR, minor);
}

static gchar *
interface_record (DefuseSimTty *tty, guint number)
{
  return g_strdup_printf ("P: %s\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n"
                          "E: INTERFACE=2/2/1\n"
                          "A: bInterfaceNumber=%02x\\n\nA: bAlternateSetting= 0\\n\nA: bInterfaceClass=02\\n\n"
                          "A: bInterfaceSubClass=02\\n\nA: bInterfaceProtocol=01\\n\nA: bNumEndpoints=01\\n\n",
                          tty->iface_syspath + strlen ("/sys"), number);
}

/* After the USB device's record is in: its CDC-ACM interface and tty. */
gboolean
defuse_sim_tty_attach (DefuseSimSlot *slot, DefuseSimNode *node, GError **error)
{
  DefuseSim *sim = slot->sim;
  gint iface = sim_device_get_info (slot->device)->serial_interface;
  g_autoptr(SimMicroPython) mp = sim_device_get_micropython (slot->device);
  g_autofree gchar *name = NULL;
  g_autofree gchar *record = NULL;
  DefuseSimTty *tty;
  guint minor;

  if (iface < 0 || mp == NULL)
    return TRUE;
  minor = sim->next_tty++;
  name = g_strdup_printf ("ttyACM%u", minor);
  tty = g_new0 (DefuseSimTty, 1);
  tty->sim = sim;
  tty->slot = slot;
  tty->master = tty->slave = tty->wake = -1;
  tty->iface_syspath = g_strdup_printf ("%s/%u-%u:1.%d", node->syspath, DEFUSE_SIM_BUSNUM, slot->index, iface);
  tty->tty_syspath = g_strdup_printf ("%s/tty/%s", tty->iface_syspath, name);
  tty->devnode = g_strdup_printf ("/dev/%s", name);
  tty->repl = sim_repl_new (mp, sim_device_get_repl_behaviour (slot->device));
  g_ptr_array_add (sim->ttys, tty);
  node->tty = tty;

  record = interface_record (tty, (guint) iface);
  if (!umockdev_testbed_add_from_string (sim->testbed, record, error))
    return FALSE;
  g_free (record);
  record = tty_record (tty, minor, name);
  if (!umockdev_testbed_add_from_string (sim->testbed, record, error))
    return FALSE;
  tty->master = umockdev_testbed_get_dev_fd (sim->testbed, tty->devnode);
  if (tty->master < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "umockdev made no pty for %s", tty->devnode);
      return FALSE;
    }
  tty->slave = open (ptsname (tty->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  tty->wake = eventfd (0, EFD_CLOEXEC);
  tty->thread = g_thread_new ("defuse-sim-tty", serve, tty);
  umockdev_testbed_uevent (sim->testbed, tty->iface_syspath, "add");
  umockdev_testbed_uevent (sim->testbed, tty->tty_syspath, "add");
  defuse_sim_log (sim, "device %u: serial port %s (MicroPython v%s, %s)", slot->index, tty->devnode,
                  mp->version, mp->machine);
  return TRUE;
}

/* Before the USB device goes: the port hangs up and its records go. */
void
defuse_sim_tty_detach (DefuseSimNode *node)
{
  DefuseSimTty *tty = node->tty;
  DefuseSim *sim;
  int null_fd;

  if (tty == NULL)
    return;
  sim = tty->sim;
  node->tty = NULL;
  tty->stopped = TRUE;
  if (tty->wake >= 0)
    eventfd_write (tty->wake, 1);
  /* umockdev maps the pty's name to the node for its preload
   * ($UMOCKDEV_DIR/dev/.ptymap/_dev_pts_N) and would refuse the next pty
   * that gets the freed number: the map entry goes with the pty */
  if (tty->master >= 0 && ptsname (tty->master) != NULL)
    {
      g_autofree gchar *key = g_strdelimit (g_strdup (ptsname (tty->master)), "/", '_');
      g_autofree gchar *root = umockdev_testbed_get_root_dir (sim->testbed);  /* a copy */
      g_autofree gchar *map = g_build_filename (root, "dev", ".ptymap", key, NULL);
      unlink (map);
    }
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (tty->master >= 0 && null_fd >= 0)
    dup2 (null_fd, tty->master);  /* the fd number stays umockdev's */
  if (null_fd >= 0)
    close (null_fd);
  if (tty->slave >= 0)
    close (tty->slave);
  tty->slave = -1;
  umockdev_testbed_uevent (sim->testbed, tty->tty_syspath, "remove");
  umockdev_testbed_remove_device (sim->testbed, tty->tty_syspath);
  umockdev_testbed_uevent (sim->testbed, tty->iface_syspath, "remove");
  umockdev_testbed_remove_device (sim->testbed, tty->iface_syspath);
  defuse_sim_log (sim, "device %u: serial port %s gone", tty->slot->index, tty->devnode);
}

/* At the end of the run, without the lock: every serving thread ends. */
void
defuse_sim_tty_free (DefuseSimTty *tty)
{
  if (tty->wake >= 0)
    eventfd_write (tty->wake, 1);
  if (tty->thread != NULL)
    g_thread_join (tty->thread);
  if (tty->wake >= 0)
    close (tty->wake);
  if (tty->slave >= 0)
    close (tty->slave);
  g_clear_pointer (&tty->repl, sim_repl_free);
  g_free (tty->iface_syspath);
  g_free (tty->tty_syspath);
  g_free (tty->devnode);
  g_free (tty);
}
