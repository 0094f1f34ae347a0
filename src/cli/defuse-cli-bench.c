/* defuse-cli flash --wait: bench mode.  Waits for boards and flashes each
 * as it is plugged in (DfBench), one line per board as it starts and as it
 * finishes, a summary at the end; Ctrl+C takes no more boards and lets
 * those in progress finish, a second Ctrl+C cancels them safely. */
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "defuse-cli.h"
#include "df-bench.h"
#include "df-error.h"

typedef struct {
  DfBench   *bench;
  GMainLoop *loop;
  guint      interrupts;
} CliBench;

static void
on_board_started (DfBench *bench, DfBoard *board, CliBench *run)
{
  g_autofree gchar *label = df_device_describe (board->device);

  /* TRANSLATORS: bench mode: board number and the device */
  g_print (_("board %u: flashing %s\n"), board->number, label);
}

static void
on_board_finished (DfBench *bench, DfBoard *board, CliBench *run)
{
  g_autofree gchar *who = df_board_describe (board);

  if (board->state == DF_BOARD_OK)
    {
      g_autofree gchar *size = g_format_size_full (board->bytes, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: bench mode: board number, serial and port, size, seconds, verify outcome */
      g_print (_("board %u: ok, %s: %s in %.2f s, verify %s\n"), board->number, who, size,
               board->seconds, df_verify_outcome_to_string (board->verify));
    }
  else
    /* TRANSLATORS: bench mode: board number, serial and port, seconds, the error */
    g_print (_("board %u: FAILED, %s after %.2f s: %s\n"), board->number, who, board->seconds,
             board->error->message);
  if (board->record_error != NULL)
    cli_error ("%s", board->record_error->message);
}

static void
on_board_skipped (DfBench *bench, DfDevice *device, const gchar *reason, CliBench *run)
{
  g_autofree gchar *label = df_device_describe (device);

  /* TRANSLATORS: bench mode: the device, and why it is not flashed */
  g_print (_("left alone: %s %s\n"), label, reason);
}

static void
on_finished (DfBench *bench, CliBench *run)
{
  g_main_loop_quit (run->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  CliBench *run = user_data;
  guint running = df_bench_get_running (run->bench);

  run->interrupts++;
  if (run->interrupts == 1 && running > 0)
    g_printerr (g_dngettext (GETTEXT_PACKAGE,
                             "Taking no more boards; waiting for the one in progress (Ctrl+C again cancels it)…\n",
                             "Taking no more boards; waiting for the %u in progress (Ctrl+C again cancels them)…\n",
                             running), running);
  else if (running > 0)
    g_printerr ("%s\n", _("Cancelling: the boards in progress are being returned to dfuIDLE…"));
  df_bench_stop (run->bench, run->interrupts > 1);
  return G_SOURCE_CONTINUE;
}

static void
print_summary (DfBench *bench)
{
  GPtrArray *boards = df_bench_get_boards (bench);

  /* TRANSLATORS: bench mode summary: the number of boards that passed and failed */
  g_print (_("%u passed, %u failed\n"), df_bench_get_passed (bench), df_bench_get_failed (bench));
  for (guint i = 0; i < boards->len; i++)
    {
      DfBoard *board = g_ptr_array_index (boards, i);
      g_autofree gchar *who = df_board_describe (board);

      g_print ("  %3u  %-8s %7.2f s  %s\n", board->number,
               board->state == DF_BOARD_OK ? _("ok") : _("failed"), board->seconds, who);
    }
  if (df_bench_get_log (bench) != NULL)
    /* TRANSLATORS: bench mode: where the record of each board is */
    g_print (_("Log: %s\n"), df_bench_get_log (bench));
}

/* failed boards decide the status (the first one's error), then an
 * interrupted --count; a bench stopped with Ctrl+C otherwise ends well */
static int
exit_status (DfBench *bench, guint count, guint interrupts)
{
  GPtrArray *boards = df_bench_get_boards (bench);

  for (guint i = 0; i < boards->len; i++)
    {
      DfBoard *board = g_ptr_array_index (boards, i);
      if (board->error != NULL)
        return cli_exit_for_error (board->error);
      if (board->record_error != NULL)
        return cli_exit_for_error (board->record_error);
    }
  if (count > 0 && boards->len < count && interrupts > 0)
    return CLI_EXIT_CANCELLED;
  return CLI_EXIT_OK;
}

typedef struct {
  gchar   **selectors;
  gchar    *alt_text;
  gchar    *address_text;
  gchar    *log;
  gchar   **files;
  gboolean  no_verify, diff, no_leave, force, ignore_crc, repeat, wait;
  gint      count;
} BenchArgs;

static void
bench_args_clear (BenchArgs *args)
{
  g_strfreev (args->selectors);
  g_free (args->alt_text);
  g_free (args->address_text);
  g_free (args->log);
  g_strfreev (args->files);
}

gboolean
cli_bench_requested (int argc, char **argv)
{
  for (int i = 1; i < argc && g_strcmp0 (argv[i], "--") != 0; i++)
    if (g_str_equal (argv[i], "--wait") || g_str_equal (argv[i], "-w"))
      return TRUE;
  return FALSE;
}

/* the plan options; FALSE after a usage error is printed */
static gboolean
plan_options (BenchArgs *args, DfPlanOptions *options)
{
  g_autoptr(GError) error = NULL;
  guint64 alt = 0;

  df_plan_options_init (options);
  options->verify = !args->no_verify;
  options->diff = args->diff;
  options->leave = !args->no_leave;
  options->has_address = args->address_text != NULL;
  if (args->files == NULL || g_strv_length (args->files) != 1)
    cli_error (_("give one firmware file (see --help)"));
  else if (args->count < 0)
    cli_error (_("--count must be a number of boards, not %d"), args->count);
  else if (args->alt_text != NULL && !g_ascii_string_to_unsigned (args->alt_text, 10, 0, 255, &alt, NULL))
    cli_error (_("with --wait, give --alt as a number (boards are not known yet)"));
  else if (args->address_text != NULL &&
           !cli_parse_u32 (args->address_text, "--address", G_MAXUINT32, &options->address, &error))
    cli_error ("%s", error->message);
  else
    {
      options->alt = args->alt_text != NULL ? (gint) alt : -1;
      return TRUE;
    }
  return FALSE;
}

static int
run_bench (BenchArgs *args, DfImage *image)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DfBench) bench = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree gchar *ids = NULL;
  CliBench run = { NULL, loop, 0 };
  DfPlanOptions options;
  guint sigint;

  if (!plan_options (args, &options))
    return CLI_EXIT_USAGE;
  bench = run.bench = df_bench_new (image, args->files[0], &options, &error);
  if (bench == NULL)
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_BAD_FILE;
    }
  g_signal_connect (bench, "board-started", G_CALLBACK (on_board_started), &run);
  g_signal_connect (bench, "board-finished", G_CALLBACK (on_board_finished), &run);
  g_signal_connect (bench, "board-skipped", G_CALLBACK (on_board_skipped), &run);
  g_signal_connect (bench, "finished", G_CALLBACK (on_finished), &run);
  df_bench_set_selectors (bench, (const gchar *const *) args->selectors);
  df_bench_set_count (bench, (guint) args->count);
  df_bench_set_repeat (bench, args->repeat);
  df_bench_set_force (bench, args->force);
  if ((args->log != NULL && !df_bench_set_log (bench, args->log, &error)) || !df_bench_start (bench, &error))
    {
      cli_error ("%s", error->message);
      return cli_exit_for_error (error);
    }

  ids = args->selectors != NULL ? g_strjoinv (", ", args->selectors)
                                : g_strdup_printf ("%04x:%04x", image->suffix.vid, image->suffix.pid);
  if (args->count > 0)
    /* TRANSLATORS: bench mode: how many boards, which devices, the file */
    g_print (g_dngettext (GETTEXT_PACKAGE, "Waiting for %u board (%s) to flash with %s; Ctrl+C stops.\n",
                          "Waiting for %u boards (%s) to flash with %s; Ctrl+C stops.\n", args->count),
             args->count, ids, args->files[0]);
  else
    /* TRANSLATORS: bench mode: which devices, the file */
    g_print (_("Waiting for boards (%s) to flash with %s; Ctrl+C stops.\n"), ids, args->files[0]);

  sigint = g_unix_signal_add (SIGINT, on_interrupt, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  print_summary (bench);
  return exit_status (bench, (guint) args->count, run.interrupts);
}

