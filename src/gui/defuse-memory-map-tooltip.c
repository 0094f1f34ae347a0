/* defuse-memory-map-tooltip.c: the memory map in words: a tooltip per
 * sector and for the bytes outside the memory, and the accessible
 * description that screen readers read instead of the picture. */
#include "defuse-config.h"

#include <glib/gi18n.h>

#include "defuse-memory-map-private.h"

static const gchar *
kind_text (DefuseSectorKind kind)
{
  switch (kind)
    {
    case DEFUSE_SECTOR_ERASE_WRITE:
      return _("Erased, then written");
    case DEFUSE_SECTOR_WRITE:
      return _("Written without erasing (the device cannot erase it)");
    case DEFUSE_SECTOR_ERASE_ONLY:
      return _("Erased by the mass erase, nothing written");
    case DEFUSE_SECTOR_NO_FIT:
      return _("The file writes here, but the device cannot write this sector");
    case DEFUSE_SECTOR_UNTOUCHED:
    default:
      return _("Untouched");
    }
}

/* a sector of a MicroPython board's filesystem */
static const gchar *
files_text (DefuseSectorKind kind)
{
  return kind == DEFUSE_SECTOR_UNTOUCHED ? _("Holds the board’s files (MicroPython’s internal filesystem): kept")
                                         : _("Holds the board’s files (MicroPython’s internal filesystem): they are erased");
}

gboolean
_defuse_memory_map_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  DefuseMemoryMap *self = DEFUSE_MEMORY_MAP (widget);

  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *row = g_ptr_array_index (self->rows, i);
      gfloat bar_y = _defuse_memory_map_bar_y (self, row);

      if (row->message != NULL || y < bar_y || y >= bar_y + BAR_HEIGHT)
        continue;
      for (guint j = 0; j < row->sectors->len; j++)
        {
          MapSector *ms = &g_array_index (row->sectors, MapSector, j);
          g_autofree gchar *size = NULL, *text = NULL;

          if (x < ms->x || x >= ms->x + ms->width)
            continue;
          size = g_format_size_full (ms->size, G_FORMAT_SIZE_IEC_UNITS);
          /* TRANSLATORS: memory map tooltip: sector number, address range, size, what happens */
          text = g_strdup_printf (_("Sector %u · 0x%08X–0x%08X · %s\n%s"), j, ms->start,
                                  ms->start + ms->size - 1, size, kind_text (ms->kind));
          if (row->files_end != 0 && ms->start <= row->files_end && (guint64) ms->start + ms->size > row->files_start)
            {
              gchar *with = g_strdup_printf ("%s\n%s", text, files_text (ms->kind));
              g_free (text);
              text = with;
            }
          gtk_tooltip_set_text (tooltip, text);
          return TRUE;
        }
      if (row->overflow_w > 0 && x >= gtk_widget_get_width (widget) - row->overflow_w)
        {
          gtk_tooltip_set_text (tooltip, _("Part of the file lies outside this memory: it cannot be flashed."));
          return TRUE;
        }
    }
  return FALSE;
}

void
_defuse_memory_map_update_accessible (DefuseMemoryMap *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      MapRow *row = g_ptr_array_index (self->rows, i);
      g_string_append_printf (text, "%s: %s. ", row->title,
                              row->message != NULL ? row->message : row->summary != NULL ? row->summary : "");
      if (row->files_end != 0)
        g_string_append_printf (text, "%s. ", self->legend[LEGEND_FILES_ERASED] ? _("The board’s files are erased")
                                                                               : _("The board’s files are kept"));
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text->str, -1);
}
