#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-job.h"
#include "df-memory.h"
#include "df-usb.h"

/* Expected cost of each kind of work, for weighting progress: STM32F405
 * datasheet timings (sector erase ~8 us/byte, program ~4 us/byte) and a
 * full-speed read of ~1 MB/s.  Only the proportions matter. */
#define ERASE_US_PER_BYTE 8.0
#define WRITE_US_PER_BYTE 5.0
#define READ_US_PER_BYTE  1.0
#define DETACH_US         1000000.0
#define LEAVE_US          50000.0

static const struct {
  const gchar *id;
  const gchar *title;
} phases[] = {
  [DF_PHASE_DETACH] = { "detach", N_("Switching to DFU mode") },
  [DF_PHASE_BACKUP] = { "backup", N_("Backing up") },
  [DF_PHASE_READ] = { "read", N_("Reading") },
  [DF_PHASE_ERASE] = { "erase", N_("Erasing") },
  [DF_PHASE_WRITE] = { "write", N_("Writing") },
  [DF_PHASE_VERIFY] = { "verify", N_("Verifying") },
  [DF_PHASE_LEAVE] = { "leave", N_("Leaving DFU mode") },
  [DF_PHASE_DONE] = { "done", N_("Done") },
};

const gchar *
df_phase_to_string (DfPhase phase)
{
  return phases[phase].id;
}

const gchar *
df_phase_describe (DfPhase phase)
{
  return _(phases[phase].title);
}

struct _DfJob {
  gint            ref_count;
  DfDevice       *device;
  DfImage        *image;
  DfPlanOptions   options;
  gboolean        force;
  gchar          *backup_path;
  DfPlan         *plan;
  DfProgressFunc  progress_func;
  gpointer        progress_data;
  DfLogFunc       log_func;
  gpointer        log_data;

  /* while running */
  DfConnection    conn;
  gint64          start_us;
  gint64          phase_start_us;
  gdouble         weights[DF_PHASE_DONE + 1];  /* expected us per phase */
  gdouble         weight_total;
  DfProgress      progress;
  GArray         *skip;            /* per plan target: gboolean per sector, --diff */
  gboolean        detached;        /* started in the application */
  guint           skipped_sectors;
  guint           erased_sectors;
  guint64         written;
  guint32         written_low;
  guint32         written_high;
  guint64         transfers;
};

DfJob *
df_job_new (DfDevice *device, DfImage *image, const DfPlanOptions *options)
{
  DfJob *job = g_new0 (DfJob, 1);
  job->ref_count = 1;
  job->device = df_device_ref (device);
  job->image = df_image_ref (image);
  job->options = *options;
  return job;
}

DfJob *
df_job_ref (DfJob *job)
{
  g_atomic_int_inc (&job->ref_count);
  return job;
}

void
df_job_unref (DfJob *job)
{
  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;
  df_device_unref (job->device);
  df_image_unref (job->image);
  g_clear_pointer (&job->plan, df_plan_unref);
  g_clear_pointer (&job->skip, g_array_unref);
  g_free (job->backup_path);
  g_free (job);
}

void
df_job_set_force (DfJob *job, gboolean force)
{
  job->force = force;
}

void
df_job_set_backup (DfJob *job, const gchar *path)
{
  g_free (job->backup_path);
  job->backup_path = g_strdup (path);
}

void
df_job_set_progress_func (DfJob *job, DfProgressFunc func, gpointer user_data)
{
  job->progress_func = func;
  job->progress_data = user_data;
}

void
df_job_set_log_func (DfJob *job, DfLogFunc func, gpointer user_data)
{
  job->log_func = func;
  job->log_data = user_data;
}

DfDevice *
df_job_get_device (DfJob *job)
{
  return job->device;
}

DfPlan *
df_job_get_plan (DfJob *job)
{
  return job->plan;
}

guint64
df_job_get_transfers (DfJob *job)
{
  return job->transfers;
}

gdouble
df_job_get_elapsed (DfJob *job)
{
  return job->progress.elapsed;
}

guint
df_job_get_skipped_sectors (DfJob *job)
{
  return job->skipped_sectors;
}

