/* test-quirks: the quirk table (data/quirks/defuse.quirk) as the engine
 * reads it, with a user directory of overrides (DEFUSE_QUIRKS_DIR). */
#include <glib/gstdio.h>
#include <string.h>

#include "df-catalog.h"
#include "df-device.h"
#include "df-quirks.h"

static gchar *user_dir;

static DfDevice *
make_device (guint16 vid, guint16 pid, guint16 bcd, const gchar *serial, const gchar * const *alts)
{
  DfDevice *device = df_device_new ();

  device->vid = vid;
  device->pid = pid;
  device->bcd_device = bcd;
  device->serial = g_strdup (serial);
  device->dfu_version = 0x011a;
  device->transfer_size = 2048;
  device->mode = DF_DEVICE_MODE_DFUSE;
  for (guint i = 0; alts != NULL && alts[i] != NULL; i++)
    df_device_add_alt (device, (guint8) i, alts[i]);
  return device;
}

static DfQuirkMatch *
find_entry (DfDevice *device, const gchar *entry)
{
  for (guint i = 0; i < device->quirks->matches->len; i++)
    {
      DfQuirkMatch *match = g_ptr_array_index (device->quirks->matches, i);
      if (g_str_equal (match->entry, entry))
        return match;
    }
  return NULL;
}

static gboolean
has_entry (DfDevice *device, const gchar *entry)
{
  return find_entry (device, entry) != NULL;
}

/* the built-in file itself is strictly valid: every key known, every value parses */
static void
test_builtin_file_is_valid (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("DEFUSE_SOURCE_ROOT"), "data", "quirks",
                                             "defuse.quirk", NULL);
  g_autofree gchar *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_true (df_quirk_table_check_data (data, length, &error));
  g_assert_no_error (error);
  /* and a bad one is refused, naming the entry and key */
  g_assert_false (df_quirk_table_check_data ("[x]\nvid-pid=0483:df11\nearly-status=soon\n", -1, &error));
  g_assert_nonnull (strstr (error->message, "[x] early-status"));
  g_clear_error (&error);
  g_assert_false (df_quirk_table_check_data ("[x]\nvid-pid=0483:df11\nno-such-quirk=1\n", -1, &error));
  g_assert_nonnull (strstr (error->message, "no-such-quirk"));
}

