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

typedef struct {
  DfDevice     *device;
  DfFlipMemory  memory;
  gsize         length;
  GBytes       *bytes;
  GError       *error;
  gboolean      done;
} Read;

static void
read_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Read *read = data;
  GError *error = NULL;
  GBytes *bytes = df_flip_device_read (read->device, read->memory, 0, read->length, NULL, NULL, NULL, &error);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer data)
{
  Read *read = data;
  read->bytes = g_task_propagate_pointer (G_TASK (result), &read->error);
  read->done = TRUE;
}

static gboolean
read_done (gpointer data)
{
  return ((Read *) data)->done;
}

/* the first length bytes of a memory, read on a worker thread (a USB
 * request from this thread fails the test) */
static GBytes *
read_memory (DfDevice *device, DfFlipMemory memory, gsize length)
{
  Read read = { device, memory, length, NULL, NULL, FALSE };
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_read, &read);

  g_task_set_task_data (task, &read, NULL);
  g_task_run_in_thread (task, read_thread);
  g_assert_true (gui_test_wait (read_done, &read, 60000));
  g_assert_no_error (read.error);
  return read.bytes;
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
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-hex");
  task = flash_and_wait (window);
  gui_test_screenshot (GTK_WIDGET (window), "keyboard-hex-done");
  back = read_memory (device, DF_FLIP_FLASH, firmware->len);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), firmware->data, firmware->len);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  int status;

  gui_sim_init (&argc, &argv);
  tmpdir = g_dir_make_tmp ("defuse-keyboard-XXXXXX", NULL);
  g_test_add_func ("/gui/keyboard/flash-hex", test_flash_hex);
  status = g_test_run ();
  return status;
}
