/* defuse-sim.c: runs a program with virtual USB DFU devices plugged in.
 *
 *   defuse-sim --profile NAME[,NAME2] [--count N] [--plug-later K] [--serial S]
 *              [--time-scale X] [--control SOCKET]
 *              [--fault [DEV:]SPEC]... [--flash-in FILE] [--flash-out FILE]
 *              [--stats FILE.json] [--log FILE] [--ioctl socket|umockdev]
 *              [--verbose] -- COMMAND [ARGS...]
 *   defuse-sim --list-profiles
 *
 * Builds a umockdev testbed with N devices of the profile, runs COMMAND
 * under libumockdev-preload (as umockdev-wrapper does) so that the real
 * libusb finds them in sysfs and /dev/bus/usb, serves its usbdevfs ioctls
 * from the device model, and when COMMAND exits writes each device's memory,
 * statistics and log.  Exits with COMMAND's status (128 + signal if it was
 * killed); 2 for a usage error, 127 if COMMAND cannot be started.
 *
 * With --profile A,B device 1 is an A and devices 2..N are Bs.
 * With --count N the serials count up from --serial (or the profile's),
 * a fault "2:SPEC" applies to device 2 only, and --flash-out FILE.bin
 * writes FILE-1.bin .. FILE-N.bin.  --stats writes the model's statistics
 * object (an array of them for N > 1), each with a "runner" member:
 * defuse-sim's own wall and CPU time, control transfers, ioctls and ioctl
 * transport.  --log writes the runner's bus events, then each device's
 * event log.  --time-scale 0 makes every device time zero.
 *
 * With --plug-later K the last K devices start unplugged, and each SIGUSR1
 * the runner gets plugs in the next of them: COMMAND can plug a board in
 * when it is ready for one (kill -USR1 $PPID), without sleeping.  A board
 * an "unplug" fault left unplugged is plugged in again the same way.
 *
 * With --control SOCKET, COMMAND (told the path in DEFUSE_SIM_CONTROL) can
 * pull any board's cable and plug it back in when it chooses: "unplug N"
 * and "plug N", one a line, each answered once done (defuse-sim-control.c;
 * tests/sim/simctl.py is a client).  A board plugged in again comes back
 * on its port with a new device number, powered up as the real board
 * would (its bootloader for a DFU-mode profile, its application for a
 * runtime or MicroPython one), its memory kept.  The fault "unplug[=MS]"
 * (sim-fault.c) pulls the cable at a chosen request instead.
 *
 * The runner itself runs under the preload too (it re-executes itself):
 * umockdev builds a uevent by reading the device through libudev, which
 * only sees the testbed's sysfs through the preload. */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "defuse-sim.h"

#define PRELOAD_LIB   "libumockdev-preload.so.0"
#define REEXEC_MARKER "DEFUSE_SIM_REEXECUTED"
#define EXIT_USAGE    2
#define EXIT_NOEXEC   127

typedef struct {
  gchar   *profile;
  gint     count;
  gint     plug_later;
  gchar   *serial;
  gdouble  time_scale;
  gchar  **faults;
  gchar   *flash_in;
  gchar   *flash_out;
  gchar   *stats;
  gchar   *log;
  gchar   *ioctl;
  gchar   *control;
  gboolean verbose;
  gboolean list_profiles;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->profile);
  g_free (options->serial);
  g_strfreev (options->faults);
  g_free (options->flash_in);
  g_free (options->flash_out);
  g_free (options->stats);
  g_free (options->log);
  g_free (options->ioctl);
  g_free (options->control);
}

void
defuse_sim_log (DefuseSim *sim, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *message = NULL;
  gdouble ms;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* stamped under the lock, so the lines are in time order */
  g_rec_mutex_lock (&sim->lock);
  ms = (g_get_monotonic_time () - sim->start_us) / 1000.0;
  g_string_append_printf (sim->log, "[%10.3f ms] %s\n", ms, message);
  if (sim->verbose)
    g_printerr ("defuse-sim: [%10.3f ms] %s\n", ms, message);
  g_rec_mutex_unlock (&sim->lock);
}

