#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-micropython.h"
#include "df-micropython-check.h"
#include "df-flip.h"
#include "df-plan-private.h"

void
df_plan_options_init (DfPlanOptions *options)
{
  memset (options, 0, sizeof *options);
  options->verify = TRUE;
  options->leave = TRUE;
  options->alt = -1;
}

static void
write_free (gpointer data)
{
  DfPlanWrite *write = data;
  g_bytes_unref (write->data);
  g_free (write);
}

static void
target_free (gpointer data)
{
  DfPlanTarget *target = data;
  g_free (target->name);
  g_array_unref (target->sectors);
  g_ptr_array_unref (target->writes);
  g_free (target);
}

static void
problem_free (gpointer data)
{
  DfPlanProblem *problem = data;
  g_free (problem->message);
  g_free (problem);
}

#define add_problem df_plan_add_problem

void
df_plan_add_problem (DfPlan *plan, gboolean overridable, const gchar *format, ...)
{
  DfPlanProblem *problem = g_new0 (DfPlanProblem, 1);
  va_list args;

  problem->overridable = overridable;
  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (plan->problems, problem);
}

static DfPlanTarget *
add_target (DfPlan *plan, guint8 alt, const gchar *name)
{
  DfPlanTarget *target = g_new0 (DfPlanTarget, 1);
  target->alt = alt;
  target->name = g_strdup (name);
  target->sectors = g_array_new (FALSE, TRUE, sizeof (DfPlanSector));
  target->writes = g_ptr_array_new_with_free_func (write_free);
  g_ptr_array_add (plan->targets, target);
  return target;
}

static void
add_write (DfPlanTarget *target, guint32 address, GBytes *data, gsize offset, gsize size)
{
  DfPlanWrite *write = g_new0 (DfPlanWrite, 1);
  write->address = address;
  write->data = g_bytes_new_from_bytes (data, offset, size);
  g_ptr_array_add (target->writes, write);
}

static gint
compare_writes (gconstpointer a, gconstpointer b)
{
  const DfPlanWrite *wa = *(const DfPlanWrite **) a;
  const DfPlanWrite *wb = *(const DfPlanWrite **) b;
  return wa->address < wb->address ? -1 : wa->address > wb->address;
}

/* the ids in the file's suffix against the device: 0xFFFF means any and
 * 0x0000 (ST's DfuFileMgr) means unspecified */
static void
check_ids (DfPlan *plan)
{
  DfImage *image = plan->image;
  DfDevice *device = plan->device;
  gboolean vid_ok, pid_ok;

  if (!image->has_suffix)
    return;
  /* a MicroPython board's ids are its firmware's: the bootloader's are
   * checked when the job plans again after the switch */
  if (device->mode == DF_DEVICE_MODE_MICROPYTHON)
    return;
  vid_ok = image->suffix.vid == DF_ID_ANY || image->suffix.vid == 0 || image->suffix.vid == device->vid;
  pid_ok = image->suffix.pid == DF_ID_ANY || image->suffix.pid == 0 || image->suffix.pid == device->pid;
  if (!vid_ok || !pid_ok)
    add_problem (plan, TRUE,
                 _("the file is for USB device %04x:%04x but this device is %04x:%04x; "
                   "flash it only if you are sure it is the right firmware (--force)"),
                 image->suffix.vid, image->suffix.pid, device->vid, device->pid);
}

/* a board running MicroPython: the file's banner must name the board and
 * MCU it reports (both firmware files carry 0483:df11, so the ids alone do
 * not tell a DCFURS build from a pyboard's) */
static void
check_banner (DfPlan *plan)
{
  DfMicroPython *board = plan->device->micropython;
  g_autoptr(GError) mismatch = NULL;

  if (board != NULL && !df_micropython_check_banner (plan->image, board->machine, &mismatch))
    add_problem (plan, TRUE, "%s", mismatch->message);
}

/* Splits one element at sector boundaries; every byte must land in a
 * writeable sector of the alt's layout. */
static void
plan_segment (DfPlan *plan, DfPlanTarget *target, const DfLayout *layout, guint index,
              guint32 address, GBytes *data)
{
  gsize size = g_bytes_get_size (data);
  guint64 end = (guint64) address + size;
  guint64 at = address;

  while (at < end)
    {
      DfSector sector;
      guint64 piece_end;

      if (!df_layout_find_sector (layout, (guint32) at, &sector))
        {
          add_problem (plan, FALSE,
                       _("element %u (0x%08x-0x%08" PRIx64 ") does not fit the device: "
                         "0x%08" PRIx64 " is outside “%s” of alt %u"),
                       index + 1, address, end - 1, at, layout->name, target->alt);
          return;
        }
      if (!(sector.flags & DF_SECTOR_WRITEABLE))
        {
          add_problem (plan, FALSE,
                       _("element %u (0x%08x-0x%08" PRIx64 ") writes to 0x%08x, "
                         "a sector of “%s” that the device says is not writeable"),
                       index + 1, address, end - 1, sector.start, layout->name);
          return;
        }
      piece_end = MIN (end, (guint64) sector.start + sector.size);
      add_write (target, (guint32) at, data, (gsize) (at - address), (gsize) (piece_end - at));
      at = piece_end;
    }
}

