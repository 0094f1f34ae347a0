/* test-gui-keyboard.c: the window on virtual AVR keyboards (Atmel FLIP
 * bootloaders, tests/sim/sim-flip.c), one process per case under
 * defuse-sim (tests/gui/meson.build): a .hex flashed and read back, an
 * .eep that goes to the EEPROM, QMK Toolbox's Clear EEPROM and Set
 * Left/Right Hand, and the chip erase the factory bootloader needs first.
 * Memory is read back through the engine on a worker thread, as the
 * window would. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "df-error.h"
#include "df-flip-command.h"
#include "df-formats.h"
#include "gui-sim-util.h"
#include "defuse-keyboard-panel.h"
#include "defuse-window-private.h"

/* ---- files ---- */

static gchar *tmpdir;

/* bytes as an Intel HEX file named name, in the test's folder */
static GFile *
hex_file (const gchar *name, guint32 address, const guint8 *bytes, gsize size)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_IHEX, name);
  g_autoptr(GBytes) data = g_bytes_new (bytes, size);
  g_autoptr(GBytes) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = g_build_filename (tmpdir, name, NULL);

  df_target_add_segment (df_image_add_target (image, 0, NULL), address, data);
  text = df_ihex_write (image, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (text, NULL), (gssize) g_bytes_get_size (text), NULL));
  return g_file_new_for_path (path);
}

/* a firmware of size bytes that no erased chip holds by chance */
static GByteArray *
firmware_bytes (gsize size)
{
  GByteArray *bytes = g_byte_array_sized_new ((guint) size);
  GRand *rand = g_rand_new_with_seed (23);

  for (gsize i = 0; i < size; i++)
    {
      guint8 b = (guint8) g_rand_int_range (rand, 0, 255);
      g_byte_array_append (bytes, &b, 1);
    }
  g_rand_free (rand);
  return bytes;
}

/* ---- reading the keyboard back ---- */

/* the first length bytes of a memory (flash or EEPROM) */
static GBytes *
read_memory (DfDevice *device, DfFlipMemory memory, gsize length)
{
  return gui_sim_read_memory (device, memory, 0, length);
}

/* ---- the window ---- */

static DfDevice *
wait_for_keyboard (DefuseWindow *window)
{
  gui_sim_wait_for_devices (window, 1, DF_DEVICE_MODE_FLIP);
  g_assert_nonnull (defuse_window_get_selected_device (window));
  return df_device_ref (defuse_window_get_selected_device (window));
}