/* A device of a --count run: the serial counts up like a tray of boards
 * (hex serials as hex, STM32 style), anything else gets "-N". */
static gchar *
serial_for_device (const gchar *base, guint index, guint count)
{
  gsize len = strlen (base);
  gboolean hex = len > 0 && len <= 16;

  if (count <= 1)
    return g_strdup (base);
  for (gsize i = 0; i < len && hex; i++)
    hex = g_ascii_isxdigit (base[i]);
  if (hex)
    {
      guint64 value = g_ascii_strtoull (base, NULL, 16) + index - 1;
      gboolean lower = FALSE;
      for (gsize i = 0; i < len; i++)
        lower |= g_ascii_islower (base[i]);
      return g_strdup_printf (lower ? "%0*" G_GINT64_MODIFIER "x" : "%0*" G_GINT64_MODIFIER "X",
                              (gint) len, value);
    }
  return g_strdup_printf ("%s-%u", base, index);
}

/* FILE with -N before the extension when there are several devices */
static gchar *
path_for_device (const gchar *path, guint index, guint count)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *base = NULL;
  g_autofree gchar *name = NULL;
  const gchar *dot;

  if (count <= 1)
    return g_strdup (path);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    name = g_strdup_printf ("%.*s-%u%s", (gint) (dot - base), base, index, dot);
  else
    name = g_strdup_printf ("%s-%u", base, index);
  return g_strcmp0 (dir, ".") == 0 && !g_str_has_prefix (path, "./")
    ? g_steal_pointer (&name) : g_build_filename (dir, name, NULL);
}

/* "[DEV:]SPEC": DEV selects one device of a --count run */
static gboolean
add_fault (DefuseSim *sim, const gchar *arg, GError **error)
{
  const gchar *spec = arg;
  guint only = 0;
  const gchar *colon = strchr (arg, ':');

  if (colon != NULL && colon > arg)
    {
      gboolean digits = TRUE;
      for (const gchar *p = arg; p < colon; p++)
        digits &= g_ascii_isdigit (*p) != 0;
      if (digits)
        {
          only = (guint) g_ascii_strtoull (arg, NULL, 10);
          spec = colon + 1;
          if (only < 1 || only > sim->slots->len)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--fault %s: there is no device %u (devices are 1..%u)",
                           arg, only, sim->slots->len);
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < sim->slots->len; i++)
    {
      DefuseSimSlot *slot = g_ptr_array_index (sim->slots, i);
      if (only != 0 && slot->index != only)
        continue;
      if (!sim_device_add_fault (slot->device, spec, error))
        {
          g_prefix_error (error, "--fault %s: ", arg);
          return FALSE;
        }
    }
  return TRUE;
}

static void
slot_free (DefuseSimSlot *slot)
{
  g_clear_pointer (&slot->device, sim_device_free);
  g_free (slot);
}

static DefuseSim *
defuse_sim_new (const DefuseSimBackend *backend, gboolean verbose)
{
  DefuseSim *sim = g_new0 (DefuseSim, 1);

  g_rec_mutex_init (&sim->lock);
  sim->start_us = g_get_monotonic_time ();
  sim->verbose = verbose;
  sim->log = g_string_new (NULL);
  sim->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) slot_free);
  sim->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) defuse_sim_node_free);
  sim->by_devnode = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sim->next_devnum = 2;  /* 1 is the root hub */
  sim->ttys = g_ptr_array_new_with_free_func ((GDestroyNotify) defuse_sim_tty_free);
  sim->testbed = umockdev_testbed_new ();
  sim->backend = backend;
  sim->clock = defuse_sim_clock_new ();
  return sim;
}

/* After the command exited: no more answers or bus events.  The clock
 * stops first (its callbacks use the rest), the transport next (its
 * threads take the lock, so it is not held here). */