/* whether a write lands in [start, start + size).  The writes are sorted
 * and do not overlap (check_overlaps); the sectors come in the order the
 * device's layout lists its regions, which need not be ascending, and may
 * overlap (fuzz-device: with the regions out of order, a plan marked no
 * sector touched, and its writes went to memory nothing erased) */
static gboolean
writes_into (DfPlanTarget *target, guint32 start, guint32 size)
{
  guint lo = 0, hi = target->writes->len;

  /* the first write that ends after start */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      DfPlanWrite *w = g_ptr_array_index (target->writes, mid);

      if ((guint64) w->address + g_bytes_get_size (w->data) <= start)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < target->writes->len &&
         ((DfPlanWrite *) g_ptr_array_index (target->writes, lo))->address < (guint64) start + size;
}

static void
plan_sectors (DfPlan *plan, DfPlanTarget *target, const DfLayout *layout)
{
  g_autoptr(GArray) sectors = df_layout_get_sectors (layout);

  for (guint i = 0; i < sectors->len; i++)
    {
      DfSector *s = &g_array_index (sectors, DfSector, i);
      DfPlanSector ps = { .start = s->start, .size = s->size, .flags = s->flags };

      ps.touched = writes_into (target, s->start, s->size);
      ps.erase = ps.touched && (s->flags & DF_SECTOR_ERASABLE) && !plan->options.mass_erase;
      if (ps.touched)
        plan->touched_bytes += s->size;
      if (ps.erase)
        {
          plan->erase_count++;
          plan->erase_bytes += s->size;
        }
      g_array_append_val (target->sectors, ps);
    }
}

static void
check_overlaps (DfPlan *plan, DfPlanTarget *target)
{
  for (guint i = 1; i < target->writes->len; i++)
    {
      DfPlanWrite *a = g_ptr_array_index (target->writes, i - 1);
      DfPlanWrite *b = g_ptr_array_index (target->writes, i);
      if ((guint64) a->address + g_bytes_get_size (a->data) > b->address)
        {
          add_problem (plan, FALSE,
                       _("the file writes 0x%08x of alt %u twice (overlapping elements): "
                         "which bytes should the device keep?"), b->address, target->alt);
          return;
        }
    }
}

/* a plain DFU 1.1 device: one payload, blocks from 0, no addresses */
static void
plan_plain (DfPlan *plan, GPtrArray *segments, guint8 alt)
{
  DfPlanTarget *target;
  DfSegment *segment;

  if (segments->len != 1 || ((DfSegment *) g_ptr_array_index (segments, 0))->has_address)
    {
      add_problem (plan, FALSE,
                   _("this device speaks plain DFU 1.1 and takes one payload with no addresses; "
                     "the file is a %s file with %u segments (use a plain .dfu or .bin file)"),
                   df_format_to_string (plan->image->format), segments->len);
      return;
    }
  if (df_device_find_alt (plan->device, alt) == NULL)
    {
      add_problem (plan, FALSE, _("the device has no alt setting %u"), alt);
      return;
    }
  segment = g_ptr_array_index (segments, 0);
  target = add_target (plan, alt, df_device_find_alt (plan->device, alt)->name);
  add_write (target, 0, segment->data, 0, g_bytes_get_size (segment->data));
  plan->write_bytes += g_bytes_get_size (segment->data);
}

