/* test-alt-names: every alt-setting name real devices sent
 * (../shared/corpus/dfu-alt-names.tsv, byte for byte), read by Defuse and
 * checked against what the name says, worked out here independently with a
 * regular expression per sector group.  Skips when the corpus is absent. */
#include <string.h>

#include "df-layout.h"
#include "df-test-util.h"

typedef struct {
  guint32 start;
  guint64 size;
  guint   sectors;
} Region;

/* "04*016Kg": count, size, multiplier (B, K, M, a space or none), type */
static gboolean
read_group (GRegex *group, const gchar *text, guint64 *bytes, guint *count)
{
  g_autoptr(GMatchInfo) info = NULL;
  g_autofree gchar *n = NULL, *size = NULL, *mult = NULL;
  guint64 unit = 1;

  if (!g_regex_match (group, text, 0, &info))
    return FALSE;
  n = g_match_info_fetch (info, 1);
  size = g_match_info_fetch (info, 2);
  mult = g_match_info_fetch (info, 3);
  if (g_str_equal (mult, "K"))
    unit = 1024;
  else if (g_str_equal (mult, "M"))
    unit = 1024 * 1024;
  *count = (guint) g_ascii_strtoull (n, NULL, 10);
  *bytes = *count * g_ascii_strtoull (size, NULL, 10) * unit;
  return TRUE;
}

/* the regions a name describes; FALSE when it is not a well-formed layout */
static gboolean
expected_regions (const gchar *name, GArray *regions)
{
  g_autoptr(GRegex) group = g_regex_new ("^\\s*(\\d+)\\*(\\d+)\\s*([BKM]?)\\s*([a-g]?)\\s*$", 0, 0, NULL);
  g_auto(GStrv) parts = g_strsplit (name + 1, "/", -1);
  guint n = g_strv_length (parts);

  if (n < 3 || n % 2 != 1)
    return FALSE;
  for (guint i = 1; i + 1 < n; i += 2)
    {
      g_auto(GStrv) groups = g_strsplit (parts[i + 1], ",", -1);
      g_autofree gchar *address = g_strstrip (g_strdup (parts[i]));
      Region region = { 0 };
      gchar *end = NULL;

      region.start = (guint32) g_ascii_strtoull (address, &end, 16);
      if (!g_str_has_prefix (address, "0x") || *end != '\0')
        return FALSE;
      for (guint g = 0; groups[g] != NULL; g++)
        {
          guint64 bytes;
          guint count;
          if (!read_group (group, groups[g], &bytes, &count))
            return FALSE;
          region.size += bytes;
          region.sectors += count;
        }
      g_array_append_val (regions, region);
    }
  return TRUE;
}

static void
check_name (const gchar *device, const gchar *name)
{
  g_autoptr(GArray) want = g_array_new (FALSE, FALSE, sizeof (Region));
  g_autoptr(GError) error = NULL;
  g_autoptr(DfLayout) layout = df_layout_parse (name, &error);
  gboolean described;

  g_test_message ("%s: “%s” -> %s", device, name, layout != NULL ? "layout" : error->message);
  if (name[0] != '@')
    {
      /* a plain DFU name is not a layout, and says so */
      g_assert_null (layout);
      return;
    }
  described = expected_regions (name, want);
  for (guint i = 0; described && i < want->len; i++)
    described = g_array_index (want, Region, i).size > 0;
  if (!described)
    {
      /* "0*4Kg" and templates describe no memory: refused with a reason,
       * or read as no memory at all, never as some */
      g_assert_true (layout == NULL || df_layout_get_size (layout) == 0);
      g_assert_true (layout != NULL || error->message[0] != '\0');
      return;
    }
  g_assert_nonnull (layout);
  g_assert_cmpuint (layout->regions->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    {
      Region *w = &g_array_index (want, Region, i);
      DfRegion *got = g_ptr_array_index (layout->regions, i);
      g_assert_cmphex (got->start, ==, w->start);
      g_assert_cmpuint (got->size, ==, w->size);
      g_assert_cmpuint (got->groups->len, >, 0);
    }
  {
    guint sectors = 0;
    for (guint i = 0; i < want->len; i++)
      sectors += g_array_index (want, Region, i).sectors;
    g_assert_cmpuint (df_layout_count_sectors (layout), ==, sectors);
  }
}

static void
test_corpus_names (void)
{
  g_autofree gchar *path = df_test_corpus_file ("dfu-alt-names.tsv");
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint checked = 0, layouts = 0;

  if (path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "device\t"));
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);
      if (g_strv_length (fields) < 7)
        continue;
      check_name (fields[0], fields[5]);
      checked++;
      layouts += fields[5][0] == '@';
    }
  g_test_message ("%u names, %u of them layouts", checked, layouts);
  g_assert_cmpuint (checked, >=, 40);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alt-names/corpus", test_corpus_names);
  return g_test_run ();
}
