/* defuse-device-row.c: a DfDevice as an expander row.  The row only shows
 * things: its buttons are win.* actions with the device id as target
 * (defuse-window-actions.c), and drops on it are handled by
 * defuse-window-dnd.c. */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "defuse-device-row.h"
#include "df-micropython.h"
#include "df-catalog.h"
#include "df-usb-names.h"

struct _DefuseDeviceRow
{
  AdwExpanderRow   parent_instance;

  GtkCheckButton  *check;
  GtkImage        *warning_icon;
  GtkSpinner      *spinner;
  GtkBox          *progress_box;
  GtkProgressBar  *progress_bar;
  GtkImage        *result_icon;
  GtkButton       *cancel_button;
  GtkButton       *detach_button;
  GtkWidget       *detach_row;

  DfDevice        *device;
  gchar           *id;
  gchar           *subtitle;   /* the device in words, while no flash runs */
  DefuseFlashTask *task;
};

G_DEFINE_FINAL_TYPE (DefuseDeviceRow, defuse_device_row, ADW_TYPE_EXPANDER_ROW)

static GtkWidget *
detail_row (const gchar *title, const gchar *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

static const gchar *
describe_dfu_version (guint16 bcd)
{
  switch (bcd)
    {
    case 0x011a:
      return "DfuSe 1.1a";
    case 0x0110:
      return "DFU 1.1";
    case 0x0100:
      return "DFU 1.0";
    default:
      return "DFU";
    }
}

/* a board running MicroPython: what it runs, its serial port and files */
static void
fill_micropython (DefuseDeviceRow *self, GString *subtitle)
{
  DfMicroPython *board = self->device->micropython;
  g_autofree gchar *runs = df_micropython_describe (board);

  if (board->error != NULL)
    {
      g_string_assign (subtitle, board->error->message);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->warning_icon), board->error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->warning_icon), TRUE);
      gtk_widget_set_visible (self->detach_row, FALSE);
    }
  else
    {
      g_string_assign (subtitle, runs);
      if (self->device->serial != NULL)
        g_string_append_printf (subtitle, _(" · serial %s"), self->device->serial);
    }
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), detail_row (_("Serial Port"), board->port->devnode));
  if (board->fs_end != 0)
    {
      g_autofree gchar *files = g_strdup_printf (_("Internal filesystem at 0x%08x-0x%08x"), board->fs_start, board->fs_end);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), detail_row (_("Files"), files));
    }
}

