/* df-micropython-site.c: the board's page and its files over HTTP. */
#include <inttypes.h>
#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "df-error.h"
#include "df-micropython-cache.h"
#include "df-micropython-check.h"
#include "df-micropython-site.h"

#define TIMEOUT_S   30
#define PAGE_MAX    (4 * 1024 * 1024)   /* a board page is ~100 KiB */
#define FILE_MAX    (64 * 1024 * 1024)  /* the largest stm32 firmware is ~2 MiB */
#define CHUNK       16384

/* one session per call, on the calling thread: a SoupSession belongs to
 * the thread that uses it */
static SoupSession *
new_session (void)
{
  return soup_session_new_with_options ("user-agent", "Defuse/" DEFUSE_VERSION " ",
                                        "timeout", TIMEOUT_S, "idle-timeout", TIMEOUT_S, NULL);
}

/* a failure before or while reading the answer, as one message */
static void
set_transfer_error (GError **error, const gchar *url, GError *local)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("Cancelled."));
  else
    g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED, _("could not reach %s: %s"), url, local->message);
}

/* GET url: the open body, or NULL with an error for a transfer failure or
 * an answer other than 200 */
static GInputStream *
open_url (SoupSession *session, const gchar *url, SoupMessage **message_out, GCancellable *cancellable,
          GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GInputStream) body = NULL;
  guint status;

  if (message == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT, _("“%s” is not a web address"), url);
      return NULL;
    }
  body = soup_session_send (session, message, cancellable, &local);
  if (body == NULL)
    {
      set_transfer_error (error, url, local);
      return NULL;
    }
  status = soup_message_get_status (message);
  if (status != SOUP_STATUS_OK)
    {
      g_set_error (error, DF_ERROR, status == SOUP_STATUS_NOT_FOUND ? DF_ERROR_NOT_FOUND : DF_ERROR_PROTOCOL,
                   _("%s answered %u %s"), url, status, soup_status_get_phrase (status));
      return NULL;
    }
  *message_out = g_steal_pointer (&message);
  return g_steal_pointer (&body);
}

/* the whole body, never more than max bytes, and as long as the
 * Content-Length said */
static GBytes *
read_body (GInputStream *body, SoupMessage *message, const gchar *url, gsize max, DfMpProgressFunc progress,
           gpointer user_data, GCancellable *cancellable, GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  goffset total = soup_message_headers_get_content_length (headers);
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) local = NULL;
  guint8 chunk[CHUNK];

  for (;;)
    {
      gssize n = g_input_stream_read (body, chunk, sizeof chunk, cancellable, &local);
      if (n < 0)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_transfer_error (error, url, local);
          else
            g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
                         _("the download of %s stopped after %u bytes: %s"), url, data->len, local->message);
          return NULL;
        }
      if (n == 0)
        break;
      if (data->len + (gsize) n > max)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                       _("%s is larger than %u MiB: not a firmware file or page of MicroPython's"),
                       url, (guint) (max >> 20));
          return NULL;
        }
      g_byte_array_append (data, chunk, (guint) n);
      if (progress != NULL)
        progress (data->len, total > 0 ? (guint64) total : 0, user_data);
    }
  if (total > 0 && (goffset) data->len != total)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_DISCONNECTED,
                   _("the download of %s stopped after %u of %" PRIu64 " bytes"), url, data->len, (guint64) total);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static const gchar *
content_type (SoupMessage *message)
{
  const gchar *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);
  return type != NULL ? type : "";
}

/* "<site>download/<ID>/", the site given with or without its final "/" */
static gchar *
board_page_url (const gchar *site, const gchar *board_id)
{
  return g_strdup_printf ("%s%sdownload/%s/", site, g_str_has_suffix (site, "/") ? "" : "/", board_id);
}

static GPtrArray *
list_from_site (const gchar *site, DfMpBoard *board, GCancellable *cancellable, GError **error)
{
  g_autoptr(SoupSession) session = new_session ();
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GBytes) page = NULL;
  g_autofree gchar *url = board_page_url (site, board->id);
  g_autofree gchar *html = NULL;

  body = open_url (session, url, &message, cancellable, error);
  if (body == NULL)
    return NULL;
  if (strcmp (content_type (message), "text/html") != 0)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("%s is not a web page (it is “%s”): the site has changed; download the file by hand and "
                     "flash it with “defuse-cli flash FILE”"), url, content_type (message));
      return NULL;
    }
  page = read_body (body, message, url, PAGE_MAX, NULL, NULL, cancellable, error);
  if (page == NULL)
    return NULL;
  html = g_strndup (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  return df_mp_site_parse_board_page (html, url, board->id, error);
}

