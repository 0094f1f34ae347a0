/* defuse-sim-usbdevfs.c: answers the usbdevfs ioctls a program issues on
 * a virtual device's /dev/bus/usb node, from the device model.
 *
 * libusb (1.0.26) submits every transfer as an URB and reaps it with
 * REAPURBNDELAY once poll() says the node is ready.  The node is a plain
 * file, so poll() is always ready and libusb spins on a pending URB: each
 * URB is therefore complete when its SUBMITURB returns, and a busy (NAKing)
 * device is modelled by holding that SUBMITURB until the model says the
 * answer reaches the host.  Holding never blocks other devices of the run.
 *
 * Kernel behaviour copied here (drivers/usb/core/devio.c): a STALL is URB
 * status -EPIPE; a discarded URB is reaped with -ENOENT; URBs the device
 * never answered are reaped with -ESHUTDOWN after it left (we advertise
 * REAP_AFTER_DISCONNECT), and every other ioctl then answers ENODEV.
 *
 * A resolve can be a round trip to the program (always with
 * --ioctl=umockdev), so an empty reap resolves nothing and the answer of
 * an IN transfer is copied into the URB when it is reaped (one write to
 * the program instead of two). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <linux/usb/ch9.h>

#include "defuse-sim.h"

#define SETUP_SIZE 8

/* One submitted URB. */
typedef struct {
  DefuseSimMem *urb;         /* struct usbdevfs_urb */
  DefuseSimMem *buffer;      /* setup packet + data stage */
  gint          status;
  gint          actual_length;
  guint8       *in_data;     /* answer of an IN transfer, copied in at reap */
} Urb;

/* One open file descriptor of the program. */
struct _DefuseSimClient {
  DefuseSim              *sim;
  const DefuseSimBackend *backend;
  DefuseSimNode          *node;
  GQueue                  flying;  /* Urb: not answered (no-answer fault) */
  GQueue                  done;    /* Urb: answered, reaped in this order */
};

/* An ioctl held until the device answers. */
typedef struct {
  DefuseSimClient *client;
  gint64           due_us;
  Urb             *urb;        /* SUBMITURB */
  DefuseSimMem    *ctrl_data;  /* CONTROL: the data stage */
  guint8          *in_data;    /* CONTROL: its answer */
  glong            result;
  gint             errnum;
} Held;

static void
urb_free (const DefuseSimBackend *backend, Urb *urb)
{
  g_clear_pointer (&urb->buffer, backend->mem_unref);
  g_clear_pointer (&urb->urb, backend->mem_unref);
  g_free (urb->in_data);
  g_free (urb);
}

DefuseSimClient *
defuse_sim_client_new (DefuseSim *sim, const gchar *devnode)
{
  DefuseSimClient *client = g_new0 (DefuseSimClient, 1);

  g_rec_mutex_lock (&sim->lock);
  client->sim = sim;
  client->backend = sim->backend;
  client->node = defuse_sim_lookup_node (sim, devnode);
  g_queue_init (&client->flying);
  g_queue_init (&client->done);
  if (client->node != NULL)
    client->node->clients = g_list_prepend (client->node->clients, client);
  g_rec_mutex_unlock (&sim->lock);
  return client;
}

/* the program closed the file */
void
defuse_sim_client_free (DefuseSimClient *client)
{
  DefuseSim *sim = client->sim;
  Urb *urb;

  g_rec_mutex_lock (&sim->lock);
  if (client->node != NULL)
    {
      client->node->clients = g_list_remove (client->node->clients, client);
      /* closing releases its interfaces */
      for (guint i = 0; i < DEFUSE_SIM_MAX_IFACES; i++)
        if (client->node->claims[i] == client)
          client->node->claims[i] = NULL;
    }
  while ((urb = g_queue_pop_head (&client->flying)) != NULL)
    urb_free (client->backend, urb);
  while ((urb = g_queue_pop_head (&client->done)) != NULL)
    urb_free (client->backend, urb);
  g_rec_mutex_unlock (&sim->lock);
  g_free (client);
}

