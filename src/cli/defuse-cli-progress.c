/* How flash and read progress looks on a terminal, in a log, and to a
 * script (--json: one event per line). */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#include "defuse-cli.h"
#include "df-error.h"

#define BAR_WIDTH 30
#define REDRAW_US (G_USEC_PER_SEC / 10)

struct _CliProgress {
  gchar   *label;
  gboolean json;
  gboolean tty;
  DfPhase  phase;
  gint     last_tenth;   /* plain mode: a line every 10 % */
  gint64   last_draw;
  gboolean bar_drawn;
};

CliProgress *
cli_progress_new (const gchar *label, gboolean json, gboolean several)
{
  CliProgress *progress = g_new0 (CliProgress, 1);
  progress->label = g_strdup (label);
  progress->json = json;
  /* one bar redrawn in place only makes sense for one device */
  progress->tty = !json && !several && isatty (STDOUT_FILENO);
  progress->phase = (DfPhase) -1;
  progress->last_tenth = -1;
  return progress;
}

void
cli_progress_free (CliProgress *progress)
{
  g_free (progress->label);
  g_free (progress);
}

static gchar *
format_eta (gdouble seconds)
{
  if (seconds < 0)
    return g_strdup ("");
  if (seconds < 60)
    return g_strdup_printf (_(", %.0f s left"), seconds + 0.5);
  return g_strdup_printf (_(", %.0f min left"), seconds / 60 + 0.5);
}

void
cli_progress_update (CliProgress *progress, const DfProgress *p)
{
  gint64 now = g_get_monotonic_time ();
  gboolean new_phase = p->phase != progress->phase;

  progress->phase = p->phase;
  if (progress->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      cli_json_string (b, "event", "progress");
      cli_json_string (b, "device", progress->label);
      cli_json_string (b, "phase", df_phase_to_string (p->phase));
      cli_json_int (b, "done", (gint64) p->done);
      cli_json_int (b, "total", (gint64) p->total);
      cli_json_int (b, "address", p->address);
      cli_json_double (b, "fraction", p->fraction);
      cli_json_double (b, "rate", p->rate);
      cli_json_double (b, "eta", p->eta);
      json_builder_end_object (b);
      cli_json_print (b, FALSE);
      return;
    }

  if (progress->tty)
    {
      g_autofree gchar *eta = NULL;
      g_autofree gchar *rate = NULL;
      gint filled = (gint) (p->fraction * BAR_WIDTH + 0.5);

      if (!new_phase && now - progress->last_draw < REDRAW_US && p->done < p->total)
        return;
      progress->last_draw = now;
      eta = format_eta (p->eta);
      rate = p->rate > 0 ? g_format_size ((guint64) p->rate) : g_strdup ("");
      printf ("\r\033[K[%.*s%*s] %3.0f%%  %s %s%s%s", filled, "##############################",
              BAR_WIDTH - filled, "", p->fraction * 100, df_phase_describe (p->phase),
              rate, p->rate > 0 ? "/s" : "", eta);
      fflush (stdout);
      progress->bar_drawn = TRUE;
      return;
    }

  /* plain: a line when a phase starts and every 10 % of the whole */
  if (new_phase || (gint) (p->fraction * 10) > progress->last_tenth)
    {
      progress->last_tenth = (gint) (p->fraction * 10);
      printf ("%s: %3.0f%% %s\n", progress->label, p->fraction * 100, df_phase_describe (p->phase));
      fflush (stdout);
    }
}

void
cli_progress_log (CliProgress *progress, const gchar *line)
{
  if (progress->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      cli_json_string (b, "event", "log");
      cli_json_string (b, "device", progress->label);
      cli_json_string (b, "message", line);
      json_builder_end_object (b);
      cli_json_print (b, FALSE);
    }
  else if (!progress->tty)
    printf ("%s: %s\n", progress->label, line);
}

void
cli_progress_finish (CliProgress *progress, const GError *error, const gchar *summary)
{
  if (progress->bar_drawn)
    printf ("\n");
  if (progress->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      cli_json_string (b, "event", "result");
      cli_json_string (b, "device", progress->label);
      cli_json_bool (b, "ok", error == NULL);
      cli_json_string (b, "message", error != NULL ? error->message : summary);
      if (error != NULL)
        {
          cli_json_string (b, "kind", df_error_kind (error));
          cli_json_int (b, "exit", cli_exit_for_error (error));
        }
      json_builder_end_object (b);
      cli_json_print (b, FALSE);
    }
  if (error != NULL && g_error_matches (error, DF_ERROR, DF_ERROR_PROTECTED))
    cli_error ("%s: %s\n%s", progress->label, error->message,
               _("To flash it, remove the protection with “defuse-cli unprotect --force”: the chip erases everything."));
  else if (error != NULL)
    cli_error ("%s: %s", progress->label, error->message);
  else if (!progress->json)
    printf ("%s: %s\n", progress->label, summary);
  fflush (stdout);
}

int
cli_fail (gboolean json, const gchar *label, const GError *error)
{
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      cli_json_string (b, "event", "result");
      cli_json_string (b, "device", label);
      cli_json_bool (b, "ok", FALSE);
      cli_json_string (b, "message", error->message);
      cli_json_string (b, "kind", df_error_kind (error));
      cli_json_int (b, "exit", cli_exit_for_error (error));
      json_builder_end_object (b);
      cli_json_print (b, FALSE);
    }
  cli_error ("%s", error->message);
  return cli_exit_for_error (error);
}
