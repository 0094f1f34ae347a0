/* defuse-keyboard-panel.h: QMK Toolbox's keyboard tools for a selected
 * keyboard with an Atmel FLIP bootloader (Clear EEPROM, Set Left Hand,
 * Set Right Hand), and the progress and result of the last one run.  The
 * buttons are the win.keyboard-eeprom action (defuse-window-keyboard.c). */
#pragma once

#include <adwaita.h>

#include "df-device.h"
#include "defuse-flash-task.h"

G_BEGIN_DECLS

/* what a keyboard tool writes to the EEPROM */
typedef enum {
  DEFUSE_KEYBOARD_CLEAR,
  DEFUSE_KEYBOARD_LEFT,
  DEFUSE_KEYBOARD_RIGHT,
} DefuseKeyboardTool;

#define DEFUSE_TYPE_KEYBOARD_PANEL (defuse_keyboard_panel_get_type ())
G_DECLARE_FINAL_TYPE (DefuseKeyboardPanel, defuse_keyboard_panel, DEFUSE, KEYBOARD_PANEL, GtkWidget)

/* shown only for a FLIP device; another device hides a finished result */
void defuse_keyboard_panel_set_device (DefuseKeyboardPanel *self, DfDevice *device);
/* a running or finished tool; erased: the chip erase ran first */
void defuse_keyboard_panel_set_task (DefuseKeyboardPanel *self, DefuseFlashTask *task, DefuseKeyboardTool tool,
                                     gboolean erased);
DefuseFlashTask *defuse_keyboard_panel_get_task (DefuseKeyboardPanel *self);

G_END_DECLS
