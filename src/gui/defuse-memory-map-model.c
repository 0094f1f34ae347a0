/* defuse-memory-map-model.c: what the memory map draws, from the plan: a
 * row per alt setting, each sector with what the flash does to it, the
 * bytes written, what falls outside the memory, and which legend items
 * appear. */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "defuse-keyboard-words.h"
#include "defuse-memory-map-private.h"
#include "df-micropython.h"

void
_defuse_memory_map_row_free (gpointer data)
{
  MapRow *row = data;
  g_free (row->title);
  g_free (row->summary);
  g_free (row->message);
  g_array_unref (row->sectors);
  g_array_unref (row->writes);
  g_free (row);
}

/* People know a memory by its name ("Internal Flash"), not by its USB alt
 * setting number, which only the detail line gives */
static MapRow *
map_row_new (guint8 alt, const gchar *name, guint position)
{
  MapRow *row = g_new0 (MapRow, 1);

  row->alt = alt;
  if (name != NULL && name[0] != '\0')
    row->title = g_strdup (name);
  else
    /* TRANSLATORS: a memory map row for a memory the device does not name; %u counts from 1 */
    row->title = g_strdup_printf (_("Memory %u"), position);
  row->sectors = g_array_new (FALSE, TRUE, sizeof (MapSector));
  row->writes = g_array_new (FALSE, TRUE, sizeof (MapRange));
  return row;
}

/* the device's name for the memory; the file's only where the device has
 * no such memory.  A layout with no name is not named by its raw string */
static const gchar *
memory_name (DfAlt *alt, DfTarget *target)
{
  if (alt == NULL)
    return target->name;
  if (alt->layout != NULL)
    return alt->layout->name;
  return alt->name;
}

static guint64
overlap (guint64 a_start, guint64 a_end, guint64 b_start, guint64 b_end)
{
  guint64 start = MAX (a_start, b_start), end = MIN (a_end, b_end);
  return end > start ? end - start : 0;
}

static DfPlanTarget *
find_plan_target (DfPlan *plan, guint8 alt)
{
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      if (target->alt == alt)
        return target;
    }
  return NULL;
}

/* each sector of the layout with what the plan does to it */
static void
add_sectors (MapRow *row, DfPlan *plan, DfPlanTarget *planned, DfAlt *alt)
{
  g_autoptr(GArray) layout_sectors = df_layout_get_sectors (alt->layout);

  for (guint i = 0; i < layout_sectors->len; i++)
    {
      DfSector *s = &g_array_index (layout_sectors, DfSector, i);
      MapSector ms = { .start = s->start, .size = s->size, .flags = s->flags };
      DfPlanSector *ps = planned != NULL && i < planned->sectors->len
                             ? &g_array_index (planned->sectors, DfPlanSector, i) : NULL;
      gboolean mass = plan->options.mass_erase && (s->flags & DF_SECTOR_ERASABLE);

      if (ps != NULL && (ps->erase || (ps->touched && mass)))
        ms.kind = DEFUSE_SECTOR_ERASE_WRITE;
      else if (ps != NULL && ps->touched)
        ms.kind = DEFUSE_SECTOR_WRITE;
      else if (mass)
        ms.kind = DEFUSE_SECTOR_ERASE_ONLY;
      else if (plan->flip && !(s->flags & DF_SECTOR_WRITEABLE))
        ms.kind = DEFUSE_SECTOR_BOOTLOADER;   /* a keyboard's: the chip table's read-only pages */
      else
        ms.kind = DEFUSE_SECTOR_UNTOUCHED;
      g_array_append_val (row->sectors, ms);
    }
}

/* the plan's writes; returns the bytes written */
static guint64
add_writes (MapRow *row, DfPlanTarget *planned)
{
  guint64 written = 0;

  if (planned != NULL)
    for (guint i = 0; i < planned->writes->len; i++)
      {
        DfPlanWrite *w = g_ptr_array_index (planned->writes, i);
        MapRange range = { w->address, (guint32) g_bytes_get_size (w->data) };
        g_array_append_val (row->writes, range);
        written += range.size;
      }
  return written;
}

/* what the plan refused: bytes outside every region, sectors the device
 * cannot write */
