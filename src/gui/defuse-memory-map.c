/* defuse-memory-map.c: the plan drawn as one bar per alt setting, one cell
 * per sector.  A cell's width grows with the square root of its size, so
 * the 16 KiB sectors of an STM32F4 stay visible next to its 128 KiB ones
 * while bigger sectors still look bigger.  Inside a touched sector the
 * bytes the file writes are drawn solid and the rest of the erased sector
 * pale, so the user sees what an erase costs before anything happens.
 * The selected sector is outlined (with the focus ring when the keyboard
 * is in the map) and described by a label under the legend.  What each
 * sector holds is worked out in defuse-memory-map-model.c, the selection
 * in defuse-memory-map-select.c, the words in defuse-memory-map-tooltip.c. */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "defuse-memory-map-private.h"

#define ROW_GAP       18
#define SWATCH        12
#define DETAIL_GAP    12

G_DEFINE_FINAL_TYPE (DefuseMemoryMap, defuse_memory_map, GTK_TYPE_WIDGET)

static const gchar *
legend_text (LegendItem item)
{
  switch (item)
    {
    case LEGEND_WRITTEN:
      return _("Written");
    case LEGEND_ERASED:
      return _("Erased");
    case LEGEND_WRITE_NO_ERASE:
      return _("Written without erasing");
    case LEGEND_UNTOUCHED:
      return _("Untouched");
    case LEGEND_NO_FIT:
      return _("Does not fit");
    case LEGEND_BOOTLOADER:
      return _("Bootloader, never written");
    case LEGEND_FILES:
      return _("The board’s files, kept");
    case LEGEND_FILES_ERASED:
      return _("The board’s files, erased");
    case N_LEGEND:
    default:
      return "";
    }
}

/* colours from the libadwaita style sheet, so dark mode follows */
static void
lookup_color (DefuseMemoryMap *self, const gchar *name, const gchar *fallback, GdkRGBA *rgba)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  if (!gtk_style_context_lookup_color (context, name, rgba))
    gdk_rgba_parse (rgba, fallback);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
foreground (DefuseMemoryMap *self, gdouble alpha, GdkRGBA *rgba)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), rgba);
  G_GNUC_END_IGNORE_DEPRECATIONS
  rgba->alpha *= alpha;
}

static void
kind_colors (DefuseMemoryMap *self, DefuseSectorKind kind, GdkRGBA *pale, GdkRGBA *solid)
{
  switch (kind)
    {
    case DEFUSE_SECTOR_ERASE_WRITE:
    case DEFUSE_SECTOR_ERASE_ONLY:
      lookup_color (self, "accent_bg_color", "#3584e4", solid);
      break;
    case DEFUSE_SECTOR_WRITE:
      lookup_color (self, "success_bg_color", "#26a269", solid);
      break;
    case DEFUSE_SECTOR_NO_FIT:
      lookup_color (self, "error_bg_color", "#e01b24", solid);
      break;
    case DEFUSE_SECTOR_BOOTLOADER:
      foreground (self, 0.45, solid);
      *pale = *solid;
      return;
    case DEFUSE_SECTOR_UNTOUCHED:
    default:
      foreground (self, 0.12, solid);
      *pale = *solid;
      return;
    }
  *pale = *solid;
  pale->alpha = kind == DEFUSE_SECTOR_NO_FIT ? 0.85 : 0.35;
}

/* the strip under a MicroPython board's files: warning when they go */
static void
files_color (DefuseMemoryMap *self, gboolean erased, GdkRGBA *rgba)
{
  if (erased)
    lookup_color (self, "warning_bg_color", "#e5a50a", rgba);
  else
    gdk_rgba_parse (rgba, "#9141ac");  /* libadwaita's purple 3: no other part of the map uses it */
}

static void
legend_colors (DefuseMemoryMap *self, LegendItem item, GdkRGBA *rgba)
{
  GdkRGBA pale;

  switch (item)
    {
    case LEGEND_WRITTEN:
      kind_colors (self, DEFUSE_SECTOR_ERASE_WRITE, &pale, rgba);
      break;
    case LEGEND_ERASED:
      kind_colors (self, DEFUSE_SECTOR_ERASE_ONLY, rgba, &pale);
      break;
    case LEGEND_WRITE_NO_ERASE:
      kind_colors (self, DEFUSE_SECTOR_WRITE, &pale, rgba);
      break;
    case LEGEND_NO_FIT:
      kind_colors (self, DEFUSE_SECTOR_NO_FIT, &pale, rgba);
      break;
    case LEGEND_BOOTLOADER:
      kind_colors (self, DEFUSE_SECTOR_BOOTLOADER, rgba, &pale);
      break;
    case LEGEND_FILES:
    case LEGEND_FILES_ERASED:
      files_color (self, item == LEGEND_FILES_ERASED, rgba);
      break;
    case LEGEND_UNTOUCHED:
    case N_LEGEND:
    default:
      kind_colors (self, DEFUSE_SECTOR_UNTOUCHED, rgba, &pale);
      break;
    }
}

