/* df-bench-record.c: the bench's record, JSON Lines: one object per board,
 * appended with one write() and fsync()ed before the next, so a crash or a
 * power cut loses no finished row and readers never see half a line. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "df-bench.h"
#include "df-error.h"

struct _DfBenchRecord {
  gchar  *path;
  gint    fd;
  GMutex  lock;   /* boards finish on their jobs' threads */
};

DfBenchRecord *
df_bench_record_open (const gchar *path, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  DfBenchRecord *record;
  gint fd;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot create the folder %s for the bench log: %s"),
                   dir, g_strerror (errno));
      return NULL;
    }
  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot open the bench log %s: %s"),
                   path, g_strerror (errno));
      return NULL;
    }
  record = g_new0 (DfBenchRecord, 1);
  record->path = g_strdup (path);
  record->fd = fd;
  g_mutex_init (&record->lock);
  return record;
}

void
df_bench_record_close (DfBenchRecord *record)
{
  g_close (record->fd, NULL);
  g_mutex_clear (&record->lock);
  g_free (record->path);
  g_free (record);
}

const gchar *
df_bench_record_get_path (DfBenchRecord *record)
{
  return record->path;
}

gchar *
df_bench_record_format (DfBoard *board, const gchar *file, const gchar *sha256)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree gchar *time = g_date_time_format_iso8601 (board->started);
  DfDevice *device = board->device;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, time);
  json_builder_set_member_name (b, "board");
  json_builder_add_int_value (b, board->number);
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, device->serial);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, device->path);
  json_builder_set_member_name (b, "vid");
  json_builder_add_int_value (b, device->vid);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, device->pid);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, sha256);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, board->error == NULL ? "ok" : "failed");
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, (gint64) (board->seconds * 1000 + 0.5) / 1000.0);  /* to the ms */
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) board->bytes);
  json_builder_set_member_name (b, "verify");
  json_builder_add_string_value (b, df_verify_outcome_to_string (board->verify));
  if (board->error != NULL)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, board->error->message);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
df_bench_record_append (DfBenchRecord *record, DfBoard *board, const gchar *file,
                        const gchar *sha256, GError **error)
{
  g_autofree gchar *json = df_bench_record_format (board, file, sha256);
  g_autofree gchar *line = g_strconcat (json, "\n", NULL);
  gsize len = strlen (line), done = 0;
  gboolean ok = TRUE;

  g_mutex_lock (&record->lock);
  while (ok && done < len)
    {
      gssize n = write (record->fd, line + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      if (ok)
        done += (gsize) n;
    }
  ok = ok && fsync (record->fd) == 0;
  if (!ok)
    g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot write the bench log %s: %s"),
                 record->path, g_strerror (errno));
  g_mutex_unlock (&record->lock);
  return ok;
}
