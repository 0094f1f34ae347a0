/* defuse-inspector.c: the opened file in words.  The fixed rows live in
 * defuse-inspector.ui; targets and notes depend on the file and are made
 * here.  Whether the file fits the board is defuse-verdict.c. */
#include "defuse-config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "defuse-inspector.h"

#define MAX_ELEMENT_ROWS 200   /* an ELF or HEX file can have thousands of pieces */

struct _DefuseInspector
{
  GtkWidget             parent_instance;

  AdwPreferencesGroup  *notes_group;
  AdwPreferencesGroup  *targets_group;
  AdwActionRow         *format_row;
  AdwActionRow         *size_row;
  AdwActionRow         *suffix_row;
  AdwActionRow         *crc_row;
  GtkImage             *crc_icon;
  GtkLabel             *crc_label;

  DfImage              *image;
  /* the rows made here, to remove them again (no remove_all in libadwaita 1.2) */
  GPtrArray            *note_rows;
  GPtrArray            *target_rows;
};

G_DEFINE_FINAL_TYPE (DefuseInspector, defuse_inspector, GTK_TYPE_WIDGET)

const gchar *
defuse_format_describe (DfFormat format)
{
  switch (format)
    {
    case DF_FORMAT_DFUSE:
      return _("DfuSe (ST’s DFU file with addresses)");
    case DF_FORMAT_DFU:
      return _("DFU (payload with a DFU suffix)");
    case DF_FORMAT_IHEX:
      return _("Intel HEX");
    case DF_FORMAT_SREC:
      return _("Motorola S-record");
    case DF_FORMAT_ELF:
      return _("ELF executable");
    case DF_FORMAT_RAW:
      return _("Raw binary");
    case DF_FORMAT_UNKNOWN:
    default:
      return _("Unknown");
    }
}

const gchar *
defuse_format_describe_short (DfFormat format)
{
  switch (format)
    {
    case DF_FORMAT_DFUSE:
      return _("DfuSe firmware");
    case DF_FORMAT_DFU:
      return _("DFU firmware");
    case DF_FORMAT_IHEX:
      return _("Intel HEX");
    case DF_FORMAT_SREC:
      return _("Motorola S-record");
    case DF_FORMAT_ELF:
      return _("ELF executable");
    case DF_FORMAT_RAW:
      return _("Raw binary");
    case DF_FORMAT_UNKNOWN:
    default:
      return _("Unknown format");
    }
}

gchar *
defuse_format_usb_id (guint16 vid, guint16 pid)
{
  if (vid == DF_ID_ANY && pid == DF_ID_ANY)
    /* TRANSLATORS: the file is for any USB device */
    return g_strdup (_("any device"));
  if (pid == 0)
    /* TRANSLATORS: ST's DfuFileMgr writes product id 0 */
    return g_strdup_printf (_("%04x, any product"), vid);
  if (pid == DF_ID_ANY)
    return g_strdup_printf (_("%04x, any product"), vid);
  if (vid == DF_ID_ANY)
    return g_strdup_printf (_("any vendor, product %04x"), pid);
  return g_strdup_printf ("%04x:%04x", vid, pid);
}

gchar *
defuse_sentence (const gchar *fragment)
{
  g_auto(GStrv) lines = g_strsplit (fragment, "\n", -1);

  /* each line of a multi-line message is a sentence of its own */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gsize len = strlen (lines[i]);
      gchar *line = lines[i];

      if (len == 0)
        continue;
      lines[i] = g_strdup_printf ("%s%s", line, strchr (".!?:", line[len - 1]) == NULL ? "." : "");
      g_free (line);
      lines[i][0] = g_ascii_toupper (lines[i][0]);
    }
  return g_strjoinv ("\n", lines);
}

gchar *
defuse_display_path (const gchar *path)
{
  const gchar *home = g_get_home_dir ();
  gsize len = strlen (home);

  if (len > 1 && g_str_has_prefix (path, home) && (path[len] == '/' || path[len] == '\0'))
    return g_strconcat ("~", path + len, NULL);
  return g_strdup (path);
}

static const gchar *
describe_dfu_version (guint16 bcd)
{
  switch (bcd)
    {
    case DF_BCD_DFU_DFUSE:
      return _("DfuSe 1.1a");
    case DF_BCD_DFU_1_1:
      return _("DFU 1.1");
    case DF_BCD_DFU_PLAIN:
      return _("DFU 1.0");
    default:
      return _("unknown DFU version");
    }
}

