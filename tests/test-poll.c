/* test-poll.c: when Defuse asks a busy device for its status again
 * (df-poll.c), per early-status behaviour and per known device. */
#include "df-poll.h"

#define MS 1000

static guint64
pause_after (DfEarlyStatus behaviour, guint32 poll_ms, guint busy_answers, gint64 waited_us)
{
  DfPollState st = { behaviour, poll_ms, busy_answers, waited_us, 0 };
  return df_poll_pause_us (&st);
}

static guint64
stall_pause (DfEarlyStatus behaviour, guint32 poll_ms, gint64 waited_us)
{
  DfPollState st = { behaviour, poll_ms, 1, waited_us, 0 };
  return df_poll_stall_pause_us (&st);
}

static void
test_decisions (void)
{
  static const struct {
    DfEarlyStatus behaviour;
    guint32 poll_ms;
    guint busy_answers;
    gint64 waited_us;
    guint64 pause_us;
  } cases[] = {
    /* unknown devices: the spec's timing, whatever it says */
    { DF_EARLY_STATUS_SPEC, 104, 1, 0, 104 * MS },
    { DF_EARLY_STATUS_SPEC, 5, 7, 500 * MS, 5 * MS },
    /* ... but a device that asks for 0 ms (mboot) gets pauses, not a spin */
    { DF_EARLY_STATUS_SPEC, 0, 1, 0, DF_POLL_MIN_PAUSE_US },
    { DF_EARLY_STATUS_SPEC, 0, 9, 16 * MS, 2 * MS },
    { DF_EARLY_STATUS_SPEC, 0, 99, 900 * MS, DF_POLL_ZERO_TIMEOUT_CAP_US },
    /* holds the request: ask at once, the device answers when done */
    { DF_EARLY_STATUS_HOLD, 100, 1, 0, 0 },
    { DF_EARLY_STATUS_HOLD, 104, 1, 0, 0 },
    /* ... and if it answers busy after all: short growing pauses */
    { DF_EARLY_STATUS_HOLD, 100, 2, 8 * MS, 1 * MS },
    /* answers busy again: at once first (H7 holds writes), then pauses
     * growing with the time waited, never past the reported timeout */
    { DF_EARLY_STATUS_ANSWER_BUSY, 5, 1, 0, 0 },
    { DF_EARLY_STATUS_ANSWER_BUSY, 5, 2, 0, DF_POLL_MIN_PAUSE_US },
    { DF_EARLY_STATUS_ANSWER_BUSY, 5, 3, 16 * MS, 2 * MS },
    { DF_EARLY_STATUS_ANSWER_BUSY, 5, 40, 1000 * MS, 5 * MS },
    { DF_EARLY_STATUS_ANSWER_BUSY, 0, 40, 1000 * MS, DF_POLL_ZERO_TIMEOUT_CAP_US },
    /* stalls while busy: nothing won by asking early, the spec's timing */
    { DF_EARLY_STATUS_STALL, 10, 1, 0, 10 * MS },
    /* a wait longer than any flash operation (up to 4.6 hours) says
     * nothing: growing pauses, at most a few seconds apart */
    { DF_EARLY_STATUS_SPEC, 0xffffff, 1, 0, DF_POLL_MIN_PAUSE_US },
    { DF_EARLY_STATUS_STALL, 60000, 3, 80 * MS, 10 * MS },
    { DF_EARLY_STATUS_ANSWER_BUSY, 0xffffff, 40, 100000 * MS, DF_POLL_LONG_WAIT_CAP_US },
    { DF_EARLY_STATUS_SPEC, 3000, 2, 0, 3000 * MS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpuint (pause_after (cases[i].behaviour, cases[i].poll_ms, cases[i].busy_answers,
                                     cases[i].waited_us), ==, cases[i].pause_us);
    }
}

static void
test_stall_retries (void)
{
  /* STM32L476 erasing a 2 KiB page: 22 ms, 10 ms reported.  After the
   * first stall at 10 ms the retries come at most an eighth of the time
   * waited apart and never further apart than the reported 10 ms */
  gint64 t = 10 * MS;
  guint retries = 0;

  while (t < 22 * MS)
    {
      guint64 pause = stall_pause (DF_EARLY_STATUS_STALL, 10, t);
      g_assert_cmpuint (pause, >=, DF_POLL_MIN_PAUSE_US);
      g_assert_cmpuint (pause, <=, MAX (t / 8, DF_POLL_MIN_PAUSE_US));
      t += (gint64) pause;
      retries++;
    }
  g_assert_cmpint (t, <=, 22 * MS + 22 * MS / 8);
  g_assert_cmpuint (retries, <=, 10);
  /* 0 ms reported: capped a few milliseconds */
  g_assert_cmpuint (stall_pause (DF_EARLY_STATUS_SPEC, 0, 10000 * MS), ==, DF_POLL_ZERO_TIMEOUT_CAP_US);
}

/* the known devices (the virtual devices' identities, as the quirk table
 * sees them) and what Defuse does with their status */
/* what earlier operations of the same kind teach */
static void
test_learnt_busy_times (void)
{
  DfPollState l476_erase = { DF_EARLY_STATUS_STALL, 10, 1, 0, 22 * MS };
  DfPollState spec_write = { DF_EARLY_STATUS_SPEC, 10, 1, 0, 5 * MS };
  DfPollState hold_write = { DF_EARLY_STATUS_HOLD, 104, 1, 0, 8 * MS };
  gint64 expected = 0;

  /* STM32L476, 10 ms reported for a 22 ms page erase: the next erase is
   * asked for a little before 22 ms, not at 10 ms and stalled through */
  g_assert_cmpuint (df_poll_pause_us (&l476_erase), ==, 22 * MS * 15 / 16);
  /* ... and if it is not done then, retried soon */
  l476_erase.waited_us = 22 * MS * 15 / 16;
  g_assert_cmpuint (df_poll_stall_pause_us (&l476_erase), ==, 22 * MS / 32);
  /* never earlier than the device asked, whatever was seen */
  g_assert_cmpuint (df_poll_pause_us (&spec_write), ==, 10 * MS);
  /* a device that holds the request is asked at once anyway */
  g_assert_cmpuint (df_poll_pause_us (&hold_write), ==, 0);

  /* the shortest time seen is kept */
  df_poll_learn (&expected, 23 * MS);
  g_assert_cmpint (expected, ==, 23 * MS);
  df_poll_learn (&expected, 25 * MS);
  g_assert_cmpint (expected, ==, 23 * MS);
  df_poll_learn (&expected, 21 * MS);
  g_assert_cmpint (expected, ==, 21 * MS);
  df_poll_learn (&expected, 0);
  g_assert_cmpint (expected, ==, 21 * MS);
}

static void
test_per_device (void)
{
  static const struct {
    const gchar *what;
    guint16 vid, pid, bcd;
    const gchar *serial;
    const gchar *alts[3];
    DfEarlyStatus behaviour;
    guint32 write_poll_ms;  /* what the device reports for a write */
    guint64 first_pause_us; /* Defuse's wait before the second GETSTATUS */
  } devices[] = {
    { "STM32F405", 0x0483, 0xdf11, 0x2200, "3276365C3235",
      { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", "@Option Bytes  /0x1FFFC000/01*016 e" },
      DF_EARLY_STATUS_HOLD, 104, 0 },
    { "STM32F411", 0x0483, 0xdf11, 0x2200, "3276365C3235",
      { "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg", "@Option Bytes  /0x1FFFC000/01*016 e" },
      DF_EARLY_STATUS_HOLD, 104, 0 },
    { "STM32H743", 0x0483, 0xdf11, 0x0200, "200364500000",
      { "@Internal Flash   /0x08000000/16*128Kg", "@Option Bytes   /0x5200201C/01*128 e" },
      DF_EARLY_STATUS_ANSWER_BUSY, 5, 0 },
    { "STM32L476", 0x0483, 0xdf11, 0x2200, "206B32A0594D",
      { "@Internal Flash  /0x08000000/0512*0002Kg", "@Option Bytes  /0x1FFF7800/01*040 e" },
      DF_EARLY_STATUS_STALL, 5, 5 * MS },
    { "STM32F072", 0x0483, 0xdf11, 0x2200, "FFFFFFFEFFFF",
      { "@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e" },
      DF_EARLY_STATUS_STALL, 5, 5 * MS },
    { "GD32VF103", 0x28e9, 0x0189, 0x1000, "3CBJ",
      { "@Internal Flash  /0x08000000/512*002Kg", "@Option Bytes  /0x1FFFF800/01*016 g" },
      DF_EARLY_STATUS_HOLD, 104, 0 },
    { "plain DFU 1.1", 0x1209, 0x5bf0, 0x0100, "DFU11-0001", { "Firmware" },
      DF_EARLY_STATUS_SPEC, 10, 10 * MS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (devices); i++)
    {
      g_autoptr(DfDevice) device = df_device_new ();
      g_autoptr(DfQuirks) quirks = NULL;

      g_test_message ("%s", devices[i].what);
      device->vid = devices[i].vid;
      device->pid = devices[i].pid;
      device->bcd_device = devices[i].bcd;
      device->serial = g_strdup (devices[i].serial);
      device->mode = devices[i].vid == 0x1209 ? DF_DEVICE_MODE_DFU : DF_DEVICE_MODE_DFUSE;
      for (guint a = 0; a < G_N_ELEMENTS (devices[i].alts) && devices[i].alts[a] != NULL; a++)
        df_device_add_alt (device, a, devices[i].alts[a]);
      quirks = df_quirks_lookup (device);
      g_assert_cmpstr (df_early_status_to_string (quirks->early_status), ==,
                       df_early_status_to_string (devices[i].behaviour));
      g_assert_cmpuint (pause_after (quirks->early_status, devices[i].write_poll_ms, 1, 0), ==,
                        devices[i].first_pause_us);
      /* once the device refused an early request: the spec's timing */
      g_assert_cmpuint (pause_after (DF_EARLY_STATUS_SPEC, devices[i].write_poll_ms, 1, 0), ==,
                        devices[i].write_poll_ms * MS);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/poll/decisions", test_decisions);
  g_test_add_func ("/poll/stall-retries", test_stall_retries);
  g_test_add_func ("/poll/learnt-busy-times", test_learnt_busy_times);
  g_test_add_func ("/poll/per-device", test_per_device);
  return g_test_run ();
}
