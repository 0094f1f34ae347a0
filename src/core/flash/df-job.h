/* df-job.h: one flash of one device, start to finish, on the thread that
 * runs it: detach (if the device runs its application), plan, back up,
 * read for --diff, erase, write, verify, leave.  It reports weighted
 * progress through a callback (called on the job's thread: the GUI
 * forwards it to its main loop), can be cancelled between USB requests,
 * and always leaves the device in a known state. */
#pragma once

#include <gio/gio.h>

#include "df-device.h"
#include "df-image.h"
#include "df-plan.h"

G_BEGIN_DECLS

typedef enum {
  DF_PHASE_DETACH,
  DF_PHASE_BACKUP,
  DF_PHASE_READ,     /* reading for --diff */
  DF_PHASE_ERASE,
  DF_PHASE_WRITE,
  DF_PHASE_VERIFY,
  DF_PHASE_LEAVE,
  DF_PHASE_DONE,
} DfPhase;

const gchar *df_phase_to_string (DfPhase phase);   /* "erase" (for JSON) */
const gchar *df_phase_describe (DfPhase phase);    /* "Erasing" (translated) */

typedef struct {
  DfPhase  phase;
  guint64  done;      /* bytes of this phase */
  guint64  total;
  guint32  address;   /* being worked on */
  gdouble  fraction;  /* of the whole job, weighted by expected time, 0..1 */
  gdouble  rate;      /* bytes per second in this phase, 0 if unknown */
  gdouble  eta;       /* seconds left for the whole job, < 0 if unknown */
  gdouble  elapsed;   /* seconds since the job started */
} DfProgress;

typedef void (*DfProgressFunc) (const DfProgress *progress, gpointer user_data);
typedef void (*DfLogFunc) (const gchar *line, gpointer user_data);

typedef struct _DfJob DfJob;

DfJob    *df_job_new (DfDevice *device, DfImage *image, const DfPlanOptions *options);
DfJob    *df_job_ref (DfJob *job);
void      df_job_unref (DfJob *job);
void      df_job_set_force (DfJob *job, gboolean force);
void      df_job_set_backup (DfJob *job, const gchar *path);
void      df_job_set_progress_func (DfJob *job, DfProgressFunc func, gpointer user_data);
void      df_job_set_log_func (DfJob *job, DfLogFunc func, gpointer user_data);

/* runs on the calling thread; the error says what failed, where, what the
 * device said and what to do, and after a cancel what was written */
gboolean  df_job_run (DfJob *job, GCancellable *cancellable, GError **error);
/* the same on a worker thread (GTask) */
void      df_job_run_async (DfJob *job, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data);
gboolean  df_job_run_finish (DfJob *job, GAsyncResult *result, GError **error);

DfDevice *df_job_get_device (DfJob *job);
/* a MicroPython board after leave: what it runs now (NULL: not a
 * MicroPython board, or not back, with the reason in *error) */
DfMicroPython *df_job_get_now_running (DfJob *job, const GError **error);   /* after a detach, the DFU-mode one */
DfPlan   *df_job_get_plan (DfJob *job);     /* NULL before planning */
guint64   df_job_get_transfers (DfJob *job);
gdouble   df_job_get_elapsed (DfJob *job);
guint     df_job_get_skipped_sectors (DfJob *job);
guint     df_job_get_retries (DfJob *job);   /* steps retried after a hiccup */
guint     df_job_get_resumes (DfJob *job);   /* times the device reset and the job went on */
/* the device went away in the leave step, after everything was written and
 * verified: a success, but the new firmware starts at the next power-up */
gboolean  df_job_get_gone_before_start (DfJob *job);

/* Polls the bus until same (was, candidate) finds the device again under
 * a new device number: after a detach, a reset or a read-unprotect.  NULL
 * after timeout_ms with no error set, or with the error of a cancel. */
typedef gboolean (*DfSameDeviceFunc) (DfDevice *was, DfDevice *candidate);
DfDevice *df_device_wait_for (DfDevice *was, guint timeout_ms, DfSameDeviceFunc same,
                              GCancellable *cancellable, GError **error);

/* Detach a runtime-mode device and wait for it in DFU mode (same port or
 * serial); returns the DFU-mode device. */
DfDevice *df_device_detach_and_wait (DfDevice *device, GCancellable *cancellable, GError **error);

/* DfuSe read-unprotect: the chip erases ALL its memory and resets; waits
 * for it to come back and returns it. */
DfDevice *df_device_unprotect_and_wait (DfDevice *device, GCancellable *cancellable, GError **error);

/* Read length bytes at address of alt (DfuSe) or the whole upload (plain
 * DFU, address ignored) */
GBytes   *df_device_read_memory (DfDevice *device, guint8 alt, guint32 address, gsize length,
                                 DfProgressFunc func, gpointer user_data,
                                 GCancellable *cancellable, GError **error);

/* Leave DFU mode now (df-command.c): a DfuSe device jumps to address (its
 * first region's start without one), a plain DFU device is detached and
 * reset.  The device going away while it leaves is success. */
gboolean  df_device_leave (DfDevice *device, guint8 alt, gboolean has_address, guint32 address,
                           GCancellable *cancellable, GError **error);
/* DfuSe mass erase: the whole memory of alt, data included */
gboolean  df_device_mass_erase (DfDevice *device, guint8 alt, GCancellable *cancellable,
                                GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfJob, df_job_unref)

G_END_DECLS
