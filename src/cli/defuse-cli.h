/* defuse-cli.h: what the subcommands of defuse-cli share. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "df-formats.h"
#include "df-job.h"

/* exit status of every subcommand (documented in defuse-cli(1)) */
typedef enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_BAD_FILE = 1,   /* a file is malformed or does not fit */
  CLI_EXIT_USAGE = 2,      /* wrong arguments */
} CliExit;

int cli_info (int argc, char **argv);
int cli_pack (int argc, char **argv);
int cli_convert (int argc, char **argv);
/* after writing a DfuSe file with --no-pad: warns about element sizes an
 * STM32L4 would truncate (the one place where they matter) */
void cli_warn_unpadded (DfImage *image, const gchar *output);

/* "defuse-cli: MESSAGE" on stderr, one line */
void cli_error (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
/* the name cli_error prints, "defuse-cli" unless a personality sets its own */
void cli_set_program (const gchar *name);
/* parses the subcommand's options; prints the usage error and returns FALSE */
gboolean cli_parse_options (GOptionContext *context, int *argc, char ***argv);
/* accepts 0x-prefixed hex or decimal; FALSE with an error otherwise */
gboolean cli_parse_u32 (const gchar *text, const gchar *what, guint32 max,
                        guint32 *value, GError **error);
/* --vid, --pid, --device-version: each given one (non-NULL) is set in options */
gboolean cli_parse_ids (const gchar *vid, const gchar *pid, const gchar *bcd_device,
                        DfWriteOptions *options, GError **error);

/* exit status of the device commands, beyond the three above */
enum {
  CLI_EXIT_NO_DEVICE = 3,     /* no device matches, or several where one is needed */
  CLI_EXIT_PERMISSION = 4,    /* the OS refused access (udev rule missing) */
  CLI_EXIT_INCOMPATIBLE = 5,  /* the file does not fit the device */
  CLI_EXIT_DEVICE = 6,        /* the device reported an error, verify failed, read protection */
  CLI_EXIT_CONNECTION = 7,    /* the device vanished or stopped answering */
  CLI_EXIT_CANCELLED = 8,     /* interrupted (Ctrl+C); the device was returned to dfuIDLE */
};

int cli_list (int argc, char **argv);
int cli_flash (int argc, char **argv);
int cli_read (int argc, char **argv);
int cli_detach (int argc, char **argv);
int cli_unprotect (int argc, char **argv);
/* micropython firmware|download|update|boards (defuse-cli-micropython-firmware.c) */
int cli_micropython (int argc, char **argv);

/* flash --wait: bench mode (defuse-cli-bench.c), its own options */
gboolean cli_bench_requested (int argc, char **argv);
int      cli_bench (int argc, char **argv);

/* the exit status for an error from the engine */
int cli_exit_for_error (const GError *error);

/* Devices matching the selectors (VID:PID, serial, or port path such as
 * "1-2.3"); none given means every DFU device.  With need_one, more than
 * one match is an error that lists them.  Errors list what was found. */
GPtrArray *cli_select_devices (const gchar *const *selectors, gboolean need_one, GError **error);

/* MicroPython boards (defuse-cli-micropython.c) */
#include "df-micropython.h"
void           cli_micropython_print (DfMicroPython *board);
void           cli_micropython_add_json (JsonBuilder *builder, DfMicroPython *board);
/* the one MicroPython board the selectors (or none: any) mean; NULL
 * without error when there is none */
DfMicroPython *cli_micropython_choose (const gchar *const *selectors, GError **error);
/* what is about to happen, the board's files included */
void           cli_micropython_announce (DfMicroPython *board, DfImage *image, gboolean mass_erase);
/* [the board the selectors mean, as a device the job switches], after
 * saying what flashing image does to it (image NULL: nothing said); NULL
 * without error when there is no such board */
GPtrArray     *cli_micropython_select (const gchar *const *selectors, DfImage *image, gboolean mass_erase,
                                       GError **error);
/* after a job on a MicroPython board: what it runs now, or why it is not
 * seen back (in error) */
void           cli_micropython_report (DfJob *job, GError **error);

/* Runs each job on its own worker thread, with its progress and result on
 * the terminal (flash's output); Ctrl+C cancels them all.  Returns the
 * first failure's error, in the jobs' order, or NULL when all succeeded. */
GError *cli_run_jobs (GPtrArray *jobs, gboolean json);

/* Progress on the terminal: a bar on a TTY, plain lines otherwise, one
 * JSON object per line with --json.  Called on the main thread. */
typedef struct _CliProgress CliProgress;

CliProgress *cli_progress_new (const gchar *label, gboolean json, gboolean several);
void         cli_progress_update (CliProgress *progress, const DfProgress *p);
void         cli_progress_log (CliProgress *progress, const gchar *line);
/* the result line: error NULL for success */
void         cli_progress_finish (CliProgress *progress, const GError *error, const gchar *summary);
void         cli_progress_free (CliProgress *progress);
/* a failure before any device work (bad file, no device...): the error
 * line, with --json also a result event with its kind; returns the exit
 * status */
int          cli_fail (gboolean json, const gchar *label, const GError *error);

/* --trace FILE: starts the USB trace (FALSE after the error is printed);
 * finish closes it and returns status, or 1 if the file could not be
 * written after a run that went well */
gboolean cli_trace_start (const gchar *path);
int      cli_trace_finish (int status);

/* JSON members: key and value; a NULL string is null */
void cli_json_int (JsonBuilder *builder, const gchar *key, gint64 value);
void cli_json_double (JsonBuilder *builder, const gchar *key, gdouble value);
void cli_json_bool (JsonBuilder *builder, const gchar *key, gboolean value);
void cli_json_string (JsonBuilder *builder, const gchar *key, const gchar *value);
/* the builder's document on one line (or pretty), then a newline */
void cli_json_print (JsonBuilder *builder, gboolean pretty);
