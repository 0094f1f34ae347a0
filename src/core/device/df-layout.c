/* df-layout.c: DfuSe alternate-setting layouts (see df-layout.h).
 *
 * The grammar comes from ST's UM0424 and AN3156; the leniency from what
 * the field reports and what dfu-util (src/dfuse_mem.c) and fwupd
 * (plugins/dfu/fu-dfu-target.c) accept:
 * - names are padded with spaces ("@Internal Flash  /...") and numbers with
 *   zeros ("0128*0002Kg"); both are fine;
 * - the multiplier may be a space, meaning bytes ("01*016 e");
 * - STM32F7 bootloaders leave out the multiplier ("04*032g"); fwupd has an
 *   "absent-sector-size" quirk for it, dfu-util reads the letter as the type
 *   and the size as bytes.  So do we, with a note;
 * - dfu-util forces the "Device Feature" alt to 'e' (a quirk for STM32F4
 *   bootloaders), and so do we, with a note, when it says otherwise.
 * What we refuse: a group with no type letter (dfu-util silently skips it
 * and then places every later group at the wrong address), unknown letters,
 * zero counts or sizes, and anything past 4 GiB.  A wrong layout erases the
 * wrong sectors, so doubt is an error with the character it happened at. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-layout.h"

typedef struct {
  const gchar *str;
  gsize        pos;
  DfLayout    *layout;
} Parser;

static void
region_free (gpointer data)
{
  DfRegion *region = data;
  g_array_unref (region->groups);
  g_free (region);
}

void
df_layout_free (DfLayout *layout)
{
  if (layout == NULL)
    return;
  g_free (layout->name);
  g_ptr_array_unref (layout->regions);
  g_ptr_array_unref (layout->notes);
  g_free (layout);
}

static gboolean G_GNUC_PRINTF (3, 4)
fail_at (Parser *p, GError **error, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *what = NULL;
  g_autofree gchar *quoted = g_strescape (p->str, NULL);

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
               _("DfuSe layout \"%s\": character %zu: %s"),
               quoted, p->pos + 1, what);
  return FALSE;
}

static void G_GNUC_PRINTF (2, 3)
note (Parser *p, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (p->layout->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

static gchar
peek (Parser *p)
{
  return p->str[p->pos];
}

static void
skip_spaces (Parser *p)
{
  while (peek (p) == ' ' || peek (p) == '\t')
    p->pos++;
}

/* a printable rendering of the character at the position, for messages */
static gchar *
describe_char (gchar c)
{
  if (c == '\0')
    return g_strdup ("the end of the string");
  if (g_ascii_isprint (c))
    return g_strdup_printf ("'%c'", c);
  return g_strdup_printf ("byte 0x%02x", (guint8) c);
}

static gboolean
parse_decimal (Parser *p, const gchar *what, guint64 *value, GError **error)
{
  gsize start = p->pos;
  guint64 v = 0;

  while (g_ascii_isdigit (peek (p)))
    {
      v = v * 10 + (guint64) (peek (p) - '0');
      if (v > G_MAXUINT32)
        {
          p->pos = start;
          return fail_at (p, error, "the %s is larger than 4294967295", what);
        }
      p->pos++;
    }
  if (p->pos == start)
    {
      g_autofree gchar *c = describe_char (peek (p));
      return fail_at (p, error, "expected the %s (decimal digits), found %s", what, c);
    }
  *value = v;
  return TRUE;
}

static gboolean
parse_address (Parser *p, guint32 *address, GError **error)
{
  gsize start;
  guint64 v = 0;

  skip_spaces (p);
  if (peek (p) != '0' || (p->str[p->pos + 1] != 'x' && p->str[p->pos + 1] != 'X'))
    {
      g_autofree gchar *c = describe_char (peek (p));
      return fail_at (p, error, "expected a start address like 0x08000000, found %s", c);
    }
  p->pos += 2;
  start = p->pos;
  while (g_ascii_isxdigit (peek (p)))
    {
      v = (v << 4) | (guint64) g_ascii_xdigit_value (peek (p));
      if (v > G_MAXUINT32)
        {
          p->pos = start;
          return fail_at (p, error, "the start address does not fit in 32 bits");
        }
      p->pos++;
    }
  if (p->pos == start)
    return fail_at (p, error, "expected hexadecimal digits after 0x");
  *address = (guint32) v;
  return TRUE;
}

/* one "N*SIZE[mult]type" group; *end is the region's end so far */
/* the B, K, M or space after a sector size (which started at size_pos),
 * applied to *size */
