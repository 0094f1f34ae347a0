/* df-bench.h: a bench run, for flashing a tray of boards.  It watches the
 * bus (DfMonitor) and flashes each matching board once as it arrives, in
 * parallel with the boards already running, until stopped or N boards are
 * done, and appends one JSON Lines record per board (df-bench-record.c).
 *
 * A board is matched by the file's VID:PID, or by the selectors the user
 * gives (VID:PID, serial or port path), and identified by serial AND port
 * path: serials repeat (every STM32F0 ROM reports FFFFFFFEFFFF).  A board
 * that comes back on its port soon after its own leave (with the new
 * firmware, or in DFU mode again: L4, G0, G4 and F04x parts check whether
 * the flash is empty at reset) is the same board and is not flashed again.
 * A board unplugged and plugged in again is flashed again only when asked
 * for repeats; a board that failed is retried when it is plugged in again.
 *
 * Signals are emitted in the main context of the thread that made it. */
#pragma once

#include <gio/gio.h>

#include "df-device.h"
#include "df-image.h"
#include "df-job.h"
#include "df-plan.h"

G_BEGIN_DECLS

typedef enum {
  DF_BOARD_FLASHING,
  DF_BOARD_OK,
  DF_BOARD_FAILED,
} DfBoardState;

/* what the read-back said, for the record */
typedef enum {
  DF_VERIFY_OK,
  DF_VERIFY_FAILED,       /* the device holds other bytes */
  DF_VERIFY_SKIPPED,      /* --no-verify */
  DF_VERIFY_UNAVAILABLE,  /* the device cannot upload */
  DF_VERIFY_NOT_REACHED,  /* the flash failed before (or while) verifying */
} DfVerifyOutcome;

const gchar *df_verify_outcome_to_string (DfVerifyOutcome outcome);  /* "ok", "not-reached"... */

/* One board of the run: read on the main thread, between signals. */
typedef struct {
  gint             ref_count;
  guint            number;     /* 1, 2, ... in the order they started */
  DfDevice        *device;
  DfBoardState     state;
  DfProgress       progress;   /* the latest, for a progress bar */
  GDateTime       *started;
  gdouble          seconds;    /* wall time of the flash */
  guint64          bytes;      /* bytes written */
  DfVerifyOutcome  verify;
  GError          *error;      /* when failed */
  GError          *record_error; /* the record could not be written */
  /*< private >*/
  DfJob           *job;
  DfPhase          phase;      /* the furthest phase reached */
  gint64           finished_us;
  gint64           left_us;    /* when it left the bus after its flash */
  gboolean         unplugged;  /* removed other than by its own leave */
  DfProgress       pending;    /* from the job's thread, under the bench's lock */
  gboolean         queued;
} DfBoard;

DfBoard *df_board_ref (DfBoard *board);
void     df_board_unref (DfBoard *board);
/* "serial 3276365C3235 at 1-2" */
gchar   *df_board_describe (DfBoard *board);

#define DF_TYPE_BENCH (df_bench_get_type ())
G_DECLARE_FINAL_TYPE (DfBench, df_bench, DF, BENCH, GObject)

/* file: the path the image was loaded from (named and hashed in the record) */
DfBench     *df_bench_new (DfImage *image, const gchar *file, const DfPlanOptions *options,
                           GError **error);
/* VID:PID, serial or port path; NULL or empty: the file's VID:PID */
void         df_bench_set_selectors (DfBench *self, const gchar *const *selectors);
void         df_bench_set_count (DfBench *self, guint count);   /* 0: until stopped */
void         df_bench_set_repeat (DfBench *self, gboolean repeat);
void         df_bench_set_force (DfBench *self, gboolean force);
/* appends a record per board to path (created if missing) */
gboolean     df_bench_set_log (DfBench *self, const gchar *path, GError **error);
const gchar *df_bench_get_log (DfBench *self);
const gchar *df_bench_get_sha256 (DfBench *self);

/* starts watching; fails when the file names no USB ids and no selector
 * was given (flashing "any DFU device" as it arrives is how a bench
 * flashes the wrong board) */
gboolean     df_bench_start (DfBench *self, GError **error);
/* takes no more boards; with cancel, also cancels those in progress
 * (each is returned to dfuIDLE and recorded as failed).  "finished" is
 * emitted once none is running. */
void         df_bench_stop (DfBench *self, gboolean cancel);
gboolean     df_bench_is_running (DfBench *self);

GPtrArray   *df_bench_get_boards (DfBench *self);  /* of DfBoard, in start order */
guint        df_bench_get_passed (DfBench *self);
guint        df_bench_get_failed (DfBench *self);
guint        df_bench_get_running (DfBench *self);

/* df-bench-record.c: one JSON object per line, appended and flushed to the
 * disk per board, so a crash or a power cut loses no finished row */
typedef struct _DfBenchRecord DfBenchRecord;

DfBenchRecord *df_bench_record_open (const gchar *path, GError **error);
void           df_bench_record_close (DfBenchRecord *record);
const gchar   *df_bench_record_get_path (DfBenchRecord *record);
gboolean       df_bench_record_append (DfBenchRecord *record, DfBoard *board,
                                       const gchar *file, const gchar *sha256, GError **error);
/* the line that df_bench_record_append writes, without the newline */
gchar         *df_bench_record_format (DfBoard *board, const gchar *file, const gchar *sha256);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfBoard, df_board_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfBenchRecord, df_bench_record_close)

G_END_DECLS
