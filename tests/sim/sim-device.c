/* sim-device.c: a virtual USB DFU device (see sim-device.h).
 *
 * Three faces, chosen by the profile and by what the host does:
 * - a bootloader in DFU mode: an ST DfuSe bootloader (AN3156, DESIGN.md
 *   section 3) or a plain DFU 1.1 device;
 * - an application with a DFU runtime interface (protocol 1) that
 *   re-enumerates as its bootloader after DFU_DETACH and a USB reset, or by
 *   itself when its functional descriptor says bitWillDetach;
 * - the application a bootloader jumps to after leave: no DFU interface.
 *
 * Time.  A request submitted at now is answered at
 *   max (now, previous answer, end of busy time) + wire time,
 * the wait for the busy time being what NAKs look like to the host.  An
 * operation (erase, write...) is sent with DNLOAD and runs when the first
 * GETSTATUS has been answered with dfuDNBUSY and bwPollTimeout, as ST's
 * implementation does (the status stage goes out, then the flash work
 * starts and blocks the USB stack); the GETSTATUS after it answers
 * dfuDNLOAD-IDLE, or dfuERROR with the bStatus of the failure.  Busy times
 * and the bwPollTimeout the device reports are separate profile values,
 * because real bootloaders under- and over-report (STM32F405: 100 ms for a
 * mass erase that takes seconds).  time_scale multiplies busy times, wire
 * times, reconnect delays and the reported bwPollTimeout (rounded up to
 * 1 ms when not 0) so that a fast test sees the same proportions.
 *
 * What the state machine does where DFU 1.1 and ST's code differ follows
 * ST's (STM32 USB device library usbd_dfu.c, whose behaviour the ROM
 * bootloaders share as far as hosts have documented it):
 * - CLRSTATUS outside dfuERROR moves to dfuERROR/errUNKNOWN instead of
 *   stalling (STM32CubeProgrammer relies on it to unstick an H7);
 * - ABORT in dfuDNBUSY, dfuMANIFEST or dfuERROR is ignored;
 * - DNLOAD is accepted in dfuIDLE and dfuDNLOAD-IDLE only, UPLOAD in dfuIDLE
 *   and dfuUPLOAD-IDLE only; elsewhere the request stalls and the device
 *   goes to dfuERROR/errSTALLEDPKT;
 * - writes go to pointer + (wBlockNum - 2) * wTransferSize: the transfer
 *   size from the functional descriptor, not the request's wLength, or the
 *   short last block of a host that advances wBlockNum (fwupd) would land
 *   at the wrong address.
 */
#include <math.h>
#include <string.h>

#include "df-error.h"
#include "df-le.h"
#include "sim-fault.h"
#include "sim-flip.h"
#include "sim-private.h"
#include "sim-stats.h"

typedef enum {
  DEV_BOOTLOADER,  /* DFU mode: DfuSe or plain DFU */
  DEV_RUNTIME,     /* application with a DFU runtime interface */
  DEV_APP,         /* application without DFU */
  DEV_MODES,
} DevMode;

typedef struct {
  GPtrArray  *strings;    /* of GBytes, by string index; [0] = LANGIDs */
  GBytes     *device;
  GBytes     *config;
  GBytes     *functional; /* DFU functional descriptor, NULL for DEV_APP */
  guint8      n_interfaces;
  guint8      dfu_interface;
  guint8      n_alts;     /* of the DFU interface */
  SimUsbInfo  info;
  gchar      *manufacturer;
  gchar      *product;
  gchar      *serial;
} Descriptors;

typedef enum {
  TR_DISCONNECT,
  TR_CONNECT,
} TransitionType;

typedef struct {
  guint64        at_us;
  TransitionType type;
  DevMode        mode;
  gboolean       power_on;  /* plugged in: nothing of before survives but memory */
} Transition;

/* what a request leaves for after its answer time is known */
typedef struct {
  gboolean  getstatus;
  gboolean  erasing;           /* the operation is an erase (for the busy quirks) */
  guint64   busy_us;           /* an operation starts: busy from the answer on */
  guint32   poll_ms;           /* bwPollTimeout reported with it */
  gboolean  leave;             /* gone after the answer (leave, GD32 leave) */
  gboolean  detach;            /* will-detach runtime: gone after detach_us */
  gboolean  reenumerate;       /* DfuSe DETACH with bitWillDetach: stop, start */
  gboolean  reset_after_busy;  /* read unprotect: reset when the wipe is done */
  gboolean  cut_after;         /* a fault: gone part way through the busy time */
  guint64   cut_after_us;
  gboolean  cut_returns;       /* ... and back in DFU mode */
} Post;

struct _SimDevice {
  SimProfile  *root;
  SimProfile  *boot;
  gdouble      scale;
  gchar       *serial;
  Descriptors *desc[DEV_MODES];

  DevMode      mode;
  DevMode      info_mode;
  gboolean     on_bus;
  gboolean     eventually_on_bus;
  gboolean     unplugged;     /* off the bus until sim_device_plug() */
  guint        generation;    /* bumped by unplug and plug: older events are void */
  GQueue      *transitions;   /* of Transition, by time */
  GQueue      *events;        /* of SimEvent for the runner */
  guint8       configuration;
  guint8       alt;

  SimMemory   *memory;
  gboolean     rdp;

  /* the DFU state machine */
  guint        state;
  guint        status;
  guint32      pointer;
  guint8      *block;         /* DNLOAD data waiting in dfuDNLOAD-SYNC */
  gsize        block_len;
  guint16      block_num;
  gboolean     have_block;
  guint64      busy_until;
  guint        state_after_busy;
  guint        status_after_busy;
  guint64      poll_ready_at;
  guint32      busy_poll_ms;  /* bwPollTimeout given with the running operation */
  gboolean     busy_erasing;  /* the running operation is an erase */
  SimBusyStatus early_status; /* the profile's getstatus_while_busy, or a fault's */
  gboolean     wedged;        /* H7 rev V: dfuDNBUSY for good until CLRSTATUS */
  gboolean     manifest_done;
  guint64      offset;        /* plain DFU: position in the download or upload */
  GHashTable  *erased;        /* plain DFU: sectors erased in this download */
  guint64      detach_until;

  guint64      last_done;
  gboolean     fresh;         /* just (re)connected: no idle time to count */

  /* faults */
  GPtrArray   *faults;
  guint        no_answer_left;
  gint         pending_bad_status;
  gint         pending_state;
  guint        pending_status;
  guint        op_fail_status;
  gboolean     op_lost;        /* a fault: this write is answered OK, not programmed */
  gsize        cut_limit;      /* write: program this many bytes then die */
  gboolean     cut_pending;
  gboolean     cut_returns;
  SimReplBehaviour repl;      /* MicroPython: how the REPL answers */
  gboolean     no_bootloader; /* MicroPython: machine.bootloader() restarts it */

  guint64      n_requests;
  guint64      n_dnload;
  guint64      n_upload;
  guint64      n_getstatus;
  guint64      n_write;
  guint64      n_erase;
  guint64      n_leave;
  guint64      n_bootloader;
  guint64      bytes_written;

  SimFlipState flip;         /* mode flip: the AVR bootloader's own state */

  SimStats    *stats;
};

/* --- names --- */

static const gchar *const state_names[] = {
  "appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
  "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR",
};

static const gchar *const status_names[] = {
  "OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED", "errPROG", "errVERIFY",
  "errADDRESS", "errNOTDONE", "errFIRMWARE", "errVENDOR", "errUSBR", "errPOR", "errUNKNOWN", "errSTALLEDPKT",
};

static const gchar *const op_names[] = {
  "set_address", "erase", "mass_erase", "read_unprotect", "write", "leave", "read",
};

G_STATIC_ASSERT (G_N_ELEMENTS (op_names) == SIM_OP_LAST);

const gchar *
sim_state_to_string (guint state)
{
  return state < G_N_ELEMENTS (state_names) ? state_names[state] : "unknown";
}

const gchar *
sim_status_to_string (guint status)
{
  return status < G_N_ELEMENTS (status_names) ? status_names[status] : "unknown";
}

const gchar *
sim_op_to_string (SimOpKind op)
{
  return op < SIM_OP_LAST ? op_names[op] : "unknown";
}

static gboolean
lookup_name (const gchar *str, const gchar *const *names, guint n, guint *value)
{
  gchar *end = NULL;
  guint64 v;

  for (guint i = 0; i < n; i++)
    if (g_ascii_strcasecmp (str, names[i]) == 0)
      {
        *value = i;
        return TRUE;
      }
  if (!g_ascii_isdigit (str[0]))
    return FALSE;
  v = g_ascii_strtoull (str, &end, 0);
  if (*end != '\0' || v >= n)
    return FALSE;
  *value = (guint) v;
  return TRUE;
}

gboolean
sim_state_from_string (const gchar *str, guint *state)
{
  return lookup_name (str, state_names, G_N_ELEMENTS (state_names), state);
}

gboolean
sim_status_from_string (const gchar *str, guint *status)
{
  return lookup_name (str, status_names, G_N_ELEMENTS (status_names), status);
}

static const gchar *
request_name (const SimSetup *setup)
{
  static const gchar *const standard[] = {
    "GET_STATUS", "CLEAR_FEATURE", "OTHER", "SET_FEATURE", "OTHER", "SET_ADDRESS", "GET_DESCRIPTOR",
    "SET_DESCRIPTOR", "GET_CONFIGURATION", "SET_CONFIGURATION", "GET_INTERFACE", "SET_INTERFACE",
    "SYNCH_FRAME",
  };
  static const gchar *const dfu[] = {
    "DFU_DETACH", "DFU_DNLOAD", "DFU_UPLOAD", "DFU_GETSTATUS", "DFU_CLRSTATUS", "DFU_GETSTATE", "DFU_ABORT",
  };
  guint type = (setup->request_type >> 5) & 3;

  if (type == 0 && setup->request < G_N_ELEMENTS (standard))
    return standard[setup->request];
  if (type == 1 && setup->request < G_N_ELEMENTS (dfu))
    return dfu[setup->request];
  return "OTHER";
}

/* --- time --- */

static guint64
scaled (SimDevice *dev, guint64 us)
{
  return (guint64) llround ((gdouble) us * dev->scale);
}

static guint32
scaled_poll_ms (SimDevice *dev, guint ms)
{
  gdouble v;
  if (ms == 0)
    return 0;
  v = ceil ((gdouble) ms * dev->scale);
  return (guint32) CLAMP (v, 1, 0xFFFFFF);
}

static guint64
wire (SimDevice *dev, gsize bytes)
{
  return scaled (dev, sim_profile_wire_us (dev->boot, bytes));
}

/* --- descriptors --- */

