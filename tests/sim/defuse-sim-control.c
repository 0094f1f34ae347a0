/* defuse-sim-control.c: the --control socket, for a test that pulls a
 * board's cable and plugs it back in at the moment it chooses.
 *
 * A Unix stream socket at PATH (also in COMMAND's environment as
 * DEFUSE_SIM_CONTROL).  A client writes one command a line and gets one
 * line back once it is done, so a test never sleeps waiting for it:
 *
 *   unplug N   ->  "ok": device N is off the bus, its "remove" uevent
 *                  sent, open descriptors answer ENODEV (as Linux does)
 *   plug N     ->  "ok /dev/bus/usb/001/DDD": it is back on its port with
 *                  a new device number, powered up as the board would
 *                  (sim_device_unplug), its "add" uevent sent
 *
 * or "error MESSAGE".  plug also takes a --plug-later device and one an
 * "unplug" fault left unplugged.  Served on the runner's main loop. */
#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "defuse-sim.h"

#define MAX_LINE 256

struct _DefuseSimControl {
  DefuseSim      *sim;
  GSocketService *service;
  GCancellable   *cancellable;  /* the clients' reads, when the runner stops */
  gchar          *path;
};

typedef struct {
  DefuseSimControl *control;
  GSocketConnection *connection;
  GDataInputStream *input;
} Client;

static void
client_free (Client *client)
{
  g_object_unref (client->input);
  g_object_unref (client->connection);
  g_free (client);
}

static DefuseSimSlot *
find_slot (DefuseSim *sim, const gchar *arg, GError **error)
{
  guint64 index = 0;

  if (arg == NULL || !g_ascii_string_to_unsigned (arg, 10, 1, sim->slots->len, &index, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "expected a device number 1..%u, not \"%s\"", sim->slots->len, arg != NULL ? arg : "");
      return NULL;
    }
  return g_ptr_array_index (sim->slots, index - 1);
}

/* one command, under the lock: the reply line without its newline */
static gchar *
run (DefuseSim *sim, const gchar *line)
{
  g_auto(GStrv) words = g_strsplit_set (g_strstrip ((gchar *) line), " \t", 3);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *reply = NULL;
  DefuseSimSlot *slot = NULL;

  if (words[0] == NULL || words[1] == NULL || words[2] != NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "expected \"unplug N\" or \"plug N\"");
  else if ((slot = find_slot (sim, words[1], &error)) == NULL)
    ;
  else if (g_str_equal (words[0], "unplug"))
    {
      if (defuse_sim_slot_unplug (slot, "--control", &error))
        reply = g_strdup ("ok");
    }
  else if (g_str_equal (words[0], "plug"))
    {
      if (defuse_sim_slot_plug (slot, "--control", &error))
        reply = g_strdup_printf ("ok %s", slot->node->devnode);
    }
  else
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "unknown command \"%s\"; expected unplug N or plug N", words[0]);
  if (reply == NULL)
    reply = g_strdup_printf ("error %s", error->message);
  return g_steal_pointer (&reply);
}

static void read_next (Client *client);

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  DefuseSim *sim = client->control->sim;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree gchar *line = g_data_input_stream_read_line_finish (client->input, result, &len, &error);
  g_autofree gchar *reply = NULL;
  GOutputStream *output;

  if (line == NULL)
    {
      client_free (client);  /* the client hung up, or the runner stops */
      return;
    }
  if (len > MAX_LINE)
    reply = g_strdup ("error the line is too long");
  else
    {
      g_rec_mutex_lock (&sim->lock);
      if (sim->stopping)
        reply = g_strdup ("error the command has exited");
      else
        reply = run (sim, line);
      g_rec_mutex_unlock (&sim->lock);
    }
  defuse_sim_log (sim, "control: %s -> %s", line, reply);

  /* a line or two: written at once, the client waits for it */
  output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));
  if (!g_output_stream_write_all (output, reply, strlen (reply), NULL, NULL, NULL) ||
      !g_output_stream_write_all (output, "\n", 1, NULL, NULL, NULL))
    {
      client_free (client);
      return;
    }
  read_next (client);
}

static void
read_next (Client *client)
{
  g_data_input_stream_read_line_async (client->input, G_PRIORITY_DEFAULT, client->control->cancellable,
                                       on_line, client);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer user_data)
{
  Client *client = g_new0 (Client, 1);

  client->control = user_data;
  client->connection = g_object_ref (connection);
  client->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  read_next (client);
  return TRUE;
}

DefuseSimControl *
defuse_sim_control_new (DefuseSim *sim, const gchar *path, GError **error)
{
  DefuseSimControl *control = g_new0 (DefuseSimControl, 1);
  g_autoptr(GSocketAddress) address = NULL;

  control->sim = sim;
  control->path = g_strdup (path);
  control->service = g_socket_service_new ();
  control->cancellable = g_cancellable_new ();
  /* a socket left by an earlier run that was killed */
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot replace %s: %s",
                   path, g_strerror (errno));
      defuse_sim_control_free (control);
      return NULL;
    }
  address = g_unix_socket_address_new (path);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (control->service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    {
      g_prefix_error (error, "cannot listen on %s: ", path);
      g_clear_pointer (&control->path, g_free);  /* not ours to remove */
      defuse_sim_control_free (control);
      return NULL;
    }
  g_signal_connect (control->service, "incoming", G_CALLBACK (on_incoming), control);
  g_socket_service_start (control->service);
  return control;
}

void
defuse_sim_control_free (DefuseSimControl *control)
{
  if (control == NULL)
    return;
  g_cancellable_cancel (control->cancellable);
  g_object_unref (control->cancellable);
  g_socket_service_stop (control->service);
  g_socket_listener_close (G_SOCKET_LISTENER (control->service));
  g_object_unref (control->service);
  if (control->path != NULL)
    g_unlink (control->path);
  g_free (control->path);
  g_free (control);
}
