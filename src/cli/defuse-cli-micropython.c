/* MicroPython boards in defuse-cli: listed beside the DFU devices, and
 * flashed through machine.bootloader() when one is the board meant. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "defuse-cli.h"
#include "df-error.h"
#include "df-micropython-switch.h"
#include "df-usb.h"

void
cli_micropython_print (DfMicroPython *board)
{
  g_autofree gchar *description = df_serial_port_describe (board->port);
  g_autofree gchar *runs = df_micropython_describe (board);

  printf ("%s\n", description);
  if (board->error != NULL)
    printf ("  %s\n", board->error->message);
  else
    /* TRANSLATORS: "MicroPython v1.24.1 on PYBv1.1 with STM32F405RG, serial port /dev/ttyACM0" */
    printf (_("  %s, serial port %s\n"), runs, board->port->devnode);
}

void
cli_micropython_add_json (JsonBuilder *builder, DfMicroPython *board)
{
  DfSerialPort *port = board->port;

  json_builder_begin_object (builder);
  cli_json_int (builder, "vid", port->vid);
  cli_json_int (builder, "pid", port->pid);
  cli_json_string (builder, "manufacturer", port->manufacturer);
  cli_json_string (builder, "product", port->product);
  cli_json_string (builder, "serial", port->serial);
  cli_json_string (builder, "path", port->path);
  cli_json_int (builder, "bus", port->bus);
  cli_json_int (builder, "address", port->address);
  cli_json_int (builder, "interface", port->interface);
  cli_json_string (builder, "mode", "micropython");
  cli_json_string (builder, "port", port->devnode);
  json_builder_set_member_name (builder, "micropython");
  if (board->error != NULL)
    json_builder_add_null_value (builder);
  else
    {
      json_builder_begin_object (builder);
      cli_json_string (builder, "version", board->version);
      cli_json_string (builder, "machine", board->machine);
      if (board->fs_end != 0)
        {
          cli_json_int (builder, "filesystem_start", board->fs_start);
          cli_json_int (builder, "filesystem_end", board->fs_end);
        }
      json_builder_end_object (builder);
    }
  cli_json_string (builder, "error", board->error != NULL ? board->error->message : NULL);
  json_builder_end_object (builder);
}

DfMicroPython *
cli_micropython_choose (const gchar *const *selectors, GError **error)
{
  g_autoptr(GPtrArray) boards = NULL;
  DfMicroPython *board;

  boards = df_micropython_find (selectors, NULL);
  if (boards->len == 0)
    return NULL;
  if (boards->len > 1)
    {
      g_autoptr(GString) found = g_string_new (NULL);
      for (guint i = 0; i < boards->len; i++)
        {
          DfMicroPython *one = g_ptr_array_index (boards, i);
          g_autofree gchar *description = df_serial_port_describe (one->port);
          g_string_append_printf (found, "\n  %s, %s", description, one->port->devnode);
        }
      g_set_error (error, DF_ERROR, DF_ERROR_AMBIGUOUS,
                   _("%u MicroPython boards are plugged in; choose one with --device PORT or path:%s"),
                   boards->len, found->str);
      return NULL;
    }
  board = g_ptr_array_index (boards, 0);
  if (board->error != NULL)
    {
      g_set_error (error, DF_ERROR, board->error->code, "%s", board->error->message);
      return NULL;
    }
  return df_micropython_ref (board);
}

void
cli_micropython_announce (DfMicroPython *board, DfImage *image, gboolean mass_erase)
{
  g_autofree gchar *runs = df_micropython_describe (board);
  g_autofree gchar *note = df_micropython_filesystem_note (board, df_micropython_filesystem_fate (board, image, mass_erase));

  printf (_("%s on %s: switching it to DFU mode (machine.bootloader())\n"), runs, board->port->devnode);
  if (note != NULL)
    printf ("%s\n", note);
  fflush (stdout);
}

GPtrArray *
cli_micropython_select (const gchar *const *selectors, DfImage *image, gboolean mass_erase, GError **error)
{
  g_autoptr(DfMicroPython) board = cli_micropython_choose (selectors, error);
  GPtrArray *devices;

  if (board == NULL)
    return NULL;
  if (image != NULL)
    cli_micropython_announce (board, image, mass_erase);
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  g_ptr_array_add (devices, df_micropython_to_device (board));
  return devices;
}

void
cli_micropython_report (DfJob *job, GError **error)
{
  const GError *back_error = NULL;
  DfMicroPython *back = df_job_get_now_running (job, &back_error);
  g_autofree gchar *runs = NULL;

  if (back == NULL)
    {
      if (back_error != NULL)
        g_propagate_error (error, g_error_copy (back_error));
      return;
    }
  runs = df_micropython_describe (back);
  /* TRANSLATORS: "Now running MicroPython v1.25.0 on PYBv1.1 with STM32F405RG (/dev/ttyACM1)" */
  printf (_("Now running %s (%s)\n"), runs, back->port->devnode);
}
