/* test-sim-repl: the virtual MicroPython board in process: its USB
 * identity, the raw REPL byte protocol of pyexec.c, the answers to the
 * queries hosts send, machine.bootloader() and the version after a flash. */
#include <glib/gstdio.h>
#include <string.h>

#include "df-error.h"
#include "sim-private.h"
#include "sim-repl.h"

static SimMicroPython pyboard = { "1.24.1", "2024-11-29", "PYBv1.1 with STM32F405RG", "pyboard", "PYBV11" };

/* feeds text, returns what the board answered */
static gchar *
say (SimRepl *repl, const gchar *text, gboolean *bootloader)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gboolean jumped = sim_repl_input (repl, (const guint8 *) text, strlen (text), out);

  if (bootloader != NULL)
    *bootloader = jumped;
  else
    g_assert_false (jumped);
  g_byte_array_append (out, (const guint8 *) "", 1);
  return g_strdup ((const gchar *) out->data);
}

static void
test_raw_exchange (void)
{
  g_autoptr(SimRepl) repl = sim_repl_new (&pyboard, SIM_REPL_MICROPYTHON);
  g_autofree gchar *a = say (repl, "\r\x03\x03", NULL);
  g_autofree gchar *b = say (repl, "\r\x01", NULL);
  g_autofree gchar *c = say (repl, "import sys, os\nprint(sys.implementation.name)\nprint(os.uname().release)\n"
                                   "print(sys.implementation._machine, sys.implementation.version)\x04", NULL);
  g_autofree gchar *d = say (repl, "print(os.uname())\x04", NULL);
  g_autofree gchar *e = say (repl, "\x02", NULL);

  g_assert_cmpstr (a, ==, "\r\n>>> \r\n>>> \r\n>>> ");
  g_assert_true (g_str_has_suffix (b, "raw REPL; CTRL-B to exit\r\n>"));
  g_assert_cmpstr (c, ==, "OKmicropython\r\n1.24.1\r\nPYBv1.1 with STM32F405RG (1, 24, 1, '')\r\n\x04\x04>");
  g_assert_cmpstr (d, ==, "OK(sysname='pyboard', nodename='pyboard', release='1.24.1', "
                          "version='v1.24.1 on 2024-11-29', machine='PYBv1.1 with STM32F405RG')\r\n\x04\x04>");
  g_assert_cmpstr (e, ==, "\r\nMicroPython v1.24.1 on 2024-11-29; PYBv1.1 with STM32F405RG\r\n"
                          "Type \"help()\" for more information.\r\n>>> ");
  g_assert_false (sim_repl_is_raw (repl));
}

/* sys.implementation._build exists from MicroPython 1.25 on */
static void
test_build (void)
{
  SimMicroPython newer = pyboard;
  g_autoptr(SimRepl) old = sim_repl_new (&pyboard, SIM_REPL_MICROPYTHON);
  g_autoptr(SimRepl) repl = NULL;
  g_autofree gchar *a = say (old, "\x01", NULL);
  g_autofree gchar *b = say (old, "import sys\nprint(sys.implementation._build)\x04", NULL);
  g_autofree gchar *c = NULL, *d = NULL;

  newer.version = "1.25.0";
  repl = sim_repl_new (&newer, SIM_REPL_MICROPYTHON);
  c = say (repl, "\x01", NULL);
  d = say (repl, "import sys\nprint(sys.implementation._build)\x04", NULL);
  g_assert_true (strstr (b, "AttributeError: 'module' object has no attribute '_build'") != NULL);
  g_assert_cmpstr (d, ==, "OKPYBV11\r\n\x04\x04>");
}

static void
test_exceptions (void)
{
  g_autoptr(SimRepl) repl = sim_repl_new (&pyboard, SIM_REPL_MICROPYTHON);
  g_autofree gchar *a = say (repl, "\x01", NULL);
  g_autofree gchar *b = say (repl, "print(sys.platform)\x04", NULL);
  g_autofree gchar *c = say (repl, "import nonesuch\x04", NULL);
  g_autofree gchar *d = say (repl, "x = [1, 2]\x04", NULL);
  g_autofree gchar *e = say (repl, "import os\nprint(os.uname().nothing)\x04", NULL);
  g_autofree gchar *f = say (repl, "\x04", NULL);

  g_assert_true (sim_repl_is_raw (repl));
  g_assert_cmpstr (b, ==, "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\n"
                          "NameError: name 'sys' isn't defined\r\n\x04>");
  g_assert_true (strstr (c, "ImportError: no module named 'nonesuch'\r\n\x04>") != NULL);
  g_assert_cmpstr (d, ==, "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\n"
                          "SyntaxError: invalid syntax\r\n\x04>");
  g_assert_true (strstr (e, "AttributeError: 'uname_result' object has no attribute 'nothing'") != NULL);
  /* Ctrl-D on an empty buffer: a soft reset, still in raw mode */
  g_assert_cmpstr (f, ==, "OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>");
  g_assert_true (sim_repl_is_raw (repl));
}

