/* test-gui-files.c: the window with files only, no USB: the inspector,
 * errors of broken files, the memory map against a device made from the
 * STM32F405 layout strings, compatibility, settings, screenshots. */
#include <glib/gstdio.h>

#include "df-formats.h"
#include "df-micropython.h"
#include "gui-test-util.h"
#include "defuse-window-private.h"

#define F405_FLASH   "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
#define F405_OPTIONS "@Option Bytes  /0x1FFFC000/01*016 e"
#define F405_OTP     "@OTP Memory /0x1FFF7800/01*512 e,01*016 e"
#define F405_FEATURE "@Device Feature/0xFFFF0000/01*004 e"

static gboolean
stack_shows (gpointer data)
{
  GtkStack *stack = ((gpointer *) data)[0];
  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), ((gpointer *) data)[1]) == 0;
}

static void
wait_for_page (DefuseWindow *window, const gchar *page)
{
  gpointer data[] = { window->content_stack, (gpointer) page };
  g_assert_true (gui_test_wait (stack_shows, data, 10000));
}

static void
open_and_wait (DefuseWindow *window, GFile *file)
{
  defuse_window_open_file (window, file);
  wait_for_page (window, "file");
  gui_test_settle (GTK_WIDGET (window));
}

static DfDevice *
f405 (const gchar *serial, const gchar *path)
{
  return gui_test_device (0x0483, 0xdf11, serial, path, F405_FLASH, F405_OPTIONS, F405_OTP, F405_FEATURE, NULL);
}

static void
assert_shows (DefuseWindow *window, const gchar *text)
{
  g_autofree gchar *visible = gui_test_visible_text (GTK_WIDGET (window));
  if (strstr (visible, text) == NULL)
    g_error ("“%s” is not shown; the window shows:\n%s", text, visible);
}

static void
assert_not_shown (DefuseWindow *window, const gchar *text)
{
  g_autofree gchar *visible = gui_test_visible_text (GTK_WIDGET (window));
  if (strstr (visible, text) != NULL)
    g_error ("“%s” is shown but should not be", text);
}

static gpointer
panel_child (DefuseWindow *window, const gchar *id)
{
  return gtk_widget_get_template_child (GTK_WIDGET (window->flash_panel), DEFUSE_TYPE_FLASH_PANEL, id);
}

static gboolean
flash_enabled (DefuseWindow *window)
{
  return gtk_widget_is_sensitive (panel_child (window, "flash_button"));
}

/* the Details view (the inspector) or back to Flash */
static void
show_view (DefuseWindow *window, const gchar *name)
{
  adw_view_stack_set_visible_child_name (window->view_stack, name);
  gui_test_settle (GTK_WIDGET (window));
}

static gboolean
dialog_shown (gpointer data)
{
  return gui_test_find_dialog () != NULL;
}

static void
test_empty (void)
{
  DefuseWindow *window = gui_test_window (860);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->device_stack), ==, "empty");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->content_stack), ==, "empty");
  assert_shows (window, "No DFU Device");
  assert_shows (window, "import machine; machine.bootloader()");
  assert_shows (window, "BOOT0");
  assert_shows (window, "Open a Firmware File");
  gui_test_screenshot (GTK_WIDGET (window), "empty");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_open_sample (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();

  open_and_wait (window, file);
  g_assert_nonnull (defuse_window_get_image (window));
  assert_shows (window, "micropython-like.dfu");
  /* the folder, as a user knows it */
  g_assert_cmpstr (adw_view_switcher_title_get_subtitle (window->window_title), ==, "~/Downloads");
  /* the first screen: what the file is, and that a board is needed */
  assert_shows (window, "DfuSe firmware · for USB device 0483:df11 · 314.2 KiB");
  assert_shows (window, "No Board Connected");
  assert_not_shown (window, "No device selected");
  /* said by the verdict (and the device list): no map section saying it
   * again, no line under Flash */
  assert_not_shown (window, "What Will Happen");
  assert_not_shown (window, "Connect a device in DFU mode to flash this file");
  g_assert_false (flash_enabled (window));
  gui_test_screenshot (GTK_WIDGET (window), "file-no-device");
  /* the complete inspector is one click away, with no board too */
  show_view (window, "details");
  assert_shows (window, "DfuSe (ST’s DFU file with addresses)");
  assert_shows (window, "1 target, 2 elements, 314.2 KiB");
  assert_shows (window, "For 0483:df11 · device release any · DfuSe 1.1a");
  assert_shows (window, "0xa6e4017a stored, 0xa6e4017a computed");
  assert_shows (window, "Correct");
  assert_not_shown (window, "Mismatch");
  assert_shows (window, "Alt 0 · Internal Flash");
  assert_shows (window, "2 elements, 314.2 KiB");
  assert_shows (window, "0x08000000 – 0x080039B7");
  assert_shows (window, "Element 1 · 14.4 KiB (14776 bytes)");
  assert_shows (window, "0x08020000 – 0x0806AEEF");
  assert_shows (window, "Element 2 · 299.7 KiB (306928 bytes)");
  gui_test_screenshot (GTK_WIDGET (window), "file-details");
  gtk_window_destroy (GTK_WINDOW (window));
}