static void
mark_refused (MapRow *row, DfPlan *plan, DfTarget *target, DfAlt *alt)
{
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *segment = g_ptr_array_index (target->segments, i);
      guint64 start, end, inside = 0;

      if (!segment->has_address && !plan->options.has_address)
        {
          g_free (row->message);
          row->message = g_strdup (_("The file has no load address for this memory."));
          continue;
        }
      start = segment->has_address ? segment->address : plan->options.address;
      end = start + g_bytes_get_size (segment->data);
      for (guint r = 0; r < alt->layout->regions->len; r++)
        {
          DfRegion *region = g_ptr_array_index (alt->layout->regions, r);
          inside += overlap (start, end, region->start, region->start + region->size);
        }
      row->outside += (end - start) - inside;
      for (guint j = 0; j < row->sectors->len; j++)
        {
          MapSector *ms = &g_array_index (row->sectors, MapSector, j);
          if (!(ms->flags & DF_SECTOR_WRITEABLE) &&
              overlap (start, end, ms->start, (guint64) ms->start + ms->size) > 0)
            ms->kind = DEFUSE_SECTOR_NO_FIT;
        }
    }
}

/* "2 of 12 sectors erased · 315 KiB written", and the bar's end addresses */
static void
summarize_row (MapRow *row, guint erased, guint64 written)
{
  MapSector *last = &g_array_index (row->sectors, MapSector, row->sectors->len - 1);
  g_autofree gchar *size = g_format_size_full (written, G_FORMAT_SIZE_IEC_UNITS);
  g_autoptr(GString) summary = g_string_new (NULL);

  row->first = g_array_index (row->sectors, MapSector, 0).start;
  row->last = last->start + last->size - 1;
  /* TRANSLATORS: memory map summary, e.g. "2 of 12 sectors erased · 315 KiB written" */
  g_string_printf (summary, g_dngettext (GETTEXT_PACKAGE, "%u of %u sector erased · %s written",
                                         "%u of %u sectors erased · %s written", row->sectors->len),
                   erased, row->sectors->len, size);
  if (row->outside > 0)
    {
      g_autofree gchar *outside = g_format_size_full (row->outside, G_FORMAT_SIZE_IEC_UNITS);
      /* TRANSLATORS: appended to the memory map summary */
      g_string_append_printf (summary, _(" · %s outside the memory"), outside);
    }
  row->summary = g_string_free (g_steal_pointer (&summary), FALSE);
}

/* the sectors and writes of the plan, then what the plan refused */
static void
fill_dfuse_row (DefuseMemoryMap *self, MapRow *row, DfTarget *target, DfAlt *alt)
{
  DfPlan *plan = self->plan;
  DfPlanTarget *planned = find_plan_target (plan, alt->alt);
  guint erased = 0;
  guint64 written;

  add_sectors (row, plan, planned, alt);
  written = add_writes (row, planned);
  mark_refused (row, plan, target, alt);

  for (guint j = 0; j < row->sectors->len; j++)
    {
      MapSector *ms = &g_array_index (row->sectors, MapSector, j);
      erased += ms->kind == DEFUSE_SECTOR_ERASE_WRITE || ms->kind == DEFUSE_SECTOR_ERASE_ONLY;
      self->legend[LEGEND_ERASED] |= ms->kind == DEFUSE_SECTOR_ERASE_WRITE || ms->kind == DEFUSE_SECTOR_ERASE_ONLY;
      self->legend[LEGEND_WRITE_NO_ERASE] |= ms->kind == DEFUSE_SECTOR_WRITE;
      self->legend[LEGEND_UNTOUCHED] |= ms->kind == DEFUSE_SECTOR_UNTOUCHED;
      self->legend[LEGEND_NO_FIT] |= ms->kind == DEFUSE_SECTOR_NO_FIT;
      self->legend[LEGEND_BOOTLOADER] |= ms->kind == DEFUSE_SECTOR_BOOTLOADER;
    }
  self->legend[LEGEND_WRITTEN] |= written > 0;
  self->legend[LEGEND_NO_FIT] |= row->outside > 0;

  if (row->sectors->len > 0)
    summarize_row (row, erased, written);
  /* a keyboard's chip erase clears every application page at once */
  if (plan->flip && row->sectors->len > 0)
    {
      g_free (row->summary);
      row->summary = defuse_keyboard_map_summary (plan, alt->alt, written);
    }
}