static void
defuse_sim_stop (DefuseSim *sim)
{
  g_rec_mutex_lock (&sim->lock);
  sim->stopping = TRUE;
  g_rec_mutex_unlock (&sim->lock);
  g_clear_pointer (&sim->clock, defuse_sim_clock_free);
  sim->backend->shutdown (sim);
  g_ptr_array_set_size (sim->ttys, 0);
}

/* the testbed goes last, removing its directory */
static void
defuse_sim_free (DefuseSim *sim)
{
  defuse_sim_stop (sim);
  g_clear_object (&sim->testbed);
  g_ptr_array_unref (sim->slots);
  g_ptr_array_unref (sim->nodes);
  g_ptr_array_unref (sim->ttys);
  g_hash_table_unref (sim->by_devnode);
  g_string_free (sim->log, TRUE);
  g_rec_mutex_clear (&sim->lock);
  g_free (sim);
}

static gboolean
create_devices (DefuseSim *sim, const Options *options, GError **error)
{
  g_auto(GStrv) names = g_strsplit (options->profile, ",", -1);
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_profile_free);
  g_autofree gchar *base_serial = NULL;
  /* the model reads 0 as "not given" (real timings); 0 here means instant */
  gdouble time_scale = options->time_scale > 0.0 ? options->time_scale : 1e-9;

  /* "A,B": device 1 is an A, devices 2.. are Bs (a mixed bench) */
  for (guint i = 0; names[i] != NULL; i++)
    {
      SimProfile *profile = sim_profile_load (names[i], error);
      if (profile == NULL)
        return FALSE;
      g_ptr_array_add (profiles, profile);
    }

  if (options->serial != NULL)
    base_serial = g_strdup (options->serial);
  else if (options->count > 1 && !sim_profile_serial_is_shared (g_ptr_array_index (profiles, 0)))
    {
      /* the profile's own serial, counted up */
      g_autoptr(SimDevice) first = sim_device_new (g_ptr_array_index (profiles, 0), NULL, time_scale);
      const gchar *serial = sim_device_get_info (first)->serial;
      base_serial = g_strdup (serial != NULL && serial[0] != '\0' ? serial : "DEFUSESIM");
    }

  for (gint i = 1; i <= options->count; i++)
    {
      DefuseSimSlot *slot = g_new0 (DefuseSimSlot, 1);
      g_autofree gchar *serial = base_serial != NULL
        ? serial_for_device (base_serial, (guint) i, (guint) options->count) : NULL;

      slot->sim = sim;
      slot->index = (guint) i;
      slot->device = sim_device_new (g_ptr_array_index (profiles, MIN ((guint) i, profiles->len) - 1),
                                     serial, time_scale);
      slot->plug_later = i > options->count - options->plug_later;
      g_ptr_array_add (sim->slots, slot);
      if (options->flash_in != NULL && !sim_device_load_flash (slot->device, options->flash_in, error))
        {
          g_prefix_error (error, "--flash-in: ");
          return FALSE;
        }
    }
  for (guint i = 0; options->faults != NULL && options->faults[i] != NULL; i++)
    if (!add_fault (sim, options->faults[i], error))
      return FALSE;

  g_rec_mutex_lock (&sim->lock);
  for (guint i = 0; i < sim->slots->len; i++)
    {
      DefuseSimSlot *slot = g_ptr_array_index (sim->slots, i);
      /* a profile may start off the bus (it says so with an event) */
      if (!slot->plug_later && sim_device_is_connected (slot->device) &&
          !defuse_sim_slot_connect (slot, error))
        {
          g_rec_mutex_unlock (&sim->lock);
          return FALSE;
        }
      defuse_sim_slot_poll_events (slot);
    }
  g_rec_mutex_unlock (&sim->lock);
  return TRUE;
}

/* The libumockdev preload must come first in LD_PRELOAD; sanitizer runtimes
 * insist on the same, so they are told not to check. */
