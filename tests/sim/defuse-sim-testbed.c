/* defuse-sim-testbed.c: the sysfs side of the virtual devices.
 *
 * Each enumeration is a umockdev device record: the properties and
 * attributes Linux gives a usb_device (DESIGN.md section 4) and the binary
 * "descriptors" attribute libusb reads instead of asking the device.  The
 * node is served (defuse-sim-ioctl.h) before the device appears, so a
 * program that sees the "add" uevent can open it at once (umockdev issue
 * 173: attaching the ioctl handler later races with that open).
 *
 * add_from_string() rather than add_device(), because only the former
 * creates the /dev node file that the preload hands to open(). */
#include <string.h>

#include "defuse-sim.h"

#define ROOT_HUB_PATH "/devices/pci0000:00/0000:00:14.0/usb1"
#define USB_MAJOR     189

/* A sysfs text attribute as umockdev's "A:" line wants it: C escapes
 * (umockdev runs g_strcompress on it) and the kernel's trailing newline. */
static void
append_attr (GString *record, const gchar *name, const gchar *value)
{
  g_autofree gchar *escaped = g_strescape (value != NULL ? value : "", NULL);
  g_string_append_printf (record, "A: %s=%s\\n\n", name, escaped);
}

static void
append_attr_printf (GString *record, const gchar *name, const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
append_attr_printf (GString *record, const gchar *name, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *value = NULL;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  append_attr (record, name, value);
}

/* The kernel allocates device numbers round-robin from 1 (the root hub
 * keeps 1), skipping numbers still in use. */
static guint
allocate_devnum (DefuseSim *sim)
{
  for (guint tries = 0; tries < 126; tries++)
    {
      guint devnum = sim->next_devnum;
      gboolean used = FALSE;

      sim->next_devnum = devnum >= 127 ? 2 : devnum + 1;
      for (guint i = 0; i < sim->slots->len; i++)
        {
          DefuseSimSlot *other = g_ptr_array_index (sim->slots, i);
          if (other->node != NULL && other->node->devnum == devnum)
            used = TRUE;
        }
      if (!used)
        return devnum;
    }
  return 0;
}

static gchar *
build_record (DefuseSimSlot *slot, DefuseSimNode *node, const SimUsbInfo *info)
{
  GString *record = g_string_new (NULL);
  guint minor = (DEFUSE_SIM_BUSNUM - 1) * 128 + node->devnum - 1;
  gsize n_desc = 0;
  const guint8 *desc = g_bytes_get_data (info->descriptors, &n_desc);
  guint8 device_class = n_desc >= 18 ? desc[4] : 0;
  guint8 max_packet = n_desc >= 18 ? desc[7] : 64;
  guint8 n_configs = n_desc >= 18 ? desc[17] : 1;
  guint16 bcd_usb = n_desc >= 18 ? (guint16) (desc[2] | desc[3] << 8) : 0x0200;

  g_string_append_printf (record, "P: %s\n", node->syspath + strlen ("/sys"));
  /* the node's contents are the descriptors, as usbfs gives them to
   * read(): libusb 0.1 (avrdude's DFU code) reads them there */
  g_string_append_printf (record, "N: bus/usb/%03u/%03u=", DEFUSE_SIM_BUSNUM, node->devnum);
  for (gsize i = 0; i < n_desc; i++)
    g_string_append_printf (record, "%02X", desc[i]);
  g_string_append (record, "\n");

  /* properties, as the kernel's uevent has them */
  g_string_append (record, "E: SUBSYSTEM=usb\n");
  g_string_append (record, "E: DEVTYPE=usb_device\n");
  g_string_append (record, "E: DRIVER=usb\n");
  g_string_append_printf (record, "E: DEVNAME=%s\n", node->devnode);
  g_string_append_printf (record, "E: BUSNUM=%03u\n", DEFUSE_SIM_BUSNUM);
  g_string_append_printf (record, "E: DEVNUM=%03u\n", node->devnum);
  g_string_append_printf (record, "E: MAJOR=%u\nE: MINOR=%u\n", USB_MAJOR, minor);
  g_string_append_printf (record, "E: PRODUCT=%x/%x/%x\n", info->vid, info->pid, info->bcd_device);
  g_string_append_printf (record, "E: TYPE=%u/0/0\n", device_class);

  /* attributes libusb and udev read */
  append_attr_printf (record, "busnum", "%u", DEFUSE_SIM_BUSNUM);
  append_attr_printf (record, "devnum", "%u", node->devnum);
  append_attr_printf (record, "devpath", "%u", slot->index);
  append_attr_printf (record, "dev", "%u:%u", USB_MAJOR, minor);
  append_attr_printf (record, "speed", "%u", info->speed_mbps);
  append_attr_printf (record, "bConfigurationValue", "%u", info->configuration);
  append_attr_printf (record, "bNumConfigurations", "%u", n_configs);
  append_attr_printf (record, "bDeviceClass", "%02x", device_class);
  append_attr_printf (record, "bMaxPacketSize0", "%u", max_packet);
  append_attr_printf (record, "idVendor", "%04x", info->vid);
  append_attr_printf (record, "idProduct", "%04x", info->pid);
  append_attr_printf (record, "bcdDevice", "%04x", info->bcd_device);
  append_attr_printf (record, "version", "%2x.%02x", bcd_usb >> 8, bcd_usb & 0xff);
  append_attr (record, "maxchild", "0");
  append_attr (record, "removable", "removable");
  if (info->manufacturer != NULL)
    append_attr (record, "manufacturer", info->manufacturer);
  if (info->product != NULL)
    append_attr (record, "product", info->product);
  if (info->serial != NULL)
    append_attr (record, "serial", info->serial);

  g_string_append (record, "H: descriptors=");
  for (gsize i = 0; i < n_desc; i++)
    g_string_append_printf (record, "%02X", desc[i]);
  g_string_append (record, "\n");
  return g_string_free (record, FALSE);
}

DefuseSimNode *
defuse_sim_lookup_node (DefuseSim *sim, const gchar *devnode)
{
  return g_hash_table_lookup (sim->by_devnode, devnode);
}

void
defuse_sim_node_free (DefuseSimNode *node)
{
  g_list_free (node->clients);
  g_free (node->devnode);
  g_free (node->syspath);
  g_free (node);
}

gboolean
defuse_sim_slot_connect (DefuseSimSlot *slot, GError **error)
{
  DefuseSim *sim = slot->sim;
  const SimUsbInfo *info = sim_device_get_info (slot->device);
  g_autofree gchar *record = NULL;
  DefuseSimNode *node;
  guint devnum;

  if (slot->node != NULL)
    return TRUE;
  devnum = allocate_devnum (sim);
  if (devnum == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "device %u: no free device number on bus %u", slot->index, DEFUSE_SIM_BUSNUM);
      return FALSE;
    }

  node = g_new0 (DefuseSimNode, 1);
  node->slot = slot;
  node->devnum = devnum;
  node->devnode = g_strdup_printf ("/dev/bus/usb/%03u/%03u", DEFUSE_SIM_BUSNUM, devnum);
  node->syspath = g_strdup_printf ("/sys" ROOT_HUB_PATH "/%u-%u", DEFUSE_SIM_BUSNUM, slot->index);
  g_ptr_array_add (sim->nodes, node);

  /* served first: see the comment at the top */
  if (!sim->backend->attach (sim, node->devnode, error))
    {
      g_prefix_error (error, "device %u: cannot serve %s: ", slot->index, node->devnode);
      node->gone = TRUE;
      return FALSE;
    }
  record = build_record (slot, node, info);
  if (!umockdev_testbed_add_from_string (sim->testbed, record, error))
    {
      g_prefix_error (error, "device %u: cannot add %s to the testbed: ", slot->index, node->syspath);
      sim->backend->detach (sim, node->devnode);
      node->gone = TRUE;
      return FALSE;
    }
  g_hash_table_replace (sim->by_devnode, g_strdup (node->devnode), node);
  slot->node = node;
  slot->enumerations++;

  /* announced last, when everything a listener may read is in place */
  umockdev_testbed_uevent (sim->testbed, node->syspath, "add");
  /* the serial port after its device, as cdc_acm binds after enumeration */
  if (!defuse_sim_tty_attach (slot, node, error))
    {
      g_prefix_error (error, "device %u: cannot add its serial port: ", slot->index);
      return FALSE;
    }
  defuse_sim_log (sim, "device %u: connected as %s (%04x:%04x \"%s\" serial %s)",
                  slot->index, node->devnode, info->vid, info->pid,
                  info->product != NULL ? info->product : "",
                  info->serial != NULL ? info->serial : "-");
  return TRUE;
}

