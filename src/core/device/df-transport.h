/* df-transport.h: how the engine reaches a device.  A small table of
 * functions (control transfers, claim, set alt, reset, close); the libusb
 * one (df-usb.c) is the product, tests may add an in-process one.
 *
 * Every request goes through df_transport_control(), which counts
 * transfers and, when DEFUSE_ASSERT_WORKER_THREAD is set (test builds of
 * the GUI), aborts if called from the thread that owns the default main
 * context: the GUI must never issue a USB request itself. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _DfTransport DfTransport;

typedef struct {
  /* request_type bit 7 set: IN (data filled, *actual set), else OUT;
   * cancelled (DF_ERROR_CANCELLED) as soon as cancellable is, even while
   * the device holds the request */
  gboolean (*control) (DfTransport *transport, guint8 request_type, guint8 request,
                       guint16 value, guint16 index, guint8 *data, gsize length,
                       gsize *actual, guint timeout_ms, GCancellable *cancellable, GError **error);
  gboolean (*claim) (DfTransport *transport, guint8 interface, GError **error);
  gboolean (*set_alt) (DfTransport *transport, guint8 interface, guint8 alt, GError **error);
  /* USB reset; a device that re-enumerates makes later requests fail */
  gboolean (*reset) (DfTransport *transport, GError **error);
  void     (*close) (DfTransport *transport);  /* releases and frees */
} DfTransportVtable;

struct _DfTransport {
  const DfTransportVtable *vtable;
  guint64 transfers;   /* control transfers issued, for statistics */
};

gboolean df_transport_control (DfTransport *transport, guint8 request_type, guint8 request,
                               guint16 value, guint16 index, guint8 *data, gsize length,
                               gsize *actual, guint timeout_ms, GCancellable *cancellable, GError **error);
gboolean df_transport_claim (DfTransport *transport, guint8 interface, GError **error);
gboolean df_transport_set_alt (DfTransport *transport, guint8 interface, guint8 alt, GError **error);
gboolean df_transport_reset (DfTransport *transport, GError **error);
void     df_transport_close (DfTransport *transport);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfTransport, df_transport_close)

G_END_DECLS
