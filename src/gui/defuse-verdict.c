/* defuse-verdict.c: the file against the selected board, in words.  The
 * group's title is the verdict ("Fits This Board"), its description the
 * board, each row a reason with an icon: a check for what is fine, a
 * warning for what needs the user's eye, an error for what blocks, and a
 * plain "i" for what Defuse cannot know (never a green check for it). */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-flash-words.h"
#include "defuse-inspector.h"
#include "defuse-keyboard-words.h"
#include "defuse-verdict.h"
#include "df-catalog.h"
#include "df-micropython-switch.h"

typedef enum {
  REASON_GOOD,
  REASON_UNKNOWN,
  REASON_WARNING,
  REASON_PROBLEM,
} ReasonLevel;

struct _DefuseVerdict
{
  GtkWidget            parent_instance;

  AdwPreferencesGroup *group;
  GPtrArray           *rows;      /* made here, to remove them again */
  DefuseVerdictKind    kind;
  gchar               *mismatch;
};

G_DEFINE_FINAL_TYPE (DefuseVerdict, defuse_verdict, GTK_TYPE_WIDGET)

static void
add_reason (DefuseVerdict *self, ReasonLevel level, const gchar *title, const gchar *subtitle)
{
  static const struct { const gchar *icon, *style, *name; } looks[] = {
    [REASON_GOOD] = { "emblem-ok-symbolic", "success", N_("Fine") },
    [REASON_UNKNOWN] = { "dialog-information-symbolic", "dim-label", N_("Not known") },
    [REASON_WARNING] = { "dialog-warning-symbolic", "warning", N_("Warning") },
    [REASON_PROBLEM] = { "dialog-error-symbolic", "error", N_("Problem") },
  };
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (looks[level].icon);

  /* texts come from files and devices: never markup */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* a row that does nothing is not a Tab stop */
  gtk_widget_set_focusable (row, FALSE);
  gtk_widget_add_css_class (icon, looks[level].style);
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, _(looks[level].name), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_preferences_group_add (self->group, row);
  g_ptr_array_add (self->rows, row);
}

static void
clear (DefuseVerdict *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  g_clear_pointer (&self->mismatch, g_free);
}

/* the file's USB ids against the device's, as df-plan.c checks them */
static void
add_ids (DefuseVerdict *self, DfImage *image, DfDevice *device)
{
  g_autofree gchar *file_ids = NULL, *text = NULL;
  gboolean vid_ok, pid_ok;

  if (!image->has_suffix)
    {
      add_reason (self, REASON_UNKNOWN, _("The file does not say which board it is for"),
                  _("Make sure it is the firmware for this board."));
      return;
    }
  file_ids = defuse_format_usb_id (image->suffix.vid, image->suffix.pid);
  vid_ok = image->suffix.vid == DF_ID_ANY || image->suffix.vid == 0 || image->suffix.vid == device->vid;
  pid_ok = image->suffix.pid == DF_ID_ANY || image->suffix.pid == 0 || image->suffix.pid == device->pid;
  if (vid_ok && pid_ok)
    {
      /* TRANSLATORS: the file's USB ids, e.g. "0483:df11" */
      text = g_strdup_printf (_("The file is for USB device %s, as this board is."), file_ids);
      add_reason (self, REASON_GOOD, _("Made for this kind of board"), text);
      return;
    }
  /* TRANSLATORS: the file's USB ids, then the board's */
  self->mismatch = g_strdup_printf (_("This file was made for USB device %s, but this board is %04x:%04x. "
                                      "Flash it only if you are sure it is the right firmware."),
                                    file_ids, device->vid, device->pid);
  add_reason (self, REASON_WARNING, _("Made for another device"), self->mismatch);
}

/* a MicroPython board: the switch, and what happens to its files */
static void
add_micropython (DefuseVerdict *self, DfImage *image, DfPlan *plan)
{
  DfMicroPython *board = plan->device->micropython;
  DfFilesystemFate fate = df_micropython_filesystem_fate (board, image, plan->options.mass_erase);
  g_autofree gchar *note = df_micropython_filesystem_note (board, fate);

  add_reason (self, REASON_GOOD, _("Runs MicroPython"),
              _("Flashing switches it to DFU mode through its REPL, then waits for it to run the new firmware."));
  if (plan->after_switch)
    add_reason (self, REASON_UNKNOWN, _("Its memory is checked once it is in DFU mode"),
                _("Defuse does not know this board’s bootloader yet: it checks the file against it before "
                  "anything is written."));
  if (note != NULL)
    add_reason (self, fate == DF_FILESYSTEM_KEPT ? REASON_GOOD : REASON_WARNING,
                fate == DF_FILESYSTEM_KEPT ? _("Your files are kept") : _("Your files will be erased"), note);
  else
    add_reason (self, REASON_WARNING, _("Your files may be erased"),
                _("Where this board keeps its files is not known: copy main.py and your other files off the "
                  "board first if you need them."));
}

