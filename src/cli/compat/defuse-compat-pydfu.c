/* defuse-cli as MicroPython's tools/pydfu.py (COMPAT.md): -l, --vid,
 * --pid, -m, -u FILE (which writes a DfuSe file, then leaves DFU mode),
 * -x, -v, -h.  The work is the engine's flash job: only the pages written
 * are erased (unless -m), the bytes are verified, and unlike pydfu a
 * corrupt file or a failed leave is an error (exit 1).  What pydfu.py
 * prints itself stays in its English words (scripts grep them). */
#include <getopt.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-compat.h"
#include "df-error.h"
#include "df-usb.h"

#define PYDFU_EXIT_FAILED 1  /* an exception in pydfu: Python exits 1 */
#define PYDFU_EXIT_USAGE  2  /* argparse */

typedef struct {
  gboolean list, mass_erase, leave;
  gint     vid, pid;          /* -1: any */
  const gchar *file;
} PydfuArgs;

static void
print_help (void)
{
  printf ("%s\n\n%s\n", _("usage: pydfu [-h] [-l] [--vid VID] [--pid PID] [-m] [-u UPLOAD] [-x] [-v]"),
           _("DFU Python Util (Defuse's pydfu.py compatible command line)\n\n"
             "options:\n"
             "  -h, --help            show this help message and exit\n"
             "  -l, --list            list available DFU devices\n"
             "  --vid VID             USB Vendor ID\n"
             "  --pid PID             USB Product ID\n"
             "  -m, --mass-erase      mass erase device\n"
             "  -u UPLOAD, --upload UPLOAD\n"
             "                        write a DfuSe file to the device, verify it and leave DFU mode\n"
             "  -x, --exit            Exit DFU\n"
             "  -v, --verbose         increase output verbosity"));
}

static void
pydfu_error (const gchar *message)
{
  fflush (stdout);
  g_printerr ("%s\n", message);
}

/* int(x, 0): 0x0483, 1155, 0o2203 */
static gboolean
parse_id (const gchar *text, gint *id)
{
  guint64 v;
  const gchar *digits = text;
  guint base = 10;

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    base = 16, digits += 2;
  else if (g_str_has_prefix (text, "0o") || g_str_has_prefix (text, "0O"))
    base = 8, digits += 2;
  if (!g_ascii_string_to_unsigned (digits, base, 0, 0xffff, &v, NULL))
    return FALSE;
  *id = (gint) v;
  return TRUE;
}

