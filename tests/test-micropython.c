/* test-micropython.c: what a board answers the raw REPL query, parsed
 * (df_micropython_parse_answer): a table of answers seen and malformed. */
#include <string.h>

#include "df-error.h"
#include "df-micropython.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/micropython/answers", test_answers);
  return g_test_run ();
}
