/* df-job-backup.c: what a job reads before it changes anything: the
 * backup of every sector it will touch, and --diff's comparison. */
#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-formats.h"
#include "df-job-private.h"

/* backup: every touched sector, whole, into a DfuSe file, before any change */
gboolean
df_job_run_backup (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;
  g_autoptr(DfImage) backup = df_image_new (DF_FORMAT_DFUSE, job->backup_path);
  DfWriteOptions options;

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
clear_skips (gpointer element)
{
  g_array_unref (*(GArray **) element);
}

/* --diff: read what the device holds where the image goes; a sector whose
 * bytes are all already right needs neither erase nor write */
gboolean
df_job_run_diff (DfJob *job, GError **error)
{
  DfPlan *plan = job->plan;

  g_clear_pointer (&job->skip, g_array_unref);  /* a resume reads again */
  job->skipped_sectors = 0;
  job->skip = g_array_new (FALSE, FALSE, sizeof (GArray *));
  g_array_set_clear_func (job->skip, clear_skips);
  df_job_begin_phase (job, DF_PHASE_READ, plan->write_bytes);
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      GArray *skips = g_array_new (FALSE, TRUE, sizeof (gboolean));
      g_array_set_size (skips, target->sectors->len);
      g_array_append_val (job->skip, skips);

      if (!df_job_select_alt (job, target, error))
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
          guint sector = df_job_sector_of (target, write->address);

          if (!g_array_index (skips, gboolean, sector))
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
            g_array_index (skips, gboolean, sector) = FALSE;
        }
      for (guint j = 0; j < target->sectors->len; j++)
        if (g_array_index (skips, gboolean, j))
          job->skipped_sectors++;
    }
  df_job_log (job, _("%u sectors already hold the right bytes and are skipped"), job->skipped_sectors);
  return TRUE;
}
