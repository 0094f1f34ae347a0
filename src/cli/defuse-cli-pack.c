/* defuse-cli pack: build a DfuSe file from binaries, HEX, S-record and ELF
 * files, as MicroPython's `dfu.py -b ADDR:file.bin` does, with firmware and
 * data assets in one file and, with --alt, several targets.
 *
 * Options and inputs are taken in command-line order: `--alt N` starts a
 * new target and `--name` names the current one, so
 *   pack -o out.dfu fw.hex 0x08080000:fs.bin --alt 1 0x1FFFC000:opt.bin
 * gives alt 0 with two inputs and alt 1 with one. */
#include <inttypes.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "defuse-cli.h"
#include "df-error.h"
#include "df-formats.h"

typedef struct {
  DfImage  *image;
  DfTarget *target;  /* the one inputs go to; created on first use */
  guint8    alt;
  gchar    *name;
  GError   *error;   /* first input that failed */
} PackState;

static DfTarget *
current_target (PackState *state)
{
  if (state->target == NULL)
    {
      if (df_image_find_target (state->image, state->alt) != NULL)
        {
          g_set_error (&state->error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                       _("--alt %u is given twice"), state->alt);
          return NULL;
        }
      state->target = df_image_add_target (state->image, state->alt, state->name);
    }
  return state->target;
}

static gboolean
on_alt (const gchar *option, const gchar *value, gpointer data, GError **error)
{
  PackState *state = data;
  guint32 alt;

  if (!cli_parse_u32 (value, "--alt", 255, &alt, error))
    return FALSE;
  state->alt = (guint8) alt;
  g_clear_pointer (&state->name, g_free);
  state->target = NULL;
  return TRUE;
}

static gboolean
on_name (const gchar *option, const gchar *value, gpointer data, GError **error)
{
  PackState *state = data;

  g_free (state->name);
  state->name = g_strdup (value);
  if (state->target != NULL)
    {
      g_free (state->target->name);
      state->target->name = g_strdup (value);
    }
  return TRUE;
}

/* "ADDR:FILE" for a raw binary; anything else is a file with addresses */
static DfImage *
load_input (const gchar *input, GError **error)
{
  const gchar *colon = strchr (input, ':');
  DfImage *image;

  if (colon != NULL && g_str_has_prefix (input, "0x") &&
      !g_file_test (input, G_FILE_TEST_EXISTS))
    {
      g_autofree gchar *address_text = g_strndup (input, (gsize) (colon - input));
      guint32 address;

      if (!cli_parse_u32 (address_text, _("address"), G_MAXUINT32, &address, error))
        return NULL;
      image = df_image_load_file (colon + 1, DF_FORMAT_RAW, TRUE, address, DF_LOAD_NONE, error);
    }
  else
    image = df_image_load_file (input, DF_FORMAT_UNKNOWN, FALSE, 0, DF_LOAD_NONE, error);

  if (image == NULL || !df_image_check (image, error))
    {
      g_clear_pointer (&image, df_image_unref);
      return NULL;
    }
  if (!df_image_has_addresses (image))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                   _("%s has no load address: give it as ADDR:%s, for example 0x08000000:%s"),
                   input, input, input);
      df_image_unref (image);
      return NULL;
    }
  return image;
}

static gboolean
on_input (const gchar *option, const gchar *value, gpointer data, GError **error)
{
  PackState *state = data;
  g_autoptr(DfImage) input = NULL;
  DfTarget *target;

  if (state->error != NULL)
    return TRUE;
  target = current_target (state);
  if (target == NULL)
    return TRUE;
  input = load_input (value, &state->error);
  if (input == NULL)
    return TRUE;

  /* every segment of every target of the input joins the current target */
  for (guint i = 0; i < input->targets->len; i++)
    {
      DfTarget *t = g_ptr_array_index (input->targets, i);
      for (guint j = 0; j < t->segments->len; j++)
        {
          DfSegment *segment = g_ptr_array_index (t->segments, j);
          df_target_add_segment (target, segment->address, segment->data);
        }
    }
  return TRUE;
}

/* elements of one target must not overlap: the device would get the
 * later bytes and the file would lie about its content */