static gchar **
preload_environ (gchar **envp)
{
  const gchar *preload = g_environ_getenv (envp, "LD_PRELOAD");
  const gchar *asan = g_environ_getenv (envp, "ASAN_OPTIONS");
  g_autofree gchar *new_preload = NULL;
  g_autofree gchar *new_asan = NULL;

  if (preload == NULL || strstr (preload, "libumockdev-preload") == NULL)
    {
      new_preload = preload != NULL && preload[0] != '\0'
        ? g_strconcat (PRELOAD_LIB ":", preload, NULL) : g_strdup (PRELOAD_LIB);
      envp = g_environ_setenv (envp, "LD_PRELOAD", new_preload, TRUE);
    }
  if (asan == NULL || strstr (asan, "verify_asan_link_order") == NULL)
    {
      new_asan = asan != NULL && asan[0] != '\0'
        ? g_strconcat (asan, ":verify_asan_link_order=0", NULL) : g_strdup ("verify_asan_link_order=0");
      envp = g_environ_setenv (envp, "ASAN_OPTIONS", new_asan, TRUE);
    }
  return envp;
}

static void
reexec_under_preload (gchar **argv)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");
  g_auto(GStrv) envp = NULL;

  if (preload != NULL && strstr (preload, "libumockdev-preload") != NULL)
    return;
  if (g_getenv (REEXEC_MARKER) != NULL)
    {
      g_printerr ("defuse-sim: warning: could not run under %s; hotplug events will be missing\n",
                  PRELOAD_LIB);
      return;
    }
  envp = preload_environ (g_get_environ ());
  envp = g_environ_setenv (envp, REEXEC_MARKER, "1", TRUE);
  execve ("/proc/self/exe", argv, envp);
  g_printerr ("defuse-sim: warning: cannot re-execute under %s: %s\n", PRELOAD_LIB, g_strerror (errno));
}

typedef struct {
  GMainLoop *loop;
  GPid       pid;
  gint       wait_status;
  gboolean   exited;
} Child;

static void
child_exited (GPid pid, gint wait_status, gpointer user_data)
{
  Child *child = user_data;

  child->wait_status = wait_status;
  child->exited = TRUE;
  g_spawn_close_pid (pid);
  g_main_loop_quit (child->loop);
}

typedef struct {
  Child *child;
  gint   signum;
} Forward;

/* TERM and HUP sent to the runner are passed on; Ctrl-C reaches the whole
 * process group already, so INT is not sent twice (a second Ctrl-C often
 * means "quit now").  Either way the runner waits for COMMAND to exit. */
