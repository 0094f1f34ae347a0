/* test-micropython.c: what a board answers the raw REPL query, parsed
 * (df_micropython_parse_answer): a table of answers seen and malformed. */
#include <string.h>

#include "df-error.h"
#include "df-micropython.h"
#include "df-micropython-boards.h"
#include "df-micropython-check.h"
#include "df-micropython-release.h"
#include "df-micropython-update.h"

static void
test_answers (void)
{
  static const struct {
    const gchar *got;        /* up to and with the first Ctrl-D */
    gsize        err_len;    /* the exception with "\x04>"; bytes, as it may hold a NUL */
    const gchar *err;
    const gchar *machine;    /* NULL: an error */
    gint         code;
    const gchar *message;    /* in the error */
  } cases[] = {
    { "micropython\r\n1.24.1\r\nPYBv1.1 with STM32F405RG\r\n\x04", 2, "\x04>",
      "PYBv1.1 with STM32F405RG", 0, NULL },
    { "circuitpython\r\n9.0.0\r\nAdafruit Feather\r\n\x04", 2, "\x04>",
      NULL, DF_ERROR_NOT_SUPPORTED, "runs circuitpython" },
    { "micropython\r\n\x04", 2, "\x04>", NULL, DF_ERROR_PROTOCOL, "answered the query" },
    { "\x04", 47, "Traceback:\r\nImportError: no module named 'os'\r\n\x04>",
      NULL, DF_ERROR_PROTOCOL, "ImportError: no module named 'os'" },
    /* an exception of blanks, or one whose text starts with a NUL, has no
     * last line (once read past the end of an empty vector) */
    { "\x04", 5, "  \r\n\x04>", NULL, DF_ERROR_PROTOCOL, "answered with an error" },
    { "\x04", 6, "\0abc\x04>", NULL, DF_ERROR_PROTOCOL, "\\x00abc" },
  };
  DfSerialPort port = { .ref_count = 1, .name = "ttyACM0", .devnode = "/dev/ttyACM0", .path = "1-1" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) got = g_byte_array_new ();
      g_autoptr(GByteArray) err = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(DfMicroPython) board = NULL;

      g_test_message ("case %u", i);
      g_byte_array_append (got, (const guint8 *) cases[i].got, (guint) strlen (cases[i].got));
      g_byte_array_append (err, (const guint8 *) cases[i].err, (guint) cases[i].err_len);
      board = df_micropython_parse_answer (&port, got, err, &error);
      if (cases[i].machine != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (board->machine, ==, cases[i].machine);
          continue;
        }
      g_assert_null (board);
      g_assert_error (error, DF_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].message));
    }
}

/* sys.implementation._build, and the machine string of boards before 1.25 */
static void
test_builds (void)
{
  static const struct {
    const gchar *machine;
    const gchar *builds;     /* the candidates, joined */
  } by_machine[] = {
    { "PYBv1.1 with STM32F405RG", "PYBV11 PYBV11-DP PYBV11-DP_THREAD PYBV11-NETWORK PYBV11-THREAD" },
    { "PYBLITEv1.0 with STM32F411RE", "PYBLITEV10 PYBLITEV10-DP PYBLITEV10-DP_THREAD PYBLITEV10-NETWORK PYBLITEV10-THREAD" },
    /* two boards share one description */
    { "Olimex ESP32 ETH with ESP32", "OLIMEX_ESP32_EVB OLIMEX_ESP32_POE" },
    /* a variant with a name of its own is told apart */
    { "Generic ESP32 module with SPIRAM with ESP32", "ESP32_GENERIC-SPIRAM" },
    { "Nonesuch with STM32F999", "" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(DfMpBuild) build = df_mp_build_parse ("PYBV11-DP_THREAD", &error);
  g_autoptr(DfMpBuild) none = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (build->board->id, ==, "PYBV11");
  g_assert_cmpstr (build->variant, ==, "DP_THREAD");
  g_assert_cmpstr (build->board->port, ==, "stm32");
  g_assert_cmphex (build->board->fs_start, ==, 0x08004000);
  g_assert_cmphex (build->board->fs_end, ==, 0x0801ffff);
  g_assert_cmphex (build->board->flash_end, ==, 0x080fffff);
  g_assert_nonnull (build->board->bootloader_layout);  /* from data/micropython-boards.conf */
  none = df_mp_build_parse ("PYBV11-FAST", &error);
  g_assert_null (none);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "PYBV11 has no variant “FAST” (it has: DP, DP_THREAD, NETWORK, THREAD)"));
  g_clear_error (&error);
  none = df_mp_build_parse ("NOPE", &error);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_FOUND);

  for (guint i = 0; i < G_N_ELEMENTS (by_machine); i++)
    {
      g_autoptr(GPtrArray) builds = df_mp_builds_for_machine (by_machine[i].machine);
      g_autoptr(GString) names = g_string_new (NULL);
      for (guint b = 0; b < builds->len; b++)
        {
          g_autofree gchar *name = df_mp_build_to_string (g_ptr_array_index (builds, b));
          g_string_append_printf (names, "%s%s", b > 0 ? " " : "", name);
        }
      g_assert_cmpstr (names->str, ==, by_machine[i].builds);
    }
}

