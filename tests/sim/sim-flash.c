/* sim-flash.c: the memory of a virtual device.
 *
 * Each alt setting's geometry (the real one, which may differ from the
 * layout string the device reports: GD32VF103) becomes regions of bytes cut
 * into sectors with readable/erasable/writeable flags.
 *
 * Flash is NOR flash.  Erasing a sector sets it to the erased value (0xFF);
 * programming can only clear bits, in units of program_unit bytes (the
 * flash word: 4 on an STM32F4 at x32 parallelism, 2 on F0/F1, 8 on L4, 32
 * on H7).  What happens when a unit that is not erased is programmed again
 * depends on the part, and the profile says which:
 *
 * - SIM_OVERWRITE_AND (STM32F4, F2, F7 without ECC): the controller does
 *   not check, the cells end up as old AND new.  ST's bootloader reads back
 *   what it programmed; when the result differs it stops and reports
 *   errVERIFY ("programmed memory failed verification", DFU 1.1 table 6.1).
 *   errVERIFY and not errWRITE because the write itself raised no error:
 *   only the comparison afterwards fails.  Rewriting identical data, or data
 *   that only clears more bits, verifies fine, as on the real part.
 * - SIM_OVERWRITE_KEEP (F0/F1 PGERR, L4 PROGERR, H7, GD32): the controller
 *   refuses to program a unit that is not erased (writing all zeros is the
 *   documented exception) and the unit keeps its old contents.  ST's parts
 *   then report errWRITE; the GD32VF103 says nothing at all (gd32-dfu-utils
 *   issue #5: "fails to program silently, reporting success but read-out not
 *   matching"), which overwrite_status 0 models.
 *
 * A write that ends inside a unit follows the partial policy: F4 and F0 pad
 * the unit with 0xFF, which NOR leaves alone.  The STM32L476 is modelled as
 * SIM_PARTIAL_DROP: its bootloader programs whole 64-bit double words only,
 * answers OK and leaves the last len % 8 bytes erased.  That is what users
 * report (ST community "DFU - FAIL VERIFY - 8 byte align magic", 2017, and
 * "DFU DFUSE problem with STM32L4 (STM32L476VG)": the download reports
 * success, verification or the application fails, padding the file to a
 * multiple of 8 fixes it) and why MicroPython's dfu.py pads elements.
 */
#include <string.h>

#include "df-error.h"
#include "sim-flash.h"
#include "sim-private.h"

typedef struct {
  guint          alt;
  guint32        start;
  guint64        size;
  guint8        *data;
  GArray        *sectors;  /* of DfSector, absolute addresses */
  SimMemoryKind  kind;
  SimFlashRules  rules;
} SimRegion;

struct _SimMemory {
  GPtrArray *regions;  /* of SimRegion */
};

void
sim_flash_rules_init (SimFlashRules *rules)
{
  rules->program_unit = 4;
  rules->partial = SIM_PARTIAL_PAD;
  rules->partial_status = SIM_ERR_WRITE;
  rules->misaligned_status = 0;
  rules->overwrite = SIM_OVERWRITE_AND;
  rules->overwrite_status = SIM_ERR_VERIFY;
  rules->erased = 0xFF;
}

static void
region_free (gpointer data)
{
  SimRegion *region = data;
  g_free (region->data);
  g_array_unref (region->sectors);
  g_free (region);
}

SimMemory *
sim_memory_new (void)
{
  SimMemory *memory = g_new0 (SimMemory, 1);
  memory->regions = g_ptr_array_new_with_free_func (region_free);
  return memory;
}

void
sim_memory_free (SimMemory *memory)
{
  if (memory == NULL)
    return;
  g_ptr_array_unref (memory->regions);
  g_free (memory);
}

