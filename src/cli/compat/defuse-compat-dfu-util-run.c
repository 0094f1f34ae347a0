/* What a dfu-util command line asks, done by the engine: -D is a flash job
 * (plan, erase the touched pages, write, verify, leave), -U a read, -e a
 * detach or a leave, -s alone a DfuSe command.  Everything that can be
 * refused (the file, the device, the ids) is refused before the device is
 * touched.  The lines dfu-util prints that scripts match ("No DFU capable
 * USB device available", "More than one...", "Match vendor ID from
 * file") stay in its own English words: they are not translated. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defuse-compat.h"
#include "df-error.h"

/* -t: a plain DFU device takes blocks of any size up to its own; a DfuSe
 * device places block N at N times its own wTransferSize (ST AN3156), which
 * the engine relies on to set the address once per run, so there -t is
 * not used */
static void
use_transfer_size (DfuUtilArgs *args, DfDevice *device)
{
  if (args->transfer_size == 0)
    return;
  if (device->mode == DF_DEVICE_MODE_DFUSE)
    printf (_("-t %u not used: this DfuSe device works in its own transfer size, %u bytes\n"),
            args->transfer_size, device->transfer_size);
  else
    device->transfer_size = (guint16) MIN (args->transfer_size, G_MAXUINT16);
}

/* The one device (and alt setting) a command works on, as dfu-util picks
 * it: several matching alt settings are refused, except those of one
 * DfuSe interface when the file says which alts it writes. */
static GPtrArray *
pick_device (DfuUtilArgs *args, const DfuUtilMatch *match, gboolean dfuse_file,
             DfuUtilEntry *chosen, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GPtrArray) devices = dfu_util_match_find (match, args->wait, &entries, &error);
  DfuUtilEntry *first;

  *status = EX_IOERR;
  if (devices == NULL)
    {
      cli_error ("%s", error->message);
      *status = dfu_util_exit_for_error (error);
      return NULL;
    }
  if (entries->len == 0)
    {
      g_autofree gchar *hint = devices->len == 0 ? NULL
          : g_strdup_printf (_("%u DFU interfaces found, none matches: see dfu-util -l"), devices->len);
      cli_error ("No DFU capable USB device available%s%s%s", hint != NULL ? " (" : "",
                      hint != NULL ? hint : "", hint != NULL ? ")" : "");
      return NULL;
    }
  first = &g_array_index (entries, DfuUtilEntry, 0);
  for (guint i = 1; i < entries->len; i++)
    if (g_array_index (entries, DfuUtilEntry, i).device != first->device || !dfuse_file ||
        first->device->mode != DF_DEVICE_MODE_DFUSE)
      {
        cli_error ("More than one DFU capable USB device found! Try `--list' and specify "
                          "the serial number or disconnect all but one device");
        return NULL;
      }
  *chosen = *first;
  use_transfer_size (args, chosen->device);
  *status = EX_OK;
  return g_steal_pointer (&devices);
}

static gboolean
alt_given (const DfuUtilMatch *match)
{
  return match->alt != DFU_UTIL_ANY || match->alt_name != NULL;
}

/* the file of -D ("-": stdin); like dfu-util, a file that is no format
 * Defuse knows is a raw binary, whatever its name */
static DfImage *
load_image (const gchar *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gchar *data = NULL;
  gsize size = 0;

  if (g_str_equal (path, "-"))
    {
      g_autoptr(GByteArray) in = g_byte_array_new ();
      guint8 buf[65536];
      gssize n;

      while ((n = read (STDIN_FILENO, buf, sizeof buf)) > 0)
        g_byte_array_append (in, buf, (guint) n);
      if (n < 0)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_IO, "Could not read stdin: %s", g_strerror (errno));
          return NULL;
        }
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&in));
      path = "stdin";
    }
  else if (g_file_get_contents (path, &data, &size, &local))
    bytes = g_bytes_new_take (data, size);
  else
    {
      /* dfu-util's words: scripts may look for them */
      g_set_error (error, DF_ERROR, DF_ERROR_IO, "Could not open file %s for reading: %s", path, local->message);
      return NULL;
    }
  return df_image_load_bytes (bytes, path,
                              df_format_detect (bytes, path) == DF_FORMAT_UNKNOWN ? DF_FORMAT_RAW : DF_FORMAT_UNKNOWN,
                              FALSE, 0, DF_LOAD_NONE, error);
}