/* GD32VF103 ROM 0x1000: the layout comes from the serial's third character */
static void
test_gd32vf103_layout_by_serial (void)
{
  const gchar *alts[] = { "@Internal Flash  /0x08000000/512*002Kg", NULL };
  static const struct { const gchar *serial; guint32 size; } parts[] = {
    { "3CBJ", 128 * 1024 }, { "3C8J", 64 * 1024 }, { "3C6J", 32 * 1024 }, { "3C4J", 16 * 1024 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr(DfDevice) device = make_device (0x28e9, 0x0189, 0x1000, parts[i].serial, alts);
      DfAlt *alt;

      df_quirks_apply (device, NULL, NULL);
      alt = df_device_find_alt (device, 0);
      g_assert_cmpuint (df_layout_get_size (alt->layout), ==, parts[i].size);
      g_assert_cmpuint (df_layout_count_sectors (alt->layout), ==, parts[i].size / 1024);
      g_assert_true (device->quirks->leave_without_status);
      g_assert_true (device->quirks->serial_8bit);
    }
}

/* ROM 0x0100 reports the right layout: it is kept */
static void
test_gd32vf103_rom_0100_keeps_layout (void)
{
  const gchar *alts[] = { "@Internal Flash  /0x08000000/128*001Kg", NULL };
  g_autoptr(DfDevice) device = make_device (0x28e9, 0x0189, 0x0100, "3CBJ", alts);

  df_quirks_apply (device, NULL, NULL);
  g_assert_false (has_entry (device, "gd32vf103-rom-1000-layout"));
  g_assert_null (device->quirks->layout);
  g_assert_cmpstr (df_device_find_alt (device, 0)->name, ==, "@Internal Flash  /0x08000000/128*001Kg");
  g_assert_cmpuint (df_layout_count_sectors (df_device_find_alt (device, 0)->layout), ==, 128);
}

static void
test_stm32_families (void)
{
  const gchar *f405[] = { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
                          "@Option Bytes  /0x1FFFC000/01*016 e", NULL };
  const gchar *h743[] = { "@Internal Flash   /0x08000000/16*128Kg", "@Option Bytes   /0x5200201C/01*128 e", NULL };
  const gchar *g0b1[] = { "@Internal Flash   /0x08000000/256*02Kg", "@Internal Flash   /0x08000000/256*02Kg",
                          "@Internal Flash   /0x08000000/256*02Kg", NULL };
  g_autoptr(DfDevice) f4 = make_device (0x0483, 0xdf11, 0x2200, "3276365C3235", f405);
  g_autoptr(DfDevice) h7 = make_device (0x0483, 0xdf11, 0x0200, "200364500000", h743);
  g_autoptr(DfDevice) g0 = make_device (0x0483, 0xdf11, 0x0200, "2065", g0b1);
  g_autoptr(DfDevice) f0 = make_device (0x0483, 0xdf11, 0x2200, "FFFFFFFEFFFF", NULL);

  df_quirks_apply (f4, NULL, NULL);
  g_assert_cmpint (f4->quirks->early_status, ==, DF_EARLY_STATUS_HOLD);
  g_assert_true (f4->quirks->set_address_before_leave);
  g_assert_true (f4->quirks->clear_status_only_in_error);
  df_quirks_apply (h7, NULL, NULL);
  g_assert_cmpint (h7->quirks->early_status, ==, DF_EARLY_STATUS_ANSWER_BUSY);
  g_assert_cmphex (h7->quirks->clear_twice_after_erase_from, ==, 0x08100000);
  g_assert_false (h7->quirks->clear_status_only_in_error);  /* the later entry wins */
  df_quirks_apply (g0, NULL, NULL);
  g_assert_true (g0->quirks->returns_in_dfu_after_leave);
  g_assert_cmpuint (g0->quirks->max_transfer_size, ==, 1024);
  g_assert_cmpuint (g0->transfer_size, ==, 2048);  /* the descriptor's, kept */
  df_quirks_apply (f0, NULL, NULL);
  g_assert_true (f0->quirks->serial_not_unique);
  g_assert_cmpint (f0->quirks->early_status, ==, DF_EARLY_STATUS_STALL);
}

/* U-Boot on 0483:df11 with DFU 1.1: plain DFU, whatever the ids suggest */
static void
test_u_boot_is_plain_dfu (void)
{
  const gchar *alts[] = { "mmc1_boot1", NULL };
  g_autoptr(DfDevice) device = make_device (0x0483, 0xdf11, 0x0200, "002800", alts);

  device->dfu_version = 0x0110;
  df_quirks_apply (device, NULL, NULL);
  g_assert_cmpint (device->mode, ==, DF_DEVICE_MODE_DFU);
  g_assert_true (has_entry (device, "u-boot-plain-dfu-on-st-ids"));
}

/* the user's files: change a key, switch an entry off, add one; a bad
 * file or entry is skipped with a warning, never fatal */
static void
test_user_overrides (void)
{
  const gchar *l476[] = { "@Internal Flash  /0x08000000/0512*0002Kg", "@Option Bytes  /0x1FFF7800/01*040 e", NULL };
  g_autoptr(DfDevice) at32 = make_device (0x2e3c, 0xdf11, 0x0200, "AT32", NULL);
  g_autoptr(DfDevice) l4 = make_device (0x0483, 0xdf11, 0x2200, "206A35884E4D", l476);
  g_autoptr(DfDevice) other = make_device (0x1234, 0x5678, 0x0100, "X", NULL);
  const gchar * const *warnings;
  DfQuirkMatch *match;

  df_quirks_apply (at32, NULL, NULL);
  df_quirks_apply (l4, NULL, NULL);
  df_quirks_apply (other, NULL, NULL);
  g_assert_false (at32->quirks->serial_not_unique);                      /* a key unset */
  match = find_entry (at32, "at32-rom");
  g_assert_nonnull (match);
  g_assert_true (g_str_has_suffix (match->origin, "10-mine.quirk"));
  g_assert_false (has_entry (l4, "stm32l4-rom"));                        /* switched off */
  g_assert_cmpint (l4->quirks->early_status, ==, DF_EARLY_STATUS_SPEC);
  g_assert_false (l4->quirks->returns_in_dfu_after_leave);
  g_assert_cmpfloat (other->quirks->poll_timeout_factor, ==, 2.5);       /* added */
  g_assert_cmpuint (other->quirks->max_transfer_size, ==, 64);
  warnings = df_quirk_table_warnings ();
  g_assert_nonnull (warnings[0]);
  g_assert_nonnull (strstr (warnings[0], "[bad]"));
  g_assert_null (warnings[1]);
}

/* the catalog: every entry of the built-in file loaded, each with a name,
 * a family and steps; the first match names a device */
static void
test_catalog (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("DEFUSE_SOURCE_ROOT"), "data", "catalog",
                                             "defuse.catalog", NULL);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  GPtrArray *entries = df_catalog_get_entries ();
  const gchar *f405[] = { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
                          "@Option Bytes  /0x1FFFC000/01*016 e", "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
                          "@Device Feature/0xFFFF0000/01*004 e", NULL };
  g_autoptr(DfDevice) device = make_device (0x0483, 0xdf11, 0x2200, "3276365C3235", f405);
  g_autoptr(DfDevice) unknown = make_device (0x1234, 0x5678, 0x0100, "X", NULL);
  g_autofree gchar *name = NULL;
  g_autofree gchar *other = NULL;

  g_assert_true (g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL));
  groups = g_key_file_get_groups (file, NULL);
  g_assert_cmpuint (entries->len, ==, g_strv_length (groups));
  for (guint i = 0; i < entries->len; i++)
    {
      DfCatalogEntry *entry = g_ptr_array_index (entries, i);
      g_assert_cmpstr (entry->id, ==, groups[i]);
      g_assert_nonnull (entry->family);
      g_assert_nonnull (entry->steps);
      g_assert_cmpstr (entry->name, !=, entry->id);
    }
  name = df_catalog_describe (device);
  g_assert_cmpstr (name, ==, "STM32F4 system bootloader, 1 MiB");
  unknown->product = g_strdup ("Gadget");
  other = df_catalog_describe (unknown);
  g_assert_cmpstr (other, ==, "Gadget");
  g_assert_null (df_catalog_lookup (unknown));
}

