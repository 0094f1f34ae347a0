/* defuse-memory-map.c: the plan drawn as one bar per alt setting, one cell
 * per sector.  A cell's width grows with the square root of its size, so
 * the 16 KiB sectors of an STM32F4 stay visible next to its 128 KiB ones
 * while bigger sectors still look bigger.  Inside a touched sector the
 * bytes the file writes are drawn solid and the rest of the erased sector
 * pale, so the user sees what an erase costs before anything happens.
 * The selected sector is outlined (with the focus ring when the keyboard
 * is in the map) and described by a label under the legend.  What each
 * sector holds is worked out in defuse-memory-map-model.c, the pixels in
 * defuse-memory-map-draw.c, the selection in defuse-memory-map-select.c,
 * the words in defuse-memory-map-tooltip.c; this file places the rows. */
#include "defuse-config.h"

#include <math.h>

#include "defuse-memory-map-private.h"

#define ROW_GAP       18
#define DETAIL_GAP    12

G_DEFINE_FINAL_TYPE (DefuseMemoryMap, defuse_memory_map, GTK_TYPE_WIDGET)

static gint
row_height (DefuseMemoryMap *self, MapRow *row)
{
  gint title_h = _defuse_memory_map_line_height (self, FALSE);
  gint small_h = _defuse_memory_map_line_height (self, TRUE);

  if (row->message != NULL)
    return title_h + 4 + small_h;
  return title_h + 6 + BAR_HEIGHT + 4 + small_h;
}

gfloat
_defuse_memory_map_bar_y (DefuseMemoryMap *self, MapRow *row)
{
  return row->y + _defuse_memory_map_line_height (self, FALSE) + 6;
}

static gint
content_height (DefuseMemoryMap *self, gint width)
{
  gint height = 0;

  if (self->rows->len == 0)
    return 0;
  for (guint i = 0; i < self->rows->len; i++)
    height += row_height (self, g_ptr_array_index (self->rows, i)) + ROW_GAP;
  return height + _defuse_memory_map_legend (self, width, NULL, 0);
}

static void
defuse_memory_map_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);

  gint label_min = 0, label_nat = 0;

  if (gtk_widget_get_visible (self->detail_label))
    gtk_widget_measure (self->detail_label, orientation, for_size, &label_min, &label_nat, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MAX (160, label_min);
      *natural = MAX (600, label_nat);
    }
  else
    {
      gint height = content_height (self, for_size > 0 ? for_size : 600);
      gint gap = label_nat > 0 ? DETAIL_GAP : 0;
      *minimum = height + gap + label_min;
      *natural = height + gap + label_nat;
    }
}

static void
defuse_memory_map_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);
  gfloat y = 0;

  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *row = g_ptr_array_index (self->rows, i);
      gfloat bar_w;
      gdouble total = 0, x = 0;

      row->overflow_w = 0;
      if (row->outside > 0)
        {
          g_autoptr(PangoLayout) label = _defuse_memory_map_overflow_layout (self, row);
          gint label_w;
          pango_layout_get_pixel_size (label, &label_w, NULL);
          row->overflow_w = MIN (MAX (label_w + 16, 48), width / 3);
        }
      bar_w = _defuse_memory_map_bar_width (row, width);

      row->y = y;
      y += row_height (self, row) + ROW_GAP;
      for (guint j = 0; j < row->sectors->len; j++)
        total += sqrt (g_array_index (row->sectors, MapSector, j).size);
      for (guint j = 0; j < row->sectors->len; j++)
        {
          MapSector *ms = &g_array_index (row->sectors, MapSector, j);
          gdouble w = sqrt (ms->size) / total * bar_w;
          ms->x = (gfloat) x;
          ms->width = (gfloat) w;
          x += w;
        }
    }
  self->legend_y = y;

  if (gtk_widget_get_visible (self->detail_label))
    {
      gint label_h, top = (gint) y + _defuse_memory_map_legend (self, width, NULL, 0) + DETAIL_GAP;
      gtk_widget_measure (self->detail_label, GTK_ORIENTATION_VERTICAL, width, NULL, &label_h, NULL, NULL);
      gtk_widget_size_allocate (self->detail_label, &(GtkAllocation) { 0, top, width, label_h }, -1);
    }
}

static void
defuse_memory_map_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);

  _defuse_memory_map_draw (self, snapshot, gtk_widget_get_width (widget));
  gtk_widget_snapshot_child (widget, self->detail_label, snapshot);
}

