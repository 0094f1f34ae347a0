/* defuse-window.c: the window's state: the plan of the opened file on
 * the selected device, and what it shows; the window's life.  Opening
 * files is in defuse-window-files.c, the device list in
 * defuse-window-devices.c, actions in defuse-window-actions.c, drag and
 * drop in defuse-window-dnd.c. */
#include "defuse-config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "defuse-flash-words.h"
#include "defuse-permission.h"
#include "defuse-window-private.h"

G_DEFINE_FINAL_TYPE (DefuseWindow, defuse_window, ADW_TYPE_APPLICATION_WINDOW)

DfImage *
defuse_window_get_image (DefuseWindow *self)
{
  return self->image;
}

void
defuse_window_toast (DefuseWindow *self, const gchar *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---- the plan ---- */

static const gchar *
find_blocker (DefuseWindow *self, DfDevice *device)
{
  if (self->image != NULL && df_image_has_errors (self->image))
    return _("The file has errors.");
  if (device == NULL)
    return NULL;  /* the verdict says it: "No Board Connected" */
  if (g_hash_table_contains (self->tasks, self->selected_id))
    return _("This device is being flashed.");
  if (device->permission_denied)
    return _("Defuse may not open this device yet: install the udev rule shown in the device list.");
  if (self->plan != NULL)
    for (guint i = 0; i < self->plan->problems->len; i++)
      {
        DfPlanProblem *problem = g_ptr_array_index (self->plan->problems, i);
        if (!problem->overridable)
          {
            /* the engine's "(--address 0x08000000)" is for the terminal */
            g_autofree gchar *words = defuse_flash_words_without_cli_options (problem->message);
            g_free (self->blocker);
            self->blocker = defuse_sentence (words);
            return self->blocker;
          }
      }
  return NULL;
}

/* the memory map, or why there is none */
static void
show_map (DefuseWindow *self)
{
  gboolean drawn = self->plan != NULL && self->plan->targets->len > 0;

  defuse_memory_map_set_plan (self->memory_map, drawn ? self->plan : NULL);
  gtk_stack_set_visible_child_name (self->map_stack, drawn ? "map" : "none");
  if (self->plan == NULL)
    return;  /* no board: the map's section is hidden */
  if (self->plan->after_switch)
    gtk_label_set_text (self->map_none_label,
                        _("The board’s memory is shown once it is in DFU mode: Flash switches it, then checks the "
                          "file against it before anything is written."));
  else if (!drawn)
    gtk_label_set_text (self->map_none_label, _("Nothing will be written: the file does not fit this board."));
}

void
_defuse_window_plan_options (DefuseWindow *self, DfPlanOptions *options)
{
  df_plan_options_init (options);
  defuse_flash_panel_get_options (self->flash_panel, options);
  /* a raw binary carries the address it was loaded at; a plain DFU file
   * is placed by the plan */
  if (self->has_address && self->image != NULL && self->image->format != DF_FORMAT_RAW)
    {
      options->has_address = TRUE;
      options->address = self->address;
    }
}

void
defuse_window_update_plan (DefuseWindow *self)
{
  DfDevice *device = defuse_window_get_selected_device (self);

  g_clear_pointer (&self->plan, df_plan_unref);
  if (self->image != NULL && device != NULL)
    {
      DfPlanOptions options;

      _defuse_window_plan_options (self, &options);
      /* df_plan_new is cheap: no USB, the bytes are shared, not copied */
      self->plan = df_plan_new (self->image, device, &options);
    }
  _defuse_window_show_address (self);
  defuse_verdict_set (self->verdict, self->image, self->plan);
  defuse_flash_panel_set_plan (self->flash_panel, self->plan,
                               defuse_verdict_get_kind (self->verdict) == DEFUSE_VERDICT_MISMATCH);
  show_map (self);
  defuse_window_update_state (self);
}

/* What a flash starting changes, the plan staying the same: the blocker
 * line, the actions, and what a running or finished flash hides (the
 * verdict and the banner are about the next flash).  Rebuilding the
 * memory map for an equal plan was most of the main-thread work in the
 * first frame of a flash (gui-bench). */
void
defuse_window_update_state (DefuseWindow *self)
{
  gboolean task_shown = defuse_flash_panel_get_task (self->flash_panel) != NULL;
  const gchar *mismatch = defuse_verdict_get_mismatch (self->verdict);
  gboolean ok_file = self->image != NULL && !df_image_has_errors (self->image);
  DfDevice *device = defuse_window_get_selected_device (self);
  const gchar *blocker = find_blocker (self, device);

  defuse_flash_panel_set_blocker (self->flash_panel, blocker);
  /* under a result the blocker line is hidden: Flash Again, when it is
   * off, says why on its tooltip (most often, the board left DFU mode) */
  defuse_flash_panel_set_again_blocker (
      self->flash_panel,
      device == NULL ? _("The board is not in DFU mode any more: put it in DFU mode again to flash it again.")
      : defuse_bench_panel_is_armed (self->bench_panel) ? _("Bench mode is armed: it flashes each board plugged in.")
      : blocker);
  gtk_widget_set_visible (GTK_WIDGET (self->verdict), ok_file && !task_shown);
  /* no board, or under a result a board that left: no map to show (the
   * verdict says to connect one; saying it again here was one time too many) */
  gtk_widget_set_visible (self->map_group, ok_file && self->plan != NULL);
  if (mismatch != NULL)
    gtk_label_set_text (self->banner_label, mismatch);
  gtk_revealer_set_reveal_child (self->banner, mismatch != NULL && !task_shown);
  _defuse_window_actions_update (self);
}

gboolean
_defuse_window_is_busy (DefuseWindow *self)
{
  return g_hash_table_size (self->tasks) > 0 || defuse_bench_panel_is_armed (self->bench_panel);
}

/* ---- window ---- */

static void
on_show_content (DefuseWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->content_box);
}