void
sim_memory_add (SimMemory *memory, guint alt, const DfLayout *geometry,
                SimMemoryKind kind, const SimFlashRules *rules, GBytes *fill)
{
  g_autoptr(GArray) sectors = df_layout_get_sectors (geometry);

  for (guint i = 0; i < geometry->regions->len; i++)
    {
      const DfRegion *r = g_ptr_array_index (geometry->regions, i);
      SimRegion *region = g_new0 (SimRegion, 1);

      region->alt = alt;
      region->start = r->start;
      region->size = r->size;
      region->kind = kind;
      region->rules = *rules;
      if (region->rules.program_unit == 0)
        region->rules.program_unit = 1;
      region->data = g_malloc (r->size);
      memset (region->data, rules->erased, r->size);
      if (fill != NULL && i == 0)
        memcpy (region->data, g_bytes_get_data (fill, NULL), MIN (g_bytes_get_size (fill), r->size));
      region->sectors = g_array_new (FALSE, FALSE, sizeof (DfSector));
      for (guint j = 0; j < sectors->len; j++)
        {
          DfSector *s = &g_array_index (sectors, DfSector, j);
          if (s->region == i)
            g_array_append_val (region->sectors, *s);
        }
      g_ptr_array_add (memory->regions, region);
    }
}

static SimRegion *
find_region (SimMemory *memory, guint alt, guint32 address)
{
  for (guint i = 0; i < memory->regions->len; i++)
    {
      SimRegion *region = g_ptr_array_index (memory->regions, i);
      if (region->alt == alt && address >= region->start && address - region->start < region->size)
        return region;
    }
  return NULL;
}

static const DfSector *
find_sector (SimRegion *region, guint32 address)
{
  guint lo = 0, hi = region->sectors->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      const DfSector *s = &g_array_index (region->sectors, DfSector, mid);
      if (address < s->start)
        hi = mid;
      else if (address - s->start >= s->size)
        lo = mid + 1;
      else
        return s;
    }
  return NULL;
}

gboolean
sim_memory_contains (SimMemory *memory, guint alt, guint32 address)
{
  return find_region (memory, alt, address) != NULL;
}

static gboolean
all_equal (const guint8 *p, gsize n, guint8 value)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] != value)
      return FALSE;
  return TRUE;
}

/* The bootloader's read-back compares the bytes it was sent, not the 0xFF
 * it padded the unit with: a unit that held data in its padding (an
 * unaligned write after another) verifies when the sent bytes landed. */
static gboolean
written_bytes_hold (const guint8 *cells, const guint8 *sent, guint64 unit_start, guint n,
                    guint64 address, guint64 end)
{
  for (guint i = 0; i < n; i++)
    if (unit_start + i >= address && unit_start + i < end && cells[i] != sent[i])
      return FALSE;
  return TRUE;
}

