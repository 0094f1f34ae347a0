/* df-job-flip.c: a flash of an AVR through Atmel's FLIP bootloader (the
 * protocol is df-flip.c): check the chip, erase it, write whole pages,
 * verify by reading back, start the application.
 *
 * A step that fails through a hiccup (a stall, a lost or garbled answer,
 * an error status) is asked again once the device is back in dfuIDLE,
 * within the job's retries (df-job-retry.c).  Asking again is harmless
 * for every step: reading changes nothing, a chip erase erases what the
 * plan erases anyway, and programming the same bytes again leaves them as
 * they are (a cell only goes from 1 to 0; LUFA erases each page as it
 * writes it).  A run that verifies wrong is written again once. */
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-flip.h"
#include "df-job-private.h"

/* one contiguous run of the plan's writes in one memory */
typedef struct {
  guint32     address;
  GByteArray *data;
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;
  g_byte_array_unref (run->data);
  g_free (run);
}

/* the plan's pieces (split at 128-byte pages) joined again into runs */
static GPtrArray *
collect_runs (DfPlanTarget *target)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func (run_free);
  Run *run = NULL;

  for (guint i = 0; i < target->writes->len; i++)
    {
      DfPlanWrite *w = g_ptr_array_index (target->writes, i);
      gsize size;
      const guint8 *bytes = g_bytes_get_data (w->data, &size);

      if (run == NULL || run->address + run->data->len != w->address)
        {
          run = g_new0 (Run, 1);
          run->address = w->address;
          run->data = g_byte_array_new ();
          g_ptr_array_add (runs, run);
        }
      g_byte_array_append (run->data, bytes, (guint) size);
    }
  return runs;
}

typedef gboolean (*Step) (DfJob *job, gpointer data, GError **error);

static gboolean
retrying (DfJob *job, const gchar *what, Step step, gpointer data, GError **error)
{
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (step (job, data, &local))
        return TRUE;
      if (!df_job_may_retry (job, &local, what, FALSE, 0, error))
        return FALSE;
    }
}

/* The signature against the id: a chip the id does not name is refused
 * before anything is erased; 0xFF bytes are Atmel's bootloader after an
 * erase (until the next power-up), not a chip. */
static gboolean
check_chip (DfJob *job, gpointer unused, GError **error)
{
  DfDevice *device = job->device;
  const DfFlipChip *chip;
  guint8 sig[3];

  if (!df_flip_read_signature (&job->conn, sig, error))
    return FALSE;
  if (sig[0] == 0xff && sig[1] == 0xff && sig[2] == 0xff)
    {
      /* TRANSLATORS: a transcript line; the chip's name */
      df_job_log (job, _("the chip's signature reads FF FF FF (Atmel's bootloader does so after an erase until "
                         "the keyboard is unplugged): going by its USB id, an %s"), device->flip_chip->name);
      return TRUE;
    }
  chip = df_flip_chip_by_signature (device->pid, sig);
  if (chip == NULL)
    {
      const DfFlipChip *other = df_flip_chip_any_by_signature (sig);
      g_autofree gchar *what = other != NULL ? g_strdup_printf (_("an %s"), other->name)
                                             : g_strdup (_("a chip Defuse does not know"));
      if (job->force)
        {
          df_job_log (job, _("the chip's signature %02X %02X %02X does not match its USB id: going on (--force)"),
                      sig[0], sig[1], sig[2]);
          return TRUE;
        }
      g_set_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
                   _("the chip's signature %02X %02X %02X says it is %s, but its USB id %04x:%04x says an %s: "
                     "its bootloader is not the one for this chip, and writing with the wrong sizes could damage "
                     "the bootloader. Nothing was erased. Reprogram the bootloader with an ISP programmer, or "
                     "use --force if you are sure of the memory sizes"),
                   sig[0], sig[1], sig[2], what, device->vid, device->pid, device->flip_chip->name);
      return FALSE;
    }
  device->flip_chip = chip;
  df_job_log (job, _("chip: %s (signature %02X %02X %02X)"), chip->name, sig[0], sig[1], sig[2]);
  return TRUE;
}

static gboolean
read_lock (DfJob *job, gpointer locked, GError **error)
{
  return df_flip_is_locked (&job->conn, locked, error);
}

/* An EEPROM-only flash on a locked chip needs the chip erase that also
 * erases the firmware: only with --force. */
static gboolean
check_lock (DfJob *job, gboolean erasing, gboolean *erase, GError **error)
{
  gboolean locked = FALSE;

  *erase = erasing;
  if (erasing)
    return TRUE;
  if (!retrying (job, _("reading the lock"), read_lock, &locked, error))
    return FALSE;
  if (!locked)
    return TRUE;
  if (!job->force)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTECTED,
                   _("the %s is locked: Atmel's bootloader writes the EEPROM only after a chip erase, which also "
                     "erases the firmware. Nothing was changed. Flash the firmware first and then the EEPROM, or "
                     "run again with --force to erase the chip (the firmware is lost)"),
                   job->device->flip_chip->name);
      return FALSE;
    }
  df_job_log (job, _("the chip is locked: erasing it first (--force), the firmware is lost"));
  *erase = TRUE;
  return TRUE;
}

