/* defuse-failure.h: what the failure page offers besides the error:
 * "Copy Report" (the versions of Defuse, libusb and the kernel, the device
 * and the quirks that apply to it, the plan, the log and the error with
 * its kind) and "Save USB Trace" (every control transfer of the flash as
 * a pcapng file for Wireshark, kept in memory while the app runs). */
#pragma once

#include <gtk/gtk.h>

#include "defuse-flash-task.h"

G_BEGIN_DECLS

/* the memory trace every flash of the app writes to, emptied when a flash
 * starts while no other runs */
void     defuse_failure_trace_begin (void);
void     defuse_failure_trace_end (void);

gchar   *defuse_failure_report (DefuseFlashTask *task);
void     defuse_failure_copy_report (GtkWidget *widget, DefuseFlashTask *task);
/* asks where, then writes the trace there */
void     defuse_failure_save_trace (GtkWidget *widget);
gboolean defuse_failure_write_trace (const gchar *path, GError **error);

G_END_DECLS
