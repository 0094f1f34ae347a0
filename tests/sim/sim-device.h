/* sim-device.h: a virtual USB DFU device, in plain C with no umockdev in it.
 *
 * The model takes one USB request at a time, stamped with the host's time,
 * and says what the device answers and when.  Everything about time is in
 * microseconds of the host's monotonic clock; the model never sleeps.  The
 * umockdev runner (defuse-sim.c) holds each request until the answer time,
 * which is what a NAKing device looks like to the host; in-process tests
 * call the model directly and may advance a fake clock instead.
 *
 * The same model serves dfu-util, pyusb scripts and Defuse alike, which is
 * how Defuse is compared with its peers on identical devices.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimProfile SimProfile;
typedef struct _SimDevice  SimDevice;

/* A profile is a data file, tests/sim/profiles/NAME.json.  name_or_path is
 * a profile name looked up in the profile directory (DEFUSE_SIM_PROFILES or
 * the source tree) or a path to a .json file. */
SimProfile  *sim_profile_load (const gchar *name_or_path, GError **error);
void         sim_profile_free (SimProfile *profile);
const gchar *sim_profile_get_name (const SimProfile *profile);
/* one line saying what the profile models, or NULL */
const gchar *sim_profile_get_description (const SimProfile *profile);
/* whether every device of this profile reports the same serial (STM32F0:
 * FFFFFFFEFFFF): a --count run then does not count serials up */
gboolean     sim_profile_serial_is_shared (const SimProfile *profile);
/* names of the profiles in the profile directory, sorted; g_strfreev */
gchar      **sim_profile_list_names (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimProfile, sim_profile_free)

/* time_scale multiplies every device and wire time (1.0 = real timings)
 * and the bwPollTimeout the device reports (rounded up to 1 ms, 0 stays 0).
 * serial NULL: the profile's. */
SimDevice   *sim_device_new (const SimProfile *profile, const gchar *serial,
                             gdouble time_scale);
void         sim_device_free (SimDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimDevice, sim_device_free)

/* What the runner needs to build the sysfs device.  It describes the
 * device as it is after the last event queued (so, on a CONNECT event, what
 * comes back); the pointer and its strings stay valid as long as the device. */
typedef struct {
  guint16      vid;
  guint16      pid;
  guint16      bcd_device;
  const gchar *manufacturer;
  const gchar *product;
  const gchar *serial;
  guint        speed_mbps;       /* 12 for full speed */
  guint8       configuration;    /* bConfigurationValue */
  GBytes      *descriptors;      /* device descriptor + config descriptor(s), as sysfs "descriptors" */
  gint         serial_interface; /* a USB serial port (CDC-ACM): its control interface, else -1 */
} SimUsbInfo;

const SimUsbInfo *sim_device_get_info (SimDevice *device);

/* One control transfer on endpoint 0. */
typedef struct {
  guint8  request_type;  /* bmRequestType */
  guint8  request;       /* bRequest */
  guint16 value;
  guint16 index;
  guint16 length;
} SimSetup;

typedef enum {
  SIM_RESULT_OK,       /* answered; *actual bytes in data for IN transfers */
  SIM_RESULT_STALL,    /* endpoint 0 stalled: URB status -EPIPE */
  SIM_RESULT_NODEV,    /* the device is gone: ENODEV */
  SIM_RESULT_NO_ANSWER /* the device never answers: the host times out */
} SimResult;

/* Runs one control transfer that the host submits at now_us.  data holds
 * setup->length bytes (OUT: what the host sends; IN: filled by the device,
 * *actual set).  *done_us is when the answer reaches the host: after any
 * busy time still running from an earlier request (the device NAKs until
 * then) plus the wire cost of this transfer.  A STALL also has a done_us
 * (the setup went out); NODEV and NO_ANSWER leave *done_us at now_us. */
SimResult    sim_device_control (SimDevice *device, guint64 now_us,
                                 const SimSetup *setup, guint8 *data,
                                 gsize *actual, guint64 *done_us);

/* usbdevfs ioctls that are not control transfers.  The first two carry no
 * time: the device takes them as happening after its last answer, or at its
 * next reconnection when it is off the bus.  reset answers SIM_RESULT_NODEV
 * when the reset makes the device re-enumerate as something else (a runtime
 * device after DETACH, a plain DFU device after manifestation): the events
 * say when it goes and comes back; libusb reports that as NOT_FOUND. */
SimResult    sim_device_set_configuration (SimDevice *device, guint8 value);
SimResult    sim_device_set_interface (SimDevice *device, guint8 interface, guint8 alt);
SimResult    sim_device_reset (SimDevice *device, guint64 now_us);