static gboolean
forward_one (gpointer user_data)
{
  Forward *forward = user_data;

  if (!forward->child->exited && forward->signum != SIGINT)
    kill (forward->child->pid, forward->signum);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR1: the next device waiting to be plugged in (--plug-later, or
 * unplugged) is plugged in */
static gboolean
plug_in_next (gpointer user_data)
{
  DefuseSim *sim = user_data;
  DefuseSimSlot *slot = NULL;
  g_autoptr(GError) error = NULL;

  g_rec_mutex_lock (&sim->lock);
  for (guint i = 0; i < sim->slots->len && slot == NULL; i++)
    if (defuse_sim_slot_is_unplugged (g_ptr_array_index (sim->slots, i)))
      slot = g_ptr_array_index (sim->slots, i);
  if (slot == NULL)
    defuse_sim_log (sim, "SIGUSR1: every device is plugged in already");
  else if (!defuse_sim_slot_plug (slot, "SIGUSR1", &error))
    g_printerr ("defuse-sim: cannot plug in device %u: %s\n", slot->index, error->message);
  g_rec_mutex_unlock (&sim->lock);
  return G_SOURCE_CONTINUE;
}

static gint
run_command (DefuseSim *sim, gchar **command, const gchar *control, GError **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_auto(GStrv) envp = preload_environ (g_get_environ ());
  static const gint forwarded[] = { SIGINT, SIGTERM, SIGHUP };
  Forward forwards[G_N_ELEMENTS (forwarded)];
  guint sources[G_N_ELEMENTS (forwarded)];
  Child child = { loop, 0, 0, FALSE };
  /* before COMMAND starts: its first SIGUSR1 must not end the runner */
  guint plug = g_unix_signal_add (SIGUSR1, plug_in_next, sim);

  envp = g_environ_unsetenv (envp, REEXEC_MARKER);
  envp = control != NULL ? g_environ_setenv (envp, "DEFUSE_SIM_CONTROL", control, TRUE)
                         : g_environ_unsetenv (envp, "DEFUSE_SIM_CONTROL");
  if (!g_spawn_async (NULL, command, envp,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, &child.pid, error))
    {
      g_source_remove (plug);
      return -1;
    }
  defuse_sim_log (sim, "started %s (pid %d)", command[0], child.pid);

  g_child_watch_add (child.pid, child_exited, &child);
  for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
    {
      forwards[i].child = &child;
      forwards[i].signum = forwarded[i];
      sources[i] = g_unix_signal_add (forwarded[i], forward_one, &forwards[i]);
    }
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
    g_source_remove (sources[i]);
  g_source_remove (plug);

  if (WIFSIGNALED (child.wait_status))
    {
      defuse_sim_log (sim, "%s killed by signal %d", command[0], WTERMSIG (child.wait_status));
      return 128 + WTERMSIG (child.wait_status);
    }
  defuse_sim_log (sim, "%s exited with status %d", command[0], WEXITSTATUS (child.wait_status));
  return WEXITSTATUS (child.wait_status);
}

/* The runner's own cost, shared by all devices of the run. */
static JsonNode *
runner_stats (DefuseSim *sim)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  struct rusage usage = { 0 };
  gdouble user, sys;

  getrusage (RUSAGE_SELF, &usage);
  user = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6;
  sys = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "wall_s");
  json_builder_add_double_value (builder, (g_get_monotonic_time () - sim->start_us) / 1e6);
  json_builder_set_member_name (builder, "cpu_user_s");
  json_builder_add_double_value (builder, user);
  json_builder_set_member_name (builder, "cpu_system_s");
  json_builder_add_double_value (builder, sys);
  json_builder_set_member_name (builder, "control_transfers");
  json_builder_add_int_value (builder, (gint64) sim->n_control);
  json_builder_set_member_name (builder, "cpu_us_per_transfer");
  json_builder_add_double_value (builder, sim->n_control > 0 ? (user + sys) * 1e6 / sim->n_control : 0.0);
  json_builder_set_member_name (builder, "ioctls");
  json_builder_add_int_value (builder, (gint64) sim->n_ioctls);
  json_builder_set_member_name (builder, "empty_reaps");
  json_builder_add_int_value (builder, (gint64) sim->n_reap_empty);
  json_builder_set_member_name (builder, "held_requests");
  json_builder_add_int_value (builder, (gint64) sim->n_held);
  json_builder_set_member_name (builder, "memory_direct");
  json_builder_add_int_value (builder, g_atomic_int_get (&sim->n_mem_direct));
  json_builder_set_member_name (builder, "memory_round_trips");
  json_builder_add_int_value (builder, g_atomic_int_get (&sim->n_mem_round_trips));
  json_builder_set_member_name (builder, "polling_s");
  json_builder_add_double_value (builder, sim->polling_us / 1e6);
  json_builder_set_member_name (builder, "ioctl_transport");
  json_builder_add_string_value (builder, sim->backend->name);
  json_builder_set_member_name (builder, "devices");
  json_builder_add_int_value (builder, sim->slots->len);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static JsonNode *
device_stats (DefuseSim *sim, DefuseSimSlot *slot, GError **error)
{
  g_autofree gchar *text = sim_device_stats_json (slot->device);
  g_autoptr(JsonNode) node = json_from_string (text, error);
  JsonObject *object;
  g_autoptr(JsonNode) mine = NULL;

  if (node == NULL)
    {
      g_prefix_error (error, "device %u: the model's statistics are not JSON: ", slot->index);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "device %u: the model's statistics are not a JSON object", slot->index);
      return NULL;
    }
  object = json_node_get_object (node);
  /* a new object each: json_node_copy() would share it */
  mine = runner_stats (sim);
  json_object_set_int_member (json_node_get_object (mine), "device", slot->index);
  json_object_set_int_member (json_node_get_object (mine), "enumerations", slot->enumerations);
  json_object_set_member (object, "runner", g_steal_pointer (&mine));
  return g_steal_pointer (&node);
}


