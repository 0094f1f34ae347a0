#include "df-error.h"
#include "df-transport.h"

/* Test builds of the GUI set DEFUSE_ASSERT_WORKER_THREAD: a USB request
 * from the main thread would freeze the window, so it is a bug.  The
 * request is refused with an error; the critical fails the test (criticals
 * are fatal there). */
static gboolean
off_main_thread (GError **error)
{
  static gsize checked = 0; /* 0 not yet read, 1 off, 2 on */

  if (g_once_init_enter (&checked))
    g_once_init_leave (&checked, g_getenv ("DEFUSE_ASSERT_WORKER_THREAD") != NULL ? 2 : 1);
  if (checked == 2 && g_main_context_is_owner (g_main_context_default ()))
    {
      g_critical ("a USB request was issued from the main thread");
      g_set_error_literal (error, DF_ERROR, DF_ERROR_FAILED, "a USB request was issued from the main thread");
      return FALSE;
    }
  return TRUE;
}

gboolean
df_transport_control (DfTransport *transport, guint8 request_type, guint8 request,
                      guint16 value, guint16 index, guint8 *data, gsize length,
                      gsize *actual, guint timeout_ms, GCancellable *cancellable, GError **error)
{
  gsize dummy;

  if (!off_main_thread (error))
    return FALSE;
  transport->transfers++;
  return transport->vtable->control (transport, request_type, request, value, index,
                                     data, length, actual != NULL ? actual : &dummy,
                                     timeout_ms, cancellable, error);
}

gboolean
df_transport_claim (DfTransport *transport, guint8 interface, GError **error)
{
  return off_main_thread (error) && transport->vtable->claim (transport, interface, error);
}

gboolean
df_transport_set_alt (DfTransport *transport, guint8 interface, guint8 alt, GError **error)
{
  return off_main_thread (error) && transport->vtable->set_alt (transport, interface, alt, error);
}

gboolean
df_transport_reset (DfTransport *transport, GError **error)
{
  return off_main_thread (error) && transport->vtable->reset (transport, error);
}

void
df_transport_close (DfTransport *transport)
{
  if (transport != NULL)
    transport->vtable->close (transport);
}