static GBytes *
string_descriptor (const gchar *str, gboolean eight_bit)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 header[2] = { 2, 3 };

  g_byte_array_append (out, header, 2);
  if (eight_bit)
    g_byte_array_append (out, (const guint8 *) str, (guint) MIN (strlen (str), 253));
  else
    {
      glong n = 0;
      g_autofree gunichar2 *utf16 = g_utf8_to_utf16 (str, -1, NULL, &n, NULL);
      for (glong i = 0; utf16 != NULL && i < n && i < 126; i++)
        df_append_le16 (out, utf16[i]);
    }
  out->data[0] = (guint8) out->len;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
descriptors_free (Descriptors *d)
{
  if (d == NULL)
    return;
  g_ptr_array_unref (d->strings);
  g_bytes_unref (d->device);
  g_bytes_unref (d->config);
  g_clear_pointer (&d->functional, g_bytes_unref);
  g_clear_pointer (&d->info.descriptors, g_bytes_unref);
  g_free (d->manufacturer);
  g_free (d->product);
  g_free (d->serial);
  g_free (d);
}

static void
add_interface (GByteArray *out, guint8 number, guint8 alt, guint8 cls, guint8 sub, guint8 proto, guint8 string)
{
  const guint8 desc[9] = { 9, 4, number, alt, 0, cls, sub, proto, string };
  g_byte_array_append (out, desc, sizeof desc);
}

static Descriptors *
build_descriptors (SimDevice *dev, DevMode mode)
{
  Descriptors *d = g_new0 (Descriptors, 1);
  const SimUsbIdentity *id;
  const SimProfile *dfu_profile = mode == DEV_RUNTIME ? dev->root : dev->boot;
  g_autoptr(GByteArray) device = g_byte_array_new ();
  g_autoptr(GByteArray) config = g_byte_array_new ();
  g_autoptr(GByteArray) all = g_byte_array_new ();
  guint8 langids[4] = { 4, 3, 0x09, 0x04 };

  if (mode == DEV_BOOTLOADER)
    id = &dev->boot->usb;
  else if (mode == DEV_RUNTIME || dev->root->mode == SIM_MODE_MICROPYTHON)
    id = &dev->root->usb;
  else
    id = &dev->boot->app;
  d->info.serial_interface = -1;

  d->manufacturer = g_strdup (id->manufacturer != NULL ? id->manufacturer : "");
  d->product = g_strdup (id->product != NULL ? id->product : "");
  d->serial = g_strdup (dev->serial != NULL ? dev->serial : "");
  d->strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (d->strings, g_bytes_new (langids, sizeof langids));
  g_ptr_array_add (d->strings, string_descriptor (d->manufacturer, FALSE));
  g_ptr_array_add (d->strings, string_descriptor (d->product, FALSE));
  g_ptr_array_add (d->strings, string_descriptor (d->serial, id->serial_8bit));

  /* device descriptor (USB 2.0 table 9-8) */
  g_byte_array_append (device, (const guint8[]) { 18, 1 }, 2);
  df_append_le16 (device, id->bcd_usb);
  /* Atmel's factory FLIP bootloader says DFU in the device descriptor
   * (avrdude src/flip1.c checks bDeviceClass 254, bDeviceSubClass 1) */
  if (mode == DEV_BOOTLOADER && dev->boot->mode == SIM_MODE_FLIP && !dev->boot->flip->lufa)
    g_byte_array_append (device, (const guint8[]) { 0xFE, 0x01, 0, id->max_packet_size0 }, 4);
  else
    g_byte_array_append (device, (const guint8[]) { 0, 0, 0, id->max_packet_size0 }, 4);
  df_append_le16 (device, id->vid);
  df_append_le16 (device, id->pid);
  df_append_le16 (device, id->bcd_device);
  g_byte_array_append (device, (const guint8[]) { 1, 2, 3, 1 }, 4);

  /* configuration: header patched below */
  g_byte_array_append (config, (const guint8[]) { 9, 2, 0, 0, 0, 1, 0, id->config_attributes, id->max_power }, 9);
  if (mode == DEV_BOOTLOADER && dev->boot->mode == SIM_MODE_FLIP)
    {
      /* one interface, no alt settings: the memories are FLIP's own;
       * the factory bootloader's interface descriptor is all zeros */
      if (dev->boot->flip->lufa)
        add_interface (config, 0, 0, 0xFE, 0x01, 0x02, 0);
      else
        add_interface (config, 0, 0, 0x00, 0x00, 0x00, 0);
      d->n_alts = 1;
      d->n_interfaces = 1;
      d->dfu_interface = 0;
    }
  else if (mode == DEV_BOOTLOADER)
    {
      /* one interface, one alt per memory; ST puts the functional
       * descriptor after the last alt */
      guint8 protocol = 2;
      d->n_alts = (guint8) dev->boot->alts->len;
      for (guint i = 0; i < dev->boot->alts->len; i++)
        {
          SimAltProfile *alt = g_ptr_array_index (dev->boot->alts, i);
          add_interface (config, 0, (guint8) i, 0xFE, 0x01, protocol, (guint8) (4 + i));
          g_ptr_array_add (d->strings, string_descriptor (alt->name, FALSE));
        }
      d->n_interfaces = 1;
      d->dfu_interface = 0;
    }
  else if (mode == DEV_RUNTIME)
    {
      /* the application's own interfaces first, the DFU runtime one last */
      for (guint8 i = 0; i < dev->root->dfu_interface; i++)
        add_interface (config, i, 0, 0xFF, 0x00, 0x00, 0);
      add_interface (config, dev->root->dfu_interface, 0, 0xFE, 0x01, 0x01, 4);
      g_ptr_array_add (d->strings, string_descriptor (dev->root->runtime_name, FALSE));
      d->n_interfaces = (guint8) (dev->root->dfu_interface + 1);
      d->dfu_interface = dev->root->dfu_interface;
      d->n_alts = 1;
    }
  else if (dev->root->mode == SIM_MODE_MICROPYTHON)
    {
      /* MicroPython's stm32 default "VCP+MSC": mass storage on interface
       * 0, CDC-ACM control on 1 and data on 2 (ports/stm32/usbdev/class/
       * inc/usbd_cdc_msc_hid.h MSC_IFACE_NUM_WITH_CDC 0, CDC_IFACE_NUM_WITH_MSC 1) */
      add_interface (config, 0, 0, 0x08, 0x06, 0x50, 0);
      add_interface (config, 1, 0, 0x02, 0x02, 0x01, 0);
      add_interface (config, 2, 0, 0x0A, 0x00, 0x00, 0);
      d->n_interfaces = 3;
      d->dfu_interface = 0xFF;
      d->n_alts = 1;
      d->info.serial_interface = 1;
    }
  else
    {
      add_interface (config, 0, 0, 0xFF, 0x00, 0x00, 0);
      d->n_interfaces = 1;
      d->dfu_interface = 0xFF;
      d->n_alts = 1;
    }
  /* no functional descriptor on Atmel's factory bootloader (doc7618) */
  if (mode != DEV_APP && !(mode == DEV_BOOTLOADER && dev->boot->mode == SIM_MODE_FLIP && !dev->boot->flip->lufa))
    {
      g_autoptr(GByteArray) f = g_byte_array_new ();
      g_byte_array_append (f, (const guint8[]) { 9, 0x21, dfu_profile->dfu_attributes }, 3);
      df_append_le16 (f, dfu_profile->detach_timeout_ms);
      df_append_le16 (f, dfu_profile->transfer_size);
      df_append_le16 (f, dfu_profile->bcd_dfu);
      g_byte_array_append (config, f->data, f->len);
      d->functional = g_byte_array_free_to_bytes (g_steal_pointer (&f));
    }
  df_put_le16 (config->data + 2, (guint16) config->len);
  config->data[4] = d->n_interfaces;

  g_byte_array_append (all, device->data, device->len);
  g_byte_array_append (all, config->data, config->len);
  d->device = g_byte_array_free_to_bytes (g_steal_pointer (&device));
  d->config = g_byte_array_free_to_bytes (g_steal_pointer (&config));

  d->info.vid = id->vid;
  d->info.pid = id->pid;
  d->info.bcd_device = id->bcd_device;
  d->info.manufacturer = d->manufacturer;
  d->info.product = d->product;
  d->info.serial = d->serial;
  d->info.speed_mbps = id->speed_mbps;
  d->info.configuration = 1;
  d->info.descriptors = g_byte_array_free_to_bytes (g_steal_pointer (&all));
  return d;
}

static Descriptors *
descriptors (SimDevice *dev, DevMode mode)
{
  if (dev->desc[mode] == NULL)
    dev->desc[mode] = build_descriptors (dev, mode);
  return dev->desc[mode];
}

/* --- bus events --- */

static DevMode
app_mode (SimDevice *dev)
{
  return dev->root->mode == SIM_MODE_RUNTIME ? DEV_RUNTIME : DEV_APP;
}

static Transition *
schedule (SimDevice *dev, guint64 at_us, TransitionType type, DevMode mode)
{
  Transition *t = g_new0 (Transition, 1);
  SimEvent *event = g_new0 (SimEvent, 1);
  GList *l;

  t->at_us = at_us;
  t->type = type;
  t->mode = mode;
  for (l = dev->transitions->head; l != NULL && ((Transition *) l->data)->at_us <= at_us; l = l->next)
    ;
  if (l == NULL)
    g_queue_push_tail (dev->transitions, t);
  else
    g_queue_insert_before (dev->transitions, l, t);

  event->type = type == TR_DISCONNECT ? SIM_EVENT_DISCONNECT : SIM_EVENT_CONNECT;
  event->at_us = at_us;
  event->generation = dev->generation;
  g_queue_push_tail (dev->events, event);
  if (type == TR_DISCONNECT)
    {
      dev->eventually_on_bus = FALSE;
      dev->stats->disconnects++;
      sim_stats_log (dev->stats, at_us, "disconnect", "the device leaves the bus");
    }
  else
    {
      Descriptors *d = descriptors (dev, mode);
      dev->eventually_on_bus = TRUE;
      dev->info_mode = mode;
      dev->stats->connects++;
      sim_stats_log (dev->stats, at_us, "connect", "back as %04x:%04x %s (%s)", d->info.vid, d->info.pid,
                     d->info.product, mode == DEV_BOOTLOADER ? "DFU mode" : mode == DEV_RUNTIME ? "application with DFU runtime" : "application");
    }
  return t;
}

/* gone at at_us, and back in mode after the reconnect time unless gone for good */
static void
leave_bus (SimDevice *dev, guint64 at_us, gboolean returns, DevMode mode)
{
  schedule (dev, at_us, TR_DISCONNECT, mode);
  if (returns)
    schedule (dev, at_us + scaled (dev, dev->boot->timing.reconnect_us), TR_CONNECT, mode);
}