static void job_log (DfJob *job, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
job_log (DfJob *job, const gchar *format, ...)
{
  g_autofree gchar *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("%s", line);
  if (job->log_func != NULL)
    job->log_func (line, job->log_data);
}

/* the transcript's lines, one per erased sector and written or verified run */
typedef enum { RANGE_ERASED, RANGE_WRITTEN, RANGE_VERIFIED } RangeAction;

static void
log_range (DfJob *job, RangeAction action, guint32 start, guint64 size)
{
  g_autofree gchar *bytes = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
  guint32 last = (guint32) (start + size - 1);

  switch (action)
    {
    case RANGE_ERASED:
      /* TRANSLATORS: a transcript line: size, first and last address */
      job_log (job, _("erased %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    case RANGE_WRITTEN:
      /* TRANSLATORS: a transcript line: size, first and last address */
      job_log (job, _("wrote %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    case RANGE_VERIFIED:
    default:
      /* TRANSLATORS: a transcript line: size, first and last address */
      job_log (job, _("verified %s at 0x%08x–0x%08x"), bytes, start, last);
      break;
    }
}

/* progress */

static void
report (DfJob *job)
{
  DfProgress *p = &job->progress;
  gint64 now = g_get_monotonic_time ();
  gdouble done_weight = 0;
  gdouble phase_seconds = (now - job->phase_start_us) / 1e6;

  for (DfPhase ph = 0; ph < p->phase; ph++)
    done_weight += job->weights[ph];
  /* padding can make a phase a few bytes longer than planned */
  if (p->total > 0)
    done_weight += job->weights[p->phase] * MIN ((gdouble) p->done / (gdouble) p->total, 1.0);
  p->fraction = job->weight_total > 0 ? MIN (done_weight / job->weight_total, 1.0) : 0;
  if (p->phase == DF_PHASE_DONE)
    p->fraction = 1.0;
  p->elapsed = (now - job->start_us) / 1e6;
  p->rate = phase_seconds > 0.05 ? p->done / phase_seconds : 0;
  /* a time left is only honest once there is something to go on */
  p->eta = (p->fraction > 0.02 && p->elapsed > 0.2) ? p->elapsed * (1.0 - p->fraction) / p->fraction : -1;
  if (job->progress_func != NULL)
    job->progress_func (p, job->progress_data);
}

static void
begin_phase (DfJob *job, DfPhase phase, guint64 total)
{
  job->progress.phase = phase;
  job->progress.done = 0;
  job->progress.total = total;
  job->progress.address = 0;
  job->phase_start_us = g_get_monotonic_time ();
  report (job);
}

static void
on_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  DfJob *job = user_data;
  job->progress.done += bytes;
  job->progress.address = address;
  report (job);
}

static void
on_write_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  DfJob *job = user_data;

  if (job->written == 0 || address < job->written_low)
    job->written_low = address;
  if (address + bytes > job->written_high)
    job->written_high = address + (guint32) bytes;
  job->written += bytes;
  on_chunk (bytes, address, user_data);
}

/* the sectors of a target that --diff found already right */
static gboolean
sector_skipped (DfJob *job, guint target, guint sector)
{
  GArray *skips;

  if (job->skip == NULL)
    return FALSE;
  skips = g_array_index (job->skip, GArray *, target);
  return g_array_index (skips, gboolean, sector);
}

static guint
sector_of (DfPlanTarget *target, guint32 address)
{
  for (guint i = 0; i < target->sectors->len; i++)
    {
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
      if (address >= s->start && (guint64) address < (guint64) s->start + s->size)
        return i;
    }
  g_assert_not_reached ();
}

static gboolean
select_alt (DfJob *job, DfPlanTarget *target, GError **error)
{
  if (!df_transport_set_alt (job->conn.transport, job->device->interface, target->alt, error))
    return FALSE;
  return df_dfu_ensure_idle (&job->conn, error);
}

static void
set_weights (DfJob *job)
{
  DfPlan *plan = job->plan;

  memset (job->weights, 0, sizeof job->weights);
  if (job->detached)
    job->weights[DF_PHASE_DETACH] = DETACH_US;
  if (job->backup_path != NULL)
    job->weights[DF_PHASE_BACKUP] = plan->touched_bytes * READ_US_PER_BYTE;
  if (plan->options.diff)
    job->weights[DF_PHASE_READ] = plan->write_bytes * READ_US_PER_BYTE;
  job->weights[DF_PHASE_ERASE] = plan->erase_bytes * ERASE_US_PER_BYTE;
  job->weights[DF_PHASE_WRITE] = plan->write_bytes * WRITE_US_PER_BYTE;
  if (plan->options.verify)
    job->weights[DF_PHASE_VERIFY] = plan->write_bytes * READ_US_PER_BYTE;
  if (plan->options.leave)
    job->weights[DF_PHASE_LEAVE] = LEAVE_US;
  job->weight_total = 0;
  for (guint i = 0; i <= DF_PHASE_DONE; i++)
    job->weight_total += job->weights[i];
}

/* backup: every touched sector, whole, into a DfuSe file, before any change */
static gboolean
run_backup (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  g_autoptr(DfImage) backup = df_image_new (DF_FORMAT_DFUSE, job->backup_path);
  DfWriteOptions options;

  begin_phase (job, DF_PHASE_BACKUP, plan->touched_bytes);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      DfTarget *backup_target = df_image_add_target (backup, target->alt, target->name);

      if (!select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          g_autofree guint8 *data = NULL;
          g_autoptr(GBytes) bytes = NULL;

          if (!s->touched)
            continue;
          data = g_malloc (s->size);
          if (!df_memory_read (&job->conn, s->start, data, s->size, on_chunk, job, error))
            {
              g_prefix_error (error, _("backing up: "));
              return FALSE;
            }
          bytes = g_bytes_new_take (g_steal_pointer (&data), s->size);
          df_target_add_segment (backup_target, s->start, bytes);
        }
    }
  df_write_options_init (&options);
  options.vid = job->device->vid;
  options.pid = job->device->pid;
  if (!df_image_save_file (backup, job->backup_path, DF_FORMAT_DFUSE, &options, error))
    {
      g_prefix_error (error, _("saving the backup (nothing was changed on the device): "));
      return FALSE;
    }
  job_log (job, _("backed up %" PRIu64 " bytes to %s"), plan->touched_bytes, job->backup_path);
  return TRUE;
}

/* --diff: read what the device holds where the image goes; a sector whose
 * bytes are all already right needs neither erase nor write */
static gboolean
run_diff (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;

  job->skip = g_array_new (FALSE, FALSE, sizeof (GArray *));
  g_array_set_clear_func (job->skip, (GDestroyNotify) (void (*) (void)) g_array_unref);
  begin_phase (job, DF_PHASE_READ, plan->write_bytes);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      GArray *skips = g_array_new (FALSE, TRUE, sizeof (gboolean));
      g_array_set_size (skips, target->sectors->len);
      g_array_append_val (job->skip, skips);

      if (!select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        if (g_array_index (target->sectors, DfPlanSector, j).touched)
          g_array_index (skips, gboolean, j) = TRUE;
      for (guint w = 0; w < target->writes->len; w++)
        {
          DfPlanWrite *write = g_ptr_array_index (target->writes, w);
          gsize size;
          const guint8 *want = g_bytes_get_data (write->data, &size);
          g_autofree guint8 *have = g_malloc (size);
          guint sector = sector_of (target, write->address);

          if (!g_array_index (skips, gboolean, sector))
            {
              on_chunk (size, write->address, job); /* already known to differ */
              continue;
            }
          if (!df_memory_read (&job->conn, write->address, have, size, on_chunk, job, error))
            {
              g_prefix_error (error, _("reading to compare: "));
              return FALSE;
            }
          if (memcmp (have, want, size) != 0)
            g_array_index (skips, gboolean, sector) = FALSE;
        }
      for (guint j = 0; j < target->sectors->len; j++)
        if (g_array_index (skips, gboolean, j))
          job->skipped_sectors++;
    }
  job_log (job, _("%u sectors already hold the right bytes and are skipped"), job->skipped_sectors);
  return TRUE;
}

static gboolean
run_erase (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  guint64 total = 0;

  if (plan->options.mass_erase)
    {
      begin_phase (job, DF_PHASE_ERASE, plan->erase_bytes);
      if (!select_alt (job, g_ptr_array_index (plan->targets, 0), error) ||
          !df_dfuse_mass_erase (&job->conn, error))
        return FALSE;
      job_log (job, _("mass erase done"));
      on_chunk (plan->erase_bytes, 0, job);
      return TRUE;
    }

  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          if (s->erase && !sector_skipped (job, i, j))
            total += s->size;
        }
    }
  begin_phase (job, DF_PHASE_ERASE, total);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);

      if (!select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          if (!s->erase || sector_skipped (job, i, j))
            continue;
          if (!df_dfuse_erase_page (&job->conn, s->start, error))
            return FALSE;
          job->erased_sectors++;
          log_range (job, RANGE_ERASED, s->start, s->size);
          on_chunk (s->size, s->start, job);
        }
    }
  return TRUE;
}

