/* defuse-cli flash: write a firmware file to one or several devices, each
 * on its own worker thread with its own progress and result. */
#include <inttypes.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

#include "defuse-cli.h"
#include "df-quirks.h"
#include "df-error.h"

typedef struct {
  DfJob       *job;
  CliProgress *progress;
  GError      *error;
  gboolean     done;
} Flash;

typedef struct {
  GPtrArray    *flashes;
  GMainLoop    *loop;
  GCancellable *cancellable;
  guint         running;
} FlashRun;

typedef struct {
  Flash      *flash;
  DfProgress  progress;
  gchar      *line;
} Update;

/* progress and log lines arrive on the job's thread; print them on ours */
static gboolean
show_update (gpointer data)
{
  Update *update = data;

  if (update->line != NULL)
    cli_progress_log (update->flash->progress, update->line);
  else
    cli_progress_update (update->flash->progress, &update->progress);
  return G_SOURCE_REMOVE;
}

static void
update_free (gpointer data)
{
  Update *update = data;
  g_free (update->line);
  g_free (update);
}

static void
on_progress (const DfProgress *progress, gpointer user_data)
{
  Update *update = g_new0 (Update, 1);
  update->flash = user_data;
  update->progress = *progress;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, show_update, update, update_free);
}

static void
on_log (const gchar *line, gpointer user_data)
{
  Update *update = g_new0 (Update, 1);
  update->flash = user_data;
  update->line = g_strdup (line);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, show_update, update, update_free);
}

