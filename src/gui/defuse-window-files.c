/* defuse-window-files.c: opening a file in the window: read on a worker,
 * a raw binary's address asked (and asked again with Change…), a file that
 * cannot be read named in a dialog, and the file's summary.  While a flash
 * runs, another file opens in a window of its own. */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "defuse-file-loader.h"
#include "defuse-window-private.h"

static void show_image (DefuseWindow *self, GFile *file, DfImage *image);
static gboolean open_elsewhere (DefuseWindow *self, GFile *file);
static void load (DefuseWindow *self, GFile *file, gboolean has_address, guint32 address);

typedef struct {
  DefuseWindow *self;
  GFile        *file;
  guint         serial;
  gboolean      has_address;
  guint32       address;
  gboolean      place;    /* the address dialog of a file already open: no reload */
} LoadClosure;

static void
load_closure_free (gpointer data, GClosure *unused)
{
  LoadClosure *closure = data;

  g_clear_object (&closure->self);
  g_clear_object (&closure->file);
  g_free (closure);
}

static gboolean
parse_address (const gchar *text, guint32 *address)
{
  guint64 value;

  text += strspn (text, " ");
  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    text += 2;
  if (!g_ascii_string_to_unsigned (text, 16, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *address = (guint32) value;
  return TRUE;
}

static void
on_address_response (AdwMessageDialog *dialog, const gchar *response, LoadClosure *closure)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  guint32 address;

  if (g_strcmp0 (response, "open") == 0 && parse_address (gtk_editable_get_text (entry), &address) &&
      closure->place)
    {
      closure->self->has_address = TRUE;
      closure->self->address = address;
      defuse_window_update_plan (closure->self);
    }
  else if (g_strcmp0 (response, "open") == 0 && parse_address (gtk_editable_get_text (entry), &address))
    load (closure->self, closure->file, TRUE, address);
  else if (closure->self->image == NULL)
    gtk_stack_set_visible_child_name (closure->self->content_stack, "empty");
  else
    gtk_stack_set_visible_child_name (closure->self->content_stack, "file");
}

/* a wrong address says why, under the entry, rather than only greying Open */
static void
on_address_changed (GtkEditable *entry, AdwMessageDialog *dialog)
{
  GtkLabel *problem = g_object_get_data (G_OBJECT (dialog), "problem");
  const gchar *text = gtk_editable_get_text (entry);
  guint32 address;
  gboolean ok = parse_address (text, &address);

  adw_message_dialog_set_response_enabled (dialog, "open", ok);
  gtk_label_set_text (problem, ok || text[0] == '\0' ? ""
                      : _("Type a hexadecimal address of up to 8 digits, such as 0x08000000."));
  gtk_widget_set_visible (GTK_WIDGET (problem), !ok && text[0] != '\0');
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

/* the file open now, read without errors, is firmware without addresses
 * in a format of its own (a plain DFU file): it is placed, not read again
 * as a raw binary */
static gboolean
placed_not_loaded (DefuseWindow *self, GFile *file)
{
  return self->image != NULL && self->file != NULL && g_file_equal (file, self->file) &&
         !df_image_has_errors (self->image) && self->image->format != DF_FORMAT_RAW &&
         !df_image_has_addresses (self->image);
}

/* a raw binary has no address in it: ask, suggesting where it is now or
 * the start of the device's memory */
static void
ask_address (DefuseWindow *self, GFile *file)
{
  DfDevice *device = defuse_window_get_selected_device (self);
  guint32 suggestion = 0x08000000;
  g_autofree gchar *name = g_file_get_basename (file);
  g_autofree gchar *text = NULL;
  GtkWidget *dialog, *box, *entry, *problem;
  LoadClosure *closure = g_new0 (LoadClosure, 1);

  if (self->has_address && self->file != NULL && g_file_equal (file, self->file))
    suggestion = self->address;
  else if (device != NULL)
    for (guint i = 0; i < device->alts->len; i++)
      {
        DfAlt *alt = g_ptr_array_index (device->alts, i);
        if (alt->layout != NULL && alt->layout->regions->len > 0)
          {
            suggestion = ((DfRegion *) g_ptr_array_index (alt->layout->regions, 0))->start;
            break;
          }
      }
  closure->place = placed_not_loaded (self, file);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Where Does This File Go?"), NULL);
  if (closure->place)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("“%s” holds firmware without an address, and this board needs one. Enter the "
                                      "address of its first byte in the device’s memory, in hexadecimal. The start "
                                      "of the internal flash is usual."), name);
  else
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("“%s” is a raw binary: it holds no address. Enter the address of its first "
                                      "byte in the device’s memory, in hexadecimal. The start of the internal flash "
                                      "is usual."), name);
  text = g_strdup_printf ("0x%08X", suggestion);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Load address"), -1);
  problem = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (problem), TRUE);
  gtk_label_set_xalign (GTK_LABEL (problem), 0);
  gtk_widget_add_css_class (problem, "error");
  gtk_widget_set_visible (problem, FALSE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, problem, NULL, -1);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), problem);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "open", closure->place ? _("_Place") : _("_Open"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "open", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "open");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "problem", problem);
  g_signal_connect (entry, "changed", G_CALLBACK (on_address_changed), dialog);

  closure->self = g_object_ref (self);
  closure->file = g_object_ref (file);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_address_response), closure,
                         load_closure_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_defuse_window_ask_address (DefuseWindow *self)
{
  if (self->file != NULL)
    ask_address (self, self->file);
}