/* flashes what is open, staying in the bootloader so it can be read back */
static DefuseFlashTask *
flash_and_wait (DefuseWindow *window)
{
  DefuseFlashTask *task;

  gtk_switch_set_active (gui_sim_panel_child (window, "leave_switch"), FALSE);
  task = g_object_ref (gui_sim_start_flash (window));
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 120000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("flash failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  return task;
}

/* a .hex: listed as the keyboard it is, the verdict and the map in its
 * terms, flashed, read back the same */
static void
test_flash_hex (void)
{
  DefuseWindow *window = gui_test_window (1000);
  g_autoptr(GByteArray) firmware = firmware_bytes (12 * 1024 + 100);
  g_autoptr(GFile) file = hex_file ("keyboard.hex", 0, firmware->data, firmware->len);
  g_autoptr(DfDevice) device = wait_for_keyboard (window);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GBytes) back = NULL;

  gui_sim_open_file (window, file);
  gui_sim_assert_shows (window, "Fits This Board");
  gui_sim_assert_shows (window, "12.1 KiB of firmware go into the 28.0 KiB of flash below the bootloader");
  gui_sim_assert_not_shown (window, "Memory size not known");
  gui_sim_assert_not_shown (window, "Cannot be verified");
  /* the flash's 256 pages: the 32 of the bootloader never written, the
   * rest erased; the EEPROM a row of its own, kept */
  g_assert_cmpuint (defuse_memory_map_get_n_rows (window->memory_map), ==, 2);
  g_assert_cmpstr (defuse_memory_map_get_row_title (window->memory_map, 0), ==, "Flash");
  g_assert_cmpuint (defuse_memory_map_get_n_sectors (window->memory_map, 0), ==, 256);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 0), ==, DEFUSE_SECTOR_ERASE_WRITE);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 200), ==, DEFUSE_SECTOR_ERASE_WRITE);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 224), ==, DEFUSE_SECTOR_BOOTLOADER);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 255), ==, DEFUSE_SECTOR_BOOTLOADER);
  g_assert_cmpstr (defuse_memory_map_get_row_title (window->memory_map, 1), ==, "EEPROM");
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 1, 0), ==, DEFUSE_SECTOR_UNTOUCHED);
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-hex");

  task = flash_and_wait (window);
  gui_sim_assert_shows (window, "Flashed and Verified in");
  gui_sim_assert_shows (window, "Verified: the memory was read back and holds exactly what the file has.");
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-hex-done");
  back = read_memory (device, DF_FLIP_FLASH, firmware->len);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), firmware->data, firmware->len);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* an .eep file (QMK's eeprom-lefthand.eep) goes to the EEPROM, never into
 * the flash: the verdict, the map and the bytes read back say so */
static void
test_flash_eep (void)
{
  DefuseWindow *window = gui_test_window (1000);
  guint8 left[15] = { 0 };
  g_autoptr(GFile) file = NULL;
  g_autoptr(DfDevice) device = wait_for_keyboard (window);
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GBytes) back = NULL;

  left[14] = 0x01;
  file = hex_file ("eeprom-lefthand.eep", 0, left, sizeof left);
  gui_sim_open_file (window, file);
  g_assert_cmpint (window->plan->targets->len, ==, 1);
  g_assert_cmpuint (((DfPlanTarget *) g_ptr_array_index (window->plan->targets, 0))->alt, ==, DF_FLIP_EEPROM);
  gui_sim_assert_shows (window, "Goes into the EEPROM");
  gui_sim_assert_shows (window, "15 bytes go into the keyboard’s EEPROM (1.0 KiB), where it keeps its settings. "
                                "Its firmware is kept.");
  /* QMK DFU is never locked: no erase to warn of */
  gui_sim_assert_not_shown (window, "May need a chip erase first");
  g_assert_cmpstr (defuse_memory_map_get_row_title (window->memory_map, 0), ==, "EEPROM");
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 0, 0), ==, DEFUSE_SECTOR_WRITE);
  g_assert_cmpstr (defuse_memory_map_get_row_title (window->memory_map, 1), ==, "Flash");
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 1, 0), ==, DEFUSE_SECTOR_UNTOUCHED);
  g_assert_cmpint (defuse_memory_map_get_sector_kind (window->memory_map, 1, 255), ==, DEFUSE_SECTOR_BOOTLOADER);
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-eep");

  task = flash_and_wait (window);
  back = read_memory (device, DF_FLIP_EEPROM, sizeof left);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), left, sizeof left);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
panel_task_finished (gpointer data)
{
  DefuseFlashTask *task = defuse_keyboard_panel_get_task (DEFUSE_WINDOW (data)->keyboard_panel);
  return task != NULL && gui_sim_task_finished (task);
}