/* ", 2 requests retried, resumed after 1 reset": what the job mended */
static gchar *
describe_mended (DfJob *job)
{
  guint retries = df_job_get_retries (job);
  guint resumes = df_job_get_resumes (job);
  g_autoptr(GString) text = g_string_new (NULL);

  if (retries > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, ", %u request retried", ", %u requests retried",
                                               retries), retries);
  if (resumes > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, ", resumed after %u reset", ", resumed after %u resets",
                                               resumes), resumes);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FlashRun *run = user_data;

  for (guint i = 0; i < run->flashes->len; i++)
    {
      Flash *flash = g_ptr_array_index (run->flashes, i);
      g_autofree gchar *summary = NULL;

      if (flash->done || !g_task_is_valid (result, NULL) ||
          g_task_get_task_data (G_TASK (result)) != flash->job)
        continue;
      flash->done = TRUE;
      if (df_job_run_finish (flash->job, result, &flash->error))
        {
          DfPlan *plan = df_job_get_plan (flash->job);
          g_autofree gchar *size = g_format_size_full (plan->write_bytes, G_FORMAT_SIZE_IEC_UNITS);
          guint skipped = df_job_get_skipped_sectors (flash->job);

          g_autofree gchar *mended = describe_mended (flash->job);

          if (skipped > 0)
            summary = g_strdup_printf (_("done: %s in %.2f s (%u unchanged sectors skipped), %" PRIu64 " USB requests%s"),
                                       size, df_job_get_elapsed (flash->job), skipped, df_job_get_transfers (flash->job),
                                       mended);
          else
            summary = g_strdup_printf (_("done: %s in %.2f s, %" PRIu64 " USB requests%s"),
                                       size, df_job_get_elapsed (flash->job), df_job_get_transfers (flash->job),
                                       mended);
        }
      cli_progress_finish (flash->progress, flash->error, summary);
      /* a MicroPython board: back, and running what? */
      if (flash->error == NULL)
        cli_micropython_report (flash->job, &flash->error);
      if (flash->error != NULL && summary != NULL)
        cli_error ("%s", flash->error->message);
    }
  if (--run->running == 0)
    g_main_loop_quit (run->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  FlashRun *run = user_data;
  g_printerr ("%s\n", _("Cancelling: the device is being returned to dfuIDLE…"));
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
flash_free (gpointer data)
{
  Flash *flash = data;
  df_job_unref (flash->job);
  cli_progress_free (flash->progress);
  g_clear_error (&flash->error);
  g_free (flash);
}

/* "backup.dfu" for one device, "backup-SERIAL.dfu" for several, or
 * "backup-PORT.dfu" where every part reports the same serial (quirk table) */
static gchar *
backup_path_for (const gchar *path, DfDevice *device, gboolean several)
{
  gboolean unique = device->serial != NULL &&
                    !(device->quirks != NULL && device->quirks->serial_not_unique);
  const gchar *name = unique ? device->serial : device->path;
  const gchar *dot;

  if (!several)
    return g_strdup (path);
  dot = strrchr (path, '.');
  if (dot == NULL)
    return g_strdup_printf ("%s-%s", path, name);
  return g_strdup_printf ("%.*s-%s%s", (int) (dot - path), path, name, dot);
}

/* one firmware file, and --mass-erase confirmed; FALSE after the error is
 * printed */
static gboolean
check_usage (gchar **files, gboolean mass_erase, gboolean force)
{
  if (files == NULL || g_strv_length (files) != 1)
    {
      cli_error (_("give one firmware file (see --help)"));
      return FALSE;
    }
  if (mass_erase && !force)
    {
      cli_error (_("--mass-erase wipes the whole chip, data included; add --force to confirm"));
      return FALSE;
    }
  return TRUE;
}

/* --alt for one device: its number, or the number given when a device
 * in runtime mode cannot say yet; FALSE after the error is printed */
static gboolean
choose_alt (DfDevice *device, const gchar *alt_text, const gchar *label, gboolean json, gint *alt_out)
{
  DfAlt *alt = df_device_find_alt_by_text (device, alt_text);

  if (alt == NULL && device->mode != DF_DEVICE_MODE_RUNTIME)
    {
      g_autoptr(GError) error = g_error_new (DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                                             _("%s has no alt setting “%s”"), label, alt_text);
      cli_fail (json, label, error);
      return FALSE;
    }
  *alt_out = alt != NULL ? alt->alt : (gint) g_ascii_strtoull (alt_text, NULL, 10);
  return TRUE;
}

/* a flash of job (taken), its progress printed under label */
static Flash *
flash_for_job (DfJob *job, const gchar *label, gboolean json, gboolean several)
{
  Flash *flash = g_new0 (Flash, 1);

  flash->job = job;
  flash->progress = cli_progress_new (label, json, several);
  df_job_set_progress_func (flash->job, on_progress, flash);
  df_job_set_log_func (flash->job, on_log, flash);
  return flash;
}

/* a job for one device, its progress printed under label */
static Flash *
flash_new (DfDevice *device, DfImage *image, const DfPlanOptions *options, const gchar *label,
           gboolean json, gboolean several)
{
  return flash_for_job (df_job_new (device, image, options), label, json, several);
}

/* a job per device; NULL after an error is printed */
static GPtrArray *
prepare_flashes (GPtrArray *devices, DfImage *image, DfPlanOptions *options, const gchar *alt_text,
                 const gchar *backup, gboolean force, gboolean json)
{
  g_autoptr(GPtrArray) flashes = g_ptr_array_new_with_free_func (flash_free);

  for (guint i = 0; i < devices->len; i++)
    {
      DfDevice *device = g_ptr_array_index (devices, i);
      g_autofree gchar *label = df_device_describe (device);
      Flash *flash;

      options->alt = -1;
      if (alt_text != NULL && !choose_alt (device, alt_text, label, json, &options->alt))
        return NULL;
      flash = flash_new (device, image, options, label, json, devices->len > 1);
      df_job_set_force (flash->job, force);
      if (backup != NULL)
        {
          g_autofree gchar *path = backup_path_for (backup, device, devices->len > 1);
          df_job_set_backup (flash->job, path);
        }
      g_ptr_array_add (flashes, flash);
    }
  return g_steal_pointer (&flashes);
}

/* The devices the selectors name; when no DFU device was meant and none is
 * found, a board running MicroPython, which the job switches to DFU mode.
 * NULL with an error. */
static GPtrArray *
select_devices (gchar **selectors, gboolean all, DfImage *image, gboolean mass_erase, GError **error)
{
  g_autoptr(GError) local = NULL;
  GPtrArray *devices = cli_select_devices ((const gchar *const *) selectors,
                                           !all && (selectors == NULL || g_strv_length (selectors) <= 1), &local);

  /* no DFU device meant: a board running MicroPython is switched to DFU mode */
  if (devices == NULL && !all && g_error_matches (local, DF_ERROR, DF_ERROR_NOT_FOUND))
    {
      g_autoptr(GError) none = g_steal_pointer (&local);
      devices = cli_micropython_select ((const gchar *const *) selectors, image, mass_erase, &local);
      if (devices == NULL && local == NULL)
        local = g_steal_pointer (&none);
    }
  if (devices == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return devices;
}

/* every job at once, each on its own thread, until the last is done;
 * Ctrl+C cancels them all.  Returns the exit status of the first failure. */
static int
run_flashes (GPtrArray *flashes)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  FlashRun run = { 0 };
  guint sigint;
  int status = CLI_EXIT_OK;

  run.flashes = flashes;
  run.loop = loop;
  run.cancellable = cancellable;
  run.running = flashes->len;
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &run);
  for (guint i = 0; i < flashes->len; i++)
    df_job_run_async (((Flash *) g_ptr_array_index (flashes, i))->job, cancellable, on_done, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint);

  for (guint i = 0; i < flashes->len; i++)
    {
      Flash *flash = g_ptr_array_index (flashes, i);
      if (flash->error != NULL && status == CLI_EXIT_OK)
        status = cli_exit_for_error (flash->error);
    }
  return status;
}