/* A keyboard has two memories: the one the file does not write is shown
 * too, untouched, so that "the EEPROM is kept" (or the firmware) is seen */
static void
add_kept_memories (DefuseMemoryMap *self, DfPlan *plan)
{
  for (guint i = 0; i < plan->device->alts->len; i++)
    {
      DfAlt *alt = g_ptr_array_index (plan->device->alts, i);
      MapRow *row;
      gboolean shown = FALSE;

      for (guint r = 0; r < self->rows->len; r++)
        shown |= ((MapRow *) g_ptr_array_index (self->rows, r))->alt == alt->alt;
      if (shown || alt->layout == NULL)
        continue;
      row = map_row_new (alt->alt, alt->layout->name, self->rows->len + 1);
      add_sectors (row, plan, NULL, alt);
      summarize_row (row, 0, 0);
      g_free (row->summary);
      row->summary = defuse_keyboard_map_summary (plan, alt->alt, 0);
      self->legend[LEGEND_UNTOUCHED] = TRUE;
      for (guint j = 0; j < row->sectors->len; j++)
        self->legend[LEGEND_BOOTLOADER] |= g_array_index (row->sectors, MapSector, j).kind == DEFUSE_SECTOR_BOOTLOADER;
      g_ptr_array_add (self->rows, row);
    }
}

/* a MicroPython board's internal flash disk: kept, or erased by the flash */
static void
mark_files (DefuseMemoryMap *self, MapRow *row, DfDevice *device)
{
  gboolean erased = FALSE;

  if (device->micropython == NULL || device->micropython->fs_end == 0 || row->sectors->len == 0 ||
      row->first > device->micropython->fs_end || row->last < device->micropython->fs_start)
    return;
  row->files_start = device->micropython->fs_start;
  row->files_end = device->micropython->fs_end;
  for (guint i = 0; i < row->sectors->len; i++)
    {
      MapSector *ms = &g_array_index (row->sectors, MapSector, i);
      if (ms->start <= row->files_end && (guint64) ms->start + ms->size > row->files_start)
        erased |= ms->kind != DEFUSE_SECTOR_UNTOUCHED;
    }
  self->legend[erased ? LEGEND_FILES_ERASED : LEGEND_FILES] = TRUE;
}

void
_defuse_memory_map_rebuild (DefuseMemoryMap *self)
{
  DfPlan *plan = self->plan;
  DfImage *image;
  gboolean from_dfuse;

  g_ptr_array_set_size (self->rows, 0);
  memset (self->legend, 0, sizeof self->legend);
  if (plan == NULL)
    return;

  image = plan->image;
  from_dfuse = image->format == DF_FORMAT_DFUSE;
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      guint8 number = target->alt;
      DfAlt *alt;
      MapRow *row;

      /* the same choice of alt as df_plan_new() makes */
      if (from_dfuse && plan->options.alt >= 0 && target->alt != plan->options.alt)
        continue;
      if (!from_dfuse && plan->options.alt >= 0)
        number = (guint8) plan->options.alt;
      alt = df_device_find_alt (plan->device, number);
      row = map_row_new (number, memory_name (alt, target), self->rows->len + 1);
      g_ptr_array_add (self->rows, row);

      if (plan->device->mode == DF_DEVICE_MODE_RUNTIME)
        row->message = g_strdup (_("The device runs its application: switch it to DFU mode to see its memory."));
      else if (alt == NULL)
        row->message = g_strdup_printf (_("The device has no alt setting %u, so this part of the file cannot be written."), number);
      else if (!plan->dfuse && !plan->flip)
        {
          for (guint j = 0; j < target->segments->len; j++)
            row->plain_bytes += g_bytes_get_size (((DfSegment *) g_ptr_array_index (target->segments, j))->data);
          self->legend[LEGEND_WRITTEN] = TRUE;
        }
      else if (alt->layout == NULL)
        row->message = g_strdup (_("The device does not describe the layout of this memory, so the file cannot be placed in it."));
      else
        {
          fill_dfuse_row (self, row, target, alt);
          mark_files (self, row, plan->device);
        }
    }
  if (plan->flip)
    add_kept_memories (self, plan);
}
