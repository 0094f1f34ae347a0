/* df-trace.c: pcapng writing for USB traces.
 *
 * pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
 * Description Block (link type 220, LINKTYPE_USB_LINUX_MMAPPED), then an
 * Enhanced Packet Block per usbmon record.  A record is the 64-byte
 * binary usbmon header (Linux Documentation/usb/usbmon.rst, "struct
 * usbmon_packet") followed by the data, all in the writer's byte order,
 * which the section header's byte-order magic tells the reader. */
#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-trace.h"

#define LINKTYPE_USB_LINUX_MMAPPED 220
#define BLOCK_SHB 0x0A0D0D0Au
#define BLOCK_IDB 0x00000001u
#define BLOCK_EPB 0x00000006u

struct _DfTrace {
  GMutex         lock;       /* jobs on several threads share one trace */
  GOutputStream *out;
  gchar         *path;       /* NULL: in memory */
  GError        *error;      /* the first write error of a file trace */
  guint64        urb_id;
  guint64        transfers;
};

/* struct usbmon_packet, 64 bytes */
typedef struct {
  guint64 id;
  guint8  type;          /* 'S' submission, 'C' completion */
  guint8  xfer_type;     /* 2: control */
  guint8  epnum;         /* 0x80: IN */
  guint8  devnum;
  guint16 busnum;
  gchar   flag_setup;    /* 0: setup[] holds the setup packet, '-' none */
  gchar   flag_data;     /* 0: data follows, '<' or '>' none */
  gint64  ts_sec;
  gint32  ts_usec;
  gint32  status;        /* -EINPROGRESS on submission */
  guint32 length;        /* bytes of the transfer (actual on completion) */
  guint32 len_cap;       /* bytes of data in this record */
  guint8  setup[8];
  gint32  interval;
  gint32  start_frame;
  guint32 xfer_flags;
  guint32 ndesc;
} UsbmonPacket;

G_STATIC_ASSERT (sizeof (UsbmonPacket) == 64);

static DfTrace *default_trace;

static void
put (DfTrace *trace, const void *data, gsize size)
{
  if (trace->error == NULL)
    g_output_stream_write_all (trace->out, data, size, NULL, NULL, &trace->error);
}

/* a block: type, total length, body padded to 4 bytes, total length again */
static void
put_block (DfTrace *trace, guint32 type, const void *body, gsize size, const void *tail, gsize tail_size)
{
  static const guint8 zeros[4] = { 0 };
  gsize padding = (4 - (size + tail_size) % 4) % 4;
  guint32 total = (guint32) (12 + size + tail_size + padding);

  put (trace, &type, 4);
  put (trace, &total, 4);
  put (trace, body, size);
  if (tail_size > 0)
    put (trace, tail, tail_size);
  put (trace, zeros, padding);
  put (trace, &total, 4);
}

static void
put_headers (DfTrace *trace)
{
  /* byte-order magic, version 1.0, section length unknown (-1) */
  const struct { guint32 magic; guint16 major, minor; gint64 length; } shb = { 0x1A2B3C4D, 1, 0, -1 };
  /* link type, reserved, snap length 0 (no limit) */
  const struct { guint16 linktype, reserved; guint32 snaplen; } idb = { LINKTYPE_USB_LINUX_MMAPPED, 0, 0 };

  put_block (trace, BLOCK_SHB, &shb, 16, NULL, 0);
  put_block (trace, BLOCK_IDB, &idb, sizeof idb, NULL, 0);
}

static DfTrace *
trace_new (GOutputStream *out, const gchar *path)
{
  DfTrace *trace = g_new0 (DfTrace, 1);

  g_mutex_init (&trace->lock);
  trace->out = out;
  trace->path = g_strdup (path);
  put_headers (trace);
  return trace;
}

DfTrace *
df_trace_new_file (const gchar *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local = NULL;
  GFileOutputStream *stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &local);

  if (stream == NULL)
    {
      g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot write the USB trace %s: %s"), path, local->message);
      return NULL;
    }
  return trace_new (g_buffered_output_stream_new (G_OUTPUT_STREAM (stream)), path);
}

DfTrace *
df_trace_new_memory (void)
{
  return trace_new (g_memory_output_stream_new_resizable (), NULL);
}

