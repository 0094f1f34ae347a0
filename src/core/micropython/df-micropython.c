/* df-micropython.c: talking to a board that runs MicroPython, the way
 * MicroPython's own tools do (tools/mpremote/mpremote/transport_serial.py,
 * tools/pyboard.py; the board's side is shared/runtime/pyexec.c):
 *
 *   "\r\x03\x03"  Ctrl-C twice: interrupt a running program (main.py)
 *   "\r\x01"      Ctrl-A: raw REPL; the board prints
 *                 "raw REPL; CTRL-B to exit\r\n>"
 *   code "\x04"   Ctrl-D runs it; the board answers "OK", the output,
 *                 "\x04", the exception if any, "\x04" and ">"
 *   "\x02"        Ctrl-B: back to the friendly REPL (">>> ")
 *
 * A board is never left in raw mode (a user's terminal would show nothing
 * they understand), Ctrl-D is never sent on an empty buffer (that soft-
 * resets the board), and nothing is written to its filesystem.  Each step
 * waits a bounded time: a port that is not MicroPython (a modem, a GPS, a
 * board at the wrong speed) answers nothing or something else. */
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-key-table.h"
#include "df-micropython.h"
#include "df-micropython-identify.h"

#define RAW_BANNER    "raw REPL; CTRL-B to exit\r\n>"
#define INTERRUPT_MS  150   /* output of an interrupted program drains meanwhile */
#define ENTER_MS      2000  /* Ctrl-A to the raw banner */
#define RUN_MS        3000  /* the query runs in microseconds on any board */
#define LEAVE_MS      500
/* asked in one exchange; os.uname().machine rather than
 * sys.implementation._machine, which boards before v1.19 lack */
#define QUERY_CODE    "import sys, os\n" \
                      "print(sys.implementation.name)\n" \
                      "print(os.uname().release)\n" \
                      "print(os.uname().machine)"
/* asked apart: boards before v1.25 raise AttributeError, which must not
 * spoil the answer above */
#define BUILD_CODE    "import sys\nprint(sys.implementation._build)"

DfMicroPython *
df_micropython_ref (DfMicroPython *board)
{
  g_atomic_int_inc (&board->ref_count);
  return board;
}

void
df_micropython_unref (DfMicroPython *board)
{
  if (board == NULL || !g_atomic_int_dec_and_test (&board->ref_count))
    return;
  df_serial_port_unref (board->port);
  g_free (board->version);
  g_free (board->machine);
  g_free (board->build);
  g_free (board->bootloader_layout);
  g_clear_error (&board->error);
  g_free (board);
}

/* --- the board data (data/micropython-boards.conf) --- */

/* built in; a user's own boards go in files ending in .conf in ~/.config/defuse/micropython
 * ($DEFUSE_MICROPYTHON_DIR), merged as the quirk table's files are */
static GKeyFile *
board_data (void)
{
  static DfKeyTable *table;
  static gsize loaded;

  if (g_once_init_enter (&loaded))
    {
      g_autofree gchar *dir = df_key_table_user_dir ("DEFUSE_MICROPYTHON_DIR", "micropython");
      table = df_key_table_load ("/io/github/defuse/core/micropython-boards.conf", dir, ".conf", NULL);
      g_once_init_leave (&loaded, 1);
    }
  return df_key_table_get_file (table);
}

gboolean
df_micropython_is_candidate (DfSerialPort *port)
{
  g_auto(GStrv) vids = g_key_file_get_string_list (board_data (), "MicroPython", "vendor-ids", NULL, NULL);
  g_auto(GStrv) words = g_key_file_get_string_list (board_data (), "MicroPython", "strings-containing", NULL, NULL);

  for (guint i = 0; vids != NULL && vids[i] != NULL; i++)
    if (g_ascii_strtoull (vids[i], NULL, 0) == port->vid)
      return TRUE;
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    if ((port->product != NULL && strstr (port->product, words[i]) != NULL) ||
        (port->manufacturer != NULL && strstr (port->manufacturer, words[i]) != NULL))
      return TRUE;
  return FALSE;
}

