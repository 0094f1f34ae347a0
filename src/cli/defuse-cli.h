/* defuse-cli.h: what the subcommands of defuse-cli share. */
#pragma once

#include <gio/gio.h>

#include "df-formats.h"

/* exit status of every subcommand (documented in defuse-cli(1)) */
typedef enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_BAD_FILE = 1,   /* a file is malformed or does not fit */
  CLI_EXIT_USAGE = 2,      /* wrong arguments */
} CliExit;

int cli_info (int argc, char **argv);
int cli_pack (int argc, char **argv);
int cli_convert (int argc, char **argv);

/* "error: MESSAGE" on stderr, one line */
void cli_error (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
/* parses the subcommand's options; prints the usage error and returns FALSE */
gboolean cli_parse_options (GOptionContext *context, int *argc, char ***argv);
/* accepts 0x-prefixed hex or decimal; FALSE with an error otherwise */
gboolean cli_parse_u32 (const gchar *text, const gchar *what, guint32 max,
                        guint32 *value, GError **error);
/* --vid, --pid, --device-version: each given one (non-NULL) is set in options */
gboolean cli_parse_ids (const gchar *vid, const gchar *pid, const gchar *bcd_device,
                        DfWriteOptions *options, GError **error);
