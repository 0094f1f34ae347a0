/* df-job-dfuse.c: erase, write and verify on a DfuSe device, sector by
 * sector and run by run, skipping what the reads before (df-job-backup.c)
 * found already right or already erased. */
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-job-private.h"
#include "df-memory.h"

DfSectorState
df_job_sector_state (DfJob *job, guint target, guint sector)
{
  GArray *states;

  if (job->sector_states == NULL || target >= job->sector_states->len)
    return DF_SECTOR_TO_DO;
  states = g_array_index (job->sector_states, GArray *, target);
  return sector < states->len ? g_array_index (states, guint8, sector) : DF_SECTOR_TO_DO;
}

guint
df_job_count_sectors (DfJob *job, DfSectorState state)
{
  guint n = 0;

  for (guint i = 0; job->sector_states != NULL && i < job->sector_states->len; i++)
    {
      GArray *states = g_array_index (job->sector_states, GArray *, i);
      for (guint j = 0; j < states->len; j++)
        n += g_array_index (states, guint8, j) == state;
    }
  return n;
}

/* the sectors of a target that --diff found already right */
gboolean
df_job_sector_skipped (DfJob *job, guint target, guint sector)
{
  return df_job_sector_state (job, target, sector) == DF_SECTOR_RIGHT;
}

/* erased before writing: where the plan erases, unless it is already right
 * or already reads erased */
static gboolean
sector_to_erase (DfJob *job, guint target, guint sector, const DfPlanSector *s)
{
  return s->erase && df_job_sector_state (job, target, sector) == DF_SECTOR_TO_DO;
}

guint
df_job_sector_of (DfPlanTarget *target, guint32 address)
{
  for (guint i = 0; i < target->sectors->len; i++)
    {
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
      if (address >= s->start && (guint64) address < (guint64) s->start + s->size)
        return i;
    }
  return DF_JOB_NO_SECTOR;
}

/* the plan puts every write in a sector: this is Defuse's bug, not the device's */
static gboolean
no_sector (guint32 address, GError **error)
{
  g_set_error (error, DF_ERROR, DF_ERROR_FAILED,
               _("internal error: 0x%08x is in no sector of the plan; nothing more was written. "
                 "Please report this, with the flash's report."), address);
  return FALSE;
}

DfPlanSector *
df_job_sector_at (DfJob *job, guint t, guint32 address, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  guint sector = df_job_sector_of (target, address);

  if (sector == DF_JOB_NO_SECTOR)
    {
      no_sector (address, error);
      return NULL;
    }
  return &g_array_index (target->sectors, DfPlanSector, sector);
}

/* the sectors' bytes to erase, mass erase aside */
guint64
df_job_bytes_to_erase (DfJob *job)
{
  guint64 total = 0;

  for (guint i = 0; i < job->plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (job->plan->targets, i);
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          if (sector_to_erase (job, i, j, s))
            total += s->size;
        }
    }
  return total;
}

static gboolean
run_erase (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;

  if (plan->options.mass_erase)
    {
      df_job_begin_phase (job, DF_PHASE_ERASE, plan->erase_bytes);
      if (!df_job_select_alt (job, g_ptr_array_index (plan->targets, 0), error))
        return FALSE;
      for (;;)
        {
          g_autoptr(GError) local = NULL;
          /* from the command on, the chip may be blank: said if this fails */
          job->mass_erase_sent = TRUE;
          if (df_dfuse_mass_erase (&job->conn, &local))
            break;
          if (!df_job_may_retry (job, &local, _("mass erase"), FALSE, 0, error))
            return FALSE;
        }
      df_job_log (job, _("mass erase done"));
      df_job_on_chunk (plan->erase_bytes, 0, job);
      return TRUE;
    }

  df_job_begin_phase (job, DF_PHASE_ERASE, df_job_bytes_to_erase (job));
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      /* the transcript gets one line per contiguous run of erased sectors,
       * not one per 2 KiB page */
      guint32 run_start = 0;
      guint64 run_size = 0;

      if (!df_job_select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          if (!sector_to_erase (job, i, j, s))
            continue;
          if (run_size > 0 && (guint64) run_start + run_size != s->start)
            {
              df_job_log_range (job, RANGE_ERASED, run_start, run_size);
              run_size = 0;
            }
          if (!df_job_erase_sector (job, s->start, error))
            {
              if (run_size > 0)
                df_job_log_range (job, RANGE_ERASED, run_start, run_size);
              return FALSE;
            }
          if (run_size == 0)
            run_start = s->start;
          run_size += s->size;
          job->erased_sectors++;
          df_job_on_chunk (s->size, s->start, job);
        }
      if (run_size > 0)
        df_job_log_range (job, RANGE_ERASED, run_start, run_size);
    }
  return TRUE;
}