GPtrArray *
df_mp_site_list (const gchar *site, DfMpBoard *board, GError **site_error, GCancellable *cancellable,
                 GError **error)
{
  g_autoptr(GError) local = NULL;
  GPtrArray *releases = list_from_site (site != NULL ? site : DF_MP_DEFAULT_SITE, board, cancellable, &local);

  if (releases != NULL)
    {
      df_mp_cache_merge (releases, board->id);
      return releases;
    }
  if (g_error_matches (local, DF_ERROR, DF_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  releases = df_mp_cache_list (board->id);
  if (releases->len == 0)
    {
      g_ptr_array_unref (releases);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_propagate_error (site_error, g_steal_pointer (&local));
  return releases;
}

static gboolean
check_cached (DfMpRelease *release, DfMpBoard *board, GError **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (release->cached, FALSE, NULL);
  g_autoptr(GBytes) bytes = file != NULL ? g_mapped_file_get_bytes (file) : NULL;

  return bytes != NULL && df_mp_check_download (bytes, board, release, error);
}

gchar *
df_mp_site_download (DfMpRelease *release, DfMpBoard *board, DfMpProgressFunc progress, gpointer user_data,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) stale = NULL;

  /* checked again on every use: the cache is a folder anyone can write */
  if (release->cached != NULL && g_file_test (release->cached, G_FILE_TEST_IS_REGULAR))
    {
      if (check_cached (release, board, &stale))
        return g_strdup (release->cached);
      if (release->url == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&stale));
          return NULL;
        }
    }
  if (release->url == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, _("%s is neither in the cache nor on the site"),
                   release->file_name);
      return NULL;
    }
  session = new_session ();
  body = open_url (session, release->url, &message, cancellable, error);
  if (body == NULL)
    return NULL;
  /* a captive portal or a changed site answers a page, not the file */
  if (g_str_has_prefix (content_type (message), "text/"))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_PROTOCOL,
                   _("%s answered a page (“%s”), not a firmware file: the network may need a login, or the "
                     "site has changed"), release->url, content_type (message));
      return NULL;
    }
  bytes = read_body (body, message, release->url, FILE_MAX, progress, user_data, cancellable, error);
  if (bytes == NULL || !df_mp_check_download (bytes, board, release, error) ||
      !df_mp_cache_store (release, bytes, error))
    return NULL;
  return g_strdup (release->cached);
}

/* --- on a worker thread --- */

typedef struct {
  gchar        *site;
  DfMpBoard    *board;
  DfMpRelease  *release;
  GError       *site_error;
  GPtrArray    *releases;
  DfMpProgressFunc progress;
  gpointer      progress_data;
  GMainContext *context;
  GTask        *task;      /* not owned: the worker runs inside it */
} SiteCall;

static void
site_call_free (gpointer data)
{
  SiteCall *call = data;
  g_free (call->site);
  g_clear_pointer (&call->board, df_mp_board_unref);
  g_clear_pointer (&call->release, df_mp_release_unref);
  g_clear_error (&call->site_error);
  g_clear_pointer (&call->releases, g_ptr_array_unref);
  g_clear_pointer (&call->context, g_main_context_unref);
  g_free (call);
}

static void
list_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SiteCall *call = task_data;
  GError *error = NULL;

  call->releases = df_mp_site_list (call->site, call->board, &call->site_error, cancellable, &error);
  if (call->releases == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
df_mp_site_list_async (const gchar *site, DfMpBoard *board, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SiteCall *call = g_new0 (SiteCall, 1);

  call->site = g_strdup (site);
  call->board = df_mp_board_ref (board);
  /* a cancel is reported as the engine words it (DF_ERROR_CANCELLED) */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, call, site_call_free);
  g_task_run_in_thread (task, list_in_thread);
}

GPtrArray *
df_mp_site_list_finish (GAsyncResult *result, GError **site_error, GError **error)
{
  SiteCall *call = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  if (call->site_error != NULL)
    g_propagate_error (site_error, g_steal_pointer (&call->site_error));
  return g_steal_pointer (&call->releases);
}

typedef struct {
  GTask    *task;      /* keeps call alive until the update is shown */
  SiteCall *call;
  guint64   received;
  guint64   total;
} ProgressUpdate;

static gboolean
show_progress (gpointer data)
{
  ProgressUpdate *update = data;
  update->call->progress (update->received, update->total, update->call->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_update_free (gpointer data)
{
  ProgressUpdate *update = data;
  g_object_unref (update->task);
  g_free (update);
}

/* on the worker: handed to the caller's context (the task holds call) */
static void
forward_progress (guint64 received, guint64 total, gpointer user_data)
{
  SiteCall *call = user_data;
  ProgressUpdate *update = g_new0 (ProgressUpdate, 1);

  update->task = g_object_ref (call->task);
  update->call = call;
  update->received = received;
  update->total = total;
  g_main_context_invoke_full (call->context, G_PRIORITY_DEFAULT, show_progress, update, progress_update_free);
}

static void
download_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SiteCall *call = task_data;
  GError *error = NULL;
  gchar *path = df_mp_site_download (call->release, call->board, call->progress != NULL ? forward_progress : NULL,
                                     call, cancellable, &error);

  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

void
df_mp_site_download_async (DfMpRelease *release, DfMpBoard *board, DfMpProgressFunc progress, gpointer user_data,
                           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer callback_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);
  SiteCall *call = g_new0 (SiteCall, 1);

  call->release = df_mp_release_ref (release);
  call->board = df_mp_board_ref (board);
  call->progress = progress;
  call->progress_data = user_data;
  call->context = g_main_context_ref_thread_default ();
  call->task = task;
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, call, site_call_free);
  g_task_run_in_thread (task, download_in_thread);
}

gchar *
df_mp_site_download_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