/* The device left the bus: what it never answered completes with
 * -ESHUTDOWN, as the host controller gives back URBs of a gone device. */
void
defuse_sim_node_kill_urbs (DefuseSimNode *node)
{
  for (GList *l = node->clients; l != NULL; l = l->next)
    {
      DefuseSimClient *client = l->data;
      Urb *urb;

      while ((urb = g_queue_pop_head (&client->flying)) != NULL)
        {
          urb->status = -ESHUTDOWN;
          urb->actual_length = 0;
          g_queue_push_tail (&client->done, urb);
        }
    }
}

/* gone before an answer due at due_us reached the host */
static gboolean
gone_before (DefuseSimClient *client, gint64 due_us)
{
  return client->node == NULL || (client->node->gone && client->node->gone_at_us < due_us);
}

/* the last use of call: the transport may free it */
static void
complete (DefuseSimCall *call, glong result, gint errnum)
{
  call->backend->complete (call, result, errnum);
}

static void
complete_errno (DefuseSimCall *call, gint errnum)
{
  complete (call, errnum == 0 ? 0 : -1, errnum);
}

static SimResult
run_control (DefuseSimClient *client, const guint8 *setup_bytes, guint8 *data,
             gsize *actual, gint64 *done_us)
{
  DefuseSimSlot *slot = client->node->slot;
  SimSetup setup;
  guint64 done = 0;
  guint64 now = (guint64) g_get_monotonic_time ();
  SimResult result;

  setup.request_type = setup_bytes[0];
  setup.request = setup_bytes[1];
  setup.value = (guint16) (setup_bytes[2] | setup_bytes[3] << 8);
  setup.index = (guint16) (setup_bytes[4] | setup_bytes[5] << 8);
  setup.length = (guint16) (setup_bytes[6] | setup_bytes[7] << 8);

  *actual = 0;
  result = sim_device_control (slot->device, now, &setup, data, actual, &done);
  client->sim->n_control++;
  if (*actual > setup.length)
    *actual = setup.length;
  *done_us = (gint64) MAX (done, now);
  return result;
}

static glong
held_fire (gpointer data, gint *errnum)
{
  Held *held = data;
  gboolean gone = gone_before (held->client, held->due_us);

  *errnum = 0;
  if (held->urb != NULL)
    {
      Urb *urb = g_steal_pointer (&held->urb);

      if (gone)
        {
          urb->status = -ESHUTDOWN;
          urb->actual_length = 0;
          g_clear_pointer (&urb->in_data, g_free);
        }
      g_queue_push_tail (&held->client->done, urb);
      return 0;
    }
  if (gone)
    {
      *errnum = ENODEV;
      return -1;
    }
  if (held->ctrl_data != NULL && held->in_data != NULL && held->result > 0)
    memcpy (held->ctrl_data->data, held->in_data, (gsize) held->result);
  *errnum = held->errnum;
  return held->result;
}

/* also for a hold dropped when the run ends */
static void
held_free (gpointer data)
{
  Held *held = data;
  const DefuseSimBackend *backend = held->client->backend;

  if (held->urb != NULL)
    urb_free (backend, held->urb);
  g_clear_pointer (&held->ctrl_data, backend->mem_unref);
  g_free (held->in_data);
  g_free (held);
}

static void
hold (DefuseSimCall *call, Held *held, gint64 at_us)
{
  held->client = call->client;
  held->due_us = at_us;
  call->client->sim->n_held++;
  call->backend->hold (call, at_us, held_fire, held, held_free);
}

