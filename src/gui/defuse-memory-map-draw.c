/* defuse-memory-map-draw.c: the memory map's pixels: its colors (the
 * theme's, so dark and high-contrast styles follow), the text of its rows
 * and legend, and the bars, cells, rings and legend swatches, drawn where
 * defuse-memory-map.c placed them. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-memory-map-private.h"

#define SWATCH        12

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

gint
_defuse_memory_map_line_height (DefuseMemoryMap *self, gboolean small)
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
gint
_defuse_memory_map_legend (DefuseMemoryMap *self, gint width, GtkSnapshot *snapshot, gfloat y0)
{
  gint line_h = _defuse_memory_map_line_height (self, TRUE);
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
PangoLayout *
_defuse_memory_map_overflow_layout (DefuseMemoryMap *self, MapRow *row)
{
  g_autofree gchar *size = g_format_size_full (row->outside, G_FORMAT_SIZE_IEC_UNITS);
  /* TRANSLATORS: bytes past the end of the memory, drawn after the bar */
  g_autofree gchar *text = g_strdup_printf (_("+%s"), size);

  return make_layout (self, text, TRUE, TRUE);
}

/* the bar leaves room after it for the "+12 KiB" block */
gfloat
_defuse_memory_map_bar_width (MapRow *row, gint width)
{
  return width - (row->overflow_w > 0 ? row->overflow_w + 4 : 0);
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
  g_autoptr(PangoLayout) label = _defuse_memory_map_overflow_layout (self, row);
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
      draw_text (snapshot, right, _defuse_memory_map_bar_width (row, width) - rw,
                 bar_y + BAR_HEIGHT + 4, dim);
    }
}

static void
draw_row (DefuseMemoryMap *self, GtkSnapshot *snapshot, MapRow *row, gint width)
{
  gint title_h = _defuse_memory_map_line_height (self, FALSE);
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

  draw_bar (self, snapshot, row, bar_y, _defuse_memory_map_bar_width (row, width));
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

void
_defuse_memory_map_draw (DefuseMemoryMap *self, GtkSnapshot *snapshot, gint width)
{
  for (guint i = 0; i < self->rows->len; i++)
    draw_row (self, snapshot, g_ptr_array_index (self->rows, i), width);
  if (self->rows->len > 0)
    _defuse_memory_map_legend (self, width, snapshot, self->legend_y);
  draw_selection (self, snapshot);
}
