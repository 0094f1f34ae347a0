#include "defuse-cli.h"

int
cli_pack (int argc, char **argv)
{
  cli_error ("not written yet");
  return CLI_EXIT_USAGE;
}
