/* df-micropython-boards.h: MicroPython's boards as its sources describe
 * them (data/micropython/boards.conf, generated from a MicroPython tree by
 * build-aux/generate-micropython-boards), with what the sources do not say
 * (a ROM bootloader's layout) from data/micropython-boards.conf and the
 * user's files; and which board a running MicroPython is. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint     ref_count;
  gchar   *id;           /* the board folder: "PYBV11" */
  gchar   *port;         /* "stm32", "rp2", "esp32"... */
  gchar   *name;         /* MICROPY_HW_BOARD_NAME: "PYBv1.1"; NULL if the sources do not say */
  gchar   *mcu;          /* MICROPY_HW_MCU_NAME: "STM32F405RG"; NULL if the sources do not say */
  gchar   *product;      /* board.json: "Pyboard v1.1" */
  gchar   *vendor;       /* board.json: "George Robotics" */
  GStrv    variants;     /* board.json: "DP", "THREAD"...; never NULL */
  gboolean mboot;        /* built for MicroPython's own bootloader */
  guint32  flash_start;  /* the internal flash from the linker script, inclusive; */
  guint32  flash_end;    /* both 0 when unknown */
  guint32  fs_start;     /* the internal filesystem, inclusive; both 0 when unknown */
  guint32  fs_end;
  gchar   *bootloader_layout; /* the DFU bootloader's alt 0 name, or NULL */
} DfMpBoard;

DfMpBoard   *df_mp_board_ref (DfMpBoard *board);
void         df_mp_board_unref (DfMpBoard *board);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMpBoard, df_mp_board_unref)

/* the board of that id (case as MicroPython spells it), or NULL */
DfMpBoard   *df_mp_board_lookup (const gchar *id);
/* every board id, sorted */
GStrv        df_mp_board_list_ids (void);
/* the MicroPython version and commit the table was generated from */
const gchar *df_mp_board_table_version (void);

/* "PYBv1.1 with STM32F405RG", what the REPL's os.uname().machine and the
 * firmware's banner say for the board (variant NULL) or one of its
 * variants (some name themselves); NULL when the sources do not say */
gchar       *df_mp_board_machine (DfMpBoard *board, const gchar *variant);
gboolean     df_mp_board_has_variant (DfMpBoard *board, const gchar *variant);
/* whether Defuse can flash it: stm32 boards, through the ROM's DfuSe
 * bootloader or mboot; otherwise FALSE with an error saying which tool
 * the port's boards are flashed with */
gboolean     df_mp_board_check_dfu (DfMpBoard *board, GError **error);

/* One build of one board: what sys.implementation._build names. */
typedef struct {
  DfMpBoard *board;
  gchar     *variant;    /* NULL: the standard build */
} DfMpBuild;

DfMpBuild   *df_mp_build_new (DfMpBoard *board, const gchar *variant);
void         df_mp_build_free (DfMpBuild *build);
/* "PYBV11" or "PYBV11-DP": the _build string and the file-name prefix */
gchar       *df_mp_build_to_string (const DfMpBuild *build);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMpBuild, df_mp_build_free)

/* "PYBV11-DP" (sys.implementation._build, MicroPython >= 1.25): the build,
 * or NULL with DF_ERROR_NOT_FOUND when the table has no such board or
 * variant */
DfMpBuild   *df_mp_build_parse (const gchar *text, GError **error);
/* The builds whose machine string is machine ("PYBv1.1 with
 * STM32F405RG", what boards before 1.25 report): one board's standard
 * build and its variants that do not rename it, or several boards that
 * share a description.  Empty when none (never NULL). */
GPtrArray   *df_mp_builds_for_machine (const gchar *machine);

G_END_DECLS
