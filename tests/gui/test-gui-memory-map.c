/* test-gui-memory-map.c: the memory map by keyboard, pointer and screen
 * reader, under Xvfb with real X input (xdotool through XTEST): Tab reaches
 * the map in the window, the arrow keys and a click move the selected
 * sector, and the line under the map and the accessible description say
 * which sector it is and what the flash does to it. */
#include "gui-test-util.h"
#include "defuse-window-private.h"
#include "defuse-memory-map-private.h"

#define F405_FLASH "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"

static gboolean
subprocess_done (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
}

/* runs xdotool, iterating the main loop meanwhile; returns its stdout */
static gchar *
xdotool (const gchar *first, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  gboolean done = FALSE;
  va_list ap;

  g_ptr_array_add (args, (gpointer) g_getenv ("DEFUSE_XDOTOOL"));
  va_start (ap, first);
  for (const gchar *arg = first; arg != NULL; arg = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  process = g_subprocess_newv ((const gchar * const *) args->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, on_exited, &done);
  g_assert_true (gui_test_wait (subprocess_done, &done, 30000));
  g_assert_true (g_subprocess_get_successful (process));
  out = g_input_stream_read_bytes (g_subprocess_get_stdout_pipe (process), 4096, NULL, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

/* key presses the window has received, counted before anything handles them */
static guint n_keys;

static gboolean
count_key (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state, gpointer data)
{
  n_keys++;
  return FALSE;
}

static gboolean
keys_reached (gpointer data)
{
  return n_keys >= GPOINTER_TO_UINT (data);
}

/* No window manager: the test names the window, puts it at (0, 0) and
 * gives it the keyboard, as a user's click on it would */
static void
take_keyboard (GtkWindow *window, const gchar *title)
{
  GtkEventController *key = gtk_event_controller_key_new ();
  g_autofree gchar *pattern = g_strdup_printf ("^%s$", title);
  g_autofree gchar *ids = NULL;

  gtk_event_controller_set_propagation_phase (key, GTK_PHASE_CAPTURE);
  g_signal_connect (key, "key-pressed", G_CALLBACK (count_key), NULL);
  gtk_widget_add_controller (GTK_WIDGET (window), key);
  gtk_window_set_title (window, title);
  gui_test_settle (GTK_WIDGET (window));
  ids = g_strstrip (xdotool ("search", "--sync", "--name", pattern, NULL));
  g_free (xdotool ("windowmove", "--sync", ids, "0", "0", NULL));
  g_free (xdotool ("windowfocus", "--sync", ids, NULL));
  gui_test_settle (GTK_WIDGET (window));
}

/* a real key press (XTEST), returning once the window has handled it */
static void
press (const gchar *key)
{
  guint before = n_keys;

  g_free (xdotool ("key", "--clearmodifiers", key, NULL));
  g_assert_true (gui_test_wait (keys_reached, GUINT_TO_POINTER (before + 1), 5000));
}

static void
assert_selected (DefuseMemoryMap *map, guint row, guint sector)
{
  guint r = G_MAXUINT, s = G_MAXUINT;

  g_assert_true (defuse_memory_map_get_selected (map, &r, &s));
  g_assert_cmpuint (r, ==, row);
  g_assert_cmpuint (s, ==, sector);
}

/* the line under the map starts with first_line, and a screen reader
 * reads the same text as the map's description */
static void
assert_detail (DefuseMemoryMap *map, const gchar *first_line)
{
  const gchar *detail = defuse_memory_map_get_detail (map);
  g_autofree gchar *no_break = NULL;
  g_autofree gchar *error = NULL;
  g_auto(GStrv) parts = NULL;

  /* GLib writes sizes with a no-break space: "16.0\u00a0KiB" */
  parts = g_strsplit (detail, "\u00a0", -1);
  no_break = g_strjoinv (" ", parts);
  if (!g_str_has_prefix (no_break, first_line))
    {
      /* one line, for TAP */
      g_error ("the map says “%s”, not “%s…”", g_strdelimit (no_break, "\n", '|'), first_line);
    }
  error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (map), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, detail);
  g_assert_null (error);
}

static gboolean
file_open (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (((DefuseWindow *) data)->content_stack), "file") == 0;
}

static gboolean
map_focused (gpointer data)
{
  return gtk_widget_has_focus (data);
}

static void
on_selection_changed (DefuseMemoryMap *map, guint *count)
{
  (*count)++;
}

/* where a point of a widget is on the screen: the window is at (0, 0) */
static void
click_at (GtkWidget *widget, gfloat x, gfloat y)
{
  graphene_point_t point;
  g_autofree gchar *sx = NULL, *sy = NULL;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (gtk_widget_get_root (widget)),
                                           &GRAPHENE_POINT_INIT (x, y), &point));
  sx = g_strdup_printf ("%d", (gint) point.x);
  sy = g_strdup_printf ("%d", (gint) point.y);
  g_free (xdotool ("mousemove", "--sync", sx, sy, "click", "1", NULL));
}

