/* sim-stats.h: what a virtual device counts and times (keys in sim-stats.c). */
#pragma once

#include <glib.h>

#include "sim-private.h"

G_BEGIN_DECLS

typedef struct {
  guint64 count;
  guint64 bytes;     /* firmware bytes (write, read) or bytes erased */
  guint64 busy_us;
  guint64 poll_us;   /* bwPollTimeout reported for them */
  guint64 wire_us;   /* the minimal requests: DNLOAD + 2 GETSTATUS, or the UPLOAD */
  guint64 floor_us;  /* spec floor: max (busy, poll) + wire_us, summed */
  guint64 busy_floor_us; /* busy floor: busy + wire_us, summed */
  guint64 failed;    /* ended in dfuERROR */
} SimOpStats;

typedef struct {
  guint64 t_us;
  gchar  *event;
  gchar  *detail;
} SimLogEntry;

typedef struct {
  GHashTable *by_request;    /* name -> guint64 count */
  guint64     transfers;
  guint64     stalled;
  guint64     nodev;
  guint64     no_answer;
  guint64     bytes_out;     /* data stages host -> device */
  guint64     bytes_in;      /* data stages device -> host */
  guint64     wire_us;
  guint64     busy_us;
  guint64     poll_us;       /* every bwPollTimeout reported with dfuDNBUSY */
  guint64     nak_us;        /* requests held while the device was busy */
  guint64     idle_us;       /* device ready, no request */
  guint64     idle_after_poll_us; /* ready and the requested wait over, still no request */
  guint64     early_polls;   /* GETSTATUS before the bwPollTimeout had passed */
  guint64     early_refused; /* early GETSTATUS refused with dfuERROR (early-status error) */
  guint64     early_polls_after_refused; /* early GETSTATUS after the first refusal */
  guint64     first_us;      /* first request seen, G_MAXUINT64 before */
  guint64     last_us;       /* last answer */
  guint64     connects;
  guint64     disconnects;
  SimOpStats  ops[SIM_OP_LAST];
  GArray     *log;           /* of SimLogEntry */
  guint       log_dropped;
} SimStats;

SimStats *sim_stats_new (void);
void      sim_stats_free (SimStats *stats);
void      sim_stats_count_request (SimStats *stats, const gchar *name);
void      sim_stats_log (SimStats *stats, guint64 t_us, const gchar *event,
                         const gchar *format, ...) G_GNUC_PRINTF (4, 5);
guint64   sim_stats_floor_us (const SimStats *stats);
guint64   sim_stats_busy_floor_us (const SimStats *stats);
gchar    *sim_stats_to_json (const SimStats *stats, const gchar *profile,
                             const gchar *serial, gdouble time_scale);
gchar    *sim_stats_log_text (const SimStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimStats, sim_stats_free)

/* the counters of a device, for the unit tests */
const SimStats *sim_device_get_stats (SimDevice *dev);

G_END_DECLS
