/* df-clock.h: the engine's time: now, and a sleep a Cancel interrupts.
 * The product uses the monotonic clock and really sleeps; a test (the
 * device fuzzer) installs a virtual clock so a device that asks for long
 * waits costs no real time and the waits can be measured. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gint64 (*now_us) (gpointer user_data);
  /* waits us microseconds or until cancellable is cancelled */
  void   (*sleep_us) (guint64 us, GCancellable *cancellable, gpointer user_data);
  gpointer user_data;
} DfClock;

/* a test's clock for the whole process (not thread-safe: install it
 * before any engine call); NULL puts the real one back */
void   df_clock_install (const DfClock *clock);

gint64 df_clock_now_us (void);
/* returns early when cancellable (may be NULL) is cancelled */
void   df_clock_sleep_us (guint64 us, GCancellable *cancellable);

G_END_DECLS