/* an id of a DFU suffix that names a device: 0xFFFF is any, and 0x0000
 * is what ST's DfuFileMgr writes for "unspecified" */
static gboolean
suffix_id (DfImage *image, guint16 id)
{
  return image->has_suffix && id != DF_ID_ANY && id != 0;
}

/* without -d, the file's ids choose the device, as in dfu-util; unlike
 * dfu-util they also hold for a device already in DFU mode, so a file is
 * never flashed to a device it does not name */
static void
match_file_ids (DfuUtilMatch *match, DfImage *image)
{
  if (match->vid == DFU_UTIL_ANY && match->vid_dfu == DFU_UTIL_ANY && suffix_id (image, image->suffix.vid))
    {
      match->vid = match->vid_dfu = image->suffix.vid;
      printf ("Match vendor ID from file: %04x\n", image->suffix.vid);
    }
  if (match->pid == DFU_UTIL_ANY && match->pid_dfu == DFU_UTIL_ANY && suffix_id (image, image->suffix.pid))
    {
      match->pid = match->pid_dfu = image->suffix.pid;
      printf ("Match product ID from file: %04x\n", image->suffix.pid);
    }
}

/* dfu-util's rule: the file's ids are the device's in its application
 * (as -d gave them) or in DFU mode */
static gboolean
check_file_ids (const DfuUtilMatch *match, DfImage *image, DfDevice *device)
{
  guint16 run_vid = match->vid >= 0 && match->vid <= 0xffff ? (guint16) match->vid : device->vid;
  guint16 run_pid = match->pid >= 0 && match->pid <= 0xffff ? (guint16) match->pid : device->pid;
  gboolean vid_any = !suffix_id (image, image->suffix.vid), pid_any = !suffix_id (image, image->suffix.pid);

  if (((vid_any || image->suffix.vid == run_vid) && (pid_any || image->suffix.pid == run_pid)) ||
      ((vid_any || image->suffix.vid == device->vid) && (pid_any || image->suffix.pid == device->pid)))
    return TRUE;
  cli_error (_("Error: File ID %04x:%04x does not match device (%04x:%04x or %04x:%04x); "
                    "nothing was written"),
                  image->suffix.vid, image->suffix.pid, run_vid, run_pid, device->vid, device->pid);
  return FALSE;
}

/* refusals dfu-util makes about the file and -s, before anything is done */
static gboolean
check_download (DfuUtilArgs *args, DfImage *image, DfDevice *device)
{
  if (image->format == DF_FORMAT_DFUSE && args->dfuse.has_address)
    {
      cli_error (_("This is a DfuSe file, not meant for raw download: leave out the address of -s"));
      return FALSE;
    }
  if (device->mode == DF_DEVICE_MODE_DFUSE && !df_image_has_addresses (image) && !args->dfuse.has_address)
    {
      cli_error (_("A raw binary needs its address on a DfuSe device: add -s ADDRESS, e.g. -s 0x08000000:leave"));
      return FALSE;
    }
  return TRUE;
}

static void
download_options (DfuUtilArgs *args, DfImage *image, DfuUtilEntry *entry, DfPlanOptions *options)
{
  df_plan_options_init (options);
  options->verify = TRUE;
  /* plain DFU devices reset after manifestation anyway (dfu-util too) */
  options->leave = args->dfuse.leave || args->reset || entry->device->mode == DF_DEVICE_MODE_DFU;
  options->mass_erase = args->dfuse.mass_erase;
  options->has_address = args->dfuse.has_address;
  options->address = args->dfuse.address;
  /* a DfuSe file says which alt settings it writes; -a keeps one of them */
  options->alt = image->format == DF_FORMAT_DFUSE && !alt_given (&args->match) ? -1 : entry->alt->alt;
}