/* the filesystem region and bootloader of the board, from the board
 * table, when every board it may be agrees on them (a pyboard's variants
 * do: they are builds of one board) */
static void
find_filesystem (DfMicroPython *board)
{
  g_autoptr(GPtrArray) builds = df_micropython_identify (board, NULL);

  for (guint i = 0; i < builds->len; i++)
    {
      DfMpBoard *one = ((DfMpBuild *) g_ptr_array_index (builds, i))->board;
      if (i == 0)
        {
          board->fs_start = one->fs_start;
          board->fs_end = one->fs_end;
          board->bootloader_layout = g_strdup (one->bootloader_layout);
        }
      else if (one->fs_start != board->fs_start || one->fs_end != board->fs_end ||
               g_strcmp0 (one->bootloader_layout, board->bootloader_layout) != 0)
        {
          board->fs_start = board->fs_end = 0;
          g_clear_pointer (&board->bootloader_layout, g_free);
          return;
        }
    }
}

/* --- the raw REPL --- */

/* a short, printable excerpt of what a port sent, for messages */
static gchar *
excerpt (GByteArray *bytes)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < bytes->len && i < 40; i++)
    {
      guint8 c = bytes->data[i];
      if (c >= 0x20 && c < 0x7f && c != '\\')
        g_string_append_c (text, (gchar) c);
      else
        g_string_append_printf (text, "\\x%02x", c);
    }
  if (bytes->len > 40)
    g_string_append (text, "…");
  return g_string_free (text, FALSE);
}

static gint64
deadline (guint ms)
{
  return g_get_monotonic_time () + (gint64) ms * 1000;
}

/* what went wrong while waiting for the board, as one message */
static void
set_answer_error (GError **error, DfSerialPort *port, GError *local, GByteArray *got)
{
  g_autofree gchar *seen = excerpt (got);

  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("Cancelled."));
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CLOSED))
    g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
                 _("%s went away while Defuse was asking it what it runs"), port->devnode);
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) && got->len == 0)
    g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                 _("%s does not answer: the board may be busy in a program that ignores Ctrl-C, "
                   "or it is not running MicroPython; press its reset button and try again"), port->devnode);
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                 _("%s does not answer like MicroPython's REPL (it sent “%s”); "
                   "it was left alone"), port->devnode, seen);
  else
    g_set_error (error, DF_ERROR, DF_ERROR_FAILED, _("talking to %s: %s"), port->devnode, local->message);
}

/* Ctrl-C, Ctrl-A: the board is in raw mode when this returns TRUE */
static gboolean
enter_raw (gint fd, DfSerialPort *port, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GError) local = NULL;

  if (!df_serial_write (fd, "\r\x03\x03", 3, deadline (ENTER_MS), cancellable, &local))
    goto failed;
  /* whatever the interrupted program printed goes first */
  if (!df_serial_read_until (fd, got, RAW_BANNER, deadline (INTERRUPT_MS), cancellable, &local) &&
      !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    goto failed;
  g_clear_error (&local);
  if (df_serial_write (fd, "\r\x01", 2, deadline (ENTER_MS), cancellable, &local) &&
      df_serial_read_until (fd, got, RAW_BANNER, deadline (ENTER_MS), cancellable, &local))
    return TRUE;
failed:
  set_answer_error (error, port, local, got);
  return FALSE;
}

/* Ctrl-B: back to the friendly REPL; a board that does not say so is left
 * as it is (it went away, or it was never in raw mode) */
static void
leave_raw (gint fd, GCancellable *cancellable)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();

  if (df_serial_write (fd, "\x02", 1, deadline (LEAVE_MS), cancellable, NULL))
    df_serial_read_until (fd, got, ">>> ", deadline (LEAVE_MS), cancellable, NULL);
}