static gint
line_height (DefuseMemoryMap *self, gboolean small)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), "Ag");
  gint height;

  if (small)
    {
      g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
      pango_layout_set_attributes (layout, attrs);
    }
  pango_layout_get_pixel_size (layout, NULL, &height);
  return height;
}

static PangoLayout *
make_layout (DefuseMemoryMap *self, const gchar *text, gboolean bold, gboolean small)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  g_autoptr(PangoAttrList) attrs = pango_attr_list_new ();

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (small)
    pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  pango_layout_set_attributes (layout, attrs);
  return layout;
}

/* legend items flow into lines no wider than width; returns the height */
static gint
legend_layout (DefuseMemoryMap *self, gint width, GtkSnapshot *snapshot, gfloat y0)
{
  gint line_h = line_height (self, TRUE);
  gint x = 0, y = 0;
  gboolean any = FALSE;

  for (LegendItem item = 0; item < N_LEGEND; item++)
    {
      g_autoptr(PangoLayout) layout = NULL;
      gint text_w, item_w;

      if (!self->legend[item])
        continue;
      layout = make_layout (self, legend_text (item), FALSE, TRUE);
      pango_layout_get_pixel_size (layout, &text_w, NULL);
      item_w = SWATCH + 6 + text_w;
      if (x > 0 && x + item_w > width)
        {
          x = 0;
          y += line_h + 4;
        }
      if (snapshot != NULL)
        {
          GdkRGBA swatch, fg;
          GskRoundedRect rounded;

          legend_colors (self, item, &swatch);
          foreground (self, 0.75, &fg);
          gsk_rounded_rect_init_from_rect (&rounded,
                                           &GRAPHENE_RECT_INIT (x, y0 + y + (line_h - SWATCH) / 2.f, SWATCH, SWATCH), 3);
          gtk_snapshot_push_rounded_clip (snapshot, &rounded);
          gtk_snapshot_append_color (snapshot, &swatch, &rounded.bounds);
          gtk_snapshot_pop (snapshot);
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x + SWATCH + 6, y0 + y));
          gtk_snapshot_append_layout (snapshot, layout, &fg);
          gtk_snapshot_restore (snapshot);
        }
      x += item_w + 18;
      any = TRUE;
    }
  return any ? y + line_h : 0;
}

/* "+12 KiB": what lies past the end of the memory, drawn after the bar */
static PangoLayout *
overflow_layout (DefuseMemoryMap *self, MapRow *row)
{
  g_autofree gchar *size = g_format_size_full (row->outside, G_FORMAT_SIZE_IEC_UNITS);
  /* TRANSLATORS: bytes past the end of the memory, drawn after the bar */
  g_autofree gchar *text = g_strdup_printf (_("+%s"), size);

  return make_layout (self, text, TRUE, TRUE);
}

/* the bar leaves room after it for the "+12 KiB" block */
static gfloat
bar_width (MapRow *row, gint width)
{
  return width - (row->overflow_w > 0 ? row->overflow_w + 4 : 0);
}

static gint
row_height (DefuseMemoryMap *self, MapRow *row)
{
  gint title_h = line_height (self, FALSE), small_h = line_height (self, TRUE);

  if (row->message != NULL)
    return title_h + 4 + small_h;
  return title_h + 6 + BAR_HEIGHT + 4 + small_h;
}

gfloat
_defuse_memory_map_bar_y (DefuseMemoryMap *self, MapRow *row)
{
  return row->y + line_height (self, FALSE) + 6;
}

static gint
content_height (DefuseMemoryMap *self, gint width)
{
  gint height = 0;

  if (self->rows->len == 0)
    return 0;
  for (guint i = 0; i < self->rows->len; i++)
    height += row_height (self, g_ptr_array_index (self->rows, i)) + ROW_GAP;
  return height + legend_layout (self, width, NULL, 0);
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
          g_autoptr(PangoLayout) label = overflow_layout (self, row);
          gint label_w;
          pango_layout_get_pixel_size (label, &label_w, NULL);
          row->overflow_w = MIN (MAX (label_w + 16, 48), width / 3);
        }
      bar_w = bar_width (row, width);

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
      gint label_h, top = (gint) y + legend_layout (self, width, NULL, 0) + DETAIL_GAP;
      gtk_widget_measure (self->detail_label, GTK_ORIENTATION_VERTICAL, width, NULL, &label_h, NULL, NULL);
      gtk_widget_size_allocate (self->detail_label, &(GtkAllocation) { 0, top, width, label_h }, -1);
    }
}