static gboolean
parse_multiplier (Parser *p, guint number, gsize size_pos, guint64 *size, GError **error)
{
  gchar c = peek (p);

  if (c == 'B')
    p->pos++;
  else if (c == 'K')
    {
      *size *= 1024;
      p->pos++;
    }
  else if (c == 'M')
    {
      *size *= 1024 * 1024;
      p->pos++;
    }
  else if (c == ' ')
    skip_spaces (p);  /* ST's reference bootloader: a space means bytes */
  else if (c >= 'a' && c <= 'g')
    note (p, "sector group %u (\"%.*s\") has no multiplier before its type '%c'; its size is read as bytes",
          number, (int) (p->pos + 1 - size_pos), p->str + size_pos, c);
  else
    {
      g_autofree gchar *found = describe_char (c);
      return fail_at (p, error, "expected a multiplier (B, K, M or a space) after the sector size, found %s", found);
    }
  return TRUE;
}

/* the letter a..g: bit 0 readable, bit 1 erasable, bit 2 writeable */
static gboolean
parse_sector_type (Parser *p, guint number, DfSectorFlags *flags, GError **error)
{
  gchar c = peek (p);
  g_autofree gchar *found = NULL;

  if (c >= 'a' && c <= 'g')
    {
      *flags = (DfSectorFlags) (c & 0x7);
      p->pos++;
      return TRUE;
    }
  if (c == '\0' || c == ',' || c == '/')
    return fail_at (p, error, "sector group %u has no type letter (a..g) saying whether it can be read, erased or written",
                    number);
  found = describe_char (c);
  return fail_at (p, error, "unknown sector type %s (expected a letter a..g)", found);
}

static gboolean
parse_group (Parser *p, DfRegion *region, guint number, guint64 *end, GError **error)
{
  DfSectorGroup group = { 0 };
  guint64 count, size;
  gsize size_pos;

  skip_spaces (p);
  if (!parse_decimal (p, "sector count", &count, error))
    return FALSE;
  if (count == 0)
    {
      p->pos--;
      return fail_at (p, error, "sector group %u has a count of 0", number);
    }
  if (peek (p) != '*')
    {
      g_autofree gchar *found = describe_char (peek (p));
      return fail_at (p, error, "expected '*' after the sector count, found %s", found);
    }
  p->pos++;
  size_pos = p->pos;
  if (!parse_decimal (p, "sector size", &size, error))
    return FALSE;

  if (!parse_multiplier (p, number, size_pos, &size, error) ||
      !parse_sector_type (p, number, &group.flags, error))
    return FALSE;

  if (size == 0)
    {
      p->pos = size_pos;
      return fail_at (p, error, "sector group %u has sectors of 0 bytes", number);
    }
  if (size > G_MAXUINT32 || *end + count * size > (guint64) G_MAXUINT32 + 1)
    {
      p->pos = size_pos;
      return fail_at (p, error, "sector group %u (%" PRIu64 " x %" PRIu64
                      " bytes) runs past the 4 GiB address space", number, count, size);
    }
  /* every sector becomes a row of the plan and a box of the memory map:
   * 20 million of them (a fuzzed descriptor) took a minute and gigabytes */
  if (df_layout_count_sectors (p->layout) + count > DF_LAYOUT_MAX_SECTORS)
    {
      p->pos = size_pos;
      return fail_at (p, error, "the layout lists more than %u sectors, more than any flash served over DFU has "
                      "(the most seen is 4096): its descriptor is broken", DF_LAYOUT_MAX_SECTORS);
    }
  group.count = (guint32) count;
  group.size = (guint32) size;
  *end += count * size;
  region->size += count * size;
  g_array_append_val (region->groups, group);
  return TRUE;
}

static gboolean
parse_region (Parser *p, GError **error)
{
  DfRegion *region = g_new0 (DfRegion, 1);
  guint64 end;
  guint number = 1;

  region->groups = g_array_new (FALSE, FALSE, sizeof (DfSectorGroup));
  g_ptr_array_add (p->layout->regions, region);

  if (!parse_address (p, &region->start, error))
    return FALSE;
  skip_spaces (p);
  if (peek (p) != '/')
    {
      g_autofree gchar *found = describe_char (peek (p));
      return fail_at (p, error, "expected '/' after the start address, found %s", found);
    }
  p->pos++;
  end = region->start;

  for (;;)
    {
      if (!parse_group (p, region, number++, &end, error))
        return FALSE;
      skip_spaces (p);
      if (peek (p) != ',')
        break;
      p->pos++;
      skip_spaces (p);
      if (peek (p) == '\0' || peek (p) == '/')
        {
          note (p, "a trailing ',' after the last sector group is ignored");
          break;
        }
    }
  return TRUE;
}

