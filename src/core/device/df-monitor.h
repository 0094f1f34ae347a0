/* df-monitor.h: the live list of DFU devices.  A worker thread watches the
 * bus (libusb hotplug where the platform has it, polling otherwise),
 * enumerates there (reading strings is USB traffic: never on the main
 * thread), and emits "device-added" / "device-removed" in the main context
 * of the thread that created the monitor. */
#pragma once

#include <gio/gio.h>

#include "df-device.h"

G_BEGIN_DECLS

#define DF_TYPE_MONITOR (df_monitor_get_type ())
G_DECLARE_FINAL_TYPE (DfMonitor, df_monitor, DF, MONITOR, GObject)

DfMonitor *df_monitor_new (void);
/* starts watching; the devices already present arrive as "device-added" */
gboolean   df_monitor_start (DfMonitor *self, GError **error);
/* enumerate again now (F5 in the GUI), e.g. after fixing permissions */
void       df_monitor_rescan (DfMonitor *self);
/* the current devices, of DfDevice (transfer container) */
GPtrArray *df_monitor_get_devices (DfMonitor *self);

G_END_DECLS
