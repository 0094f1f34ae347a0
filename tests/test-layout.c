/* test-layout: DfuSe alternate-setting layouts, from real bootloaders and
 * from broken ones. */
#include <string.h>

#include "df-error.h"
#include "df-layout.h"
#include "df-test-util.h"

typedef struct {
  const gchar *what;
  const gchar *str;
  const gchar *name;
  guint        regions;
  guint64      size;
  guint        sectors;
  const gchar *describe;
  guint        notes;
} GoodLayout;

/* strings as the devices report them (dfu-util -l output in bug reports) */
static const GoodLayout good[] = {
  { "STM32F405 internal flash", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
    "Internal Flash", 1, 1024 * 1024, 12,
    "Internal Flash, 1 MiB at 0x08000000: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB", 0 },
  { "STM32F405 option bytes", "@Option Bytes  /0x1FFFC000/01*016 e",
    "Option Bytes", 1, 16, 1,
    "Option Bytes, 16 bytes at 0x1FFFC000: 1 x 16 bytes (readable and writeable, not erasable)", 0 },
  { "STM32F405 OTP", "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
    "OTP Memory", 1, 528, 2,
    "OTP Memory, 528 bytes at 0x1FFF7800: 1 x 512 bytes, 1 x 16 bytes (readable and writeable, not erasable)", 0 },
  { "STM32F405 device feature", "@Device Feature/0xFFFF0000/01*004 e",
    "Device Feature", 1, 4, 1,
    "Device Feature, 4 bytes at 0xFFFF0000: 1 x 4 bytes (readable and writeable, not erasable)", 0 },
  { "STM32F411 internal flash", "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
    "Internal Flash", 1, 512 * 1024, 8,
    "Internal Flash, 512 KiB at 0x08000000: 4 x 16 KiB, 1 x 64 KiB, 3 x 128 KiB", 0 },
  { "STM32L476 (as in the brief)", "@Internal Flash  /0x08000000/512*02Kg",
    "Internal Flash", 1, 1024 * 1024, 512,
    "Internal Flash, 1 MiB at 0x08000000: 512 x 2 KiB", 0 },
  { "STM32L4 with zero padding", "@Internal Flash  /0x08000000/0128*0002Kg",
    "Internal Flash", 1, 256 * 1024, 128, NULL, 0 },
  { "STM32L4 OTP in K", "@OTP Memory /0x1FFF7000/01*0001Ke",
    "OTP Memory", 1, 1024, 1, NULL, 0 },
  { "STM32L4 option bytes", "@Option Bytes  /0x1FFF7800/01*040 e",
    "Option Bytes", 1, 40, 1, NULL, 0 },
  { "STM32H743 as one string", "@Internal Flash   /0x08000000/16*128Kg",
    "Internal Flash", 1, 2 * 1024 * 1024, 16, NULL, 0 },
  { "STM32H743 two banks", "@Internal Flash   /0x08000000/08*128Kg/0x08100000/08*128Kg",
    "Internal Flash", 2, 2 * 1024 * 1024, 16,
    "Internal Flash, 2 MiB in 2 regions: 1 MiB at 0x08000000: 8 x 128 KiB; 1 MiB at 0x08100000: 8 x 128 KiB", 0 },
  { "STM32H7A3", "@Internal Flash   /0x08000000/256*08Kg",
    "Internal Flash", 1, 2 * 1024 * 1024, 256, NULL, 0 },
  { "STM32H7A3 option bytes", "@Option Bytes   /0x5200201C/01*297 e",
    "Option Bytes", 1, 297, 1, NULL, 0 },
  { "GD32VF103 (Longan Nano, wrong)", "@Internal Flash  /0x08000000/512*002Kg",
    "Internal Flash", 1, 1024 * 1024, 512, NULL, 0 },
  { "GD32VF103 (bare chip)", "@Internal Flash  /0x08000000/128*001Kg",
    "Internal Flash", 1, 128 * 1024, 128, NULL, 0 },
  { "GD32VF103 option bytes", "@Option Bytes  /0x1FFFF800/01*016 g",
    "Option Bytes", 1, 16, 1, "Option Bytes, 16 bytes at 0x1FFFF800: 1 x 16 bytes", 0 },
  { "STM32F072", "@Internal Flash  /0x08000000/064*0002Kg",
    "Internal Flash", 1, 128 * 1024, 64, "Internal Flash, 128 KiB at 0x08000000: 64 x 2 KiB", 0 },
  { "read-only first sector", "@Internal Flash  /0x08000000/01*016Ka,03*016Kg,01*064Kg,07*128Kg",
    "Internal Flash", 1, 1024 * 1024, 12,
    "Internal Flash, 1 MiB at 0x08000000: 1 x 16 KiB (read-only), 3 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB", 0 },
  { "megabyte multiplier", "@SPI Flash /0x90000000/16*1Mg",
    "SPI Flash", 1, 16 * 1024 * 1024, 16, NULL, 0 },
  { "explicit bytes", "@RAM /0x20000000/128*1024Bg",
    "RAM", 1, 128 * 1024, 128, NULL, 0 },
  { "top of the address space", "@Top /0xFFFFF000/1*4Kg",
    "Top", 1, 4096, 1, NULL, 0 },
  /* accepted with notes */
  { "STM32F7 with no multiplier", "@Internal Flash  /0x08000000/04*032g",
    "Internal Flash", 1, 128, 4, NULL, 1 },
  { "trailing slash", "@Internal Flash  /0x08000000/04*016Kg/",
    "Internal Flash", 1, 64 * 1024, 4, NULL, 1 },
  { "trailing comma and spaces", "@Internal Flash  /0x08000000/04*016Kg,  ",
    "Internal Flash", 1, 64 * 1024, 4, NULL, 1 },
  { "feature alt that says g", "@Device Feature/0xFFFF0000/01*004 g",
    "Device Feature", 1, 4, 1, NULL, 1 },
  { "overlapping regions", "@Twice /0x08000000/1*16Kg/0x08002000/1*16Kg",
    "Twice", 2, 32 * 1024, 2, NULL, 1 },
};