int
dfu_util_download (DfuUtilArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = load_image (args->file, &error);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) df_job_unref);
  DfuUtilMatch match = args->match;
  DfuUtilEntry entry;
  DfPlanOptions options;
  DfJob *job;
  int status;

  if (image == NULL || !df_image_check (image, &error))
    {
      cli_error ("%s", error->message);
      return dfu_util_exit_for_error (error);
    }
  match_file_ids (&match, image);
  devices = pick_device (args, &match, image->format == DF_FORMAT_DFUSE, &entry, &status);
  if (devices == NULL)
    return status;
  if (!check_file_ids (&match, image, entry.device) || !check_download (args, image, entry.device))
    return EX_USAGE;

  download_options (args, image, &entry, &options);
  job = df_job_new (entry.device, image, &options);
  /* the ids were checked above, by dfu-util's rule (which also accepts the
   * ids of the device in its application) */
  df_job_set_force (job, TRUE);
  g_ptr_array_add (jobs, job);
  error = cli_run_jobs (jobs, FALSE);
  if (error != NULL)
    return dfu_util_exit_for_error (error);
  printf ("Download done.\nFile downloaded successfully\n");
  return EX_OK;
}

#define DFU_UTIL_DEFAULT_UPLOAD 16384

/* bytes from address to the end of its run of same-size sectors (dfu-util's
 * "memory segment"), 0 when address is outside the layout */
static gsize
to_segment_end (const DfLayout *layout, guint32 address)
{
  const DfRegion *region = df_layout_find_region (layout, address);
  guint64 at;

  if (region == NULL)
    return 0;
  at = region->start;
  for (guint g = 0; g < region->groups->len; g++)
    {
      DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, g);
      at += (guint64) group->count * group->size;
      if (address < at)
        return (gsize) (at - address);
    }
  return 0;
}

/* DfuSe, as dfu-util reads: -s ADDR:LENGTH; -s ADDR to the end of its
 * memory segment; no address, 16 KiB from the alt's start (-Z is for plain
 * DFU only) */
static gboolean
upload_range (DfuUtilArgs *args, DfuUtilEntry *entry, guint32 *address, gsize *length)
{
  DfLayout *layout = entry->alt->layout;

  if (layout == NULL || layout->regions->len == 0)
    {
      cli_error (_("alt %u (“%s”) has no DfuSe memory layout to read"), entry->alt->alt,
                      entry->alt->name != NULL ? entry->alt->name : "");
      return FALSE;
    }
  *address = args->dfuse.has_address ? args->dfuse.address
                                     : ((DfRegion *) g_ptr_array_index (layout->regions, 0))->start;
  if (df_layout_find_region (layout, *address) == NULL)
    {
      cli_error (_("0x%08x is not in the memory of alt %u: give an address of its layout"),
                      *address, entry->alt->alt);
      return FALSE;
    }
  if (args->dfuse.has_length)
    *length = args->dfuse.length;
  else if (args->dfuse.has_address)
    {
      *length = to_segment_end (layout, *address);
      printf ("Limiting upload to end of memory segment, %zu bytes\n", *length);
    }
  else
    {
      *length = DFU_UTIL_DEFAULT_UPLOAD;
      printf ("Limiting default upload to %u bytes (give a length: -s ADDRESS:LENGTH)\n",
              DFU_UTIL_DEFAULT_UPLOAD);
    }
  return TRUE;
}

static int
save_upload (const gchar *path, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0666);

  if (fd < 0)
    {
      cli_error ("Cannot open file %s for writing: %s", path, g_strerror (errno));
      return EX_CANTCREAT;
    }
  while (size > 0)
    {
      gssize n = write (fd, data, size);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          cli_error (_("Cannot write file %s: %s"), path, g_strerror (errno));
          close (fd);
          return EX_IOERR;
        }
      data += n;
      size -= (gsize) n;
    }
  if (close (fd) != 0)
    {
      cli_error (_("Cannot write file %s: %s"), path, g_strerror (errno));
      return EX_IOERR;
    }
  return EX_OK;
}

/* a device still running its application is switched to DFU mode first */
static DfDevice *
in_dfu_mode (DfDevice *device, GError **error)
{
  if (device->mode != DF_DEVICE_MODE_RUNTIME)
    return df_device_ref (device);
  printf ("%s\n", _("Device in runtime mode: switching it to DFU mode..."));
  return df_device_detach_and_wait (device, NULL, error);
}

/* leaves DFU mode, jumping to the address of -s when it gives one */
static gboolean
leave (DfuUtilArgs *args, DfDevice *device, guint8 alt, GError **error)
{
  return df_device_leave (device, alt, args->dfuse.has_address, args->dfuse.address, NULL, error);
}

