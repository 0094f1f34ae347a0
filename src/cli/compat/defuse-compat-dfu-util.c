/* defuse-cli as dfu-util: dfu-util 0.11's command line (COMPAT.md), read
 * with getopt_long as dfu-util reads it (-a0, -d,0483:df11, --alt=0 and
 * --alt 0 all work; GOption has no attached short arguments), then handed
 * to the engine.  Exit statuses are dfu-util's (sysexits). */
#include <errno.h>
#include <getopt.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defuse-compat.h"
#include "df-error.h"

#define DFU_UTIL_VERSION "0.11"

int
dfu_util_exit_for_error (const GError *error)
{
  if (error->domain != DF_ERROR)
    return EX_IOERR;
  switch (error->code)
    {
    case DF_ERROR_INVALID_FILE:
      return EX_DATAERR;
    case DF_ERROR_IO:
      return EX_NOINPUT;
    case DF_ERROR_INVALID_ARGUMENT:
    case DF_ERROR_INCOMPATIBLE:
    case DF_ERROR_NOT_SUPPORTED:
      return EX_USAGE;
    case DF_ERROR_PROTOCOL:
      return EX_PROTOCOL;
    case DF_ERROR_CANCELLED:
      return 128 + 2;  /* as a shell reports dfu-util stopped by Ctrl+C */
    default:
      return EX_IOERR;
    }
}

static void
print_help (void)
{
  printf ("%s\n", _("Usage: dfu-util [options] ...   (Defuse's dfu-util 0.11 compatible command line)"));
  printf ("%s\n", _("  -h --help                 Print this help message\n"
                    "  -V --version              Print the version number\n"
                    "  -v --verbose              Print more about what is done\n"
                    "  -l --list                 List the DFU capable devices plugged in\n"
                    "  -e --detach               Switch a device to DFU mode, or a DFU mode device back to its application\n"
                    "  -E --detach-delay SECONDS Accepted; Defuse waits for the device itself\n"
                    "  -d --device V:P[,V:P]     USB ids in the application[, in DFU mode]\n"
                    "  -n --devnum N             Match the device number (devnum of --list)\n"
                    "  -p --path BUS-PORT.PORT   Match the USB port path\n"
                    "  -c --cfg N                Match the configuration\n"
                    "  -i --intf N               Match the DFU interface number\n"
                    "  -S --serial S[,S_DFU]     Match the serial number[, in DFU mode]\n"
                    "  -a --alt ALT              The alt setting, by number or by name\n"
                    "  -t --transfer-size N      Bytes per USB transfer\n"
                    "  -U --upload FILE          Read the device's memory into FILE (a new file)\n"
                    "  -Z --upload-size N        Bytes to read\n"
                    "  -D --download FILE        Write FILE to the device, then verify it\n"
                    "  -R --reset                Reset (leave DFU mode) when done; -Q is the same\n"
                    "  -w --wait                 Wait for the device to be plugged in\n"
                    "  -s --dfuse-address ADDR[:leave|:mass-erase|:unprotect|:will-reset|:force|:LENGTH]\n"
                    "                            DfuSe address of a raw binary, and what else to do"));
}

static gboolean
parse_number (const gchar *text, const gchar *option, guint32 *value)
{
  gchar *end = NULL;
  guint64 v;

  errno = 0;
  v = g_ascii_strtoull (text, &end, 0);
  if (*text == '\0' || *text == '-' || *end != '\0' || errno != 0 || v > G_MAXUINT32)
    {
      cli_error (_("invalid number “%s” for --%s"), text, option);
      return FALSE;
    }
  *value = (guint32) v;
  return TRUE;
}

