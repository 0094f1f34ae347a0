/* df-micropython-check.h: what a firmware file says it is, and whether it
 * fits a board running MicroPython.  Every MicroPython firmware holds the
 * banner its REPL prints, "MicroPython v1.25.0 on 2025-04-15; PYBv1.1 with
 * STM32F405RG" (shared/runtime/pyexec.c: MICROPY_BANNER_NAME_AND_VERSION,
 * MICROPY_BUILD_DATE, MICROPY_HW_BOARD_NAME " with " MICROPY_HW_MCU_NAME),
 * a plain string in flash: the board and MCU it was built for. */
#pragma once

#include "df-image.h"
#include "df-micropython-boards.h"
#include "df-micropython-release.h"

G_BEGIN_DECLS

typedef struct {
  gchar *version;   /* "1.25.0" (without the "v") */
  gchar *date;      /* "2025-04-15" */
  gchar *machine;   /* "PYBv1.1 with STM32F405RG" */
} DfMpBanner;

void        df_mp_banner_free (DfMpBanner *banner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMpBanner, df_mp_banner_free)

/* the first MicroPython banner in the image's data, or NULL */
DfMpBanner *df_mp_banner_find (DfImage *image);

/* For any file about to be flashed onto a board whose MicroPython identity
 * is known (machine: what it reports, "PYBv1.1 with STM32F405RG"): FALSE
 * with DF_ERROR_INCOMPATIBLE when the file's banner names another board or
 * MCU, a mismatch the front ends let the user override as they do a
 * VID:PID mismatch.  A file without a banner passes. */
gboolean    df_micropython_check_banner (DfImage *image, const gchar *machine, GError **error);

/* Every check on a file downloaded for board (release: what its name
 * says): a DfuSe file that parses, CRC right, every element inside the
 * board's flash, USB ids a DFU bootloader of the board has, and a banner,
 * where there is one, naming the board (or one of its variants) and the
 * release's version.  FALSE with DF_ERROR_INVALID_FILE saying what failed. */
gboolean    df_mp_check_download (GBytes *bytes, DfMpBoard *board, const DfMpRelease *release, GError **error);

G_END_DECLS