gboolean
df_trace_close (DfTrace *trace, GError **error)
{
  gboolean ok;

  if (trace == NULL)
    return TRUE;
  if (trace->error == NULL)
    g_output_stream_close (trace->out, NULL, &trace->error);
  ok = trace->error == NULL;
  if (!ok)
    g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot write the USB trace %s: %s"),
                 trace->path, trace->error->message);
  g_clear_error (&trace->error);
  g_object_unref (trace->out);
  g_mutex_clear (&trace->lock);
  g_free (trace->path);
  g_free (trace);
  return ok;
}

gboolean
df_trace_save (DfTrace *trace, const gchar *path, GError **error)
{
  GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (trace->out);
  g_autoptr(GError) local = NULL;
  gboolean ok;

  g_mutex_lock (&trace->lock);
  ok = g_file_set_contents_full (path, g_memory_output_stream_get_data (memory),
                                 (gssize) g_memory_output_stream_get_data_size (memory),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local);
  g_mutex_unlock (&trace->lock);
  if (!ok)
    g_set_error (error, DF_ERROR, DF_ERROR_IO, _("cannot write the USB trace %s: %s"), path, local->message);
  return ok;
}

void
df_trace_clear (DfTrace *trace)
{
  g_mutex_lock (&trace->lock);
  g_object_unref (trace->out);
  trace->out = g_memory_output_stream_new_resizable ();
  trace->transfers = 0;
  put_headers (trace);
  g_mutex_unlock (&trace->lock);
}

guint64
df_trace_get_transfers (DfTrace *trace)
{
  return trace->transfers;
}

void
df_trace_set_default (DfTrace *trace)
{
  g_atomic_pointer_set (&default_trace, trace);
}

DfTrace *
df_trace_get_default (void)
{
  return g_atomic_pointer_get (&default_trace);
}

static void
put_record (DfTrace *trace, UsbmonPacket *packet, gint64 time_us, const guint8 *data)
{
  /* interface 0, timestamp in microseconds (the default resolution) */
  struct { guint32 interface, ts_high, ts_low, captured, original; } epb;
  guint8 body[sizeof epb + sizeof *packet];

  packet->ts_sec = time_us / G_USEC_PER_SEC;
  packet->ts_usec = (gint32) (time_us % G_USEC_PER_SEC);
  epb.interface = 0;
  epb.ts_high = (guint32) ((guint64) time_us >> 32);
  epb.ts_low = (guint32) time_us;
  epb.captured = epb.original = (guint32) (sizeof *packet + packet->len_cap);
  memcpy (body, &epb, sizeof epb);
  memcpy (body + sizeof epb, packet, sizeof *packet);
  put_block (trace, BLOCK_EPB, body, sizeof body, data, packet->len_cap);
}

void
df_trace_control (DfTrace *trace, guint8 bus, guint8 address,
                  guint8 request_type, guint8 request, guint16 value, guint16 index,
                  guint16 length, const guint8 *data, gsize actual, gint status,
                  gint64 submitted_us, gint64 completed_us)
{
  gboolean in = (request_type & 0x80) != 0;
  UsbmonPacket packet = {
    .xfer_type = 2,
    .epnum = in ? 0x80 : 0x00,
    .devnum = address,
    .busnum = bus,
    .setup = { request_type, request, value & 0xff, value >> 8, index & 0xff, index >> 8,
               length & 0xff, length >> 8 },
  };

  g_mutex_lock (&trace->lock);
  packet.id = ++trace->urb_id;
  trace->transfers++;

  /* the submission: setup, and for OUT the data sent */
  packet.type = 'S';
  packet.flag_setup = 0;
  packet.status = -EINPROGRESS;
  packet.length = length;
  packet.len_cap = in || length == 0 ? 0 : length;
  packet.flag_data = packet.len_cap > 0 ? 0 : (in ? '<' : '>');
  put_record (trace, &packet, submitted_us, data);

  /* the completion: status, and for IN the data received */
  packet.type = 'C';
  packet.flag_setup = '-';
  memset (packet.setup, 0, sizeof packet.setup);
  packet.status = status;
  packet.length = (guint32) actual;
  packet.len_cap = in ? (guint32) actual : 0;
  packet.flag_data = packet.len_cap > 0 ? 0 : (in ? '<' : '>');
  put_record (trace, &packet, completed_us, data);
  g_mutex_unlock (&trace->lock);
}
