/* defuse-cli as dfu-programmer: the command lines QMK and keyboard READMEs
 * use, in dfu-programmer 0.6's words (Debian's: erase, flash, flash-eeprom,
 * dump, reset, start) and 0.7's (erase --force, flash --eeprom, read,
 * launch [--no-reset]).  Read as dfu-programmer reads them (src/arguments.c):
 * TARGET[:BUS,ADDR] COMMAND, then options anywhere after the command, so
 * getopt and GOption, which stop at or reorder words, do not fit.  Exit
 * statuses are 0.7's; the work is the engine's (-run.c). */
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "defuse-compat.h"

/* what QMK's makefiles and scripts grep for in `--version 2>&1` to choose
 * the 0.7 syntax (erase --force), which this personality speaks */
#define DFU_PROGRAMMER_VERSION "0.7.2"

static const struct {
  const gchar *name;
  guint8       group, index;
  const gchar *label;
} get_names[] = {
  { "bootloader-version", 0x00, 0x00, "Bootloader Version" },
  { "ID1", 0x00, 0x01, "Device boot ID 1" },
  { "ID2", 0x00, 0x02, "Device boot ID 2" },
  { "manufacturer", 0x01, 0x30, "Manufacturer Code" },
  { "family", 0x01, 0x31, "Family Code" },
  { "product-name", 0x01, 0x60, "Product Name" },
  { "product-revision", 0x01, 0x61, "Product Revision" },
};

static void
print_targets (void)
{
  const DfFlipChip *chip;
  guint i;

  printf ("AVR based controllers:\n");
  for (i = 0; (chip = df_flip_chip_nth (i)) != NULL; i++)
    printf ("%s   %-16s%s", i % 4 == 0 ? " " : "", chip->mcu, i % 4 == 3 ? "\n" : "");
  if (i % 4 != 0)
    printf ("\n");
}

static void
print_help (void)
{
  /* dfu-programmer prints its usage on stderr */
  g_printerr ("dfu-programmer " DFU_PROGRAMMER_VERSION " (Defuse %s)\n", DEFUSE_VERSION);
  g_printerr ("%s\n", _("Usage: dfu-programmer target[:usb-bus,usb-addr] command [options] [global-options] [file|data]\n"
                        "\n"
                        "Defuse's dfu-programmer compatible command line, for the Atmel FLIP bootloaders of AVR\n"
                        "keyboards (ATmega32U4, AT90USB...: see dfu-programmer --targets).\n"
                        "\n"
                        "global-options:\n"
                        "        --quiet\n"
                        "        --debug level    (accepted, not used)\n"
                        "\n"
                        "commands:\n"
                        "        launch       [--no-reset]      start the application (0.6: reset, start)\n"
                        "        read         [--force] [--bin] [--eeprom]\n"
                        "                                       print the memory as Intel HEX (0.6: dump, dump-eeprom)\n"
                        "        erase        [--force] [--suppress-validation]\n"
                        "        flash        [--force] [--eeprom] [--suppress-validation]\n"
                        "                     [--suppress-bootloader-mem]\n"
                        "                     [--serial=hexdigits:offset] {file|STDIN}\n"
                        "                                       erase the chip, write, verify (0.6: flash-eeprom)\n"
                        "        get          {bootloader-version|ID1|ID2|manufacturer|family|\n"
                        "                      product-name|product-revision}"));
}

static void
basic_help (void)
{
  g_printerr ("dfu-programmer " DFU_PROGRAMMER_VERSION " (Defuse %s)\n", DEFUSE_VERSION);
  g_printerr ("%s\n", _("Type 'dfu-programmer --help'    for a list of commands\n"
                        "     'dfu-programmer --targets' to list supported target devices"));
}

/* TARGET[:BUS,ADDR] */
static gboolean
parse_target (DfuProgrammerArgs *args, const gchar *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ":", 2);
  guint64 bus = 0, address = 0;

  args->chip = df_flip_chip_by_mcu (parts[0]);
  if (args->chip == NULL)
    return FALSE;
  if (parts[1] != NULL)
    {
      g_auto(GStrv) numbers = g_strsplit (parts[1], ",", 2);
      if (numbers[1] == NULL || !g_ascii_string_to_unsigned (numbers[0], 10, 1, 255, &bus, NULL) ||
          !g_ascii_string_to_unsigned (numbers[1], 10, 1, 255, &address, NULL))
        return FALSE;
    }
  args->bus = (guint) bus;
  args->address = (guint) address;
  return TRUE;
}