SimProgramResult
sim_memory_program (SimMemory *memory, guint alt, guint32 address,
                    const guint8 *data, gsize len, gsize limit)
{
  SimProgramResult res = { 0 };
  SimRegion *region = find_region (memory, alt, address);
  guint64 end = (guint64) address + len;
  guint64 stop, unit_start;
  guint unit;
  guint8 erased;

  if (region == NULL)
    {
      res.status = SIM_ERR_TARGET;
      return res;
    }
  if (len == 0)
    return res;
  if (end > region->start + region->size)
    {
      res.status = SIM_ERR_ADDRESS;
      return res;
    }
  for (guint64 a = address; a < end;)
    {
      const DfSector *s = find_sector (region, (guint32) a);
      if (s == NULL || !(s->flags & DF_SECTOR_WRITEABLE))
        {
          res.status = SIM_ERR_TARGET;
          return res;
        }
      a = (guint64) s->start + s->size;
    }

  unit = region->rules.program_unit;
  erased = region->rules.erased;
  if (region->kind == SIM_MEMORY_RAM)
    {
      gsize n = MIN (len, limit);
      memcpy (region->data + (address - region->start), data, n);
      res.programmed = n;
      res.units = (n + unit - 1) / unit;
      return res;
    }

  if (address % unit != 0 && region->rules.misaligned_status != 0)
    {
      res.status = region->rules.misaligned_status;
      return res;
    }
  stop = end;
  if (end % unit != 0)
    {
      if (region->rules.partial == SIM_PARTIAL_ERROR)
        {
          res.status = region->rules.partial_status;
          return res;
        }
      if (region->rules.partial == SIM_PARTIAL_DROP)
        stop = end - end % unit;
    }
  /* a device that dies mid-write has programmed whole units */
  if (limit < len)
    stop = MIN (stop, (address + limit) - (address + limit) % unit);

  for (unit_start = address - address % unit; unit_start < stop; unit_start += unit)
    {
      guint8 new_value[64];
      guint8 *old;
      guint n = unit;
      gsize bytes = 0;

      /* a unit never runs past the region; sizes are multiples of it */
      if (unit_start + n > region->start + region->size)
        n = (guint) (region->start + region->size - unit_start);
      old = region->data + (unit_start - region->start);
      for (guint i = 0; i < n; i++)
        {
          guint64 a = unit_start + i;
          if (a >= address && a < end)
            {
              new_value[i] = data[a - address];
              bytes++;
            }
          else
            new_value[i] = erased;  /* padding: programming the erased value changes nothing */
        }
      res.units++;
      if (all_equal (new_value, n, erased))
        {
          res.programmed += bytes;
          continue;
        }
      if (all_equal (old, n, erased) || region->rules.overwrite == SIM_OVERWRITE_AND)
        {
          gboolean was_erased = all_equal (old, n, erased);
          for (guint i = 0; i < n; i++)
            old[i] &= new_value[i];
          res.programmed += bytes;
          if (!was_erased && !written_bytes_hold (old, new_value, unit_start, n, address, end) &&
              region->rules.overwrite_status != 0)
            {
              res.status = region->rules.overwrite_status;
              return res;
            }
        }
      else if (all_equal (new_value, n, 0x00))
        {
          /* clearing a whole unit is allowed even when it is not erased */
          memset (old, 0x00, n);
          res.programmed += bytes;
        }
      else if (region->rules.overwrite_status != 0)
        {
          res.status = region->rules.overwrite_status;
          return res;
        }
    }
  return res;
}

guint8
sim_memory_erase_sector (SimMemory *memory, guint alt, guint32 address, DfSector *sector)
{
  SimRegion *region = find_region (memory, alt, address);
  const DfSector *s;

  if (region == NULL || (s = find_sector (region, address)) == NULL)
    return SIM_ERR_TARGET;
  if (!(s->flags & DF_SECTOR_ERASABLE))
    return SIM_ERR_TARGET;
  memset (region->data + (s->start - region->start), region->rules.erased, s->size);
  if (sector != NULL)
    *sector = *s;
  return SIM_OK;
}

guint64
sim_memory_erase_all (SimMemory *memory, guint alt)
{
  guint64 erased = 0;

  for (guint i = 0; i < memory->regions->len; i++)
    {
      SimRegion *region = g_ptr_array_index (memory->regions, i);
      if (region->alt != alt || region->kind != SIM_MEMORY_FLASH)
        continue;
      for (guint j = 0; j < region->sectors->len; j++)
        {
          DfSector *s = &g_array_index (region->sectors, DfSector, j);
          if (!(s->flags & DF_SECTOR_ERASABLE))
            continue;
          memset (region->data + (s->start - region->start), region->rules.erased, s->size);
          erased += s->size;
        }
    }
  return erased;
}

gsize
sim_memory_read (SimMemory *memory, guint alt, guint32 address, guint8 *buf, gsize len, guint8 *status)
{
  SimRegion *region = find_region (memory, alt, address);
  guint64 end;
  guint64 a;

  *status = SIM_OK;
  if (region == NULL)
    {
      /* right at the end of a region: an empty, short answer ends the upload */
      for (guint i = 0; i < memory->regions->len; i++)
        {
          SimRegion *r = g_ptr_array_index (memory->regions, i);
          if (r->alt == alt && (guint64) r->start + r->size == address)
            return 0;
        }
      *status = SIM_ERR_TARGET;
      return 0;
    }
  end = MIN ((guint64) address + len, region->start + region->size);
  for (a = address; a < end;)
    {
      const DfSector *s = find_sector (region, (guint32) a);
      if (s == NULL || !(s->flags & DF_SECTOR_READABLE))
        break;
      a = (guint64) s->start + s->size;
    }
  end = MIN (end, a);
  if (end == address)
    {
      *status = SIM_ERR_TARGET;
      return 0;
    }
  memcpy (buf, region->data + (address - region->start), end - address);
  return end - address;
}

