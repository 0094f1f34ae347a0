/* df-dfuse-commands.c: ST's DfuSe extension (AN3156): set address,
 * erase, mass erase and read unprotect, each a DNLOAD of wBlockNum 0 and
 * its status wait; the STM32H7 rev V erase wedge.  The DFU 1.1 requests
 * and the status wait are df-protocol.c's. */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-le.h"
#include "df-protocol-private.h"

/* DfuSe commands, sent with DNLOAD wBlockNum 0 */
#define DFUSE_SET_ADDRESS    0x21
#define DFUSE_ERASE          0x41
#define DFUSE_READ_UNPROTECT 0x92

static gboolean
dfuse_command (DfConnection *c, guint8 command, const guint32 *address, DfPollOp op, guint busy_ms,
               GError **error)
{
  guint8 buf[5] = { command };
  gsize length = 1;
  gboolean refused = FALSE;

  if (address != NULL)
    {
      df_put_le32 (buf + 1, *address);
      length = 5;
    }
  /* a refused early status leaves it unknown whether the command ran:
   * running it again is harmless (the pointer is set again, the sector
   * erased again), and the second time is timed by the spec */
  do
    {
      if (!df_dfu_dnload (c, 0, buf, length, error) ||
          !df_protocol_wait_while_busy (c, op, 0, busy_ms, NULL, &refused, error))
        return FALSE;
    }
  while (refused);
  return TRUE;
}

gboolean
df_dfuse_set_address (DfConnection *c, guint32 address, GError **error)
{
  if (!dfuse_command (c, DFUSE_SET_ADDRESS, &address, DF_POLL_OP_COMMAND, DF_REQUEST_TIMEOUT_MS, error))
    {
      g_prefix_error (error, _("setting the address to 0x%08x: "), address);
      return FALSE;
    }
  return TRUE;
}

/* STM32H743 rev V can stay in dfuDNBUSY after an erase; what
 * STM32CubeProgrammer does (betaflight-configurator webusbdfu.js): CLRSTATUS
 * (-> dfuERROR), CLRSTATUS (-> dfuIDLE), and the erase counts as done.
 * The quirk table says where and after how long. */
static gboolean
erase_may_wedge (DfConnection *c, guint32 address)
{
  return c->quirks != NULL && c->quirks->clear_twice_after_erase_from != 0 &&
         address >= c->quirks->clear_twice_after_erase_from &&
         c->quirks->clear_twice_after_ms > 0 && !c->quirks->clear_status_only_in_error;
}

static gboolean
unwedge (DfConnection *c, GError **error)
{
  DfStatus status;

  g_debug ("still dfuDNBUSY after %u ms: clearing status twice", c->quirks->clear_twice_after_ms);
  if (!df_dfu_clear_status (c, error) || !df_dfu_clear_status (c, error) ||
      !df_dfu_get_status (c, &status, error))
    return FALSE;
  if (status.state != DF_STATE_DFU_IDLE)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("the device stayed busy after the erase and did not return to dfuIDLE (%s)"),
                   df_state_to_string (status.state));
      return FALSE;
    }
  return TRUE;
}

gboolean
df_dfuse_erase_page (DfConnection *c, guint32 address, GError **error)
{
  if (erase_may_wedge (c, address))
    {
      g_autoptr(GError) local = NULL;

      if (!dfuse_command (c, DFUSE_ERASE, &address, DF_POLL_OP_ERASE, c->quirks->clear_twice_after_ms, &local) &&
          !(g_error_matches (local, DF_ERROR, DF_ERROR_DEVICE) && unwedge (c, error)))
        {
          if (local != NULL && (error == NULL || *error == NULL))
            g_propagate_error (error, g_steal_pointer (&local));
          g_prefix_error (error, _("erasing the sector at 0x%08x: "), address);
          return FALSE;
        }
      return TRUE;
    }
  if (!dfuse_command (c, DFUSE_ERASE, &address, DF_POLL_OP_ERASE, c->max_busy_ms, error))
    {
      g_prefix_error (error, _("erasing the sector at 0x%08x: "), address);
      return FALSE;
    }
  return TRUE;
}

gboolean
df_dfuse_mass_erase (DfConnection *c, GError **error)
{
  if (!dfuse_command (c, DFUSE_ERASE, NULL, DF_POLL_OP_ONE_OFF, c->max_busy_ms, error))
    {
      g_prefix_error (error, _("mass erase: "));
      return FALSE;
    }
  return TRUE;
}

gboolean
df_dfuse_read_unprotect (DfConnection *c, GError **error)
{
  g_autoptr(GError) local = NULL;

  /* the device erases everything and resets: it vanishing is success */
  if (!dfuse_command (c, DFUSE_READ_UNPROTECT, NULL, DF_POLL_OP_ONE_OFF, c->max_busy_ms, &local) &&
      !g_error_matches (local, DF_ERROR, DF_ERROR_DISCONNECTED))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), _("read unprotect: "));
      return FALSE;
    }
  return TRUE;
}
