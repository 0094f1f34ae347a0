/* defuse-flash-words.c: a flash's progress and failure in the window's
 * words: the progress line, the hint for each kind of error, and the
 * engine's messages without the advice meant for defuse-cli. */
#include "defuse-config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "df-error.h"
#include "defuse-flash-words.h"

gboolean
defuse_flash_words_is_cancel (const GError *error)
{
  return g_error_matches (error, DF_ERROR, DF_ERROR_CANCELLED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* "(with --diff the next flash ...)", "(--force)": the advice of the
 * engine's messages that names a defuse-cli option is for the terminal;
 * the window has its own switches and buttons */
gchar *
defuse_flash_words_without_cli_options (const gchar *message)
{
  GString *out = g_string_new (NULL);
  const gchar *p = message;

  while (*p != '\0')
    {
      const gchar *open = strchr (p, '(');
      const gchar *close = open != NULL ? strchr (open, ')') : NULL;
      g_autofree gchar *inside = NULL;

      if (close == NULL)
        {
          g_string_append (out, p);
          break;
        }
      inside = g_strndup (open, close - open);
      if (strstr (inside, " --") == NULL && strstr (inside, "(--") == NULL)
        {
          g_string_append_len (out, p, close + 1 - p);
          p = close + 1;
          continue;
        }
      /* the space before the parenthesis goes with it */
      g_string_append_len (out, p, open - p);
      while (out->len > 0 && out->str[out->len - 1] == ' ')
        g_string_truncate (out, out->len - 1);
      p = close + 1;
    }
  return g_string_free (out, FALSE);
}

/* DFU's raw names are for the log and the report: "the device reported
 * errWRITE: the device could not write the memory" says it twice, and
 * "dfuIDLE" means nothing to most people */
gchar *
defuse_flash_words_without_jargon (const gchar *message)
{
  static const struct { const gchar *pattern, *words; } plain[] = {
    { "the device reported err[A-Z_]+: ", "" },
    { " \\((dfu|err)[A-Za-z_]+\\)", "" },
    { "\\bdfuIDLE\\b", N_("its ready state") },
    { "\\bdfu[A-Z_]+\\b", N_("an unexpected state") },
    { "\\berr[A-Z_]+\\b", N_("an error") },
  };
  g_autofree gchar *text = g_strdup (message);

  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    {
      g_autoptr(GRegex) regex = g_regex_new (plain[i].pattern, G_REGEX_OPTIMIZE, 0, NULL);
      gchar *next = g_regex_replace_literal (regex, text, -1, 0,
                                             plain[i].words[0] != '\0' ? _(plain[i].words) : "", 0, NULL);
      g_free (text);
      text = next;
    }
  return g_steal_pointer (&text);
}

static gchar *
format_duration (gdouble seconds)
{
  guint s = (guint) (seconds + 0.5);

  if (s < 60)
    /* TRANSLATORS: time left, in seconds */
    return g_strdup_printf (_("%u s left"), s);
  /* TRANSLATORS: time left, in minutes and seconds */
  return g_strdup_printf (_("%u min %02u s left"), s / 60, s % 60);
}

gchar *
defuse_flash_words_progress (const DfProgress *progress)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *joined = NULL;

  /* the switch to DFU mode and the start count a step, not bytes: "0 bytes
   * of 1 byte" says nothing */
  if (progress->total > 0 && progress->phase != DF_PHASE_DETACH && progress->phase != DF_PHASE_LEAVE &&
      progress->phase != DF_PHASE_DONE)
    {
      g_autofree gchar *done = g_format_size_full (progress->done, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree gchar *total = g_format_size_full (progress->total, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: bytes done of the phase, e.g. "120 KiB of 300 KiB" */
      g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), done, total));
    }
  if (progress->rate > 0)
    {
      g_autofree gchar *rate = g_format_size_full ((guint64) progress->rate, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: transfer rate, e.g. "45 KiB/s" */
      g_ptr_array_add (parts, g_strdup_printf (_("%s/s"), rate));
    }
  if (progress->eta >= 0)
    g_ptr_array_add (parts, format_duration (progress->eta));
  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv (" · ", (gchar **) parts->pdata);
  return g_steal_pointer (&joined);
}

const gchar *
defuse_flash_words_error_hint (const GError *error)
{
  if (error == NULL)
    return NULL;
  /* the engine's message already says where the device was left */
  if (defuse_flash_words_is_cancel (error))
    return NULL;
  if (error->domain != DF_ERROR)
    return _("The log below has the details.");
  switch ((DfError) error->code)
    {
    case DF_ERROR_PERMISSION:
      return _("Install Defuse’s udev rule as shown in the device list, then plug the device in again.");
    case DF_ERROR_IN_USE:
      return _("Another program is using the device: wait until it is done with it, or close it, "
               "then flash again.");
    case DF_ERROR_DISCONNECTED:
      return _("The device went away during the flash. Check the cable, put the board back into DFU mode "
               "and flash again.");
    case DF_ERROR_NOT_FOUND:
      return _("Check the cable, put the board back into DFU mode and flash again.");
    case DF_ERROR_TIMEOUT:
      return _("Unplug the board, put it back into DFU mode and flash again.");
    case DF_ERROR_PROTECTED:
      return _("The chip is read-protected: nothing can be read or written until the protection is removed, "
               "and removing it erases the whole chip.");
    case DF_ERROR_VERIFY:
      return _("The memory does not hold what was written. Flash again; if it keeps failing, "
               "the memory may be protected or worn out.");
    case DF_ERROR_INCOMPATIBLE:
      return _("Check that this file is the firmware for this board.");
    case DF_ERROR_INVALID_FILE:
      return _("The file is damaged or is not firmware: download it again.");
    case DF_ERROR_DEVICE:
    case DF_ERROR_WRITE:
    case DF_ERROR_ADDRESS:
    case DF_ERROR_STALLED:
    case DF_ERROR_PROTOCOL:
      return _("Reset the board into DFU mode and flash again. The log below has what the device said.");
    case DF_ERROR_CANCELLED:
    case DF_ERROR_FAILED:
    case DF_ERROR_INVALID_ARGUMENT:
    case DF_ERROR_NOT_SUPPORTED:
    case DF_ERROR_IO:
    case DF_ERROR_AMBIGUOUS:
    default:
      return _("The log below has the details.");
    }
}