static void
handle_submit_urb (DefuseSimCall *call)
{
  const DefuseSimBackend *backend = call->backend;
  DefuseSimClient *client = call->client;
  struct usbdevfs_urb *kurb;
  DefuseSimMem *urb_mem;
  DefuseSimMem *buffer;
  Urb *urb;
  guint8 *setup;
  guint16 length;
  gboolean in;
  gsize actual = 0;
  gint64 done_us = 0;

  urb_mem = backend->resolve (call, call->arg, 0, sizeof (struct usbdevfs_urb));
  if (urb_mem == NULL)
    {
      complete (call, -1, EFAULT);
      return;
    }
  kurb = (struct usbdevfs_urb *) urb_mem->data;

  /* only the default control pipe exists: DFU interfaces have no endpoints */
  if ((kurb->endpoint & 0x7f) != 0 || kurb->type != USBDEVFS_URB_TYPE_CONTROL ||
      kurb->buffer_length < SETUP_SIZE)
    {
      gint errnum = (kurb->endpoint & 0x7f) != 0 ? ENOENT : EINVAL;
      backend->mem_unref (urb_mem);
      complete (call, -1, errnum);
      return;
    }
  buffer = backend->resolve (call, urb_mem, G_STRUCT_OFFSET (struct usbdevfs_urb, buffer),
                             (gsize) kurb->buffer_length);
  if (buffer == NULL)
    {
      backend->mem_unref (urb_mem);
      complete (call, -1, EFAULT);
      return;
    }
  setup = buffer->data;
  length = (guint16) (setup[6] | setup[7] << 8);
  in = (setup[0] & USB_DIR_IN) != 0;
  if ((gsize) length > buffer->len - SETUP_SIZE)
    {
      backend->mem_unref (buffer);
      backend->mem_unref (urb_mem);
      complete (call, -1, EINVAL);
      return;
    }

  urb = g_new0 (Urb, 1);
  urb->urb = urb_mem;
  urb->buffer = buffer;
  if (in)
    urb->in_data = g_malloc0 (MAX (length, 1));

  switch (run_control (client, setup, in ? urb->in_data : setup + SETUP_SIZE, &actual, &done_us))
    {
    case SIM_RESULT_OK:
      urb->status = 0;
      urb->actual_length = in ? (gint) actual : length;
      break;
    case SIM_RESULT_STALL:
      urb->status = -EPIPE;
      urb->actual_length = 0;
      break;
    case SIM_RESULT_NODEV:
      urb_free (backend, urb);
      complete (call, -1, ENODEV);
      defuse_sim_slot_poll_events (client->node->slot);
      return;
    case SIM_RESULT_NO_ANSWER:
    default:
      /* accepted, never completed: the host times out and discards it */
      g_queue_push_tail (&client->flying, urb);
      complete (call, 0, 0);
      defuse_sim_slot_poll_events (client->node->slot);
      return;
    }
  if (!in || urb->actual_length == 0)
    g_clear_pointer (&urb->in_data, g_free);

  if (done_us > g_get_monotonic_time ())
    {
      Held *held = g_new0 (Held, 1);
      held->urb = urb;
      hold (call, held, done_us);
    }
  else
    {
      g_queue_push_tail (&client->done, urb);
      complete (call, 0, 0);
    }
  /* after the answer is scheduled, so that an event due at the same time
   * (the device leaving) comes after it */
  defuse_sim_slot_poll_events (client->node->slot);
}

static void
handle_reap (DefuseSimCall *call)
{
  const DefuseSimBackend *backend = call->backend;
  DefuseSimClient *client = call->client;
  DefuseSimMem *slot_ptr;
  struct usbdevfs_urb *kurb;
  Urb *urb = g_queue_peek_head (&client->done);

  if (urb == NULL)
    {
      client->sim->n_reap_empty++;
      complete (call, -1, client->node->gone ? ENODEV : EAGAIN);
      return;
    }

  /* the argument is where the program wants the URB's address */
  slot_ptr = backend->resolve (call, call->arg, 0, sizeof (gpointer));
  if (slot_ptr == NULL)
    {
      complete (call, -1, EFAULT);
      return;
    }
  g_queue_pop_head (&client->done);

  kurb = (struct usbdevfs_urb *) urb->urb->data;
  kurb->status = urb->status;
  kurb->actual_length = urb->actual_length;
  kurb->error_count = 0;
  if (urb->in_data != NULL && urb->actual_length > 0)
    memcpy (urb->buffer->data + SETUP_SIZE, urb->in_data, (gsize) urb->actual_length);
  backend->set_ptr (slot_ptr, 0, urb->urb);
  backend->mem_unref (slot_ptr);
  urb_free (backend, urb);
  complete (call, 0, 0);
}

