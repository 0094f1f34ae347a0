/* test-sim-device: the virtual DFU device model, in process. */
#include "sim-private.h"

static void
test_smoke (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SimProfile) profile = sim_profile_load ("stm32f405", &error);
  g_autoptr(SimDevice) dev = NULL;

  g_assert_no_error (error);
  dev = sim_device_new (profile, NULL, 1.0);
  g_assert_cmpuint (sim_device_get_info (dev)->vid, ==, 0x0483);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/smoke", test_smoke);
  return g_test_run ();
}