GError *
cli_run_jobs (GPtrArray *jobs, gboolean json)
{
  g_autoptr(GPtrArray) flashes = g_ptr_array_new_with_free_func (flash_free);

  for (guint i = 0; i < jobs->len; i++)
    {
      DfJob *job = g_ptr_array_index (jobs, i);
      g_autofree gchar *label = df_device_describe (df_job_get_device (job));
      g_ptr_array_add (flashes, flash_for_job (df_job_ref (job), label, json, jobs->len > 1));
    }
  run_flashes (flashes);
  for (guint i = 0; i < flashes->len; i++)
    {
      Flash *flash = g_ptr_array_index (flashes, i);
      if (flash->error != NULL)
        return g_steal_pointer (&flash->error);
    }
  return NULL;
}

int
cli_flash (int argc, char **argv)
{
  g_auto(GStrv) selectors = NULL, files = NULL;
  g_autofree gchar *alt_text = NULL, *address_text = NULL, *backup = NULL, *trace = NULL;
  gboolean eeprom = FALSE;
  gboolean no_verify = FALSE, diff = FALSE, no_leave = FALSE, mass_erase = FALSE;
  gboolean force = FALSE, all = FALSE, json = FALSE, ignore_crc = FALSE, wait = FALSE;
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &selectors, N_("The device: VID:PID, serial number or port path (repeat for several)"), N_("SEL") },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Flash every DFU device plugged in, in parallel"), NULL },
    { "alt", 'a', 0, G_OPTION_ARG_STRING, &alt_text, N_("Alt setting to write (number or name); for a DfuSe file, only its target for that alt"), N_("ALT") },
    { "eeprom", 0, 0, G_OPTION_ARG_NONE, &eeprom, N_("The EEPROM of an AVR keyboard (Atmel FLIP bootloaders; the same as --alt 1)"), NULL },
    { "address", 's', 0, G_OPTION_ARG_STRING, &address_text, N_("Load address of a raw binary or plain DFU payload"), N_("ADDR") },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &no_verify, N_("Do not read back and compare"), NULL },
    { "diff", 0, 0, G_OPTION_ARG_NONE, &diff, N_("Read first and skip sectors that already hold the right bytes"), NULL },
    { "no-leave", 0, 0, G_OPTION_ARG_NONE, &no_leave, N_("Stay in DFU mode afterwards"), NULL },
    { "backup", 'b', 0, G_OPTION_ARG_FILENAME, &backup, N_("Save what the flash will overwrite to this DfuSe file first"), N_("FILE") },
    { "mass-erase", 0, 0, G_OPTION_ARG_NONE, &mass_erase, N_("Erase the whole chip first (needs --force)"), NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Go on despite a VID/PID mismatch; confirm --mass-erase"), NULL },
    { "ignore-crc", 0, 0, G_OPTION_ARG_NONE, &ignore_crc, N_("Flash even if the file's CRC does not match"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON event per line"), NULL },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, N_("Write every USB control transfer to this pcapng file (for Wireshark)"), N_("FILE") },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait, N_("Bench mode: flash each board as it is plugged in (see flash --wait --help)"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("FILE") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) flashes = NULL;
  DfPlanOptions options;
  guint32 address = 0;

  if (cli_bench_requested (argc, argv))
    return cli_bench (argc, argv);
  g_option_context_set_summary (context,
                                _("Write FILE to the device: erase only the sectors it needs, write, verify, leave DFU mode.\n\n"
                                  "Exit status: 0 done, 1 bad file, 2 usage, 3 no or several devices, 4 permission, "
                                  "5 file does not fit the device, 6 device error or verify failure, 7 device gone "
                                  "or not answering, 8 cancelled."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (!check_usage (files, mass_erase, force))
    return CLI_EXIT_USAGE;
  if (address_text != NULL && !cli_parse_u32 (address_text, "--address", G_MAXUINT32, &address, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }

  image = df_image_load_file (files[0], DF_FORMAT_UNKNOWN, FALSE, 0,
                              ignore_crc ? DF_LOAD_IGNORE_CRC : DF_LOAD_NONE, &error);
  if (image == NULL || !df_image_check (image, &error))
    return cli_fail (json, NULL, error);
  if (!cli_trace_start (trace))
    return CLI_EXIT_BAD_FILE;

  devices = select_devices (selectors, all, image, mass_erase, &error);
  if (devices == NULL)
    return cli_trace_finish (cli_fail (json, NULL, error));

  df_plan_options_init (&options);
  options.verify = !no_verify;
  options.diff = diff;
  options.leave = !no_leave;
  options.mass_erase = mass_erase;
  options.has_address = address_text != NULL;
  options.address = address;
  if (eeprom && alt_text == NULL)
    alt_text = g_strdup ("1");  /* FLIP: memory 1 is the EEPROM */
  flashes = prepare_flashes (devices, image, &options, alt_text, backup, force, json);
  if (flashes == NULL)
    return cli_trace_finish (CLI_EXIT_USAGE);
  return cli_trace_finish (run_flashes (flashes));
}
