/* defuse-memory-map-private.h: the memory map's rows and state, shared by
 * the files that make up the widget: its model (defuse-memory-map-model.c:
 * what the plan does to each sector), its layout (defuse-memory-map.c),
 * its drawing (defuse-memory-map-draw.c),
 * its selection (defuse-memory-map-select.c: keys, clicks, hover) and its
 * words (defuse-memory-map-tooltip.c: the detail line, tooltips,
 * accessible text). */
#pragma once

#include "defuse-memory-map.h"

G_BEGIN_DECLS

#define BAR_HEIGHT    30

typedef struct {
  guint32          start;
  guint32          size;
  guint            flags;
  DefuseSectorKind kind;
  gfloat           x, width;   /* in the bar, after allocation */
} MapSector;

typedef struct {
  guint32 address;
  guint32 size;
} MapRange;

typedef struct {
  guint8   alt;         /* the USB alt setting: named only in the detail */
  gchar   *title;       /* the memory's name, or "Memory 2" */
  gchar   *summary;
  gchar   *message;     /* instead of a bar: why nothing can be drawn */
  GArray  *sectors;     /* of MapSector; empty for a plain DFU download */
  GArray  *writes;      /* of MapRange, ascending */
  guint64  plain_bytes; /* plain DFU: bytes downloaded, no addresses */
  guint64  outside;     /* bytes of the file outside the memory */
  guint32  first, last; /* addresses of the bar's ends */
  gfloat   y;           /* top of the row, after allocation */
  gfloat   overflow_w;  /* width of the "+12 KiB" block after the bar, 0 if none */
  guint32  files_start; /* a MicroPython board's files (its filesystem), */
  guint32  files_end;   /* inclusive; files_end 0: none known */
} MapRow;

typedef enum {
  LEGEND_WRITTEN,
  LEGEND_ERASED,
  LEGEND_WRITE_NO_ERASE,
  LEGEND_UNTOUCHED,
  LEGEND_NO_FIT,
  LEGEND_BOOTLOADER,
  LEGEND_FILES,         /* a MicroPython board's files, kept */
  LEGEND_FILES_ERASED,  /* ... erased by this flash */
  N_LEGEND,
} LegendItem;

struct _DefuseMemoryMap
{
  GtkWidget  parent_instance;

  DfPlan    *plan;
  GPtrArray *rows;          /* of MapRow */
  gboolean   legend[N_LEGEND];
  gfloat     legend_y;
  GtkWidget *detail_label;  /* the sector's detail, under the legend */

  /* -1: none.  The selection is kept on every plan with sectors, so the
   * detail line always says something and the layout does not jump */
  gint       sel_row, sel_sector;
  gint       hover_row, hover_sector;
};
/* defuse-memory-map-model.c */
void     _defuse_memory_map_row_free (gpointer row);
/* self->rows and self->legend from self->plan */
void     _defuse_memory_map_rebuild (DefuseMemoryMap *self);

/* defuse-memory-map.c */
/* top of a row's bar, after allocation */
gfloat   _defuse_memory_map_bar_y (DefuseMemoryMap *self, MapRow *row);

/* defuse-memory-map-draw.c */
gint     _defuse_memory_map_line_height (DefuseMemoryMap *self, gboolean small);
/* the legend's height at width; drawn at y0 too when snapshot is given */
gint     _defuse_memory_map_legend (DefuseMemoryMap *self, gint width, GtkSnapshot *snapshot, gfloat y0);
/* "+12 KiB": the bytes of the file past the end of the memory */
PangoLayout *_defuse_memory_map_overflow_layout (DefuseMemoryMap *self, MapRow *row);
/* the bar's width in a row of width: less the "+12 KiB" block */
gfloat   _defuse_memory_map_bar_width (MapRow *row, gint width);
void     _defuse_memory_map_draw (DefuseMemoryMap *self, GtkSnapshot *snapshot, gint width);

/* defuse-memory-map-select.c */
void     _defuse_memory_map_class_init_selection (GtkWidgetClass *widget_class);
void     _defuse_memory_map_init_selection (DefuseMemoryMap *self);
/* after a rebuild: keeps the selection if it still exists, else picks
 * the first sector the flash touches */
void     _defuse_memory_map_reset_selection (DefuseMemoryMap *self);
/* the sector under a point, FALSE if none */
gboolean _defuse_memory_map_sector_at (DefuseMemoryMap *self, gdouble x, gdouble y, guint *row, guint *sector);

/* defuse-memory-map-tooltip.c */
gboolean _defuse_memory_map_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip);
/* "Sector 5 · 0x08020000–0x0803FFFF · 128 KiB · erased, then written" and
 * the memory it is in; NULL if there is no such sector */
gchar   *_defuse_memory_map_sector_text (DefuseMemoryMap *self, guint row, guint sector);
/* the detail line (hovered, else selected sector), the accessible name
 * (the memories and what happens to them) and description (the selected
 * sector) */
void     _defuse_memory_map_update_words (DefuseMemoryMap *self);

G_END_DECLS