static void
check_overlaps (Parser *p)
{
  GPtrArray *regions = p->layout->regions;
  for (guint i = 0; i < regions->len; i++)
    for (guint j = i + 1; j < regions->len; j++)
      {
        DfRegion *a = g_ptr_array_index (regions, i);
        DfRegion *b = g_ptr_array_index (regions, j);
        if (a->start < b->start + b->size && b->start < a->start + a->size)
          note (p, "region %u at 0x%08x overlaps region %u at 0x%08x", j + 1, b->start, i + 1, a->start);
      }
}

DfLayout *
df_layout_parse (const gchar *str, GError **error)
{
  g_autoptr(DfLayout) layout = g_new0 (DfLayout, 1);
  Parser p = { str, 0, layout };
  const gchar *slash;

  g_return_val_if_fail (str != NULL, NULL);
  layout->regions = g_ptr_array_new_with_free_func (region_free);
  layout->notes = g_ptr_array_new_with_free_func (g_free);

  if (str[0] != '@')
    {
      fail_at (&p, error, "a DfuSe layout starts with '@'; this alternate setting has a plain name");
      return NULL;
    }
  slash = strchr (str, '/');
  if (slash == NULL)
    {
      p.pos = strlen (str);
      fail_at (&p, error, "no '/' after the name: the layout lists no memory");
      return NULL;
    }
  layout->name = g_strstrip (g_strndup (str + 1, (gsize) (slash - str - 1)));
  if (!g_utf8_validate (layout->name, -1, NULL))
    {
      gchar *valid = g_utf8_make_valid (layout->name, -1);
      g_free (layout->name);
      layout->name = valid;
    }
  p.pos = (gsize) (slash - str);

  while (peek (&p) == '/')
    {
      p.pos++;
      skip_spaces (&p);
      if (peek (&p) == '\0')
        {
          if (layout->regions->len == 0)
            {
              fail_at (&p, error, "no memory region after the name");
              return NULL;
            }
          note (&p, "a trailing '/' after the last region is ignored");
          break;
        }
      if (!parse_region (&p, error))
        return NULL;
    }
  skip_spaces (&p);
  if (peek (&p) != '\0')
    {
      g_autofree gchar *found = describe_char (peek (&p));
      fail_at (&p, error, "unexpected %s after the last sector group", found);
      return NULL;
    }
  check_overlaps (&p);

  /* dfu-util's STM32F4 quirk: the feature alt is readable and writeable */
  if (g_strcmp0 (layout->name, "Device Feature") == 0)
    for (guint i = 0; i < layout->regions->len; i++)
      {
        DfRegion *region = g_ptr_array_index (layout->regions, i);
        for (guint j = 0; j < region->groups->len; j++)
          {
            DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, j);
            if (group->flags != (DF_SECTOR_READABLE | DF_SECTOR_WRITEABLE))
              {
                note (&p, "the Device Feature alt says '%s'; read as 'e' (readable, writeable) as STM32F4 bootloaders mean",
                      df_sector_flags_to_string (group->flags));
                group->flags = DF_SECTOR_READABLE | DF_SECTOR_WRITEABLE;
              }
          }
      }
  return g_steal_pointer (&layout);
}

const DfRegion *
df_layout_find_region (const DfLayout *layout, guint32 address)
{
  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      if (address >= region->start && address - region->start < region->size)
        return region;
    }
  return NULL;
}

gboolean
df_layout_find_sector (const DfLayout *layout, guint32 address, DfSector *sector)
{
  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      guint64 start = region->start;
      guint index = 0;

      if (address < region->start || address - region->start >= region->size)
        continue;
      for (guint j = 0; j < region->groups->len; j++)
        {
          const DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, j);
          guint64 group_size = (guint64) group->count * group->size;
          if (address < start + group_size)
            {
              guint32 n = (guint32) ((address - start) / group->size);
              if (sector != NULL)
                {
                  sector->start = (guint32) (start + (guint64) n * group->size);
                  sector->size = group->size;
                  sector->flags = group->flags;
                  sector->region = i;
                  sector->index = index + n;
                }
              return TRUE;
            }
          start += group_size;
          index += group->count;
        }
    }
  return FALSE;
}

guint64
df_layout_get_size (const DfLayout *layout)
{
  guint64 size = 0;
  for (guint i = 0; i < layout->regions->len; i++)
    size += ((const DfRegion *) g_ptr_array_index (layout->regions, i))->size;
  return size;
}

