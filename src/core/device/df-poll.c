#include "df-poll.h"

/* Short pauses that grow with the time already waited: at most an eighth
 * of the busy time is lost past the moment the device is ready, in a
 * handful of requests, and never more than the bwPollTimeout the device
 * asked for (where it asked for none: a few milliseconds). */
static guint64
growing_pause_us (const DfPollState *st)
{
  guint64 cap = st->poll_timeout_ms > 0 ? MIN ((guint64) st->poll_timeout_ms * 1000, DF_POLL_LONG_WAIT_CAP_US)
                                        : DF_POLL_ZERO_TIMEOUT_CAP_US;
  guint64 pause = MAX ((guint64) MAX (st->waited_us, 0) / 8, DF_POLL_MIN_PAUSE_US);

  return MIN (pause, cap);
}

static guint64
chosen_pause_us (const DfPollState *st)
{
  switch (st->behaviour)
    {
    case DF_EARLY_STATUS_HOLD:
    case DF_EARLY_STATUS_ANSWER_BUSY:
      /* Ask at once: a device that holds the request answers the moment
       * it is done (STM32F2/F4/F7 ROMs and GD32VF103 for everything, H7
       * for writes; pydfu sends its second GETSTATUS straight after the
       * first, fwupd's ignore-polltimeout quirk does the same).  Once it
       * answers busy again (H7 erasing, mboot's main loop), short
       * growing pauses. */
      if (st->busy_answers <= 1)
        return 0;
      return growing_pause_us (st);
    case DF_EARLY_STATUS_STALL:
    case DF_EARLY_STATUS_SPEC:
    default:
      /* the spec's timing: STM32F0/L4 stall a request sent before they
       * are done, so nothing is won by asking before they said.  Where
       * the same kind of operation took longer before (an STM32L476
       * reports 10 ms for a 22 ms page erase), ask a little before that
       * instead of stalling through it: later than the spec asks, never
       * earlier */
      if (st->busy_answers <= 1 && st->expected_us > 0)
        return MAX ((guint64) st->poll_timeout_ms * 1000, (guint64) st->expected_us * 15 / 16);
      if (st->poll_timeout_ms == 0)
        return growing_pause_us (st);
      return (guint64) st->poll_timeout_ms * 1000;
    }
}

/* A device may ask for up to 0xFFFFFF ms (4.6 hours) in bwPollTimeout; a
 * broken or hostile one does.  No flash operation takes that long, so such
 * a value says nothing: short growing pauses, as for a device that asks
 * for none, up to a few seconds apart, and the operation's own deadline
 * ends the wait with an answer (dfu-util trusts the value and waits). */
guint64
df_poll_pause_us (const DfPollState *st)
{
  if ((guint64) st->poll_timeout_ms * 1000 > DF_POLL_LONG_WAIT_CAP_US)
    return growing_pause_us (st);
  /* what was learnt is capped as well: a few seconds apart at most */
  return MIN (chosen_pause_us (st), DF_POLL_LONG_WAIT_CAP_US);
}

guint64
df_poll_stall_pause_us (const DfPollState *st)
{
  /* asked at the learnt time and not done yet: it is nearly done */
  if (st->expected_us > 0 && st->waited_us < st->expected_us * 2)
    return MAX ((guint64) st->expected_us / 32, DF_POLL_MIN_PAUSE_US);
  return growing_pause_us (st);
}

/* The shortest time seen: asked a sixteenth before it, an operation that
 * is done by then teaches a shorter time, one that is not costs one retry */
void
df_poll_learn (gint64 *expected_us, gint64 seen_us)
{
  if (seen_us > 0 && (*expected_us == 0 || seen_us < *expected_us))
    *expected_us = seen_us;
}
