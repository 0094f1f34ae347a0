/* defuse-sim-clock.h: runs callbacks at exact monotonic times.
 *
 * A held USB request must be answered when the device would answer, to
 * the microsecond: GLib's main loop wakes in whole milliseconds, which at
 * thousands of requests per flash would add seconds that no device causes.
 * The clock is one thread sleeping on a condition variable (futex with
 * CLOCK_MONOTONIC, the clock of g_get_monotonic_time) with minimal timer
 * slack. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DefuseSimClock DefuseSimClock;
typedef void (*DefuseSimClockFunc) (gpointer data);

DefuseSimClock *defuse_sim_clock_new (void);
/* stops the thread; entries not yet due are dropped (their destroy runs) */
void            defuse_sim_clock_free (DefuseSimClock *clock);
/* func runs on the clock thread at at_us (g_get_monotonic_time), or at
 * once if that has passed; entries with equal times run in order */
void            defuse_sim_clock_schedule (DefuseSimClock *clock, gint64 at_us,
                                           DefuseSimClockFunc func, gpointer data,
                                           GDestroyNotify destroy);
/* entries still waiting */
guint           defuse_sim_clock_pending (DefuseSimClock *clock);

G_END_DECLS