/* a file that cannot be read, in words: a dialog that names it */
static void
show_load_error (DefuseWindow *self, GFile *file, const GError *error)
{
  g_autofree gchar *name = g_file_get_basename (file);
  g_autofree gchar *heading = g_strdup_printf (_("Cannot Open “%s”"), name);
  g_autofree gchar *sentence = NULL;
  g_autofree gchar *path = g_file_get_path (file);
  const gchar *body;
  GtkWidget *dialog;

  /* the file itself says what went wrong; the loader's error names a syscall */
  if (!g_file_query_exists (file, NULL))
    body = _("The file is not there any more: it may have been moved, renamed or deleted.");
  else if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    body = _("This is a folder. Choose a firmware file inside it.");
  else if (path != NULL && g_access (path, R_OK) != 0)
    body = _("You may not read this file. Copy it somewhere you can, or ask its owner.");
  else
    body = sentence = defuse_sentence (error->message);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadClosure *closure = user_data;
  g_autoptr(DefuseWindow) self = g_steal_pointer (&closure->self);  /* held while loading */
  g_autoptr(GFile) file = g_steal_pointer (&closure->file);
  guint serial = closure->serial;
  gboolean closure_has_address = closure->has_address;
  guint32 closure_address = closure->address;
  g_autoptr(GError) error = NULL;
  g_autoptr(DfImage) image = defuse_file_load_finish (result, &error);

  g_free (closure);
  /* a closed window, or a newer file asked for since */
  if (g_cancellable_is_cancelled (self->cancellable) || serial != self->load_serial)
    return;
  gtk_spinner_stop (self->loading_spinner);
  /* a flash started while the file was read: it keeps this window */
  if (image != NULL && !closure_has_address && open_elsewhere (self, file))
    {
      gtk_stack_set_visible_child_name (self->content_stack, self->image != NULL ? "file" : "empty");
      return;
    }

  if (image == NULL)
    {
      gtk_stack_set_visible_child_name (self->content_stack, self->image != NULL ? "file" : "empty");
      show_load_error (self, file, error);
      return;
    }
  if (defuse_image_needs_address (image) && !closure_has_address)
    {
      ask_address (self, file);
      return;
    }
  self->has_address = closure_has_address;
  self->address = closure_address;
  show_image (self, file, image);
}

static void
load (DefuseWindow *self, GFile *file, gboolean has_address, guint32 address)
{
  LoadClosure *closure = g_new0 (LoadClosure, 1);

  closure->self = g_object_ref (self);
  closure->file = g_object_ref (file);
  closure->serial = ++self->load_serial;
  closure->has_address = has_address;
  closure->address = address;
  gtk_stack_set_visible_child_name (self->content_stack, "loading");
  gtk_spinner_start (self->loading_spinner);
  defuse_file_load_async (file, has_address, address, self->cancellable, on_loaded, closure);
}

/* a broken file: say so first, and hide what only a good file can do */
static void
show_file_errors (DefuseWindow *self, DfImage *image)
{
  gboolean broken = df_image_has_errors (image);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      if (diag->severity != DF_SEVERITY_ERROR)
        continue;
      g_autofree gchar *sentence = defuse_sentence (diag->message);
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, sentence);
    }
  gtk_label_set_text (self->file_error_label, text->str);
  gtk_widget_set_visible (self->file_error_box, broken);
  /* bytes without a format that could be a raw binary: the way to say so */
  gtk_widget_set_visible (self->raw_button, broken && image->format != DF_FORMAT_IHEX &&
                          image->format != DF_FORMAT_SREC && image->format != DF_FORMAT_ELF);
  gtk_widget_set_visible (GTK_WIDGET (self->flash_panel), !broken);
}

/* "DfuSe · for USB device 0483:df11 · 314.2 KiB": what the file is */
static void
show_summary (DefuseWindow *self, GFile *file, DfImage *image)
{
  g_autofree gchar *name = g_file_get_basename (file);
  g_autofree gchar *size = g_format_size_full (df_image_total_size (image), G_FORMAT_SIZE_IEC_UNITS);
  g_autoptr(GPtrArray) facts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *joined = NULL;

  gtk_label_set_text (self->summary_title, name);
  g_ptr_array_add (facts, g_strdup (defuse_format_describe_short (image->format)));
  if (image->has_suffix && !(image->suffix.vid == DF_ID_ANY && image->suffix.pid == DF_ID_ANY))
    {
      g_autofree gchar *ids = defuse_format_usb_id (image->suffix.vid, image->suffix.pid);
      /* TRANSLATORS: which device a file is for, e.g. "for USB device 0483:df11" */
      g_ptr_array_add (facts, g_strdup_printf (_("for USB device %s"), ids));
    }
  if (image->has_suffix && image->suffix.bcd_device != DF_ID_ANY)
    /* TRANSLATORS: the firmware version a DFU file carries (bcdDevice) */
    g_ptr_array_add (facts, g_strdup_printf (_("version %x.%02x"), image->suffix.bcd_device >> 8,
                                             image->suffix.bcd_device & 0xff));
  g_ptr_array_add (facts, g_steal_pointer (&size));
  g_ptr_array_add (facts, NULL);
  joined = g_strjoinv (" · ", (gchar **) facts->pdata);
  gtk_label_set_text (self->summary_facts, joined);
}

