/* df-job-backup.c: what a job reads before it changes anything: the
 * backup of every sector it will touch, --diff's comparison, and the
 * blank check that spares the erase of sectors that already read erased. */
#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-job-private.h"
#include "df-memory.h"

/* The backup is held in memory until it is saved.  The sectors come from
 * the device's layout string, which may claim a 500 MiB sector: the
 * largest flash parts DFU serves hold a few MiB, QSPI a few tens. */
#define BACKUP_MAX_BYTES (64 * 1024 * 1024)

/* backup: every touched sector, whole, into a DfuSe file, before any change */
gboolean
df_job_run_backup (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  g_autoptr(DfImage) backup = df_image_new (DF_FORMAT_DFUSE, job->backup_path);
  DfWriteOptions options;

  if (plan->touched_bytes > BACKUP_MAX_BYTES)
    {
      g_autofree gchar *size = g_format_size_full (plan->touched_bytes, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: %s: a size such as "500.0 MiB" */
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("the backup would hold %s (the device reports sectors that large): more than Defuse backs up; "
                     "nothing was changed on the device. Flash without a backup, or read what you need first."),
                   size);
      return FALSE;
    }
  df_job_begin_phase (job, DF_PHASE_BACKUP, plan->touched_bytes);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      DfTarget *backup_target = df_image_add_target (backup, target->alt, target->name);

      if (!df_job_select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          g_autofree guint8 *data = NULL;
          g_autoptr(GBytes) bytes = NULL;

          if (!s->touched)
            continue;
          data = g_malloc (s->size);
          if (!df_job_read (job, s->start, data, s->size, error))
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
  df_job_log (job, _("backed up %" PRIu64 " bytes to %s"), plan->touched_bytes, job->backup_path);
  return TRUE;
}

/* a clear function gets a pointer to the element */
static void
clear_states (gpointer element)
{
  g_array_unref (*(GArray **) element);
}

/* every sector of every target to do, for the reads to fill in */
static void
new_sector_states (DfJob *job)
{
  DfPlan *plan = job->plan;

  job->sector_states = g_array_new (FALSE, FALSE, sizeof (GArray *));
  g_array_set_clear_func (job->sector_states, clear_states);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      GArray *states = g_array_new (FALSE, TRUE, sizeof (guint8));  /* zeroed: DF_SECTOR_TO_DO */
      g_array_set_size (states, target->sectors->len);
      g_array_append_val (job->sector_states, states);
    }
}

static void
set_sector_state (DfJob *job, guint target, guint sector, DfSectorState state)
{
  g_array_index (g_array_index (job->sector_states, GArray *, target), guint8, sector) = state;
}

/* --diff: read what the device holds where the image goes; a sector whose
 * bytes are all already right needs neither erase nor write.  Every
 * touched sector is right until a write in it differs. */
static gboolean
run_diff (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;

  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);

      if (!df_job_select_alt (job, target, error))
        return FALSE;
      for (guint j = 0; j < target->sectors->len; j++)
        if (g_array_index (target->sectors, DfPlanSector, j).touched)
          set_sector_state (job, i, j, DF_SECTOR_RIGHT);
      for (guint w = 0; w < target->writes->len; w++)
        {
          DfPlanWrite *write = g_ptr_array_index (target->writes, w);
          gsize size;
          const guint8 *want = g_bytes_get_data (write->data, &size);
          g_autofree guint8 *have = g_malloc (size);
          guint sector = df_job_sector_of (target, write->address);

          if (df_job_sector_state (job, i, sector) != DF_SECTOR_RIGHT)
            {
              df_job_on_chunk (size, write->address, job); /* already known to differ */
              continue;
            }
          if (!df_job_read (job, write->address, have, size, error))
            {
              g_prefix_error (error, _("reading to compare: "));
              return FALSE;
            }
          if (memcmp (have, want, size) != 0)
            set_sector_state (job, i, sector, DF_SECTOR_TO_DO);
        }
    }
  df_job_log (job, _("%u sectors already hold the right bytes and are skipped"),
              df_job_count_sectors (job, DF_SECTOR_RIGHT));
  return TRUE;
}

/* The blank check: a sector the plan erases that already reads all 0xFF
 * is not erased again, on parts whose flash has no ECC (quirk
 * blank-needs-no-erase: programming an erased-reading word is exactly
 * programming an erased one).  The whole sector must read erased, so what
 * is left is what an erase would have left.  Only sectors of 16 KiB and
 * more: their erase takes a quarter of a second to seconds (STM32F4:
 * 250 ms to 2 s), against a few milliseconds for the one block that
 * shows a sector holding data; a board fresh from the factory, or a
 * bench's tray of them, then spends its time writing.  Pages of 1-2 KiB
 * erase in ~20-40 ms, where that block would cost ~10% of every page. */
#define BLANK_CHECK_MIN_SECTOR (16 * 1024)

static gboolean
blank_check_candidate (DfJob *job, guint target, guint sector)
{
  DfPlanTarget *t = g_ptr_array_index (job->plan->targets, target);
  DfPlanSector *s = &g_array_index (t->sectors, DfPlanSector, sector);

  return s->erase && s->size >= BLANK_CHECK_MIN_SECTOR &&
         df_job_sector_state (job, target, sector) == DF_SECTOR_TO_DO;
}

