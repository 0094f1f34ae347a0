/* defuse-cli: the command-line face of the Defuse engine.  This file only
 * dispatches to a subcommand; each lives in its own defuse-cli-NAME.c. */
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "defuse-compat.h"
#include "df-error.h"

static const struct {
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *summary;
} commands[] = {
  { "info", cli_info, N_("Show what is inside firmware files") },
  { "pack", cli_pack, N_("Build a DfuSe file from binaries, HEX, S-record or ELF files") },
  { "convert", cli_convert, N_("Convert a firmware file to another format") },
  { "list", cli_list, N_("List the DFU devices plugged in") },
  { "flash", cli_flash, N_("Write a firmware file to devices, verify it and start it") },
  { "read", cli_read, N_("Read a device's memory to a file") },
  { "detach", cli_detach, N_("Switch a device from its application to DFU mode") },
  { "unprotect", cli_unprotect, N_("Remove an STM32's read protection (erases the chip)") },
  { "micropython", cli_micropython, N_("MicroPython's official firmware: list, download, update a board") },
  { "dfu-util", compat_dfu_util, N_("Take dfu-util 0.11's options (also when run as “dfu-util”)") },
  { "pydfu", compat_pydfu, N_("Take pydfu.py's options (also when run as “pydfu”)") },
  { "dfu-programmer", compat_dfu_programmer, N_("Take dfu-programmer's commands (also when run as “dfu-programmer”)") },
};

/* what error lines start with: the personalities answer as the tool whose
 * name they were called by */
static const gchar *program = "defuse-cli";

void
cli_set_program (const gchar *name)
{
  program = name;
}

void
cli_error (const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fflush (stdout);  /* in order with what was printed before */
  g_printerr ("%s: %s\n", program, text);
}

gboolean
cli_parse_options (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cli_error ("%s (see --help)", error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
cli_parse_u32 (const gchar *text, const gchar *what, guint32 max, guint32 *value,
               GError **error)
{
  guint64 v;
  gboolean hex = g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X");

  if (!g_ascii_string_to_unsigned (hex ? text + 2 : text, hex ? 16 : 10, 0, max, &v, NULL))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("%s “%s” is not a number from 0 to 0x%x (use 0x for hexadecimal)"),
                   what, text, max);
      return FALSE;
    }
  *value = (guint32) v;
  return TRUE;
}

int
cli_exit_for_error (const GError *error)
{
  if (error->domain != DF_ERROR)
    return CLI_EXIT_DEVICE;
  switch (error->code)
    {
    case DF_ERROR_INVALID_FILE:
    case DF_ERROR_IO:
      return CLI_EXIT_BAD_FILE;
    case DF_ERROR_INVALID_ARGUMENT:
      return CLI_EXIT_USAGE;
    case DF_ERROR_NOT_FOUND:
    case DF_ERROR_AMBIGUOUS:
      return CLI_EXIT_NO_DEVICE;
    case DF_ERROR_PERMISSION:
      return CLI_EXIT_PERMISSION;
    case DF_ERROR_INCOMPATIBLE:
    case DF_ERROR_NOT_SUPPORTED:
      return CLI_EXIT_INCOMPATIBLE;
    case DF_ERROR_DISCONNECTED:
    case DF_ERROR_TIMEOUT:
      return CLI_EXIT_CONNECTION;
    case DF_ERROR_CANCELLED:
      return CLI_EXIT_CANCELLED;
    default:
      return CLI_EXIT_DEVICE;
    }
}

static gboolean
parse_id (const gchar *text, const gchar *what, guint16 *value, GError **error)
{
  guint32 v;
  if (text == NULL)
    return TRUE;
  if (!cli_parse_u32 (text, what, 0xffff, &v, error))
    return FALSE;
  *value = (guint16) v;
  return TRUE;
}

gboolean
cli_parse_ids (const gchar *vid, const gchar *pid, const gchar *bcd_device,
               DfWriteOptions *options, GError **error)
{
  return parse_id (vid, "--vid", &options->vid, error) &&
         parse_id (pid, "--pid", &options->pid, error) &&
         parse_id (bcd_device, "--device-version", &options->bcd_device, error);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: defuse-cli COMMAND [OPTIONS…]"));
  fprintf (out, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-14s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Run “defuse-cli COMMAND --help” for the options of a command."));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *name = g_path_get_basename (argv[0]);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* run through a link named after the tool a build system calls */
  if (g_str_equal (name, "dfu-util"))
    return compat_dfu_util (argc, argv);
  if (g_str_equal (name, "pydfu") || g_str_equal (name, "pydfu.py"))
    return compat_pydfu (argc, argv);
  if (g_str_equal (name, "dfu-programmer"))
    return compat_dfu_programmer (argc, argv);

  if (argc < 2)
    {
      print_usage (stderr);
      return CLI_EXIT_USAGE;
    }
  if (g_strcmp0 (argv[1], "--help") == 0 || g_strcmp0 (argv[1], "-h") == 0 ||
      g_strcmp0 (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return CLI_EXIT_OK;
    }
  if (g_strcmp0 (argv[1], "--version") == 0)
    {
      printf ("defuse-cli %s\n", DEFUSE_VERSION);
      return CLI_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  cli_error (_("unknown command “%s”"), argv[1]);
  print_usage (stderr);
  return CLI_EXIT_USAGE;
}
