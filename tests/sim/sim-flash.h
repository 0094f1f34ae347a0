/* sim-flash.h: the memory of a virtual device: regions cut into sectors,
 * programmed the way NOR flash is (see sim-flash.c for the rules and why).
 */
#pragma once

#include <glib.h>

#include "df-layout.h"

G_BEGIN_DECLS

typedef enum {
  SIM_MEMORY_FLASH,  /* NOR: erase sets the erased value, programming only clears bits */
  SIM_MEMORY_RAM,    /* option bytes, feature registers: a write replaces bytes */
} SimMemoryKind;

typedef enum {
  SIM_PARTIAL_PAD,    /* the last unit is padded with the erased value and programmed */
  SIM_PARTIAL_DROP,   /* the bytes of an incomplete last unit are not programmed */
  SIM_PARTIAL_ERROR,  /* the write fails with partial_status */
} SimPartialPolicy;

typedef enum {
  SIM_OVERWRITE_AND,   /* cells become old AND new (no ECC: STM32F4) */
  SIM_OVERWRITE_KEEP,  /* the controller refuses the unit (PGERR/PROGERR: F0, F1, L4, H7) */
} SimOverwrite;

typedef struct {
  guint            program_unit;      /* bytes programmed at once: 1, 2, 4, 8, 32 */
  SimPartialPolicy partial;
  guint8           partial_status;
  guint8           misaligned_status; /* a write not starting on a unit; 0 = allowed */
  SimOverwrite     overwrite;
  guint8           overwrite_status;  /* reported when an unerased unit comes out wrong; 0 = silent */
  guint8           erased;            /* the erased value, 0xFF */
} SimFlashRules;

void sim_flash_rules_init (SimFlashRules *rules);  /* F4-like: unit 4, pad, AND, errVERIFY */

typedef struct _SimMemory SimMemory;

SimMemory *sim_memory_new (void);
void       sim_memory_free (SimMemory *memory);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimMemory, sim_memory_free)

/* adds every region of geometry as memory of alt, filled with the erased
 * value (or fill from the region's start) */
void       sim_memory_add (SimMemory *memory, guint alt, const DfLayout *geometry,
                           SimMemoryKind kind, const SimFlashRules *rules, GBytes *fill);

/* What a write did: a DFU bStatus (0 = OK), how many bytes were programmed
 * and how many program units that took (for the busy time). */
typedef struct {
  guint8  status;
  gsize   programmed;
  guint64 units;
} SimProgramResult;

/* programs len bytes at address in alt's memory; at most limit bytes are
 * programmed (a device that dies mid-write), G_MAXSIZE for all */
SimProgramResult sim_memory_program (SimMemory *memory, guint alt, guint32 address,
                                     const guint8 *data, gsize len, gsize limit);
/* erases the sector holding address; its geometry in *sector */
guint8     sim_memory_erase_sector (SimMemory *memory, guint alt, guint32 address, DfSector *sector);
/* erases every erasable sector of the flash regions of alt; bytes erased */
guint64    sim_memory_erase_all (SimMemory *memory, guint alt);
/* reads up to len bytes at address: fewer at the end of a region or of the
 * readable sectors; *status is errTARGET when nothing there is readable */
gsize      sim_memory_read (SimMemory *memory, guint alt, guint32 address,
                            guint8 *buf, gsize len, guint8 *status);
/* TRUE when address lies in alt's memory */
gboolean   sim_memory_contains (SimMemory *memory, guint alt, guint32 address);
/* a view of length bytes at address in any alt, NULL when not all mapped */
const guint8 *sim_memory_peek (SimMemory *memory, guint32 address, gsize length);

/* "Main flash": alt's regions from its first one, merged while they are
 * contiguous (the two banks of an STM32H743 make one 2 MiB image) */
gboolean   sim_memory_get_main (SimMemory *memory, guint alt, guint32 *start, gsize *size);
gboolean   sim_memory_load (SimMemory *memory, guint alt, const gchar *path, GError **error);
gboolean   sim_memory_save (SimMemory *memory, guint alt, const gchar *path, GError **error);

G_END_DECLS