static GFile *
write_temp (const gchar *name, const guint8 *data, gsize size)
{
  g_autofree gchar *dir = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "tests", "gui", "tmp", NULL);
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, (const gchar *) data, size, NULL));
  return g_file_new_for_path (path);
}

static void
test_corrupt_crc (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) sample = gui_test_sample_file ();
  g_autoptr(GFile) file = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  gsize size;

  g_assert_true (g_file_load_contents (sample, NULL, &contents, &size, NULL, NULL));
  contents[1000] ^= 0x55;  /* a flipped byte in element 1 */
  file = write_temp ("corrupt.dfu", (const guint8 *) contents, size);
  defuse_window_add_device (window, device);

  open_and_wait (window, file);
  /* the error in words first, and no way to flash it */
  assert_shows (window, "This File Cannot Be Flashed");
  assert_shows (window, "CRC mismatch: the suffix says 0xa6e4017a but the file's bytes give");
  g_assert_false (flash_enabled (window));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (window->flash_panel)));
  g_assert_false (gtk_widget_get_mapped (window->map_group));
  gui_test_screenshot (GTK_WIDGET (window), "error-file");
  show_view (window, "details");
  assert_shows (window, "Mismatch");
  assert_not_shown (window, "Correct");
  assert_shows (window, "computed");
  assert_shows (window, "Notes");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_not_firmware (void)
{
  DefuseWindow *window = gui_test_window (860);
  const gchar text[] = "<html>404 Not Found</html>\n";
  g_autoptr(GFile) file = write_temp ("download.dfu", (const guint8 *) text, sizeof text - 1);

  open_and_wait (window, file);
  assert_shows (window, "Not a firmware file Defuse can read");
  show_view (window, "details");
  assert_shows (window, "Unknown");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_memory_map_f405 (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  DefuseMemoryMap *map = window->memory_map;
  /* element 1 (14776 bytes at 0x08000000) is in sector 0; element 2
   * (0x08020000-0x0806AEEF) in the 128 KiB sectors 5, 6 and 7 */
  const DefuseSectorKind expected[12] = {
    DEFUSE_SECTOR_ERASE_WRITE, DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_UNTOUCHED,
    DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_ERASE_WRITE, DEFUSE_SECTOR_ERASE_WRITE, DEFUSE_SECTOR_ERASE_WRITE,
    DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_UNTOUCHED, DEFUSE_SECTOR_UNTOUCHED,
  };

  defuse_window_add_device (window, device);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->device_stack), ==, "list");
  assert_shows (window, "STM32F4 system bootloader, 1 MiB");
  /* the maker by name from the system's USB id database, not 0483 */
  assert_shows (window, "STMicroelectronics · DFU mode (DfuSe) · serial 3276385C3034");

  open_and_wait (window, file);
  g_assert_cmpuint (defuse_memory_map_get_n_rows (map), ==, 1);
  g_assert_cmpuint (defuse_memory_map_get_n_sectors (map, 0), ==, 12);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpint (defuse_memory_map_get_sector_kind (map, 0, i), ==, expected[i]);
  g_assert_cmpuint (defuse_memory_map_get_outside_bytes (map, 0), ==, 0);
  assert_shows (window, "Fits This Board");
  assert_shows (window, "The file is for USB device 0483:df11, as this board is.");
  assert_shows (window, "Fits its memory");
  assert_shows (window, "314.2 KiB go into 4 erased sectors (400.0 KiB).");
  g_assert_false (gtk_revealer_get_reveal_child (window->banner));
  g_assert_true (flash_enabled (window));

  /* expanded, the device row says its memories in words */
  adw_expander_row_set_expanded (g_hash_table_lookup (window->rows, "1-2:0483:df11:3276385C3034"), TRUE);
  gui_test_settle (GTK_WIDGET (window));
  assert_shows (window, "Internal Flash");
  assert_shows (window, "1 MiB at 0x08000000: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB · alt setting 0");
  assert_not_shown (window, "Alt 0");
  gui_test_screenshot (GTK_WIDGET (window), "device-and-file");

  /* a mass erase erases every sector */
  gtk_switch_set_active (panel_child (window, "mass_erase_switch"), TRUE);
  for (guint i = 0; i < 12; i++)
    g_assert_cmpint (defuse_memory_map_get_sector_kind (map, 0, i), ==,
                     expected[i] == DEFUSE_SECTOR_ERASE_WRITE ? DEFUSE_SECTOR_ERASE_WRITE : DEFUSE_SECTOR_ERASE_ONLY);
  gtk_switch_set_active (panel_child (window, "mass_erase_switch"), FALSE);

  /* the device goes away: nothing selected, nothing to draw */
  defuse_window_remove_device (window, device);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->device_stack), ==, "empty");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->map_stack), ==, "none");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a mass erase is risky: asked first */
