/* defuse-bench-panel.h: bench mode in the window: armed explicitly for the
 * open file (never remembered), it flashes each board plugged in (DfBench),
 * counts passed and failed, keeps a record per board in a log whose place
 * is chosen (default under Documents) and shows the last results. */
#pragma once

#include <adwaita.h>

#include "df-bench.h"

G_BEGIN_DECLS

#define DEFUSE_TYPE_BENCH_PANEL (defuse_bench_panel_get_type ())
G_DECLARE_FINAL_TYPE (DefuseBenchPanel, defuse_bench_panel, DEFUSE, BENCH_PANEL, GtkWidget)

/* the open file: disarms, and proposes a log named after it */
void         defuse_bench_panel_set_file (DefuseBenchPanel *self, GFile *file, DfImage *image);
/* starts flashing each board plugged in with the file, with these options */
gboolean     defuse_bench_panel_arm (DefuseBenchPanel *self, const DfPlanOptions *options, GError **error);
/* takes no more boards; those in progress are cancelled safely */
void         defuse_bench_panel_disarm (DefuseBenchPanel *self);
gboolean     defuse_bench_panel_is_armed (DefuseBenchPanel *self);
DfBench     *defuse_bench_panel_get_bench (DefuseBenchPanel *self);  /* NULL unless armed */
const gchar *defuse_bench_panel_get_log (DefuseBenchPanel *self);
void         defuse_bench_panel_set_log (DefuseBenchPanel *self, const gchar *path);

G_END_DECLS