static void
after_leave (SimDevice *dev, guint64 at_us)
{
  switch (dev->boot->after_leave)
    {
    case SIM_AFTER_LEAVE_APP:
      leave_bus (dev, at_us, TRUE, app_mode (dev));
      break;
    case SIM_AFTER_LEAVE_BOOTLOADER:
      leave_bus (dev, at_us, TRUE, DEV_BOOTLOADER);
      break;
    case SIM_AFTER_LEAVE_GONE:
    default:
      leave_bus (dev, at_us, FALSE, DEV_BOOTLOADER);
      break;
    }
}

static void
clear_block (SimDevice *dev)
{
  dev->have_block = FALSE;
  dev->block_len = 0;
  dev->op_fail_status = 0;
  dev->op_lost = FALSE;
}

static void
enter_mode (SimDevice *dev, DevMode mode)
{
  dev->mode = mode;
  dev->fresh = TRUE;
  dev->configuration = 1;
  dev->alt = 0;
  clear_block (dev);
  dev->manifest_done = FALSE;
  dev->offset = 0;
  g_hash_table_remove_all (dev->erased);
  dev->detach_until = 0;
  if (mode == DEV_BOOTLOADER)
    {
      guint32 start = 0;
      gsize size;
      dev->state = dev->boot->power_on_state;
      dev->status = dev->boot->power_on_status;
      if (sim_memory_get_main (dev->memory, 0, &start, &size))
        dev->pointer = start;
      if (dev->boot->mode == SIM_MODE_FLIP)
        sim_flip_enter (&dev->flip, dev->boot);
    }
  else
    {
      dev->state = SIM_STATE_APP_IDLE;
      dev->status = SIM_OK;
    }
}

/* powered up by being plugged in: whatever it was busy with, waiting for
 * or told by a fault is gone with the power (the memory stays) */
static void
power_up (SimDevice *dev)
{
  dev->busy_until = 0;
  dev->poll_ready_at = 0;
  dev->wedged = FALSE;
  dev->no_answer_left = 0;
  dev->pending_bad_status = -1;
  dev->pending_state = -1;
  dev->pending_status = 0;
  dev->cut_pending = FALSE;
  if (dev->boot->mode == SIM_MODE_FLIP)
    sim_flip_power_up (&dev->flip, dev->boot);
}

static void
apply_transitions (SimDevice *dev, guint64 now)
{
  Transition *t;
  while ((t = g_queue_peek_head (dev->transitions)) != NULL && t->at_us <= now)
    {
      g_queue_pop_head (dev->transitions);
      if (t->type == TR_DISCONNECT)
        dev->on_bus = FALSE;
      else
        {
          dev->on_bus = TRUE;
          if (t->power_on)
            power_up (dev);
          enter_mode (dev, t->mode);
        }
      g_free (t);
    }
}

/* the end of a busy time decides how the operation ended */
static void
settle_busy (SimDevice *dev, guint64 now)
{
  if (now < dev->busy_until)
    return;
  if (dev->state == SIM_STATE_DNBUSY || (dev->state == SIM_STATE_MANIFEST && dev->mode == DEV_BOOTLOADER
                                         && dev->boot->mode == SIM_MODE_DFU))
    {
      dev->state = dev->state_after_busy;
      dev->status = dev->status_after_busy;
    }
}

/* how the board starts when it gets power: a DFU-mode profile is a board
 * whose bootloader runs (BOOT0 held), the others run their application */
static DevMode
power_on_mode (const SimProfile *profile)
{
  return profile->mode == SIM_MODE_RUNTIME ? DEV_RUNTIME
       : profile->mode == SIM_MODE_MICROPYTHON ? DEV_APP : DEV_BOOTLOADER;
}

/* --- construction --- */

SimDevice *
sim_device_new (const SimProfile *profile, const gchar *serial, gdouble time_scale)
{
  SimDevice *dev = g_new0 (SimDevice, 1);

  dev->root = sim_profile_ref ((SimProfile *) profile);
  dev->boot = profile->mode == SIM_MODE_RUNTIME || profile->mode == SIM_MODE_MICROPYTHON
    ? profile->bootloader : dev->root;
  dev->scale = time_scale > 0 ? time_scale : 1.0;
  dev->serial = g_strdup (serial != NULL ? serial : profile->usb.serial != NULL ? profile->usb.serial : "0000");
  dev->transitions = g_queue_new ();
  dev->events = g_queue_new ();
  dev->erased = g_hash_table_new (g_direct_hash, g_direct_equal);
  dev->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_fault_free);
  dev->stats = sim_stats_new ();
  dev->block = g_malloc (MAX (dev->boot->transfer_size, 6));
  dev->pending_bad_status = -1;
  dev->pending_state = -1;
  dev->rdp = dev->boot->read_protected;
  dev->early_status = dev->boot->getstatus_while_busy;

  dev->memory = sim_memory_new ();
  for (guint i = 0; i < dev->boot->alts->len; i++)
    {
      SimAltProfile *alt = g_ptr_array_index (dev->boot->alts, i);
      sim_memory_add (dev->memory, i, alt->geometry, alt->memory, &dev->boot->rules, alt->fill);
    }

  dev->on_bus = TRUE;
  dev->eventually_on_bus = TRUE;
  dev->info_mode = power_on_mode (profile);
  enter_mode (dev, dev->info_mode);
  return dev;
}

void
sim_device_free (SimDevice *dev)
{
  if (dev == NULL)
    return;
  for (guint i = 0; i < DEV_MODES; i++)
    descriptors_free (dev->desc[i]);
  g_queue_free_full (dev->transitions, g_free);
  g_queue_free_full (dev->events, g_free);
  g_hash_table_unref (dev->erased);
  g_ptr_array_unref (dev->faults);
  sim_stats_free (dev->stats);
  sim_memory_free (dev->memory);
  g_free (dev->block);
  g_free (dev->serial);
  sim_profile_free (dev->root);
  g_free (dev);
}

const SimUsbInfo *
sim_device_get_info (SimDevice *dev)
{
  return &descriptors (dev, dev->info_mode)->info;
}

gboolean
sim_device_pop_event (SimDevice *dev, SimEvent *event)
{
  SimEvent *e = g_queue_pop_head (dev->events);
  if (e == NULL)
    return FALSE;
  *event = *e;
  g_free (e);
  return TRUE;
}

gboolean
sim_device_is_connected (SimDevice *dev)
{
  return dev->eventually_on_bus;
}

/* --- the cable --- */

/* the Nth (or with "+", the Nth and every later) request or operation */
static gboolean
counted (const SimFault *fault, guint64 n)
{
  return fault->repeat ? n >= fault->at : n == fault->at;
}

static void
replug_at (SimDevice *dev, guint64 at_us)
{
  dev->unplugged = FALSE;
  schedule (dev, at_us, TR_CONNECT, power_on_mode (dev->root))->power_on = TRUE;
}

void
sim_device_unplug (SimDevice *dev, guint64 now_us)
{
  /* a reconnection it had coming (after leave, a reset) never happens */
  g_queue_clear_full (dev->transitions, g_free);
  dev->generation++;
  dev->unplugged = TRUE;
  sim_stats_log (dev->stats, now_us, "unplug", "unplugged: off the bus until plugged in again");
  schedule (dev, now_us, TR_DISCONNECT, dev->mode);
  apply_transitions (dev, now_us);
}

gboolean
sim_device_plug (SimDevice *dev, guint64 now_us)
{
  if (!dev->unplugged)
    return FALSE;
  dev->generation++;
  sim_stats_log (dev->stats, now_us, "plug", "plugged in again");
  replug_at (dev, now_us);
  apply_transitions (dev, now_us);
  return TRUE;
}

gboolean
sim_device_is_unplugged (SimDevice *dev)
{
  return dev->unplugged;
}

guint
sim_device_get_generation (SimDevice *dev)
{
  return dev->generation;
}

/* the fault: unplugged at now_us, and plugged in again after delay_ms
 * unless that is G_MAXUINT (then by the runner) */
static void
unplug_for (SimDevice *dev, guint64 now_us, guint delay_ms)
{
  sim_device_unplug (dev, now_us);
  if (delay_ms != G_MAXUINT)
    replug_at (dev, now_us + scaled (dev, (guint64) delay_ms * 1000));
}

/* --- faults --- */

gboolean
sim_device_add_fault (SimDevice *dev, const gchar *spec, GError **error)
{
  SimFault *fault = sim_fault_parse (spec, error);
  if (fault == NULL)
    return FALSE;
  if (fault->kind == SIM_FAULT_RDP || fault->kind == SIM_FAULT_REPL || fault->kind == SIM_FAULT_NO_BOOTLOADER
      || (fault->kind == SIM_FAULT_EARLY_STATUS && fault->trigger == SIM_TRIGGER_NONE))
    {
      if (fault->kind == SIM_FAULT_RDP)
        dev->rdp = TRUE;
      else if (fault->kind == SIM_FAULT_REPL)
        dev->repl = fault->arg;
      else if (fault->kind == SIM_FAULT_EARLY_STATUS)
        dev->early_status = (SimBusyStatus) fault->arg;
      else
        dev->no_bootloader = TRUE;
      sim_fault_free (fault);
      return TRUE;
    }
  g_ptr_array_add (dev->faults, fault);
  return TRUE;
}

/* --- MicroPython --- */

SimMicroPython *
sim_device_get_micropython (SimDevice *dev)
{
  guint32 start = 0;
  gsize size = 0;
  const guint8 *flash = NULL;

  if (dev->root->mode != SIM_MODE_MICROPYTHON)
    return NULL;
  if (dev->root->version_in_flash != NULL && sim_memory_get_main (dev->memory, 0, &start, &size))
    flash = sim_device_peek (dev, start, size);
  return sim_micropython_new (&dev->root->micropython, flash, flash != NULL ? size : 0,
                              dev->root->version_in_flash);
}

SimReplBehaviour
sim_device_get_repl_behaviour (SimDevice *dev)
{
  return dev->repl;
}