/* The window with the F405 and the sample file: the map is a Tab stop,
 * the arrows walk its sectors, a click picks one */
static void
test_keys_in_window (void)
{
  DefuseWindow *window = gui_test_window (860);
  g_autoptr(GFile) file = gui_test_sample_file ();
  g_autoptr(DfDevice) device = gui_test_device (0x0483, 0xdf11, "3276385C3034", "1-2", F405_FLASH, NULL);
  DefuseMemoryMap *map = window->memory_map;
  guint changes = 0, tabs = 0;
  g_autofree gchar *error = NULL;

  defuse_window_add_device (window, device);
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (file_open, window, 10000));
  g_signal_connect (map, "selection-changed", G_CALLBACK (on_selection_changed), &changes);
  take_keyboard (GTK_WINDOW (window), "defuse-memory-map-test");

  /* the memory by its name; the first sector the flash touches is selected */
  g_assert_cmpuint (defuse_memory_map_get_n_rows (map), ==, 1);
  g_assert_cmpstr (defuse_memory_map_get_row_title (map, 0), ==, "Internal Flash");
  assert_selected (map, 0, 0);
  assert_detail (map, "Sector 0 · 0x08000000–0x08003FFF · 16.0 KiB · erased, then written\n"
                      "Internal Flash, alt setting 0");
  /* what a screen reader says on focus: the memory and what the flash does */
  error = gtk_test_accessible_check_property (GTK_ACCESSIBLE (map), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                              "Memory map of Internal Flash: 4 of 12 sectors erased · 314.2\u00a0KiB written");
  g_assert_null (error);
  g_assert_true (gtk_test_accessible_has_role (GTK_ACCESSIBLE (map), GTK_ACCESSIBLE_ROLE_IMG));

  /* Tab, as a user would, until the map has the keyboard */
  g_assert_false (gtk_widget_has_focus (GTK_WIDGET (map)));
  while (!gtk_widget_has_focus (GTK_WIDGET (map)) && tabs++ < 60)
    press ("Tab");
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (map)));
  g_assert_true (gtk_widget_has_visible_focus (GTK_WIDGET (map)));
  g_test_message ("the map is Tab stop %u", tabs);
  gui_test_screenshot (GTK_WIDGET (window), "memory-map-focused");

  press ("Right");
  press ("Right");
  assert_selected (map, 0, 2);
  assert_detail (map, "Sector 2 · 0x08008000–0x0800BFFF · 16.0 KiB · untouched");
  g_assert_cmpuint (changes, ==, 2);
  press ("End");
  assert_selected (map, 0, 11);
  assert_detail (map, "Sector 11 · 0x080E0000–0x080FFFFF · 128.0 KiB · untouched");
  press ("Left");
  press ("Left");
  press ("Left");
  press ("Left");
  press ("Left");
  assert_selected (map, 0, 6);
  assert_detail (map, "Sector 6 · 0x08040000–0x0805FFFF · 128.0 KiB · erased, then written");
  press ("Home");
  assert_selected (map, 0, 0);
  /* at the ends the selection stays */
  press ("Left");
  assert_selected (map, 0, 0);
  g_assert_cmpuint (changes, ==, 9);

  /* Tab leaves the map: one stop, not one per sector */
  press ("Tab");
  g_assert_false (gtk_widget_has_focus (GTK_WIDGET (map)));

  /* a click on sector 5 selects it and gives the map the keyboard */
  {
    MapRow *row = g_ptr_array_index (map->rows, 0);
    MapSector *ms = &g_array_index (row->sectors, MapSector, 5);
    click_at (GTK_WIDGET (map), ms->x + ms->width / 2, _defuse_memory_map_bar_y (map, row) + BAR_HEIGHT / 2.f);
  }
  g_assert_true (gui_test_wait (map_focused, map, 5000));
  assert_selected (map, 0, 5);
  /* the pointer is over sector 5, the selected one: the line says it */
  assert_detail (map, "Sector 5 · 0x08020000–0x0803FFFF · 128.0 KiB · erased, then written");
  gtk_window_destroy (GTK_WINDOW (window));
}

static GBytes *
filler (gsize size)
{
  return g_bytes_new_take (g_malloc0 (size), size);
}

