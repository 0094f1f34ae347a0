/* gui-test-util.h: helpers of the GUI tests: waiting on a condition with a
 * bounded main-loop iteration (never a sleep), screenshots, and reading
 * what the window shows. */
#pragma once

#include <adwaita.h>

#include "df-device.h"
#include "defuse-window.h"

G_BEGIN_DECLS

typedef gboolean (*GuiTestCondition) (gpointer data);

void        gui_test_init (int *argc, char ***argv);
/* iterates the main context until cond (data) holds or timeout_ms pass */
gboolean    gui_test_wait (GuiTestCondition cond, gpointer data, guint timeout_ms);
/* a window of the app, shown at 1180 x height and settled */
DefuseWindow *gui_test_window (gint height);
/* a few frames, so layout and drawing are done */
void        gui_test_settle (GtkWidget *widget);
/* saves the window as BUILD/tests/gui/screenshots/NAME.png */
void        gui_test_screenshot (GtkWidget *window, const gchar *name);
/* the text of every GtkLabel mapped under widget, one a line */
gchar      *gui_test_visible_text (GtkWidget *widget);
/* widgets of the window's template by id */
gpointer    gui_test_child (gpointer window, const gchar *id);
/* a DfuSe device with the alt settings given as layout strings, NULL-terminated */
DfDevice   *gui_test_device (guint16 vid, guint16 pid, const gchar *serial, const gchar *path, ...) G_GNUC_NULL_TERMINATED;
/* the sample .dfu built by tests/samples */
GFile      *gui_test_sample_file (void);
/* the AdwMessageDialog shown now, or NULL */
AdwMessageDialog *gui_test_find_dialog (void);

G_END_DECLS
