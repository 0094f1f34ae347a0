/* gui-sim-util.c: see gui-sim-util.h */
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gui-sim-util.h"

gpointer
gui_sim_panel_child (DefuseWindow *window, const gchar *id)
{
  return gtk_widget_get_template_child (GTK_WIDGET (window->flash_panel), DEFUSE_TYPE_FLASH_PANEL, id);
}

typedef struct {
  DefuseWindow *window;
  guint         count;
  gint          mode;
} DeviceWait;

static gboolean
rows_are (gpointer data)
{
  DeviceWait *wait = data;
  GHashTableIter iter;
  gpointer row;
  gboolean mode_seen = wait->mode < 0;

  g_hash_table_iter_init (&iter, wait->window->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    mode_seen |= (gint) defuse_device_row_get_device (row)->mode == wait->mode;
  return g_hash_table_size (wait->window->rows) == wait->count && (wait->count == 0 || mode_seen);
}

void
gui_sim_init (int *argc, char ***argv)
{
  g_unsetenv ("DEFUSE_NO_MONITOR");
  gui_test_init (argc, argv);
  g_assert_nonnull (g_getenv ("DEFUSE_ASSERT_WORKER_THREAD"));
  g_assert_true (g_main_context_acquire (NULL));
}

void
gui_sim_wait_for_devices (DefuseWindow *window, guint count, gint mode)
{
  DeviceWait wait = { window, count, mode };
  if (!gui_test_wait (rows_are, &wait, 30000))
    g_error ("expected %u device(s), the list has %u", count, g_hash_table_size (window->rows));
}

DefuseDeviceRow *
gui_sim_only_row (DefuseWindow *window)
{
  GHashTableIter iter;
  DefuseDeviceRow *row = NULL;

  g_hash_table_iter_init (&iter, window->rows);
  g_assert_true (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row));
  return row;
}

static gboolean
shows_file (gpointer data)
{
  DefuseWindow *window = data;
  return g_strcmp0 (gtk_stack_get_visible_child_name (window->content_stack), "file") == 0;
}

void
gui_sim_open_file (DefuseWindow *window, GFile *file)
{
  defuse_window_open_file (window, file);
  g_assert_true (gui_test_wait (shows_file, window, 10000));
}

void
gui_sim_open_sample (DefuseWindow *window)
{
  g_autoptr(GFile) file = gui_test_sample_file ();
  gui_sim_open_file (window, file);
}

gboolean
gui_sim_task_finished (gpointer task)
{
  return defuse_flash_task_get_state (task) != DEFUSE_FLASH_RUNNING;
}

DefuseFlashTask *
gui_sim_start_flash_anyway (DefuseWindow *window)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_is_sensitive (gui_sim_panel_child (window, "flash_button")));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  dialog = gui_test_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Flash Firmware Made for Another Device?");
  adw_message_dialog_response (dialog, "flash");
  gtk_window_destroy (GTK_WINDOW (dialog));
  return gui_sim_started_task (window);
}

DefuseFlashTask *
gui_sim_start_flash (DefuseWindow *window)
{
  g_assert_true (gtk_widget_is_sensitive (gui_sim_panel_child (window, "flash_button")));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.flash", NULL);
  return gui_sim_started_task (window);
}

/* the task a Flash just started, shown in the panel */
DefuseFlashTask *
gui_sim_started_task (DefuseWindow *window)
{
  DefuseFlashTask *task;

  task = defuse_flash_panel_get_task (window->flash_panel);
  if (task == NULL)
    {
      AdwMessageDialog *dialog = gui_test_find_dialog ();
      g_error ("no flash started%s%s; the plan has %u problems%s%s", dialog != NULL ? ": a dialog asks " : "",
               dialog != NULL ? adw_message_dialog_get_heading (dialog) : "",
               window->plan != NULL ? window->plan->problems->len : 0,
               window->plan != NULL && window->plan->problems->len > 0 ? ", the first: " : "",
               window->plan != NULL && window->plan->problems->len > 0
                 ? ((DfPlanProblem *) g_ptr_array_index (window->plan->problems, 0))->message : "");
    }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (gui_sim_panel_child (window, "stack")), ==, "progress");
  return task;
}

void
gui_sim_assert_shows (DefuseWindow *window, const gchar *text)
{
  g_autofree gchar *visible = gui_test_visible_text (GTK_WIDGET (window));
  if (strstr (visible, text) == NULL)
    g_error ("“%s” is not shown; the window shows:\n%s", text, visible);
}

void
gui_sim_assert_not_shown (DefuseWindow *window, const gchar *text)
{
  g_autofree gchar *visible = gui_test_visible_text (GTK_WIDGET (window));
  if (strstr (visible, text) != NULL)
    g_error ("“%s” is shown but should not be; the window shows:\n%s", text, visible);
}

/* ---- reading a board back ---- */

typedef struct {
  guint8    alt;
  guint32   address;
  gsize     length;
  GBytes   *bytes;
  GError   *error;
  gboolean  done;
} Read;

static void
read_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Read *read = g_task_get_task_data (task);
  GError *error = NULL;
  DfDevice *device = g_object_get_data (G_OBJECT (task), "device");
  GBytes *bytes = df_device_read_memory (device, read->alt, read->address, read->length, NULL, NULL, NULL, &error);

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

GBytes *
gui_sim_read_memory (DfDevice *device, guint8 alt, guint32 address, gsize length)
{
  Read read = { alt, address, length, NULL, NULL, FALSE };
  g_autoptr(GTask) task = NULL;

  task = g_task_new (NULL, NULL, on_read, &read);
  g_task_set_task_data (task, &read, NULL);
  g_object_set_data_full (G_OBJECT (task), "device", df_device_ref (device), (GDestroyNotify) df_device_unref);
  g_task_run_in_thread (task, read_thread);
  g_assert_true (gui_test_wait (read_done, &read, 60000));
  g_assert_no_error (read.error);
  return read.bytes;
}