void
sim_device_micropython_bootloader (SimDevice *dev, guint64 now_us)
{
  /* the board may have come back since the last USB request */
  apply_transitions (dev, now_us);
  if (dev->root->mode != SIM_MODE_MICROPYTHON || dev->mode != DEV_APP || !dev->on_bus)
    return;
  dev->n_bootloader++;
  for (guint i = 0; i < dev->faults->len; i++)
    {
      SimFault *fault = g_ptr_array_index (dev->faults, i);
      if (fault->trigger == SIM_TRIGGER_BOOTLOADER && (!fault->fired || fault->repeat)
          && counted (fault, dev->n_bootloader))
        {
          fault->fired = TRUE;
          sim_stats_log (dev->stats, now_us, "fault", "%s (machine.bootloader() %" G_GUINT64_FORMAT ")",
                         fault->spec, dev->n_bootloader);
          unplug_for (dev, now_us, fault->arg);
          return;
        }
    }
  sim_stats_log (dev->stats, now_us, "bootloader", "machine.bootloader(): the application leaves the bus%s",
                 dev->no_bootloader ? " and restarts (fault no-bootloader)" : "");
  /* stm32 machine_bootloader(): USB off, then the jump; the ROM
   * enumerates after the reconnect time */
  leave_bus (dev, now_us + scaled (dev, dev->root->timing.detach_us), TRUE,
             dev->no_bootloader ? DEV_APP : DEV_BOOTLOADER);
}

static gboolean
is_dfu_request (SimDevice *dev, const SimSetup *setup)
{
  Descriptors *d = descriptors (dev, dev->mode);
  return ((setup->request_type >> 5) & 3) == 1 && (setup->request_type & 0x1F) == 1
         && dev->mode != DEV_APP && (setup->index & 0xFF) == d->dfu_interface;
}

/* the DfuSe operation a DNLOAD asks for */
static SimOpKind
classify_dnload (SimDevice *dev, const SimSetup *setup, const guint8 *data)
{
  gsize bytes;

  if (dev->boot->mode == SIM_MODE_FLIP)
    return sim_flip_classify (setup, data, &bytes);
  if (dev->boot->mode == SIM_MODE_DFU)
    return setup->length == 0 ? SIM_OP_LEAVE : SIM_OP_WRITE;
  if (setup->length == 0)
    return SIM_OP_LEAVE;
  if (setup->value >= 2)
    return SIM_OP_WRITE;
  if (setup->value == 0 && data != NULL)
    {
      if (data[0] == 0x21)
        return SIM_OP_SET_ADDRESS;
      if (data[0] == 0x41)
        return setup->length == 1 ? SIM_OP_MASS_ERASE : SIM_OP_ERASE;
      if (data[0] == 0x92)
        return SIM_OP_READ_UNPROTECT;
    }
  return SIM_OP_LAST;
}

typedef enum {
  FAULT_NONE,
  FAULT_RETURN,   /* the request ends with the result given */
} FaultOutcome;

static FaultOutcome
fire (SimDevice *dev, SimFault *fault, guint64 start, const SimSetup *setup, SimResult *result)
{
  gboolean dfu = is_dfu_request (dev, setup);

  fault->fired = TRUE;
  sim_stats_log (dev->stats, start, "fault", "%s (request %" G_GUINT64_FORMAT ")", fault->spec, dev->n_requests);
  switch (fault->kind)
    {
    case SIM_FAULT_STALL:
      if (dfu && dev->mode == DEV_BOOTLOADER && setup->request != SIM_DFU_GETSTATUS
          && setup->request != SIM_DFU_GETSTATE)
        {
          dev->state = SIM_STATE_ERROR;
          dev->status = SIM_ERR_STALLEDPKT;
          clear_block (dev);
        }
      *result = SIM_RESULT_STALL;
      return FAULT_RETURN;
    case SIM_FAULT_STATUS:
      if (dfu && setup->request == SIM_DFU_DNLOAD)
        dev->op_fail_status = fault->arg;
      else if (dfu && setup->request == SIM_DFU_UPLOAD)
        {
          dev->state = SIM_STATE_ERROR;
          dev->status = fault->arg;
          *result = SIM_RESULT_STALL;
          return FAULT_RETURN;
        }
      else
        dev->pending_status = fault->arg;
      return FAULT_NONE;
    case SIM_FAULT_DISCONNECT:
    case SIM_FAULT_RESET:
      leave_bus (dev, start, fault->kind == SIM_FAULT_RESET, DEV_BOOTLOADER);
      apply_transitions (dev, start);
      *result = SIM_RESULT_NODEV;
      return FAULT_RETURN;
    case SIM_FAULT_UNPLUG:
      unplug_for (dev, start, fault->arg);
      *result = SIM_RESULT_NODEV;
      return FAULT_RETURN;
    case SIM_FAULT_NO_ANSWER:
      dev->no_answer_left = fault->arg == G_MAXUINT ? G_MAXUINT : fault->arg - 1;
      *result = SIM_RESULT_NO_ANSWER;
      return FAULT_RETURN;
    case SIM_FAULT_BAD_STATUS:
      dev->pending_bad_status = (gint) fault->arg;
      return FAULT_NONE;
    case SIM_FAULT_LOST:
      dev->op_lost = dfu && setup->request == SIM_DFU_DNLOAD;
      return FAULT_NONE;
    case SIM_FAULT_STATE:
      dev->pending_state = (gint) fault->arg;
      return FAULT_NONE;
    case SIM_FAULT_EARLY_STATUS:
      dev->early_status = (SimBusyStatus) fault->arg;
      return FAULT_NONE;
    case SIM_FAULT_RDP:
    default:
      return FAULT_NONE;
    }
}

static FaultOutcome
check_faults (SimDevice *dev, guint64 start, const SimSetup *setup, const guint8 *data, SimResult *result)
{
  gboolean dfu = is_dfu_request (dev, setup);
  SimOpKind op = dfu && setup->request == SIM_DFU_DNLOAD ? classify_dnload (dev, setup, data) : SIM_OP_LAST;
  gboolean write_getstatus = dfu && setup->request == SIM_DFU_GETSTATUS && dev->state == SIM_STATE_DNLOAD_SYNC
                             && dev->have_block && (dev->boot->mode == SIM_MODE_DFU || dev->block_num >= 2);

  for (guint i = 0; i < dev->faults->len; i++)
    {
      SimFault *fault = g_ptr_array_index (dev->faults, i);
      gboolean match = FALSE;

      if (fault->fired && !fault->repeat)
        continue;
      switch (fault->trigger)
        {
        case SIM_TRIGGER_REQUEST:
          match = counted (fault, dev->n_requests);
          break;
        case SIM_TRIGGER_DNLOAD:
          match = dfu && setup->request == SIM_DFU_DNLOAD && counted (fault, dev->n_dnload);
          break;
        case SIM_TRIGGER_UPLOAD:
          match = dfu && setup->request == SIM_DFU_UPLOAD && counted (fault, dev->n_upload);
          break;
        case SIM_TRIGGER_GETSTATUS:
          match = dfu && setup->request == SIM_DFU_GETSTATUS && counted (fault, dev->n_getstatus);
          break;
        case SIM_TRIGGER_WRITE:
          match = op == SIM_OP_WRITE && counted (fault, dev->n_write);
          break;
        case SIM_TRIGGER_ERASE:
          match = (op == SIM_OP_ERASE || op == SIM_OP_MASS_ERASE) && counted (fault, dev->n_erase);
          break;
        case SIM_TRIGGER_LEAVE:
          match = op == SIM_OP_LEAVE && counted (fault, dev->n_leave);
          break;
        case SIM_TRIGGER_BYTE:
          if (dev->boot->mode == SIM_MODE_FLIP)
            {
              /* FLIP programs at the DNLOAD: the one holding the byte
               * fails, is lost, or never arrives (the board resets) */
              gsize bytes = 0;
              match = dfu && setup->request == SIM_DFU_DNLOAD &&
                      sim_flip_classify (setup, data, &bytes) == SIM_OP_WRITE &&
                      fault->at >= dev->bytes_written && fault->at < dev->bytes_written + bytes;
              break;
            }
          /* the GETSTATUS that starts the write holding the byte */
          match = write_getstatus && fault->at >= dev->bytes_written
                  && fault->at < dev->bytes_written + dev->block_len;
          if (match && fault->kind == SIM_FAULT_LOST)
            {
              fault->fired = TRUE;
              sim_stats_log (dev->stats, start, "fault", "%s (request %" G_GUINT64_FORMAT ")", fault->spec, dev->n_requests);
              dev->op_lost = TRUE;
              continue;
            }
          if (match && fault->kind == SIM_FAULT_STATUS)
            {
              fault->fired = TRUE;
              sim_stats_log (dev->stats, start, "fault", "%s (request %" G_GUINT64_FORMAT ")", fault->spec, dev->n_requests);
              dev->op_fail_status = fault->arg;
              continue;
            }
          if (match && (fault->kind == SIM_FAULT_DISCONNECT || fault->kind == SIM_FAULT_RESET))
            {
              fault->fired = TRUE;
              sim_stats_log (dev->stats, start, "fault", "%s (request %" G_GUINT64_FORMAT ")", fault->spec, dev->n_requests);
              dev->cut_pending = TRUE;
              dev->cut_limit = (gsize) (fault->at - dev->bytes_written);
              dev->cut_returns = fault->kind == SIM_FAULT_RESET;
              continue;
            }
          break;
        case SIM_TRIGGER_NONE:
        default:
          break;
        }
      if (match && fire (dev, fault, start, setup, result) == FAULT_RETURN)
        return FAULT_RETURN;
    }
  return FAULT_NONE;
}

/* --- standard requests --- */

static SimResult
reply (guint8 *data, gsize *actual, guint16 length, const guint8 *src, gsize size)
{
  gsize n = MIN (size, length);
  if (n > 0)
    memcpy (data, src, n);
  *actual = n;
  return SIM_RESULT_OK;
}

