/* defuse-flash-task.h: one flash of one device as the GUI sees it: a DfJob
 * on a worker thread whose progress and log arrive in the main loop as
 * signals, rate-limited, and stop arriving once the task object is gone. */
#pragma once

#include <glib-object.h>

#include "df-job.h"

G_BEGIN_DECLS

typedef enum {
  DEFUSE_FLASH_RUNNING,
  DEFUSE_FLASH_SUCCEEDED,
  DEFUSE_FLASH_FAILED,
  DEFUSE_FLASH_CANCELLED,
} DefuseFlashState;

#define DEFUSE_TYPE_FLASH_TASK (defuse_flash_task_get_type ())
G_DECLARE_FINAL_TYPE (DefuseFlashTask, defuse_flash_task, DEFUSE, FLASH_TASK, GObject)

DefuseFlashTask  *defuse_flash_task_new (DfDevice *device, DfImage *image,
                                         const DfPlanOptions *options, gboolean force,
                                         const gchar *backup_path);
void              defuse_flash_task_start (DefuseFlashTask *self);
void              defuse_flash_task_cancel (DefuseFlashTask *self);
GCancellable     *defuse_flash_task_get_cancellable (DefuseFlashTask *self);

DfDevice         *defuse_flash_task_get_device (DefuseFlashTask *self);
DfImage          *defuse_flash_task_get_image (DefuseFlashTask *self);
const gchar      *defuse_flash_task_get_device_id (DefuseFlashTask *self);
DefuseFlashState  defuse_flash_task_get_state (DefuseFlashTask *self);
const DfProgress *defuse_flash_task_get_progress (DefuseFlashTask *self);
const GError     *defuse_flash_task_get_error (DefuseFlashTask *self);
const gchar      *defuse_flash_task_get_log (DefuseFlashTask *self);
const gchar      *defuse_flash_task_get_backup_path (DefuseFlashTask *self);
gdouble           defuse_flash_task_get_elapsed (DefuseFlashTask *self);
/* flashed, but the device went before it was told to start the new
 * firmware (the result's hint says how to start it) */
gboolean          defuse_flash_task_get_not_started (DefuseFlashTask *self);
/* after a success: whether the whole write was read back and compared,
 * and if not because the device cannot, why (NULL when Verify was off) */
gboolean          defuse_flash_task_get_verified (DefuseFlashTask *self);
const gchar      *defuse_flash_task_get_not_verified (DefuseFlashTask *self);
/* the flash was asked to start the new firmware at the end */
gboolean          defuse_flash_task_get_leave (DefuseFlashTask *self);
/* another program holds the device, and nothing was sent to it */
gboolean          defuse_flash_task_is_refused (DefuseFlashTask *self);
/* the error in the window's words, a sentence a line; NULL without one */
gchar            *defuse_flash_task_describe_error (DefuseFlashTask *self);
/* what to do next, for this task's error and device */
const gchar      *defuse_flash_task_get_hint (DefuseFlashTask *self);
/* a MicroPython board, once flashed and back: "Now running MicroPython
 * v1.25.0 on ..." (or why it was not seen back); NULL otherwise */
const gchar      *defuse_flash_task_get_now_running (DefuseFlashTask *self);

G_END_DECLS