static void
test_mass_erase_asks (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  AdwMessageDialog *dialog;

  defuse_window_add_device (window, device);
  open_and_wait (window, file);
  gtk_switch_set_active (panel_child (window, "mass_erase_switch"), TRUE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Erase the Whole Chip?");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "flash"), ==, "_Erase and Flash");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (g_hash_table_size (window->tasks), ==, 0);
  gtk_switch_set_active (panel_child (window, "mass_erase_switch"), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a phone-sized window: one pane at a time */
static void
test_narrow (void)
{
  DefuseWindow *window = defuse_window_new (NULL);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");

  gtk_window_set_default_size (GTK_WINDOW (window), 400, 760);
  gtk_window_present (GTK_WINDOW (window));
  defuse_window_add_device (window, device);
  open_and_wait (window, file);
  g_assert_true (adw_leaflet_get_folded (window->leaflet));
  /* the opened file is what the user wants to see */
  g_assert_true (adw_leaflet_get_visible_child (window->leaflet) == window->content_box);
  gui_test_screenshot (GTK_WIDGET (window), "narrow-file");
  adw_leaflet_navigate (window->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gui_test_screenshot (GTK_WIDGET (window), "narrow-devices");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_does_not_fit (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  /* 64 KiB of flash: element 2 at 0x08020000 is past its end */
  g_autoptr(DfDevice) small = gui_test_device (0x0483, 0xdf11, "SMALL", "1-3",
                                               "@Internal Flash  /0x08000000/04*016Kg", NULL);

  defuse_window_add_device (window, small);
  open_and_wait (window, file);
  g_assert_cmpuint (defuse_memory_map_get_outside_bytes (window->memory_map, 0), ==, 306928);
  assert_shows (window, "Does Not Fit This Board");
  assert_shows (window, "Cannot be flashed");
  assert_shows (window, "does not fit the device");
  g_assert_false (flash_enabled (window));
  gui_test_screenshot (GTK_WIDGET (window), "does-not-fit");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_other_device (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) other = gui_test_device (0x1209, 0x70b1, "OTHER", "1-4", F405_FLASH, NULL);
  AdwMessageDialog *dialog;

  defuse_window_add_device (window, other);
  open_and_wait (window, file);
  assert_shows (window, "Made for another device");
  /* the mismatch is the first thing on the page, with the way out */
  g_assert_true (gtk_revealer_get_reveal_child (window->banner));
  g_assert_true (strstr (gtk_label_get_text (window->banner_label),
                         "This file was made for USB device 0483:df11, but this board is 1209:70b1.") != NULL);
  /* overridable: flashing asks first, and the button says so */
  g_assert_true (flash_enabled (window));
  g_assert_true (gtk_widget_has_css_class (panel_child (window, "flash_button"), "destructive-action"));
  g_assert_false (gtk_widget_has_css_class (panel_child (window, "flash_button"), "suggested-action"));
  gui_test_screenshot (GTK_WIDGET (window), "other-device");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Flash Firmware Made for Another Device?");
  gui_test_screenshot (GTK_WIDGET (dialog), "confirm-other-device");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (g_hash_table_size (window->tasks), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_two_devices_select (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DfDevice) a = f405 ("AAAA", "1-2");
  g_autoptr(DfDevice) b = f405 ("BBBB", "1-3");
  g_autoptr(GFile) file = gui_test_sample_file ();
  DefuseDeviceRow *row_b;

  defuse_window_add_device (window, a);
  defuse_window_add_device (window, b);
  open_and_wait (window, file);
  /* the first one stays selected; the radio buttons pick another */
  g_assert_cmpstr (window->selected_id, ==, "1-2:0483:df11:AAAA");
  row_b = g_hash_table_lookup (window->rows, "1-3:0483:df11:BBBB");
  gtk_check_button_set_active (defuse_device_row_get_check (row_b), TRUE);
  g_assert_cmpstr (window->selected_id, ==, "1-3:0483:df11:BBBB");
  g_assert_true (window->plan->device == b);
  g_assert_true (gtk_widget_get_visible (window->flash_all_button));
  gui_test_screenshot (GTK_WIDGET (window), "two-devices");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_permission_denied (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DfDevice) device = df_device_new ();

  device->vid = 0x0483;
  device->pid = 0xdf11;
  device->path = g_strdup ("3-1");
  device->mode = DF_DEVICE_MODE_DFUSE;
  device->permission_denied = TRUE;
  defuse_window_add_device (window, device);
  assert_shows (window, "Permission Needed");
  assert_shows (window, "sudo udevadm control --reload && sudo udevadm trigger");
  assert_shows (window, "60-defuse.rules");
  assert_shows (window, "no permission to open it");
  /* a device we may not open is never picked to be flashed */
  g_assert_null (window->selected_id);
  gui_test_screenshot (GTK_WIDGET (window), "permission");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_runtime_device (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(DfDevice) device = gui_test_device (0x1209, 0x5bf0, "KB01", "1-5", "Keyboard DFU", NULL);

  g_free (device->product);
  device->product = g_strdup ("Macro Keyboard");
  device->mode = DF_DEVICE_MODE_RUNTIME;
  defuse_window_add_device (window, device);
  assert_shows (window, "Switch to DFU Mode");
  assert_shows (window, "application (DFU runtime)");
  g_assert_null (window->selected_id);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_options_remembered (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.defuse.Defuse");
  GtkSwitch *verify = panel_child (window, "verify_switch");
  DefuseWindow *second;

  g_assert_true (g_settings_get_boolean (settings, "verify"));
  gtk_switch_set_active (verify, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "verify"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1000);

  second = gui_test_window (860);
  g_assert_false (gtk_switch_get_active (panel_child (second, "verify_switch")));
  g_settings_reset (settings, "verify");
  gtk_window_destroy (GTK_WINDOW (second));
}

static void
test_raw_asks_address (void)
{
  DefuseWindow *window = gui_test_window (860);
  guint8 payload[4096];
  g_autoptr(GFile) file = NULL;
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  AdwMessageDialog *dialog;
  DfTarget *target;

  for (guint i = 0; i < sizeof payload; i++)
    payload[i] = (guint8) (i * 7);
  file = write_temp ("app.bin", payload, sizeof payload);
  defuse_window_add_device (window, device);
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (dialog_shown, NULL, 10000));
  dialog = gui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Where Does This File Go?");
  gui_test_screenshot (GTK_WIDGET (dialog), "raw-address");
  adw_message_dialog_response (dialog, "open");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_for_page (window, "file");
  target = g_ptr_array_index (defuse_window_get_image (window)->targets, 0);
  g_assert_cmpuint (((DfSegment *) g_ptr_array_index (target->segments, 0))->address, ==, 0x08000000);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 0), ==, DEFUSE_SECTOR_ERASE_WRITE);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a raw binary's address can be changed once it is open, and a wrong one
 * says why */
static void
test_raw_change_address (void)
{
  DefuseWindow *window = gui_test_window (860);
  guint8 payload[2048] = { 0x42 };
  g_autoptr(GFile) file = write_temp ("app2.bin", payload, sizeof payload);
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  AdwMessageDialog *dialog;
  GtkEditable *entry;
  GtkWidget *problem;
  DfTarget *target;

  defuse_window_add_device (window, device);
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (dialog_shown, NULL, 10000));
  dialog = gui_test_find_dialog ();
  adw_message_dialog_response (dialog, "open");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_for_page (window, "file");
  gui_test_settle (GTK_WIDGET (window));
  assert_shows (window, "Placed at 0x08000000");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.set-address", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  entry = g_object_get_data (G_OBJECT (dialog), "entry");
  problem = g_object_get_data (G_OBJECT (dialog), "problem");
  /* where it is now is the suggestion */
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "0x08000000");
  gtk_editable_set_text (entry, "0x0800zz");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "open"));
  g_assert_true (gtk_widget_get_visible (problem));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (problem)), "hexadecimal"));
  gui_test_screenshot (GTK_WIDGET (dialog), "raw-address-wrong");
  gtk_editable_set_text (entry, "0x08004000");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "open"));
  g_assert_false (gtk_widget_get_visible (problem));
  adw_message_dialog_response (dialog, "open");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_for_page (window, "file");
  gui_test_settle (GTK_WIDGET (window));
  target = g_ptr_array_index (defuse_window_get_image (window)->targets, 0);
  g_assert_cmpuint (((DfSegment *) g_ptr_array_index (target->segments, 0))->address, ==, 0x08004000);
  assert_shows (window, "Placed at 0x08004000");
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 1), ==, DEFUSE_SECTOR_ERASE_WRITE);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 0), ==, DEFUSE_SECTOR_UNTOUCHED);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a plain DFU file (a payload and a suffix, no address) on a DfuSe board:
 * the board needs an address, the window asks for it in words and places
 * the file without reading it again as a raw binary */