/* the bar at the bottom takes over when the header has no room for the
 * switcher, and only once there is a file to switch views of */
static void
on_switcher_title_visible (DefuseWindow *self)
{
  /* shown, not revealed: AdwViewSwitcherBar's slide made libadwaita 1.2
   * allocate a box at height -1 (a GTK warning in the narrow test) */
  gtk_widget_set_visible (GTK_WIDGET (self->switcher_bar),
                          adw_view_switcher_title_get_title_visible (self->window_title) &&
                          adw_view_switcher_title_get_view_switcher_enabled (self->window_title));
}

static void
on_show_sidebar (DefuseWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
save_window_state (DefuseWindow *self)
{
  gint width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static void
on_close_response (AdwMessageDialog *dialog, const gchar *response, DefuseWindow *self)
{
  if (g_strcmp0 (response, "close") != 0)
    return;
  /* cancelled jobs finish on their own: the application waits for them */
  g_hash_table_remove_all (self->tasks);
  gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
defuse_window_close_request (GtkWindow *window)
{
  DefuseWindow *self = DEFUSE_WINDOW (window);
  GtkWidget *dialog;

  save_window_state (self);
  if (g_hash_table_size (self->tasks) == 0)
    return GTK_WINDOW_CLASS (defuse_window_parent_class)->close_request (window);

  dialog = adw_message_dialog_new (window, _("Stop Flashing?"),
                                   _("Closing the window cancels the flash after the current request. "
                                     "The device stays in DFU mode and can be flashed again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Flashing"),
                                    "close", _("_Stop and Close"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "close", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

/* DEFUSE_BENCH_FIRST_FRAME (tests/gui/gui-bench): say on stdout when the
 * first frame has been drawn, in g_get_monotonic_time() microseconds */
static void
bench_after_paint (GdkFrameClock *clock, gpointer unused)
{
  g_signal_handlers_disconnect_by_func (clock, bench_after_paint, unused);
  g_print ("first-frame-us %" PRId64 "\n", g_get_monotonic_time ());
}

static void
bench_on_map (GtkWidget *widget)
{
  g_signal_connect (gtk_widget_get_frame_clock (widget), "after-paint", G_CALLBACK (bench_after_paint), NULL);
}

static void
load_css (void)
{
  static gboolean loaded;
  g_autoptr(GtkCssProvider) provider = NULL;

  /* loaded here rather than by AdwApplication so windows made without an
   * application (tests) look the same */
  if (loaded)
    return;
  loaded = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/defuse/Defuse/defuse.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
defuse_window_dispose (GObject *object)
{
  DefuseWindow *self = DEFUSE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  _defuse_window_micropython_dispose (self);
  g_clear_object (&self->monitor);
  /* dropping the tasks cancels the jobs still running (defuse-flash-task.c) */
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DEFUSE_TYPE_WINDOW);
  G_OBJECT_CLASS (defuse_window_parent_class)->dispose (object);
}

static void
defuse_window_finalize (GObject *object)
{
  DefuseWindow *self = DEFUSE_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_pointer (&self->image, df_image_unref);
  g_clear_pointer (&self->plan, df_plan_unref);
  g_free (self->selected_id);
  g_free (self->offer_flash_id);
  g_free (self->blocker);
  G_OBJECT_CLASS (defuse_window_parent_class)->finalize (object);
}

static void
defuse_window_class_init (DefuseWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = defuse_window_dispose;
  object_class->finalize = defuse_window_finalize;
  window_class->close_request = defuse_window_close_request;

  g_type_ensure (DEFUSE_TYPE_MEMORY_MAP);
  g_type_ensure (DEFUSE_TYPE_FLASH_PANEL);
  g_type_ensure (DEFUSE_TYPE_BENCH_PANEL);
  g_type_ensure (DEFUSE_TYPE_INSPECTOR);
  g_type_ensure (DEFUSE_TYPE_VERDICT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/defuse/Defuse/defuse-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, device_stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, monitor_error_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, permission_box);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, steps_list);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, permission_commands);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, device_list);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, flash_all_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, drop_zone);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, summary_title);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, summary_facts);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, address_box);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, address_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, address_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, raw_button);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, verdict);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, map_none_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, file_error_box);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, file_error_label);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, map_group);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, map_stack);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, memory_map);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, flash_panel);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, bench_panel);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, inspector);
  gtk_widget_class_bind_template_child (widget_class, DefuseWindow, keyboard_panel);
  gtk_widget_class_bind_template_callback (widget_class, on_show_content);
  gtk_widget_class_bind_template_callback (widget_class, on_show_sidebar);
  gtk_widget_class_bind_template_callback (widget_class, defuse_window_update_plan);
  gtk_widget_class_bind_template_callback (widget_class, defuse_window_update_state);
  gtk_widget_class_bind_template_callback (widget_class, on_switcher_title_visible);

  _defuse_window_class_actions_init (widget_class);
  _defuse_window_class_bench_init (widget_class);
  _defuse_window_class_micropython_init (widget_class);
  _defuse_window_class_keyboard_init (widget_class);
}

static void
defuse_window_init (DefuseWindow *self)
{
  g_autofree gchar *commands = defuse_permission_commands ();

  load_css ();
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  self->cancellable = g_cancellable_new ();
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  gtk_label_set_text (self->permission_commands, commands);
  {
    /* a path broken with hyphens would be copied wrong by hand */
    g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
    pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
    gtk_label_set_attributes (self->permission_commands, attrs);
  }
  _defuse_window_dnd_init (self);
  _defuse_window_bench_init (self);
  _defuse_window_micropython_init (self);
  defuse_window_update_plan (self);
  _defuse_window_devices_fill_steps (self);
  _defuse_window_devices_start_monitor (self);
  /* Rescan and the others follow the monitor just started */
  _defuse_window_actions_update (self);
  if (g_getenv ("DEFUSE_BENCH_FIRST_FRAME") != NULL)
    g_signal_connect (self, "map", G_CALLBACK (bench_on_map), NULL);
}

DefuseWindow *
defuse_window_new (GtkApplication *application)
{
  return g_object_new (DEFUSE_TYPE_WINDOW, "application", application, NULL);
}
