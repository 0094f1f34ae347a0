/* defuse-memory-map-private.h: the memory map's rows and state, shared by
 * the files that make up the widget: its model (defuse-memory-map-model.c:
 * what the plan does to each sector), its drawing (defuse-memory-map.c) and
 * its words (defuse-memory-map-tooltip.c: tooltips, accessible text). */
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
  gchar   *title;
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
};
/* defuse-memory-map-model.c */
void     _defuse_memory_map_row_free (gpointer row);
/* self->rows and self->legend from self->plan */
void     _defuse_memory_map_rebuild (DefuseMemoryMap *self);

/* defuse-memory-map.c */
/* top of a row's bar, after allocation */
gfloat   _defuse_memory_map_bar_y (DefuseMemoryMap *self, MapRow *row);

/* defuse-memory-map-tooltip.c */
gboolean _defuse_memory_map_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip);
void     _defuse_memory_map_update_accessible (DefuseMemoryMap *self);

G_END_DECLS
