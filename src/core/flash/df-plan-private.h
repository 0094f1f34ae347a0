/* df-plan-private.h: what df-plan.c shares with the FLIP planning
 * (df-plan-flip.c). */
#pragma once

#include "df-plan.h"

G_BEGIN_DECLS

void     df_plan_add_problem (DfPlan *plan, gboolean overridable, const gchar *format, ...) G_GNUC_PRINTF (3, 4);

/* FLIP: FALSE, with one problem saying why and what to do, when a segment
 * of the file reaches past the chip's memory or into its bootloader
 * section (memory 0 the flash, 1 the EEPROM) */
gboolean df_plan_flip_is_eeprom_file (DfImage *image);
gboolean df_plan_flip_check_segments (DfPlan *plan, GPtrArray *segments, guint8 memory);
/* FLIP: one chip erase clears the whole application section */
void     df_plan_flip_finish (DfPlan *plan);

G_END_DECLS