static SimResult
standard_request (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual)
{
  Descriptors *d = descriptors (dev, dev->mode);
  guint recipient = setup->request_type & 0x1F;
  gboolean in = (setup->request_type & 0x80) != 0;

  switch (setup->request)
    {
    case 0x06: /* GET_DESCRIPTOR */
      {
        guint8 type = setup->value >> 8;
        guint8 index = setup->value & 0xFF;
        if (!in)
          return SIM_RESULT_STALL;
        if (type == 1 && recipient == 0)
          return reply (data, actual, setup->length, g_bytes_get_data (d->device, NULL), g_bytes_get_size (d->device));
        if (type == 2 && recipient == 0 && index == 0)
          return reply (data, actual, setup->length, g_bytes_get_data (d->config, NULL), g_bytes_get_size (d->config));
        if (type == 3 && recipient == 0 && index < d->strings->len)
          {
            GBytes *s = g_ptr_array_index (d->strings, index);
            return reply (data, actual, setup->length, g_bytes_get_data (s, NULL), g_bytes_get_size (s));
          }
        if (type == 0x21 && d->functional != NULL)
          return reply (data, actual, setup->length, g_bytes_get_data (d->functional, NULL),
                        g_bytes_get_size (d->functional));
        /* no device qualifier (full speed only), no BOS (USB 2.0), no others */
        return SIM_RESULT_STALL;
      }
    case 0x00: /* GET_STATUS */
      {
        guint8 status[2] = { 0, 0 };
        if (!in)
          return SIM_RESULT_STALL;
        if (recipient == 0)
          status[0] = (dev->boot->usb.config_attributes & 0x40) ? 1 : 0;
        else if (recipient == 1 && (setup->index & 0xFF) >= d->n_interfaces)
          return SIM_RESULT_STALL;
        return reply (data, actual, setup->length, status, 2);
      }
    case 0x01: /* CLEAR_FEATURE */
    case 0x03: /* SET_FEATURE */
      return SIM_RESULT_OK;
    case 0x08: /* GET_CONFIGURATION */
      return reply (data, actual, setup->length, &dev->configuration, 1);
    case 0x09: /* SET_CONFIGURATION */
      if (setup->value > 1)
        return SIM_RESULT_STALL;
      dev->configuration = (guint8) setup->value;
      sim_stats_log (dev->stats, start, "set_configuration", "%u", setup->value);
      return SIM_RESULT_OK;
    case 0x0A: /* GET_INTERFACE */
      if ((setup->index & 0xFF) >= d->n_interfaces)
        return SIM_RESULT_STALL;
      {
        guint8 alt = (setup->index & 0xFF) == d->dfu_interface ? dev->alt : 0;
        return reply (data, actual, setup->length, &alt, 1);
      }
    case 0x0B: /* SET_INTERFACE */
      return sim_device_set_interface (dev, (guint8) setup->index, (guint8) setup->value);
    default:
      return SIM_RESULT_STALL;
    }
}

/* --- DFU mode --- */

static SimResult
stall_error (SimDevice *dev, guint64 start, const gchar *why)
{
  sim_stats_log (dev->stats, start, "stall", "%s in %s: dfuERROR/errSTALLEDPKT", why, sim_state_to_string (dev->state));
  dev->state = SIM_STATE_ERROR;
  dev->status = SIM_ERR_STALLEDPKT;
  clear_block (dev);
  return SIM_RESULT_STALL;
}

static void
record_op (SimDevice *dev, SimOpKind kind, guint64 busy, guint32 poll_ms, gsize dnload_len,
           guint64 bytes, guint status)
{
  SimOpStats *op = &dev->stats->ops[kind];
  guint64 poll = (guint64) poll_ms * 1000;
  guint64 w = wire (dev, dnload_len) + (kind == SIM_OP_LEAVE ? 1 : 2) * wire (dev, 6);

  op->count++;
  op->bytes += bytes;
  op->busy_us += busy;
  op->poll_us += poll;
  op->wire_us += w;
  op->floor_us += MAX (busy, poll) + w;
  op->busy_floor_us += busy + w;
  if (status != SIM_OK)
    op->failed++;
  dev->stats->busy_us += busy;
  dev->stats->poll_us += poll;
}

/* the bytes per block number in ST's address arithmetic: wTransferSize, or
 * the smaller buffer the ROM was really built with (G4: max_dnload_size) */
static guint
block_stride (const SimProfile *p)
{
  return p->max_dnload > 0 && p->max_dnload < p->transfer_size ? p->max_dnload : p->transfer_size;
}

/* a DfuSe command or write runs: memory changes now, the busy time starts
 * when the answer has gone out */
static void
dfuse_start_op (SimDevice *dev, guint64 start, Post *post)
{
  const SimProfile *p = dev->boot;
  SimOpKind kind;
  guint status = SIM_OK;
  guint64 busy = p->timing.command_us;
  guint64 bytes = 0;
  guint32 address = 0;
  gboolean failed_by_fault = dev->op_fail_status != 0;
  g_autofree gchar *what = NULL;

  if (dev->block_num >= 2)
    kind = SIM_OP_WRITE;
  else if (dev->block[0] == 0x21)
    kind = SIM_OP_SET_ADDRESS;
  else if (dev->block[0] == 0x41)
    kind = dev->block_len == 1 ? SIM_OP_MASS_ERASE : SIM_OP_ERASE;
  else
    kind = SIM_OP_READ_UNPROTECT;
  if (dev->block_len == 5)
    address = df_le32 (dev->block + 1);

  switch (kind)
    {
    case SIM_OP_SET_ADDRESS:
      if (dev->rdp)
        status = SIM_ERR_VENDOR;
      else if (!sim_memory_contains (dev->memory, dev->alt, address))
        status = SIM_ERR_TARGET;
      else if (!failed_by_fault)
        dev->pointer = address;
      what = g_strdup_printf ("0x%08x", address);
      break;

    case SIM_OP_ERASE:
      if (dev->rdp)
        {
          status = SIM_ERR_VENDOR;
          what = g_strdup_printf ("0x%08x (read-protected)", address);
        }
      else
        {
          DfSector sector = { 0 };
          if (failed_by_fault)
            {
              /* timed as the real erase, the memory left alone */
              SimAltProfile *alt = g_ptr_array_index (p->alts, dev->alt);
              status = df_layout_find_sector (alt->geometry, address, &sector)
                       && (sector.flags & DF_SECTOR_ERASABLE) ? SIM_OK : SIM_ERR_TARGET;
            }
          else
            status = sim_memory_erase_sector (dev->memory, dev->alt, address, &sector);
          if (status == SIM_OK)
            {
              busy = sim_profile_erase_us (p, sector.size);
              bytes = sector.size;
              /* STM32H743 rev V: stays in dfuDNBUSY after an erase in
               * bank 2 (betaflight-configurator webusbdfu.js erase_page) */
              dev->wedged = p->wedge_after_erase_from != 0 && address >= p->wedge_after_erase_from;
            }
          what = g_strdup_printf ("0x%08x, sector 0x%08x (%u bytes)", address, sector.start, sector.size);
        }
      break;

    case SIM_OP_MASS_ERASE:
      if (dev->rdp)
        status = SIM_ERR_VENDOR;
      else
        {
          busy = p->timing.mass_erase_us;
          bytes = failed_by_fault ? 0 : sim_memory_erase_all (dev->memory, 0);
        }
      what = g_strdup ("all");
      break;

    case SIM_OP_READ_UNPROTECT:
      /* AN3156: the device erases everything, drops read protection and resets */
      busy = p->timing.read_unprotect_us;
      if (!failed_by_fault)
        {
          for (guint i = 0; i < p->alts->len; i++)
            bytes += sim_memory_erase_all (dev->memory, i);
          dev->rdp = FALSE;
          post->reset_after_busy = TRUE;
        }
      what = g_strdup ("wipe and reset");
      break;

    case SIM_OP_WRITE:
    default:
      {
        guint64 target = (guint64) dev->pointer + (guint64) (dev->block_num - 2) * block_stride (p);
        gsize limit = dev->cut_pending ? dev->cut_limit : G_MAXSIZE;
        guint64 units = (dev->block_len + p->rules.program_unit - 1) / p->rules.program_unit;

        kind = SIM_OP_WRITE;
        if (dev->rdp)
          status = SIM_ERR_VENDOR;
        else if (target > G_MAXUINT32)
          status = SIM_ERR_ADDRESS;
        else if (!failed_by_fault && !dev->op_lost)
          {
            SimProgramResult res = sim_memory_program (dev->memory, dev->alt, (guint32) target,
                                                       dev->block, dev->block_len, limit);
            status = res.status;
            units = res.units;
            bytes = res.programmed;
          }
        busy = p->timing.write_overhead_us + units * p->timing.program_us;
        if (dev->cut_pending)
          {
            post->cut_after = TRUE;
            post->cut_after_us = scaled (dev, busy);
            post->cut_returns = dev->cut_returns;
            dev->cut_pending = FALSE;
          }
        dev->bytes_written += dev->block_len;
        what = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes at 0x%08" G_GINT64_MODIFIER "x (block %u)",
                                dev->block_len, target, dev->block_num);
      }
      break;
    }

  if (failed_by_fault)
    status = dev->op_fail_status;
  busy = scaled (dev, busy);
  post->busy_us = busy;
  post->poll_ms = scaled_poll_ms (dev, p->poll_ms[kind]);
  post->erasing = kind == SIM_OP_ERASE || kind == SIM_OP_MASS_ERASE || kind == SIM_OP_READ_UNPROTECT;
  dev->state = SIM_STATE_DNBUSY;
  dev->state_after_busy = status != SIM_OK ? SIM_STATE_ERROR
                          : dev->wedged ? SIM_STATE_DNBUSY : SIM_STATE_DNLOAD_SYNC;
  dev->status_after_busy = status;
  record_op (dev, kind, busy, post->poll_ms, dev->block_len, bytes, status);
  sim_stats_log (dev->stats, start, sim_op_to_string (kind), "%s: busy %" G_GUINT64_FORMAT " us, poll %u ms, %s",
                 what, busy, post->poll_ms, sim_status_to_string (status));
  clear_block (dev);
}

/* plain DFU 1.1: the block goes at the running offset; sectors are erased
 * the first time a download touches them */
static void
dfu_start_write (SimDevice *dev, guint64 start, Post *post)
{
  const SimProfile *p = dev->boot;
  SimAltProfile *alt = g_ptr_array_index (p->alts, dev->alt);
  const DfRegion *region = g_ptr_array_index (alt->geometry->regions, 0);
  guint64 target = region->start + dev->offset;
  guint64 busy = p->timing.write_overhead_us;
  guint64 erase_busy = 0;
  guint status = SIM_OK;
  guint64 bytes = 0;
  guint32 poll;

  if (dev->op_fail_status != 0)
    status = dev->op_fail_status;
  else if (target + dev->block_len > region->start + region->size)
    status = SIM_ERR_ADDRESS;
  else
    {
      gsize limit = dev->cut_pending ? dev->cut_limit : G_MAXSIZE;
      SimProgramResult res;
      for (guint64 a = target; a < target + dev->block_len;)
        {
          DfSector sector;
          if (!df_layout_find_sector (alt->geometry, (guint32) a, &sector))
            break;
          if (!g_hash_table_contains (dev->erased, GUINT_TO_POINTER (sector.start))
              && (sector.flags & DF_SECTOR_ERASABLE))
            {
              sim_memory_erase_sector (dev->memory, dev->alt, sector.start, NULL);
              g_hash_table_add (dev->erased, GUINT_TO_POINTER (sector.start));
              erase_busy += sim_profile_erase_us (p, sector.size);
              dev->stats->ops[SIM_OP_ERASE].count++;
              dev->stats->ops[SIM_OP_ERASE].bytes += sector.size;
            }
          a = (guint64) sector.start + sector.size;
        }
      res = sim_memory_program (dev->memory, dev->alt, (guint32) target, dev->block, dev->block_len, limit);
      status = res.status;
      bytes = res.programmed;
      busy += res.units * p->timing.program_us;
    }
  busy = scaled (dev, busy + erase_busy);
  if (dev->cut_pending)
    {
      post->cut_after = TRUE;
      post->cut_after_us = busy;
      post->cut_returns = dev->cut_returns;
      dev->cut_pending = FALSE;
    }
  dev->stats->ops[SIM_OP_ERASE].busy_us += scaled (dev, erase_busy);
  poll = MAX (p->poll_ms[SIM_OP_WRITE], erase_busy > 0 ? p->poll_ms[SIM_OP_ERASE] : 0);
  post->busy_us = busy;
  post->poll_ms = scaled_poll_ms (dev, poll);
  dev->state = SIM_STATE_DNBUSY;
  dev->state_after_busy = status == SIM_OK ? SIM_STATE_DNLOAD_SYNC : SIM_STATE_ERROR;
  dev->status_after_busy = status;
  record_op (dev, SIM_OP_WRITE, busy, post->poll_ms, dev->block_len, bytes, status);
  sim_stats_log (dev->stats, start, "write", "%" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                 " (block %u): busy %" G_GUINT64_FORMAT " us, poll %u ms, %s",
                 dev->block_len, dev->offset, dev->block_num, busy, post->poll_ms, sim_status_to_string (status));
  dev->offset += dev->block_len;
  dev->bytes_written += dev->block_len;
  clear_block (dev);
}

