/* df-job-progress.c: a job's progress, weighted by the expected time of
 * each phase, and its rate and time left. */
#include <glib/gi18n.h>
#include <string.h>

#include "df-job-private.h"

/* Expected cost of each kind of work, for weighting progress: the
 * device's expected busy times from the quirk table (datasheet values),
 * never the bwPollTimeout it reports (Defuse asks early where it can), and
 * where the table knows none STM32F405 values (sector erase ~8 us/byte,
 * program ~4 us/byte); plus the wire: a full-speed transfer moves ~1 MB/s.
 * Only the proportions matter. */
#define ERASE_US_PER_BYTE   8.0
#define PROGRAM_US_PER_BYTE 4.0
#define WIRE_US_PER_BYTE    1.0
#define DETACH_US           1000000.0
#define LEAVE_US            50000.0

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

void
df_job_begin_phase (DfJob *job, DfPhase phase, guint64 total)
{
  job->progress.phase = phase;
  job->progress.done = 0;
  job->progress.total = total;
  job->progress.address = 0;
  job->phase_start_us = g_get_monotonic_time ();
  report (job);
}

void
df_job_on_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  DfJob *job = user_data;
  job->progress.done += bytes;
  job->progress.address = address;
  report (job);
}

void
df_job_on_write_chunk (gsize bytes, guint32 address, gpointer user_data)
{
  DfJob *job = user_data;

  if (job->written == 0 || address < job->written_low)
    job->written_low = address;
  if (address + bytes > job->written_high)
    job->written_high = address + (guint32) bytes;
  job->written += bytes;
  df_job_on_chunk (bytes, address, user_data);
}

static gdouble
us_per_byte (gdouble ms_per_kib, gdouble otherwise)
{
  return ms_per_kib > 0 ? ms_per_kib * 1000.0 / 1024.0 : otherwise;
}

/* the expected time of erasing, writing and verifying what the job will */
static void
weigh_changes (DfJob *job, guint64 erase_bytes, guint64 write_bytes)
{
  const DfQuirks *quirks = job->device->quirks;
  gdouble erase = us_per_byte (quirks != NULL ? quirks->erase_ms_per_kib : 0, ERASE_US_PER_BYTE);
  gdouble write = us_per_byte (quirks != NULL ? quirks->write_ms_per_kib : 0, PROGRAM_US_PER_BYTE)
                  + WIRE_US_PER_BYTE;

  job->weights[DF_PHASE_ERASE] = erase_bytes * erase;
  job->weights[DF_PHASE_WRITE] = write_bytes * write;
  job->weights[DF_PHASE_VERIFY] = job->plan->options.verify ? write_bytes * WIRE_US_PER_BYTE : 0;
  job->weight_total = 0;
  for (guint i = 0; i <= DF_PHASE_DONE; i++)
    job->weight_total += job->weights[i];
}

/* the expected time of each phase the job will go through */
void
df_job_set_weights (DfJob *job)
{
  DfPlan *plan = job->plan;

  memset (job->weights, 0, sizeof job->weights);
  if (job->detached)
    job->weights[DF_PHASE_DETACH] = DETACH_US;
  if (plan == NULL)  /* detaching first: the plan needs the DFU-mode device */
    {
      job->weight_total = job->weights[DF_PHASE_DETACH];
      return;
    }
  if (job->backup_path != NULL)
    job->weights[DF_PHASE_BACKUP] = plan->touched_bytes * WIRE_US_PER_BYTE;
  job->weights[DF_PHASE_READ] = ((plan->options.diff ? plan->write_bytes : 0) + df_job_blank_check_bytes (job))
                                * WIRE_US_PER_BYTE;
  if (plan->options.leave)
    job->weights[DF_PHASE_LEAVE] = LEAVE_US;
  weigh_changes (job, plan->erase_bytes, plan->write_bytes);
}

/* After --diff and the blank check: only what is left to erase and write
 * weighs, so the time left is not that of sectors they spared. */
void
df_job_reweigh (DfJob *job)
{
  guint64 erase_bytes = job->plan->options.mass_erase ? job->plan->erase_bytes : df_job_bytes_to_erase (job);

  weigh_changes (job, erase_bytes, df_job_bytes_to_write (job));
}
