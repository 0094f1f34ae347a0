/* defuse-memory-map.h: draws a plan against the device's memory: per alt
 * setting, every sector of its layout and what the flash does to it. */
#pragma once

#include <gtk/gtk.h>

#include "df-plan.h"

G_BEGIN_DECLS

typedef enum {
  DEFUSE_SECTOR_UNTOUCHED,
  DEFUSE_SECTOR_ERASE_WRITE,   /* erased, then written */
  DEFUSE_SECTOR_WRITE,         /* written without an erase of its own */
  DEFUSE_SECTOR_ERASE_ONLY,    /* erased by a mass erase, nothing written */
  DEFUSE_SECTOR_NO_FIT,        /* the file writes here but the device cannot */
  DEFUSE_SECTOR_BOOTLOADER,    /* a keyboard's bootloader section: never written */
} DefuseSectorKind;

#define DEFUSE_TYPE_MEMORY_MAP (defuse_memory_map_get_type ())
G_DECLARE_FINAL_TYPE (DefuseMemoryMap, defuse_memory_map, DEFUSE, MEMORY_MAP, GtkWidget)

GtkWidget        *defuse_memory_map_new (void);
/* NULL clears the map */
void              defuse_memory_map_set_plan (DefuseMemoryMap *self, DfPlan *plan);

/* what is drawn, for tests and accessibility: one row per alt setting */
guint             defuse_memory_map_get_n_rows (DefuseMemoryMap *self);
/* the row's heading: the memory's name ("Internal Flash"), else "Memory 2" */
const gchar      *defuse_memory_map_get_row_title (DefuseMemoryMap *self, guint row);
guint             defuse_memory_map_get_n_sectors (DefuseMemoryMap *self, guint row);
DefuseSectorKind  defuse_memory_map_get_sector_kind (DefuseMemoryMap *self, guint row, guint sector);
/* whether the map marks a MicroPython board's files, and if this flash
 * erases them */
gboolean          defuse_memory_map_shows_files (DefuseMemoryMap *self, gboolean *erased);
/* bytes of the file's elements outside the alt's memory */
guint64           defuse_memory_map_get_outside_bytes (DefuseMemoryMap *self, guint row);

/* The selected sector, which the line under the map and screen readers
 * describe.  Every plan with sectors has one (at first the first sector
 * the flash touches); keys, clicks and defuse_memory_map_select() move it
 * and emit "selection-changed".  FALSE: nothing to select. */
gboolean          defuse_memory_map_get_selected (DefuseMemoryMap *self, guint *row, guint *sector);
/* FALSE if the row has no such sector (or is a message, not a bar) */
gboolean          defuse_memory_map_select (DefuseMemoryMap *self, guint row, guint sector);
/* the line under the map: the hovered sector, else the selected one, e.g.
 * "Sector 5 · 0x08020000–0x0803FFFF · 128 KiB · erased, then written\n
 * Internal Flash, alt setting 0"; "" when nothing is selected */
const gchar      *defuse_memory_map_get_detail (DefuseMemoryMap *self);

G_END_DECLS