/* how much the blank check may read; 0: no check on this job */
guint64
df_job_blank_check_bytes (DfJob *job)
{
  DfPlan *plan = job->plan;
  const DfQuirks *quirks = job->device->quirks;
  guint64 total = 0;

  if (quirks == NULL || !quirks->blank_needs_no_erase || !plan->dfuse || plan->options.mass_erase ||
      !(job->device->attributes & DF_ATTR_CAN_UPLOAD))
    return 0;
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      for (guint j = 0; j < target->sectors->len; j++)
        if (blank_check_candidate (job, i, j))
          total += g_array_index (target->sectors, DfPlanSector, j).size;
    }
  return total;
}

gboolean
df_job_all_erased (const guint8 *data, gsize size)
{
  for (gsize i = 0; i < size; i++)
    if (data[i] != 0xff)
      return FALSE;
  return TRUE;
}

/* the first block of each sector to check: one SET_ADDRESS for them all
 * where the block number reaches (df_memory_read_blocks), else one read
 * each; counted in the progress either way */
static gboolean
read_first_blocks (DfJob *job, const guint32 *addresses, guint n, gsize block, guint8 *data, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (df_memory_read_blocks (&job->conn, addresses, n, data, &local))
        {
          df_job_on_chunk (n * block, addresses[0], job);
          return TRUE;
        }
      if (g_error_matches (local, DF_ERROR, DF_ERROR_NOT_SUPPORTED))
        {
          for (guint i = 0; i < n; i++)
            if (!df_job_read (job, addresses[i], data + i * block, block, error))
              return FALSE;
          return TRUE;
        }
      if (!df_job_may_retry (job, &local, _("reading"), FALSE, 0, error))
        return FALSE;
    }
}

/* the sectors of one target that read erased; FALSE with the error of a
 * read that failed */
static gboolean
check_target (DfJob *job, guint t, GError **error)
{
  DfPlanTarget *target = g_ptr_array_index (job->plan->targets, t);
  gsize block = job->conn.transfer_size;
  g_autoptr(GArray) sectors = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) addresses = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree guint8 *firsts = NULL;

  for (guint j = 0; j < target->sectors->len; j++)
    {
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);

      /* whole blocks: a sector is its first block and the rest */
      if (blank_check_candidate (job, t, j) && s->size > block && s->size % block == 0)
        {
          g_array_append_val (sectors, j);
          g_array_append_val (addresses, s->start);
        }
      else if (s->erase && s->size >= BLANK_CHECK_MIN_SECTOR)
        df_job_on_chunk (s->size, s->start, job);  /* counted in the phase, not read */
    }
  if (sectors->len == 0)
    return TRUE;
  firsts = g_malloc (sectors->len * block);
  if (!read_first_blocks (job, (guint32 *) addresses->data, sectors->len, block, firsts, error))
    return FALSE;
  for (guint i = 0; i < sectors->len; i++)
    {
      guint j = g_array_index (sectors, guint, i);
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
      g_autofree guint8 *rest = NULL;

      /* most sectors that hold data show it in their first block */
      if (!df_job_all_erased (firsts + i * block, block))
        {
          df_job_on_chunk (s->size - block, s->start, job);  /* the rest need not be read */
          continue;
        }
      rest = g_malloc (s->size - block);
      if (!df_job_read (job, s->start + (guint32) block, rest, s->size - block, error))
        return FALSE;
      if (df_job_all_erased (rest, s->size - block))
        set_sector_state (job, t, j, DF_SECTOR_BLANK);
    }
  return TRUE;
}

static gboolean
run_blank_check (DfJob *job, GError **error)
{
  guint blank;

  for (guint i = 0; i < job->plan->targets->len; i++)
    {
      g_autoptr(GError) local = NULL;

      if (!df_job_select_alt (job, g_ptr_array_index (job->plan->targets, i), error))
        return FALSE;
      if (check_target (job, i, &local))
        continue;
      /* a read-protected chip refuses reads: erase as planned, and the
       * erase says what is wrong as it would have anyway */
      if (!g_error_matches (local, DF_ERROR, DF_ERROR_PROTECTED))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), _("reading to check for erased sectors: "));
          return FALSE;
        }
      g_debug ("blank check: %s; erasing as planned", local->message);
      break;
    }
  blank = df_job_count_sectors (job, DF_SECTOR_BLANK);
  if (blank > 0)
    df_job_log (job, ngettext ("%u sector already reads erased: it is not erased again",
                               "%u sectors already read erased: they are not erased again", blank),
                blank);
  return TRUE;
}

/* --diff (and after a reset) compares, the blank check finds sectors that
 * need no erase: one reading phase for both, before anything changes */
gboolean
df_job_run_reads (DfJob *job, GError **error)
{
  gboolean diff = job->plan->options.diff || job->resuming;
  guint64 check;

  g_clear_pointer (&job->sector_states, g_array_unref);  /* a resume reads again */
  check = df_job_blank_check_bytes (job);
  if (!diff && check == 0)
    return TRUE;
  new_sector_states (job);
  df_job_begin_phase (job, DF_PHASE_READ, (diff ? job->plan->write_bytes : 0) + check);
  if ((diff && !run_diff (job, error)) || (check > 0 && !run_blank_check (job, error)))
    return FALSE;
  df_job_reweigh (job);
  return TRUE;
}