/* -s [ADDR][:MOD[:MOD...]]: the modifiers as dfu-util knows them */
static gboolean
parse_dfuse (const gchar *text, DfuUtilDfuse *dfuse)
{
  g_auto(GStrv) parts = g_strsplit (text, ":", -1);

  dfuse->given = TRUE;
  if (*parts[0] != '\0')
    {
      if (!parse_number (parts[0], "dfuse-address", &dfuse->address))
        return FALSE;
      dfuse->has_address = TRUE;
    }
  for (guint i = 1; parts[i] != NULL; i++)
    {
      const gchar *mod = parts[i];
      if (g_str_equal (mod, "leave"))
        dfuse->leave = TRUE;
      else if (g_str_equal (mod, "mass-erase"))
        dfuse->mass_erase = TRUE;
      else if (g_str_equal (mod, "unprotect"))
        dfuse->unprotect = TRUE;
      else if (g_str_equal (mod, "force"))
        dfuse->force = TRUE;
      else if (g_str_equal (mod, "will-reset"))
        dfuse->will_reset = TRUE;
      else if (g_ascii_isdigit (*mod) && parse_number (mod, "dfuse-address", &dfuse->length))
        dfuse->has_length = TRUE;
      else
        {
          cli_error (_("invalid dfuse modifier “%s”: use leave, mass-erase, unprotect, will-reset, force or a length"), mod);
          return FALSE;
        }
    }
  if ((dfuse->mass_erase || dfuse->unprotect) && !dfuse->force)
    {
      cli_error (_("%s erases the whole chip: add :force to confirm"),
                      dfuse->mass_erase ? "mass-erase" : "unprotect");
      return FALSE;
    }
  return TRUE;
}

static const struct option long_options[] = {
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { "verbose", no_argument, NULL, 'v' },
  { "list", no_argument, NULL, 'l' },
  { "detach", no_argument, NULL, 'e' },
  { "detach-delay", required_argument, NULL, 'E' },
  { "device", required_argument, NULL, 'd' },
  { "devnum", required_argument, NULL, 'n' },
  { "path", required_argument, NULL, 'p' },
  { "configuration", required_argument, NULL, 'c' },
  { "cfg", required_argument, NULL, 'c' },
  { "interface", required_argument, NULL, 'i' },
  { "intf", required_argument, NULL, 'i' },
  { "altsetting", required_argument, NULL, 'a' },
  { "alt", required_argument, NULL, 'a' },
  { "serial", required_argument, NULL, 'S' },
  { "transfer-size", required_argument, NULL, 't' },
  { "upload", required_argument, NULL, 'U' },
  { "upload-size", required_argument, NULL, 'Z' },
  { "download", required_argument, NULL, 'D' },
  { "reset", no_argument, NULL, 'R' },
  { "dfuse-address", required_argument, NULL, 's' },
  /* dfu-util 0.11's --wait swallows the next argument (a bug); not ours */
  { "wait", no_argument, NULL, 'w' },
  { NULL, 0, NULL, 0 },
};

static gboolean
parse_match_number (const gchar *text, const gchar *option, gint *value)
{
  guint32 v;

  if (!parse_number (text, option, &v))
    return FALSE;
  if (v > 255)
    {
      cli_error (_("invalid number “%s” for --%s"), text, option);
      return FALSE;
    }
  *value = (gint) v;
  return TRUE;
}