static void
add_fit (DefuseVerdict *self, DfPlan *plan)
{
  g_autofree gchar *written = g_format_size_full (plan->write_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *erased = g_format_size_full (plan->erase_bytes, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *text = NULL;

  if (plan->after_switch)
    return;
  if (plan->flip)
    {
      const gchar *title = NULL, *note;
      g_autofree gchar *fit = defuse_keyboard_fit (plan, &title);

      add_reason (self, REASON_GOOD, title, fit);
      note = defuse_keyboard_erase_note (plan, &title);
      if (note != NULL)
        add_reason (self, REASON_UNKNOWN, title, note);
      return;
    }
  if (!plan->memory_known)
    {
      /* TRANSLATORS: a plain DFU device: "20 KiB are downloaded to it as they are" */
      text = g_strdup_printf (_("This board does not tell how big its memory is: %s are sent to it as they are, "
                                "and its bootloader places them."), written);
      add_reason (self, REASON_UNKNOWN, _("Memory size not known"), text);
      return;
    }
  /* TRANSLATORS: "314.6 KiB go into 2 erased sectors (160 KiB)" */
  text = g_strdup_printf (ngettext ("%s go into %u erased sector (%s).", "%s go into %u erased sectors (%s).",
                                    plan->erase_count),
                          written, plan->erase_count, erased);
  add_reason (self, REASON_GOOD, _("Fits its memory"), text);
}

void
defuse_verdict_set (DefuseVerdict *self, DfImage *image, DfPlan *plan)
{
  gboolean blocked = FALSE;
  g_autofree gchar *board = NULL;

  g_return_if_fail (DEFUSE_IS_VERDICT (self));

  clear (self);
  self->kind = DEFUSE_VERDICT_NO_DEVICE;
  /* a broken file suits no board; the page says so at the top */
  gtk_widget_set_visible (GTK_WIDGET (self), image != NULL && !df_image_has_errors (image));
  if (image == NULL || df_image_has_errors (image))
    return;
  if (plan == NULL)
    {
      adw_preferences_group_set_title (self->group, _("No Board Connected"));
      adw_preferences_group_set_description (self->group,
                                             _("Put a board in DFU mode and plug it in: Defuse checks that the "
                                               "file fits it before anything is written."));
      return;
    }

  board = df_catalog_describe (plan->device);
  if (plan->device->mode == DF_DEVICE_MODE_MICROPYTHON)
    add_micropython (self, image, plan);
  /* a MicroPython board's USB ids are its application's: the file is
   * checked against its bootloader's (df-plan.c) */
  if (plan->device->mode != DF_DEVICE_MODE_MICROPYTHON)
    add_ids (self, image, plan->device);
  for (guint i = 0; i < plan->problems->len; i++)
    {
      DfPlanProblem *problem = g_ptr_array_index (plan->problems, i);
      g_autofree gchar *sentence = NULL, *words = NULL;

      /* the id mismatch has its row already */
      if (problem->overridable && self->mismatch != NULL)
        continue;
      /* the engine's "(--force)" is for the terminal: here it is Flash Anyway */
      words = defuse_flash_words_without_cli_options (problem->message);
      sentence = defuse_sentence (words);
      add_reason (self, problem->overridable ? REASON_WARNING : REASON_PROBLEM,
                  problem->overridable ? _("Check before flashing") : _("Cannot be flashed"), sentence);
      blocked |= !problem->overridable;
      /* another board's MicroPython, say: at the top too, as a mismatch */
      if (problem->overridable && self->mismatch == NULL)
        self->mismatch = g_steal_pointer (&sentence);
    }
  if (!blocked)
    add_fit (self, plan);
  if (!blocked && plan->not_verified != NULL)
    {
      g_autofree gchar *sentence = defuse_sentence (plan->not_verified);
      add_reason (self, REASON_UNKNOWN, _("Cannot be verified"), sentence);
    }

  self->kind = blocked ? DEFUSE_VERDICT_BLOCKED
               : self->mismatch != NULL || plan->problems->len > 0 ? DEFUSE_VERDICT_MISMATCH
               : DEFUSE_VERDICT_FITS;
  adw_preferences_group_set_title (self->group,
                                   self->kind == DEFUSE_VERDICT_BLOCKED ? _("Does Not Fit This Board")
                                   : self->kind == DEFUSE_VERDICT_MISMATCH ? _("Check Before Flashing")
                                   : _("Fits This Board"));
  adw_preferences_group_set_description (self->group, board);
}

DefuseVerdictKind
defuse_verdict_get_kind (DefuseVerdict *self)
{
  return self->kind;
}

const gchar *
defuse_verdict_get_mismatch (DefuseVerdict *self)
{
  return self->mismatch;
}

static void
defuse_verdict_dispose (GObject *object)
{
  DefuseVerdict *self = DEFUSE_VERDICT (object);

  if (self->group != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->group));
  self->group = NULL;
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->mismatch, g_free);
  G_OBJECT_CLASS (defuse_verdict_parent_class)->dispose (object);
}

static void
defuse_verdict_class_init (DefuseVerdictClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_verdict_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
defuse_verdict_init (DefuseVerdict *self)
{
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->group), GTK_WIDGET (self));
  self->rows = g_ptr_array_new ();
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