static void
fill (DefuseDeviceRow *self)
{
  DfDevice *device = self->device;
  g_autoptr(GString) subtitle = g_string_new (NULL);
  g_autofree gchar *usb = NULL;
  g_autofree gchar *name = df_catalog_describe (device);
  g_autofree gchar *ids = g_strdup_printf ("%04x:%04x", device->vid, device->pid);
  g_autofree gchar *vendor = NULL;

  df_usb_names_lookup (device->vid, device->pid, &vendor, NULL);
  /* what the catalog calls it ("STM32F4 system bootloader, 1 MiB"), else
   * its product string, which the USB row below always shows */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), name);
  /* the maker by name (the system's USB id database); the bare ids are
   * in the USB row below */
  g_string_append_printf (subtitle, "%s · %s", vendor != NULL ? vendor : ids,
                          df_device_mode_to_string (device->mode));
  if (device->serial != NULL)
    /* TRANSLATORS: appended to a device's description */
    g_string_append_printf (subtitle, _(" · serial %s"), device->serial);
  if (device->permission_denied)
    {
      g_string_printf (subtitle, "%04x:%04x · %s", device->vid, device->pid,
                       _("no permission to open it: install the udev rule"));
      gtk_widget_set_visible (GTK_WIDGET (self->warning_icon), TRUE);
    }

  /* a runtime device is flashed after a switch to DFU mode: the row opens
   * on that button */
  gtk_widget_set_visible (self->detach_row, df_device_is_application (device));
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (self), df_device_is_application (device));
  if (device->mode == DF_DEVICE_MODE_MICROPYTHON)
    fill_micropython (self, subtitle);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->detach_button), "s", self->id);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s", self->id);
  self->subtitle = g_strdup (subtitle->str);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), subtitle->str);

  for (guint i = 0; i < device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (device->alts, i);
      /* a MicroPython board's alts are its bootloader's, from the board data */
      const gchar *memory = alt->layout != NULL && alt->layout->name[0] != '\0' ? alt->layout->name
                            : alt->name != NULL && alt->name[0] != '\0' ? alt->name : NULL;
      g_autofree gchar *title = NULL, *text = NULL, *layout = NULL;

      /* the memory by its name; the alt setting number is for experts */
      title = memory != NULL ? g_strdup (memory) : g_strdup_printf (_("Memory %u"), alt->alt + 1);
      layout = alt->layout != NULL ? df_layout_describe (alt->layout) : NULL;
      /* "Internal Flash, 1 MiB at ...": the name is the title already */
      if (layout != NULL && memory != NULL && g_str_has_prefix (layout, memory) &&
          g_str_has_prefix (layout + strlen (memory), ", "))
        memmove (layout, layout + strlen (memory) + 2, strlen (layout + strlen (memory) + 2) + 1);
      /* TRANSLATORS: a memory's details, then its DFU alt setting number */
      /* FLIP has memories, no alt settings */
      text = device->mode == DF_DEVICE_MODE_FLIP && layout != NULL ? g_strdup (layout)
        : device->mode == DF_DEVICE_MODE_MICROPYTHON
        ? g_strdup_printf (_("%s · alt setting %u in DFU mode"), layout != NULL ? layout : "", alt->alt)
        : g_strdup_printf (_("%s · alt setting %u"), layout != NULL ? layout : _("no memory layout"), alt->alt);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (self), detail_row (title, text));
    }

  if (device->mode == DF_DEVICE_MODE_MICROPYTHON)
    /* TRANSLATORS: USB details of a board running MicroPython: product string, port, release */
    usb = g_strdup_printf (_("%s · port %s · release 0x%04X"),
                           device->product != NULL ? device->product : "", device->path, device->bcd_device);
  else
    /* TRANSLATORS: USB details of a device: product string, port, release, DFU version, transfer size */
    usb = g_strdup_printf (_("%s · port %s · release 0x%04X · %s · transfers of %u bytes"),
                           device->product != NULL ? device->product : _("DFU device"),
                           device->path != NULL ? device->path : "?", device->bcd_device,
                           describe_dfu_version (device->dfu_version), device->transfer_size);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), detail_row (_("USB"), usb));
}

static void
show_progress (DefuseDeviceRow *self)
{
  const DfProgress *progress = defuse_flash_task_get_progress (self->task);
  g_autofree gchar *text = NULL;

  gtk_progress_bar_set_fraction (self->progress_bar, progress->fraction);
  /* while it is flashed, the subtitle says how far: the header has no room for more */
  /* TRANSLATORS: the phase and how far the whole flash is, e.g. "Writing · 45 %" */
  text = g_strdup_printf (_("%s · %.0f %%"), df_phase_describe (progress->phase), progress->fraction * 100);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
show_result (DefuseDeviceRow *self)
{
  DefuseFlashState state = defuse_flash_task_get_state (self->task);
  const GError *error = defuse_flash_task_get_error (self->task);
  gboolean running = state == DEFUSE_FLASH_RUNNING;
  const gchar *icon = NULL, *style = NULL, *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->progress_box), running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  if (!running)
    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), self->subtitle);
  switch (state)
    {
    case DEFUSE_FLASH_SUCCEEDED:
      icon = "emblem-ok-symbolic", style = "success", text = _("Flashed");
      break;
    case DEFUSE_FLASH_FAILED:
      /* refused, the board untouched: a warning, as on the result page */
      if (defuse_flash_task_is_refused (self->task))
        icon = "dialog-warning-symbolic", style = "warning", text = _("In use by another program: nothing was sent to it");
      else
        icon = "dialog-error-symbolic", style = "error", text = error != NULL ? error->message : _("Failed");
      break;
    case DEFUSE_FLASH_CANCELLED:
      icon = "dialog-warning-symbolic", style = "warning", text = _("Cancelled: the firmware on the device is incomplete");
      break;
    case DEFUSE_FLASH_RUNNING:
    default:
      show_progress (self);
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->result_icon), icon != NULL);
  if (icon != NULL)
    {
      gtk_image_set_from_icon_name (self->result_icon, icon);
      gtk_widget_set_css_classes (GTK_WIDGET (self->result_icon), (const gchar *[]) { style, NULL });
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->result_icon), text);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_icon), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
    }
}

