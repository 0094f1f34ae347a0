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

static void
print_json_event (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree gchar *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
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
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "progress");
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, progress->label);
      json_builder_set_member_name (b, "phase");
      json_builder_add_string_value (b, df_phase_to_string (p->phase));
      json_builder_set_member_name (b, "done");
      json_builder_add_int_value (b, (gint64) p->done);
      json_builder_set_member_name (b, "total");
      json_builder_add_int_value (b, (gint64) p->total);
      json_builder_set_member_name (b, "address");
      json_builder_add_int_value (b, p->address);
      json_builder_set_member_name (b, "fraction");
      json_builder_add_double_value (b, p->fraction);
      json_builder_set_member_name (b, "rate");
      json_builder_add_double_value (b, p->rate);
      json_builder_set_member_name (b, "eta");
      json_builder_add_double_value (b, p->eta);
      json_builder_end_object (b);
      print_json_event (b);
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
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "log");
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, progress->label);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, line);
      json_builder_end_object (b);
      print_json_event (b);
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
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, "result");
      json_builder_set_member_name (b, "device");
      json_builder_add_string_value (b, progress->label);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, error == NULL);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, error != NULL ? error->message : summary);
      if (error != NULL)
        {
          json_builder_set_member_name (b, "exit");
          json_builder_add_int_value (b, cli_exit_for_error (error));
        }
      json_builder_end_object (b);
      print_json_event (b);
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