const guint8 *
sim_memory_peek (SimMemory *memory, guint32 address, gsize length)
{
  for (guint i = 0; i < memory->regions->len; i++)
    {
      SimRegion *region = g_ptr_array_index (memory->regions, i);
      if (address >= region->start && (guint64) address + length <= region->start + region->size)
        return region->data + (address - region->start);
    }
  return NULL;
}

/* alt's regions making up the main flash, in address order */
static GPtrArray *
main_regions (SimMemory *memory, guint alt)
{
  GPtrArray *out = g_ptr_array_new ();
  SimRegion *first = NULL;
  gboolean grown = TRUE;

  for (guint i = 0; i < memory->regions->len && first == NULL; i++)
    {
      SimRegion *region = g_ptr_array_index (memory->regions, i);
      if (region->alt == alt)
        first = region;
    }
  if (first == NULL)
    return out;
  g_ptr_array_add (out, first);
  while (grown)
    {
      SimRegion *last = g_ptr_array_index (out, out->len - 1);
      grown = FALSE;
      for (guint i = 0; i < memory->regions->len; i++)
        {
          SimRegion *region = g_ptr_array_index (memory->regions, i);
          if (region->alt == alt && region->start == (guint64) last->start + last->size)
            {
              g_ptr_array_add (out, region);
              grown = TRUE;
              break;
            }
        }
    }
  return out;
}

gboolean
sim_memory_get_main (SimMemory *memory, guint alt, guint32 *start, gsize *size)
{
  g_autoptr(GPtrArray) regions = main_regions (memory, alt);
  gsize total = 0;

  if (regions->len == 0)
    return FALSE;
  for (guint i = 0; i < regions->len; i++)
    total += ((SimRegion *) g_ptr_array_index (regions, i))->size;
  *start = ((SimRegion *) g_ptr_array_index (regions, 0))->start;
  *size = total;
  return TRUE;
}

gboolean
sim_memory_load (SimMemory *memory, guint alt, const gchar *path, GError **error)
{
  g_autoptr(GPtrArray) regions = main_regions (memory, alt);
  g_autofree gchar *contents = NULL;
  gsize len, total = 0, pos = 0;
  g_autoptr(GError) local = NULL;

  for (guint i = 0; i < regions->len; i++)
    total += ((SimRegion *) g_ptr_array_index (regions, i))->size;
  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, "cannot read the flash image: %s", local->message);
      return FALSE;
    }
  if (len > total)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
                   "%s holds %" G_GSIZE_FORMAT " bytes but the device's main flash has %" G_GSIZE_FORMAT,
                   path, len, total);
      return FALSE;
    }
  for (guint i = 0; i < regions->len && pos < len; i++)
    {
      SimRegion *region = g_ptr_array_index (regions, i);
      gsize n = MIN (len - pos, region->size);
      memcpy (region->data, contents + pos, n);
      pos += n;
    }
  return TRUE;
}

gboolean
sim_memory_save (SimMemory *memory, guint alt, const gchar *path, GError **error)
{
  g_autoptr(GPtrArray) regions = main_regions (memory, alt);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) local = NULL;

  for (guint i = 0; i < regions->len; i++)
    {
      SimRegion *region = g_ptr_array_index (regions, i);
      g_byte_array_append (out, region->data, (guint) region->size);
    }
  if (!g_file_set_contents (path, (const gchar *) out->data, out->len, &local))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, "cannot write the flash image: %s", local->message);
      return FALSE;
    }
  return TRUE;
}