static void
test_bootloader (void)
{
  g_autoptr(SimRepl) repl = sim_repl_new (&pyboard, SIM_REPL_MICROPYTHON);
  gboolean jumped = FALSE;
  g_autofree gchar *a = say (repl, "\x01", NULL);
  g_autofree gchar *b = say (repl, "machine.bootloader()\x04", NULL);
  g_autofree gchar *c = say (repl, "import machine\nmachine.bootloader()\x04", &jumped);

  g_assert_true (strstr (b, "NameError: name 'machine' isn't defined") != NULL);
  g_assert_true (jumped);
  g_assert_cmpstr (c, ==, "OK");  /* pyexec.c says OK, then the board is gone: no \x04 */
}

static void
test_faulty_ports (void)
{
  g_autoptr(SimRepl) garbage = sim_repl_new (&pyboard, SIM_REPL_GARBAGE);
  g_autoptr(SimRepl) silent = sim_repl_new (&pyboard, SIM_REPL_SILENT);
  g_autofree gchar *a = say (garbage, "\r\x03\x03\r\x01", NULL);
  g_autofree gchar *b = say (silent, "\r\x03\x03\r\x01", NULL);

  g_assert_cmpuint (strlen (a), ==, 5);  /* one byte of noise per byte sent */
  g_assert_null (strstr (a, "raw REPL"));
  g_assert_cmpstr (b, ==, "");
}

static void
test_board (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SimProfile) profile = sim_profile_load ("pyboard", &error);
  g_autoptr(SimDevice) dev = NULL;
  g_autoptr(SimMicroPython) before = NULL;
  g_autoptr(SimMicroPython) after = NULL;
  const SimUsbInfo *info;
  const guint8 *d;
  gsize size;
  SimEvent event;
  g_autofree gchar *path = NULL;
  static const gchar banner[] = "MicroPython v1.25.0 on 2025-04-15; PYBv1.1 with STM32F405RG";
  g_autofree guint8 *flash = g_malloc (1024 * 1024);

  g_assert_no_error (error);
  dev = sim_device_new (profile, NULL, 1.0);
  info = sim_device_get_info (dev);
  d = g_bytes_get_data (info->descriptors, &size);
  g_assert_cmphex (info->vid, ==, 0xf055);
  g_assert_cmphex (info->pid, ==, 0x9800);
  g_assert_cmpstr (info->product, ==, "Pyboard Virtual Comm Port in FS Mode");
  g_assert_cmpint (info->serial_interface, ==, 1);
  /* MSC, CDC control, CDC data */
  g_assert_cmpuint (d[18 + 4], ==, 3);
  g_assert_cmpuint (d[18 + 9 + 5], ==, 0x08);
  g_assert_cmpuint (d[18 + 18 + 5], ==, 0x02);
  g_assert_cmpuint (d[18 + 27 + 5], ==, 0x0a);

  before = sim_device_get_micropython (dev);
  g_assert_cmpstr (before->version, ==, "1.24.1");

  /* machine.bootloader(): gone, then the STM32 ROM on the bus */
  sim_device_micropython_bootloader (dev, 1000);
  g_assert_true (sim_device_pop_event (dev, &event));
  g_assert_cmpint (event.type, ==, SIM_EVENT_DISCONNECT);
  g_assert_true (sim_device_pop_event (dev, &event));
  g_assert_cmpint (event.type, ==, SIM_EVENT_CONNECT);
  g_assert_cmphex (sim_device_get_info (dev)->pid, ==, 0xdf11);
  g_assert_cmpint (sim_device_get_info (dev)->serial_interface, ==, -1);

  /* a flash holding another banner: that version runs after leave */
  memset (flash, 0xff, 1024 * 1024);
  memcpy (flash + 0x20000 + 777, banner, sizeof banner);
  path = g_build_filename (g_get_tmp_dir (), "test-sim-repl-flash.bin", NULL);
  g_assert_true (g_file_set_contents (path, (const gchar *) flash, 1024 * 1024, NULL));
  g_assert_true (sim_device_load_flash (dev, path, &error));
  g_assert_no_error (error);
  g_unlink (path);
  after = sim_device_get_micropython (dev);
  g_assert_cmpstr (after->version, ==, "1.25.0");
  g_assert_cmpstr (after->build_date, ==, "2025-04-15");
  g_assert_cmpstr (after->machine, ==, "PYBv1.1 with STM32F405RG");
}

static void
test_faults_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SimProfile) profile = sim_profile_load ("pyboard", &error);
  g_autoptr(SimDevice) dev = sim_device_new (profile, NULL, 1.0);

  g_assert_true (sim_device_add_fault (dev, "repl=garbage", &error));
  g_assert_cmpint (sim_device_get_repl_behaviour (dev), ==, SIM_REPL_GARBAGE);
  g_assert_false (sim_device_add_fault (dev, "repl=garbage@request=1", &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/repl/raw-exchange", test_raw_exchange);
  g_test_add_func ("/sim/repl/exceptions", test_exceptions);
  g_test_add_func ("/sim/repl/build", test_build);
  g_test_add_func ("/sim/repl/bootloader", test_bootloader);
  g_test_add_func ("/sim/repl/faulty-ports", test_faulty_ports);
  g_test_add_func ("/sim/micropython/board", test_board);
  g_test_add_func ("/sim/micropython/faults", test_faults_parse);
  return g_test_run ();
}