/* g_file_set_contents() writes a temporary file and renames it over the
 * path: right for a plain file, destructive for /dev/stdout (a symlink
 * into /proc), a FIFO or a terminal.  Those are written into instead. */
static gboolean
replaced_atomically (const gchar *path)
{
  struct stat st;

  return lstat (path, &st) != 0 || S_ISREG (st.st_mode);
}

static gboolean
write_output (const gchar *path, const gchar *data, gsize len, GError **error)
{
  gsize done = 0;
  int fd;

  if (replaced_atomically (path))
    return g_file_set_contents (path, data, (gssize) len, error);
  fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot open %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "cannot write %s: %s", path, g_strerror (errno));
          close (fd);
          return FALSE;
        }
      done += (gsize) n;
    }
  close (fd);
  return TRUE;
}

/* the model saves with g_file_set_contents(): through a temporary file
 * when the path is not a plain file */
static gboolean
save_flash (SimDevice *device, const gchar *path, GError **error)
{
  g_autofree gchar *tmp = NULL;
  g_autofree gchar *data = NULL;
  gsize len = 0;
  gboolean ok;
  int fd;

  if (replaced_atomically (path))
    return sim_device_save_flash (device, path, error);
  fd = g_file_open_tmp ("defuse-sim-flash-XXXXXX", &tmp, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  ok = sim_device_save_flash (device, tmp, error) &&
       g_file_get_contents (tmp, &data, &len, error) &&
       write_output (path, data, len, error);
  g_unlink (tmp);
  return ok;
}

static gboolean
write_outputs (DefuseSim *sim, const Options *options, GError **error)
{
  guint count = sim->slots->len;

  if (options->flash_out != NULL)
    for (guint i = 0; i < count; i++)
      {
        DefuseSimSlot *slot = g_ptr_array_index (sim->slots, i);
        g_autofree gchar *path = path_for_device (options->flash_out, slot->index, count);
        if (!save_flash (slot->device, path, error))
          {
            g_prefix_error (error, "--flash-out %s: ", path);
            return FALSE;
          }
      }

  if (options->stats != NULL)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autofree gchar *text = NULL;

      if (count == 1)
        root = device_stats (sim, g_ptr_array_index (sim->slots, 0), error);
      else
        {
          JsonArray *array = json_array_new ();
          root = json_node_init_array (json_node_alloc (), array);
          json_array_unref (array);
          for (guint i = 0; i < count; i++)
            {
              JsonNode *node = device_stats (sim, g_ptr_array_index (sim->slots, i), error);
              if (node == NULL)
                return FALSE;
              json_array_add_element (array, node);
            }
        }
      if (root == NULL)
        return FALSE;
      text = json_to_string (root, TRUE);
      if (!write_output (options->stats, text, strlen (text), error))
        {
          g_prefix_error (error, "--stats: ");
          return FALSE;
        }
    }

  if (options->log != NULL)
    {
      g_autoptr(GString) text = g_string_new ("== defuse-sim ==\n");

      g_string_append (text, sim->log->str);
      for (guint i = 0; i < count; i++)
        {
          DefuseSimSlot *slot = g_ptr_array_index (sim->slots, i);
          g_autofree gchar *log = sim_device_event_log (slot->device);
          const gchar *serial = sim_device_get_info (slot->device)->serial;

          g_string_append_printf (text, "== device %u (serial %s) ==\n", slot->index,
                                  serial != NULL ? serial : "-");
          g_string_append (text, log != NULL ? log : "");
          if (text->len > 0 && text->str[text->len - 1] != '\n')
            g_string_append_c (text, '\n');
        }
      if (!write_output (options->log, text->str, text->len, error))
        {
          g_prefix_error (error, "--log: ");
          return FALSE;
        }
    }
  return TRUE;
}

