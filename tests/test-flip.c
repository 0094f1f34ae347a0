/* test-flip: Atmel FLIP without USB: the chip table, the quirk table's
 * choice of FLIP for the AVR ids, the plan's refusals (bootloader section,
 * bigger chip), and the EEPROM images against QMK's own files. */
#include <string.h>

#include "df-flip-chips.h"
#include "df-flip-command.h"
#include "df-plan.h"
#include "df-quirks.h"
#include "df-test-util.h"

/* the chip table against dfu-programmer 0.7's target table (its
 * src/arguments.c: PID, memory size, bootloader size, EEPROM size) and
 * the datasheets' signature bytes */
static void
test_chip_table (void)
{
  static const struct {
    const gchar *mcu;
    guint16 pid;
    guint32 flash, bootloader, eeprom;
    guint8 signature[3];
  } want[] = {
    { "atmega32u4", 0x2ff4, 0x8000, 0x1000, 0x400, { 0x1e, 0x95, 0x87 } },
    { "atmega16u4", 0x2ff3, 0x4000, 0x1000, 0x200, { 0x1e, 0x94, 0x88 } },
    { "atmega32u2", 0x2ff0, 0x8000, 0x1000, 0x400, { 0x1e, 0x95, 0x8a } },
    { "atmega16u2", 0x2fef, 0x4000, 0x1000, 0x200, { 0x1e, 0x94, 0x89 } },
    { "atmega8u2", 0x2fee, 0x2000, 0x1000, 0x200, { 0x1e, 0x93, 0x89 } },
    { "at90usb162", 0x2ffa, 0x4000, 0x1000, 0x200, { 0x1e, 0x94, 0x82 } },
    { "at90usb82", 0x2ff7, 0x2000, 0x1000, 0x200, { 0x1e, 0x93, 0x82 } },
    { "at90usb646", 0x2ff9, 0x10000, 0x2000, 0x800, { 0x1e, 0x96, 0x82 } },
    { "at90usb1286", 0x2ffb, 0x20000, 0x2000, 0x1000, { 0x1e, 0x97, 0x82 } },
    { "at90usb1287", 0x2ffb, 0x20000, 0x2000, 0x1000, { 0x1e, 0x97, 0x82 } },
    { "atmega32u6", 0x2ff2, 0x8000, 0x1000, 0x400, { 0x1e, 0x95, 0x88 } },
  };
  const DfFlipChip *chip;
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      chip = df_flip_chip_by_mcu (want[i].mcu);
      g_assert_nonnull (chip);
      g_assert_cmphex (chip->pid, ==, want[i].pid);
      g_assert_cmphex (chip->flash_size, ==, want[i].flash);
      g_assert_cmphex (chip->bootloader_size, ==, want[i].bootloader);
      g_assert_cmphex (chip->eeprom_size, ==, want[i].eeprom);
      g_assert_cmpmem (chip->signature, 3, want[i].signature, 3);
    }
  /* every chip: whole pages below the bootloader, a distinct name */
  for (n = 0; (chip = df_flip_chip_nth (n)) != NULL; n++)
    {
      g_assert_cmpuint (df_flip_chip_app_size (chip) % chip->page_size, ==, 0);
      g_assert_cmpuint (chip->bootloader_size % chip->page_size, ==, 0);
      g_assert_true (df_flip_chip_by_mcu (chip->mcu) == chip);
    }
  g_assert_cmpuint (n, ==, 12);
  g_assert_null (df_flip_chip_nth (n));

  /* names as people type them; ids that cover two chips; a wrong signature */
  g_assert_true (df_flip_chip_by_mcu ("ATmega32U4") == df_flip_chip_by_mcu ("atmega32u4"));
  g_assert_null (df_flip_chip_by_mcu ("atmega328p"));
  g_assert_null (df_flip_chip_by_mcu (NULL));
  g_assert_cmpstr (df_flip_chip_by_pid (0x2ffb)->name, ==, "AT90USB1286");
  g_assert_null (df_flip_chip_by_pid (0xdf11));
  g_assert_cmpstr (df_flip_chip_by_signature (0x2ff4, (const guint8[]) { 0x1e, 0x95, 0x87 })->name, ==, "ATmega32U4");
  g_assert_null (df_flip_chip_by_signature (0x2ff4, (const guint8[]) { 0x1e, 0x94, 0x88 }));
  g_assert_cmpstr (df_flip_chip_any_by_signature ((const guint8[]) { 0x1e, 0x94, 0x88 })->name, ==, "ATmega16U4");
  g_assert_null (df_flip_chip_any_by_signature ((const guint8[]) { 0xff, 0xff, 0xff }));
}

