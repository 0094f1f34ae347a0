/* fuzz-common.c: helpers for the libFuzzer targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* a critical (a failed g_return_if_fail) is a bug the fuzzer must report */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

GBytes *
fuzz_bytes (const uint8_t *data, size_t size)
{
  return g_bytes_new_static (data, size);
}

static void
print_image (DfImage *image)
{
  for (guint i = 0; i < image->diagnostics->len; i++)
    {
      g_autofree gchar *text = df_image_format_diagnostic (image, g_ptr_array_index (image->diagnostics, i));
      fprintf (stderr, "  %s\n", text);
    }
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      fprintf (stderr, "  target alt %u \"%s\"\n", target->alt, target->name != NULL ? target->name : "");
      for (guint j = 0; j < target->segments->len; j++)
        {
          DfSegment *seg = g_ptr_array_index (target->segments, j);
          fprintf (stderr, "    segment 0x%08x%s %" G_GSIZE_FORMAT " bytes\n", seg->address,
                   seg->has_address ? "" : " (no address)", g_bytes_get_size (seg->data));
        }
    }
}

static void G_GNUC_NORETURN
fail (const char *what, DfImage *a, DfImage *b)
{
  fprintf (stderr, "fuzz invariant broken: %s\n", what);
  if (a != NULL)
    {
      fprintf (stderr, "first image:\n");
      print_image (a);
    }
  if (b != NULL)
    {
      fprintf (stderr, "second image:\n");
      print_image (b);
    }
  abort ();
}

void
fuzz_assert_clean (DfImage *image, const char *what)
{
  if (df_image_has_errors (image))
    fail (what, image, NULL);
}

GBytes *
fuzz_write (DfImage *image, DfFormat format, const DfWriteOptions *options)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = df_image_write (image, format, options, &error);

  if (bytes != NULL)
    return bytes;
  if (!g_error_matches (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED) &&
      !g_error_matches (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT))
    {
      fprintf (stderr, "writing %s failed: %s\n", df_format_to_string (format), error->message);
      fail ("the writer failed for a reason other than the image", image, NULL);
    }
  return NULL;
}

/* one target's bytes laid out: sorted runs of contiguous addresses */
typedef struct {
  guint64     start;
  GByteArray *data;
} Run;

static void
run_clear (gpointer data)
{
  Run *run = data;
  g_byte_array_unref (run->data);
}

typedef struct {
  guint64 start, end;
} Interval;

static gint
interval_cmp (gconstpointer a, gconstpointer b)
{
  const Interval *ia = a, *ib = b;
  return ia->start < ib->start ? -1 : ia->start > ib->start;
}

static GArray *
flatten (DfTarget *target)
{
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (Run));
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (Interval));

  g_array_set_clear_func (runs, run_clear);
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *seg = g_ptr_array_index (target->segments, i);
      Interval iv = { seg->address, (guint64) seg->address + g_bytes_get_size (seg->data) };
      if (iv.end > iv.start)
        g_array_append_val (intervals, iv);
    }
  g_array_sort (intervals, interval_cmp);

  /* merge touching and overlapping intervals into runs */
  for (guint i = 0; i < intervals->len;)
    {
      Run run = { g_array_index (intervals, Interval, i).start, NULL };
      guint64 end = g_array_index (intervals, Interval, i).end;
      for (i++; i < intervals->len && g_array_index (intervals, Interval, i).start <= end; i++)
        end = MAX (end, g_array_index (intervals, Interval, i).end);
      run.data = g_byte_array_sized_new ((guint) (end - run.start));
      g_byte_array_set_size (run.data, (guint) (end - run.start));
      g_array_append_val (runs, run);
    }

  /* then the bytes, in segment order: later segments win */
  for (guint i = 0; i < target->segments->len; i++)
    {
      DfSegment *seg = g_ptr_array_index (target->segments, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (seg->data, &size);
      for (guint r = 0; r < runs->len && size > 0; r++)
        {
          Run *run = &g_array_index (runs, Run, r);
          if (seg->address >= run->start && seg->address - run->start < run->data->len)
            {
              memcpy (run->data->data + (seg->address - run->start), data, size);
              break;
            }
        }
    }
  return runs;
}

void
fuzz_assert_same_memory (DfImage *a, DfImage *b, gboolean same_alts)
{
  if (a->targets->len != b->targets->len)
    fail ("the number of targets changed", a, b);
  for (guint i = 0; i < a->targets->len; i++)
    {
      DfTarget *ta = g_ptr_array_index (a->targets, i);
      DfTarget *tb = g_ptr_array_index (b->targets, i);
      g_autoptr(GArray) ra = flatten (ta);
      g_autoptr(GArray) rb = flatten (tb);

      if (same_alts && ta->alt != tb->alt)
        fail ("a target's alternate setting changed", a, b);
      if (ra->len != rb->len)
        fail ("the bytes are at different addresses", a, b);
      for (guint r = 0; r < ra->len; r++)
        {
          Run *x = &g_array_index (ra, Run, r);
          Run *y = &g_array_index (rb, Run, r);
          if (x->start != y->start || x->data->len != y->data->len ||
              memcmp (x->data->data, y->data->data, x->data->len) != 0)
            fail ("the bytes differ", a, b);
        }
    }
}

gboolean
fuzz_has_overlaps (DfImage *image)
{
  for (guint i = 0; i < image->targets->len; i++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, i);
      g_autoptr(GArray) runs = flatten (target);
      guint64 covered = 0, total = 0;
      for (guint r = 0; r < runs->len; r++)
        covered += g_array_index (runs, Run, r).data->len;
      for (guint j = 0; j < target->segments->len; j++)
        total += g_bytes_get_size (((DfSegment *) g_ptr_array_index (target->segments, j))->data);
      if (covered != total)
        return TRUE;
    }
  return FALSE;
}

void
fuzz_assert_content_equal (DfImage *a, DfImage *b)
{
  if (!df_image_content_equal (a, b))
    fail ("the content changed in a write and read back", a, b);
}

int
fuzz_text_records (const uint8_t *data, size_t size, FuzzParseFunc parse, DfFormat format)
{
  g_autoptr(GBytes) bytes = fuzz_bytes (data, size);
  g_autoptr(DfImage) image = parse (bytes, "fuzz-input", DF_LOAD_NONE);
  g_autoptr(GBytes) out = NULL, again = NULL;
  g_autoptr(DfImage) back = NULL;

  if (df_image_has_errors (image))
    {
      g_clear_pointer (&image, df_image_unref);
      image = parse (bytes, "fuzz-input", DF_LOAD_IGNORE_CRC);
      if (df_image_has_errors (image))
        return 0;
    }

  out = fuzz_write (image, format, NULL);
  if (out == NULL)
    return 0;
  back = parse (out, "rewritten", DF_LOAD_NONE);
  fuzz_assert_clean (back, "a written file does not read back");
  fuzz_assert_same_memory (image, back, TRUE);
  if (fuzz_has_overlaps (image))
    return 0; /* the first read-back may join segments the overlaps had split */
  again = fuzz_write (back, format, NULL);
  g_assert_nonnull (again);
  g_assert_true (g_bytes_equal (out, again));
  return 0;
}