/* Three memories in one file: the flash, one the device does not name,
 * and one the device does not have.  Up and Down go between the memories
 * drawn as sectors, straight down the picture */
static void
test_up_down_between_memories (void)
{
  g_autoptr(DfDevice) device = gui_test_device (0x0483, 0xdf11, "X", "1-1", F405_FLASH,
                                                "@ /0x1FFF7800/01*512 e,01*016 e", NULL);
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, "three.dfu");
  g_autoptr(GBytes) flash = filler (1024), otp = filler (16), lost = filler (4);
  DfPlanOptions options;
  DfPlan *plan;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *before = gtk_button_new_with_label ("Before");
  GtkWidget *after = gtk_button_new_with_label ("After");
  DefuseMemoryMap *map = DEFUSE_MEMORY_MAP (defuse_memory_map_new ());
  guint changes = 0;

  df_target_add_segment (df_image_add_target (image, 0, "ST..."), 0x08020000, flash);
  df_target_add_segment (df_image_add_target (image, 1, NULL), 0x1FFF7800, otp);
  df_target_add_segment (df_image_add_target (image, 7, NULL), 0x20000000, lost);
  df_plan_options_init (&options);
  plan = df_plan_new (image, device, &options);
  defuse_memory_map_set_plan (map, plan);
  g_signal_connect (map, "selection-changed", G_CALLBACK (on_selection_changed), &changes);

  gtk_box_append (GTK_BOX (box), before);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (map));
  gtk_box_append (GTK_BOX (box), after);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 400);
  gtk_window_present (GTK_WINDOW (window));
  take_keyboard (GTK_WINDOW (window), "defuse-memory-map-rows");

  /* memories by name; "Memory 2" where the device gives none */
  g_assert_cmpuint (defuse_memory_map_get_n_rows (map), ==, 3);
  g_assert_cmpstr (defuse_memory_map_get_row_title (map, 0), ==, "Internal Flash");
  g_assert_cmpstr (defuse_memory_map_get_row_title (map, 1), ==, "Memory 2");
  g_assert_cmpuint (defuse_memory_map_get_n_sectors (map, 2), ==, 0);
  /* the first sector written: 0x08020000 */
  assert_selected (map, 0, 5);

  /* one Tab stop between the buttons */
  gtk_widget_grab_focus (before);
  press ("Tab");
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (map)));

  /* down from sector 5 (a quarter of the way along) to the 512 bytes
   * that fill the first 85% of the next bar */
  press ("Down");
  assert_selected (map, 1, 0);
  assert_detail (map, "Sector 0 · 0x1FFF7800–0x1FFF79FF · 512 bytes · written without erasing "
                      "(the device cannot erase it)\nMemory 2, alt setting 1");
  /* the third memory is a message, not sectors: Down does not go there */
  press ("Down");
  assert_selected (map, 1, 0);
  press ("End");
  assert_selected (map, 1, 1);
  /* up from the end of the short bar: the end of the long one */
  press ("Up");
  assert_selected (map, 0, 11);
  g_assert_cmpuint (changes, ==, 3);
  gui_test_screenshot (window, "memory-map-rows");

  press ("Tab");
  g_assert_true (gtk_widget_has_focus (after));

  /* the API the window calls */
  g_assert_false (defuse_memory_map_select (map, 1, 2));
  g_assert_false (defuse_memory_map_select (map, 2, 0));
  g_assert_true (defuse_memory_map_select (map, 1, 1));
  assert_selected (map, 1, 1);
  g_assert_cmpuint (changes, ==, 4);

  /* new options, same file and device: the selection stays */
  options.mass_erase = TRUE;
  df_plan_unref (plan);
  plan = df_plan_new (image, device, &options);
  defuse_memory_map_set_plan (map, plan);
  assert_selected (map, 1, 1);
  df_plan_unref (plan);

  /* no plan: nothing selected, nothing said, no Tab stop */
  defuse_memory_map_set_plan (map, NULL);
  g_assert_false (defuse_memory_map_get_selected (map, NULL, NULL));
  g_assert_cmpstr (defuse_memory_map_get_detail (map), ==, "");
  g_assert_false (gtk_widget_get_focusable (GTK_WIDGET (map)));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  g_setenv ("DEFUSE_NO_MONITOR", "1", TRUE);
  /* GTK's in-process accessibility context (the suite's "none" has none):
   * what a screen reader would be told, readable by the test */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gui_test_init (&argc, &argv);

  g_test_add_func ("/gui/memory-map/keys-in-window", test_keys_in_window);
  g_test_add_func ("/gui/memory-map/up-down", test_up_down_between_memories);
  return g_test_run ();
}