static int
report (GError *error)
{
  cli_error ("%s", error->message);
  return dfu_util_exit_for_error (error);
}

int
dfu_util_upload (DfuUtilArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(DfDevice) device = NULL;
  DfuUtilEntry entry;
  guint32 address = 0;
  /* -Z is only what dfu-util expects for its progress bar: it reads on
   * until the device sends a short block, and so do we */
  gsize length = G_MAXSIZE;
  int status;

  /* dfu-util never overwrites: refuse before touching the device */
  if (g_file_test (args->file, G_FILE_TEST_EXISTS))
    {
      cli_error ("Cannot open file %s for writing: File exists", args->file);
      return EX_CANTCREAT;
    }
  devices = pick_device (args, &args->match, FALSE, &entry, &status);
  if (devices == NULL)
    return status;
  device = in_dfu_mode (entry.device, &error);
  if (device == NULL)
    return report (error);
  if (device != entry.device)
    {
      /* detached: the alt settings of the device in DFU mode */
      entry.device = device;
      entry.alt = args->match.alt_name != NULL
                      ? df_device_find_alt_by_text (device, args->match.alt_name)
                      : df_device_find_alt (device, args->match.alt != DFU_UTIL_ANY ? args->match.alt : 0);
      if (entry.alt == NULL)
        {
          cli_error (_("the device in DFU mode has no such alt setting (see dfu-util -l)"));
          return EX_USAGE;
        }
    }
  if (device->mode == DF_DEVICE_MODE_DFUSE && !upload_range (args, &entry, &address, &length))
    return EX_USAGE;
  printf (_("Reading from the device (alt %u)...\n"), entry.alt->alt);
  bytes = df_device_read_memory (device, entry.alt->alt, address, length, NULL, NULL, NULL, &error);
  if (bytes == NULL)
    return report (error);
  status = save_upload (args->file, bytes);
  if (status != EX_OK)
    return status;
  printf (_("Upload done: %zu bytes.\n"), g_bytes_get_size (bytes));
  if ((args->reset || args->dfuse.leave) && !leave (args, device, entry.alt->alt, &error))
    return report (error);
  return EX_OK;
}

int
dfu_util_detach (DfuUtilArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(DfDevice) dfu = NULL;
  DfuUtilEntry entry;
  int status;

  devices = pick_device (args, &args->match, FALSE, &entry, &status);
  if (devices == NULL)
    return status;
  if (entry.device->mode == DF_DEVICE_MODE_RUNTIME)
    {
      dfu = df_device_detach_and_wait (entry.device, NULL, &error);
      if (dfu == NULL)
        return report (error);
      printf ("%s\n", _("The device is in DFU mode."));
      return EX_OK;
    }
  if (!leave (args, entry.device, entry.alt->alt, &error))
    return report (error);
  printf ("%s\n", _("The device left DFU mode."));
  return EX_OK;
}

/* -s without -D or -U: mass-erase, unprotect, leave */
int
dfu_util_command (DfuUtilArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(DfDevice) back = NULL;
  DfuUtilEntry entry;
  int status;

  if (!args->dfuse.mass_erase && !args->dfuse.unprotect && !args->dfuse.leave)
    {
      cli_error (_("You need to specify one of -D or -U, or a command with -s "
                        "(:mass-erase:force, :unprotect:force, :leave)"));
      return EX_USAGE;
    }
  devices = pick_device (args, &args->match, FALSE, &entry, &status);
  if (devices == NULL)
    return status;
  if (args->dfuse.unprotect)
    {
      printf ("%s\n", _("Removing the read protection: the chip erases all its memory..."));
      back = df_device_unprotect_and_wait (entry.device, NULL, &error);
      if (back == NULL)
        return report (error);
      entry.device = back;
    }
  else if (args->dfuse.mass_erase)
    {
      printf ("%s\n", "Performing mass erase, this can take a moment");
      if (!df_device_mass_erase (entry.device, entry.alt->alt, NULL, &error))
        return report (error);
    }
  if (args->dfuse.leave && !leave (args, entry.device, entry.alt->alt, &error))
    return report (error);
  return EX_OK;
}
