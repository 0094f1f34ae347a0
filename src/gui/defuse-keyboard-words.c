/* defuse-keyboard-words.c: see defuse-keyboard-words.h */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "df-catalog.h"
#include "df-flip.h"
#include "defuse-keyboard-words.h"

static gchar *
size_text (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static guint64
written_to (DfPlan *plan, guint8 memory)
{
  guint64 total = 0;

  for (guint t = 0; t < plan->targets->len; t++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, t);
      for (guint i = 0; target->alt == memory && i < target->writes->len; i++)
        total += g_bytes_get_size (((DfPlanWrite *) g_ptr_array_index (target->writes, i))->data);
    }
  return total;
}

gchar *
defuse_keyboard_fit (DfPlan *plan, const gchar **title)
{
  const DfFlipChip *chip = plan->device->flip_chip;
  g_autofree gchar *app = size_text (df_flip_chip_app_size (chip));
  g_autofree gchar *boot = size_text (chip->bootloader_size);
  g_autofree gchar *flash = size_text (written_to (plan, DF_FLIP_FLASH));
  g_autofree gchar *eeprom = size_text (written_to (plan, DF_FLIP_EEPROM));
  g_autofree gchar *eeprom_size = size_text (chip->eeprom_size);

  if (written_to (plan, DF_FLIP_FLASH) > 0)
    {
      *title = _("Fits below the bootloader");
      /* TRANSLATORS: "12.1 KiB of firmware go into the 28 KiB of flash below the bootloader..." */
      return g_strdup_printf (_("%s of firmware go into the %s of flash below the bootloader. The chip erase "
                                "clears all of it first; the bootloader (%s) is kept."), flash, app, boot);
    }
  *title = _("Goes into the EEPROM");
  /* TRANSLATORS: "15 bytes go into the keyboard’s EEPROM (1 KiB)..." */
  return g_strdup_printf (_("%s go into the keyboard’s EEPROM (%s), where it keeps its settings. Its firmware is "
                            "kept."), eeprom, eeprom_size);
}

const gchar *
defuse_keyboard_erase_note (DfPlan *plan, const gchar **title)
{
  const DfCatalogEntry *entry = df_catalog_lookup (plan->device);

  /* QMK's DFU bootloader is never locked; Atmel's factory one is until a
   * chip erase, and only the keyboard can say which it is */
  if (written_to (plan, DF_FLIP_FLASH) > 0 || written_to (plan, DF_FLIP_EEPROM) == 0 ||
      (entry != NULL && g_strcmp0 (entry->id, "qmk-dfu") == 0))
    return NULL;
  *title = _("May need a chip erase first");
  return _("Atmel’s factory bootloader writes the EEPROM only after a chip erase, which also deletes the firmware. "
           "If this keyboard has it, Defuse asks before erasing anything.");
}

gchar *
defuse_keyboard_map_summary (DfPlan *plan, guint8 memory, guint64 written)
{
  const DfFlipChip *chip = plan->device->flip_chip;
  g_autofree gchar *app = size_text (df_flip_chip_app_size (chip));
  g_autofree gchar *boot = size_text (chip->bootloader_size);
  g_autofree gchar *size = size_text (written);

  if (written == 0)
    return g_strdup (_("Kept: nothing is written here"));
  if (memory == DF_FLIP_EEPROM)
    /* TRANSLATORS: memory map line under a keyboard's EEPROM */
    return g_strdup_printf (_("%s written · nothing erased"), size);
  /* TRANSLATORS: memory map line under a keyboard's flash: "28 KiB erased · 12.1 KiB written · the bootloader's 4 KiB kept" */
  return g_strdup_printf (_("%s erased · %s written · the bootloader’s %s kept"), app, size, boot);
}
