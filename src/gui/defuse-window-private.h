/* defuse-window-private.h: the window's state, shared by the files that
 * make up the window (defuse-window*.c, one concern each) and the tests. */
#pragma once

#include "df-device.h"
#include "df-monitor.h"
#include "df-plan.h"
#include "defuse-bench-panel.h"
#include "defuse-device-row.h"
#include "defuse-flash-panel.h"
#include "defuse-flash-task.h"
#include "defuse-inspector.h"
#include "defuse-keyboard-panel.h"
#include "defuse-memory-map.h"
#include "defuse-verdict.h"
#include "defuse-window.h"

G_BEGIN_DECLS

/* defuse-micropython-updates.c */
typedef struct _DefuseMicroPythonUpdates DefuseMicroPythonUpdates;

struct _DefuseWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *content_box;
  GtkStack             *device_stack;
  GtkLabel             *monitor_error_label;
  GtkWidget            *permission_box;
  GtkListBox           *steps_list;
  GtkLabel             *permission_commands;
  GtkListBox           *device_list;
  GtkWidget            *flash_all_button;
  AdwViewSwitcherTitle *window_title;
  GtkActionBar         *switcher_bar;
  GtkWidget            *drop_zone;
  GtkStack             *content_stack;
  GtkSpinner           *loading_spinner;
  AdwViewStack         *view_stack;
  GtkRevealer          *banner;
  GtkLabel             *banner_label;
  GtkLabel             *summary_title;
  GtkLabel             *summary_facts;
  GtkWidget            *address_box;
  GtkLabel             *address_label;
  GtkButton            *address_button;
  GtkWidget            *raw_button;
  GtkWidget            *file_error_box;
  GtkLabel             *file_error_label;
  DefuseVerdict        *verdict;
  GtkWidget            *map_group;
  GtkStack             *map_stack;
  GtkLabel             *map_none_label;
  DefuseMemoryMap      *memory_map;
  DefuseFlashPanel     *flash_panel;
  DefuseBenchPanel     *bench_panel;
  DefuseInspector      *inspector;
  DefuseKeyboardPanel  *keyboard_panel;

  GSettings            *settings;
  DfMonitor            *monitor;
  GHashTable           *rows;          /* device id → DefuseDeviceRow */
  GHashTable           *tasks;         /* device id → running DefuseFlashTask */
  gchar                *selected_id;   /* the device the Flash button flashes */

  GFile                *file;
  DfImage              *image;
  /* a raw binary, or a plain DFU file on a board that needs an address,
   * placed where the user said */
  gboolean              has_address;
  guint32               address;
  DfPlan               *plan;          /* image on the selected device */
  GCancellable         *cancellable;   /* file loads and detaches; cancelled on dispose */
  guint                 load_serial;   /* a newer load wins over an older one */
  gchar                *offer_flash_id; /* a file dropped on this device's row */
  gboolean              flash_at_once;  /* ...or an update the user asked for: no offer, flash */
  gchar                *blocker;        /* why the Flash button is off */
  gboolean              unprotecting;   /* a read-unprotect runs */
  guint                 batch_running;  /* the boards of a Flash All still flashing */
  guint                 batch_ok, batch_failed, batch_cancelled;
  DefuseMicroPythonUpdates *micropython; /* releases looked up, downloads running */
};

/* defuse-window.c */
void             defuse_window_update_plan (DefuseWindow *self);
/* the flash options the panel's switches say (the plan sends an .eep file
 * to a keyboard's EEPROM by itself) */
void             _defuse_window_plan_options (DefuseWindow *self, DfPlanOptions *options);
void             defuse_window_update_state (DefuseWindow *self);
void             defuse_window_toast (DefuseWindow *self, const gchar *message);
/* opens file; when it is read, offers to flash the device with this id */
void             defuse_window_open_file_for_device (DefuseWindow *self, GFile *file, const gchar *device_id);
/* opens file and, once read, flashes it to that device without offering
 * first (the user asked for it: a MicroPython update) */
void             defuse_window_flash_file_on_device (DefuseWindow *self, GFile *file, const gchar *device_id);
/* a raw binary's load address, asked again (or first, for a plain DFU
 * file on a board that needs one) */
void             _defuse_window_ask_address (DefuseWindow *self);
/* the summary's "Placed at 0x08000000 · Change…", or "No load address ·
 * Set Address…" when the plan needs one */
void             _defuse_window_show_address (DefuseWindow *self);
/* a flash owns its file and board: while one runs, or bench mode is
 * armed, another file opens in a window of its own */
gboolean         _defuse_window_is_busy (DefuseWindow *self);

/* defuse-window-devices.c */
void             defuse_window_add_device (DefuseWindow *self, DfDevice *device);
void             defuse_window_remove_device (DefuseWindow *self, DfDevice *device);
void             defuse_window_select_device (DefuseWindow *self, const gchar *id);
DfDevice        *defuse_window_get_selected_device (DefuseWindow *self);
/* follows the shared DfMonitor (unless DEFUSE_NO_MONITOR: tests add devices) */
void             _defuse_window_devices_start_monitor (DefuseWindow *self);
/* in DFU mode, or a MicroPython board that answered: the flash can go to it */
gboolean         _defuse_window_device_is_flashable (DfDevice *device);
void             _defuse_window_devices_fill_steps (DefuseWindow *self);

/* defuse-window-actions.c */
void             _defuse_window_class_actions_init (GtkWidgetClass *widget_class);
void             _defuse_window_actions_update (DefuseWindow *self);
void             _defuse_window_offer_flash (DefuseWindow *self, const gchar *device_id);

/* starts a task made for a device: the window tracks it, its row shows it */
void             _defuse_window_run_task (DefuseWindow *self, DefuseFlashTask *task);

/* defuse-window-keyboard.c */
void             _defuse_window_class_keyboard_init (GtkWidgetClass *widget_class);
void             _defuse_window_keyboard_update (DefuseWindow *self);
/* a locked keyboard refused an EEPROM write: asks to erase it first */
void             _defuse_window_keyboard_task_finished (DefuseWindow *self, DefuseFlashTask *task);

/* defuse-window-device-steps.c: win.detach, win.unprotect */
void             _defuse_window_class_device_steps_init (GtkWidgetClass *widget_class);

/* defuse-window-dnd.c */
void             _defuse_window_dnd_init (DefuseWindow *self);
void             _defuse_window_dnd_attach_row (DefuseWindow *self, DefuseDeviceRow *row);

/* defuse-window-bench.c */
void             _defuse_window_class_bench_init (GtkWidgetClass *widget_class);
void             _defuse_window_bench_init (DefuseWindow *self);
/* whether bench mode can be armed for the file, and is */
void             _defuse_window_bench_update (DefuseWindow *self);

/* defuse-micropython-updates.c */
void             _defuse_window_class_micropython_init (GtkWidgetClass *widget_class);
void             _defuse_window_micropython_init (DefuseWindow *self);
void             _defuse_window_micropython_dispose (DefuseWindow *self);
/* a device row: MicroPython's version and updates, or Get MicroPython… */
void             _defuse_window_micropython_attach_row (DefuseWindow *self, DefuseDeviceRow *row);

G_END_DECLS