static void
plan_dfuse_target (DfPlan *plan, GPtrArray *segments, guint8 alt)
{
  DfAlt *device_alt = df_device_find_alt (plan->device, alt);
  DfPlanTarget *target;

  if (device_alt == NULL)
    {
      g_autoptr(GString) alts = g_string_new (NULL);
      for (guint i = 0; i < plan->device->alts->len; i++)
        {
          DfAlt *a = g_ptr_array_index (plan->device->alts, i);
          g_string_append_printf (alts, "%s%u (%s)", i > 0 ? ", " : "", a->alt,
                                  a->layout != NULL ? a->layout->name : (a->name != NULL ? a->name : "?"));
        }
      add_problem (plan, FALSE, _("the file has a target for alt %u, which the device does not have; it has: %s"),
                   alt, alts->str);
      return;
    }
  if (device_alt->layout == NULL)
    {
      add_problem (plan, FALSE,
                   _("alt %u of the device has no memory layout (“%s”), so addresses cannot be checked"),
                   alt, device_alt->name != NULL ? device_alt->name : "");
      return;
    }

  target = add_target (plan, alt, device_alt->layout->name);
  for (guint i = 0; i < segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (segments, i);
      guint32 address = segment->address;

      if (!segment->has_address)
        {
          if (!plan->options.has_address)
            {
              plan->needs_address = TRUE;
              add_problem (plan, FALSE,
                           _("the file has no load address (a raw or plain DFU payload): give the address "
                             "of its first byte (--address 0x%08x)"),
                           device_alt->layout->regions->len > 0
                               ? ((DfRegion *) g_ptr_array_index (device_alt->layout->regions, 0))->start
                               : 0x08000000);
              continue;
            }
          address = plan->options.address;
        }
      if (g_bytes_get_size (segment->data) == 0)
        continue;
      plan_segment (plan, target, device_alt->layout, i, address, segment->data);
    }
  g_ptr_array_sort (target->writes, compare_writes);
  check_overlaps (plan, target);
  for (guint i = 0; i < target->writes->len; i++)
    plan->write_bytes += g_bytes_get_size (((DfPlanWrite *) g_ptr_array_index (target->writes, i))->data);
  plan_sectors (plan, target, device_alt->layout);
}

/* What the device cannot do is off in the plan, so that no front end
 * promises it: a read-back needs UPLOAD, and a plain DFU device that is
 * not manifestation tolerant resets after the download; skipping
 * unchanged sectors and a mass erase need DfuSe's addresses. */
static void
restrict_options (DfPlan *plan)
{
  DfDevice *device = plan->device;
  gboolean can_upload = (device->attributes & DF_ATTR_CAN_UPLOAD) != 0;

  /* FLIP: the chip table knows the memories, and the job reads them back
   * with FLIP's own read command (not DFU's UPLOAD attribute, which Atmel's
   * factory bootloader does not even describe) */
  plan->memory_known = plan->dfuse || plan->flip;
  plan->can_verify = plan->flip ||
                     (can_upload && (plan->dfuse || (device->attributes & DF_ATTR_MANIFESTATION_TOLERANT) != 0));
  plan->can_diff = plan->can_backup = can_upload && plan->dfuse;
  plan->can_mass_erase = plan->dfuse;
  if (plan->options.verify && !plan->can_verify && !can_upload)
    plan->not_verified = _("this device cannot be read back");
  else if (plan->options.verify && !plan->can_verify)
    plan->not_verified = _("this device cannot be read back once the new firmware is in place (it resets "
                           "after a download)");
  if (plan->not_verified != NULL)
    plan->options.verify = FALSE;
  plan->options.diff &= plan->can_diff;
  plan->options.mass_erase &= plan->can_mass_erase;
}