static void
test_versions (void)
{
  static const struct { const gchar *a, *b; gint order; } cases[] = {
    { "1.25.0", "1.25.1", -1 },
    { "v1.25.0", "1.25.0", 0 },
    { "1.9.4", "1.10.0", -1 },
    { "1.26.0-preview.5.gabc", "1.26.0", -1 },
    { "1.26.0-preview.5.gabc", "1.26.0-preview.12.gdef", -1 },
    { "1.26.0-preview", "1.26.0-preview.12.gdef", 0 },
    { "1.26.0-preview.5.gabc", "1.25.9", 1 },
  };
  gboolean valid;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpint (df_mp_version_compare (cases[i].a, cases[i].b, &valid), ==, cases[i].order);
      g_assert_true (valid);
      g_assert_cmpint (df_mp_version_compare (cases[i].b, cases[i].a, &valid), ==, -cases[i].order);
    }
  df_mp_version_compare ("1.25", "1.25.0", &valid);
  g_assert_false (valid);
}

static void
test_release_names (void)
{
  g_autoptr(DfMpRelease) plain = df_mp_release_parse_name ("PYBV11", "PYBV11-20250415-v1.25.0.dfu");
  g_autoptr(DfMpRelease) variant = df_mp_release_parse_name ("PYBV11", "PYBV11-DP_THREAD-20250601-v1.26.0-preview.12.gabcdef012.hex");

  g_assert_cmpstr (plain->version, ==, "1.25.0");
  g_assert_null (plain->variant);
  g_assert_false (plain->preview);
  g_assert_cmpstr (plain->ext, ==, "dfu");
  g_assert_cmpstr (variant->variant, ==, "DP_THREAD");
  g_assert_cmpstr (variant->version, ==, "1.26.0-preview.12.gabcdef012");
  g_assert_true (variant->preview);
  g_assert_cmpstr (variant->date, ==, "20250601");
  /* another board's, and other shapes */
  g_assert_null (df_mp_release_parse_name ("PYBV11", "PYBV10-20250415-v1.25.0.dfu"));
  g_assert_null (df_mp_release_parse_name ("PYBV11", "PYBV11-2025-v1.25.0.dfu"));
  g_assert_null (df_mp_release_parse_name ("PYBV11", "PYBV11-20250415-v1.25.dfu"));
  g_assert_null (df_mp_release_parse_name ("PYBV11", ".PYBV11-20250415-v1.25.0.dfu.Ab12Cd.part"));
}

static void
test_board_page (void)
{
  static const gchar page[] =
    "<a class=\"board-card\" href=\"PYBV11\">"
    "<a href='/resources/firmware/PYBV11-20241129-v1.24.1.dfu'>[.dfu]</a>"
    "<a href=\"https://micropython.org/resources/firmware/PYBV11-20250415-v1.25.0.dfu\">[.dfu]</a>"
    "<a href=\"/resources/firmware/PYBV11-20250415-v1.25.0.dfu\">again</a>"
    "<a href=\"/resources/firmware/PYBV10-20250415-v1.25.0.dfu\">another board</a>"
    "<a href=\"/elsewhere/PYBV11-20250415-v1.25.1.dfu\">not the firmware folder</a>";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) releases = df_mp_site_parse_board_page (page, "https://micropython.org/download/PYBV11/",
                                                                "PYBV11", &error);
  g_autoptr(GPtrArray) changed = NULL;
  DfMpRelease *newest;

  g_assert_no_error (error);
  g_assert_cmpuint (releases->len, ==, 2);
  newest = g_ptr_array_index (releases, 0);
  g_assert_cmpstr (newest->url, ==, "https://micropython.org/resources/firmware/PYBV11-20250415-v1.25.0.dfu");
  g_assert_cmpstr (((DfMpRelease *) g_ptr_array_index (releases, 1))->url, ==,
                   "https://micropython.org/resources/firmware/PYBV11-20241129-v1.24.1.dfu");
  changed = df_mp_site_parse_board_page ("<a href=\"/fw?id=PYBV11-20250415-v1.25.0.dfu\">", "https://x.org/download/PYBV11/",
                                         "PYBV11", &error);
  g_assert_null (changed);
  g_assert_error (error, DF_ERROR, DF_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "the site has changed"));
}

static DfMpRelease *
release (const gchar *name)
{
  DfMpRelease *r = df_mp_release_parse_name ("PYBV11", name);
  g_assert_nonnull (r);
  return r;
}