void
defuse_sim_slot_disconnect (DefuseSimSlot *slot, gint64 at_us)
{
  DefuseSim *sim = slot->sim;
  DefuseSimNode *node = slot->node;

  if (node == NULL)
    return;
  slot->node = NULL;
  node->gone = TRUE;
  node->gone_at_us = at_us;
  defuse_sim_node_kill_urbs (node);
  defuse_sim_tty_detach (node);

  /* the uevent is built from the sysfs device, so it goes out first */
  umockdev_testbed_uevent (sim->testbed, node->syspath, "remove");
  umockdev_testbed_remove_device (sim->testbed, node->syspath);
  /* new opens of the old node fail; open descriptors keep their socket */
  sim->backend->detach (sim, node->devnode);
  defuse_sim_log (sim, "device %u: disconnected from %s", slot->index, node->devnode);
}

typedef struct {
  DefuseSimSlot *slot;
  SimEvent       event;
} PendingEvent;

static void
run_event (gpointer data)
{
  PendingEvent *pending = data;
  DefuseSimSlot *slot = pending->slot;
  DefuseSim *sim = slot->sim;
  g_autoptr(GError) error = NULL;

  g_rec_mutex_lock (&sim->lock);
  /* queued before the board was unplugged or plugged in: void */
  if (pending->event.generation != sim_device_get_generation (slot->device))
    {
      if (sim->verbose)
        defuse_sim_log (sim, "device %u: %s of an earlier plug dropped", slot->index,
                        pending->event.type == SIM_EVENT_DISCONNECT ? "disconnect" : "connect");
    }
  else if (!sim->stopping)
    {
      if (pending->event.type == SIM_EVENT_DISCONNECT)
        defuse_sim_slot_disconnect (slot, (gint64) pending->event.at_us);
      else if (!defuse_sim_slot_connect (slot, &error))
        defuse_sim_log (sim, "device %u: %s", slot->index, error->message);
      /* a disconnect is often followed by the re-enumeration */
      defuse_sim_slot_poll_events (slot);
    }
  g_rec_mutex_unlock (&sim->lock);
}

