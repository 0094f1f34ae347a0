#include "df-poll.h"

/* Short pauses that grow with the time already waited: at most an eighth
 * of the busy time is lost past the moment the device is ready, in a
 * handful of requests, and never more than the bwPollTimeout the device
 * asked for (where it asked for none: a few milliseconds). */
static guint64
growing_pause_us (const DfPollState *st)
{
  guint64 cap = st->poll_timeout_ms > 0 ? (guint64) st->poll_timeout_ms * 1000 : DF_POLL_ZERO_TIMEOUT_CAP_US;
  guint64 pause = MAX ((guint64) MAX (st->waited_us, 0) / 8, DF_POLL_MIN_PAUSE_US);

  return MIN (pause, cap);
}

guint64
df_poll_pause_us (const DfPollState *st)
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
       * are done, so nothing is won by asking before they said */
      if (st->poll_timeout_ms == 0)
        return growing_pause_us (st);
      return (guint64) st->poll_timeout_ms * 1000;
    }
}

guint64
df_poll_stall_pause_us (const DfPollState *st)
{
  return growing_pause_us (st);
}