static SimResult
getstatus (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual, Post *post)
{
  const SimProfile *p = dev->boot;
  guint8 answer[6] = { 0 };
  guint32 poll = 0;
  gsize len = 6;

  post->getstatus = TRUE;
  if (dev->pending_status != 0)
    {
      /* an injected failure: reported instead of whatever was going on */
      dev->state = SIM_STATE_ERROR;
      dev->status = dev->pending_status;
      dev->pending_status = 0;
      clear_block (dev);
    }
  else if (dev->state == SIM_STATE_DNLOAD_SYNC && dev->have_block)
    {
      if (p->mode == SIM_MODE_DFU)
        dfu_start_write (dev, start, post);
      else
        dfuse_start_op (dev, start, post);
      poll = post->poll_ms;
    }
  else if (dev->state == SIM_STATE_DNLOAD_SYNC)
    dev->state = SIM_STATE_DNLOAD_IDLE;
  else if (dev->state == SIM_STATE_DNBUSY && dev->wedged)
    poll = scaled_poll_ms (dev, p->poll_ms[SIM_OP_ERASE]);  /* busy, it says, for good */
  else if (dev->state == SIM_STATE_MANIFEST_SYNC && p->mode == SIM_MODE_DFUSE)
    {
      /* leave: answer dfuMANIFEST, then disconnect and jump */
      dev->state = SIM_STATE_MANIFEST;
      poll = scaled_poll_ms (dev, p->poll_ms[SIM_OP_LEAVE]);
      post->leave = TRUE;
      record_op (dev, SIM_OP_LEAVE, 0, poll, 0, 0, SIM_OK);
      sim_stats_log (dev->stats, start, "leave", "jump to 0x%08x", dev->pointer);
    }
  else if (dev->state == SIM_STATE_MANIFEST_SYNC && !dev->manifest_done)
    {
      /* plain DFU manifestation */
      gboolean tolerant = (p->dfu_attributes & 0x04) != 0;
      guint64 busy = scaled (dev, p->timing.manifest_us);
      dev->state = SIM_STATE_MANIFEST;
      dev->state_after_busy = tolerant ? SIM_STATE_MANIFEST_SYNC : SIM_STATE_MANIFEST_WAIT_RESET;
      dev->status_after_busy = SIM_OK;
      dev->manifest_done = TRUE;
      poll = scaled_poll_ms (dev, p->poll_ms[SIM_OP_LEAVE]);
      post->busy_us = busy;
      post->poll_ms = poll;
      record_op (dev, SIM_OP_LEAVE, busy, poll, 0, 0, SIM_OK);
      sim_stats_log (dev->stats, start, "leave", "manifestation of %" G_GUINT64_FORMAT " bytes, %s",
                     dev->offset, tolerant ? "manifestation tolerant" : "then waits for a USB reset");
    }
  else if (dev->state == SIM_STATE_MANIFEST_SYNC)
    {
      dev->state = SIM_STATE_DFU_IDLE;
      dev->manifest_done = FALSE;
    }

  answer[0] = (guint8) dev->status;
  answer[1] = poll & 0xFF;
  answer[2] = (poll >> 8) & 0xFF;
  answer[3] = (poll >> 16) & 0xFF;
  answer[4] = (guint8) dev->state;
  answer[5] = 0;
  if (dev->pending_state >= 0)
    {
      dev->state = (guint) dev->pending_state;
      if (dev->state == SIM_STATE_ERROR && dev->status == SIM_OK)
        dev->status = SIM_ERR_UNKNOWN;
      if (dev->state == SIM_STATE_DNBUSY)
        {
          dev->state_after_busy = SIM_STATE_DNLOAD_SYNC;
          dev->status_after_busy = SIM_OK;
        }
      answer[0] = (guint8) dev->status;
      answer[4] = (guint8) dev->state;
      dev->pending_state = -1;
    }
  if (dev->pending_bad_status >= 0)
    {
      len = (gsize) dev->pending_bad_status;
      dev->pending_bad_status = -1;
    }
  if (len > 6)
    {
      guint8 padded[64] = { 0 };
      memcpy (padded, answer, 6);
      return reply (data, actual, setup->length, padded, len);
    }
  return reply (data, actual, setup->length, answer, len);
}

/* an AVR's FLIP bootloader: sim-flip.c answers, the work it starts keeps
 * the device busy (the next request is held) */
static SimResult
flip_request (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual, Post *post)
{
  SimFlipEffect effect;
  SimResult result;

  /* injected faults, as the DFU and DfuSe bootloaders take them: a
   * write or erase that fails or is lost, a status report that is wrong */
  if (setup->request == SIM_DFU_DNLOAD)
    {
      dev->flip.fail_status = dev->op_fail_status;
      dev->flip.lost = dev->op_lost;
    }
  if (setup->request == SIM_DFU_GETSTATUS && dev->pending_status != 0)
    {
      dev->state = SIM_STATE_ERROR;
      dev->status = dev->pending_status;
      dev->pending_status = 0;
    }
  result = sim_flip_request (&dev->flip, dev->boot, dev->memory, &dev->state, &dev->status, setup,
                             data, actual, &effect);
  if (setup->request == SIM_DFU_DNLOAD)
    {
      dev->flip.fail_status = 0;
      dev->flip.lost = FALSE;
      dev->op_fail_status = 0;
      dev->op_lost = FALSE;
      if (effect.op == SIM_OP_WRITE)
        dev->bytes_written += effect.bytes;
    }
  if (setup->request == SIM_DFU_GETSTATUS && result == SIM_RESULT_OK)
    {
      if (dev->pending_state >= 0)
        {
          dev->state = (guint) dev->pending_state;
          if (dev->state == SIM_STATE_ERROR && dev->status == SIM_OK)
            dev->status = SIM_ERR_UNKNOWN;
          dev->pending_state = -1;
          if (*actual > 0)
            data[0] = (guint8) dev->status;
          if (*actual > 4)
            data[4] = (guint8) dev->state;
        }
      if (dev->pending_bad_status >= 0)
        {
          *actual = MIN (*actual, (gsize) dev->pending_bad_status);
          dev->pending_bad_status = -1;
        }
    }

  if (result == SIM_RESULT_STALL)
    sim_stats_log (dev->stats, start, "stall", "FLIP command %02x refused: %s/%s", dev->flip.command[0],
                   sim_state_to_string (dev->state), sim_status_to_string (dev->status));
  if (effect.busy_us > 0)
    post->busy_us = scaled (dev, effect.busy_us);
  if (effect.op != SIM_OP_LAST)
    {
      record_op (dev, effect.op, post->busy_us, 0, setup->length, effect.bytes, dev->status);
      if (effect.op == SIM_OP_MASS_ERASE)
        sim_stats_log (dev->stats, start, "erase", "chip erase");
    }
  if (effect.leave)
    {
      post->leave = TRUE;
      sim_stats_log (dev->stats, start, "leave", "start the application");
    }
  return result;
}

