/* drag-source.c: another X client for the drag-and-drop test: a window
 * titled "defuse-drag-source" whose label drags the file given on the
 * command line, as a file manager would (XDND, text/uri-list).  The test
 * drives the pointer with xdotool. */
#include <gtk/gtk.h>

static void
on_destroy (GtkWidget *window, gboolean *done)
{
  *done = TRUE;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GdkContentProvider) content = NULL;
  GtkDragSource *source;
  GtkWidget *window, *label;
  gboolean done = FALSE;

  if (argc != 2)
    {
      g_printerr ("usage: drag-source FILE\n");
      return 2;
    }
  gtk_init ();
  file = g_file_new_for_commandline_arg (argv[1]);
  content = gdk_content_provider_new_typed (G_TYPE_FILE, file);

  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), "defuse-drag-source");
  gtk_window_set_default_size (GTK_WINDOW (window), 200, 200);
  label = gtk_label_new (argv[1]);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_window_set_child (GTK_WINDOW (window), label);

  source = gtk_drag_source_new ();
  gtk_drag_source_set_content (source, content);
  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (source));

  g_signal_connect (window, "destroy", G_CALLBACK (on_destroy), &done);
  gtk_window_present (GTK_WINDOW (window));
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}
