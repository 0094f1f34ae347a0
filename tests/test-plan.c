/* test-plan: what a flash will do, decided without USB. */
#include <string.h>

#include "df-error.h"
#include "df-plan.h"
#include "df-test-util.h"

#define F405_FLASH "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
#define F405_OPTIONS "@Option Bytes  /0x1FFFC000/01*016 e"

static DfDevice *
f405 (void)
{
  DfDevice *device = df_device_new ();
  device->vid = 0x0483;
  device->pid = 0xdf11;
  device->path = g_strdup ("1-1");
  device->mode = DF_DEVICE_MODE_DFUSE;
  device->attributes = 0x0B;
  device->transfer_size = 2048;
  device->dfu_version = 0x011a;
  df_device_add_alt (device, 0, F405_FLASH);
  df_device_add_alt (device, 1, F405_OPTIONS);
  return device;
}

static gboolean
has_problem (DfPlan *plan, gboolean overridable, const gchar *phrase)
{
  for (guint i = 0; i < plan->problems->len; i++)
    {
      DfPlanProblem *p = g_ptr_array_index (plan->problems, i);
      if (p->overridable == overridable && strstr (p->message, phrase) != NULL)
        return TRUE;
    }
  for (guint i = 0; i < plan->problems->len; i++)
    g_printerr ("# problem: %s\n", ((DfPlanProblem *) g_ptr_array_index (plan->problems, i))->message);
  return FALSE;
}

static DfPlan *
plan_for (DfImage *image, DfDevice *device)
{
  DfPlanOptions options;
  df_plan_options_init (&options);
  return df_plan_new (image, device, &options);
}

static void
test_micropython_layout (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 14776 }, { 0x08020000, 306928 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = plan_for (image, device);
  DfPlanTarget *target;
  const gboolean want_erase[12] = { TRUE, FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE };

  g_assert_true (df_plan_check (plan, FALSE, NULL));
  g_assert_true (plan->dfuse);
  g_assert_cmpuint (plan->targets->len, ==, 1);
  target = g_ptr_array_index (plan->targets, 0);
  g_assert_cmpstr (target->name, ==, "Internal Flash");
  g_assert_cmpuint (target->sectors->len, ==, 12);
  for (guint i = 0; i < 12; i++)
    {
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
      g_assert_cmpint (s->erase, ==, want_erase[i]);
      g_assert_cmpint (s->touched, ==, want_erase[i]);
    }
  /* 306928 bytes from 0x08020000 cross two sector boundaries: 4 pieces */
  g_assert_cmpuint (target->writes->len, ==, 4);
  g_assert_cmphex (((DfPlanWrite *) g_ptr_array_index (target->writes, 2))->address, ==, 0x08040000);
  g_assert_cmpuint (g_bytes_get_size (((DfPlanWrite *) g_ptr_array_index (target->writes, 1))->data), ==, 128 * 1024);
  g_assert_cmpuint (plan->write_bytes, ==, 14776 + 306928);
  g_assert_cmpuint (plan->erase_count, ==, 4);
  g_assert_cmpuint (plan->erase_bytes, ==, 16 * 1024 + 3 * 128 * 1024);
  g_assert_cmphex (plan->start_address, ==, 0x08000000);
}

static void
test_ids (void)
{
  static const struct {
    guint16 vid, pid;
    gboolean ok;
  } cases[] = {
    { 0x0483, 0xdf11, TRUE },
    { 0xffff, 0xffff, TRUE },   /* any */
    { 0x0483, 0x0000, TRUE },   /* ST's DfuFileMgr: unspecified */
    { 0x0483, 0x5740, FALSE },
    { 0x1209, 0xdf11, FALSE },
  };
  g_autoptr(DfDevice) device = f405 ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DfTestSegment segs[] = { { 0x08000000, 64 } };
      g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
      g_autoptr(DfPlan) plan = NULL;
      g_autoptr(GError) error = NULL;

      image->has_suffix = TRUE;
      image->suffix.vid = cases[i].vid;
      image->suffix.pid = cases[i].pid;
      plan = plan_for (image, device);
      g_assert_cmpint (df_plan_check (plan, FALSE, &error), ==, cases[i].ok);
      if (!cases[i].ok)
        {
          g_assert_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE);
          g_assert_true (has_problem (plan, TRUE, "0483:df11"));
          /* --force overrides a mismatch */
          g_assert_true (df_plan_check (plan, TRUE, NULL));
        }
    }
}