void
defuse_device_row_show_board (DefuseDeviceRow *self, DfBoard *board)
{
  gboolean running = board->state == DF_BOARD_FLASHING;
  g_autofree gchar *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->progress_box), running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->result_icon), !running);
  if (running)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, board->progress.fraction);
      /* TRANSLATORS: bench mode: the phase and how far, e.g. "Bench: Writing · 45 %" */
      text = g_strdup_printf (_("Bench: %s · %.0f %%"), df_phase_describe (board->progress.phase),
                              board->progress.fraction * 100);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), text);
      return;
    }
  text = board->error != NULL ? g_strdup (board->error->message) : g_strdup (_("Flashed by bench mode"));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), board->error != NULL ? _("Bench: failed") : _("Bench: flashed"));
  gtk_image_set_from_icon_name (self->result_icon, board->error == NULL ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  gtk_widget_set_css_classes (GTK_WIDGET (self->result_icon),
                              (const gchar *[]) { board->error == NULL ? "success" : "error", NULL });
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->result_icon), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_icon), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

void
defuse_device_row_set_task (DefuseDeviceRow *self, DefuseFlashTask *task)
{
  g_return_if_fail (DEFUSE_IS_DEVICE_ROW (self));

  if (self->task == task)
    return;
  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_set_object (&self->task, task);
  if (task == NULL)
    {
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), self->subtitle);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_box), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->result_icon), FALSE);
      return;
    }
  g_signal_connect_object (task, "progress", G_CALLBACK (show_progress), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (task, "finished", G_CALLBACK (show_result), self, G_CONNECT_SWAPPED);
  show_result (self);
}

void
defuse_device_row_set_busy (DefuseDeviceRow *self, gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->detach_button), !busy);
}

void
defuse_device_row_add_action_row (DefuseDeviceRow *self, GtkWidget *row)
{
  GtkWidget *list = gtk_widget_get_parent (self->detach_row);

  /* AdwExpanderRow 1.2 only appends: the rows live in its list box */
  if (GTK_IS_LIST_BOX (list))
    gtk_list_box_insert (GTK_LIST_BOX (list), row, gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (self->detach_row)) + 1);
  else
    adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
}

DfDevice *
defuse_device_row_get_device (DefuseDeviceRow *self)
{
  return self->device;
}

const gchar *
defuse_device_row_get_id (DefuseDeviceRow *self)
{
  return self->id;
}

GtkCheckButton *
defuse_device_row_get_check (DefuseDeviceRow *self)
{
  return self->check;
}

static void
defuse_device_row_dispose (GObject *object)
{
  DefuseDeviceRow *self = DEFUSE_DEVICE_ROW (object);

  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_clear_object (&self->task);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_DEVICE_ROW);
  G_OBJECT_CLASS (defuse_device_row_parent_class)->dispose (object);
}

static void
defuse_device_row_finalize (GObject *object)
{
  DefuseDeviceRow *self = DEFUSE_DEVICE_ROW (object);

  g_clear_pointer (&self->device, df_device_unref);
  g_free (self->id);
  g_free (self->subtitle);
  G_OBJECT_CLASS (defuse_device_row_parent_class)->finalize (object);
}

static void
defuse_device_row_class_init (DefuseDeviceRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_device_row_dispose;
  object_class->finalize = defuse_device_row_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-device-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, check);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, warning_icon);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, progress_box);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, result_icon);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, detach_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseDeviceRow, detach_row);
}

static void
defuse_device_row_init (DefuseDeviceRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DefuseDeviceRow *
defuse_device_row_new (DfDevice *device)
{
  DefuseDeviceRow *self = g_object_new (DEFUSE_TYPE_DEVICE_ROW, NULL);

  self->device = df_device_ref (device);
  self->id = df_device_get_id (device);
  fill (self);
  return self;
}