static void
test_layouts (void)
{
  g_autofree gchar *flash = df_flip_chip_flash_layout (df_flip_chip_by_mcu ("atmega32u4"));
  g_autofree gchar *eeprom = df_flip_chip_eeprom_layout (df_flip_chip_by_mcu ("atmega32u4"));
  g_autofree gchar *big = df_flip_chip_flash_layout (df_flip_chip_by_mcu ("at90usb1286"));

  /* the application pages writeable, the bootloader's 4 KiB readable only */
  g_assert_cmpstr (flash, ==, "@Flash/0x00000000/224*128 g,32*128 a");
  g_assert_cmpstr (eeprom, ==, "@EEPROM/0x00000000/1*1024 g");
  g_assert_cmpstr (big, ==, "@Flash/0x00000000/480*256 g,32*256 a");
}

/* a device as discovery leaves it: 03eb:PID through the quirk table */
static DfDevice *
flip_device (guint16 pid)
{
  DfDevice *device = df_device_new ();

  device->vid = 0x03eb;
  device->pid = pid;
  device->path = g_strdup ("1-1");
  device->mode = DF_DEVICE_MODE_DFU;
  device->transfer_size = 32;
  device->dfu_version = 0x0100;
  df_quirks_apply (device, NULL, NULL);
  return device;
}

static void
test_quirks_choose_flip (void)
{
  g_autoptr(DfDevice) device = flip_device (0x2ff4);

  g_assert_cmpint (device->mode, ==, DF_DEVICE_MODE_FLIP);
  g_assert_cmpstr (device->flip_chip->name, ==, "ATmega32U4");
  g_assert_cmpuint (device->alts->len, ==, 2);
}

static DfPlan *
plan_for (DfImage *image, DfDevice *device, gint alt, GError **error, gboolean *ok)
{
  DfPlanOptions options;
  DfPlan *plan;

  df_plan_options_init (&options);
  options.alt = alt;
  plan = df_plan_new (image, device, &options);
  *ok = df_plan_check (plan, FALSE, error);
  return plan;
}