static void
handle_discard (DefuseSimCall *call)
{
  DefuseSimClient *client = call->client;
  guint64 addr = 0;
  Urb *urb = NULL;

  /* the argument is the URB's address itself */
  memcpy (&addr, call->arg->data, MIN (call->arg->len, sizeof addr));
  for (GList *l = client->flying.head; l != NULL && urb == NULL; l = l->next)
    if (((Urb *) l->data)->urb->client_addr == addr)
      urb = l->data;
  if (urb == NULL)
    {
      /* already answered: the kernel says EINVAL and libusb reaps it */
      complete (call, -1, EINVAL);
      return;
    }
  g_queue_remove (&client->flying, urb);
  urb->status = -ENOENT;
  urb->actual_length = 0;
  g_queue_push_tail (&client->done, urb);
  complete (call, 0, 0);
}

/* USBDEVFS_CONTROL, the synchronous control transfer: a fallback libusb
 * does not use, served by the same model and timing. */
static void
handle_control (DefuseSimCall *call)
{
  const DefuseSimBackend *backend = call->backend;
  DefuseSimClient *client = call->client;
  DefuseSimMem *ctrl;
  DefuseSimMem *data = NULL;
  struct usbdevfs_ctrltransfer *xfer;
  guint8 setup[SETUP_SIZE];
  g_autofree guint8 *in_data = NULL;
  gboolean in;
  gsize actual = 0;
  gint64 done_us = 0;
  Held *held;

  ctrl = backend->resolve (call, call->arg, 0, sizeof (struct usbdevfs_ctrltransfer));
  if (ctrl == NULL)
    {
      complete (call, -1, EFAULT);
      return;
    }
  xfer = (struct usbdevfs_ctrltransfer *) ctrl->data;
  in = (xfer->bRequestType & USB_DIR_IN) != 0;
  if (xfer->wLength > 0)
    {
      data = backend->resolve (call, ctrl, G_STRUCT_OFFSET (struct usbdevfs_ctrltransfer, data), xfer->wLength);
      if (data == NULL)
        {
          backend->mem_unref (ctrl);
          complete (call, -1, EFAULT);
          return;
        }
    }
  setup[0] = xfer->bRequestType;
  setup[1] = xfer->bRequest;
  setup[2] = xfer->wValue & 0xff;
  setup[3] = xfer->wValue >> 8;
  setup[4] = xfer->wIndex & 0xff;
  setup[5] = xfer->wIndex >> 8;
  setup[6] = xfer->wLength & 0xff;
  setup[7] = xfer->wLength >> 8;
  if (in)
    in_data = g_malloc0 (MAX (xfer->wLength, 1));

  held = g_new0 (Held, 1);
  switch (run_control (client, setup, in ? in_data : (data != NULL ? data->data : setup + SETUP_SIZE),
                       &actual, &done_us))
    {
    case SIM_RESULT_OK:
      held->result = in ? (glong) actual : xfer->wLength;
      if (in && actual > 0)
        {
          held->ctrl_data = defuse_sim_mem_ref (data);
          held->in_data = g_steal_pointer (&in_data);
        }
      break;
    case SIM_RESULT_STALL:
      held->result = -1;
      held->errnum = EPIPE;
      break;
    case SIM_RESULT_NODEV:
      held->result = -1;
      held->errnum = ENODEV;
      done_us = 0;
      break;
    case SIM_RESULT_NO_ANSWER:
    default:
      held->result = -1;
      held->errnum = ETIMEDOUT;
      /* timeout 0 waits forever, like the kernel */
      done_us = xfer->timeout > 0 ? g_get_monotonic_time () + (gint64) xfer->timeout * 1000 : G_MAXINT64;
      break;
    }
  if (data != NULL)
    backend->mem_unref (data);
  backend->mem_unref (ctrl);
  hold (call, held, done_us);
  defuse_sim_slot_poll_events (client->node->slot);
}