/* Program units: STM32L4 programs 64-bit double words and drops the tail
 * of a write that ends inside one; STM32H7 uses 256-bit flash words.  In a
 * sector this job erased, 0xFF is what the cells already hold, so runs are
 * padded (see finish_run) and joined across gaps of less than 32 bytes, so
 * no flash word is programmed twice (MicroPython's dfu.py pads to 8 for the
 * same reason).  Nothing is padded outside an erased sector. */
#define PAD_UNIT 8
#define JOIN_GAP 32

static gboolean
sector_erased (DfJob *job, guint t, guint sector)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, sector);

  if (sector_skipped (job, t, sector))
    return FALSE;
  return s->erase || (job->plan->options.mass_erase && (s->flags & DF_SECTOR_ERASABLE));
}

/* calls func for each run of contiguous, not skipped writes of a target */
typedef gboolean (*RunFunc) (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);

static gboolean
finish_run (DfJob *job, guint t, guint32 start, GByteArray *run, RunFunc func, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  guint last = sector_of (target, start + run->len - 1);
  DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, last);
  guint64 room = (guint64) s->start + s->size - start;
  guint chunk = job->conn.transfer_size;
  guint64 padded = 0;

  /* Best, a whole last chunk: no extra SET_ADDRESS for a short one, and
   * programming 0xFF costs less than that request's wait on every known
   * bootloader.  Else a whole program unit. */
  if (sector_erased (job, t, last))
    {
      if (((guint64) run->len + chunk - 1) / chunk * chunk <= room)
        padded = ((guint64) run->len + chunk - 1) / chunk * chunk;
      else if (((guint64) run->len + PAD_UNIT - 1) / PAD_UNIT * PAD_UNIT <= room)
        padded = ((guint64) run->len + PAD_UNIT - 1) / PAD_UNIT * PAD_UNIT;
    }
  if (padded > run->len)
    {
      guint old = run->len;
      g_byte_array_set_size (run, (guint) padded);
      memset (run->data + old, 0xff, run->len - old);
    }
  return func (job, start, run->data, run->len, error);
}