static SimResult
dfu_mode_request (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual, Post *post)
{
  const SimProfile *p = dev->boot;
  gboolean dfuse = p->mode == SIM_MODE_DFUSE;

  if (p->mode == SIM_MODE_FLIP)
    return flip_request (dev, start, setup, data, actual, post);

  switch (setup->request)
    {
    case SIM_DFU_DNLOAD:
      if (dev->state != SIM_STATE_DFU_IDLE && dev->state != SIM_STATE_DNLOAD_IDLE)
        return stall_error (dev, start, "DNLOAD");
      if (setup->length == 0)
        {
          if (!dfuse && dev->state != SIM_STATE_DNLOAD_IDLE)
            return stall_error (dev, start, "zero-length DNLOAD with nothing downloaded");
          dev->state = SIM_STATE_MANIFEST_SYNC;
          dev->manifest_done = FALSE;
          if (dfuse && p->leave_on_dnload)
            {
              /* GD32VF103: leaves at once, no GETSTATUS needed (dfu-util's QUIRK_DFUSE_LEAVE) */
              post->leave = TRUE;
              record_op (dev, SIM_OP_LEAVE, 0, 0, 0, 0, SIM_OK);
              sim_stats_log (dev->stats, start, "leave", "jump to 0x%08x at the DNLOAD", dev->pointer);
            }
          return SIM_RESULT_OK;
        }
      if (setup->length > p->transfer_size)
        return stall_error (dev, start, "DNLOAD longer than wTransferSize");
      /* some STM32G4 ROMs: errSTALLEDPKT for 2048-byte writes, 1024 work
       * (siliconwitchery/web-stm32-updater#3) */
      if (p->max_dnload > 0 && setup->length > p->max_dnload)
        return stall_error (dev, start, "DNLOAD longer than the bootloader's buffer");
      if (dfuse)
        {
          SimOpKind kind = classify_dnload (dev, setup, data);
          if (setup->value == 1)
            return stall_error (dev, start, "DNLOAD block 1");
          if (kind == SIM_OP_LAST
              || (kind == SIM_OP_SET_ADDRESS && setup->length != 5)
              || (kind == SIM_OP_ERASE && setup->length != 5)
              || (kind == SIM_OP_READ_UNPROTECT && setup->length != 1))
            return stall_error (dev, start, "unknown DfuSe command");
        }
      else if (dev->state == SIM_STATE_DFU_IDLE)
        {
          dev->offset = 0;
          g_hash_table_remove_all (dev->erased);
        }
      memcpy (dev->block, data, setup->length);
      dev->block_len = setup->length;
      dev->block_num = setup->value;
      dev->have_block = TRUE;
      dev->state = SIM_STATE_DNLOAD_SYNC;
      return SIM_RESULT_OK;

    case SIM_DFU_UPLOAD:
      {
        guint8 status = SIM_OK;
        gsize n;
        gsize want = setup->length;
        guint64 address;
        if (dev->state != SIM_STATE_DFU_IDLE && dev->state != SIM_STATE_UPLOAD_IDLE)
          return stall_error (dev, start, "UPLOAD");
        if (setup->length == 0)
          {
            dev->state = SIM_STATE_DFU_IDLE;
            return SIM_RESULT_OK;
          }
        if (dfuse && setup->value == 0)
          {
            static const guint8 commands[] = { 0x00, 0x21, 0x41, 0x92 };
            dev->state = SIM_STATE_UPLOAD_IDLE;
            return reply (data, actual, setup->length, commands, sizeof commands);
          }
        if (dfuse && setup->value == 1)
          return stall_error (dev, start, "UPLOAD block 1");
        if (dfuse && dev->rdp)
          {
            sim_stats_log (dev->stats, start, "stall", "UPLOAD while read protected: dfuERROR/errVENDOR");
            dev->state = SIM_STATE_ERROR;
            dev->status = SIM_ERR_VENDOR;
            return SIM_RESULT_STALL;
          }
        if (dfuse)
          {
            /* ST reads at most wTransferSize per block, as it writes */
            address = (guint64) dev->pointer + (guint64) (setup->value - 2) * block_stride (p);
            want = MIN (setup->length, block_stride (p));
          }
        else
          {
            SimAltProfile *alt = g_ptr_array_index (p->alts, dev->alt);
            const DfRegion *region = g_ptr_array_index (alt->geometry->regions, 0);
            if (dev->state == SIM_STATE_DFU_IDLE)
              dev->offset = 0;
            address = region->start + dev->offset;
          }
        n = address > G_MAXUINT32 ? 0 : sim_memory_read (dev->memory, dev->alt, (guint32) address, data,
                                                         want, &status);
        if (address > G_MAXUINT32)
          status = SIM_ERR_ADDRESS;
        if (status != SIM_OK)
          {
            sim_stats_log (dev->stats, start, "stall", "UPLOAD at 0x%08" G_GINT64_MODIFIER "x: dfuERROR/%s",
                           address, sim_status_to_string (status));
            dev->state = SIM_STATE_ERROR;
            dev->status = status;
            return SIM_RESULT_STALL;
          }
        *actual = n;
        dev->offset += n;
        /* a short frame ends the upload */
        dev->state = n < setup->length ? SIM_STATE_DFU_IDLE : SIM_STATE_UPLOAD_IDLE;
        {
          SimOpStats *op = &dev->stats->ops[SIM_OP_READ];
          guint64 w = wire (dev, n);
          op->count++;
          op->bytes += n;
          op->wire_us += w;
          op->floor_us += w;
          op->busy_floor_us += w;
        }
        return SIM_RESULT_OK;
      }

    case SIM_DFU_GETSTATUS:
      if (setup->length == 0 || !(setup->request_type & 0x80))
        return SIM_RESULT_STALL;
      return getstatus (dev, start, setup, data, actual, post);

    case SIM_DFU_CLRSTATUS:
      dev->wedged = FALSE;
      if (dev->state != SIM_STATE_ERROR && p->clrstatus_stalls)
        return stall_error (dev, start, "CLRSTATUS outside dfuERROR");  /* STM32C5 */
      if (dev->state == SIM_STATE_ERROR)
        {
          dev->state = SIM_STATE_DFU_IDLE;
          dev->status = SIM_OK;
        }
      else if (dfuse)
        {
          /* ST's implementation: CLRSTATUS out of place is an error */
          dev->state = SIM_STATE_ERROR;
          dev->status = SIM_ERR_UNKNOWN;
        }
      else
        return stall_error (dev, start, "CLRSTATUS");
      return SIM_RESULT_OK;

    case SIM_DFU_GETSTATE:
      {
        guint8 state;
        if (dev->pending_state >= 0)
          {
            dev->state = (guint) dev->pending_state;
            if (dev->state == SIM_STATE_ERROR && dev->status == SIM_OK)
              dev->status = SIM_ERR_UNKNOWN;
            dev->pending_state = -1;
          }
        state = (guint8) dev->state;
        return reply (data, actual, setup->length, &state, 1);
      }

    case SIM_DFU_ABORT:
      switch (dev->state)
        {
        case SIM_STATE_DFU_IDLE:
        case SIM_STATE_DNLOAD_SYNC:
        case SIM_STATE_DNLOAD_IDLE:
        case SIM_STATE_MANIFEST_SYNC:
        case SIM_STATE_UPLOAD_IDLE:
          dev->state = SIM_STATE_DFU_IDLE;
          dev->status = SIM_OK;
          dev->manifest_done = FALSE;
          clear_block (dev);
          return SIM_RESULT_OK;
        default:
          if (!dfuse)
            return stall_error (dev, start, "ABORT");
          return SIM_RESULT_OK;
        }

    case SIM_DFU_DETACH:
      if (!dfuse)
        return stall_error (dev, start, "DETACH in DFU mode");
      /* ST's implementation: back to dfuIDLE; with bitWillDetach it
       * disconnects and reconnects, still in DFU mode */
      dev->state = SIM_STATE_DFU_IDLE;
      dev->status = SIM_OK;
      clear_block (dev);
      if (p->dfu_attributes & 0x08)
        post->reenumerate = TRUE;
      return SIM_RESULT_OK;

    default:
      return stall_error (dev, start, "unknown DFU request");
    }
}

static SimResult
runtime_request (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual, Post *post)
{
  switch (setup->request)
    {
    case SIM_DFU_GETSTATUS:
      {
        guint8 answer[6] = { SIM_OK, 0, 0, 0, (guint8) dev->state, 0 };
        if (dev->state == SIM_STATE_APP_DETACH && start > dev->detach_until)
          answer[4] = dev->state = SIM_STATE_APP_IDLE;
        return reply (data, actual, setup->length, answer, sizeof answer);
      }
    case SIM_DFU_GETSTATE:
      {
        guint8 state = (guint8) dev->state;
        return reply (data, actual, setup->length, &state, 1);
      }
    case SIM_DFU_DETACH:
      {
        guint timeout = MIN (setup->value, dev->root->detach_timeout_ms);
        dev->state = SIM_STATE_APP_DETACH;
        dev->detach_until = start + scaled (dev, (guint64) timeout * 1000);
        sim_stats_log (dev->stats, start, "detach", "wTimeout %u ms%s", setup->value,
                       (dev->root->dfu_attributes & 0x08) ? ", detaching by itself (bitWillDetach)"
                                                          : ", waiting for a USB reset");
        if (dev->root->dfu_attributes & 0x08)
          post->detach = TRUE;
        return SIM_RESULT_OK;
      }
    default:
      return SIM_RESULT_STALL;
    }
}

static SimResult
dispatch (SimDevice *dev, guint64 start, const SimSetup *setup, guint8 *data, gsize *actual, Post *post)
{
  guint type = (setup->request_type >> 5) & 3;
  guint recipient = setup->request_type & 0x1F;

  if (type == 0)
    return standard_request (dev, start, setup, data, actual);
  if (type == 1 && recipient == 1 && dev->mode != DEV_APP)
    {
      Descriptors *d = descriptors (dev, dev->mode);
      if ((setup->index & 0xFF) != d->dfu_interface)
        return SIM_RESULT_STALL;
      if (dev->mode == DEV_BOOTLOADER)
        return dfu_mode_request (dev, start, setup, data, actual, post);
      return runtime_request (dev, start, setup, data, actual, post);
    }
  return SIM_RESULT_STALL;
}

static void
count_getstatus (SimDevice *dev, guint64 now_us)
{
  dev->n_getstatus++;
  if (now_us < dev->poll_ready_at)
    {
      dev->stats->early_polls++;
      if (dev->stats->early_refused > 0)
        dev->stats->early_polls_after_refused++;
    }
}

/* a GETSTATUS that comes while the device is erasing, on a part that does
 * not hold it: STM32F0 and L4 stall it (dfu-util: "some STM32L4
 * bootloaders report a too short poll timeout and may stall the pipe when
 * we poll"; it retries the status up to three times, for special commands
 * only), STM32H7 answers dfuDNBUSY again (betaflight-configurator #1972:
 * "dfuDNBUSY reported when erasing").  Writes are held as everywhere.
 * A spec-strict device (SIM_BUSY_ERROR) refuses any GETSTATUS sent before
 * the bwPollTimeout it reported, busy or not, erase or write. */
/* how the device takes a GETSTATUS while the running operation keeps it
 * busy: erases as the profile (or a fault) says, writes held unless the
 * profile says otherwise (mboot answers dfuDNBUSY for both) */
static SimBusyStatus
busy_status_mode (SimDevice *dev)
{
  if (!dev->busy_erasing)
    return dev->boot->getstatus_while_writing;
  return dev->early_status;
}

static SimResult
busy_getstatus (SimDevice *dev, guint64 now_us, guint64 start, const SimSetup *setup,
                guint8 *data, gsize *actual, guint64 *done_us)
{
  SimStats *stats = dev->stats;
  SimResult result = SIM_RESULT_STALL;
  guint64 done;

  count_getstatus (dev, now_us);
  if (busy_status_mode (dev) == SIM_BUSY_ANSWER)
    {
      guint32 poll = dev->busy_poll_ms;
      guint8 answer[6] = { SIM_OK, poll & 0xFF, (poll >> 8) & 0xFF, (poll >> 16) & 0xFF, SIM_STATE_DNBUSY, 0 };
      result = reply (data, actual, setup->length, answer, sizeof answer);
      done = start + wire (dev, *actual);
      stats->bytes_in += *actual;
      dev->poll_ready_at = done + (guint64) poll * 1000;
    }
  else
    {
      done = start + wire (dev, 0);
      stats->stalled++;
      if (dev->early_status == SIM_BUSY_ERROR)
        {
          /* the work already started runs to its end; what the host hears
           * of it afterwards is the error */
          stats->early_refused++;
          sim_stats_log (stats, start, "stall", "GETSTATUS %" G_GUINT64_FORMAT " us before bwPollTimeout: "
                         "dfuERROR/errSTALLEDPKT", dev->poll_ready_at - now_us);
          if (dev->busy_until > start)
            {
              dev->state_after_busy = SIM_STATE_ERROR;
              dev->status_after_busy = SIM_ERR_STALLEDPKT;
            }
          else
            {
              dev->state = SIM_STATE_ERROR;
              dev->status = SIM_ERR_STALLEDPKT;
            }
          clear_block (dev);
          dev->poll_ready_at = done;
        }
      else
        sim_stats_log (stats, start, "stall", "GETSTATUS while busy");
    }
  stats->wire_us += done - start;
  stats->last_us = done;
  dev->last_done = done;
  *done_us = done;
  return result;
}