static GtkWidget *
status_icon (const gchar *icon_name, const gchar *style, const gchar *label)
{
  GtkWidget *image = gtk_image_new_from_icon_name (icon_name);

  gtk_widget_add_css_class (image, style);
  gtk_widget_set_valign (image, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return image;
}

/* a row whose texts come from files and devices: never markup */
static AdwActionRow *
text_row (const gchar *title, const gchar *subtitle)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (row, subtitle);
  /* it only shows: no Tab stop */
  gtk_widget_set_focusable (GTK_WIDGET (row), FALSE);
  return row;
}

static void
group_add (AdwPreferencesGroup *group, GPtrArray *rows, gpointer row)
{
  adw_preferences_group_add (group, GTK_WIDGET (row));
  g_ptr_array_add (rows, row);
}

static void
group_clear (AdwPreferencesGroup *group, GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void
fill_file (DefuseInspector *self)
{
  DfImage *image = self->image;
  g_autofree gchar *total = g_format_size_full (df_image_total_size (image), G_FORMAT_SIZE_IEC_UNITS);
  g_autofree gchar *contents = NULL, *targets = NULL, *pieces = NULL;
  guint elements = 0;

  for (guint i = 0; i < image->targets->len; i++)
    elements += ((DfTarget *) g_ptr_array_index (image->targets, i))->segments->len;

  adw_action_row_set_subtitle (self->format_row, defuse_format_describe (image->format));
  targets = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u target", "%u targets", image->targets->len),
                             image->targets->len);
  pieces = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u element", "%u elements", elements), elements);
  /* TRANSLATORS: file contents, e.g. "1 target, 2 elements, 314.6 KiB" */
  contents = g_strdup_printf (_("%s, %s, %s"), targets, pieces, total);
  adw_action_row_set_subtitle (self->size_row, contents);

  gtk_widget_set_visible (GTK_WIDGET (self->suffix_row), image->has_suffix);
  gtk_widget_set_visible (GTK_WIDGET (self->crc_row), image->has_suffix);
  if (image->has_suffix)
    {
      const DfSuffix *suffix = &image->suffix;
      g_autofree gchar *ids = defuse_format_usb_id (suffix->vid, suffix->pid);
      g_autofree gchar *bcd = suffix->bcd_device == DF_ID_ANY ? g_strdup (_("any"))
                                                              : g_strdup_printf ("0x%04X", suffix->bcd_device);
      g_autofree gchar *text = NULL;
      g_autofree gchar *crc = NULL;
      gboolean crc_ok = suffix->crc_stored == suffix->crc_computed;

      /* TRANSLATORS: the DFU suffix: USB ids, device release, DFU version */
      text = g_strdup_printf (_("For %s · device release %s · %s"), ids, bcd, describe_dfu_version (suffix->bcd_dfu));
      adw_action_row_set_subtitle (self->suffix_row, text);

      /* TRANSLATORS: the CRC stored in the file and the one computed from it */
      crc = g_strdup_printf (_("0x%08x stored, 0x%08x computed"), suffix->crc_stored, suffix->crc_computed);
      adw_action_row_set_subtitle (self->crc_row, crc);
      gtk_image_set_from_icon_name (self->crc_icon, crc_ok ? "emblem-ok-symbolic" : "dialog-error-symbolic");
      gtk_widget_remove_css_class (GTK_WIDGET (self->crc_icon), crc_ok ? "error" : "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->crc_icon), crc_ok ? "success" : "error");
      /* TRANSLATORS: the CRC check result */
      gtk_label_set_text (self->crc_label, crc_ok ? _("Correct") : _("Mismatch"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->crc_label), crc_ok ? "error" : "success");
      gtk_widget_add_css_class (GTK_WIDGET (self->crc_label), crc_ok ? "success" : "error");
    }
}

static void
fill_targets (DefuseInspector *self)
{
  DfImage *image = self->image;
  guint shown = 0;

  gtk_widget_set_visible (GTK_WIDGET (self->targets_group), image->targets->len > 0);
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      AdwExpanderRow *row = ADW_EXPANDER_ROW (adw_expander_row_new ());
      g_autofree gchar *title = NULL, *subtitle = NULL, *size = NULL;
      gsize bytes = 0;

      for (guint j = 0; j < target->segments->len; j++)
        bytes += g_bytes_get_size (((DfSegment *) g_ptr_array_index (target->segments, j))->data);
      size = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
      if (target->name != NULL && target->name[0] != '\0')
        /* TRANSLATORS: a target of the file: alt setting and its name */
        title = g_strdup_printf (_("Alt %u · %s"), target->alt, target->name);
      else
        title = g_strdup_printf (_("Alt %u"), target->alt);
      subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u element, %s", "%u elements, %s",
                                               target->segments->len),
                                  target->segments->len, size);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_expander_row_set_subtitle (row, subtitle);
      adw_expander_row_set_expanded (row, image->targets->len == 1);

      for (guint j = 0; j < target->segments->len; j++, shown++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, j);
          gsize n = g_bytes_get_size (segment->data);
          g_autofree gchar *range = NULL, *detail = NULL, *esize = NULL;

          if (shown == MAX_ELEMENT_ROWS)
            {
              g_autofree gchar *more = g_strdup_printf (_("And %u more elements"), target->segments->len - j);
              adw_expander_row_add_row (row, GTK_WIDGET (text_row (more, NULL)));
              break;
            }
          esize = g_format_size_full (n, G_FORMAT_SIZE_IEC_UNITS);
          if (segment->has_address)
            range = g_strdup_printf ("0x%08X – 0x%08" PRIX64, segment->address,
                                     (guint64) segment->address + (n > 0 ? n - 1 : 0));
          else
            range = g_strdup (_("No address (a payload placed by the device)"));
          /* TRANSLATORS: an element: its number, size and exact byte count */
          detail = g_strdup_printf (_("Element %u · %s (%zu bytes)"), j + 1, esize, n);
          adw_expander_row_add_row (row, GTK_WIDGET (text_row (range, detail)));
        }
      group_add (self->targets_group, self->target_rows, row);
    }
}