/* runs a keyboard tool by its row's action; answers its dialog, if any */
static DefuseFlashTask *
run_tool (DefuseWindow *window, const gchar *which, const gchar *confirm_heading)
{
  DefuseFlashTask *task;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.keyboard-eeprom", "s", which);
  if (confirm_heading != NULL)
    {
      AdwMessageDialog *dialog = gui_test_find_dialog ();
      g_assert_nonnull (dialog);
      g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, confirm_heading);
      adw_message_dialog_response (dialog, "yes");
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  g_assert_true (gui_test_wait (panel_task_finished, window, 60000));
  task = defuse_keyboard_panel_get_task (window->keyboard_panel);
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("%s failed: %s\n%s", which, defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  return g_object_ref (task);
}

/* QMK Toolbox's tools on QMK DFU, beside a board that is no keyboard:
 * Clear EEPROM (asked first) writes one 0x00 at 0, Set Left/Right Hand
 * QMK's handedness bytes; the firmware stays */
static void
test_tools (void)
{
  DefuseWindow *window = gui_test_window (1000);
  g_autoptr(GByteArray) firmware = firmware_bytes (2048);
  g_autoptr(GFile) file = hex_file ("keyboard.hex", 0, firmware->data, firmware->len);
  g_autoptr(DfDevice) keyboard = NULL;
  g_autoptr(DefuseFlashTask) task = NULL;
  g_autoptr(GBytes) back = NULL;
  GHashTableIter iter;
  DefuseDeviceRow *row;
  AdwMessageDialog *dialog;
  const guint8 *bytes;

  gui_sim_wait_for_devices (window, 2, DF_DEVICE_MODE_FLIP);
  /* the STM32 selected: no keyboard tools */
  g_hash_table_iter_init (&iter, window->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    if (defuse_device_row_get_device (row)->mode == DF_DEVICE_MODE_FLIP)
      keyboard = df_device_ref (defuse_device_row_get_device (row));
    else
      defuse_window_select_device (window, defuse_device_row_get_id (row));
  gui_test_settle (GTK_WIDGET (window));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->keyboard_panel)));
  /* and the action does nothing to it */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.keyboard-eeprom", "s", "left");
  g_assert_null (gui_test_find_dialog ());
  g_assert_cmpuint (g_hash_table_size (window->tasks), ==, 0);
  {
    g_autofree gchar *id = df_device_get_id (keyboard);
    defuse_window_select_device (window, id);
  }
  gui_test_settle (GTK_WIDGET (window));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->keyboard_panel)));
  gui_sim_assert_shows (window, "Clear EEPROM…");
  gui_sim_assert_shows (window, "Set Left Hand");
  gui_sim_assert_shows (window, "Set Right Hand");

  /* a firmware first: the tools must leave it */
  gui_sim_open_file (window, file);
  g_clear_object (&task);
  task = flash_and_wait (window);

  /* Clear EEPROM asks; Cancel changes nothing */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.keyboard-eeprom", "s", "clear");
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Clear the Keyboard’s EEPROM?");
  gui_test_screenshot (GTK_WIDGET (dialog), "keyboard-clear-asks");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_null (defuse_keyboard_panel_get_task (window->keyboard_panel));

  /* Set Left Hand: QMK's eeprom-lefthand.eep, 14 zeros and a 1 */
  g_clear_object (&task);
  task = run_tool (window, "left", NULL);
  gui_sim_assert_shows (window, "Left Hand Set");
  gui_sim_assert_shows (window, "Verified: the EEPROM was read back and holds what was written.");
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-left-hand");
  back = read_memory (keyboard, DF_FLIP_EEPROM, 16);
  bytes = g_bytes_get_data (back, NULL);
  for (guint i = 0; i < 14; i++)
    g_assert_cmpuint (bytes[i], ==, 0x00);
  g_assert_cmpuint (bytes[14], ==, 0x01);
  g_assert_cmpuint (bytes[15], ==, 0xff);   /* nothing past QMK's bytes */
  g_clear_pointer (&back, g_bytes_unref);

  /* Set Right Hand: byte 14 back to 0 */
  g_clear_object (&task);
  task = run_tool (window, "right", NULL);
  gui_sim_assert_shows (window, "Right Hand Set");
  back = read_memory (keyboard, DF_FLIP_EEPROM, 15);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (back, NULL))[14], ==, 0x00);
  g_clear_pointer (&back, g_bytes_unref);

  /* Clear EEPROM: QMK Toolbox's reset.eep, one 0x00 at 0, over an 0xFF */
  g_clear_object (&task);
  task = run_tool (window, "clear", "Clear the Keyboard’s EEPROM?");
  gui_sim_assert_shows (window, "EEPROM Cleared");
  gui_sim_assert_shows (window, "The keyboard is still in its bootloader");
  back = read_memory (keyboard, DF_FLIP_EEPROM, 1);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (back, NULL))[0], ==, 0x00);
  g_clear_pointer (&back, g_bytes_unref);
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-cleared");

  /* and the firmware is where it was */
  back = read_memory (keyboard, DF_FLIP_FLASH, firmware->len);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), firmware->data, firmware->len);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