static void
test_plain_dfu_needs_address (void)
{
  DefuseWindow *window = gui_test_window (860);
  guint8 payload[4096] = { 0x42 };
  g_autoptr(GBytes) bytes = df_dfu_append_suffix (payload, sizeof payload, 0x0483, 0xdf11, 0xffff, 0x0100);
  g_autoptr(GFile) file = write_temp ("plain.dfu", g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(DfDevice) device = f405 ("3276385C3034", "1-2");
  AdwMessageDialog *dialog;

  defuse_window_add_device (window, device);
  open_and_wait (window, file);
  g_assert_cmpint (defuse_window_get_image (window)->format, ==, DF_FORMAT_DFU);
  assert_shows (window, "Cannot be flashed");
  assert_shows (window, "No load address");
  /* in the window's words: the terminal's "--address" is not one of them */
  assert_not_shown (window, "--address");
  g_assert_false (flash_enabled (window));
  gui_test_screenshot (GTK_WIDGET (window), "plain-needs-address");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.set-address", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "without an address"));
  g_assert_cmpstr (gtk_editable_get_text (g_object_get_data (G_OBJECT (dialog), "entry")), ==, "0x08000000");
  adw_message_dialog_response (dialog, "open");
  gtk_window_destroy (GTK_WINDOW (dialog));
  gui_test_settle (GTK_WIDGET (window));
  /* the same image, placed by the plan */
  g_assert_cmpint (defuse_window_get_image (window)->format, ==, DF_FORMAT_DFU);
  assert_shows (window, "Placed at 0x08000000");
  assert_shows (window, "Fits This Board");
  g_assert_true (flash_enabled (window));
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 0), ==, DEFUSE_SECTOR_ERASE_WRITE);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a step (unprotect, detach) finds its device again on the bus before
 * the monitor adds its row: when the row comes, the window plans for it
 * (gui-sim-read-protected waited for Flash in vain, 1 run in the ASan
 * suite) */