void
_defuse_window_show_address (DefuseWindow *self)
{
  gboolean needed = self->plan != NULL && self->plan->needs_address;

  gtk_widget_set_visible (self->address_box, self->has_address || needed);
  if (self->has_address)
    {
      /* TRANSLATORS: where a raw binary is placed, e.g. "Placed at 0x08000000" */
      g_autofree gchar *at = g_strdup_printf (_("Placed at 0x%08X"), self->address);
      gtk_label_set_text (self->address_label, at);
      gtk_button_set_label (self->address_button, _("C_hange…"));
    }
  else if (needed)
    {
      gtk_label_set_text (self->address_label, _("No load address"));
      gtk_button_set_label (self->address_button, _("_Set Address…"));
    }
}

static gchar *
display_folder (GFile *file)
{
  g_autoptr(GFile) parent = g_file_get_parent (file);
  g_autofree gchar *name = parent != NULL ? g_file_get_parse_name (parent) : NULL;

  return name != NULL ? defuse_display_path (name) : NULL;
}

static void
show_image (DefuseWindow *self, GFile *file, DfImage *image)
{
  g_autofree gchar *name = g_file_get_basename (file);
  g_autofree gchar *where = display_folder (file);
  g_autoptr(GFile) parent = g_file_get_parent (file);

  g_set_object (&self->file, file);
  g_clear_pointer (&self->image, df_image_unref);
  self->image = df_image_ref (image);

  adw_view_switcher_title_set_title (self->window_title, name);
  adw_view_switcher_title_set_subtitle (self->window_title, where);
  adw_view_switcher_title_set_view_switcher_enabled (self->window_title, TRUE);
  gtk_window_set_title (GTK_WINDOW (self), name);
  if (parent != NULL && g_file_is_native (file))
    {
      g_autofree gchar *folder = g_file_get_path (parent);
      g_settings_set_string (self->settings, "last-folder", folder);
    }

  /* a finished flash belongs to the previous file */
  if (defuse_flash_panel_get_task (self->flash_panel) != NULL &&
      defuse_flash_task_get_state (defuse_flash_panel_get_task (self->flash_panel)) != DEFUSE_FLASH_RUNNING)
    defuse_flash_panel_set_task (self->flash_panel, NULL);
  show_summary (self, file, image);
  show_file_errors (self, image);
  /* bench mode is armed for one file: a new one disarms it */
  defuse_bench_panel_set_file (self->bench_panel, file, image);
  defuse_inspector_set_image (self->inspector, image);
  defuse_window_update_plan (self);
  gtk_stack_set_visible_child_name (self->content_stack, "file");
  /* folded now or later, the file is what the user wants to see */
  adw_leaflet_set_visible_child (self->leaflet, self->content_box);

  if (self->offer_flash_id != NULL)
    {
      g_autofree gchar *id = g_steal_pointer (&self->offer_flash_id);
      _defuse_window_offer_flash (self, id);
    }
}

/* while this window flashes, another file gets a window of its own */
static gboolean
open_elsewhere (DefuseWindow *self, GFile *file)
{
  DefuseWindow *other;

  if (!_defuse_window_is_busy (self))
    return FALSE;
  other = defuse_window_new (gtk_window_get_application (GTK_WINDOW (self)));
  defuse_window_open_file (other, file);
  gtk_window_present (GTK_WINDOW (other));
  return TRUE;
}

void
defuse_window_open_file (DefuseWindow *self, GFile *file)
{
  g_return_if_fail (DEFUSE_IS_WINDOW (self));
  if (open_elsewhere (self, file))
    return;
  g_clear_pointer (&self->offer_flash_id, g_free);
  self->flash_at_once = FALSE;
  load (self, file, FALSE, 0);
}

void
defuse_window_open_file_for_device (DefuseWindow *self, GFile *file, const gchar *device_id)
{
  if (open_elsewhere (self, file))
    return;
  defuse_window_select_device (self, device_id);
  load (self, file, FALSE, 0);
  g_free (self->offer_flash_id);
  self->offer_flash_id = g_strdup (device_id);
  self->flash_at_once = FALSE;
}

void
defuse_window_flash_file_on_device (DefuseWindow *self, GFile *file, const gchar *device_id)
{
  defuse_window_open_file_for_device (self, file, device_id);
  self->flash_at_once = self->offer_flash_id != NULL;
}
