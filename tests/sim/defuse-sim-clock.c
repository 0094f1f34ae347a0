/* defuse-sim-clock.c: a thread that runs callbacks at exact times. */
#include <sys/prctl.h>

#include "defuse-sim-clock.h"

typedef struct {
  gint64             at_us;
  DefuseSimClockFunc func;
  gpointer           data;
  GDestroyNotify     destroy;
} Entry;

struct _DefuseSimClock {
  GMutex   mutex;
  GCond    cond;
  GQueue   entries;  /* sorted by at_us, FIFO among equal times */
  gboolean quit;
  GThread *thread;
};

static void
entry_free (Entry *entry)
{
  if (entry->destroy != NULL)
    entry->destroy (entry->data);
  g_free (entry);
}

static gpointer
clock_thread (gpointer user_data)
{
  DefuseSimClock *clock = user_data;

  /* the default 50 us slack would be added to every held request */
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  g_mutex_lock (&clock->mutex);
  while (!clock->quit)
    {
      Entry *entry = g_queue_peek_head (&clock->entries);

      if (entry == NULL)
        {
          g_cond_wait (&clock->cond, &clock->mutex);
          continue;
        }
      if (entry->at_us > g_get_monotonic_time ())
        {
          g_cond_wait_until (&clock->cond, &clock->mutex, entry->at_us);
          continue;
        }
      g_queue_pop_head (&clock->entries);

      /* callbacks take the runner's lock, which schedulers hold while
       * calling us: never run them under our own mutex */
      g_mutex_unlock (&clock->mutex);
      entry->func (entry->data);
      entry_free (entry);
      g_mutex_lock (&clock->mutex);
    }
  g_mutex_unlock (&clock->mutex);
  return NULL;
}

DefuseSimClock *
defuse_sim_clock_new (void)
{
  DefuseSimClock *clock = g_new0 (DefuseSimClock, 1);

  g_mutex_init (&clock->mutex);
  g_cond_init (&clock->cond);
  g_queue_init (&clock->entries);
  clock->thread = g_thread_new ("defuse-sim-clock", clock_thread, clock);
  return clock;
}

void
defuse_sim_clock_free (DefuseSimClock *clock)
{
  if (clock == NULL)
    return;
  g_mutex_lock (&clock->mutex);
  clock->quit = TRUE;
  g_cond_signal (&clock->cond);
  g_mutex_unlock (&clock->mutex);
  g_thread_join (clock->thread);

  g_queue_clear_full (&clock->entries, (GDestroyNotify) entry_free);
  g_cond_clear (&clock->cond);
  g_mutex_clear (&clock->mutex);
  g_free (clock);
}

void
defuse_sim_clock_schedule (DefuseSimClock *clock, gint64 at_us,
                           DefuseSimClockFunc func, gpointer data,
                           GDestroyNotify destroy)
{
  Entry *entry = g_new0 (Entry, 1);
  GList *l;

  entry->at_us = at_us;
  entry->func = func;
  entry->data = data;
  entry->destroy = destroy;

  g_mutex_lock (&clock->mutex);
  /* most entries are due after everything queued: search from the tail */
  for (l = clock->entries.tail; l != NULL; l = l->prev)
    if (((Entry *) l->data)->at_us <= at_us)
      break;
  if (l == NULL)
    g_queue_push_head (&clock->entries, entry);
  else
    g_queue_insert_after (&clock->entries, l, entry);
  if (clock->entries.head->data == entry)
    g_cond_signal (&clock->cond);
  g_mutex_unlock (&clock->mutex);
}

guint
defuse_sim_clock_pending (DefuseSimClock *clock)
{
  guint n;

  g_mutex_lock (&clock->mutex);
  n = clock->entries.length;
  g_mutex_unlock (&clock->mutex);
  return n;
}