/* a layout that lists its regions high address first: each sector the
 * file writes into is touched and erased all the same (fuzz-device: the
 * plan touched none, and the job wrote to memory it never erased) */
static void
test_regions_out_of_order (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 100 }, { 0x08004010, 20 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = NULL;
  DfPlanTarget *target;

  g_ptr_array_set_size (device->alts, 0);
  df_device_add_alt (device, 0, "@Internal Flash  /0x08004000/01*016Kg/0x08000000/01*016Kg");
  plan = plan_for (image, device);
  g_assert_true (df_plan_check (plan, FALSE, NULL));
  target = g_ptr_array_index (plan->targets, 0);
  g_assert_cmpuint (target->sectors->len, ==, 2);
  g_assert_cmphex (g_array_index (target->sectors, DfPlanSector, 0).start, ==, 0x08004000);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (g_array_index (target->sectors, DfPlanSector, i).touched);
      g_assert_true (g_array_index (target->sectors, DfPlanSector, i).erase);
    }
  g_assert_cmpuint (plan->erase_count, ==, 2);
}

static void
test_outside_layout (void)
{
  const DfTestSegment segs[] = { { 0x080F0000, 128 * 1024 } };  /* runs past 1 MiB */
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = plan_for (image, device);

  g_assert_true (has_problem (plan, FALSE, "0x08100000 is outside “Internal Flash”"));
  g_assert_false (df_plan_check (plan, TRUE, NULL)); /* not overridable */
}

static void
test_not_erasable (void)
{
  const DfTestSegment segs[] = { { 0x1FFFC000, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = NULL;
  DfPlanTarget *target;
  DfPlanSector *sector;

  ((DfTarget *) g_ptr_array_index (image->targets, 0))->alt = 1;
  plan = plan_for (image, device);
  g_assert_true (df_plan_check (plan, FALSE, NULL));
  target = g_ptr_array_index (plan->targets, 0);
  sector = &g_array_index (target->sectors, DfPlanSector, 0);
  g_assert_true (sector->touched);
  g_assert_false (sector->erase); /* type 'e': readable + writeable, not erasable */
  g_assert_cmpuint (plan->erase_count, ==, 0);
}

static void
test_payload_needs_address (void)
{
  g_autoptr(GBytes) data = df_test_pattern (1000, 1);
  g_autoptr(DfImage) image = df_image_new (DF_FORMAT_RAW, "fw.bin");
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) without = NULL;
  g_autoptr(DfPlan) with = NULL;
  DfPlanOptions options;

  df_target_add_payload (df_image_add_target (image, 0, NULL), data);
  without = plan_for (image, device);
  g_assert_true (has_problem (without, FALSE, "--address 0x08000000"));

  df_plan_options_init (&options);
  options.has_address = TRUE;
  options.address = 0x08004000;
  with = df_plan_new (image, device, &options);
  g_assert_true (df_plan_check (with, FALSE, NULL));
  g_assert_cmphex (((DfPlanWrite *) g_ptr_array_index (((DfPlanTarget *) g_ptr_array_index (with->targets, 0))->writes, 0))->address,
                   ==, 0x08004000);
}

static void
test_overlap (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 256 }, { 0x08000080, 256 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 2);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = plan_for (image, device);

  g_assert_true (has_problem (plan, FALSE, "twice"));
}

static void
test_missing_alt (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = NULL;

  ((DfTarget *) g_ptr_array_index (image->targets, 0))->alt = 5;
  plan = plan_for (image, device);
  g_assert_true (has_problem (plan, FALSE, "alt 5, which the device does not have; it has: 0 (Internal Flash), 1 (Option Bytes)"));
}