void
defuse_memory_map_set_plan (DefuseMemoryMap *self, DfPlan *plan)
{
  g_return_if_fail (DEFUSE_IS_MEMORY_MAP (self));

  /* another file or device: the selection starts again; new options for
   * the same ones keep it where the user put it */
  if (plan == NULL || self->plan == NULL || plan->image != self->plan->image || plan->device != self->plan->device)
    self->sel_row = self->sel_sector = -1;
  if (plan != NULL)
    df_plan_ref (plan);
  g_clear_pointer (&self->plan, df_plan_unref);
  self->plan = plan;
  _defuse_memory_map_rebuild (self);
  _defuse_memory_map_reset_selection (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
defuse_memory_map_get_n_rows (DefuseMemoryMap *self)
{
  return self->rows->len;
}

const gchar *
defuse_memory_map_get_row_title (DefuseMemoryMap *self, guint row)
{
  g_return_val_if_fail (row < self->rows->len, NULL);
  return ((MapRow *) g_ptr_array_index (self->rows, row))->title;
}

guint
defuse_memory_map_get_n_sectors (DefuseMemoryMap *self, guint row)
{
  g_return_val_if_fail (row < self->rows->len, 0);
  return ((MapRow *) g_ptr_array_index (self->rows, row))->sectors->len;
}

gboolean
defuse_memory_map_shows_files (DefuseMemoryMap *self, gboolean *erased)
{
  *erased = self->legend[LEGEND_FILES_ERASED];
  return self->legend[LEGEND_FILES] || self->legend[LEGEND_FILES_ERASED];
}

DefuseSectorKind
defuse_memory_map_get_sector_kind (DefuseMemoryMap *self, guint row, guint sector)
{
  MapRow *r;

  g_return_val_if_fail (row < self->rows->len, DEFUSE_SECTOR_UNTOUCHED);
  r = g_ptr_array_index (self->rows, row);
  g_return_val_if_fail (sector < r->sectors->len, DEFUSE_SECTOR_UNTOUCHED);
  return g_array_index (r->sectors, MapSector, sector).kind;
}

guint64
defuse_memory_map_get_outside_bytes (DefuseMemoryMap *self, guint row)
{
  g_return_val_if_fail (row < self->rows->len, 0);
  return ((MapRow *) g_ptr_array_index (self->rows, row))->outside;
}

static void
defuse_memory_map_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (defuse_memory_map_parent_class)->css_changed (widget, change);
  /* colours and fonts come from the style: dark mode, text scaling */
  gtk_widget_queue_resize (widget);
}

/* focus in and out: the focus ring */
static void
defuse_memory_map_state_flags_changed (GtkWidget *widget, GtkStateFlags previous)
{
  GTK_WIDGET_CLASS (defuse_memory_map_parent_class)->state_flags_changed (widget, previous);
  if ((previous ^ gtk_widget_get_state_flags (widget)) & (GTK_STATE_FLAG_FOCUSED | GTK_STATE_FLAG_FOCUS_VISIBLE))
    gtk_widget_queue_draw (widget);
}

/* one Tab stop, never the label inside: Tab in, Tab out */
static gboolean
defuse_memory_map_focus (GtkWidget *widget, GtkDirectionType direction)
{
  if (gtk_widget_has_focus (widget) || !gtk_widget_get_focusable (widget))
    return FALSE;
  return gtk_widget_grab_focus (widget);
}

static void
defuse_memory_map_dispose (GObject *object)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (object);

  g_clear_pointer (&self->detail_label, gtk_widget_unparent);
  G_OBJECT_CLASS (defuse_memory_map_parent_class)->dispose (object);
}

static void
defuse_memory_map_finalize (GObject *object)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (object);

  g_clear_pointer (&self->plan, df_plan_unref);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (defuse_memory_map_parent_class)->finalize (object);
}

static void
defuse_memory_map_class_init (DefuseMemoryMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = defuse_memory_map_dispose;
  object_class->finalize = defuse_memory_map_finalize;
  widget_class->measure = defuse_memory_map_measure;
  widget_class->size_allocate = defuse_memory_map_size_allocate;
  widget_class->snapshot = defuse_memory_map_snapshot;
  widget_class->query_tooltip = _defuse_memory_map_query_tooltip;
  widget_class->css_changed = defuse_memory_map_css_changed;
  widget_class->state_flags_changed = defuse_memory_map_state_flags_changed;
  /* one Tab stop: the keys move inside (defuse-memory-map-select.c) */
  widget_class->focus = defuse_memory_map_focus;
  gtk_widget_class_set_css_name (widget_class, "memorymap");
  /* a picture, described in words: its name says what the flash does to
   * each memory, its description the selected sector */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  _defuse_memory_map_class_init_selection (widget_class);
}

static void
defuse_memory_map_init (DefuseMemoryMap *self)
{
  self->rows = g_ptr_array_new_with_free_func (_defuse_memory_map_row_free);
  self->detail_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->detail_label), 0);
  gtk_label_set_wrap (GTK_LABEL (self->detail_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->detail_label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (self->detail_label, "numeric");
  gtk_widget_set_visible (self->detail_label, FALSE);
  gtk_widget_set_parent (self->detail_label, GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  _defuse_memory_map_init_selection (self);
  _defuse_memory_map_update_words (self);
}

GtkWidget *
defuse_memory_map_new (void)
{
  return g_object_new (DEFUSE_TYPE_MEMORY_MAP, NULL);
}