/* an ioctl argument that is a plain integer or struct, copied in */
static gboolean
read_arg (DefuseSimCall *call, gpointer out, gsize len)
{
  DefuseSimMem *mem = call->backend->resolve (call, call->arg, 0, len);

  if (mem == NULL)
    return FALSE;
  memcpy (out, mem->data, len);
  call->backend->mem_unref (mem);
  return TRUE;
}

/* interface numbers from the configuration descriptor */
static gboolean
node_has_interface (DefuseSimNode *node, guint number)
{
  const SimUsbInfo *info = sim_device_get_info (node->slot->device);
  gsize size = 0;
  const guint8 *desc = g_bytes_get_data (info->descriptors, &size);

  for (gsize pos = 0; pos + 3 <= size && desc[pos] >= 2; pos += desc[pos])
    if (desc[pos + 1] == USB_DT_INTERFACE && desc[pos + 2] == number)
      return TRUE;
  return FALSE;
}

static gint
claim_interface (DefuseSimClient *client, guint number)
{
  DefuseSimNode *node = client->node;

  if (number >= DEFUSE_SIM_MAX_IFACES || !node_has_interface (node, number))
    return ENOENT;
  if (node->claims[number] != NULL && node->claims[number] != client)
    return EBUSY;
  node->claims[number] = client;
  return 0;
}

static gint
result_errno (SimResult result)
{
  switch (result)
    {
    case SIM_RESULT_OK:
      return 0;
    case SIM_RESULT_STALL:
      return EPIPE;
    case SIM_RESULT_NODEV:
      return ENODEV;
    case SIM_RESULT_NO_ANSWER:
    default:
      return ETIMEDOUT;
    }
}