static void
draw_sector (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, MapSector *ms, gfloat bar_y)
{
  GdkRGBA pale, solid;
  gfloat gap = ms->width >= 5 ? 1 : 0;   /* no gaps when sectors are thinner than that */
  graphene_rect_t cell = GRAPHENE_RECT_INIT (ms->x, bar_y, MAX (ms->width - gap, 0.5f), BAR_HEIGHT);

  kind_colors (self, ms->kind, &pale, &solid);
  gtk_snapshot_append_color (snapshot, &pale, &cell);
  if (ms->kind != DEFUSE_SECTOR_ERASE_WRITE && ms->kind != DEFUSE_SECTOR_WRITE)
    return;

  /* the bytes written, in their place inside the sector */
  for (guint k = 0; k < row->writes->len; k++)
    {
      MapRange *range = &g_array_index (row->writes, MapRange, k);
      guint64 start = MAX ((guint64) range->address, ms->start);
      guint64 end = MIN ((guint64) range->address + range->size, (guint64) ms->start + ms->size);
      gfloat x0, x1;

      if (end <= start)
        continue;
      x0 = ms->x + (gfloat) (start - ms->start) / ms->size * cell.size.width;
      x1 = ms->x + (gfloat) (end - ms->start) / ms->size * cell.size.width;
      gtk_snapshot_append_color (snapshot, &solid,
                                 &GRAPHENE_RECT_INIT (x0, bar_y, MAX (x1 - x0, 1.f), BAR_HEIGHT));
    }
}

static void
draw_text (GtkSnapshot *snapshot, PangoLayout *layout, gfloat x, gfloat y, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* a strip along the bottom of the sectors holding a MicroPython board's files */
static void
draw_files (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gfloat bar_y)
{
  for (guint j = 0; row->files_end != 0 && j < row->sectors->len; j++)
    {
      MapSector *ms = &g_array_index (row->sectors, MapSector, j);
      GdkRGBA color;

      if (ms->start > row->files_end || (guint64) ms->start + ms->size <= row->files_start)
        continue;
      files_color (self, ms->kind != DEFUSE_SECTOR_UNTOUCHED, &color);
      gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (ms->x, bar_y + BAR_HEIGHT - 6, ms->width, 6));
    }
}

/* plain DFU: one download, no addresses; DfuSe: a cell per sector */
static void
draw_bar (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gfloat bar_y, gfloat bar_w)
{
  GskRoundedRect clip;

  gsk_rounded_rect_init_from_rect (&clip, &GRAPHENE_RECT_INIT (0, bar_y, bar_w, BAR_HEIGHT), 6);
  gtk_snapshot_push_rounded_clip (snapshot, &clip);
  if (row->sectors->len == 0)
    {
      GdkRGBA pale, solid;
      kind_colors (self, DEFUSE_SECTOR_ERASE_WRITE, &pale, &solid);
      gtk_snapshot_append_color (snapshot, &solid, &clip.bounds);
    }
  for (guint j = 0; j < row->sectors->len; j++)
    draw_sector (self, snapshot, row, &g_array_index (row->sectors, MapSector, j), bar_y);
  draw_files (self, snapshot, row, bar_y);
  gtk_snapshot_pop (snapshot);
}

/* the "+12 KiB" block after the bar: bytes outside the memory */
static void
draw_overflow (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gint width, gfloat bar_y)
{
  GdkRGBA pale, solid;
  GskRoundedRect over;
  g_autoptr(PangoLayout) label = overflow_layout (self, row);
  GdkRGBA white = { 1, 1, 1, 1 };
  gfloat ow = row->overflow_w;
  gint lw, lh;

  kind_colors (self, DEFUSE_SECTOR_NO_FIT, &pale, &solid);
  gsk_rounded_rect_init_from_rect (&over, &GRAPHENE_RECT_INIT (width - ow, bar_y, ow, BAR_HEIGHT), 6);
  gtk_snapshot_push_rounded_clip (snapshot, &over);
  gtk_snapshot_append_color (snapshot, &solid, &over.bounds);
  gtk_snapshot_pop (snapshot);
  pango_layout_set_width (label, (gint) (ow - 4) * PANGO_SCALE);
  pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (label, &lw, &lh);
  draw_text (snapshot, label, width - ow + (ow - lw) / 2.f,
             bar_y + (BAR_HEIGHT - lh) / 2.f, &white);
}