/* the chip erase, and the device's own check of what it did */
static gboolean
erase_chip (DfJob *job, gpointer unused, GError **error)
{
  guint32 app = df_flip_chip_app_size (job->device->flip_chip);

  job->mass_erase_sent = TRUE;
  if (!df_flip_chip_erase (&job->conn, error))
    return FALSE;
  /* what the erase did, checked by the device itself, page by page of 64 KiB */
  for (guint32 at = 0; at < app; at += 0x10000)
    {
      guint32 end = MIN (app, at + 0x10000) - 1;
      gboolean blank = FALSE;
      guint16 used = 0;

      if (!df_flip_select_page (&job->conn, (guint8) (at >> 16), error) ||
          !df_flip_blank_check (&job->conn, at & 0xffff, end & 0xffff, &blank, &used, error))
        return FALSE;
      if (!blank)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_WRITE,
                       _("the chip erase left the flash at 0x%05x not blank; unplug the keyboard, enter its "
                         "bootloader again and retry"), at + used);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
erase (DfJob *job, GError **error)
{
  guint32 app = df_flip_chip_app_size (job->device->flip_chip);

  df_job_begin_phase (job, DF_PHASE_ERASE, app);
  if (!retrying (job, _("erasing"), erase_chip, NULL, error))
    return FALSE;
  job->erased_sectors = 1;
  df_job_on_chunk (app, 0, job);
  df_job_log_range (job, RANGE_ERASED, 0, app);
  return TRUE;
}

/* Whole pages of flash: the run, the bytes of the other runs that share
 * its first and last pages, 0xFF elsewhere.  LUFA erases a page as it
 * writes it, so a page written for one run must carry the others' bytes
 * in it, or they are lost (fuzz-device found a first run lost and the
 * flash verified, the second run's page rewritten after it); the factory
 * bootloader programs over the erased cells, where 0xFF keeps them and
 * the same bytes again change nothing.  Pages that are all 0xFF are left
 * as the erase made them. */
static GByteArray *
pad_to_pages (const Run *run, GPtrArray *runs, guint page, guint32 *start)
{
  GByteArray *padded = g_byte_array_new ();
  guint32 first = run->address - run->address % page;
  guint32 end = run->address + run->data->len;
  guint32 last = end % page == 0 ? end : end + page - end % page;

  g_byte_array_set_size (padded, last - first);
  memset (padded->data, 0xff, padded->len);
  for (guint r = 0; r < runs->len; r++)
    {
      const Run *other = g_ptr_array_index (runs, r);
      guint32 from = MAX (other->address, first);
      guint32 to = MIN (other->address + other->data->len, last);

      if (from < to)
        memcpy (padded->data + (from - first), other->data->data + (from - other->address), to - from);
    }
  *start = first;
  return padded;
}

typedef struct {
  DfFlipMemory  memory;
  guint32       address;
  const guint8 *data;
  guint32       size;
} Block;

static gboolean
write_block (DfJob *job, gpointer data, GError **error)
{
  Block *b = data;
  return df_flip_write_block (&job->conn, b->memory, b->address, b->data, b->size, error);
}

static gboolean
read_block (DfJob *job, gpointer data, GError **error)
{
  Block *b = data;
  return df_flip_read_block (&job->conn, b->memory, b->address, (guint8 *) b->data, b->size, error);
}

/* one run; counted: its bytes go into the progress (not when a run that
 * verified wrong is written again) */
static gboolean
write_run (DfJob *job, DfFlipMemory memory, GPtrArray *runs, Run *run, gboolean erased, gboolean counted,
           GError **error)
{
  guint page = memory == DF_FLIP_FLASH ? job->device->flip_chip->page_size : 1;
  guint32 start = run->address;
  g_autoptr(GByteArray) bytes = memory == DF_FLIP_FLASH ? pad_to_pages (run, runs, page, &start)
                                                        : g_byte_array_ref (run->data);

  for (guint32 off = 0; off < bytes->len;)
    {
      guint32 at = start + off;
      guint32 n = MIN (bytes->len - off, DF_FLIP_MAX_BLOCK);
      guint32 lo;
      guint64 hi;
      Block block;

      n = MIN (n, 0x10000 - (at & 0xffff));   /* never across 64 KiB */
      block = (Block) { memory, at, bytes->data + off, n };
      /* a block of erased pages needs no programming */
      if (!(erased && memory == DF_FLIP_FLASH && df_job_all_erased (bytes->data + off, n)) &&
          !retrying (job, _("writing"), write_block, &block, error))
        return FALSE;
      /* the file's bytes, not the page's 0xFF padding */
      lo = MAX (at, run->address);
      hi = MIN ((guint64) at + n, (guint64) run->address + run->data->len);
      if (counted && hi > lo)
        df_job_on_write_chunk ((gsize) (hi - lo), lo, job);
      off += n;
    }
  return TRUE;
}

static gboolean
write_memory (DfJob *job, DfFlipMemory memory, GPtrArray *runs, gboolean erased, GError **error)
{
  for (guint r = 0; r < runs->len; r++)
    {
      Run *run = g_ptr_array_index (runs, r);

      if (!write_run (job, memory, runs, run, erased, TRUE, error))
        return FALSE;
      df_job_log_range (job, RANGE_WRITTEN, run->address, run->data->len);
    }
  return TRUE;
}

static gboolean
verify_run (DfJob *job, DfFlipMemory memory, Run *run, GError **error)
{
  g_autofree guint8 *back = g_malloc (DF_FLIP_MAX_BLOCK);

  for (guint32 off = 0; off < run->data->len;)
    {
      guint32 at = run->address + off;
      guint32 n = MIN (MIN (run->data->len - off, DF_FLIP_MAX_BLOCK), 0x10000 - (at & 0xffff));
      Block block = { memory, at, back, n };

      if (!retrying (job, _("reading"), read_block, &block, error))
        return FALSE;
      for (guint32 i = 0; i < n; i++)
        if (back[i] != run->data->data[off + i])
          {
            g_set_error (error, DF_ERROR, DF_ERROR_VERIFY,
                         _("verify failed: at 0x%05x the %s holds 0x%02x instead of 0x%02x; flash again, and "
                           "if it fails again the chip may be worn"),
                         at + i, memory == DF_FLIP_EEPROM ? _("EEPROM") : _("flash"), back[i],
                         run->data->data[off + i]);
            return FALSE;
          }
      df_job_on_chunk (n, at, job);
      off += n;
    }
  return TRUE;
}

/* a run that reads back wrong is written again (a write the device lost,
 * a bit that did not take) and verified again; wrong twice is an error */
static gboolean
verify_memory (DfJob *job, DfFlipMemory memory, GPtrArray *runs, gboolean erased, GError **error)
{
  for (guint r = 0; r < runs->len; r++)
    {
      Run *run = g_ptr_array_index (runs, r);
      guint64 done = job->progress.done;
      g_autoptr(GError) wrong = NULL;

      if (!verify_run (job, memory, run, &wrong))
        {
          if (!g_error_matches (wrong, DF_ERROR, DF_ERROR_VERIFY) ||
              !df_job_may_retry (job, &wrong, _("verifying"), FALSE, 0, error) ||
              !write_run (job, memory, runs, run, erased, FALSE, error))
            {
              if (wrong != NULL)
                g_propagate_error (error, g_steal_pointer (&wrong));
              return FALSE;
            }
          /* TRANSLATORS: a transcript line: the range written again */
          df_job_log (job, _("wrote 0x%05x–0x%05x again"), run->address, run->address + run->data->len - 1);
          job->progress.done = done;
          if (!verify_run (job, memory, run, error))
            return FALSE;
        }
      df_job_log_range (job, RANGE_VERIFIED, run->address, run->data->len);
    }
  return TRUE;
}

/* a watchdog reset, as dfu-programmer's `reset` and QMK's recipe do */
static gboolean
start_application (DfJob *job, gpointer unused, GError **error)
{
  return df_flip_start_application (&job->conn, TRUE, error);
}

static gboolean
run_steps (DfJob *job, GPtrArray **runs, GError **error)
{
  DfPlan *plan = job->plan;
  gboolean erase_needed = FALSE;
  gboolean erased = FALSE;

  for (guint t = 0; t < plan->targets->len; t++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, t);
      if (target->alt > DF_FLIP_EEPROM)
        continue;
      g_clear_pointer (&runs[target->alt], g_ptr_array_unref);
      runs[target->alt] = collect_runs (target);
      erase_needed |= target->alt == DF_FLIP_FLASH && target->writes->len > 0;
    }

  if (!retrying (job, _("reading the chip's identity"), check_chip, NULL, error) ||
      !check_lock (job, erase_needed, &erased, error))
    return FALSE;
  if (erased && !erase (job, error))
    return FALSE;

  df_job_begin_phase (job, DF_PHASE_WRITE, plan->write_bytes);
  for (guint m = 0; m < 2; m++)
    if (runs[m] != NULL && !write_memory (job, m, runs[m], erased, error))
      return FALSE;

  if (plan->options.verify)
    {
      df_job_begin_phase (job, DF_PHASE_VERIFY, plan->write_bytes);
      for (guint m = 0; m < 2; m++)
        if (runs[m] != NULL && !verify_memory (job, m, runs[m], erased, error))
          return FALSE;
    }

  if (plan->options.leave)
    {
      df_job_begin_phase (job, DF_PHASE_LEAVE, 1);
      if (!retrying (job, _("starting the application"), start_application, NULL, error))
        return FALSE;
      df_job_on_chunk (1, 0, job);
    }
  return TRUE;
}

gboolean
df_job_run_flip (DfJob *job, GError **error)
{
  GPtrArray *runs[2] = { NULL, NULL };
  gboolean ok = run_steps (job, runs, error);

  for (guint m = 0; m < 2; m++)
    g_clear_pointer (&runs[m], g_ptr_array_unref);
  return ok;
}