static void
test_device_found_before_its_row (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) before = f405 ("3276385C3034", "1-2");
  g_autoptr(DfDevice) after = f405 ("3276385C3034", "1-2");

  after->address = before->address + 1;  /* enumerated again: the same port and serial, the same id */
  defuse_window_add_device (window, before);
  open_and_wait (window, file);
  g_assert_true (flash_enabled (window));
  /* it leaves the bus; the step's worker finds it back first, and
   * on_unprotected selects it */
  defuse_window_remove_device (window, before);
  g_free (window->selected_id);
  window->selected_id = df_device_get_id (after);
  defuse_window_update_plan (window);
  g_assert_false (flash_enabled (window));
  /* then the monitor tells of it */
  defuse_window_add_device (window, after);
  gui_test_settle (GTK_WIDGET (window));
  g_assert_nonnull (window->plan);
  g_assert_true (flash_enabled (window));
  assert_shows (window, "Fits This Board");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a file that is gone: a dialog that names it and says what happened */
static void
test_missing_file (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/firmware-1.2.dfu");
  AdwMessageDialog *dialog;

  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (dialog_shown, NULL, 10000));
  dialog = gui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Cannot Open “firmware-1.2.dfu”");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "The file is not there any more: it may have been moved, renamed or deleted.");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->content_stack), ==, "empty");
  gui_test_screenshot (GTK_WIDGET (dialog), "missing-file");
  adw_message_dialog_response (dialog, "close");
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* a MicroPython board whose name Defuse does not know: still switched
 * through its REPL, never a contradiction, and its files' fate said */