static DfMicroPython *
board_from_answer (DfSerialPort *port, const gchar *answer, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (answer, "\n", -1);
  DfMicroPython *board;

  for (guint i = 0; lines[i] != NULL; i++)
    g_strstrip (lines[i]);
  if (g_strv_length (lines) < 3 || lines[1][0] == '\0' || lines[2][0] == '\0')
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL, _("%s answered the query with “%s”, not what MicroPython says"),
                   port->devnode, answer);
      return NULL;
    }
  if (g_strcmp0 (lines[0], "micropython") != 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                   _("the board on %s runs %s, not MicroPython; put it in DFU mode by hand"), port->devnode, lines[0]);
      return NULL;
    }
  board = g_new0 (DfMicroPython, 1);
  board->ref_count = 1;
  board->port = df_serial_port_ref (port);
  board->version = g_strdup (lines[1]);
  board->machine = g_strdup (lines[2]);
  return board;
}

/* runs code in raw mode: what it printed up to the board's first Ctrl-D
 * in got, the exception up to "\x04>" in err (sentinels included) */
static gboolean
exec_raw (gint fd, DfSerialPort *port, const gchar *code, GByteArray *got, GByteArray *err,
          GCancellable *cancellable, GError **error)
{
  g_autofree gchar *command = g_strconcat (code, "\x04", NULL);
  g_autoptr(GError) local = NULL;

  if (!df_serial_write (fd, command, strlen (command), deadline (RUN_MS), cancellable, &local) ||
      !df_serial_read_until (fd, got, "OK", deadline (RUN_MS), cancellable, &local))
    {
      set_answer_error (error, port, local, got);
      return FALSE;
    }
  g_byte_array_set_size (got, 0);
  if (!df_serial_read_until (fd, got, "\x04", deadline (RUN_MS), cancellable, &local) ||
      !df_serial_read_until (fd, err, "\x04>", deadline (RUN_MS), cancellable, &local))
    {
      set_answer_error (error, port, local, got->len > 0 ? got : err);
      return FALSE;
    }
  return TRUE;
}

DfMicroPython *
df_micropython_parse_answer (DfSerialPort *port, GByteArray *got, GByteArray *err, GError **error)
{
  g_autofree gchar *out = NULL;

  g_return_val_if_fail (got->len >= 1 && err->len >= 2, NULL);  /* the sentinels */
  if (err->len > 2)
    {
      g_autofree gchar *text = g_strndup ((const gchar *) err->data, err->len - 2);
      g_auto(GStrv) lines = g_strsplit (g_strstrip (text), "\n", -1);
      /* an exception of blanks (or starting with a NUL) splits into no
       * line at all: its excerpt is all there is to show */
      guint n = g_strv_length (lines);
      g_autofree gchar *seen = n == 0 ? excerpt (err) : NULL;

      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL, _("the board on %s answered with an error: %s"),
                   port->devnode, n > 0 ? g_strstrip (lines[n - 1]) : seen);
      return NULL;
    }
  out = g_strndup ((const gchar *) got->data, got->len - 1);
  return board_from_answer (port, out, error);
}

gchar *
df_micropython_parse_build (GByteArray *got, GByteArray *err)
{
  g_autofree gchar *out = NULL;

  if (got->len < 1 || err->len != 2)
    return NULL;
  out = g_strstrip (g_strndup ((const gchar *) got->data, got->len - 1));
  /* "PYBV11-DP": letters, digits, "_" and "-" (py/mkrules.mk) */
  if (out[0] == '\0' || strspn (out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (out))
    return NULL;
  return g_steal_pointer (&out);
}

DfMicroPython *
df_micropython_query (DfSerialPort *port, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GByteArray) err = g_byte_array_new ();
  DfMicroPython *board = NULL;
  gint fd = df_serial_port_open (port, error);

  if (fd < 0)
    return NULL;
  if (enter_raw (fd, port, cancellable, error))
    {
      if (exec_raw (fd, port, QUERY_CODE, got, err, cancellable, error))
        board = df_micropython_parse_answer (port, got, err, error);
      if (board != NULL)
        {
          g_byte_array_set_size (got, 0);
          g_byte_array_set_size (err, 0);
          if (exec_raw (fd, port, BUILD_CODE, got, err, cancellable, NULL))
            board->build = df_micropython_parse_build (got, err);
          find_filesystem (board);
        }
      leave_raw (fd, cancellable);
    }
  else
    leave_raw (fd, NULL);  /* in case it did switch, late */
  close (fd);
  return board;
}