int
cli_bench (int argc, char **argv)
{
  BenchArgs args = { 0 };
  const GOptionEntry entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &args.wait, N_("Bench mode: wait for boards and flash each one as it is plugged in"), NULL },
    { "count", 'n', 0, G_OPTION_ARG_INT, &args.count, N_("Stop after N boards (default: at Ctrl+C)"), N_("N") },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &args.log, N_("Append a JSON record per board to FILE"), N_("FILE") },
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &args.selectors, N_("The boards to flash: VID:PID, serial number or port path (repeat for several; default: the file's VID:PID)"), N_("SEL") },
    { "repeat", 0, 0, G_OPTION_ARG_NONE, &args.repeat, N_("Flash a board again when it is unplugged and plugged back in"), NULL },
    { "alt", 'a', 0, G_OPTION_ARG_STRING, &args.alt_text, N_("Alt setting to write (a number)"), N_("ALT") },
    { "address", 's', 0, G_OPTION_ARG_STRING, &args.address_text, N_("Load address of a raw binary or plain DFU payload"), N_("ADDR") },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &args.no_verify, N_("Do not read back and compare"), NULL },
    { "diff", 0, 0, G_OPTION_ARG_NONE, &args.diff, N_("Read first and skip sectors that already hold the right bytes"), NULL },
    { "no-leave", 0, 0, G_OPTION_ARG_NONE, &args.no_leave, N_("Stay in DFU mode afterwards"), NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &args.force, N_("Go on despite a VID/PID mismatch"), NULL },
    { "ignore-crc", 0, 0, G_OPTION_ARG_NONE, &args.ignore_crc, N_("Flash even if the file's CRC does not match"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.files, NULL, N_("FILE") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = NULL;
  int status;

  g_option_context_set_summary (context,
                                _("Wait for boards and flash FILE to each one once as it is plugged in, several at a time; "
                                  "a line per board, a summary, and a JSON record per board with --log.\n\n"
                                  "Exit status: 0 every board passed, else the status of the first failed board "
                                  "(see flash --help); 8 after Ctrl+C before --count boards were done."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!cli_parse_options (context, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (args.files != NULL && g_strv_length (args.files) == 1)
    {
      image = df_image_load_file (args.files[0], DF_FORMAT_UNKNOWN, FALSE, 0,
                                  args.ignore_crc ? DF_LOAD_IGNORE_CRC : DF_LOAD_NONE, &error);
      if (image == NULL || !df_image_check (image, &error))
        {
          cli_error ("%s", error->message);
          bench_args_clear (&args);
          return cli_exit_for_error (error);
        }
    }
  status = run_bench (&args, image);
  bench_args_clear (&args);
  return status;
}
