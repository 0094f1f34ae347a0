#include <inttypes.h>
#include <glib/gi18n.h>

#include "df-flip.h"
#include "df-plan-private.h"

/* an .eep file holds EEPROM contents (avr-objcopy -j .eeprom, QMK's
 * eeprom-lefthand.eep): with no memory chosen it goes to the EEPROM, never
 * into the flash, where it would overwrite the keyboard's firmware */
gboolean
df_plan_flip_is_eeprom_file (DfImage *image)
{
  g_autofree gchar *name = image->source != NULL ? g_ascii_strdown (image->source, -1) : NULL;

  return name != NULL && g_str_has_suffix (name, ".eep");
}

gboolean
df_plan_flip_check_segments (DfPlan *plan, GPtrArray *segments, guint8 memory)
{
  const DfFlipChip *chip = plan->device->flip_chip;
  guint32 app = df_flip_chip_app_size (chip);

  if (memory > DF_FLIP_EEPROM)
    {
      df_plan_add_problem (plan, FALSE, _("the %s has two memories, flash (0) and EEPROM (1); there is no memory %u"),
                           chip->name, memory);
      return FALSE;
    }
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      guint32 start = segment->has_address ? segment->address : plan->options.address;
      gsize size = g_bytes_get_size (segment->data);
      guint64 end = (guint64) start + size;   /* exclusive */

      if (size == 0)
        continue;
      if (memory == DF_FLIP_EEPROM && end > chip->eeprom_size)
        {
          df_plan_add_problem (plan, FALSE,
                               _("the EEPROM file writes up to 0x%05" PRIx64 ", but the %s has %u bytes of EEPROM: "
                                 "the file is for a bigger chip; use the EEPROM file built for this keyboard"),
                               end - 1, chip->name, chip->eeprom_size);
          return FALSE;
        }
      if (memory == DF_FLIP_FLASH && end > chip->flash_size)
        {
          g_autofree gchar *flash = g_format_size_full (chip->flash_size, G_FORMAT_SIZE_IEC_UNITS);
          df_plan_add_problem (plan, FALSE,
                               _("the file writes up to 0x%05" PRIx64 ", but the %s has %s of flash: it is built "
                                 "for a bigger chip; use the firmware built for this keyboard's %s "
                                 "(in QMK, MCU = %s)"),
                               end - 1, chip->name, flash, chip->name, chip->mcu);
          return FALSE;
        }
      if (memory == DF_FLIP_FLASH && end > app)
        {
          df_plan_add_problem (plan, FALSE,
                               _("the file writes 0x%05" PRIx64 "–0x%05" PRIx64 ", inside the bootloader section of "
                                 "the %s (0x%05x–0x%05x, %u KiB), which the bootloader never overwrites: the firmware "
                                 "is built for a chip without this bootloader or with a smaller one; build it for "
                                 "this bootloader (in QMK, BOOTLOADER = atmel-dfu, lufa-dfu or qmk-dfu) so it ends "
                                 "below 0x%05x"),
                               (guint64) MAX (start, app), end - 1, chip->name, app, chip->flash_size - 1,
                               chip->bootloader_size / 1024, app);
          return FALSE;
        }
    }
  return TRUE;
}

void
df_plan_flip_finish (DfPlan *plan)
{
  plan->erase_bytes = 0;
  plan->erase_count = 0;
  for (guint t = 0; t < plan->targets->len; t++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, t);

      /* the EEPROM is written byte by byte, never erased */
      if (target->alt != DF_FLIP_FLASH)
        for (guint i = 0; i < target->sectors->len; i++)
          g_array_index (target->sectors, DfPlanSector, i).erase = FALSE;
      if (target->alt != DF_FLIP_FLASH || target->writes->len == 0)
        continue;
      /* the chip erase clears every application page, touched or not */
      for (guint i = 0; i < target->sectors->len; i++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
          s->erase = (s->flags & DF_SECTOR_WRITEABLE) != 0;
          if (s->erase)
            plan->erase_bytes += s->size;
        }
      plan->erase_count = 1;
    }
}