static gboolean
parse_command (DfuProgrammerArgs *args, const gchar *word)
{
  if (g_ascii_strcasecmp (word, "erase") == 0)
    args->command = DFU_PROGRAMMER_ERASE;
  else if (g_ascii_strcasecmp (word, "flash") == 0)
    args->command = DFU_PROGRAMMER_FLASH;
  else if (g_ascii_strcasecmp (word, "flash-eeprom") == 0)
    args->command = DFU_PROGRAMMER_FLASH, args->eeprom = TRUE;
  else if (g_ascii_strcasecmp (word, "read") == 0)
    args->command = DFU_PROGRAMMER_READ;
  /* 0.6's dumps: the whole memory, raw */
  else if (g_ascii_strcasecmp (word, "dump") == 0)
    args->command = DFU_PROGRAMMER_READ, args->force = args->bin = TRUE;
  else if (g_ascii_strcasecmp (word, "dump-eeprom") == 0)
    args->command = DFU_PROGRAMMER_READ, args->force = args->bin = args->eeprom = TRUE;
  else if (g_ascii_strcasecmp (word, "launch") == 0 || g_ascii_strcasecmp (word, "reset") == 0)
    args->command = DFU_PROGRAMMER_LAUNCH;
  else if (g_ascii_strcasecmp (word, "start") == 0)
    args->command = DFU_PROGRAMMER_LAUNCH, args->no_reset = TRUE;
  else if (g_ascii_strcasecmp (word, "get") == 0)
    args->command = DFU_PROGRAMMER_GET;
  else
    return FALSE;
  return TRUE;
}

/* --serial=HEXDIGITS:OFFSET: bytes flashed at OFFSET over the file's */
static gboolean
parse_serial (DfuProgrammerArgs *args, const gchar *text)
{
  const gchar *colon = strchr (text, ':');
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  guint64 offset;

  if (colon == NULL || (colon - text) % 2 != 0 ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT32, &offset, NULL))
    return FALSE;
  for (const gchar *p = text; p < colon; p += 2)
    {
      gint hi = g_ascii_xdigit_value (p[0]), lo = g_ascii_xdigit_value (p[1]);
      guint8 byte;
      if (hi < 0 || lo < 0)
        return FALSE;
      byte = (guint8) (hi << 4 | lo);
      g_byte_array_append (bytes, &byte, 1);
    }
  g_clear_pointer (&args->serial, g_bytes_unref);
  args->serial = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
  args->serial_offset = (guint32) offset;
  return TRUE;
}

/* an option: TRUE if taken (it may take the next word, *i moves on) */
static gboolean
take_option (DfuProgrammerArgs *args, int argc, char **argv, int *i, gboolean *bad)
{
  const gchar *word = argv[*i];
  gboolean flash = args->command == DFU_PROGRAMMER_FLASH, read = args->command == DFU_PROGRAMMER_READ;

  if (g_str_equal (word, "--quiet"))
    args->quiet = TRUE;
  else if (g_str_equal (word, "--debug"))
    {
      (*i)++;  /* its level: accepted, Defuse has its own --trace */
      *bad = *i >= argc;
    }
  else if (g_str_has_prefix (word, "--debug="))
    ;
  else if (g_str_equal (word, "--suppress-bootloader-mem"))
    args->suppress_bootloader = TRUE;
  else if (g_str_equal (word, "--suppress-validation") && (flash || args->command == DFU_PROGRAMMER_ERASE))
    args->suppress_validation = TRUE;
  else if (g_str_equal (word, "--force") && (flash || read || args->command == DFU_PROGRAMMER_ERASE))
    args->force = TRUE;
  else if (g_str_equal (word, "--eeprom") && (flash || read))
    args->eeprom = TRUE;
  else if (g_str_equal (word, "--bin") && read)
    args->bin = TRUE;
  else if (g_str_equal (word, "--no-reset") && args->command == DFU_PROGRAMMER_LAUNCH)
    args->no_reset = TRUE;
  else if (g_str_has_prefix (word, "--serial=") && flash)
    *bad = !parse_serial (args, word + strlen ("--serial="));
  else
    return FALSE;
  return TRUE;
}