SimResult
sim_device_control (SimDevice *dev, guint64 now_us, const SimSetup *setup, guint8 *data,
                    gsize *actual, guint64 *done_us)
{
  SimStats *stats = dev->stats;
  Post post = { 0 };
  SimResult result;
  gboolean in = (setup->request_type & 0x80) != 0;
  gboolean dfu;
  guint64 ready, start, done;
  gsize data_bytes;

  *actual = 0;
  *done_us = now_us;
  dev->n_requests++;
  sim_stats_count_request (stats, request_name (setup));
  if (stats->first_us == G_MAXUINT64)
    stats->first_us = now_us;

  apply_transitions (dev, now_us);
  if (!dev->on_bus)
    {
      stats->nodev++;
      return SIM_RESULT_NODEV;
    }
  if (dev->no_answer_left > 0)
    {
      if (dev->no_answer_left != G_MAXUINT)
        dev->no_answer_left--;
      stats->no_answer++;
      return SIM_RESULT_NO_ANSWER;
    }

  /* time the device sat ready with nothing to do */
  ready = MAX (dev->last_done, dev->busy_until);
  if (!dev->fresh && now_us > ready)
    {
      guint64 allowed = MAX (ready, dev->poll_ready_at);
      stats->idle_us += now_us - ready;
      if (now_us > allowed)
        stats->idle_after_poll_us += now_us - allowed;
    }

  dev->fresh = FALSE;
  dfu = is_dfu_request (dev, setup);
  start = MAX (now_us, dev->last_done);
  if (dfu && setup->request == SIM_DFU_GETSTATUS && dev->mode == DEV_BOOTLOADER)
    {
      gboolean early_error = dev->early_status == SIM_BUSY_ERROR && now_us < dev->poll_ready_at;
      SimBusyStatus mode = busy_status_mode (dev);
      gboolean busy_quirk = dev->busy_until > start && (dev->busy_erasing || mode == SIM_BUSY_ANSWER)
                            && (mode == SIM_BUSY_STALL || mode == SIM_BUSY_ANSWER);
      if (early_error || busy_quirk)
        return busy_getstatus (dev, now_us, start, setup, data, actual, done_us);
    }
  if (dev->busy_until > start)
    {
      stats->nak_us += dev->busy_until - start;
      start = dev->busy_until;
    }
  settle_busy (dev, start);
  apply_transitions (dev, start);
  if (!dev->on_bus)
    {
      stats->nodev++;
      *done_us = start;
      return SIM_RESULT_NODEV;
    }

  if (dfu && setup->request == SIM_DFU_DNLOAD)
    dev->n_dnload++;
  else if (dfu && setup->request == SIM_DFU_UPLOAD)
    dev->n_upload++;
  else if (dfu && setup->request == SIM_DFU_GETSTATUS)
    count_getstatus (dev, now_us);
  if (dfu && setup->request == SIM_DFU_DNLOAD && dev->mode == DEV_BOOTLOADER)
    {
      SimOpKind op = classify_dnload (dev, setup, data);
      /* counted for the write=N and erase=N triggers before they are checked */
      if (op == SIM_OP_WRITE && setup->length > 0)
        dev->n_write++;
      else if (op == SIM_OP_ERASE || op == SIM_OP_MASS_ERASE)
        dev->n_erase++;
      else if (op == SIM_OP_LEAVE)
        dev->n_leave++;
    }

  if (check_faults (dev, start, setup, data, &result) == FAULT_RETURN)
    {
      if (result == SIM_RESULT_STALL)
        {
          done = start + wire (dev, 0);
          stats->stalled++;
          stats->wire_us += done - start;
          dev->last_done = done;
          stats->last_us = done;
          *done_us = done;
        }
      else if (result == SIM_RESULT_NODEV)
        stats->nodev++;
      else if (result == SIM_RESULT_NO_ANSWER)
        stats->no_answer++;
      return result;
    }

  result = dispatch (dev, start, setup, data, actual, &post);

  if (result == SIM_RESULT_OK)
    data_bytes = in ? *actual : setup->length;
  else
    {
      data_bytes = 0;
      *actual = 0;
    }
  done = start + wire (dev, data_bytes);
  stats->wire_us += done - start;
  if (result == SIM_RESULT_STALL)
    stats->stalled++;
  else if (in)
    stats->bytes_in += data_bytes;
  else
    stats->bytes_out += data_bytes;
  dev->last_done = done;
  stats->last_us = done;
  *done_us = done;

  /* what happens once the answer is out */
  dev->poll_ready_at = done;
  if (post.getstatus)
    {
      dev->poll_ready_at = done + (guint64) post.poll_ms * 1000;
      dev->busy_poll_ms = post.poll_ms;
      dev->busy_erasing = post.erasing;
    }
  if (post.busy_us > 0 || post.getstatus)
    dev->busy_until = done + post.busy_us;
  if (post.leave)
    after_leave (dev, done);
  if (post.reset_after_busy)
    leave_bus (dev, dev->busy_until, TRUE, DEV_BOOTLOADER);
  if (post.cut_after)
    leave_bus (dev, done + post.cut_after_us, post.cut_returns, DEV_BOOTLOADER);
  if (post.detach)
    leave_bus (dev, done + scaled (dev, dev->root->timing.detach_us), TRUE, DEV_BOOTLOADER);
  if (post.reenumerate)
    leave_bus (dev, done, TRUE, DEV_BOOTLOADER);
  return result;
}

/* --- ioctls --- */

static void
catch_up (SimDevice *dev)
{
  /* these ioctls carry no time: use the last one known.  A host only
   * issues them on a device it sees, so a device that is off the bus has
   * reached its next reconnection. */
  apply_transitions (dev, dev->last_done);
  if (!dev->on_bus)
    for (GList *l = dev->transitions->head; l != NULL; l = l->next)
      {
        Transition *t = l->data;
        if (t->type == TR_CONNECT)
          {
            guint64 at = t->at_us;
            apply_transitions (dev, at);
            dev->last_done = MAX (dev->last_done, at);
            break;
          }
      }
}

SimResult
sim_device_set_configuration (SimDevice *dev, guint8 value)
{
  catch_up (dev);
  if (!dev->on_bus)
    return SIM_RESULT_NODEV;
  if (value > 1)
    return SIM_RESULT_STALL;
  dev->configuration = value;
  sim_stats_log (dev->stats, dev->last_done, "set_configuration", "%u", value);
  return SIM_RESULT_OK;
}

SimResult
sim_device_set_interface (SimDevice *dev, guint8 interface, guint8 alt)
{
  Descriptors *d;

  catch_up (dev);
  if (!dev->on_bus)
    return SIM_RESULT_NODEV;
  d = descriptors (dev, dev->mode);
  if (interface >= d->n_interfaces)
    return SIM_RESULT_STALL;
  if (interface != d->dfu_interface)
    return alt == 0 ? SIM_RESULT_OK : SIM_RESULT_STALL;
  if (alt >= d->n_alts)
    return SIM_RESULT_STALL;
  dev->alt = alt;
  sim_stats_log (dev->stats, dev->last_done, "set_interface", "interface %u alt %u", interface, alt);
  return SIM_RESULT_OK;
}

SimResult
sim_device_reset (SimDevice *dev, guint64 now_us)
{
  guint64 at = MAX (now_us, dev->last_done);

  apply_transitions (dev, at);
  if (!dev->on_bus)
    return SIM_RESULT_NODEV;
  sim_stats_log (dev->stats, at, "reset", "USB reset in %s", sim_state_to_string (dev->state));
  dev->last_done = at;
  if (dev->mode == DEV_RUNTIME)
    {
      if (dev->state == SIM_STATE_APP_DETACH && at <= dev->detach_until)
        {
          /* DFU 1.1: a reset within wDetachTimeOut starts the bootloader */
          leave_bus (dev, at, TRUE, DEV_BOOTLOADER);
          apply_transitions (dev, at);
          return SIM_RESULT_NODEV;
        }
      dev->state = SIM_STATE_APP_IDLE;
      return SIM_RESULT_OK;
    }
  if (dev->mode == DEV_APP)
    return SIM_RESULT_OK;
  if (dev->boot->mode == SIM_MODE_DFU && dev->manifest_done)
    {
      /* the reset a non-manifestation-tolerant device waits for */
      settle_busy (dev, at);
      after_leave (dev, at);
      apply_transitions (dev, at);
      return SIM_RESULT_NODEV;
    }
  /* a bus reset leaves the bootloader in DFU mode, idle */
  settle_busy (dev, at);
  dev->state = dev->boot->power_on_state == SIM_STATE_ERROR ? SIM_STATE_DFU_IDLE : dev->boot->power_on_state;
  dev->status = SIM_OK;
  dev->configuration = 1;
  dev->alt = 0;
  clear_block (dev);
  return SIM_RESULT_OK;
}

/* --- memory and statistics --- */

gboolean
sim_device_load_flash (SimDevice *dev, const gchar *path, GError **error)
{
  return sim_memory_load (dev->memory, 0, path, error);
}

gboolean
sim_device_save_flash (SimDevice *dev, const gchar *path, GError **error)
{
  return sim_memory_save (dev->memory, 0, path, error);
}

const guint8 *
sim_device_peek (SimDevice *dev, guint32 address, gsize length)
{
  return sim_memory_peek (dev->memory, address, length);
}

gchar *
sim_device_stats_json (SimDevice *dev)
{
  return sim_stats_to_json (dev->stats, dev->root->name, dev->serial, dev->scale);
}

gchar *
sim_device_event_log (SimDevice *dev)
{
  return sim_stats_log_text (dev->stats);
}

/* --- for the unit tests --- */

guint
sim_device_get_state (SimDevice *dev)
{
  return dev->state;
}

guint
sim_device_get_status (SimDevice *dev)
{
  return dev->status;
}

guint32
sim_device_get_pointer (SimDevice *dev)
{
  return dev->pointer;
}

gboolean
sim_device_is_read_protected (SimDevice *dev)
{
  return dev->rdp;
}

const SimStats *
sim_device_get_stats (SimDevice *dev)
{
  return dev->stats;
}
