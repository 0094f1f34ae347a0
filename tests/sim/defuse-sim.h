/* defuse-sim.h: the umockdev runner's shared state.
 *
 * One DefuseSim per run.  Each virtual device is a slot (a port on bus 1)
 * holding a SimDevice; every time the slot enumerates it gets a new node
 * (device number, /dev/bus/usb/001/DDD).  Nodes outlive their enumeration
 * because a program may keep the old file descriptor open, and the kernel
 * answers ENODEV on it.
 *
 * Threads: the ioctl transport's (one per open file for "socket",
 * umockdev's worker for "umockdev"), the clock thread (bus events, and held
 * answers for "umockdev"), the main thread waiting for the command.  All
 * of them take sim->lock, a recursive one because dropping a reference to
 * a umockdev client can run our destroy notify under it. */
#pragma once

#include <umockdev.h>

#include "sim-device.h"
#include "defuse-sim-clock.h"
#include "defuse-sim-ioctl.h"

G_BEGIN_DECLS

#define DEFUSE_SIM_BUSNUM      1
#define DEFUSE_SIM_MAX_IFACES  32

typedef struct _DefuseSimSlot DefuseSimSlot;
typedef struct _DefuseSimNode DefuseSimNode;
typedef struct _DefuseSimTty  DefuseSimTty;

struct _DefuseSimNode {
  DefuseSimSlot *slot;
  guint          devnum;
  gchar         *devnode;      /* /dev/bus/usb/001/DDD */
  gchar         *syspath;      /* /sys/devices/.../usb1/1-PORT */
  gboolean       gone;         /* removed from the bus: ioctls answer ENODEV */
  gint64         gone_at_us;   /* when it was removed (the event's time) */
  GList         *clients;      /* DefuseSimClient: open file descriptors */
  gpointer       claims[DEFUSE_SIM_MAX_IFACES]; /* client holding interface n */
  DefuseSimTty  *tty;          /* its serial port (a MicroPython board), or NULL */
};

struct _DefuseSimSlot {
  DefuseSim     *sim;
  guint          index;        /* 1-based, also the port number */
  SimDevice     *device;
  DefuseSimNode *node;         /* NULL while disconnected */
  guint          enumerations; /* how often it appeared on the bus */
  gboolean       plug_later;   /* off the bus until plugged in (SIGUSR1, --control) */
};

struct _DefuseSim {
  GRecMutex          lock;
  UMockdevTestbed   *testbed;
  const DefuseSimBackend *backend;
  gpointer           backend_data;
  DefuseSimClock    *clock;
  GPtrArray         *slots;     /* DefuseSimSlot */
  GPtrArray         *nodes;     /* DefuseSimNode, every one ever created */
  GHashTable        *by_devnode;/* devnode -> latest DefuseSimNode */
  guint              next_devnum;
  guint              next_tty;  /* ttyACMn: each enumeration gets a new one */
  GPtrArray         *ttys;      /* DefuseSimTty, every one ever served */
  gint64             start_us;
  gboolean           verbose;
  gboolean           stopping;  /* the command has exited: no more bus events */
  GString           *log;       /* the runner's own event lines */

  /* figures for --stats "runner" */
  guint64            n_ioctls;
  guint64            n_control;
  guint64            n_reap_empty;
  guint64            n_held;
  guint              n_mem_direct;      /* process_vm_readv/writev calls, atomic */
  guint              n_mem_round_trips; /* reads through the preload, atomic */
  gint64             polling_us;        /* spent polling for a program's next ioctl */
};

void           defuse_sim_log (DefuseSim *sim, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

/* defuse-sim-testbed.c: the sysfs side */
gboolean       defuse_sim_slot_connect (DefuseSimSlot *slot, GError **error);
void           defuse_sim_slot_disconnect (DefuseSimSlot *slot, gint64 at_us);
void           defuse_sim_slot_poll_events (DefuseSimSlot *slot);
DefuseSimNode *defuse_sim_lookup_node (DefuseSim *sim, const gchar *devnode);
/* the cable (--plug-later, unplug faults, --control, SIGUSR1) */
gboolean       defuse_sim_slot_is_unplugged (DefuseSimSlot *slot);
gboolean       defuse_sim_slot_unplug (DefuseSimSlot *slot, const gchar *why, GError **error);
gboolean       defuse_sim_slot_plug (DefuseSimSlot *slot, const gchar *why, GError **error);
void           defuse_sim_node_free (DefuseSimNode *node);

/* defuse-sim-tty.c: the serial port of a MicroPython board */
gboolean       defuse_sim_tty_attach (DefuseSimSlot *slot, DefuseSimNode *node, GError **error);
void           defuse_sim_tty_detach (DefuseSimNode *node);
void           defuse_sim_tty_free (DefuseSimTty *tty);

/* defuse-sim-control.c: the --control socket */
typedef struct _DefuseSimControl DefuseSimControl;
DefuseSimControl *defuse_sim_control_new (DefuseSim *sim, const gchar *path, GError **error);
void           defuse_sim_control_free (DefuseSimControl *control);

/* defuse-sim-usbdevfs.c */
void           defuse_sim_node_kill_urbs (DefuseSimNode *node);

G_END_DECLS