static void
test_good (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DfLayout) layout = df_layout_parse (good[i].str, &error);
      g_autofree gchar *text = NULL;
      g_autoptr(GArray) sectors = NULL;

      g_test_message ("%s: %s", good[i].what, good[i].str);
      g_assert_no_error (error);
      g_assert_nonnull (layout);
      g_assert_cmpstr (layout->name, ==, good[i].name);
      g_assert_cmpuint (layout->regions->len, ==, good[i].regions);
      g_assert_cmpuint (df_layout_get_size (layout), ==, good[i].size);
      g_assert_cmpuint (df_layout_count_sectors (layout), ==, good[i].sectors);
      g_assert_cmpuint (layout->notes->len, ==, good[i].notes);
      sectors = df_layout_get_sectors (layout);
      g_assert_cmpuint (sectors->len, ==, good[i].sectors);
      text = df_layout_describe (layout);
      if (good[i].describe != NULL)
        g_assert_cmpstr (text, ==, good[i].describe);

      /* every sector is found by its first and last address (where
       * regions overlap the first one wins, so skip those) */
      for (guint j = 0; j < sectors->len && strstr (good[i].what, "overlapping") == NULL; j++)
        {
          DfSector *s = &g_array_index (sectors, DfSector, j);
          DfSector found;
          g_assert_true (df_layout_find_sector (layout, s->start, &found));
          g_assert_cmpuint (found.start, ==, s->start);
          g_assert_cmpuint (found.size, ==, s->size);
          g_assert_true (df_layout_find_sector (layout, s->start + s->size - 1, &found));
          g_assert_cmpuint (found.start, ==, s->start);
          g_assert_cmpuint (found.index, ==, s->index);
          g_assert_cmpuint (found.region, ==, s->region);
        }
    }
}

static void
test_f405_sectors (void)
{
  g_autoptr(DfLayout) layout =
    df_layout_parse ("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", NULL);
  DfSector s;

  g_assert_true (df_layout_find_sector (layout, 0x08000000, &s));
  g_assert_cmphex (s.start, ==, 0x08000000);
  g_assert_cmpuint (s.size, ==, 16384);
  g_assert_cmpuint (s.index, ==, 0);
  g_assert_cmpuint (s.flags, ==, DF_SECTOR_ALL);
  g_assert_true (df_layout_find_sector (layout, 0x0800C123, &s));
  g_assert_cmphex (s.start, ==, 0x0800C000);
  g_assert_cmpuint (s.index, ==, 3);
  g_assert_true (df_layout_find_sector (layout, 0x08010000, &s));
  g_assert_cmpuint (s.size, ==, 65536);
  g_assert_cmpuint (s.index, ==, 4);
  g_assert_true (df_layout_find_sector (layout, 0x080FFFFF, &s));
  g_assert_cmphex (s.start, ==, 0x080E0000);
  g_assert_cmpuint (s.size, ==, 131072);
  g_assert_cmpuint (s.index, ==, 11);
  g_assert_false (df_layout_find_sector (layout, 0x08100000, &s));
  g_assert_false (df_layout_find_sector (layout, 0x07FFFFFF, NULL));
  g_assert_nonnull (df_layout_find_region (layout, 0x08080000));
  g_assert_null (df_layout_find_region (layout, 0x20000000));
}

