/* df-job-private.h: what the parts of a job share.  df-job.c runs a job
 * start to finish; df-job-progress.c weighs and reports its progress;
 * df-job-backup.c reads before any change (backup, --diff, the blank check);
 * df-job-dfuse.c erases, writes and verifies a DfuSe device;
 * df-job-plain.c downloads to a plain DFU 1.1 device. */
#pragma once

#include "df-job.h"
#include "df-protocol.h"

G_BEGIN_DECLS

/* what the reads before any change found in a sector */
typedef enum {
  DF_SECTOR_TO_DO,   /* erase (where the plan does) and write */
  DF_SECTOR_RIGHT,   /* --diff: it already holds the image's bytes: neither */
  DF_SECTOR_BLANK,   /* it reads erased: written without erasing again */
} DfSectorState;

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
  GArray         *sector_states;   /* per plan target: a GArray of guint8 DfSectorState
                                    * per sector; NULL: all to do */
  gboolean        detached;        /* started in the application */
  DfDevice       *origin;          /* a MicroPython board: awaited back after leave */
  DfMicroPython  *now_running;     /* ... and what it runs then */
  GError         *back_error;      /* ... or why it was not seen back */
  guint           erased_sectors;
  gboolean        mass_erase_sent; /* the whole chip may have been erased */
  guint64         written;
  guint32         written_low;
  guint32         written_high;
  guint64         transfers;

  /* retries and resume (df-job-retry.c, df-job-resume.c) */
  guint           retries;         /* steps retried after a hiccup */
  gboolean        unrecoverable;   /* it did not return to dfuIDLE when asked */
  guint32         failed_sector;   /* start of the last sector that failed to write */
  gboolean        failed_sector_set;
  guint           target_index;    /* the plan target being worked on */
  guint32         chunk_end;       /* end of the last chunk the device confirmed */
  gboolean        mismatch_set;    /* a verify found a wrong byte ... */
  guint32         mismatch_at;     /* ... here */
  gboolean        clip;            /* for_each_run only within [clip_lo, clip_hi) */
  guint32         clip_lo;
  guint64         clip_hi;
  guint           resumes;         /* times the device reset and came back */
  gboolean        resuming;        /* reading back after a reset: --diff's way */
  gboolean        gone_before_start; /* gone in the leave step: flashed, not started */
};

/* the transcript's lines, one per erased sector and written or verified run */
typedef enum { RANGE_ERASED, RANGE_WRITTEN, RANGE_VERIFIED } RangeAction;

void     df_job_log (DfJob *job, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
void     df_job_log_range (DfJob *job, RangeAction action, guint32 start, guint64 size);
/* after job->conn was filled: the connection's notes go to the transcript */
void     df_job_connected (DfJob *job);
gboolean df_job_select_alt (DfJob *job, DfPlanTarget *target, GError **error);

/* df-job-progress.c */
void     df_job_set_weights (DfJob *job);
void     df_job_begin_phase (DfJob *job, DfPhase phase, guint64 total);
void     df_job_on_chunk (gsize bytes, guint32 address, gpointer user_data);        /* a DfChunkFunc */
void     df_job_on_write_chunk (gsize bytes, guint32 address, gpointer user_data);  /* counts what was written */
void     df_job_reweigh (DfJob *job);  /* after the reads: what is left to erase and write */

/* df-job-backup.c */
gboolean df_job_run_backup (DfJob *job, GError **error);
guint64  df_job_blank_check_bytes (DfJob *job);
gboolean df_job_run_reads (DfJob *job, GError **error);  /* --diff and the blank check */
gboolean df_job_all_erased (const guint8 *data, gsize size);  /* every byte 0xFF */

/* df-job-dfuse.c */
DfSectorState df_job_sector_state (DfJob *job, guint target, guint sector);
guint    df_job_count_sectors (DfJob *job, DfSectorState state);  /* in every target */
gboolean df_job_sector_skipped (DfJob *job, guint target, guint sector);
#define DF_JOB_NO_SECTOR G_MAXUINT
/* the sector holding address, DF_JOB_NO_SECTOR where none does (a plain
 * DFU plan has no sectors) */
guint    df_job_sector_of (DfPlanTarget *target, guint32 address);
guint64  df_job_bytes_to_erase (DfJob *job);
guint64  df_job_bytes_to_write (DfJob *job);
gboolean df_job_verify_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);
gboolean df_job_run_dfuse (DfJob *job, GError **error);

/* df-job-dfuse.c, for the retries: the runs of target t within
 * [lo, hi), written (erasing the sector first where the plan erases it)
 * or verified */
gboolean df_job_rewrite_range (DfJob *job, guint t, guint32 lo, guint64 hi, gboolean verify, GError **error);
/* the plan sector holding address; NULL with an error where none does */
DfPlanSector *df_job_sector_at (DfJob *job, guint t, guint32 address, GError **error);

/* df-job-retry.c: each step of a job is retried after a hiccup (a stall,
 * a short or missing answer, a one-off error status), after CLRSTATUS or
 * ABORT back to dfuIDLE, a bounded number of times; faults that do not go
 * away (read protection, a sector that fails twice, a device that is
 * gone) end the job at once.  A failed write or verify erases and
 * rewrites only the sector concerned. */
/* dfuIDLE again, the way the device's protocol gets there (FLIP: LUFA's
 * CLRSTATUS clears the status only, an ABORT the state) */
gboolean df_job_make_idle (DfJob *job, GError **error);
gboolean df_job_may_retry (DfJob *job, GError **failure, const gchar *step, gboolean at_sector,
                           guint32 sector, GError **error);
gboolean df_job_erase_sector (DfJob *job, guint32 address, GError **error);
gboolean df_job_read (DfJob *job, guint32 address, guint8 *data, gsize size, GError **error);
gboolean df_job_write_run (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);
gboolean df_job_verify_run_retrying (DfJob *job, guint32 address, const guint8 *data, gsize size, GError **error);

/* df-job-resume.c: after the device dropped off the bus mid-flash, waits
 * for it to come back in DFU mode (same serial and port path) and opens
 * it again; FALSE if it does not come back in time */
gboolean df_job_reconnect (DfJob *job, DfTransport **transport, GError **error);

/* df-job-plain.c */
gboolean df_job_run_plain (DfJob *job, GError **error);

/* df-job-flip.c: an AVR through Atmel's FLIP bootloader */
gboolean df_job_run_flip (DfJob *job, GError **error);

G_END_DECLS
