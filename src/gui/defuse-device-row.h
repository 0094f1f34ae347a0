/* defuse-device-row.h: one DFU device in the device list: what it is,
 * its memories when expanded, and the progress of a flash running on it. */
#pragma once

#include <adwaita.h>

#include "df-bench.h"
#include "df-device.h"
#include "defuse-flash-task.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_DEVICE_ROW (defuse_device_row_get_type ())
G_DECLARE_FINAL_TYPE (DefuseDeviceRow, defuse_device_row, DEFUSE, DEVICE_ROW, AdwExpanderRow)

DefuseDeviceRow *defuse_device_row_new (DfDevice *device);
DfDevice        *defuse_device_row_get_device (DefuseDeviceRow *self);
const gchar     *defuse_device_row_get_id (DefuseDeviceRow *self);

/* the radio button that makes this the device the window flashes */
GtkCheckButton  *defuse_device_row_get_check (DefuseDeviceRow *self);
/* shows the progress and outcome of a flash of this device; NULL hides it */
void             defuse_device_row_set_task (DefuseDeviceRow *self, DefuseFlashTask *task);
/* a board of bench mode: its progress, then its result */
void             defuse_device_row_show_board (DefuseDeviceRow *self, DfBoard *board);
/* a row of actions, right under Switch to DFU Mode */
void             defuse_device_row_add_action_row (DefuseDeviceRow *self, GtkWidget *row);
/* "Switching to DFU mode…" while a detach runs */
void             defuse_device_row_set_busy (DefuseDeviceRow *self, gboolean busy);

G_END_DECLS
