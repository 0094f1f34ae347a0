#include <glib/gi18n.h>
#include <libusb.h>

#include "df-error.h"
#include "df-micropython.h"
#include "df-monitor.h"
#include "df-usb.h"

/* without hotplug support, how often the bus is enumerated again */
#define POLL_INTERVAL_US (1500 * G_USEC_PER_SEC / 1000)
#define RECHECK_US       (G_USEC_PER_SEC / 2)

struct _DfMonitor {
  GObject       parent_instance;
  GMainContext *context;      /* where signals are emitted */
  GThread      *thread;
  libusb_context *usb;        /* our own: see df_monitor_start */
  libusb_hotplug_callback_handle hotplug;
  gboolean      has_hotplug;
  gint          stop;         /* atomic */
  gint          dirty;        /* atomic: enumerate again */
  GMutex        lock;
  GHashTable   *devices;      /* id -> DfDevice, owned by the worker, read under lock */
  GHashTable   *boards;       /* serial port key -> DfDevice: MicroPython boards asked once */
  gint64        recheck_at;   /* serial ports can appear after their USB device */
};

enum {
  SIGNAL_DEVICE_ADDED,
  SIGNAL_DEVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (DfMonitor, df_monitor, G_TYPE_OBJECT)

typedef struct {
  DfMonitor *self;
  DfDevice  *device;
  guint      signal;
} Emission;

static gboolean
emit_in_main_context (gpointer data)
{
  Emission *e = data;
  g_signal_emit (e->self, signals[e->signal], 0, e->device);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer data)
{
  Emission *e = data;
  g_object_unref (e->self);
  df_device_unref (e->device);
  g_free (e);
}

static void
queue_emission (DfMonitor *self, guint signal, DfDevice *device)
{
  Emission *e = g_new0 (Emission, 1);
  e->self = g_object_ref (self);
  e->device = df_device_ref (device);
  e->signal = signal;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_in_main_context, e, emission_free);
}

/* MicroPython boards, each asked what it runs once per enumeration of its
 * port (asking interrupts the program it runs); a port another program
 * holds is asked again at the next look */
static void
add_micropython_boards (DfMonitor *self, GHashTable *now)
{
  g_autoptr(GPtrArray) ports = df_serial_port_enumerate ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) df_device_unref);

  for (guint i = 0; i < ports->len; i++)
    {
      DfSerialPort *port = g_ptr_array_index (ports, i);
      g_autofree gchar *key = g_strdup_printf ("%s %s %u", port->devnode, port->path, port->address);
      DfDevice *device = g_hash_table_lookup (self->boards, key);

      if (!df_micropython_is_candidate (port))
        continue;
      if (device == NULL)
        {
          g_autoptr(DfMicroPython) board = df_micropython_probe (port, NULL);
          if (g_error_matches (board->error, G_IO_ERROR, G_IO_ERROR_BUSY))
            {
              self->recheck_at = g_get_monotonic_time () + RECHECK_US;
              continue;
            }
          device = df_micropython_to_device (board);
        }
      else
        df_device_ref (device);
      g_hash_table_insert (now, df_device_get_id (device), df_device_ref (device));
      g_hash_table_insert (seen, g_steal_pointer (&key), device);
    }
  g_hash_table_unref (self->boards);
  self->boards = g_steal_pointer (&seen);
}

/* worker thread: enumerate and send the differences */
static void
enumerate (DfMonitor *self)
{
  g_autoptr(GPtrArray) found = df_usb_enumerate (NULL);
  g_autoptr(GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) df_device_unref);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; found != NULL && i < found->len; i++)
    {
      DfDevice *device = g_ptr_array_index (found, i);
      g_hash_table_insert (now, df_device_get_id (device), df_device_ref (device));
    }
  add_micropython_boards (self, now);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (now, key))
      queue_emission (self, SIGNAL_DEVICE_REMOVED, value);
  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (self->devices, key))
      queue_emission (self, SIGNAL_DEVICE_ADDED, value);
  g_hash_table_unref (self->devices);
  self->devices = g_steal_pointer (&now);
  g_mutex_unlock (&self->lock);
}

/* libusb calls this from its event handling on the worker thread; opening
 * devices is not allowed here, so it only asks for an enumeration */
