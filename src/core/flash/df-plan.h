/* df-plan.h: what a flash will do, decided before anything is touched.
 *
 * A plan is a pure function of (image, device, options): the alt settings
 * to select, the sectors to erase, the bytes to write and verify, and
 * whether to leave DFU mode.  It needs no USB, so it is unit-tested on its
 * own, the GUI draws it as a memory map, and the job (df-job.c) only
 * carries it out.  Problems (wrong device, element outside the memory...)
 * are listed on the plan; df_plan_check() refuses the ones that matter. */
#pragma once

#include "df-device.h"
#include "df-image.h"

G_BEGIN_DECLS

typedef struct {
  gboolean verify;       /* read back and compare (only where the device can upload) */
  gboolean leave;        /* leave DFU mode at the end */
  gboolean diff;         /* read first, skip sectors that already hold the bytes */
  gboolean mass_erase;   /* erase the whole memory instead of the sectors touched */
  gboolean has_address;  /* place a payload without address at this address */
  guint32  address;
  gint     alt;          /* -1: the file's targets (or alt 0); else only this alt */
} DfPlanOptions;

void df_plan_options_init (DfPlanOptions *options); /* verify, leave, no diff */

/* one contiguous piece of image data inside one sector */
typedef struct {
  guint32  address;
  GBytes  *data;
} DfPlanWrite;

/* a sector of the device's layout and what the plan does to it */
typedef struct {
  guint32       start;
  guint32       size;
  guint         flags;     /* DfSectorFlags */
  gboolean      touched;   /* the image writes into it */
  gboolean      erase;     /* touched and erasable: erased before writing */
} DfPlanSector;

typedef struct {
  guint8     alt;
  gchar     *name;       /* memory name, e.g. "Internal Flash" */
  GArray    *sectors;    /* of DfPlanSector, every sector of the alt's layout */
  GPtrArray *writes;     /* of DfPlanWrite, ascending, never crossing a sector */
} DfPlanTarget;

typedef struct {
  gboolean overridable;  /* --force may go on despite it */
  gchar   *message;
} DfPlanProblem;

typedef struct {
  gint       ref_count;
  DfImage   *image;
  DfDevice  *device;
  DfPlanOptions options;
  gboolean   dfuse;         /* addressed writes with DfuSe commands */
  gboolean   flip;          /* Atmel FLIP: alt 0 is the flash, alt 1 the EEPROM (df-plan-flip.c) */
  GPtrArray *targets;       /* of DfPlanTarget */
  GPtrArray *problems;      /* of DfPlanProblem */
  guint32    start_address; /* where the device jumps on leave (DfuSe) */
  guint64    write_bytes;
  guint64    touched_bytes; /* sectors the image writes into, whole */
  guint64    erase_bytes;
  guint      erase_count;
  /* the device cannot be read back: verify was asked for but is off in
   * options, and this says why; NULL otherwise */
  const gchar *not_verified;
  /* what this device can do at all, whatever was asked: the front ends
   * offer only these options */
  gboolean   can_verify;
  gboolean   can_diff;
  gboolean   can_mass_erase;
  gboolean   can_backup;
  /* the device told its memory layout, so "fits" means something (a plain
   * DFU device only takes a download) */
  gboolean   memory_known;
  /* a MicroPython board whose bootloader is unknown: the job plans again
   * once it is in DFU mode, before anything is written */
  gboolean   after_switch;
  /* a payload without an address (a raw or plain DFU file) needs one
   * given (options.address) on this device: one of the problems says so */
  gboolean   needs_address;
} DfPlan;

DfPlan  *df_plan_new (DfImage *image, DfDevice *device, const DfPlanOptions *options);
DfPlan  *df_plan_ref (DfPlan *plan);
void     df_plan_unref (DfPlan *plan);
/* FALSE with DF_ERROR_INCOMPATIBLE for the first problem not overridden */
gboolean df_plan_check (DfPlan *plan, gboolean force, GError **error);
/* a few lines saying what will happen, for the CLI and the GUI log */
gchar   *df_plan_describe (DfPlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfPlan, df_plan_unref)

G_END_DECLS