/* Program units: STM32L4 programs 64-bit double words and drops the tail
 * of a write that ends inside one; STM32H7 uses 256-bit flash words.  In a
 * sector this job erased, 0xFF is what the cells already hold, so runs are
 * padded at both ends to whole units (see finish_run) and joined across
 * gaps of less than 32 bytes, so no flash word is programmed twice: a run
 * starting at 0x08040003 would otherwise split the word at 0x08040800
 * between two chunks.  MicroPython's dfu.py pads to 8 for the same reason.
 * Nothing is padded outside an erased sector. */
#define PAD_UNIT 8
#define JOIN_GAP 32

static gboolean
sector_erased (DfJob *job, guint t, guint sector)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  DfPlanSector *s;

  if (sector >= target->sectors->len || df_job_sector_skipped (job, t, sector))
    return FALSE;
  s = &g_array_index (target->sectors, DfPlanSector, sector);
  return s->erase || (job->plan->options.mass_erase && (s->flags & DF_SECTOR_ERASABLE));
}

/* calls func for each run of contiguous, not skipped writes of a target */
typedef gboolean (*RunFunc) (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);

static gboolean
finish_run (DfJob *job, guint t, guint32 start, GByteArray *run, RunFunc func, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  guint first = df_job_sector_of (target, start);
  guint last = df_job_sector_of (target, start + run->len - 1);
  DfPlanSector *s;
  guint64 room, end, padded;
  guint lead = start % PAD_UNIT;

  if (first == DF_JOB_NO_SECTOR || last == DF_JOB_NO_SECTOR)
    return no_sector (first == DF_JOB_NO_SECTOR ? start : start + run->len - 1, error);
  s = &g_array_index (target->sectors, DfPlanSector, last);
  room = (guint64) s->start + s->size - start;
  end = (guint64) start + run->len;
  padded = (end + PAD_UNIT - 1) / PAD_UNIT * PAD_UNIT - start;  /* to the unit's end */

  /* A whole program unit, not a whole chunk: the bootloaders program the
   * 0xFF of a pad like any other byte (an STM32F0 half-word takes 53 us, so
   * padding a short last chunk to 2 KiB cost 43 ms), while the SET_ADDRESS
   * a short chunk gets instead costs one request */
  if (!sector_erased (job, t, last) || padded > room)
    padded = run->len;
  if (padded > run->len)
    {
      guint old = run->len;
      g_byte_array_set_size (run, (guint) padded);
      memset (run->data + old, 0xff, run->len - old);
    }
  /* the start goes back to the unit's, so every chunk starts on one */
  if (lead > 0 && sector_erased (job, t, first) &&
      start - lead >= g_array_index (target->sectors, DfPlanSector, first).start)
    {
      static const guint8 erased[PAD_UNIT] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
      g_byte_array_prepend (run, erased, lead);
      start -= lead;
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
      guint sector = df_job_sector_of (target, write->address);
      guint64 run_end = (guint64) run_start + run->len;

      if (df_job_sector_skipped (job, t, sector) ||
          (job->clip && (write->address < job->clip_lo || write->address >= job->clip_hi)))
        continue;
      if (run->len > 0 && write->address != run_end)
        {
          /* a small gap inside one erased sector is filled, not a new run */
          gboolean join = write->address > run_end && write->address - run_end < JOIN_GAP &&
                          sector == df_job_sector_of (target, (guint32) run_end - 1) &&
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

/* one attempt, for rewriting a sector (the retry is around it) */
static gboolean
write_once (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error)
{
  return df_memory_write_run (&job->conn, address, data, size, df_job_on_write_chunk, job, error);
}

gboolean
df_job_rewrite_range (DfJob *job, guint t, guint32 lo, guint64 hi, gboolean verify, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  gboolean ok;

  if (sector_erased (job, t, df_job_sector_of (target, lo)) &&
      !df_dfuse_erase_page (&job->conn, lo, error))
    return FALSE;
  job->clip = TRUE;
  job->clip_lo = lo;
  job->clip_hi = hi;
  ok = for_each_run (job, t, write_once, error) &&
       (!verify || for_each_run (job, t, df_job_verify_run, error));
  job->clip = FALSE;
  return ok;
}

gboolean
df_job_verify_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error)
{
  g_autofree guint8 *have = g_malloc (size);

  if (!df_memory_read (&job->conn, address, have, size, df_job_on_chunk, job, error))
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
        job->mismatch_at = address + (guint32) i;
        job->mismatch_set = TRUE;
        return FALSE;
      }
  df_job_log_range (job, RANGE_VERIFIED, address, size);
  return TRUE;
}

guint64
df_job_bytes_to_write (DfJob *job)
{
  guint64 total = 0;
  for (guint i = 0; i < job->plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (job->plan->targets, i);
      for (guint w = 0; w < target->writes->len; w++)
        {
          DfPlanWrite *write = g_ptr_array_index (target->writes, w);
          if (!df_job_sector_skipped (job, i, df_job_sector_of (target, write->address)))
            total += g_bytes_get_size (write->data);
        }
    }
  return total;
}

gboolean
df_job_run_dfuse (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  guint64 total;

  /* after a reset, the backup is made and what is already right is
   * found by reading back, as --diff does */
  if (job->backup_path != NULL && !job->resuming && !df_job_run_backup (job, error))
    return FALSE;
  if (!df_job_run_reads (job, error) || !run_erase (job, error))
    return FALSE;

  total = df_job_bytes_to_write (job);
  df_job_begin_phase (job, DF_PHASE_WRITE, total);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      job->target_index = i;
      if (!df_job_select_alt (job, g_ptr_array_index (plan->targets, i), error) ||
          !for_each_run (job, i, df_job_write_run, error))
        return FALSE;
    }

  if (plan->options.verify)
    {
      df_job_begin_phase (job, DF_PHASE_VERIFY, total);
      for (guint i = 0; i < plan->targets->len; i++)
        {
          job->target_index = i;
          if (!df_job_select_alt (job, g_ptr_array_index (plan->targets, i), error) ||
              !for_each_run (job, i, df_job_verify_run_retrying, error))
            return FALSE;
        }
    }

  if (plan->options.leave)
    {
      const DfQuirks *quirks = job->device->quirks;

      df_job_begin_phase (job, DF_PHASE_LEAVE, 1);
      /* the device jumps to its address pointer (quirk table) */
      if (!df_job_select_alt (job, g_ptr_array_index (plan->targets, 0), error))
        return FALSE;
      for (;;)
        {
          g_autoptr(GError) local = NULL;
          if ((quirks == NULL || !quirks->set_address_before_leave ||
               df_dfuse_set_address (&job->conn, plan->start_address, &local)) &&
              df_dfu_leave (&job->conn, &local))
            break;
          g_autofree gchar *reported = g_strdup (local->message);
          gboolean answered = !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED);
          g_autoptr(GError) retry = NULL;
          if (df_job_may_retry (job, &local, _("leaving DFU mode"), FALSE, 0, &retry))
            continue;
          /* it answered the leave with an error and then went anyway:
           * gone is what leaving looks like (DESIGN.md 3); gone before it
           * took the request is not */
          if (!answered || !g_error_matches (retry, DF_ERROR, DF_ERROR_DISCONNECTED))
            {
              g_propagate_error (error, g_steal_pointer (&retry));
              return FALSE;
            }
          /* TRANSLATORS: a transcript line; %s: what the device reported */
          df_job_log (job, _("the device answered the request to leave DFU mode with an error (%s) and left"),
                      reported);
          break;
        }
      if (quirks != NULL && quirks->returns_in_dfu_after_leave)
        df_job_log (job, _("This chip starts its bootloader again while it believes its flash is empty: if it "
                           "comes back in DFU mode, the firmware is written and verified; unplug it (power it off) "
                           "and plug it in again to start it."));
      df_job_on_chunk (1, plan->start_address, job);
    }
  return TRUE;
}
