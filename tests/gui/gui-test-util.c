/* gui-test-util.c: see gui-test-util.h */
#include "gui-test-util.h"
#include "defuse-window.h"

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A deadline bounds a hang; it does not time the app.  Under
 * AddressSanitizer everything runs a few times slower, and beside the
 * other suite's tests a MicroPython update took 32 s against its 30 s. */
#if defined(__SANITIZE_ADDRESS__)
#define DEADLINE_SCALE 4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DEADLINE_SCALE 4
#endif
#endif
#ifndef DEADLINE_SCALE
#define DEADLINE_SCALE 1
#endif

gboolean
gui_test_wait (GuiTestCondition cond, gpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms * DEADLINE_SCALE, on_deadline, &timed_out);

  /* each iteration blocks until something happens, the deadline included */
  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return cond (data);
}

static gboolean
count_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
frames_done (gpointer data)
{
  return *(guint *) data >= 4;
}

DefuseWindow *
gui_test_window (gint height)
{
  DefuseWindow *window = defuse_window_new (NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1180, height);
  gtk_window_present (GTK_WINDOW (window));
  gui_test_settle (GTK_WIDGET (window));
  return window;
}

void
gui_test_settle (GtkWidget *widget)
{
  guint frames = 0;
  guint id;

  gtk_widget_queue_draw (widget);
  id = gtk_widget_add_tick_callback (widget, count_frame, &frames, NULL);
  g_assert_true (gui_test_wait (frames_done, &frames, 5000));
  gtk_widget_remove_tick_callback (widget, id);
}

void
gui_test_screenshot (GtkWidget *window, const gchar *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree gchar *dir = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "tests", "gui", "screenshots", NULL);
  g_autofree gchar *file = g_strconcat (name, ".png", NULL);
  g_autofree gchar *path = g_build_filename (dir, file, NULL);
  gint width, height;

  gui_test_settle (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static void
collect_text (GtkWidget *widget, GString *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget))
    {
      const gchar *text = gtk_label_get_text (GTK_LABEL (widget));
      if (text != NULL && text[0] != '\0')
        {
          /* GLib writes sizes with a no-break space: "14.4\u00a0KiB" */
          g_auto(GStrv) parts = g_strsplit (text, "\u00a0", -1);
          g_autofree gchar *plain = g_strjoinv (" ", parts);
          g_string_append_printf (out, "%s\n", plain);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_text (child, out);
}

gchar *
gui_test_visible_text (GtkWidget *widget)
{
  GString *out = g_string_new (NULL);
  collect_text (widget, out);
  return g_string_free (out, FALSE);
}

gpointer
gui_test_child (gpointer window, const gchar *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), DEFUSE_TYPE_WINDOW, id);
  g_assert_nonnull (child);
  return child;
}

DfDevice *
gui_test_device (guint16 vid, guint16 pid, const gchar *serial, const gchar *path, ...)
{
  DfDevice *device = df_device_new ();
  const gchar *layout;
  va_list args;
  guint8 alt = 0;

  device->vid = vid;
  device->pid = pid;
  device->bcd_device = 0x2200;
  device->manufacturer = g_strdup ("STMicroelectronics");
  device->product = g_strdup ("STM32  BOOTLOADER");
  device->serial = g_strdup (serial);
  device->path = g_strdup (path);
  device->mode = DF_DEVICE_MODE_DFUSE;
  device->attributes = 0x0B;
  device->detach_timeout_ms = 255;
  device->transfer_size = 2048;
  device->dfu_version = 0x011a;
  va_start (args, path);
  while ((layout = va_arg (args, const gchar *)) != NULL)
    df_device_add_alt (device, alt++, layout);
  va_end (args);
  return device;
}

/* a copy in the test home's Downloads, where a user's file would be: the
 * window's subtitle (and every screenshot) then says ~/Downloads */
GFile *
gui_test_sample_file (void)
{
  g_autofree gchar *built = g_build_filename (g_getenv ("DEFUSE_BUILD_ROOT"), "tests", "samples",
                                              "micropython-like.dfu", NULL);
  g_autofree gchar *dir = g_build_filename (g_get_home_dir (), "Downloads", NULL);
  g_autofree gchar *path = g_build_filename (dir, "micropython-like.dfu", NULL);
  g_autofree gchar *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  if (!g_file_get_contents (built, &contents, &len, &error) ||
      !g_file_set_contents (path, contents, (gssize) len, &error))
    g_error ("sample file: %s", error->message);
  return g_file_new_for_path (path);
}

AdwMessageDialog *
gui_test_find_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

void
gui_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  g_assert_nonnull (g_getenv ("DEFUSE_BUILD_ROOT"));
  gtk_init ();
  adw_init ();
  /* stack and leaflet transitions end at once: screenshots show one page */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}