/* ---- defuse-sim --control ---- */

/* worker thread: the runner answers once the board is off or back on the
 * bus, which may take it a while; the main loop goes on meanwhile */
static void
control_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const gchar *path = g_getenv ("DEFUSE_SIM_CONTROL");
  g_autofree gchar *line = g_strconcat (data, "\n", NULL);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  GString *answer = g_string_new (NULL);
  gint fd;
  gchar c;

  g_assert_nonnull (path);
  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  strcpy (address.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (write (fd, line, strlen (line)), ==, (gssize) strlen (line));
  while (read (fd, &c, 1) == 1 && c != '\n')
    g_string_append_c (answer, c);
  close (fd);
  g_task_return_pointer (task, g_string_free (answer, FALSE), g_free);
}

static void
on_control_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gchar **) data = g_task_propagate_pointer (G_TASK (result), NULL);
}

static gboolean
is_set (gpointer data)
{
  return *(gchar **) data != NULL;
}

gchar *
gui_sim_control (const gchar *command)
{
  g_autofree gchar *answer = NULL;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_control_answer, &answer);

  g_task_set_task_data (task, g_strdup (command), g_free);
  g_task_run_in_thread (task, control_thread);
  if (!gui_test_wait (is_set, &answer, 30000))
    g_error ("defuse-sim --control did not answer “%s”", command);
  if (g_strcmp0 (answer, "ok") != 0 && !g_str_has_prefix (answer, "ok "))
    g_error ("defuse-sim --control: “%s” answered “%s”", command, answer);
  return g_strdup (answer[2] == ' ' ? answer + 3 : "");
}

/* ---- defuse-cli beside the window ---- */

typedef struct {
  GDataInputStream *input;
  GString          *text;
  gboolean          eof;
} Lines;

struct _GuiSimCli {
  GSubprocess *process;
  Lines        out, err;
  gboolean     exited;
  gint         status;
};

static void read_next (Lines *lines);

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  Lines *lines = data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                      NULL, NULL);
  if (line == NULL)
    {
      lines->eof = TRUE;
      return;
    }
  g_string_append_printf (lines->text, "%s\n", line);
  read_next (lines);
}

static void
read_next (Lines *lines)
{
  g_data_input_stream_read_line_async (lines->input, G_PRIORITY_DEFAULT, NULL, on_line, lines);
}

static void
lines_init (Lines *lines, GInputStream *pipe)
{
  lines->input = g_data_input_stream_new (pipe);
  lines->text = g_string_new (NULL);
  read_next (lines);
}

static void
on_cli_exit (GObject *source, GAsyncResult *result, gpointer data)
{
  GuiSimCli *cli = data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  cli->status = g_subprocess_get_if_exited (cli->process) ? g_subprocess_get_exit_status (cli->process) : -1;
  cli->exited = TRUE;
}

GuiSimCli *
gui_sim_cli_start (const gchar *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GuiSimCli *cli = g_new0 (GuiSimCli, 1);
  const gchar *arg;
  va_list args;

  g_assert_nonnull (g_getenv ("DEFUSE_CLI"));
  g_ptr_array_add (argv, (gpointer) g_getenv ("DEFUSE_CLI"));
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  cli->process = g_subprocess_newv ((const gchar *const *) argv->pdata,
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  lines_init (&cli->out, g_subprocess_get_stdout_pipe (cli->process));
  lines_init (&cli->err, g_subprocess_get_stderr_pipe (cli->process));
  g_subprocess_wait_async (cli->process, NULL, on_cli_exit, cli);
  return cli;
}

typedef struct {
  GuiSimCli   *cli;
  const gchar *text;
} LineWait;

static gboolean
line_seen (gpointer data)
{
  LineWait *wait = data;
  return strstr (wait->cli->out.text->str, wait->text) != NULL || wait->cli->out.eof;
}

gboolean
gui_sim_cli_wait_line (GuiSimCli *cli, const gchar *text, guint timeout_ms)
{
  LineWait wait = { cli, text };

  gui_test_wait (line_seen, &wait, timeout_ms);
  return strstr (cli->out.text->str, text) != NULL;
}

static gboolean
all_done (gpointer data)
{
  GuiSimCli *cli = data;
  return cli->exited && cli->out.eof && cli->err.eof;
}

gboolean
gui_sim_cli_exited (GuiSimCli *cli)
{
  return all_done (cli);
}

gint
gui_sim_cli_wait (GuiSimCli *cli, guint timeout_ms)
{
  if (!gui_test_wait (all_done, cli, timeout_ms))
    g_error ("defuse-cli did not end; its output:\n%s%s", cli->out.text->str, cli->err.text->str);
  return cli->status;
}

const gchar *
gui_sim_cli_stdout (GuiSimCli *cli)
{
  return cli->out.text->str;
}

const gchar *
gui_sim_cli_stderr (GuiSimCli *cli)
{
  return cli->err.text->str;
}

void
gui_sim_cli_free (GuiSimCli *cli)
{
  /* the reads and the wait hold cli: they end before it goes */
  if (!all_done (cli))
    {
      g_subprocess_force_exit (cli->process);
      g_assert_true (gui_test_wait (all_done, cli, 30000));
    }
  g_object_unref (cli->out.input);
  g_object_unref (cli->err.input);
  g_string_free (cli->out.text, TRUE);
  g_string_free (cli->err.text, TRUE);
  g_object_unref (cli->process);
  g_free (cli);
}