static int LIBUSB_CALL
on_hotplug (libusb_context *ctx, libusb_device *device, libusb_hotplug_event event, void *user_data)
{
  DfMonitor *self = user_data;
  g_atomic_int_set (&self->dirty, 1);
  return 0;
}

static gpointer
watch (gpointer data)
{
  DfMonitor *self = data;
  gint64 next_poll = 0;

  while (!g_atomic_int_get (&self->stop))
    {
      struct timeval tv = { 0, 200000 };

      if (g_atomic_int_compare_and_exchange (&self->dirty, 1, 0))
        {
          /* and once more a little later, for serial ports that follow */
          self->recheck_at = g_get_monotonic_time () + RECHECK_US;
          enumerate (self);
          next_poll = g_get_monotonic_time () + POLL_INTERVAL_US;
        }
      else if ((!self->has_hotplug && g_get_monotonic_time () >= next_poll) ||
               g_get_monotonic_time () >= self->recheck_at)
        {
          self->recheck_at = G_MAXINT64;
          enumerate (self);
          next_poll = g_get_monotonic_time () + POLL_INTERVAL_US;
        }
      if (self->has_hotplug)
        libusb_handle_events_timeout_completed (self->usb, &tv, NULL);
      else
        g_usleep (100000);
    }
  return NULL;
}

gboolean
df_monitor_start (DfMonitor *self, GError **error)
{
  gint rc;

  g_return_val_if_fail (self->thread == NULL, FALSE);

  /* A context of its own: handling events on the shared one would also
   * poll the devices jobs have open, and a busy loop there (umockdev's
   * device nodes are plain files, always ready) would eat a CPU. */
  rc = libusb_init (&self->usb);
  if (rc != 0)
    {
      self->usb = NULL;
      df_usb_set_error (error, rc, _("starting libusb"));
      return FALSE;
    }
  self->has_hotplug = libusb_has_capability (LIBUSB_CAP_HAS_HOTPLUG) &&
                      libusb_hotplug_register_callback (self->usb,
                                                        LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                                        0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
                                                        LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, self,
                                                        &self->hotplug) == LIBUSB_SUCCESS;
  g_atomic_int_set (&self->dirty, 1);
  self->thread = g_thread_new ("defuse-monitor", watch, self);
  return TRUE;
}

void
df_monitor_rescan (DfMonitor *self)
{
  g_atomic_int_set (&self->dirty, 1);
  if (self->usb != NULL)
    libusb_interrupt_event_handler (self->usb);
}

GPtrArray *
df_monitor_get_devices (DfMonitor *self)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (devices, df_device_ref (value));
  g_mutex_unlock (&self->lock);
  return devices;
}

static void
df_monitor_dispose (GObject *object)
{
  DfMonitor *self = DF_MONITOR (object);

  if (self->thread != NULL)
    {
      g_atomic_int_set (&self->stop, 1);
      if (self->has_hotplug)
        libusb_hotplug_deregister_callback (self->usb, self->hotplug);
      libusb_interrupt_event_handler (self->usb);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  g_clear_pointer (&self->usb, libusb_exit);
  G_OBJECT_CLASS (df_monitor_parent_class)->dispose (object);
}

static void
df_monitor_finalize (GObject *object)
{
  DfMonitor *self = DF_MONITOR (object);

  g_hash_table_unref (self->devices);
  g_hash_table_unref (self->boards);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (df_monitor_parent_class)->finalize (object);
}

static void
df_monitor_class_init (DfMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = df_monitor_dispose;
  object_class->finalize = df_monitor_finalize;

  /* DfDevice is a plain struct: passed as a pointer, valid during the
   * emission (take a reference with df_device_ref to keep it) */
  signals[SIGNAL_DEVICE_ADDED] =
    g_signal_new ("device-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_DEVICE_REMOVED] =
    g_signal_new ("device-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
df_monitor_init (DfMonitor *self)
{
  g_mutex_init (&self->lock);
  self->boards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) df_device_unref);
  self->recheck_at = G_MAXINT64;
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) df_device_unref);
  self->context = g_main_context_ref_thread_default ();
}

DfMonitor *
df_monitor_new (void)
{
  return g_object_new (DF_TYPE_MONITOR, NULL);
}
