/* test-usb-names: vendor and product names from this machine's USB id
 * database (udev's hwdb, else usb.ids), the usb.ids reader on its own, and
 * both databases agreeing. */
#include <string.h>

#include "df-usb-names.h"

static const gchar * const hwdb_paths[] = {
  "/etc/systemd/hwdb/hwdb.bin", "/etc/udev/hwdb.bin", "/usr/lib/systemd/hwdb/hwdb.bin",
  "/usr/lib/udev/hwdb.bin", "/lib/udev/hwdb.bin",
};
static const gchar * const ids_paths[] = {
  "/usr/share/hwdata/usb.ids", "/usr/share/misc/usb.ids", "/var/lib/usbutils/usb.ids", "/usr/share/usb.ids",
};

static const gchar *
first_existing (const gchar * const *paths, guint n)
{
  for (guint i = 0; i < n; i++)
    if (g_file_test (paths[i], G_FILE_TEST_EXISTS))
      return paths[i];
  return NULL;
}

static gboolean
skip_without_database (void)
{
  if (first_existing (hwdb_paths, G_N_ELEMENTS (hwdb_paths)) != NULL ||
      first_existing (ids_paths, G_N_ELEMENTS (ids_paths)) != NULL)
    return FALSE;
  g_test_skip ("no USB id database here (udev hwdb or usb.ids)");
  return TRUE;
}

/* what the database on this machine (Debian 12: usb.ids 2025.07, and the
 * hwdb compiled from it) says; product NULL: it knows only the vendor */
static const struct {
  guint16      vid, pid;
  const gchar *vendor, *product, *described;
} known[] = {
  { 0x0483, 0xdf11, "STMicroelectronics", "STM Device in DFU Mode", "STMicroelectronics STM Device in DFU Mode" },
  { 0x0694, 0x0008, "Lego Group", NULL, "Lego Group" },
  { 0x1d50, 0x6017, "OpenMoko, Inc.", "Black Magic Debug Probe (DFU)", "OpenMoko, Inc. Black Magic Debug Probe (DFU)" },
};

static void
check_known (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autofree gchar *vendor = NULL, *product = NULL, *described = NULL;

      g_assert_true (df_usb_names_lookup (known[i].vid, known[i].pid, &vendor, &product));
      g_assert_cmpstr (vendor, ==, known[i].vendor);
      g_assert_cmpstr (product, ==, known[i].product);
      described = df_usb_names_describe (known[i].vid, known[i].pid);
      g_assert_cmpstr (described, ==, known[i].described);
    }
  /* f00d is no vendor's */
  g_assert_false (df_usb_names_lookup (0xf00d, 0x0001, NULL, NULL));
  g_assert_null (df_usb_names_describe (0xf00d, 0x0001));
}

static void
test_system_database (void)
{
  if (skip_without_database ())
    return;
  check_known ();
  /* a second time from the cache, the same */
  check_known ();
}

/* the usb.ids file alone (DEFUSE_USB_IDS) gives what the hwdb gives: run
 * in a child, as the database is chosen once per process */
static void
test_ids_file_agrees (void)
{
  const gchar *ids = first_existing (ids_paths, G_N_ELEMENTS (ids_paths));

  if (ids == NULL)
    {
      g_test_skip ("no usb.ids here");
      return;
    }
  if (g_test_subprocess ())
    {
      g_setenv ("DEFUSE_USB_IDS", ids, TRUE);
      check_known ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* a missing file is no database: every id unknown, no crash */
static void
test_ids_file_missing (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("DEFUSE_USB_IDS", "/nonexistent/usb.ids", TRUE);
      g_assert_false (df_usb_names_lookup (0x0483, 0xdf11, NULL, NULL));
      g_assert_null (df_usb_names_describe (0x0483, 0xdf11));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static gpointer
lookup_many (gpointer data)
{
  for (guint i = 0; i < 200; i++)
    {
      g_autofree gchar *described = df_usb_names_describe (0x0483, (guint16) (0xdf11 + i % 3));
      if (i % 3 == 0 && g_strcmp0 (described, "STMicroelectronics STM Device in DFU Mode") != 0)
        return GINT_TO_POINTER (FALSE);
    }
  return GINT_TO_POINTER (TRUE);
}

/* the main thread and workers at once (run under -fsanitize=thread to see
 * a race; here: every answer right, nothing freed twice) */
static void
test_threads (void)
{
  GThread *threads[8];

  if (skip_without_database ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("lookup", lookup_many, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
}

/* the reader on small texts in usb.ids's format */
static const gchar ids_text[] =
  "# comment 0483  Not a vendor\n"
  "#\n"
  "0001  Fry's Electronics\n"
  "\tdf11  Not ST's\n"
  "0483  STMicroelectronics\n"
  "\t0137  BeWAN ADSL USB ST (blue or green)\n"
  "\t\t00  an interface line: no product\n"
  "# a comment inside the block\n"
  "\tdf11  STM Device in DFU Mode\r\n"
  "0694  Lego Group\n"
  "\n"
  "0b00  No products\n"
  "C 00  (Defined at Interface level)\n"
  "\t01  Audio\n"
  "1234\n"
  "c0de  Last vendor, no newline";

static void
test_ids_reader (void)
{
  static const struct {
    guint16      vid, pid;
    gboolean     found;
    const gchar *vendor, *product;
  } cases[] = {
    { 0x0483, 0xdf11, TRUE, "STMicroelectronics", "STM Device in DFU Mode" },  /* after \t\t and #, \r\n */
    { 0x0483, 0x0137, TRUE, "STMicroelectronics", "BeWAN ADSL USB ST (blue or green)" },
    { 0x0483, 0x0000, TRUE, "STMicroelectronics", NULL },  /* "\t\t00" is an interface, not product 0 */
    { 0x0001, 0xdf11, TRUE, "Fry's Electronics", "Not ST's" },
    { 0x0694, 0xdf11, TRUE, "Lego Group", NULL },          /* not the next vendor's df11 */
    { 0x0b00, 0x0001, TRUE, "No products", NULL },         /* the class section is not its block */
    { 0xc0de, 0x0000, TRUE, "Last vendor, no newline", NULL },
    { 0x1234, 0x0000, FALSE, NULL, NULL },                 /* an id with no name */
    { 0x0c00, 0x0000, FALSE, NULL, NULL },                 /* "C 00" is a class, not vendor 0c00 */
    { 0xf00d, 0x0001, FALSE, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *vendor = NULL, *product = NULL;
      gboolean found = df_usb_ids_lookup (ids_text, strlen (ids_text), cases[i].vid, cases[i].pid, &vendor, &product);

      g_test_message ("%04x:%04x", cases[i].vid, cases[i].pid);
      g_assert_cmpint (found, ==, cases[i].found);
      g_assert_cmpstr (vendor, ==, cases[i].vendor);
      g_assert_cmpstr (product, ==, cases[i].product);
    }
  /* nothing at all */
  g_assert_false (df_usb_ids_lookup ("", 0, 0x0483, 0xdf11, NULL, NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/usb-names/system-database", test_system_database);
  g_test_add_func ("/usb-names/ids-file-agrees", test_ids_file_agrees);
  g_test_add_func ("/usb-names/ids-file-missing", test_ids_file_missing);
  g_test_add_func ("/usb-names/threads", test_threads);
  g_test_add_func ("/usb-names/ids-reader", test_ids_reader);
  return g_test_run ();
}
