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
} DefuseSectorKind;

#define DEFUSE_TYPE_MEMORY_MAP (defuse_memory_map_get_type ())
G_DECLARE_FINAL_TYPE (DefuseMemoryMap, defuse_memory_map, DEFUSE, MEMORY_MAP, GtkWidget)

GtkWidget        *defuse_memory_map_new (void);
/* NULL clears the map */
void              defuse_memory_map_set_plan (DefuseMemoryMap *self, DfPlan *plan);

/* what is drawn, for tests and accessibility: one row per alt setting */
guint             defuse_memory_map_get_n_rows (DefuseMemoryMap *self);
guint             defuse_memory_map_get_n_sectors (DefuseMemoryMap *self, guint row);
DefuseSectorKind  defuse_memory_map_get_sector_kind (DefuseMemoryMap *self, guint row, guint sector);
/* whether the map marks a MicroPython board's files, and if this flash
 * erases them */
gboolean          defuse_memory_map_shows_files (DefuseMemoryMap *self, gboolean *erased);
/* bytes of the file's elements outside the alt's memory */
guint64           defuse_memory_map_get_outside_bytes (DefuseMemoryMap *self, guint row);

G_END_DECLS
