/* defuse-memory-map-tooltip.c: the memory map in words: the detail line of
 * the selected (or hovered) sector, the tooltips, and the accessible name
 * and description that screen readers read instead of the picture. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-memory-map-private.h"

/* inline, after the sector's address and size: lower case */
static const gchar *
kind_text (DefuseSectorKind kind)
{
  switch (kind)
    {
    case DEFUSE_SECTOR_ERASE_WRITE:
      return _("erased, then written");
    case DEFUSE_SECTOR_WRITE:
      return _("written without erasing (the device cannot erase it)");
    case DEFUSE_SECTOR_ERASE_ONLY:
      return _("erased by the mass erase, nothing written");
    case DEFUSE_SECTOR_NO_FIT:
      return _("the file writes here, but the device cannot write this sector");
    case DEFUSE_SECTOR_BOOTLOADER:
      return _("the bootloader’s own section, never written");
    case DEFUSE_SECTOR_UNTOUCHED:
    default:
      return _("untouched");
    }
}

/* a sector of a MicroPython board's filesystem */
static const gchar *
files_text (DefuseSectorKind kind)
{
  return kind == DEFUSE_SECTOR_UNTOUCHED ? _("Holds the board’s files (MicroPython’s internal filesystem): kept")
                                         : _("Holds the board’s files (MicroPython’s internal filesystem): they are erased");
}

static MapSector *
lookup (DefuseMemoryMap *self, guint row, guint sector, MapRow **map_row)
{
  MapRow *r;

  if (row >= self->rows->len)
    return NULL;
  r = g_ptr_array_index (self->rows, row);
  if (sector >= r->sectors->len)
    return NULL;
  *map_row = r;
  return &g_array_index (r->sectors, MapSector, sector);
}

gchar *
_defuse_memory_map_sector_text (DefuseMemoryMap *self, guint row, guint sector)
{
  MapRow *r = NULL;
  MapSector *ms = lookup (self, row, sector, &r);
  g_autofree gchar *size = NULL;
  GString *text;

  if (ms == NULL)
    return NULL;
  size = g_format_size_full (ms->size, G_FORMAT_SIZE_IEC_UNITS);
  text = g_string_new (NULL);
  /* TRANSLATORS: the memory map's detail line: sector number, address range, size, what the flash does to it */
  g_string_printf (text, _("Sector %u · 0x%08X–0x%08X · %s · %s"), sector, ms->start,
                   (guint32) (ms->start + ms->size - 1), size, kind_text (ms->kind));
  g_string_append_c (text, '\n');
  /* TRANSLATORS: second line of the memory map's detail: the memory's name and its USB alt setting number */
  if (self->plan->flip)
    g_string_append (text, r->title);   /* FLIP has memories, no alt settings */
  else
    g_string_append_printf (text, _("%s, alt setting %u"), r->title, r->alt);
  if (r->files_end != 0 && ms->start <= r->files_end && (guint64) ms->start + ms->size > r->files_start)
    g_string_append_printf (text, "\n%s", files_text (ms->kind));
  return g_string_free (text, FALSE);
}

gboolean
_defuse_memory_map_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);
  guint row, sector;

  /* a keyboard user reads the detail line; a tooltip would cover the map */
  if (keyboard)
    return FALSE;
  if (_defuse_memory_map_sector_at (self, x, y, &row, &sector))
    {
      g_autofree gchar *text = _defuse_memory_map_sector_text (self, row, sector);
      gtk_tooltip_set_text (tooltip, text);
      return TRUE;
    }
  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *r = g_ptr_array_index (self->rows, i);
      gfloat bar_y = _defuse_memory_map_bar_y (self, r);

      if (r->message == NULL && r->overflow_w > 0 && y >= bar_y && y < bar_y + BAR_HEIGHT &&
          x >= gtk_widget_get_width (widget) - r->overflow_w)
        {
          gtk_tooltip_set_text (tooltip, _("Part of the file lies outside this memory: it cannot be flashed."));
          return TRUE;
        }
    }
  return FALSE;
}

/* "Memory map of Internal Flash: 2 of 12 sectors erased · 315 KiB
 * written": what a screen reader says when the map gets focus */
static gchar *
accessible_name (DefuseMemoryMap *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (self->rows->len == 0)
    return g_strdup (_("Memory map"));
  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *row = g_ptr_array_index (self->rows, i);
      const gchar *what = row->message != NULL ? row->message : row->summary;

      if (i == 0)
        /* TRANSLATORS: the accessible name of the memory map; %s is a memory's name */
        g_string_printf (text, _("Memory map of %s"), row->title);
      else
        g_string_append_printf (text, "; %s", row->title);
      if (what != NULL)
        g_string_append_printf (text, ": %s", what);
      if (row->files_end != 0)
        g_string_append_printf (text, ". %s", self->legend[LEGEND_FILES_ERASED] ? _("The board’s files are erased")
                                                                               : _("The board’s files are kept"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
_defuse_memory_map_update_words (DefuseMemoryMap *self)
{
  g_autofree gchar *name = accessible_name (self);
  g_autofree gchar *selected = NULL, *hovered = NULL;
  const gchar *shown;

  if (self->sel_row >= 0)
    selected = _defuse_memory_map_sector_text (self, self->sel_row, self->sel_sector);
  if (self->hover_row >= 0)
    hovered = _defuse_memory_map_sector_text (self, self->hover_row, self->hover_sector);

  shown = hovered != NULL ? hovered : selected != NULL ? selected : "";
  /* an unchanged text would still queue a resize of the window */
  if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (self->detail_label)), shown) != 0)
    gtk_label_set_text (GTK_LABEL (self->detail_label), shown);
  gtk_widget_set_visible (self->detail_label, shown[0] != '\0');
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, selected != NULL ? selected : "",
                                  -1);
}
