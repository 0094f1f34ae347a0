/* defuse-micropython-build-question.c: see the header.  The builds are
 * radio rows (the board's product and variant under each name), and the
 * answer is an index, so the caller looks the build up in its own list. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-micropython-build-question.h"

typedef struct {
  GPtrArray            *checks;  /* GtkCheckButton, one a candidate */
  DefuseBuildChosenFunc chosen;
  gpointer              user_data;
  GDestroyNotify        destroy;
} Question;

static void
question_free (gpointer data, GClosure *unused)
{
  Question *q = data;

  if (q->destroy != NULL)
    q->destroy (q->user_data);
  g_ptr_array_unref (q->checks);
  g_free (q);
}

static void
on_response (AdwMessageDialog *dialog, const gchar *response, Question *q)
{
  guint chosen = 0;

  if (g_strcmp0 (response, "choose") != 0)
    return;
  while (chosen + 1 < q->checks->len && !gtk_check_button_get_active (g_ptr_array_index (q->checks, chosen)))
    chosen++;
  q->chosen (chosen, q->user_data);
}

static GtkWidget *
build_row (const DfMpBuild *build, GtkCheckButton *group, GtkWidget **check)
{
  const gchar *product = build->board->product != NULL ? build->board->product : build->board->id;
  g_autofree gchar *name = df_mp_build_to_string (build);
  g_autofree gchar *about = build->variant != NULL
    /* TRANSLATORS: a board's product name, then a variant of its firmware, e.g. "Pyboard v1.1, variant DP" */
    ? g_strdup_printf (_("%s, variant %s"), product, build->variant)
    : g_strdup_printf (_("%s, standard build"), product);
  GtkWidget *row = adw_action_row_new ();

  *check = gtk_check_button_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), about);
  gtk_check_button_set_group (GTK_CHECK_BUTTON (*check), group);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (*check), group == NULL);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), *check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), *check);
  return row;
}

void
defuse_micropython_ask_build (GtkWindow *parent, const DfMicroPython *mp, GPtrArray *candidates,
                              DefuseBuildChosenFunc chosen, gpointer user_data, GDestroyNotify destroy)
{
  Question *q = g_new0 (Question, 1);
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Which Board Is This?"), NULL);
  GtkWidget *list = gtk_list_box_new ();

  q->checks = g_ptr_array_new ();
  q->chosen = chosen;
  q->user_data = user_data;
  q->destroy = destroy;
  /* TRANSLATORS: the board's machine string, then its MicroPython version */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("It reports “%s”, as several MicroPython builds do, and MicroPython v%s does not "
                                    "say which. Choose the one it runs: updates are for that build, and Defuse "
                                    "remembers it for this board."), mp->machine, mp->version);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < candidates->len; i++)
    {
      GtkWidget *check;
      gtk_list_box_append (GTK_LIST_BOX (list),
                           build_row (g_ptr_array_index (candidates, i),
                                      q->checks->len > 0 ? g_ptr_array_index (q->checks, 0) : NULL, &check));
      g_ptr_array_add (q->checks, check);
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "choose", _("_Choose"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "choose", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "choose");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_response), q, question_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
