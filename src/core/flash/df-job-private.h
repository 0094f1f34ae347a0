/* df-job-private.h: what the parts of a job share.  df-job.c runs a job
 * start to finish; df-job-progress.c weighs and reports its progress;
 * df-job-backup.c reads before any change (backup, --diff);
 * df-job-dfuse.c erases, writes and verifies a DfuSe device;
 * df-job-plain.c downloads to a plain DFU 1.1 device. */
#pragma once

#include "df-job.h"
#include "df-protocol.h"

G_BEGIN_DECLS

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
  DfDevice       *origin;          /* a MicroPython board: awaited back after leave */
  DfMicroPython  *now_running;     /* ... and what it runs then */
  GError         *back_error;      /* ... or why it was not seen back */
  guint           skipped_sectors;
  guint           erased_sectors;
  guint64         written;
  guint32         written_low;
  guint32         written_high;
  guint64         transfers;
};

/* the transcript's lines, one per erased sector and written or verified run */
typedef enum { RANGE_ERASED, RANGE_WRITTEN, RANGE_VERIFIED } RangeAction;

void     df_job_log (DfJob *job, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
void     df_job_log_range (DfJob *job, RangeAction action, guint32 start, guint64 size);
gboolean df_job_select_alt (DfJob *job, DfPlanTarget *target, GError **error);

/* df-job-progress.c */
void     df_job_set_weights (DfJob *job);
void     df_job_begin_phase (DfJob *job, DfPhase phase, guint64 total);
void     df_job_on_chunk (gsize bytes, guint32 address, gpointer user_data);        /* a DfChunkFunc */
void     df_job_on_write_chunk (gsize bytes, guint32 address, gpointer user_data);  /* counts what was written */

/* df-job-backup.c */
gboolean df_job_run_backup (DfJob *job, GError **error);
gboolean df_job_run_diff (DfJob *job, GError **error);

/* df-job-dfuse.c */
gboolean df_job_sector_skipped (DfJob *job, guint target, guint sector);
guint    df_job_sector_of (DfPlanTarget *target, guint32 address);
guint64  df_job_bytes_to_write (DfJob *job);
gboolean df_job_verify_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);
gboolean df_job_run_dfuse (DfJob *job, GError **error);

/* df-job-plain.c */
gboolean df_job_run_plain (DfJob *job, GError **error);

G_END_DECLS