static void
test_flags (void)
{
  static const struct {
    gchar letter;
    const gchar *rew;
  } letters[] = {
    { 'a', "r--" }, { 'b', "-e-" }, { 'c', "re-" }, { 'd', "--w" },
    { 'e', "r-w" }, { 'f', "-ew" }, { 'g', "rew" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (letters); i++)
    {
      g_autofree gchar *str = g_strdup_printf ("@X/0x0/1*1K%c", letters[i].letter);
      g_autoptr(DfLayout) layout = df_layout_parse (str, NULL);
      DfSector s;
      g_assert_nonnull (layout);
      g_assert_true (df_layout_find_sector (layout, 0, &s));
      g_assert_cmpstr (df_sector_flags_to_string (s.flags), ==, letters[i].rew);
      g_assert_cmpuint (s.flags, ==, (guint) (letters[i].letter & 7));
    }
}

typedef struct {
  const gchar *str;
  guint        column;   /* 1-based character the error points at */
  const gchar *words;    /* part of the message */
} BadLayout;

static const BadLayout bad[] = {
  { "", 1, "starts with '@'" },
  { "Internal Flash", 1, "starts with '@'" },
  { "@Internal Flash", 16, "no '/'" },
  { "@Internal Flash  /", 19, "no memory region" },
  { "@Flash /08000000/04*016Kg", 9, "expected a start address" },
  { "@Flash /0x/04*016Kg", 11, "hexadecimal digits" },
  { "@Flash /0x100000000/1*1Kg", 11, "32 bits" },
  { "@Flash /0x08000000", 19, "expected '/' after the start address" },
  { "@Flash /0x08000000/04x016Kg", 22, "expected '*'" },
  { "@Flash /0x08000000/04*Kg", 23, "sector size" },
  { "@Flash /0x08000000/04*016K", 27, "no type letter" },
  { "@Flash /0x08000000/04*016K,01*064Kg", 27, "no type letter" },
  { "@Flash /0x08000000/04*016Kh", 27, "unknown sector type 'h'" },
  { "@Flash /0x08000000/04*016Xg", 26, "expected a multiplier" },
  { "@Flash /0x08000000/00*016Kg", 21, "count of 0" },
  { "@Flash /0x08000000/04*000Kg", 23, "0 bytes" },
  { "@Flash /0xFFFFF000/2*4Kg", 22, "past the 4 GiB" },
  { "@Flash /0x08000000/1*4096Mg", 22, "past the 4 GiB" },
  { "@Flash /0x08000000/04*016Kg junk", 29, "unexpected 'j'" },
  { "@Flash /0x08000000/04*016Kgg", 28, "unexpected 'g'" },
  { "@Flash /0x08000000/99999999999*1Kg", 20, "larger than 4294967295" },
  { "@Flash /0x08000000/04*016Kg;01*064Kg", 28, "unexpected ';'" },
};

static void
test_bad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DfLayout) layout = df_layout_parse (bad[i].str, &error);
      g_autofree gchar *at = g_strdup_printf ("character %u:", bad[i].column);

      g_test_message ("%s -> %s", bad[i].str, error != NULL ? error->message : "(parsed)");
      g_assert_null (layout);
      g_assert_error (error, DF_ERROR, DF_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, bad[i].words));
      g_assert_nonnull (strstr (error->message, at));
    }
}

static void
test_sizes (void)
{
  static const struct {
    guint64 size;
    const gchar *text;
  } sizes[] = {
    { 0, "0 bytes" }, { 1, "1 byte" }, { 16, "16 bytes" }, { 528, "528 bytes" },
    { 1024, "1 KiB" }, { 1536, "1536 bytes" }, { 16384, "16 KiB" },
    { 1024 * 1024, "1 MiB" }, { 1536 * 1024, "1536 KiB" }, { G_GUINT64_CONSTANT (4) << 30, "4096 MiB" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree gchar *text = df_layout_format_size (sizes[i].size);
      g_assert_cmpstr (text, ==, sizes[i].text);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layout/good", test_good);
  g_test_add_func ("/layout/f405-sectors", test_f405_sectors);
  g_test_add_func ("/layout/flags", test_flags);
  g_test_add_func ("/layout/bad", test_bad);
  g_test_add_func ("/layout/sizes", test_sizes);
  return g_test_run ();
}