/* stable by default, the board's variant, never a downgrade unasked */
static void
test_choose (void)
{
  g_autoptr(GPtrArray) releases = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_release_unref);
  g_autoptr(DfMpBoard) board = df_mp_board_lookup ("PYBV11");
  g_autoptr(DfMpBuild) standard = df_mp_build_new (board, NULL);
  g_autoptr(DfMpBuild) dp = df_mp_build_new (board, "DP");
  static const struct {
    gboolean     dp;
    const gchar *running;
    gboolean     preview;
    const gchar *version;
    const gchar *file;     /* NULL: none */
    DfMpUpdateKind kind;
  } cases[] = {
    { FALSE, "1.24.1", FALSE, NULL, "PYBV11-20250415-v1.25.0.dfu", DF_MP_UPDATE_NEWER },
    { FALSE, "1.24.1", TRUE, NULL, "PYBV11-20250601-v1.26.0-preview.12.gabcdef012.dfu", DF_MP_UPDATE_NEWER },
    { TRUE, "1.24.1", FALSE, NULL, "PYBV11-DP-20241129-v1.24.1.dfu", DF_MP_UPDATE_CURRENT },
    /* a preview runs, newer than the newest stable: no downgrade */
    { FALSE, "1.26.0-preview.12.gabcdef012", FALSE, NULL, "PYBV11-20250415-v1.25.0.dfu", DF_MP_UPDATE_CURRENT },
    { FALSE, "1.25.0", FALSE, "1.24.1", "PYBV11-20241129-v1.24.1.dfu", DF_MP_UPDATE_ASKED },
    { FALSE, "1.25.0", FALSE, "1.23.0", NULL, 0 },
  };

  g_ptr_array_add (releases, release ("PYBV11-20241129-v1.24.1.dfu"));
  g_ptr_array_add (releases, release ("PYBV11-20250415-v1.25.0.dfu"));
  g_ptr_array_add (releases, release ("PYBV11-20250415-v1.25.0.hex"));
  g_ptr_array_add (releases, release ("PYBV11-DP-20241129-v1.24.1.dfu"));
  g_ptr_array_add (releases, release ("PYBV11-20250601-v1.26.0-preview.12.gabcdef012.dfu"));
  g_ptr_array_sort (releases, df_mp_release_compare_newest_first);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      DfMpUpdateKind kind = 99;
      g_autoptr(DfMpRelease) chosen = df_mp_choose_release (releases, cases[i].dp ? dp : standard, cases[i].running,
                                                            cases[i].preview, cases[i].version, &kind, &error);
      g_test_message ("case %u", i);
      if (cases[i].file == NULL)
        {
          g_assert_null (chosen);
          g_assert_error (error, DF_ERROR, DF_ERROR_NOT_FOUND);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (chosen->file_name, ==, cases[i].file);
      g_assert_cmpint (kind, ==, cases[i].kind);
    }
}

static DfImage *
image_with (const gchar *text)
{
  DfImage *image = df_image_new (DF_FORMAT_DFUSE, "test");
  DfTarget *target = df_image_add_target (image, 0, NULL);
  g_autoptr(GByteArray) data = g_byte_array_new ();

  g_byte_array_append (data, (const guint8 *) "\xff\xffMicroPython v", 15);  /* help text, not the banner */
  g_byte_array_append (data, (const guint8 *) text, (guint) strlen (text) + 1);
  df_target_add_segment (target, 0x08020000, g_byte_array_free_to_bytes (g_steal_pointer (&data)));
  return image;
}

static void
test_banner (void)
{
  g_autoptr(DfImage) pyb = image_with ("MicroPython v1.25.0 on 2025-04-15; PYBv1.1 with STM32F405RG");
  g_autoptr(DfImage) dcfurs = image_with ("MicroPython v1.12-540-gdd65eb920-dirty on 2020-06-16; DCFURS with STM32L496");
  g_autoptr(DfImage) plain = image_with ("no banner here");
  g_autoptr(DfMpBanner) banner = df_mp_banner_find (pyb);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (banner->version, ==, "1.25.0");
  g_assert_cmpstr (banner->date, ==, "2025-04-15");
  g_assert_cmpstr (banner->machine, ==, "PYBv1.1 with STM32F405RG");
  g_assert_true (df_micropython_check_banner (pyb, "PYBv1.1 with STM32F405RG", &error));
  g_assert_true (df_micropython_check_banner (plain, "PYBv1.1 with STM32F405RG", &error));
  g_assert_true (df_micropython_check_banner (dcfurs, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (df_micropython_check_banner (dcfurs, "PYBv1.1 with STM32F405RG", &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE);
  g_assert_nonnull (strstr (error->message, "built for “DCFURS with STM32L496” but this board is “PYBv1.1 with STM32F405RG”"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/micropython/answers", test_answers);
  g_test_add_func ("/micropython/builds", test_builds);
  g_test_add_func ("/micropython/versions", test_versions);
  g_test_add_func ("/micropython/release-names", test_release_names);
  g_test_add_func ("/micropython/board-page", test_board_page);
  g_test_add_func ("/micropython/choose", test_choose);
  g_test_add_func ("/micropython/banner", test_banner);
  return g_test_run ();
}
