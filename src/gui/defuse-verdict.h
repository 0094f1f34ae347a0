/* defuse-verdict.h: whether the opened file fits the selected board, and
 * why: the first thing the flash page answers.  A group whose title is
 * the verdict and whose rows are its reasons. */
#pragma once

#include <adwaita.h>

#include "df-plan.h"

G_BEGIN_DECLS

typedef enum {
  DEFUSE_VERDICT_NO_DEVICE,   /* nothing to check against */
  DEFUSE_VERDICT_FITS,
  DEFUSE_VERDICT_MISMATCH,    /* made for another USB device: may be forced */
  DEFUSE_VERDICT_BLOCKED,     /* cannot be flashed to this board */
} DefuseVerdictKind;

#define DEFUSE_TYPE_VERDICT (defuse_verdict_get_type ())
G_DECLARE_FINAL_TYPE (DefuseVerdict, defuse_verdict, DEFUSE, VERDICT, GtkWidget)

/* image NULL or broken: nothing to say; plan NULL: no device selected */
void              defuse_verdict_set (DefuseVerdict *self, DfImage *image, DfPlan *plan);
DefuseVerdictKind defuse_verdict_get_kind (DefuseVerdict *self);
/* the mismatch in a sentence, for the banner at the top; NULL without one */
const gchar      *defuse_verdict_get_mismatch (DefuseVerdict *self);

G_END_DECLS