guint
df_layout_count_sectors (const DfLayout *layout)
{
  guint64 count = 0;
  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      for (guint j = 0; j < region->groups->len; j++)
        count += g_array_index (region->groups, DfSectorGroup, j).count;
    }
  return (guint) MIN (count, G_MAXUINT);
}

GArray *
df_layout_get_sectors (const DfLayout *layout)
{
  GArray *sectors = g_array_new (FALSE, FALSE, sizeof (DfSector));

  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      guint64 start = region->start;
      guint index = 0;
      for (guint j = 0; j < region->groups->len; j++)
        {
          const DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, j);
          for (guint32 k = 0; k < group->count; k++)
            {
              DfSector sector = { (guint32) start, group->size, group->flags, i, index++ };
              g_array_append_val (sectors, sector);
              start += group->size;
            }
        }
    }
  return sectors;
}

gchar *
df_layout_format_size (guint64 size)
{
  if (size == 1)
    return g_strdup ("1 byte");
  if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
    return g_strdup_printf ("%" PRIu64 " MiB", size / (1024 * 1024));
  if (size >= 1024 && size % 1024 == 0)
    return g_strdup_printf ("%" PRIu64 " KiB", size / 1024);
  return g_strdup_printf ("%" PRIu64 " bytes", size);
}

const gchar *
df_sector_flags_to_string (DfSectorFlags flags)
{
  static const gchar *const names[] = { "---", "r--", "-e-", "re-", "--w", "r-w", "-ew", "rew" };
  return names[flags & 0x7];
}

/* words for anything short of "read, erase, write" */
static const gchar *
flags_words (DfSectorFlags flags)
{
  switch (flags & 0x7)
    {
    case 0: return "no access";
    case DF_SECTOR_READABLE: return "read-only";
    case DF_SECTOR_ERASABLE: return "erasable only";
    case DF_SECTOR_READABLE | DF_SECTOR_ERASABLE: return "readable and erasable, not writeable";
    case DF_SECTOR_WRITEABLE: return "write-only";
    case DF_SECTOR_READABLE | DF_SECTOR_WRITEABLE: return "readable and writeable, not erasable";
    case DF_SECTOR_ERASABLE | DF_SECTOR_WRITEABLE: return "erasable and writeable, not readable";
    default: return NULL;
    }
}

gchar *
df_layout_describe (const DfLayout *layout)
{
  g_autoptr(GString) out = g_string_new (layout->name[0] != '\0' ? layout->name : "Unnamed memory");
  g_autofree gchar *total = df_layout_format_size (df_layout_get_size (layout));
  gboolean same_flags = TRUE;
  DfSectorFlags first_flags = DF_SECTOR_ALL;
  gboolean have_first = FALSE;

  /* flags said once at the end when every group shares them */
  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      for (guint j = 0; j < region->groups->len; j++)
        {
          DfSectorFlags f = g_array_index (region->groups, DfSectorGroup, j).flags;
          if (!have_first)
            {
              first_flags = f;
              have_first = TRUE;
            }
          else if (f != first_flags)
            same_flags = FALSE;
        }
    }

  if (layout->regions->len == 1)
    g_string_append_printf (out, ", %s", total);
  else
    g_string_append_printf (out, ", %s in %u regions", total, layout->regions->len);

  for (guint i = 0; i < layout->regions->len; i++)
    {
      const DfRegion *region = g_ptr_array_index (layout->regions, i);
      if (layout->regions->len == 1)
        g_string_append_printf (out, " at 0x%08X:", region->start);
      else
        {
          g_autofree gchar *size = df_layout_format_size (region->size);
          g_string_append_printf (out, "%s %s at 0x%08X:", i == 0 ? ":" : ";", size, region->start);
        }
      for (guint j = 0; j < region->groups->len; j++)
        {
          const DfSectorGroup *group = &g_array_index (region->groups, DfSectorGroup, j);
          g_autofree gchar *size = df_layout_format_size (group->size);
          g_string_append_printf (out, "%s %u x %s", j == 0 ? "" : ",", group->count, size);
          if (!same_flags && flags_words (group->flags) != NULL)
            g_string_append_printf (out, " (%s)", flags_words (group->flags));
        }
    }
  if (same_flags && have_first && flags_words (first_flags) != NULL)
    g_string_append_printf (out, " (%s)", flags_words (first_flags));
  return g_string_free (g_steal_pointer (&out), FALSE);
}