static gboolean
take_parameter (DfuProgrammerArgs *args, const gchar *word, guint *count)
{
  (*count)++;
  if (*count > 1)
    return FALSE;
  if (args->command == DFU_PROGRAMMER_FLASH)
    {
      args->file = word;
      return TRUE;
    }
  if (args->command == DFU_PROGRAMMER_GET)
    for (guint i = 0; i < G_N_ELEMENTS (get_names); i++)
      if (g_ascii_strcasecmp (word, get_names[i].name) == 0)
        {
          args->get_group = get_names[i].group;
          args->get_index = get_names[i].index;
          args->get_label = get_names[i].label;
          return TRUE;
        }
  return FALSE;
}

/* dfu-programmer's usage errors: the usage, exit 2 */
static int
usage_error (const gchar *message)
{
  if (message != NULL)
    g_printerr ("%s\n", message);
  print_help ();
  return DFU_PROGRAMMER_EXIT_ARGUMENT;
}

/* -1 to go on, else the exit status */
static int
parse_args (DfuProgrammerArgs *args, int argc, char **argv)
{
  guint parameters = 0;

  if (argc == 2)
    {
      if (g_ascii_strcasecmp (argv[1], "--version") == 0)
        {
          /* on stderr, as dfu-programmer prints it: scripts read `--version 2>&1` */
          g_printerr ("dfu-programmer " DFU_PROGRAMMER_VERSION " (Defuse %s)\n", DEFUSE_VERSION);
          return EXIT_SUCCESS;
        }
      if (g_ascii_strcasecmp (argv[1], "--targets") == 0)
        {
          print_targets ();
          return EXIT_SUCCESS;
        }
      if (g_ascii_strcasecmp (argv[1], "--help") == 0 || g_ascii_strcasecmp (argv[1], "-h") == 0 ||
          g_ascii_strcasecmp (argv[1], "--h") == 0)
        {
          print_help ();
          return EXIT_SUCCESS;
        }
    }
  if (argc < 3)
    {
      basic_help ();
      return DFU_PROGRAMMER_EXIT_ARGUMENT;
    }
  if (!parse_target (args, argv[1]))
    {
      g_printerr ("Unsupported target '%s'.\n", argv[1]);
      /* TRANSLATORS: after dfu-programmer's "Unsupported target 'x'." */
      g_printerr ("%s\n", _("Defuse flashes the AVR chips with Atmel's USB bootloader; these are the names:"));
      print_targets ();
      return DFU_PROGRAMMER_EXIT_ARGUMENT;
    }
  if (!parse_command (args, argv[2]))
    return usage_error (NULL);
  for (int i = 3; i < argc; i++)
    {
      gboolean bad = FALSE;

      if (take_option (args, argc, argv, &i, &bad))
        {
          if (bad)
            return usage_error (NULL);
          continue;
        }
      /* "STDIN" and "-"-less words are parameters; other options are not known */
      if ((argv[i][0] == '-' && argv[i][1] == '-') || !take_parameter (args, argv[i], &parameters))
        return usage_error ("unrecognized parameter");
    }
  if (args->command == DFU_PROGRAMMER_FLASH && args->file == NULL)
    return usage_error ("flash filename is missing");
  if (args->command == DFU_PROGRAMMER_GET && args->get_label == NULL)
    return usage_error (NULL);
  return -1;
}

int
compat_dfu_programmer (int argc, char **argv)
{
  DfuProgrammerArgs args = { 0 };
  int status;

  cli_set_program ("dfu-programmer");
  status = parse_args (&args, argc, argv);
  if (status < 0)
    status = dfu_programmer_run (&args);
  g_clear_pointer (&args.serial, g_bytes_unref);
  return status;
}