static void
handle_other (DefuseSim *sim, DefuseSimCall *call)
{
  DefuseSimClient *client = call->client;
  DefuseSimNode *node = client->node;
  SimDevice *device = node->slot->device;
  guint value = 0;

  switch (call->request)
    {
    case USBDEVFS_GET_CAPABILITIES:
      {
        /* what a current xHCI kernel offers, less MMAP (the node is a
         * plain file) and CONNINFO_EX (sysfs has the speed) */
        guint32 caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                       USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_BULK_SCATTER_GATHER |
                       USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_DROP_PRIVILEGES;
        DefuseSimMem *mem = call->backend->resolve (call, call->arg, 0, sizeof caps);
        if (mem == NULL)
          {
            complete (call, -1, EFAULT);
            break;
          }
        memcpy (mem->data, &caps, sizeof caps);
        call->backend->mem_unref (mem);
        complete (call, 0, 0);
      }
      break;

    case USBDEVFS_CLAIMINTERFACE:
      if (!read_arg (call, &value, sizeof value))
        complete (call, -1, EFAULT);
      else
        complete_errno (call, claim_interface (client, value));
      break;

    case USBDEVFS_DISCONNECT_CLAIM:
      {
        /* no kernel driver is ever bound, so there is nothing to detach */
        struct usbdevfs_disconnect_claim claim;
        if (!read_arg (call, &claim, sizeof claim))
          complete (call, -1, EFAULT);
        else
          complete_errno (call, claim_interface (client, claim.interface));
      }
      break;

    case USBDEVFS_RELEASEINTERFACE:
      if (!read_arg (call, &value, sizeof value))
        complete (call, -1, EFAULT);
      else if (value >= DEFUSE_SIM_MAX_IFACES || node->claims[value] != client)
        complete (call, -1, EINVAL);
      else
        {
          node->claims[value] = NULL;
          complete (call, 0, 0);
        }
      break;

    case USBDEVFS_SETINTERFACE:
      {
        struct usbdevfs_setinterface set;
        if (!read_arg (call, &set, sizeof set))
          complete (call, -1, EFAULT);
        else if (!node_has_interface (node, set.interface))
          complete (call, -1, EINVAL);
        else
          {
            complete_errno (call, result_errno (sim_device_set_interface (device, (guint8) set.interface,
                                                                          (guint8) set.altsetting)));
            defuse_sim_slot_poll_events (node->slot);
          }
      }
      break;

    case USBDEVFS_SETCONFIGURATION:
      if (!read_arg (call, &value, sizeof value))
        complete (call, -1, EFAULT);
      else
        {
          gint errnum = result_errno (sim_device_set_configuration (device, (guint8) value));
          /* libusb reads the active configuration from sysfs */
          if (errnum == 0)
            umockdev_testbed_set_attribute_int (sim->testbed, node->syspath, "bConfigurationValue", (gint) value);
          complete_errno (call, errnum);
          defuse_sim_slot_poll_events (node->slot);
        }
      break;

    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
      if (!read_arg (call, &value, sizeof value))
        complete (call, -1, EFAULT);
      else
        complete_errno (call, (value & 0x7f) == 0 ? 0 : ENOENT);
      break;

    case USBDEVFS_RESET:
      /* a device that re-enumerates as something else is gone for the
       * kernel: ENODEV, which libusb reports as NOT_FOUND */
      complete_errno (call, result_errno (sim_device_reset (device, (guint64) g_get_monotonic_time ())));
      defuse_sim_slot_poll_events (node->slot);
      break;

    case USBDEVFS_GETDRIVER:
      complete (call, -1, ENODATA);
      break;

    case USBDEVFS_IOCTL:
      {
        struct usbdevfs_ioctl sub;
        if (!read_arg (call, &sub, sizeof sub))
          complete (call, -1, EFAULT);
        else if (sub.ioctl_code == (gint) USBDEVFS_DISCONNECT)
          complete (call, -1, ENODATA); /* no driver bound */
        else if (sub.ioctl_code == (gint) USBDEVFS_CONNECT)
          complete (call, 0, 0);
        else
          complete (call, -1, ENOTTY);
      }
      break;

    case USBDEVFS_CONTROL:
      handle_control (call);
      break;

    case USBDEVFS_CONNECTINFO:
      {
        struct usbdevfs_connectinfo *info;
        DefuseSimMem *mem = call->backend->resolve (call, call->arg, 0, sizeof *info);
        if (mem == NULL)
          {
            complete (call, -1, EFAULT);
            break;
          }
        info = (struct usbdevfs_connectinfo *) mem->data;
        info->devnum = node->devnum;
        info->slow = sim_device_get_info (device)->speed_mbps < 12;
        call->backend->mem_unref (mem);
        complete (call, 0, 0);
      }
      break;

    case USBDEVFS_GET_SPEED:
      {
        guint mbps = sim_device_get_info (device)->speed_mbps;
        enum usb_device_speed speed = mbps >= 5000 ? USB_SPEED_SUPER :
                                      mbps >= 480 ? USB_SPEED_HIGH :
                                      mbps >= 12 ? USB_SPEED_FULL : USB_SPEED_LOW;
        complete (call, (glong) speed, 0);
      }
      break;

    case USBDEVFS_DROP_PRIVILEGES:
      complete (call, 0, 0);
      break;

    default:
      if (sim->verbose)
        defuse_sim_log (sim, "%s: unhandled ioctl 0x%lx", node->devnode, call->request);
      complete (call, -1, ENOTTY);
      break;
    }
}

/* Entry point of both transports, for every ioctl. */
void
defuse_sim_usbdevfs_handle (DefuseSim *sim, DefuseSimCall *call)
{
  DefuseSimClient *client = call->client;

  g_rec_mutex_lock (&sim->lock);
  sim->n_ioctls++;

  /* reaping first: it is most of the traffic, and it is the one ioctl
   * that still works after the device left; never blocking, not even
   * REAPURB (libusb only uses NDELAY) */
  if (call->request == USBDEVFS_REAPURBNDELAY || call->request == USBDEVFS_REAPURB)
    {
      if (client->node == NULL || sim->stopping)
        complete (call, -1, ENODEV);
      else
        handle_reap (call);
    }
  else if (client->node == NULL || client->node->gone || sim->stopping)
    complete (call, -1, ENODEV);
  else if (call->request == USBDEVFS_SUBMITURB)
    handle_submit_urb (call);
  else if (call->request == USBDEVFS_DISCARDURB)
    handle_discard (call);
  else
    handle_other (sim, call);
  g_rec_mutex_unlock (&sim->lock);
}