static void
fill_notes (DefuseInspector *self)
{
  DfImage *image = self->image;

  gtk_widget_set_visible (GTK_WIDGET (self->notes_group), image->diagnostics->len > 0);
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      DfDiagnostic *diag = g_ptr_array_index (image->diagnostics, i);
      g_autofree gchar *where = NULL, *sentence = NULL;
      AdwActionRow *row;

      if (diag->line > 0)
        where = g_strdup_printf (_("Line %u"), diag->line);
      else if (diag->offset >= 0)
        where = g_strdup_printf (_("At byte 0x%" PRIx64), diag->offset);
      sentence = defuse_sentence (diag->message);
      row = text_row (sentence, where);
      switch (diag->severity)
        {
        case DF_SEVERITY_ERROR:
          adw_action_row_add_prefix (row, status_icon ("dialog-error-symbolic", "error", _("Error")));
          break;
        case DF_SEVERITY_WARNING:
          adw_action_row_add_prefix (row, status_icon ("dialog-warning-symbolic", "warning", _("Warning")));
          break;
        case DF_SEVERITY_NOTE:
        default:
          adw_action_row_add_prefix (row, status_icon ("dialog-information-symbolic", "dim-label", _("Note")));
          break;
        }
      group_add (self->notes_group, self->note_rows, row);
    }
}

void
defuse_inspector_set_image (DefuseInspector *self, DfImage *image)
{
  g_return_if_fail (DEFUSE_IS_INSPECTOR (self));

  if (image != NULL)
    df_image_ref (image);
  g_clear_pointer (&self->image, df_image_unref);
  self->image = image;

  group_clear (self->notes_group, self->note_rows);
  group_clear (self->targets_group, self->target_rows);
  if (image == NULL)
    return;
  fill_file (self);
  fill_notes (self);
  fill_targets (self);
}

static void
defuse_inspector_dispose (GObject *object)
{
  GtkWidget *child;
  DefuseInspector *self = DEFUSE_INSPECTOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_INSPECTOR);
  /* the unnamed top box of the template is not a template child */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->image, df_image_unref);
  g_clear_pointer (&self->note_rows, g_ptr_array_unref);
  g_clear_pointer (&self->target_rows, g_ptr_array_unref);
  G_OBJECT_CLASS (defuse_inspector_parent_class)->dispose (object);
}

static void
defuse_inspector_class_init (DefuseInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_inspector_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-inspector.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, notes_group);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, targets_group);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, format_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, size_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, suffix_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, crc_row);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, crc_icon);
  gtk_widget_class_bind_template_child (widget_class, DefuseInspector, crc_label);
}

static void
defuse_inspector_init (DefuseInspector *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* rows that only show are no Tab stops */
  gtk_widget_set_focusable (GTK_WIDGET (self->format_row), FALSE);
  gtk_widget_set_focusable (GTK_WIDGET (self->size_row), FALSE);
  gtk_widget_set_focusable (GTK_WIDGET (self->suffix_row), FALSE);
  gtk_widget_set_focusable (GTK_WIDGET (self->crc_row), FALSE);
  self->note_rows = g_ptr_array_new ();
  self->target_rows = g_ptr_array_new ();
}
