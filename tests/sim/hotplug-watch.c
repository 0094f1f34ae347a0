/* hotplug-watch.c: prints the libusb hotplug events it sees, one a line:
 *
 *   arrived 0483:df11 bus 001 device 002
 *   left 0483:df11 bus 001 device 002
 *
 * and "ready" once its callback is registered (devices already present
 * are reported before that, as arrivals).  It exits 0 after --arrived N
 * arrivals and --left N departures (both counted from the start), or 1 when
 * --timeout seconds pass first.  Used under defuse-sim to check that
 * programs relying on hotplug see devices come and go.
 *
 * umockdev's preload names a process's uevent socket after the file
 * descriptor of its netlink socket ($UMOCKDEV_DIR/event6), and binding
 * unlinks whatever is there: a dfu-util started alongside gets the same
 * descriptor number from its own libusb and takes the events away from
 * us.  Holding a few descriptors first gives ours a different number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <libusb.h>

typedef struct {
  int arrived;
  int left;
} Counts;

#define RESERVED_FDS 16

static int
on_event (libusb_context *ctx, libusb_device *device, libusb_hotplug_event event, void *user_data)
{
  Counts *counts = user_data;
  struct libusb_device_descriptor desc;

  (void) ctx;
  if (libusb_get_device_descriptor (device, &desc) != 0)
    memset (&desc, 0, sizeof desc);
  if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
    counts->arrived++;
  else
    counts->left++;
  printf ("%s %04x:%04x bus %03u device %03u\n",
          event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED ? "arrived" : "left",
          desc.idVendor, desc.idProduct,
          libusb_get_bus_number (device), libusb_get_device_address (device));
  fflush (stdout);
  return 0;
}

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  int want_arrived = -1, want_left = -1;
  double timeout = 30.0;
  libusb_context *ctx = NULL;
  libusb_hotplug_callback_handle handle;
  Counts counts = { 0, 0 };
  double deadline;
  int status = 1;
  int reserved[RESERVED_FDS];

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--arrived") == 0 && i + 1 < argc)
        want_arrived = atoi (argv[++i]);
      else if (strcmp (argv[i], "--left") == 0 && i + 1 < argc)
        want_left = atoi (argv[++i]);
      else if (strcmp (argv[i], "--timeout") == 0 && i + 1 < argc)
        timeout = atof (argv[++i]);
      else
        {
          fprintf (stderr, "Usage: %s [--arrived N] [--left N] [--timeout SECONDS]\n", argv[0]);
          return 2;
        }
    }

  for (int i = 0; i < RESERVED_FDS; i++)
    reserved[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (libusb_init (&ctx) != 0)
    {
      fprintf (stderr, "hotplug-watch: libusb_init failed\n");
      return 1;
    }
  if (!libusb_has_capability (LIBUSB_CAP_HAS_HOTPLUG))
    {
      fprintf (stderr, "hotplug-watch: this libusb has no hotplug support\n");
      libusb_exit (ctx);
      return 1;
    }
  if (libusb_hotplug_register_callback (ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                        LIBUSB_HOTPLUG_ENUMERATE, LIBUSB_HOTPLUG_MATCH_ANY,
                                        LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
                                        on_event, &counts, &handle) != 0)
    {
      fprintf (stderr, "hotplug-watch: cannot register the hotplug callback\n");
      libusb_exit (ctx);
      return 1;
    }
  printf ("ready\n");
  fflush (stdout);

  deadline = now_s () + timeout;
  while (now_s () < deadline)
    {
      struct timeval tv = { 0, 100000 };

      if ((want_arrived >= 0 || want_left >= 0) &&
          (want_arrived < 0 || counts.arrived >= want_arrived) &&
          (want_left < 0 || counts.left >= want_left))
        {
          status = 0;
          break;
        }
      libusb_handle_events_timeout_completed (ctx, &tv, NULL);
    }
  if (status != 0)
    fprintf (stderr, "hotplug-watch: timed out after %.1f s with %d arrived, %d left\n",
             timeout, counts.arrived, counts.left);

  libusb_hotplug_deregister_callback (ctx, handle);
  libusb_exit (ctx);
  for (int i = 0; i < RESERVED_FDS; i++)
    if (reserved[i] >= 0)
      close (reserved[i]);
  return status;
}