static gboolean
for_each_run (DfJob *job, guint t, RunFunc func, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  g_autoptr(GByteArray) run = g_byte_array_new ();
  guint32 run_start = 0;

  for (guint w = 0; w < target->writes->len; w++)
    {
      DfPlanWrite *write = g_ptr_array_index (target->writes, w);
      guint sector = sector_of (target, write->address);
      guint64 run_end = (guint64) run_start + run->len;

      if (sector_skipped (job, t, sector))
        continue;
      if (run->len > 0 && write->address != run_end)
        {
          /* a small gap inside one erased sector is filled, not a new run */
          gboolean join = write->address > run_end && write->address - run_end < JOIN_GAP &&
                          sector == sector_of (target, (guint32) run_end - 1) &&
                          sector_erased (job, t, sector);
          if (join)
            {
              guint gap = (guint) (write->address - run_end);
              g_byte_array_set_size (run, run->len + gap);
              memset (run->data + run->len - gap, 0xff, gap);
            }
          else
            {
              if (!finish_run (job, t, run_start, run, func, error))
                return FALSE;
              g_byte_array_set_size (run, 0);
            }
        }
      if (run->len == 0)
        run_start = write->address;
      g_byte_array_append (run, g_bytes_get_data (write->data, NULL), (guint) g_bytes_get_size (write->data));
    }
  if (run->len > 0)
    return finish_run (job, t, run_start, run, func, error);
  return TRUE;
}

static gboolean
write_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error)
{
  if (!df_memory_write_run (&job->conn, address, data, size, on_write_chunk, job, error))
    return FALSE;
  log_range (job, RANGE_WRITTEN, address, size);
  return TRUE;
}