static void
test_plain_device (void)
{
  g_autoptr(DfDevice) device = df_device_new ();
  g_autoptr(GBytes) data = df_test_pattern (5000, 2);
  g_autoptr(DfImage) payload = df_image_new (DF_FORMAT_DFU, "fw.dfu");
  g_autoptr(DfPlan) good = NULL;
  g_autoptr(DfPlan) bad = NULL;
  const DfTestSegment segs[] = { { 0x08000000, 16 } };
  g_autoptr(DfImage) dfuse = df_test_image (DF_FORMAT_DFUSE, segs, 1);

  device->vid = 0x1209;
  device->pid = 0x5bf0;
  device->path = g_strdup ("1-2");
  device->mode = DF_DEVICE_MODE_DFU;
  device->transfer_size = 1024;
  df_device_add_alt (device, 0, "firmware");

  df_target_add_payload (df_image_add_target (payload, 0, NULL), data);
  good = plan_for (payload, device);
  g_assert_true (df_plan_check (good, FALSE, NULL));
  g_assert_false (good->dfuse);
  g_assert_cmpuint (good->write_bytes, ==, 5000);

  bad = plan_for (dfuse, device);
  g_assert_true (has_problem (bad, FALSE, "plain DFU 1.1"));
}

static void
test_runtime_device (void)
{
  g_autoptr(DfDevice) device = f405 ();
  const DfTestSegment segs[] = { { 0x08000000, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  g_autoptr(DfPlan) plan = NULL;

  device->mode = DF_DEVICE_MODE_RUNTIME;
  plan = plan_for (image, device);
  g_assert_true (has_problem (plan, FALSE, "switch it to DFU mode"));
}

static void
test_mass_erase (void)
{
  const DfTestSegment segs[] = { { 0x08000000, 64 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_DFUSE, segs, 1);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = NULL;
  DfPlanOptions options;

  df_plan_options_init (&options);
  options.mass_erase = TRUE;
  plan = df_plan_new (image, device, &options);
  g_assert_true (df_plan_check (plan, FALSE, NULL));
  g_assert_cmpuint (plan->erase_count, ==, 0);
  g_assert_cmpuint (plan->erase_bytes, ==, 1024 * 1024);
}

static void
test_alt_option (void)
{
  /* a HEX file goes to the alt the user names */
  const DfTestSegment segs[] = { { 0x1FFFC000, 16 } };
  g_autoptr(DfImage) image = df_test_image (DF_FORMAT_IHEX, segs, 1);
  g_autoptr(DfDevice) device = f405 ();
  g_autoptr(DfPlan) plan = NULL;
  DfPlanOptions options;

  df_plan_options_init (&options);
  options.alt = 1;
  plan = df_plan_new (image, device, &options);
  g_assert_true (df_plan_check (plan, FALSE, NULL));
  g_assert_cmpuint (((DfPlanTarget *) g_ptr_array_index (plan->targets, 0))->alt, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plan/micropython-layout", test_micropython_layout);
  g_test_add_func ("/plan/ids", test_ids);
  g_test_add_func ("/plan/regions-out-of-order", test_regions_out_of_order);
  g_test_add_func ("/plan/outside-layout", test_outside_layout);
  g_test_add_func ("/plan/not-erasable", test_not_erasable);
  g_test_add_func ("/plan/payload-needs-address", test_payload_needs_address);
  g_test_add_func ("/plan/overlap", test_overlap);
  g_test_add_func ("/plan/missing-alt", test_missing_alt);
  g_test_add_func ("/plan/plain-device", test_plain_device);
  g_test_add_func ("/plan/runtime-device", test_runtime_device);
  g_test_add_func ("/plan/mass-erase", test_mass_erase);
  g_test_add_func ("/plan/alt-option", test_alt_option);
  return g_test_run ();
}