DfPlan *
df_plan_new (DfImage *image, DfDevice *device, const DfPlanOptions *options)
{
  DfPlan *plan = g_new0 (DfPlan, 1);
  gboolean from_dfuse = image->format == DF_FORMAT_DFUSE;
  g_autoptr(GError) broken = NULL;

  plan->ref_count = 1;
  plan->image = df_image_ref (image);
  plan->device = df_device_ref (device);
  plan->options = *options;
  plan->targets = g_ptr_array_new_with_free_func (target_free);
  plan->problems = g_ptr_array_new_with_free_func (problem_free);
  /* a MicroPython board whose bootloader's memory is known is planned as
   * that DfuSe bootloader */
  plan->dfuse = device->mode == DF_DEVICE_MODE_DFUSE ||
                (device->mode == DF_DEVICE_MODE_MICROPYTHON && device->alts->len > 0);
  /* FLIP: addressed memories (flash, EEPROM) planned as DfuSe alts are,
   * erased by one chip erase; a raw file goes at 0 */
  plan->flip = device->mode == DF_DEVICE_MODE_FLIP && device->flip_chip != NULL;
  if (plan->flip && !plan->options.has_address)
    {
      plan->options.has_address = TRUE;
      plan->options.address = 0;
    }
  if (plan->flip && plan->options.alt < 0 && df_plan_flip_is_eeprom_file (image))
    plan->options.alt = DF_FLIP_EEPROM;

  if (df_image_has_errors (image))
    add_problem (plan, FALSE, _("the file has errors: %s"), image->source);
  if (device->mode == DF_DEVICE_MODE_RUNTIME)
    {
      add_problem (plan, FALSE, _("the device is running its application: switch it to DFU mode first"));
      return plan;
    }
  if (device->mode == DF_DEVICE_MODE_MICROPYTHON && device->alts->len == 0)
    {
      /* the job switches it through the REPL and plans on its bootloader:
       * MicroPython's stm32 boards start a DfuSe one (ROM or mboot) */
      plan->after_switch = TRUE;
      plan->can_verify = plan->can_diff = plan->can_backup = plan->can_mass_erase = TRUE;
      return plan;
    }
  if (!df_device_check_transfer_size (device, &broken))
    {
      add_problem (plan, FALSE, "%s", broken->message);
      return plan;
    }
  if (plan->options.alt >= 0 && from_dfuse && df_image_find_target (image, (guint8) plan->options.alt) == NULL)
    add_problem (plan, FALSE, _("the file has no target for alt %d"), plan->options.alt);

  check_ids (plan);
  check_banner (plan);
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *t = g_ptr_array_index (image->targets, i);
      guint8 alt = t->alt;

      /* a DfuSe file says its alts; other formats go where the user says */
      if (from_dfuse && plan->options.alt >= 0 && t->alt != plan->options.alt)
        continue;
      if (!from_dfuse && plan->options.alt >= 0)
        alt = (guint8) plan->options.alt;
      if (plan->flip && !df_plan_flip_check_segments (plan, t->segments, alt))
        continue;
      if (plan->dfuse || plan->flip)
        plan_dfuse_target (plan, t->segments, alt);
      else
        plan_plain (plan, t->segments, alt);
    }

  /* the device jumps to the start of the image when it leaves */
  if (plan->targets->len > 0)
    {
      DfPlanTarget *first = g_ptr_array_index (plan->targets, 0);
      if (first->writes->len > 0)
        plan->start_address = ((DfPlanWrite *) g_ptr_array_index (first->writes, 0))->address;
    }
  if (plan->flip)
    df_plan_flip_finish (plan);
  if (plan->options.mass_erase && plan->dfuse)
    for (guint i = 0; i < plan->targets->len; i++)
      {
        DfAlt *alt = df_device_find_alt (device, ((DfPlanTarget *) g_ptr_array_index (plan->targets, i))->alt);
        plan->erase_bytes += df_layout_get_size (alt->layout);
      }
  if (plan->write_bytes == 0 && plan->problems->len == 0)
    add_problem (plan, FALSE, _("the file holds no data to write"));
  restrict_options (plan);
  return plan;
}

DfPlan *
df_plan_ref (DfPlan *plan)
{
  g_atomic_int_inc (&plan->ref_count);
  return plan;
}

void
df_plan_unref (DfPlan *plan)
{
  if (!g_atomic_int_dec_and_test (&plan->ref_count))
    return;
  df_image_unref (plan->image);
  df_device_unref (plan->device);
  g_ptr_array_unref (plan->targets);
  g_ptr_array_unref (plan->problems);
  g_free (plan);
}

gboolean
df_plan_check (DfPlan *plan, gboolean force, GError **error)
{
  for (guint i = 0; i < plan->problems->len; i++)
    {
      DfPlanProblem *problem = g_ptr_array_index (plan->problems, i);
      if (!problem->overridable || !force)
        {
          g_set_error_literal (error, DF_ERROR, DF_ERROR_INCOMPATIBLE, problem->message);
          return FALSE;
        }
    }
  return TRUE;
}

gchar *
df_plan_describe (DfPlan *plan)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree gchar *written = g_format_size_full (plan->write_bytes, G_FORMAT_SIZE_IEC_UNITS);

  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      guint erase = 0, keep = 0;

      for (guint j = 0; j < target->sectors->len; j++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, j);
          if (s->erase)
            erase++;
          else if (!s->touched)
            keep++;
        }
      g_string_append_printf (text, ngettext ("alt %u “%s”: %u piece to write",
                                                 "alt %u “%s”: %u pieces to write", target->writes->len),
                              target->alt, target->name != NULL ? target->name : "", target->writes->len);
      if (plan->dfuse)
        {
          g_string_append_printf (text, ngettext (", %u sector to erase", ", %u sectors to erase",
                                                     erase), erase);
          g_string_append_printf (text, _(", %u untouched"), keep);
        }
      g_string_append_c (text, '\n');
    }
  if (plan->after_switch)
    g_string_append (text, _("planned again once the board is in DFU mode, before anything is written\n"));
  if (plan->options.mass_erase)
    g_string_append (text, _("mass erase first: everything on the chip is lost\n"));
  g_string_append_printf (text, _("%s to write%s%s%s\n"), written,
                          plan->options.diff ? _(", unchanged sectors skipped") : "",
                          plan->options.verify ? _(", then verified") : "",
                          plan->options.leave ? _(", then leave DFU mode") : "");
  if (plan->not_verified != NULL)
    g_string_append_printf (text, _("not verified: %s\n"), plan->not_verified);
  return g_string_free (g_steal_pointer (&text), FALSE);
}