/* Events the device causes on the bus: leaving DFU mode, detaching from
 * the runtime, read-unprotect resets.  The runner polls after each request
 * (and on a timer while an event is pending) and acts at at_us. */
typedef enum {
  SIM_EVENT_DISCONNECT,  /* remove the device from the bus */
  SIM_EVENT_CONNECT,     /* (re-)add it, new device number, current info */
} SimEventType;

typedef struct {
  SimEventType type;
  guint64      at_us;
  guint        generation;  /* sim_device_get_generation() when it was queued */
} SimEvent;

gboolean     sim_device_pop_event (SimDevice *device, SimEvent *event);

/* The board is unplugged at now_us (someone pulls the cable): it leaves the
 * bus whatever it is doing, a reconnection it had coming is called off,
 * and it stays away until sim_device_plug().  Plugged in again it powers
 * up as the real board would: in its bootloader for a DFU-mode profile
 * (BOOT0 held), as the application for a runtime or MicroPython one,
 * memory kept.  Each call starts a new generation: events queued before
 * it are void (the runner drops those whose generation is not the
 * current one).  sim_device_plug() answers FALSE when it was not unplugged. */
void         sim_device_unplug (SimDevice *device, guint64 now_us);
gboolean     sim_device_plug (SimDevice *device, guint64 now_us);
gboolean     sim_device_is_unplugged (SimDevice *device);
guint        sim_device_get_generation (SimDevice *device);
/* whether the device is on the bus once every queued event has happened
 * (FALSE: it has gone for good, or until a reconnection nobody scheduled) */
gboolean     sim_device_is_connected (SimDevice *device);

/* A MicroPython board (profile mode "micropython") as its REPL reports
 * it: os.uname() and sys.implementation.  The version is the profile's
 * until a flash holds a MicroPython banner where the profile says to look. */
typedef struct {
  gchar *version;     /* "1.24.1" (os.uname().release) */
  gchar *build_date;  /* "2024-11-29" */
  gchar *machine;     /* "PYBv1.1 with STM32F405RG" (sys.implementation._machine) */
  gchar *sysname;     /* "pyboard" (os.uname().sysname) */
  gchar *build;       /* "PYBV11": sys.implementation._build of the board's builds from
                       * v1.25 on (py/modsys.c); firmware before 1.25 has none; NULL: never */
} SimMicroPython;

typedef enum {
  SIM_REPL_MICROPYTHON, /* answers as MicroPython's pyexec.c does */
  SIM_REPL_GARBAGE,     /* answers bytes that are not MicroPython's (fault "repl=garbage") */
  SIM_REPL_SILENT,      /* reads and never answers (fault "repl=silent") */
} SimReplBehaviour;

/* NULL when the device is no MicroPython board; free with sim_micropython_free */
SimMicroPython *sim_device_get_micropython (SimDevice *device);
void         sim_micropython_free (SimMicroPython *mp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimMicroPython, sim_micropython_free)
SimReplBehaviour sim_device_get_repl_behaviour (SimDevice *device);
/* machine.bootloader() ran at now_us: the application leaves the bus and
 * its bootloader enumerates (or, with fault "no-bootloader", MicroPython
 * again; with "unplug@bootloader=N", nothing: it is unplugged); the events
 * say when. */
void         sim_device_micropython_bootloader (SimDevice *device, guint64 now_us);

/* Fault injection, e.g. "stall@request=12", "status=errWRITE@byte=65536",
 * "disconnect@byte=100000", "no-answer@request=40", "bad-status@request=7",
 * "state=dfuERROR@request=3"; the grammar is documented in sim-fault.c. */
gboolean     sim_device_add_fault (SimDevice *device, const gchar *spec, GError **error);

/* The memory of every alt setting.  A flash file is raw bytes of the first
 * (main flash) region of alt 0 from its base address, as a real part's
 * memory would be read with an SWD probe; regions that follow it without a
 * gap belong to it (the two banks of an STM32H743 are one 2 MiB file).  A
 * shorter file leaves the rest erased; save writes the whole region. */
gboolean     sim_device_load_flash (SimDevice *device, const gchar *path, GError **error);
gboolean     sim_device_save_flash (SimDevice *device, const gchar *path, GError **error);
/* read-only view of the memory at address (NULL if unmapped) */
const guint8 *sim_device_peek (SimDevice *device, guint32 address, gsize length);

/* Statistics as a JSON object (see sim-stats.c for the keys) and the
 * event log as text lines with timestamps. */
gchar       *sim_device_stats_json (SimDevice *device);
gchar       *sim_device_event_log (SimDevice *device);

G_END_DECLS