static void
list_profiles (void)
{
  g_auto(GStrv) names = sim_profile_list_names ();

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SimProfile) profile = sim_profile_load (names[i], &error);
      const gchar *description = profile != NULL ? sim_profile_get_description (profile) : NULL;

      g_print ("%-12s %s\n", names[i], profile == NULL ? error->message : description != NULL ? description : "");
    }
}

int
main (int argc, char **argv)
{
  Options options = { .count = 1, .time_scale = 1.0 };
  const GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &options.profile,
      "Device profile: a name in the profile directory or a .json path; A,B: device 1 an A, the others Bs", "NAME" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &options.count, "Number of devices (default 1)", "N" },
    { "plug-later", 0, 0, G_OPTION_ARG_INT, &options.plug_later,
      "The last K devices start unplugged; each SIGUSR1 plugs in the next (or one an unplug fault left unplugged)", "K" },
    { "control", 0, 0, G_OPTION_ARG_FILENAME, &options.control,
      "Listen on this Unix socket for \"unplug N\" and \"plug N\" lines (COMMAND gets it as DEFUSE_SIM_CONTROL)", "SOCKET" },
    { "serial", 's', 0, G_OPTION_ARG_STRING, &options.serial,
      "Serial number (counted up for --count devices)", "S" },
    { "time-scale", 't', 0, G_OPTION_ARG_DOUBLE, &options.time_scale,
      "Multiply all device times by X (1 = real timings, 0 = instant)", "X" },
    { "fault", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &options.faults,
      "Inject a fault, e.g. stall@request=12; DEV: selects one device", "[DEV:]SPEC" },
    { "flash-in", 0, 0, G_OPTION_ARG_FILENAME, &options.flash_in, "Preload each device's memory", "FILE" },
    { "flash-out", 0, 0, G_OPTION_ARG_FILENAME, &options.flash_out,
      "Write each device's memory at the end (FILE-N.ext for several)", "FILE" },
    { "stats", 0, 0, G_OPTION_ARG_FILENAME, &options.stats, "Write statistics as JSON", "FILE" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &options.log, "Write the event log", "FILE" },
    { "ioctl", 0, 0, G_OPTION_ARG_STRING, &options.ioctl,
      "How ioctls are served: socket (default, fast) or umockdev (UMockdevIoctlBase)", "TRANSPORT" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options.verbose, "Print bus events on stderr", NULL },
    { "list-profiles", 0, 0, G_OPTION_ARG_NONE, &options.list_profiles, "List the device profiles and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) own_args = NULL;
  g_auto(GStrv) command = NULL;
  gint n_own = argc;
  const DefuseSimBackend *backend = &defuse_sim_backend_socket;
  DefuseSim *sim;
  DefuseSimControl *control = NULL;
  gint status;

  setlocale (LC_ALL, "");
  reexec_under_preload (argv);

  /* The preload yields with usleep(0) after every ioctl, which sleeps for
   * the timer slack (50 us by default): three times per control transfer.
   * The slack is inherited by COMMAND, and keeping it tiny triples the
   * transfers per second. */
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  /* everything after the first "--" is the command, untouched */
  for (gint i = 1; i < argc; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        n_own = i;
        break;
      }
  own_args = g_new0 (gchar *, n_own + 1);
  for (gint i = 0; i < n_own; i++)
    own_args[i] = g_strdup (argv[i]);
  if (n_own < argc)
    command = g_strdupv (argv + n_own + 1);

  context = g_option_context_new ("-- COMMAND [ARGS...]");
  g_option_context_set_summary (context,
                                "Run COMMAND with virtual USB DFU devices that it reaches through\n"
                                "the real libusb (umockdev testbed and usbdevfs emulation).");
  g_option_context_set_description (context,
                                    "Pulling a cable: with --control SOCKET, COMMAND writes \"unplug N\" or \"plug N\"\n"
                                    "lines to the socket and gets \"ok\" once it is done (tests/sim/simctl.py);\n"
                                    "the fault unplug[=MS]@TRIGGER pulls it at a request (unplug@erase=1,\n"
                                    "unplug@write=5, unplug@upload=40, unplug@leave=1, unplug@bootloader=1 for a\n"
                                    "MicroPython switch; =MS plugs it back in after MS ms), and SIGUSR1 plugs in\n"
                                    "the next unplugged device.  A board plugged in again is back on its port with\n"
                                    "a new device number, powered up as it would be (DFU mode for a bootloader\n"
                                    "profile, the application for a runtime or MicroPython one), memory kept.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse_strv (context, &own_args, &error))
    {
      g_printerr ("defuse-sim: %s\n", error->message);
      options_clear (&options);
      return EXIT_USAGE;
    }
  if (options.list_profiles)
    {
      list_profiles ();
      options_clear (&options);
      return 0;
    }
  /* no "--": the first word that is not an option starts the command */
  if (command == NULL && own_args[1] != NULL)
    command = g_strdupv (own_args + 1);
  else if (own_args[1] != NULL)
    {
      g_printerr ("defuse-sim: unexpected argument \"%s\" before \"--\"\n", own_args[1]);
      options_clear (&options);
      return EXIT_USAGE;
    }
  if (options.profile == NULL || command == NULL || command[0] == NULL)
    {
      g_printerr ("defuse-sim: %s\nUsage: defuse-sim --profile NAME [OPTION...] -- COMMAND [ARGS...]\n",
                  options.profile == NULL ? "--profile is required" : "no command given");
      options_clear (&options);
      return EXIT_USAGE;
    }
  if (options.count < 1 || options.count > 100)
    {
      g_printerr ("defuse-sim: --count must be 1..100, not %d\n", options.count);
      options_clear (&options);
      return EXIT_USAGE;
    }
  if (options.plug_later < 0 || options.plug_later > options.count)
    {
      g_printerr ("defuse-sim: --plug-later must be 0..%d (--count), not %d\n", options.count, options.plug_later);
      options_clear (&options);
      return EXIT_USAGE;
    }
  if (!(options.time_scale >= 0.0 && options.time_scale <= 1000.0))
    {
      g_printerr ("defuse-sim: --time-scale must be 0..1000, not %g\n", options.time_scale);
      options_clear (&options);
      return EXIT_USAGE;
    }

  if (g_strcmp0 (options.ioctl, "umockdev") == 0)
    backend = &defuse_sim_backend_umockdev;
  else if (options.ioctl != NULL && g_strcmp0 (options.ioctl, "socket") != 0)
    {
      g_printerr ("defuse-sim: --ioctl must be socket or umockdev, not \"%s\"\n", options.ioctl);
      options_clear (&options);
      return EXIT_USAGE;
    }

  sim = defuse_sim_new (backend, options.verbose);
  if (!create_devices (sim, &options, &error))
    {
      g_printerr ("defuse-sim: %s\n", error->message);
      defuse_sim_free (sim);
      options_clear (&options);
      return EXIT_USAGE;
    }

  if (options.control != NULL && (control = defuse_sim_control_new (sim, options.control, &error)) == NULL)
    {
      g_printerr ("defuse-sim: --control: %s\n", error->message);
      defuse_sim_free (sim);
      options_clear (&options);
      return EXIT_USAGE;
    }

  status = run_command (sim, command, options.control, &error);
  g_clear_pointer (&control, defuse_sim_control_free);
  if (status < 0)
    {
      g_printerr ("defuse-sim: cannot run %s: %s\n", command[0], error->message);
      defuse_sim_free (sim);
      options_clear (&options);
      return EXIT_NOEXEC;
    }

  defuse_sim_stop (sim);
  g_rec_mutex_lock (&sim->lock);
  if (!write_outputs (sim, &options, &error))
    {
      g_printerr ("defuse-sim: %s\n", error->message);
      if (status == 0)
        status = 1;
    }
  g_rec_mutex_unlock (&sim->lock);

  defuse_sim_free (sim);
  options_clear (&options);
  return status;
}
