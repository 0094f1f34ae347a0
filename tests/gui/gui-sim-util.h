/* gui-sim-util.h: helpers of the GUI tests that run the window against
 * virtual devices (defuse-sim): waiting for devices and flashes, pulling a
 * board's cable and plugging it back in (defuse-sim --control), and a
 * defuse-cli run beside the window under the same runner.  Every wait is
 * a bounded main-loop iteration (gui_test_wait), never a sleep. */
#pragma once

#include <gio/gio.h>

#include "gui-test-util.h"
#include "defuse-window-private.h"

G_BEGIN_DECLS

/* a template child of the window's flash panel */
/* gui_test_init for the tests on virtual devices: the device monitor on,
 * and the main context owned for the whole test, so a USB request from
 * this thread, in a callback or not, fails it (df-transport.c) */
void             gui_sim_init (int *argc, char ***argv);
gpointer         gui_sim_panel_child (DefuseWindow *window, const gchar *id);
/* count rows, of which at least one in mode (any mode when mode < 0) */
void             gui_sim_wait_for_devices (DefuseWindow *window, guint count, gint mode);
DefuseDeviceRow *gui_sim_only_row (DefuseWindow *window);
/* opens the sample .dfu and waits until the window shows it */
void             gui_sim_open_sample (DefuseWindow *window);
void             gui_sim_open_file (DefuseWindow *window, GFile *file);
/* presses Flash (which must be sensitive); the panel's task */
DefuseFlashTask *gui_sim_start_flash (DefuseWindow *window);
/* the same for a file made for another board: confirms "Flash Anyway" */
DefuseFlashTask *gui_sim_start_flash_anyway (DefuseWindow *window);
DefuseFlashTask *gui_sim_started_task (DefuseWindow *window);
gboolean         gui_sim_task_finished (gpointer task);
/* fails the test, with what the window shows, unless it shows text */
void             gui_sim_assert_shows (DefuseWindow *window, const gchar *text);
/* length bytes of alt at address, read on a worker thread (a USB request
 * from the test's thread fails the test), as the window would */
GBytes          *gui_sim_read_memory (DfDevice *device, guint8 alt, guint32 address, gsize length);
void             gui_sim_assert_not_shown (DefuseWindow *window, const gchar *text);

/* one line to defuse-sim --control ("unplug 1", "plug 1"): what follows
 * its "ok" ("/dev/bus/usb/001/005" after a plug) */
gchar           *gui_sim_control (const gchar *command);

/* defuse-cli ($DEFUSE_CLI) run by the test under the same runner, so it
 * sees the same virtual boards: stdout read line by line as it comes */
typedef struct _GuiSimCli GuiSimCli;

GuiSimCli       *gui_sim_cli_start (const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* waits until a line of its stdout contains text (or it ends) */
gboolean         gui_sim_cli_wait_line (GuiSimCli *cli, const gchar *text, guint timeout_ms);
/* waits for its exit: the status; its whole stdout and stderr */
gint             gui_sim_cli_wait (GuiSimCli *cli, guint timeout_ms);
gboolean         gui_sim_cli_exited (GuiSimCli *cli);
const gchar     *gui_sim_cli_stdout (GuiSimCli *cli);
const gchar     *gui_sim_cli_stderr (GuiSimCli *cli);
void             gui_sim_cli_free (GuiSimCli *cli);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GuiSimCli, gui_sim_cli_free)

G_END_DECLS