static gboolean
verify_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error)
{
  g_autofree guint8 *have = g_malloc (size);

  if (!df_memory_read (&job->conn, address, have, size, on_chunk, job, error))
    {
      g_prefix_error (error, _("verifying: "));
      return FALSE;
    }
  for (gsize i = 0; i < size; i++)
    if (have[i] != data[i])
      {
        g_set_error (error, DF_ERROR, DF_ERROR_VERIFY,
                     _("verify failed: at 0x%08x the device holds 0x%02x instead of 0x%02x; "
                       "flash again, and if it fails again the memory may be worn or protected"),
                     address + (guint32) i, have[i], data[i]);
        return FALSE;
      }
  log_range (job, RANGE_VERIFIED, address, size);
  return TRUE;
}

static guint64
bytes_to_write (DfJob *job)
{
  guint64 total = 0;
  for (guint i = 0; i < job->plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (job->plan->targets, i);
      for (guint w = 0; w < target->writes->len; w++)
        {
          DfPlanWrite *write = g_ptr_array_index (target->writes, w);
          if (!sector_skipped (job, i, sector_of (target, write->address)))
            total += g_bytes_get_size (write->data);
        }
    }
  return total;
}

static gboolean
run_dfuse (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  guint64 total;

  if (job->backup_path != NULL && !run_backup (job, error))
    return FALSE;
  if (plan->options.diff && !run_diff (job, error))
    return FALSE;
  if (!run_erase (job, error))
    return FALSE;

  total = bytes_to_write (job);
  begin_phase (job, DF_PHASE_WRITE, total);
  for (guint i = 0; i < plan->targets->len; i++)
    if (!select_alt (job, g_ptr_array_index (plan->targets, i), error) ||
        !for_each_run (job, i, write_run, error))
      return FALSE;

  if (plan->options.verify)
    {
      begin_phase (job, DF_PHASE_VERIFY, total);
      for (guint i = 0; i < plan->targets->len; i++)
        if (!select_alt (job, g_ptr_array_index (plan->targets, i), error) ||
            !for_each_run (job, i, verify_run, error))
          return FALSE;
    }

  if (plan->options.leave)
    {
      begin_phase (job, DF_PHASE_LEAVE, 1);
      /* STM32C0 needs the address set before leaving; all jump there */
      if (!select_alt (job, g_ptr_array_index (plan->targets, 0), error) ||
          !df_dfuse_set_address (&job->conn, plan->start_address, error) ||
          !df_dfu_leave (&job->conn, error))
        return FALSE;
      on_chunk (1, plan->start_address, job);
    }
  return TRUE;
}

static gboolean
run_plain (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  DfPlanTarget *target = g_ptr_array_index (plan->targets, 0);
  DfPlanWrite *write = g_ptr_array_index (target->writes, 0);
  gsize size;
  const guint8 *data = g_bytes_get_data (write->data, &size);
  gboolean tolerant = (job->device->attributes & DF_ATTR_MANIFESTATION_TOLERANT) != 0;
  DfStatus status;

  if (!select_alt (job, target, error))
    return FALSE;
  begin_phase (job, DF_PHASE_WRITE, size);
  if (!df_memory_download_plain (&job->conn, data, size, on_write_chunk, job, error))
    return FALSE;

  /* a zero-length DNLOAD ends the download and starts manifestation */
  begin_phase (job, DF_PHASE_LEAVE, 1);
  if (!df_dfu_dnload (&job->conn, 0, NULL, 0, error) ||
      !df_dfu_wait_while_busy (&job->conn, &status, error))
    {
      g_prefix_error (error, _("finishing the download (manifestation): "));
      return FALSE;
    }
  if (plan->options.verify && tolerant)
    {
      g_autoptr(GBytes) back = NULL;

      if (!df_dfu_ensure_idle (&job->conn, error))
        return FALSE;
      begin_phase (job, DF_PHASE_VERIFY, size);
      back = df_memory_upload_plain (&job->conn, size, on_chunk, job, error);
      if (back == NULL || !verify_run (job, 0, data, size, error))
        return FALSE;
    }
  else if (plan->options.verify)
    job_log (job, _("not verified: this device cannot be read back after manifestation"));

  /* devices that are not manifestation tolerant wait for a reset to run
   * the new firmware */
  if (plan->options.leave && (!tolerant || status.state == DF_STATE_MANIFEST_WAIT_RESET))
    {
      g_autoptr(GError) local = NULL;
      if (!df_transport_reset (job->conn.transport, &local))
        job_log (job, _("reset after download: %s"), local->message);
    }
  on_chunk (1, 0, job);
  return TRUE;
}