static void
write_user_files (void)
{
  g_autofree gchar *a = NULL, *b = NULL;

  user_dir = g_dir_make_tmp ("defuse-quirks-XXXXXX", NULL);
  a = g_build_filename (user_dir, "10-mine.quirk", NULL);
  b = g_build_filename (user_dir, "ignored.txt", NULL);
  g_assert_true (g_file_set_contents (a,
    "[at32-rom]\nserial-not-unique=\n"
    "[stm32l4-rom]\nenabled=false\n"
    "[my-board]\nvid-pid=1234:5678\npoll-timeout-factor=2.5\nmax-transfer-size=64\n"
    "[bad]\nvid-pid=1234:5678\nmax-transfer-size=lots\n", -1, NULL));
  g_assert_true (g_file_set_contents (b, "[x]\nvid-pid=nonsense\n", -1, NULL));
  g_setenv ("DEFUSE_QUIRKS_DIR", user_dir, TRUE);
}

int
main (int argc, char **argv)
{
  gint status;

  g_test_init (&argc, &argv, NULL);
  /* the table is read once per process: these tests all see the user files */
  write_user_files ();
  g_test_add_func ("/quirks/builtin-file-is-valid", test_builtin_file_is_valid);
  g_test_add_func ("/quirks/gd32vf103-layout-by-serial", test_gd32vf103_layout_by_serial);
  g_test_add_func ("/quirks/gd32vf103-rom-0100-keeps-layout", test_gd32vf103_rom_0100_keeps_layout);
  g_test_add_func ("/quirks/stm32-families", test_stm32_families);
  g_test_add_func ("/quirks/u-boot-is-plain-dfu", test_u_boot_is_plain_dfu);
  g_test_add_func ("/quirks/user-overrides", test_user_overrides);
  g_test_add_func ("/quirks/catalog", test_catalog);
  status = g_test_run ();
  {
    g_autofree gchar *a = g_build_filename (user_dir, "10-mine.quirk", NULL);
    g_autofree gchar *b = g_build_filename (user_dir, "ignored.txt", NULL);
    g_unlink (a);
    g_unlink (b);
    g_rmdir (user_dir);
    g_free (user_dir);
  }
  return status;
}