gboolean
df_micropython_enter_bootloader (DfMicroPython *board, GCancellable *cancellable, GError **error)
{
  static const gchar code[] = "import machine\nmachine.bootloader()\x04";
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GError) local = NULL;
  gint fd = df_serial_port_open (board->port, error);

  if (fd < 0)
    return FALSE;
  if (!enter_raw (fd, board->port, cancellable, error))
    {
      leave_raw (fd, NULL);
      close (fd);
      return FALSE;
    }
  /* "OK", then the board switches USB off and jumps: nothing more comes.
   * A port that hangs up before the "OK" arrives went the same way (the
   * kernel drops what a vanished tty had not delivered). */
  if (!df_serial_write (fd, code, sizeof code - 1, deadline (RUN_MS), cancellable, &local) ||
      (!df_serial_read_until (fd, got, "OK", deadline (RUN_MS), cancellable, &local) &&
       !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CLOSED)))
    {
      set_answer_error (error, board->port, local, got);
      leave_raw (fd, NULL);
      close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

DfMicroPython *
df_micropython_probe (DfSerialPort *port, GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  DfMicroPython *board = df_micropython_query (port, cancellable, &error);

  if (board != NULL)
    return board;
  board = g_new0 (DfMicroPython, 1);
  board->ref_count = 1;
  board->port = df_serial_port_ref (port);
  board->error = g_steal_pointer (&error);
  return board;
}

GPtrArray *
df_micropython_find (const gchar *const *selectors, GCancellable *cancellable)
{
  g_autoptr(GPtrArray) ports = df_serial_port_enumerate ();
  GPtrArray *boards = g_ptr_array_new_with_free_func ((GDestroyNotify) df_micropython_unref);

  for (guint i = 0; i < ports->len; i++)
    {
      DfSerialPort *port = g_ptr_array_index (ports, i);
      gboolean take = selectors == NULL || selectors[0] == NULL;

      for (guint j = 0; !take && selectors[j] != NULL; j++)
        take = df_serial_port_matches (port, selectors[j]);
      if (!take || !df_micropython_is_candidate (port))
        continue;
      g_ptr_array_add (boards, df_micropython_probe (port, cancellable));
    }
  return boards;
}

DfDevice *
df_micropython_to_device (DfMicroPython *board)
{
  DfDevice *device = df_device_new ();
  DfSerialPort *port = board->port;

  device->vid = port->vid;
  device->pid = port->pid;
  device->bcd_device = port->bcd_device;
  device->manufacturer = g_strdup (port->manufacturer);
  device->product = g_strdup (port->product);
  device->serial = g_strdup (port->serial);
  device->bus = port->bus;
  device->address = port->address;
  device->path = g_strdup (port->path);
  device->interface = port->interface;
  device->mode = DF_DEVICE_MODE_MICROPYTHON;
  device->micropython = df_micropython_ref (board);
  if (board->bootloader_layout != NULL)
    df_device_add_alt (device, 0, board->bootloader_layout);
  return device;
}

gchar *
df_micropython_describe (DfMicroPython *board)
{
  if (board->version == NULL)
    return g_strdup (_("MicroPython board (not answering)"));
  /* TRANSLATORS: "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG" */
  return g_strdup_printf (_("MicroPython v%s on %s"), board->version, board->machine);
}
