#include "df-clock.h"

static gint64
real_now_us (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static void
real_sleep_us (guint64 us, GCancellable *cancellable, gpointer user_data)
{
  GPollFD fd;

  /* poll on the cancellable's fd: a Cancel wakes us at once */
  if (cancellable != NULL && us >= 1000 && g_cancellable_make_pollfd (cancellable, &fd))
    {
      fd.events = G_IO_IN;
      g_poll (&fd, 1, (gint) MIN (us / 1000, (guint64) G_MAXINT));
      g_cancellable_release_fd (cancellable);
      return;
    }
  g_usleep ((gulong) us);
}

static const DfClock real_clock = { real_now_us, real_sleep_us, NULL };
static const DfClock *current = &real_clock;

void
df_clock_install (const DfClock *clock)
{
  current = clock != NULL ? clock : &real_clock;
}

gint64
df_clock_now_us (void)
{
  return current->now_us (current->user_data);
}

void
df_clock_sleep_us (guint64 us, GCancellable *cancellable)
{
  current->sleep_us (us, cancellable, current->user_data);
}