/* After a failure or a cancel: bring the device back to dfuIDLE so the
 * next attempt starts clean; the device being gone is nothing to fix. */
static gboolean
recover (DfJob *job)
{
  g_autoptr(GError) local = NULL;
  GCancellable *cancellable = job->conn.cancellable;
  gboolean ok;

  job->conn.cancellable = NULL;  /* the cleanup itself must not be cancelled */
  ok = df_dfu_ensure_idle (&job->conn, &local);
  if (!ok)
    job_log (job, _("could not return the device to dfuIDLE: %s"), local->message);
  job->conn.cancellable = cancellable;
  return ok;
}

static gchar *
describe_written (DfJob *job)
{
  if (job->written == 0 && job->erased_sectors == 0)
    return g_strdup (_("Nothing was erased or written."));
  if (job->written == 0)
    return g_strdup_printf (_("%u sectors were erased and nothing was written yet: the firmware on the device is incomplete; flash again."),
                            job->erased_sectors);
  return g_strdup_printf (_("%u sectors were erased and %" PRIu64 " of %" PRIu64
                            " bytes written (0x%08x-0x%08x): the firmware on the device is incomplete; flash again."),
                          job->erased_sectors, job->written, bytes_to_write (job),
                          job->written_low, job->written_high - 1);
}

gboolean
df_job_run (DfJob *job, GCancellable *cancellable, GError **error)
{
  g_autoptr(DfTransport) transport = NULL;
  g_autoptr(GError) local = NULL;
  DfPlan *plan;
  gboolean ok;

  job->start_us = g_get_monotonic_time ();
  memset (&job->progress, 0, sizeof job->progress);

  if (job->device->mode == DF_DEVICE_MODE_RUNTIME)
    {
      DfDevice *dfu;

      job->weights[DF_PHASE_DETACH] = job->weight_total = DETACH_US;
      begin_phase (job, DF_PHASE_DETACH, 1);
      dfu = df_device_detach_and_wait (job->device, cancellable, error);
      if (dfu == NULL)
        return FALSE;
      df_device_unref (job->device);
      job->device = dfu;
      job->detached = TRUE;
    }

  g_clear_pointer (&job->plan, df_plan_unref);
  job->plan = plan = df_plan_new (job->image, job->device, &job->options);
  if (!df_plan_check (plan, job->force, error))
    return FALSE;
  set_weights (job);

  transport = df_usb_connect (job->device, cancellable, &job->conn, error);
  if (transport == NULL)
    return FALSE;

  if (!df_dfu_ensure_idle (&job->conn, error))
    {
      g_prefix_error (error, _("preparing the device: "));
      job->transfers = transport->transfers;
      return FALSE;
    }

  ok = plan->dfuse ? run_dfuse (job, &local) : run_plain (job, &local);
  if (!ok)
    {
      gboolean recovered = !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED) && recover (job);
      g_autofree gchar *what = describe_written (job);

      if (g_error_matches (local, DF_ERROR, DF_ERROR_CANCELLED))
        g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("Cancelled. %s%s"),
                     recovered ? _("The device is back in dfuIDLE. ") : "", what);
      else
        g_set_error (error, local->domain, local->code, "%s\n%s", local->message, what);
      job->transfers = transport->transfers;
      return FALSE;
    }

  job->transfers = transport->transfers;
  begin_phase (job, DF_PHASE_DONE, 0);
  return TRUE;
}

static void
run_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DfJob *job = task_data;
  GError *error = NULL;

  if (df_job_run (job, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
df_job_run_async (DfJob *job, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, df_job_run_async);
  g_task_set_task_data (task, df_job_ref (job), (GDestroyNotify) df_job_unref);
  /* the job checks its cancellable itself and cleans up the device */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_in_thread);
}

gboolean
df_job_run_finish (DfJob *job, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