dialog_shown (gpointer unused)
{
  return gui_test_find_dialog () != NULL;
}

/* Atmel's factory bootloader, locked: the empty list says how to start a
 * keyboard's bootloader; an EEPROM write is refused with nothing changed,
 * the window asks about the chip erase, Cancel keeps the firmware's
 * lock; Erase and Write erases the chip (the firmware goes) and writes */
static void
test_factory (void)
{
  DefuseWindow *window = gui_test_window (1000);
  g_autoptr(DfDevice) keyboard = NULL;
  g_autoptr(GBytes) back = NULL;
  AdwMessageDialog *dialog;
  DefuseFlashTask *task;
  const guint8 *bytes;
  gsize size;

  /* nothing plugged in yet: the steps name keyboards */
  gui_sim_wait_for_devices (window, 0, -1);
  gui_sim_assert_shows (window, "AVR keyboards");
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-steps");
  kill (getppid (), SIGUSR1);
  keyboard = wait_for_keyboard (window);
  gui_sim_assert_shows (window, "Atmel DFU bootloader (AVR keyboard)");

  /* refused: nothing changed, and the window asks */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.keyboard-eeprom", "s", "right");
  g_assert_true (gui_test_wait (dialog_shown, NULL, 60000));
  task = defuse_keyboard_panel_get_task (window->keyboard_panel);
  g_assert_cmpint (defuse_flash_task_get_state (task), ==, DEFUSE_FLASH_FAILED);
  g_assert_true (g_error_matches (defuse_flash_task_get_error (task), DF_ERROR, DF_ERROR_PROTECTED));
  dialog = gui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Erase the Chip and Write EEPROM?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "also deletes the keyboard’s firmware"));
  gui_sim_assert_shows (window, "Chip Locked");
  gui_test_screenshot (GTK_WIDGET (dialog), "keyboard-erase-asks");
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-locked");
  /* Cancel: still locked, nothing was erased */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (defuse_keyboard_panel_get_task (window->keyboard_panel) == task);
  g_assert_false (g_hash_table_contains (window->tasks, window->selected_id));

  /* again, and Erase and Write */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.keyboard-eeprom", "s", "right");
  g_assert_true (gui_test_wait (dialog_shown, NULL, 60000));
  dialog = gui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Erase the Chip and Write EEPROM?");
  adw_message_dialog_response (dialog, "yes");
  gtk_window_destroy (GTK_WINDOW (dialog));
  task = defuse_keyboard_panel_get_task (window->keyboard_panel);
  g_assert_true (gui_test_wait (gui_sim_task_finished, task, 60000));
  if (defuse_flash_task_get_state (task) != DEFUSE_FLASH_SUCCEEDED)
    g_error ("failed: %s\n%s", defuse_flash_task_get_error (task)->message, defuse_flash_task_get_log (task));
  g_assert_nonnull (strstr (defuse_flash_task_get_log (task), "erasing it first"));
  gui_sim_assert_shows (window, "Right Hand Set");
  gui_sim_assert_shows (window, "The chip was erased first, so the keyboard has no firmware now");
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-erased-and-written");

  /* the EEPROM holds QMK's right-hand bytes, the flash is blank */
  back = read_memory (keyboard, DF_FLIP_EEPROM, 15);
  bytes = g_bytes_get_data (back, &size);
  for (guint i = 0; i < size; i++)
    g_assert_cmpuint (bytes[i], ==, 0x00);
  g_clear_pointer (&back, g_bytes_unref);
  back = read_memory (keyboard, DF_FLIP_FLASH, 0x7000);
  bytes = g_bytes_get_data (back, &size);
  for (guint i = 0; i < size; i++)
    g_assert_cmpuint (bytes[i], ==, 0xff);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  int status;

  gui_sim_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("defuse-keyboard-XXXXXX", NULL);
  g_test_add_func ("/gui/keyboard/flash-hex", test_flash_hex);
  g_test_add_func ("/gui/keyboard/flash-eep", test_flash_eep);
  g_test_add_func ("/gui/keyboard/tools", test_tools);
  g_test_add_func ("/gui/keyboard/factory", test_factory);
  status = g_test_run ();
  return status;
}
