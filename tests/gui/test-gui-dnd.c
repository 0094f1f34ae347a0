/* test-gui-dnd.c: drag and drop end to end under Xvfb: another X client
 * (drag-source) drags the sample file with the real XDND protocol, the
 * pointer driven by xdotool, onto the window (it opens) and onto a device
 * row (it opens and offers to flash that device).  Every step waits for
 * what the window shows, never for time. */
#include "gui-test-util.h"
#include "defuse-window-private.h"

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

/* runs xdotool with the arguments, iterating the main loop meanwhile so
 * the window answers the XDND messages; returns its stdout */
static gchar *
xdotool (const gchar *first, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  GInputStream *stdout_stream;
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
  stdout_stream = g_subprocess_get_stdout_pipe (process);
  out = g_input_stream_read_bytes (stdout_stream, 4096, NULL, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
}

static void
move_to (gint x, gint y)
{
  g_autofree gchar *sx = g_strdup_printf ("%d", x), *sy = g_strdup_printf ("%d", y);
  g_autofree gchar *out = xdotool ("mousemove", "--sync", sx, sy, NULL);
}

/* the pointer from (x0, y0) to (x1, y1) in steps, as a hand would */
static void
glide (gint x0, gint y0, gint x1, gint y1)
{
  for (gint i = 1; i <= 8; i++)
    move_to (x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8);
}

/* Holds the pointer at (x, y) until cond holds, nudging it a pixel now and
 * then: the drag source may start its drag only after the glide ended
 * (a busy machine), and the target hears of a drag on the next motion. */
static gboolean
hover_until (GuiTestCondition cond, gpointer data, gint x, gint y)
{
  for (gint i = 0; i < 50; i++)
    {
      if (gui_test_wait (cond, data, 200))
        return TRUE;
      move_to (x + (i % 2 == 0 ? 1 : 0), y);
    }
  return cond (data);
}

static gboolean
widget_visible (gpointer data)
{
  return gtk_widget_get_visible (data);
}

static gboolean
drop_active (gpointer data)
{
  return (gtk_widget_get_state_flags (data) & GTK_STATE_FLAG_DROP_ACTIVE) != 0;
}

static gboolean
image_loaded (gpointer data)
{
  DefuseWindow *window = data;
  return window->image != NULL &&
         g_strcmp0 (gtk_stack_get_visible_child_name (window->content_stack), "file") == 0;
}

static gboolean
dialog_shown (gpointer data)
{
  return gui_test_find_dialog () != NULL;
}

/* where a widget is on the screen: the window is moved to (0, 0) */
static void
screen_center (GtkWidget *widget, gint *x, gint *y)
{
  graphene_point_t point;
  GtkRoot *root = gtk_widget_get_root (widget);

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (root),
                                           &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                                 gtk_widget_get_height (widget) / 2.f),
                                           &point));
  *x = (gint) point.x;
  *y = (gint) point.y;
}

static void
test_drag_and_drop (void)
{
  DefuseWindow *window = defuse_window_new (NULL);
  g_autoptr(GFile) sample = gui_test_sample_file ();
  g_autofree gchar *sample_path = g_file_get_path (sample);
  g_autoptr(GSubprocess) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DfDevice) device = gui_test_device (0x0483, 0xdf11, "3276385C3034", "1-2",
                                                "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", NULL);
  g_autofree gchar *ids = NULL, *out = NULL;
  DefuseDeviceRow *row;
  AdwMessageDialog *dialog;
  gint tx, ty;

  gtk_window_set_title (GTK_WINDOW (window), "defuse-drop-target");
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 760);
  gtk_window_present (GTK_WINDOW (window));
  defuse_window_add_device (window, device);
  gui_test_settle (GTK_WIDGET (window));

  /* no window manager: place both windows ourselves */
  ids = xdotool ("search", "--sync", "--name", "^defuse-drop-target$", NULL);
  g_strstrip (ids);
  g_free (xdotool ("windowmove", "--sync", ids, "0", "0", NULL));
  source = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, g_getenv ("DEFUSE_DRAG_SOURCE"), sample_path, NULL);
  g_assert_no_error (error);
  out = xdotool ("search", "--sync", "--name", "^defuse-drag-source$", "windowmove", "--sync", "%@", "1100", "100", NULL);
  gui_test_settle (GTK_WIDGET (window));

  /* 1. onto the window: the drop zone lights up, the file opens */
  move_to (1200, 200);
  g_free (xdotool ("mousedown", "1", NULL));
  screen_center (GTK_WIDGET (window->content_stack), &tx, &ty);
  glide (1200, 200, tx, ty);
  g_assert_true (hover_until (widget_visible, window->drop_zone, tx, ty));
  gui_test_screenshot (GTK_WIDGET (window), "drop-zone");
  move_to (tx + 5, ty + 5);
  g_free (xdotool ("mouseup", "1", NULL));
  g_assert_true (gui_test_wait (image_loaded, window, 10000));
  g_assert_false (gtk_widget_get_visible (window->drop_zone));
  g_assert_cmpstr (adw_view_switcher_title_get_title (window->window_title), ==, "micropython-like.dfu");

  /* 2. onto the device row: opens, then offers to flash that device */
  g_clear_pointer (&window->image, df_image_unref);
  row = g_hash_table_lookup (window->rows, "1-2:0483:df11:3276385C3034");
  move_to (1200, 200);
  g_free (xdotool ("mousedown", "1", NULL));
  screen_center (GTK_WIDGET (row), &tx, &ty);
  glide (1200, 200, tx, ty);
  g_assert_true (hover_until (drop_active, row, tx, ty));
  gui_test_screenshot (GTK_WIDGET (window), "drop-on-row");
  move_to (tx + 3, ty);
  g_free (xdotool ("mouseup", "1", NULL));
  g_assert_true (gui_test_wait (dialog_shown, NULL, 10000));
  dialog = gui_test_find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Flash This File?");
  g_assert_nonnull (window->image);
  g_assert_cmpstr (window->selected_id, ==, "1-2:0483:df11:3276385C3034");
  gui_test_screenshot (GTK_WIDGET (dialog), "drop-offer");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_subprocess_force_exit (source);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  g_setenv ("DEFUSE_NO_MONITOR", "1", TRUE);
  gui_test_init (&argc, &argv);
  g_assert_nonnull (g_getenv ("DEFUSE_XDOTOOL"));
  g_assert_nonnull (g_getenv ("DEFUSE_DRAG_SOURCE"));
  g_test_add_func ("/gui/dnd/xdnd", test_drag_and_drop);
  return g_test_run ();
}
