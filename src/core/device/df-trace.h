/* df-trace.h: a USB trace of every control transfer, in the pcapng format
 * Wireshark and tshark open (records of LINKTYPE_USB_LINUX_MMAPPED, as
 * usbmon captures them), so their USB and DFU dissectors decode it: the
 * device's descriptors first (GET_DESCRIPTOR device and configuration,
 * which tell Wireshark the interface is DFU), then each request as a
 * submission and its completion.
 *
 * Off unless a trace is set as the default (defuse-cli --trace, the GUI
 * for its failure page): then the libusb transport writes to it; when off
 * a request costs one NULL check. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _DfTrace DfTrace;

/* the trace streams to path (created or replaced) */
DfTrace *df_trace_new_file (const gchar *path, GError **error);
/* the trace is kept in memory until df_trace_save() */
DfTrace *df_trace_new_memory (void);
/* flushes (a file) and frees; FALSE if writing the file failed */
gboolean df_trace_close (DfTrace *trace, GError **error);
/* a memory trace: writes what it holds to path */
gboolean df_trace_save (DfTrace *trace, const gchar *path, GError **error);
/* a memory trace: forgets what it holds (a new flash starts) */
void     df_trace_clear (DfTrace *trace);
guint64  df_trace_get_transfers (DfTrace *trace);

/* the process-wide trace the USB code writes to; NULL (the default): off */
void     df_trace_set_default (DfTrace *trace);
DfTrace *df_trace_get_default (void);

/* one control transfer on bus/address: the setup packet, the data sent or
 * received (actual bytes), its status as usbmon gives it (0, -EPIPE for a
 * stall, -ETIMEDOUT, -ENODEV...), and when it was submitted and done
 * (g_get_real_time) */
void     df_trace_control (DfTrace *trace, guint8 bus, guint8 address,
                           guint8 request_type, guint8 request, guint16 value, guint16 index,
                           guint16 length, const guint8 *data, gsize actual, gint status,
                           gint64 submitted_us, gint64 completed_us);

G_END_DECLS
