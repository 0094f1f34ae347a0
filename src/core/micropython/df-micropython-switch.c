/* df-micropython-switch.c: a MicroPython board into DFU mode and back.
 *
 * machine.bootloader() makes the board switch USB off and jump to its
 * bootloader (ports/stm32/modmachine.c machine_bootloader(): the ROM's
 * DfuSe bootloader, or mboot), which enumerates on the same USB port a
 * moment later, with other ids and no serial port.  The port path is what
 * stays: a DFU device that appears elsewhere meanwhile is another board
 * (mpflash follows boards the same way, by port).  After leave the
 * firmware starts and its serial port comes back on that path. */
#include <glib/gi18n.h>

#include "df-error.h"
#include "df-job.h"
#include "df-micropython-switch.h"
#include "df-protocol.h"
#include "df-usb.h"

#define POLL_MS 50

/* the bootloader enumerates on the board's USB port: the port path is
 * what stays the same (ids, serial and device number change) */
static gboolean
same_port_in_dfu_mode (DfDevice *was, DfDevice *candidate)
{
  return !df_device_is_application (candidate) && g_strcmp0 (was->path, candidate->path) == 0;
}

static DfSerialPort *
serial_port_at (const gchar *path)
{
  g_autoptr(GPtrArray) ports = df_serial_port_enumerate ();

  for (guint i = 0; i < ports->len; i++)
    {
      DfSerialPort *port = g_ptr_array_index (ports, i);
      if (g_strcmp0 (port->path, path) == 0)
        return df_serial_port_ref (port);
    }
  return NULL;
}

DfDevice *
df_micropython_switch_and_wait (DfMicroPython *board, GCancellable *cancellable, GError **error)
{
  g_autofree gchar *path = g_strdup (board->port->path);
  g_autoptr(DfSerialPort) back = NULL;
  g_autoptr(DfDevice) was = NULL;
  g_autoptr(GError) local = NULL;
  DfDevice *dfu;

  if (!df_micropython_enter_bootloader (board, cancellable, error))
    {
      g_prefix_error (error, _("switching to DFU mode: "));
      return NULL;
    }
  was = df_micropython_to_device (board);
  dfu = df_device_wait_for (was, DF_MICROPYTHON_SWITCH_MS, same_port_in_dfu_mode, cancellable, &local);
  if (dfu != NULL || local != NULL)
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return dfu;
    }
  back = serial_port_at (path);
  if (back != NULL)
    g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                 _("the board did not come up in DFU mode within %u s: it restarted and runs its firmware "
                   "again (on %s), so its machine.bootloader() does not reach a DFU bootloader; "
                   "put it in DFU mode by hand (pyboard: connect DFU to 3V3 and press RST)"),
                 DF_MICROPYTHON_SWITCH_MS / 1000, back->devnode);
  else
    g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                 _("the board left MicroPython but no DFU device appeared on its USB port (%s) within %u s; "
                   "check that the udev rule is installed, unplug the board and plug it in again"),
                 path, DF_MICROPYTHON_SWITCH_MS / 1000);
  return NULL;
}

DfMicroPython *
df_micropython_wait_back (const gchar *path, GCancellable *cancellable, GError **error)
{
  gint64 end = g_get_monotonic_time () + DF_MICROPYTHON_BACK_MS * 1000;
  g_autoptr(GError) last = NULL;

  while (g_get_monotonic_time () < end)
    {
      g_autoptr(DfSerialPort) port = NULL;

      if (!df_sleep_ms (POLL_MS, cancellable, error))
        return NULL;
      port = serial_port_at (path);
      if (port != NULL)
        {
          DfMicroPython *board;
          g_clear_error (&last);
          /* a board still starting up may not answer yet: ask again */
          board = df_micropython_query (port, cancellable, &last);
          if (board != NULL)
            return board;
          if (g_error_matches (last, DF_ERROR, DF_ERROR_CANCELLED))
            break;
        }
    }
  if (last != NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&last),
                                _("the board is back on its serial port, but: "));
  else
    g_set_error (error, DF_ERROR, DF_ERROR_TIMEOUT,
                 _("the board did not come back running MicroPython on its USB port (%s) within %u s; "
                   "the new firmware may not start: press its reset button"),
                 path, DF_MICROPYTHON_BACK_MS / 1000);
  return NULL;
}

DfFilesystemFate
df_micropython_filesystem_fate (DfMicroPython *board, DfImage *image, gboolean mass_erase)
{
  if (board->fs_end == 0)
    return DF_FILESYSTEM_UNKNOWN;
  if (mass_erase)
    return DF_FILESYSTEM_OVERWRITTEN;
  for (guint t = 0; t < image->targets->len; t++)
    {
      DfTarget *target = g_ptr_array_index (image->targets, t);
      if (target->alt != 0)
        continue;
      for (guint s = 0; s < target->segments->len; s++)
        {
          DfSegment *segment = g_ptr_array_index (target->segments, s);
          gsize len = g_bytes_get_size (segment->data);
          guint64 last = (guint64) segment->address + len - 1;
          /* no address: a plain payload lands at the start of flash */
          if (len == 0)
            continue;
          if (!segment->has_address || (segment->address <= board->fs_end && last >= board->fs_start))
            return DF_FILESYSTEM_OVERWRITTEN;
        }
    }
  return DF_FILESYSTEM_KEPT;
}

gchar *
df_micropython_filesystem_note (DfMicroPython *board, DfFilesystemFate fate)
{
  switch (fate)
    {
    case DF_FILESYSTEM_KEPT:
      return g_strdup_printf (_("The board's files (its internal filesystem at 0x%08x-0x%08x) are kept: "
                                "the file does not touch them."), board->fs_start, board->fs_end);
    case DF_FILESYSTEM_OVERWRITTEN:
      return g_strdup_printf (_("This erases the board's files: the file overwrites its internal filesystem "
                                "at 0x%08x-0x%08x (main.py, boot.py and everything else on it). "
                                "Copy them off the board first if you need them."), board->fs_start, board->fs_end);
    case DF_FILESYSTEM_UNKNOWN:
    default:
      return NULL;
    }
}