static void
test_micropython_unknown_board (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  DfSerialPort port = { .ref_count = 1000, .name = "ttyACM0", .devnode = "/dev/ttyACM0", .path = "1-2",
                        .vid = 0xf055, .pid = 0x9800 };
  static const gchar answer[] = "micropython\n1.24.1\nHomebrew board with STM32F405RG\n\x04";
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GByteArray) err = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMicroPython) board = NULL;
  g_autoptr(DfDevice) device = NULL;

  g_byte_array_append (got, (const guint8 *) answer, sizeof answer - 1);
  g_byte_array_append (err, (const guint8 *) "\x04>", 2);
  board = df_micropython_parse_answer (&port, got, err, &error);
  g_assert_no_error (error);
  device = df_micropython_to_device (board);
  g_assert_cmpuint (device->alts->len, ==, 0);

  defuse_window_add_device (window, device);
  open_and_wait (window, file);
  assert_shows (window, "Runs MicroPython");
  assert_shows (window, "Its memory is checked once it is in DFU mode");
  assert_shows (window, "Your files may be erased");
  assert_not_shown (window, "Cannot be flashed");
  assert_not_shown (window, "switch it to DFU mode first");
  assert_not_shown (window, "alt setting 0");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->map_stack), ==, "none");
  assert_shows (window, "The board’s memory is shown once it is in DFU mode");
  g_assert_true (flash_enabled (window));
  gui_test_screenshot (GTK_WIDGET (window), "micropython-unknown");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  g_setenv ("DEFUSE_NO_MONITOR", "1", TRUE);
  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/files/empty", test_empty);
  g_test_add_func ("/gui/files/open-sample", test_open_sample);
  g_test_add_func ("/gui/files/corrupt-crc", test_corrupt_crc);
  g_test_add_func ("/gui/files/not-firmware", test_not_firmware);
  g_test_add_func ("/gui/files/memory-map-f405", test_memory_map_f405);
  g_test_add_func ("/gui/files/does-not-fit", test_does_not_fit);
  g_test_add_func ("/gui/files/mass-erase-asks", test_mass_erase_asks);
  g_test_add_func ("/gui/files/narrow", test_narrow);
  g_test_add_func ("/gui/files/other-device", test_other_device);
  g_test_add_func ("/gui/files/two-devices", test_two_devices_select);
  g_test_add_func ("/gui/files/permission-denied", test_permission_denied);
  g_test_add_func ("/gui/files/runtime-device", test_runtime_device);
  g_test_add_func ("/gui/files/options-remembered", test_options_remembered);
  g_test_add_func ("/gui/files/raw-asks-address", test_raw_asks_address);
  g_test_add_func ("/gui/files/raw-change-address", test_raw_change_address);
  g_test_add_func ("/gui/files/plain-dfu-needs-address", test_plain_dfu_needs_address);
  g_test_add_func ("/gui/files/device-found-before-its-row", test_device_found_before_its_row);
  g_test_add_func ("/gui/files/missing-file", test_missing_file);
  g_test_add_func ("/gui/files/micropython-unknown-board", test_micropython_unknown_board);
  return g_test_run ();
}
