/* defuse-keyboard-words.h: a plan for an AVR keyboard (Atmel FLIP) in the
 * window's words: a chip erase of everything below the bootloader rather
 * than sectors, and the EEPROM beside the flash. */
#pragma once

#include "df-plan.h"

G_BEGIN_DECLS

/* the verdict's row for a plan that can go on: its title and sentence */
gchar *defuse_keyboard_fit (DfPlan *plan, const gchar **title);
/* a row for what Defuse cannot know before it asks the keyboard (an
 * EEPROM write may need a chip erase on Atmel's factory bootloader), or
 * NULL */
const gchar *defuse_keyboard_erase_note (DfPlan *plan, const gchar **title);
/* the memory map's line under a keyboard memory */
gchar *defuse_keyboard_map_summary (DfPlan *plan, guint8 memory, guint64 written);

G_END_DECLS