static gboolean
parse_args (PydfuArgs *args, int argc, char **argv, gboolean *help)
{
  static const struct option options[] = {
    { "help", no_argument, NULL, 'h' },
    { "list", no_argument, NULL, 'l' },
    { "vid", required_argument, NULL, 'V' },
    { "pid", required_argument, NULL, 'P' },
    { "mass-erase", no_argument, NULL, 'm' },
    { "upload", required_argument, NULL, 'u' },
    { "exit", no_argument, NULL, 'x' },
    { "verbose", no_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  opterr = 0;
  optind = 1;
  while ((c = getopt_long (argc, argv, ":hlmu:xv", options, NULL)) != -1)
    {
      switch (c)
        {
        case 'h': *help = TRUE; break;
        case 'l': args->list = TRUE; break;
        case 'm': args->mass_erase = TRUE; break;
        case 'x': args->leave = TRUE; break;
        case 'v': break;
        case 'u': args->file = optarg; break;
        case 'V':
        case 'P':
          if (!parse_id (optarg, c == 'V' ? &args->vid : &args->pid))
            {
              g_printerr ("pydfu: error: argument --%s: invalid value: '%s'\n", c == 'V' ? "vid" : "pid", optarg);
              return FALSE;
            }
          break;
        case ':':
          g_printerr ("pydfu: error: argument %s: expected one argument\n", argv[optind - 1]);
          return FALSE;
        default:
          g_printerr ("pydfu: error: unrecognized arguments: %s\n", argv[optind - 1]);
          return FALSE;
        }
    }
  if (optind < argc)
    {
      g_printerr ("pydfu: error: unrecognized arguments: %s\n", argv[optind]);
      return FALSE;
    }
  return TRUE;
}

/* pydfu's filter: DFU-class devices (their first interface), by id */
static GPtrArray *
find_devices (const PydfuArgs *args, GError **error)
{
  g_autoptr(GPtrArray) all = df_usb_enumerate (error);
  GPtrArray *found;

  if (all == NULL)
    return NULL;
  found = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  for (guint i = 0; i < all->len; i++)
    {
      DfDevice *device = g_ptr_array_index (all, i);
      if (device->interface == 0 && (args->vid < 0 || args->vid == device->vid) &&
          (args->pid < 0 || args->pid == device->pid))
        g_ptr_array_add (found, df_device_ref (device));
    }
  return found;
}

/* pydfu -l: the device, then alt 0's layout as the device reports it */
static void
print_device (DfDevice *device)
{
  DfAlt *alt = df_device_find_alt (device, 0);
  g_autoptr(DfLayout) layout = alt != NULL && alt->name != NULL ? df_layout_parse (alt->name, NULL) : NULL;

  printf ("Bus %u Device %03u: ID %04x:%04x\n", device->bus, device->address, device->vid, device->pid);
  printf ("Memory Layout\n");
  for (guint r = 0; layout != NULL && r < layout->regions->len; r++)
    {
      DfRegion *region = g_ptr_array_index (layout->regions, r);
      guint64 address = region->start;

      for (guint g = 0; g < region->groups->len; g++)
        {
          DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, g);
          printf ("    0x%" G_GINT64_MODIFIER "x %2u pages of %3uK bytes\n", address, group->count,
                  group->size / 1024);
          address += (guint64) group->count * group->size;
        }
    }
}

static int
write_file (const PydfuArgs *args, DfDevice *device)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) df_job_unref);
  DfPlanOptions options;

  printf ("File: %s\n", args->file);
  image = df_image_load_file (args->file, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, &error);
  if (image != NULL && df_image_check (image, &error) && image->format != DF_FORMAT_DFUSE)
    g_set_error (&error, DF_ERROR, DF_ERROR_INVALID_FILE, _("%s is a %s file, not a DfuSe file"),
                 args->file, df_format_to_string (image->format));
  if (error != NULL)
    {
      pydfu_error (error->message);
      return PYDFU_EXIT_FAILED;
    }
  df_plan_options_init (&options);
  options.verify = TRUE;
  options.leave = TRUE;
  options.mass_erase = args->mass_erase;
  printf ("%s\n", args->mass_erase ? "Mass erase..." : "Writing memory...");
  g_ptr_array_add (jobs, df_job_new (device, image, &options));
  error = cli_run_jobs (jobs, FALSE);
  if (error != NULL)
    return PYDFU_EXIT_FAILED;
  printf ("Exiting DFU...\nFinished\n");
  return EXIT_SUCCESS;
}

static int
run (const PydfuArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = find_devices (args, &error);
  DfDevice *device;

  if (devices == NULL)
    {
      pydfu_error (error->message);
      return PYDFU_EXIT_FAILED;
    }
  if (args->list)
    {
      if (devices->len == 0)
        pydfu_error ("No DFU capable devices found");
      for (guint i = 0; i < devices->len; i++)
        print_device (g_ptr_array_index (devices, i));
      return devices->len == 0 ? PYDFU_EXIT_FAILED : EXIT_SUCCESS;
    }
  if (devices->len != 1)
    {
      pydfu_error (devices->len == 0 ? "No DFU device found" : "Multiple DFU devices found");
      return PYDFU_EXIT_FAILED;
    }
  device = g_ptr_array_index (devices, 0);
  if (args->file != NULL)
    return write_file (args, device);
  if (args->mass_erase)
    {
      printf ("Mass erase...\n");
      if (!df_device_mass_erase (device, 0, NULL, &error))
        goto failed;
    }
  if (args->leave)
    {
      printf ("Exiting DFU...\n");
      if (!df_device_leave (device, 0, FALSE, 0, NULL, &error))
        goto failed;
    }
  printf ("%s\n", args->mass_erase || args->leave ? "Finished" : "No command specified");
  return EXIT_SUCCESS;

failed:
  pydfu_error (error->message);
  return PYDFU_EXIT_FAILED;
}

int
compat_pydfu (int argc, char **argv)
{
  PydfuArgs args = { .vid = -1, .pid = -1 };
  gboolean help = FALSE;

  cli_set_program ("pydfu");
  if (!parse_args (&args, argc, argv, &help))
    return PYDFU_EXIT_USAGE;
  if (help)
    {
      print_help ();
      return EXIT_SUCCESS;
    }
  return run (&args);
}
