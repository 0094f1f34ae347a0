/* df-layout.h: DfuSe memory layouts, the alternate-setting names of ST's
 * bootloaders (UM0424 4.3.2, AN3156), for example
 *
 *   @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg
 *
 * A name after '@', then one or more regions, each "/0xADDR/" followed by
 * sector groups "N*SIZE" with a multiplier (B, K, M or a space for bytes)
 * and a type letter a..g whose low three bits say readable (1), erasable (2)
 * and writeable (4).  The engine plans erases with it, the GUI shows it and
 * the virtual devices of tests/sim/ build their memory from it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DF_SECTOR_READABLE  = 1 << 0,
  DF_SECTOR_ERASABLE  = 1 << 1,
  DF_SECTOR_WRITEABLE = 1 << 2,
} DfSectorFlags;

#define DF_SECTOR_ALL (DF_SECTOR_READABLE | DF_SECTOR_ERASABLE | DF_SECTOR_WRITEABLE)

/* a layout with more sectors is refused: 16 MiB in 256-byte pages; the
 * most seen in the field (shared corpus, dfu-alt-names.tsv) is 4096 */
#define DF_LAYOUT_MAX_SECTORS 65536

/* count sectors of size bytes each, one after the other */
typedef struct {
  guint32       count;
  guint32       size;
  DfSectorFlags flags;
} DfSectorGroup;

typedef struct {
  guint32  start;
  guint64  size;      /* of all groups; start + size <= 4 GiB */
  GArray  *groups;    /* of DfSectorGroup, in address order */
} DfRegion;

typedef struct {
  gchar     *name;     /* "Internal Flash": no '@', spaces trimmed */
  GPtrArray *regions;  /* of DfRegion, in string order */
  GPtrArray *notes;    /* of gchar: oddities that were accepted, e.g. a missing multiplier */
} DfLayout;

/* one sector, as found by address */
typedef struct {
  guint32       start;
  guint32       size;
  DfSectorFlags flags;
  guint         region;  /* index in layout->regions */
  guint         index;   /* sector number within its region, from 0 */
} DfSector;

/* Parses a DfuSe alternate-setting name.  Lenient where the bootloaders in
 * the field are sloppy (padding spaces, leading zeros, a missing
 * multiplier), a DF_ERROR_PROTOCOL error saying what is wrong at which
 * character (1-based) when the string cannot be trusted. */
DfLayout       *df_layout_parse (const gchar *str, GError **error);
void            df_layout_free (DfLayout *layout);

gboolean        df_layout_find_sector (const DfLayout *layout, guint32 address, DfSector *sector);
const DfRegion *df_layout_find_region (const DfLayout *layout, guint32 address);
guint64         df_layout_get_size (const DfLayout *layout);   /* all regions */
guint           df_layout_count_sectors (const DfLayout *layout);
/* every sector of every region in order, as DfSector */
GArray         *df_layout_get_sectors (const DfLayout *layout);

/* "Internal Flash, 1 MiB at 0x08000000: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB" */
gchar          *df_layout_describe (const DfLayout *layout);
/* "16 KiB", "1 MiB", "528 bytes", "1 byte" */
gchar          *df_layout_format_size (guint64 size);
/* dfu-util's notation: "rew", "r-w", "---" */
const gchar    *df_sector_flags_to_string (DfSectorFlags flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfLayout, df_layout_free)

G_END_DECLS
