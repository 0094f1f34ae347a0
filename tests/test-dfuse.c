/* test-dfuse: DfuSe and plain DFU reading and writing. */
#include "df-test-util.h"

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  return g_test_run ();
}