/* the addresses at both ends of the bar */
static void
draw_bar_ends (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gint width, gfloat bar_y,
               const GdkRGBA *dim)
{
  g_autofree gchar *first = NULL, *last = NULL;
  g_autoptr(PangoLayout) left = NULL, right = NULL;
  gint rw;

  if (row->sectors->len == 0)
    {
      g_autofree gchar *size = g_format_size_full (row->plain_bytes, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: under the bar of a plain DFU device, which has no addresses */
      first = g_strdup_printf (_("%s downloaded as one piece (plain DFU: no addresses)"), size);
    }
  else
    {
      first = g_strdup_printf ("0x%08X", row->first);
      last = g_strdup_printf ("0x%08X", row->last);
    }
  left = make_layout (self, first, FALSE, TRUE);
  draw_text (snapshot, left, 0, bar_y + BAR_HEIGHT + 4, dim);
  if (last != NULL)
    {
      right = make_layout (self, last, FALSE, TRUE);
      pango_layout_get_pixel_size (right, &rw, NULL);
      draw_text (snapshot, right, bar_width (row, width) - rw,
                 bar_y + BAR_HEIGHT + 4, dim);
    }
}

static void
draw_row (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gint width)
{
  gint title_h = line_height (self, FALSE);
  g_autoptr(PangoLayout) title = make_layout (self, row->title, TRUE, FALSE);
  GdkRGBA fg, dim;
  gfloat bar_y = _defuse_memory_map_bar_y (self, row);
  gint title_w;

  foreground (self, 1.0, &fg);
  foreground (self, 0.7, &dim);
  draw_text (snapshot, title, 0, row->y, &fg);
  pango_layout_get_pixel_size (title, &title_w, NULL);

  if (row->message != NULL)
    {
      g_autoptr(PangoLayout) message = make_layout (self, row->message, FALSE, TRUE);
      GdkRGBA error;
      lookup_color (self, "error_color", "#c01c28", &error);
      pango_layout_set_width (message, width * PANGO_SCALE);
      pango_layout_set_ellipsize (message, PANGO_ELLIPSIZE_END);
      draw_text (snapshot, message, 0, row->y + title_h + 4, &error);
      return;
    }

  if (row->summary != NULL)
    {
      g_autoptr(PangoLayout) summary = make_layout (self, row->summary, FALSE, TRUE);
      gint summary_w, summary_h;
      pango_layout_get_pixel_size (summary, &summary_w, &summary_h);
      /* right-aligned after the title when there is room */
      if (title_w + 24 + summary_w <= width)
        draw_text (snapshot, summary, width - summary_w, row->y + (title_h - summary_h), &dim);
    }

  draw_bar (self, snapshot, row, bar_y, bar_width (row, width));
  if (row->outside > 0)
    draw_overflow (self, snapshot, row, width, bar_y);
  draw_bar_ends (self, snapshot, row, width, bar_y, &dim);
}

/* a border around a sector, grown by outset; thin sectors get a ring wide
 * enough to see */
static void
draw_ring (DefuseMemoryMap *self, GtkSnapshot *snapshot, gint row, gint sector, gfloat outset, gfloat line,
           const GdkRGBA *color)
{
  MapRow *r = g_ptr_array_index (self->rows, row);
  MapSector *ms = &g_array_index (r->sectors, MapSector, sector);
  gfloat width = MAX (ms->width, 4.f) + 2 * outset;
  gfloat x = ms->x + ms->width / 2 - width / 2;
  GskRoundedRect ring;
  const gfloat widths[4] = { line, line, line, line };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&ring, &GRAPHENE_RECT_INIT (x, _defuse_memory_map_bar_y (self, r) - outset,
                                                               width, BAR_HEIGHT + 2 * outset), 3 + outset);
  gtk_snapshot_append_border (snapshot, &ring, widths, colors);
}

/* the hovered sector, the selected one, and the focus ring (Adwaita's:
 * the accent colour, half transparent) when the keyboard is here */
static void
draw_selection (DefuseMemoryMap *self, GtkSnapshot *snapshot)
{
  GdkRGBA color;

  if (self->hover_row >= 0 && (self->hover_row != self->sel_row || self->hover_sector != self->sel_sector))
    {
      foreground (self, 0.5, &color);
      draw_ring (self, snapshot, self->hover_row, self->hover_sector, 0, 1, &color);
    }
  if (self->sel_row < 0)
    return;
  foreground (self, 0.9, &color);
  draw_ring (self, snapshot, self->sel_row, self->sel_sector, 0, 2, &color);
  if (gtk_widget_has_visible_focus (GTK_WIDGET (self)))
    {
      lookup_color (self, "accent_color", "#1c71d8", &color);
      color.alpha = 0.5;
      draw_ring (self, snapshot, self->sel_row, self->sel_sector, 3, 2, &color);
    }
}

static void
defuse_memory_map_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);
  gint width = gtk_widget_get_width (widget);

  for (guint i = 0; i < self->rows->len; i++)
    draw_row (self, snapshot, g_ptr_array_index (self->rows, i), width);
  if (self->rows->len > 0)
    legend_layout (self, width, snapshot, self->legend_y);
  draw_selection (self, snapshot);
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