/* Called with the lock held after every request and every bus event: the
 * model queues what it does on the bus, with the time it happens. */
void
defuse_sim_slot_poll_events (DefuseSimSlot *slot)
{
  DefuseSim *sim = slot->sim;
  SimEvent event;

  while (sim_device_pop_event (slot->device, &event))
    {
      PendingEvent *pending = g_new0 (PendingEvent, 1);

      pending->slot = slot;
      pending->event = event;
      if (sim->verbose)
        defuse_sim_log (sim, "device %u: %s due at %+.3f ms", slot->index,
                        event.type == SIM_EVENT_DISCONNECT ? "disconnect" : "connect",
                        ((gint64) event.at_us - g_get_monotonic_time ()) / 1000.0);
      /* always through the clock, even when due: the request that caused
       * it must be answered before the device vanishes */
      defuse_sim_clock_schedule (sim->clock, (gint64) event.at_us, run_event, pending, g_free);
    }
}

/* --- the cable: defuse-sim --control and SIGUSR1 --- */

gboolean
defuse_sim_slot_is_unplugged (DefuseSimSlot *slot)
{
  return slot->plug_later || sim_device_is_unplugged (slot->device);
}

/* Called with the lock held.  The board is off the bus (sysfs entry
 * removed, "remove" sent, open descriptors answer ENODEV) on return. */
gboolean
defuse_sim_slot_unplug (DefuseSimSlot *slot, const gchar *why, GError **error)
{
  gint64 now = g_get_monotonic_time ();

  if (defuse_sim_slot_is_unplugged (slot))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "device %u is unplugged already", slot->index);
      return FALSE;
    }
  defuse_sim_log (slot->sim, "device %u: unplugged (%s)", slot->index, why);
  sim_device_unplug (slot->device, (guint64) now);
  defuse_sim_slot_disconnect (slot, now);
  defuse_sim_slot_poll_events (slot);
  return TRUE;
}

/* Called with the lock held.  The board is in sysfs and announced on
 * return, on its port with a new device number. */
gboolean
defuse_sim_slot_plug (DefuseSimSlot *slot, const gchar *why, GError **error)
{
  gint64 now = g_get_monotonic_time ();

  if (slot->plug_later)
    slot->plug_later = FALSE;
  else if (!sim_device_plug (slot->device, (guint64) now))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "device %u is plugged in already", slot->index);
      return FALSE;
    }
  /* unplugged by a fault whose disconnect the clock has not run yet */
  defuse_sim_slot_disconnect (slot, now);
  defuse_sim_log (slot->sim, "device %u: plugged in (%s)", slot->index, why);
  if (!defuse_sim_slot_connect (slot, error))
    return FALSE;
  defuse_sim_slot_poll_events (slot);
  return TRUE;
}