static void
test_plan_accepts_the_application_section (void)
{
  /* 0x7000 bytes from 0: the whole application section, to its last byte */
  const DfTestSegment segs[] = { { 0, 0x7000 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, segs, 1);
  g_autoptr(DfDevice) device = flip_device (0x2ff4);
  g_autoptr(GError) error = NULL;
  gboolean ok;
  g_autoptr(DfPlan) plan = plan_for (image, device, -1, &error, &ok);

  g_assert_no_error (error);
  g_assert_true (ok && plan->flip);
  /* one chip erase of every application page */
  g_assert_cmpuint (plan->erase_count, ==, 1);
  g_assert_cmpuint (plan->erase_bytes, ==, 0x7000);
  g_assert_cmpuint (plan->write_bytes, ==, 0x7000);
}

static void
test_plan_refuses (gconstpointer data)
{
  const struct { guint16 pid; gint alt; guint32 address; gsize size; const gchar *phrase; } *c = data;
  const DfTestSegment segs[] = { { c->address, c->size } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, segs, 1);
  g_autoptr(DfDevice) device = flip_device (c->pid);
  g_autoptr(GError) error = NULL;
  gboolean ok;
  g_autoptr(DfPlan) plan = plan_for (image, device, c->alt, &error, &ok);

  g_assert_false (ok);
  g_assert_nonnull (error);
  if (strstr (error->message, c->phrase) == NULL)
    g_error ("“%s” not in: %s", c->phrase, error->message);
}

static const struct { guint16 pid; gint alt; guint32 address; gsize size; const gchar *phrase; } refusals[] = {
  /* one byte into the ATmega32U4's bootloader (0x7000) */
  { 0x2ff4, -1, 0x6f00, 0x101, "bootloader section" },
  /* a firmware for a 64 KiB chip on a 32 KiB one */
  { 0x2ff4, -1, 0x9000, 0x200, "bigger chip" },
  /* the AT90USB1286's bootloader (8 KiB at 0x1E000), past 64 KiB */
  { 0x2ffb, -1, 0x1dff0, 0x20, "bootloader section" },
  /* EEPROM: 1 KiB on the ATmega32U4 */
  { 0x2ff4, 1, 0x3f0, 0x20, "bigger chip" },
  /* no memory 2 */
  { 0x2ff4, 2, 0, 16, "no memory 2" },
};

/* QMK's own files, as they are in its repository (quantum/split_common/
 * eeprom-lefthand.eep and eeprom-righthand.eep) and QMK Toolbox's
 * reset.eep */
#define QMK_LEFT  ":0F000000000000000000000000000000000001F0\n:00000001FF\n"
#define QMK_RIGHT ":0F000000000000000000000000000000000000F1\n:00000001FF\n"
#define QMK_RESET ":0100000000FF\n:00000001FF\n"

static void
assert_same_eeprom (DfImage *ours, const gchar *qmk_text)
{
  g_autoptr(GBytes) text = g_bytes_new_static (qmk_text, strlen (qmk_text));
  g_autoptr(DfImage) qmk = df_ihex_parse (text, "qmk.eep", DF_LOAD_NONE);
  g_autoptr(GPtrArray) a = df_image_list_segments (ours);
  g_autoptr(GPtrArray) b = df_image_list_segments (qmk);

  g_assert_nonnull (qmk);
  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpuint (b->len, ==, 1);
  g_assert_cmphex (((DfSegment *) a->pdata[0])->address, ==, ((DfSegment *) b->pdata[0])->address);
  g_assert_true (g_bytes_equal (((DfSegment *) a->pdata[0])->data, ((DfSegment *) b->pdata[0])->data));
  /* the EEPROM: memory 1 of a FLIP device */
  g_assert_cmpuint (((DfTarget *) ours->targets->pdata[0])->alt, ==, DF_FLIP_EEPROM);
}

static void
test_eeprom_images (void)
{
  g_autoptr(DfImage) left = df_flip_eeprom_handedness_image_new (TRUE);
  g_autoptr(DfImage) right = df_flip_eeprom_handedness_image_new (FALSE);
  g_autoptr(DfImage) clear = df_flip_eeprom_clear_image_new ();

  assert_same_eeprom (left, QMK_LEFT);
  assert_same_eeprom (right, QMK_RIGHT);
  assert_same_eeprom (clear, QMK_RESET);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flip/chip-table", test_chip_table);
  g_test_add_func ("/flip/layouts", test_layouts);
  g_test_add_func ("/flip/quirks-choose-flip", test_quirks_choose_flip);
  g_test_add_func ("/flip/plan/application-section", test_plan_accepts_the_application_section);
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree gchar *path = g_strdup_printf ("/flip/plan/refuses/%u", i);
      g_test_add_data_func (path, &refusals[i], test_plan_refuses);
    }
  g_test_add_func ("/flip/eeprom-images", test_eeprom_images);
  return g_test_run ();
}
