/* defuse-flash-panel.h: the options of a flash (remembered in GSettings),
 * the Flash button, and then the progress, result and log of one task;
 * "task-changed" when a task is shown or no longer. */
#pragma once

#include <adwaita.h>

#include "defuse-flash-task.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_FLASH_PANEL (defuse_flash_panel_get_type ())
G_DECLARE_FINAL_TYPE (DefuseFlashPanel, defuse_flash_panel, DEFUSE, FLASH_PANEL, GtkWidget)

/* verify, diff, leave and mass_erase as the switches say */
void             defuse_flash_panel_get_options (DefuseFlashPanel *self, DfPlanOptions *options);
gboolean         defuse_flash_panel_get_backup (DefuseFlashPanel *self);
/* offers only the options the plan's board can do; a mismatch makes Flash
 * a "Flash Anyway…" in the destructive style */
void             defuse_flash_panel_set_plan (DefuseFlashPanel *self, DfPlan *plan, gboolean mismatch);
/* the finished flash's main button takes the focus */
void             defuse_flash_panel_focus_result (DefuseFlashPanel *self);
/* why the Flash button is insensitive, or NULL */
void             defuse_flash_panel_set_blocker (DefuseFlashPanel *self, const gchar *reason);
/* why Flash Again is off (its tooltip); NULL when it is on */
void             defuse_flash_panel_set_again_blocker (DefuseFlashPanel *self, const gchar *reason);
/* shows a running or finished task; NULL goes back to the options */
void             defuse_flash_panel_set_task (DefuseFlashPanel *self, DefuseFlashTask *task);
DefuseFlashTask *defuse_flash_panel_get_task (DefuseFlashPanel *self);

G_END_DECLS