static gboolean
check_overlaps (DfImage *image, GError **error)
{
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      for (guint a = 0; a < target->segments->len; a++)
        for (guint b = a + 1; b < target->segments->len; b++)
          {
            DfSegment *sa = g_ptr_array_index (target->segments, a);
            DfSegment *sb = g_ptr_array_index (target->segments, b);
            guint64 ea = (guint64) sa->address + g_bytes_get_size (sa->data);
            guint64 eb = (guint64) sb->address + g_bytes_get_size (sb->data);
            if (sa->address < eb && sb->address < ea)
              {
                g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT,
                             _("inputs overlap in alt %u: 0x%08x-0x%08" PRIx64 " and "
                               "0x%08x-0x%08" PRIx64),
                             target->alt, sa->address, ea - 1, sb->address, eb - 1);
                return FALSE;
              }
          }
    }
  return TRUE;
}

int
cli_pack (int argc, char **argv)
{
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_DFUSE, NULL);
  PackState state = { .image = image };
  g_autofree gchar *output = NULL;
  g_autofree gchar *vid_text = NULL, *pid_text = NULL, *device_text = NULL;
  gboolean no_pad = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("The DfuSe file to write"), N_("OUT.dfu") },
    { "vid", 0, 0, G_OPTION_ARG_STRING, &vid_text, N_("USB vendor id the file is for (default 0xffff: any)"), N_("VID") },
    { "pid", 0, 0, G_OPTION_ARG_STRING, &pid_text, N_("USB product id the file is for (default 0xffff: any)"), N_("PID") },
    { "device-version", 0, 0, G_OPTION_ARG_STRING, &device_text, N_("bcdDevice the file is for (default 0xffff: any)"), N_("BCD") },
    { "alt", 0, 0, G_OPTION_ARG_CALLBACK, on_alt, N_("Put the inputs that follow in a target for this alternate setting (default 0)"), N_("N") },
    { "name", 0, 0, G_OPTION_ARG_CALLBACK, on_name, N_("Name the current target"), N_("NAME") },
    { "no-pad", 0, 0, G_OPTION_ARG_NONE, &no_pad, N_("Do not pad element sizes to a multiple of 8 (STM32L4 and others need it)"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_CALLBACK, on_input, NULL, N_("[ADDR:]FILE…") },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GOptionGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  DfWriteOptions options;

  g_option_context_set_summary (context,
                                _("Build a DfuSe file.  Each input is ADDR:FILE for a raw binary, or a .hex, .srec or .elf file."));
  group = g_option_group_new ("pack", NULL, NULL, &state, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, g_steal_pointer (&group));
  if (!cli_parse_options (context, &argc, &argv))
    {
      g_free (state.name);
      g_clear_error (&state.error);
      return CLI_EXIT_USAGE;
    }
  g_free (state.name);
  if (output == NULL)
    {
      g_clear_error (&state.error);
      cli_error (_("no output file: give it with -o OUT.dfu"));
      return CLI_EXIT_USAGE;
    }

  df_write_options_init (&options);
  options.pad_to_8 = !no_pad;
  if (!cli_parse_ids (vid_text, pid_text, device_text, &options, &error))
    {
      g_clear_error (&state.error);
      cli_error ("%s", error->message);
      return CLI_EXIT_USAGE;
    }

  if (state.error != NULL)
    {
      g_autoptr(GError) input_error = state.error;
      cli_error ("%s", input_error->message);
      return input_error->code == DF_ERROR_INVALID_ARGUMENT ? CLI_EXIT_USAGE : CLI_EXIT_BAD_FILE;
    }
  if (image->targets->len == 0)
    {
      cli_error (_("no input given (see --help)"));
      return CLI_EXIT_USAGE;
    }
  if (!check_overlaps (image, &error) ||
      !df_image_save_file (image, output, DF_FORMAT_DFUSE, &options, &error))
    {
      cli_error ("%s", error->message);
      return CLI_EXIT_BAD_FILE;
    }
  if (no_pad)
    cli_warn_unpadded (image, output);
  return CLI_EXIT_OK;
}