/* one option; FALSE after printing what is wrong */
static gboolean
take_option (DfuUtilArgs *args, int c, const gchar *arg, gboolean *version, gboolean *help)
{
  g_autoptr(GError) error = NULL;
  guint32 number;
  gchar *end = NULL;

  switch (c)
    {
    case 'h': *help = TRUE; return TRUE;
    case 'V': *version = TRUE; return TRUE;
    case 'v': return TRUE;
    case 'l': args->mode = DFU_UTIL_MODE_LIST; return TRUE;
    case 'e': args->mode = DFU_UTIL_MODE_DETACH; return TRUE;
    case 'E': return parse_number (arg, "detach-delay", &number);
    case 'd':
      if (!dfu_util_match_parse_device (&args->match, arg, &error))
        cli_error ("%s", error->message);
      return error == NULL;
    case 'n': return parse_match_number (arg, "devnum", &args->match.devnum);
    case 'p': g_free (args->match.path); args->match.path = g_strdup (arg); return TRUE;
    case 'c':
      if (!parse_match_number (arg, "cfg", &args->match.cfg))
        return FALSE;
      if (args->match.cfg == 0)  /* -c 0: an unconfigured device, any */
        args->match.cfg = DFU_UTIL_ANY;
      return TRUE;
    case 'i': return parse_match_number (arg, "intf", &args->match.intf);
    case 'a':
      g_clear_pointer (&args->match.alt_name, g_free);
      args->match.alt = (gint) g_ascii_strtoull (arg, &end, 0);
      if (*arg == '\0' || *end != '\0' || args->match.alt > 255)
        {
          args->match.alt = DFU_UTIL_ANY;
          args->match.alt_name = g_strdup (arg);
        }
      return TRUE;
    case 'S': dfu_util_match_parse_serial (&args->match, arg); return TRUE;
    case 't': return parse_number (arg, "transfer-size", &args->transfer_size);
    case 'U': args->mode = DFU_UTIL_MODE_UPLOAD; args->file = arg; return TRUE;
    case 'Z': return parse_number (arg, "upload-size", &args->upload_size);
    case 'D': args->mode = DFU_UTIL_MODE_DOWNLOAD; args->file = arg; return TRUE;
    case 'R': case 'Q': args->reset = TRUE; return TRUE;
    case 's': return parse_dfuse (arg, &args->dfuse);
    case 'w': args->wait = TRUE; return TRUE;
    default: return FALSE;
    }
}

static gboolean
parse_args (DfuUtilArgs *args, int argc, char **argv, gboolean *version, gboolean *help)
{
  int c;

  opterr = 0;  /* our own one-line messages */
  optind = 1;
  while ((c = getopt_long (argc, argv, ":hVvleE:d:n:p:c:i:a:S:t:U:D:RQs:Z:w", long_options, NULL)) != -1)
    {
      if (c == ':' || c == '?')
        {
          const gchar *option = argv[optind - 1];
          if (c == ':')
            cli_error (_("option %s needs an argument (see dfu-util -h)"), option);
          else if (optopt != 0)
            cli_error (_("invalid option -- '%c' (see dfu-util -h)"), optopt);
          else
            cli_error (_("unrecognized option '%s' (see dfu-util -h)"), option);
          return FALSE;
        }
      if (!take_option (args, c, optarg, version, help))
        return FALSE;
    }
  if (optind < argc)
    {
      cli_error (_("unexpected argument “%s”: give files with -D or -U (see dfu-util -h)"), argv[optind]);
      return FALSE;
    }
  return TRUE;
}

static int
run (DfuUtilArgs *args)
{
  switch (args->mode)
    {
    case DFU_UTIL_MODE_LIST:
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) entries = NULL;
        g_autoptr(GPtrArray) devices = dfu_util_match_find (&args->match, FALSE, &entries, &error);

        if (devices == NULL)
          {
            cli_error ("%s", error->message);
            return dfu_util_exit_for_error (error);
          }
        dfu_util_print_list (entries);
        return EX_OK;
      }
    case DFU_UTIL_MODE_DOWNLOAD:
      return dfu_util_download (args);
    case DFU_UTIL_MODE_UPLOAD:
      return dfu_util_upload (args);
    case DFU_UTIL_MODE_DETACH:
      return dfu_util_detach (args);
    case DFU_UTIL_MODE_NONE:
    default:
      if (args->dfuse.given)
        return dfu_util_command (args);
      cli_error (_("You need to specify one of -D or -U (see dfu-util -h)"));
      return EX_USAGE;
    }
}

int
compat_dfu_util (int argc, char **argv)
{
  DfuUtilArgs args = { 0 };
  gboolean version = FALSE, help = FALSE;
  int status;

  cli_set_program ("dfu-util");
  dfu_util_match_init (&args.match);
  if (!parse_args (&args, argc, argv, &version, &help))
    status = EX_USAGE;
  else if (help)
    {
      print_help ();
      status = EX_OK;
    }
  else if (version)
    {
      printf ("dfu-util " DFU_UTIL_VERSION " (Defuse %s)\n", DEFUSE_VERSION);
      status = EX_OK;
    }
  else
    status = run (&args);
  dfu_util_match_clear (&args.match);
  return status;
}
