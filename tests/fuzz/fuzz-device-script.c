#include <stdlib.h>
#include <string.h>

#include "df-clock.h"
#include "df-error.h"
#include "df-le.h"
#include "df-protocol.h"
#include "df-transport.h"
#include "df-usb.h"
#include "df-usb-describe.h"
#include "fuzz-device-script-private.h"

#define PAGE 256               /* memory is kept in pages of this size */
#define FIRST_BUS_ADDRESS 5
#define STRING_MANUFACTURER 1
#define STRING_PRODUCT 2
#define STRING_SERIAL 3
#define STRING_FIRST_ALT 4

/* DFU requests (DFU 1.1 section 3) and the standard GET_DESCRIPTOR */
enum { DETACH, DNLOAD, UPLOAD, GETSTATUS, CLRSTATUS, GETSTATE, ABORT };

typedef struct {
  DfTransport     parent;
  ScriptedDevice *device;
  guint           generation;
} ScriptTransport;

void
fuzz_violation (const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("fuzz invariant: %s\n", message);
  abort ();
}

/* --- time --- */

static void
check_wait (ScriptedDevice *self, gint64 waited_us, const gchar *what)
{
  if (waited_us > self->config.max_wait_us)
    fuzz_violation ("the engine %s for %" G_GINT64_FORMAT " ms (bound %" G_GINT64_FORMAT " ms)",
             what, waited_us / 1000, self->config.max_wait_us / 1000);
}

static gint64
clock_now (gpointer user_data)
{
  ScriptedDevice *self = user_data;
  return self->now_us;
}

static void
clock_sleep (guint64 us, GCancellable *cancellable, gpointer user_data)
{
  ScriptedDevice *self = user_data;

  if (g_cancellable_is_cancelled (cancellable))
    return;
  self->now_us += (gint64) MIN (us, (guint64) G_MAXINT64 / 4);
  check_wait (self, self->now_us - self->last_seen_us, "left the device alone");
}

/* the engine asks: the time since its last request was its own */
static void
seen (ScriptedDevice *self)
{
  self->last_seen_us = self->now_us;
}

/* the device takes hold_ms to answer, within the engine's timeout_ms */
static gboolean
hold (ScriptedDevice *self, guint64 hold_ms, guint timeout_ms)
{
  if (hold_ms > timeout_ms)
    {
      check_wait (self, (gint64) timeout_ms * 1000, "waited on one request");
      self->now_us += (gint64) timeout_ms * 1000;
      seen (self);
      return FALSE;
    }
  self->now_us += (gint64) hold_ms * 1000;
  seen (self);
  return TRUE;
}

void
scripted_device_end_operation (ScriptedDevice *self)
{
  if (self->dnload_us >= 0 && self->now_us - self->dnload_us > self->config.max_operation_us)
    fuzz_violation ("one DNLOAD and its status requests took %" G_GINT64_FORMAT
             " ms (bound %" G_GINT64_FORMAT " ms)", (self->now_us - self->dnload_us) / 1000,
             self->config.max_operation_us / 1000);
  self->dnload_us = -1;
}

/* --- memory --- */

static guint8 *
page_of (ScriptedDevice *self, guint8 alt, guint32 address, gboolean create)
{
  guint64 key = ((guint64) alt << 32) | (address / PAGE * PAGE);
  guint8 *page = g_hash_table_lookup (self->memory, &key);

  if (page == NULL && create)
    {
      guint64 *k = g_new (guint64, 1);
      *k = key;
      page = g_malloc (PAGE);
      memset (page, self->config.memory_fill, PAGE);
      g_hash_table_insert (self->memory, k, page);
    }
  return page;
}

/* a page at a time: byte by byte, big uploads were most of the run */
void
scripted_memory_write (ScriptedDevice *self, guint8 space, guint32 address, const guint8 *data, gsize n)
{
  while (n > 0)
    {
      gsize chunk = MIN (n, PAGE - address % PAGE);
      memcpy (page_of (self, space, address, TRUE) + address % PAGE, data, chunk);
      address += (guint32) chunk;
      data += chunk;
      n -= chunk;
    }
}

void
scripted_memory_fill (ScriptedDevice *self, guint8 space, guint32 address, guint64 n, guint8 value)
{
  /* only pages already written: the rest reads as the fill anyway, and a
   * big sector would cost a page per 256 bytes; erased is the fill here */
  GHashTableIter iter;
  gpointer key, page;

  g_hash_table_iter_init (&iter, self->memory);
  while (g_hash_table_iter_next (&iter, &key, &page))
    {
      guint64 k = *(guint64 *) key;
      guint32 at = (guint32) k;
      if ((k >> 32) == space && at >= address && (guint64) at < (guint64) address + n)
        memset (page, value, PAGE);
    }
}

void
scripted_memory_read (ScriptedDevice *self, guint8 space, guint32 address, guint8 *data, gsize n)
{
  while (n > 0)
    {
      gsize chunk = MIN (n, PAGE - address % PAGE);
      guint8 *page = page_of (self, space, address, FALSE);
      if (page != NULL)
        memcpy (data, page + address % PAGE, chunk);
      else
        memset (data, self->config.memory_fill, chunk);
      address += (guint32) chunk;
      data += chunk;
      n -= chunk;
    }
}

static DfLayout *
current_layout (ScriptedDevice *self)
{
  DfAlt *alt = self->described != NULL ? df_device_find_alt (self->described, self->alt) : NULL;
  return alt != NULL ? alt->layout : NULL;
}

/* how many bytes from address the memory holds, up to want */
static gsize
readable (ScriptedDevice *self, guint32 address, gsize want)
{
  DfLayout *layout = current_layout (self);
  gsize n = 0;

  if (layout == NULL)
    return want;
  while (n < want)
    {
      DfSector sector;
      if (!df_layout_find_sector (layout, address + (guint32) n, &sector) ||
          (guint64) address + n < address)
        break;
      n = (gsize) MIN ((guint64) want, (guint64) sector.start + sector.size - address);
    }
  return n;
}

void
scripted_record (ScriptedDevice *self, guint8 space, ScriptOpKind kind, guint32 address, GBytes *data)
{
  ScriptOp *op = g_new0 (ScriptOp, 1);

  op->kind = kind;
  op->alt = space;
  op->address = address;
  op->data = data != NULL ? g_bytes_ref (data) : NULL;
  g_ptr_array_add (self->ops, op);
}

static void
op_free (gpointer data)
{
  ScriptOp *op = data;
  g_clear_pointer (&op->data, g_bytes_unref);
  g_free (op);
}

/* --- on the bus --- */

/* returns: back in DFU mode at the next enumeration (a detach, a reset
 * mid-flash on a device that comes back) */
void
scripted_go_away (ScriptedDevice *self, gboolean returns)
{
  self->present = FALSE;
  self->returns = returns;
  self->generation++;
}

/* back (or first) in DFU mode under a new device number, dfuIDLE */
static void
enumerate_again (ScriptedDevice *self)
{
  self->present = TRUE;
  self->runtime = FALSE;
  self->address++;
  self->state = DF_STATE_DFU_IDLE;
  self->status = DF_STATUS_OK;
  self->pending = PENDING_NONE;
  self->alt = 0;
  self->detached = FALSE;
  self->flip_page = 0;
  self->flip_leaving = FALSE;
}

void
scripted_set_error (ScriptedDevice *self, guint8 status)
{
  self->state = DF_STATE_ERROR;
  self->status = status;
  self->pending = PENDING_NONE;
}

/* the script's byte for the next request */
static guint8
next_answer (ScriptedDevice *self, guint8 *param)
{
  guint8 b = fuzz_u8 (&self->script);

  *param = b >> 4;
  return (b & 0x0f) < 12 ? b & 0x0f : ANSWER_RIGHT;
}

static gboolean
fail (GError **error, gint code, const gchar *what)
{
  g_set_error (error, DF_ERROR, code, "scripted device: %s", what);
  return FALSE;
}

/* the faults every request may meet; TRUE: answer it as the device would */
static gboolean
common_faults (ScriptedDevice *self, guint8 answer, guint8 param, gboolean in, gsize *short_length,
               guint timeout_ms, GError **error)
{
  switch (answer)
    {
    case ANSWER_STALL:
      return fail (error, DF_ERROR_STALLED, "stall");
    case ANSWER_GONE:
      scripted_go_away (self, self->config.comes_back);
      return fail (error, DF_ERROR_DISCONNECTED, "gone");
    case ANSWER_TIMEOUT:
      hold (self, G_MAXUINT64, timeout_ms);
      return fail (error, DF_ERROR_TIMEOUT, "no answer");
    case ANSWER_SHORT:
      if (!in)
        return fail (error, DF_ERROR_FAILED, "I/O error");
      *short_length = param;
      return TRUE;
    case ANSWER_OVERFLOW:
      return fail (error, DF_ERROR_FAILED, "overflow");
    case ANSWER_HOLD:
      if (!hold (self, (guint64) param * 250, timeout_ms))
        return fail (error, DF_ERROR_TIMEOUT, "held past the timeout");
      return TRUE;
    case ANSWER_LOSE_STATE:
      self->state = DF_STATE_DFU_IDLE;
      self->pending = PENDING_NONE;
      return TRUE;
    case ANSWER_CANCEL:
      g_cancellable_cancel (self->cancellable);
      return TRUE;
    default:
      return TRUE;
    }
}

/* --- DFU requests --- */

static guint32
block_unit (ScriptedDevice *self, gsize length)
{
  return self->config.block_by_length ? (guint32) length :
         self->described != NULL ? self->described->transfer_size : 0;
}

static guint32
block_address (ScriptedDevice *self, guint16 block, gsize length)
{
  return self->pointer + (guint32) (block - 2) * block_unit (self, length);
}

static gboolean
dnload (ScriptedDevice *self, guint16 block, const guint8 *data, gsize length)
{
  self->dnloads++;
  if (self->state != DF_STATE_DFU_IDLE && self->state != DF_STATE_DNLOAD_IDLE)
    {
      scripted_set_error (self, DF_STATUS_ERR_STALLEDPKT);
      return FALSE;
    }
  g_clear_pointer (&self->write_data, g_bytes_unref);
  if (self->dfuse && length == 0)
    self->pending = PENDING_LEAVE;
  else if (self->dfuse && block == 0)
    {
      self->pending = PENDING_COMMAND;
      self->command_length = MIN (length, sizeof self->command);
      memcpy (self->command, data, self->command_length);
      if (self->command_length == 5 && self->command[0] == 0x21)
        self->asked_pointer = df_le32 (self->command + 1);
    }
  else if (self->dfuse && block == 1)
    {
      scripted_set_error (self, DF_STATUS_ERR_STALLEDPKT);
      return FALSE;
    }
  else if (self->dfuse)
    {
      self->pending = PENDING_WRITE;
      self->write_at = block_address (self, block, length);
      self->asked_at = self->asked_pointer + (guint32) (block - 2) * block_unit (self, length);
      self->write_data = g_bytes_new (data, length);
    }
  else if (length == 0)
    self->pending = PENDING_MANIFEST;
  else
    {
      /* block 0 starts a download, whatever came before; its length is
       * the host's transfer size, which places the others (recorded where
       * the host meant them, even when the device lost one) */
      if (block == 0)
        {
          g_byte_array_set_size (self->download, 0);
          self->download_unit = (guint32) length;
        }
      self->pending = PENDING_WRITE;
      self->write_at = block * self->download_unit;
      self->write_data = g_bytes_new (data, length);
    }
  self->state = DF_STATE_DNLOAD_SYNC;
  self->busy_answered = FALSE;
  return TRUE;
}

static void
run_command (ScriptedDevice *self)
{
  guint32 address = self->command_length >= 5 ? df_le32 (self->command + 1) : 0;

  self->state = DF_STATE_DNLOAD_IDLE;
  if (self->command_length == 5 && self->command[0] == 0x21)
    self->pointer = address;
  else if (self->command_length == 5 && self->command[0] == 0x41)
    {
      DfLayout *layout = current_layout (self);
      DfSector sector;

      scripted_record (self, self->alt, SCRIPT_ERASE, address, NULL);
      if (layout != NULL && !df_layout_find_sector (layout, address, &sector))
        scripted_set_error (self, DF_STATUS_ERR_TARGET);
      else if (layout != NULL)
        scripted_memory_fill (self, self->alt, sector.start, sector.size, 0xff);
    }
  else if (self->command_length == 1 && self->command[0] == 0x41)
    {
      scripted_record (self, self->alt, SCRIPT_MASS_ERASE, 0, NULL);
      scripted_memory_fill (self, self->alt, 0, G_MAXUINT32 + (guint64) 1, 0xff);
    }
  else if (self->command_length == 1 && self->command[0] == 0x92)
    {
      scripted_record (self, self->alt, SCRIPT_UNPROTECT, 0, NULL);
      scripted_go_away (self, TRUE);
    }
  else
    scripted_set_error (self, DF_STATUS_ERR_STALLEDPKT);
}

/* the pending operation, done at the second GETSTATUS */
static void
finish_pending (ScriptedDevice *self)
{
  gsize n;
  const guint8 *data;

  switch (self->pending)
    {
    case PENDING_COMMAND:
      run_command (self);
      break;
    case PENDING_WRITE:
      data = g_bytes_get_data (self->write_data, &n);
      scripted_record (self, self->alt, self->dfuse ? SCRIPT_WRITE : SCRIPT_DOWNLOAD,
                       self->dfuse ? self->asked_at : self->write_at, self->write_data);
      self->state = DF_STATE_DNLOAD_IDLE;
      if (!self->dfuse)
        g_byte_array_append (self->download, data, (guint) n);
      else if (readable (self, self->write_at, n) < n)
        scripted_set_error (self, DF_STATUS_ERR_ADDRESS);
      else
        scripted_memory_write (self, self->alt, self->write_at, data, n);
      break;
    case PENDING_MANIFEST:
      g_byte_array_set_size (self->firmware, 0);
      g_byte_array_append (self->firmware, self->download->data, self->download->len);
      g_byte_array_set_size (self->download, 0);
      self->state = self->described != NULL &&
                    (self->described->attributes & DF_ATTR_MANIFESTATION_TOLERANT) ?
                    DF_STATE_DFU_IDLE : DF_STATE_MANIFEST_WAIT_RESET;
      break;
    case PENDING_LEAVE:
    case PENDING_NONE:
    default:
      break;
    }
  self->pending = PENDING_NONE;
}

static void
put_status (guint8 *buf, guint8 status, guint32 poll_ms, guint8 state)
{
  buf[0] = status;
  buf[1] = (guint8) poll_ms;
  buf[2] = (guint8) (poll_ms >> 8);
  buf[3] = (guint8) (poll_ms >> 16);
  buf[4] = state;
  buf[5] = 0;
}

static void
get_status (ScriptedDevice *self, guint8 answer, guint8 param, guint8 *buf)
{
  if (answer == ANSWER_BUSY)
    {
      put_status (buf, DF_STATUS_OK, fuzz_u24 (&self->script), DF_STATE_DNBUSY);
      return;
    }
  if (answer == ANSWER_ERROR)
    {
      scripted_set_error (self, param);
      put_status (buf, param, 0, DF_STATE_ERROR);
      return;
    }
  if (answer == ANSWER_RAW_STATUS)
    {
      guint8 raw[6];
      for (guint i = 0; i < 6; i++)
        raw[i] = fuzz_u8 (&self->script);
      put_status (buf, raw[0], raw[1] | (raw[2] << 8) | ((guint32) raw[3] << 16), raw[4]);
      buf[5] = raw[5];
      return;
    }
  if (self->pending == PENDING_LEAVE)
    {
      /* it answers dfuMANIFEST and jumps to the application */
      put_status (buf, DF_STATUS_OK, 0, DF_STATE_MANIFEST);
      scripted_go_away (self, FALSE);
      return;
    }
  if (self->pending != PENDING_NONE && !self->busy_answered)
    {
      self->busy_answered = TRUE;
      put_status (buf, DF_STATUS_OK, self->config.busy_poll_ms,
                  self->pending == PENDING_MANIFEST ? DF_STATE_MANIFEST : DF_STATE_DNBUSY);
      return;
    }
  if (self->pending != PENDING_NONE)
    finish_pending (self);
  put_status (buf, self->status, 0, self->state);
}

static gsize
upload (ScriptedDevice *self, guint16 block, guint8 *data, gsize length)
{
  gsize n;

  if (self->state != DF_STATE_DFU_IDLE && self->state != DF_STATE_UPLOAD_IDLE)
    {
      scripted_set_error (self, DF_STATUS_ERR_STALLEDPKT);
      return G_MAXSIZE;
    }
  if (!self->dfuse)
    {
      gsize offset = (gsize) block * length;
      n = offset < self->firmware->len ? MIN (length, self->firmware->len - offset) : 0;
      memcpy (data, self->firmware->data + MIN (offset, self->firmware->len), n);
    }
  else if (block == 0)
    {
      static const guint8 commands[] = { 0x00, 0x21, 0x41, 0x92 };
      n = MIN (length, sizeof commands);
      memcpy (data, commands, n);
    }
  else if (block == 1)
    {
      scripted_set_error (self, DF_STATUS_ERR_STALLEDPKT);
      return G_MAXSIZE;
    }
  else
    {
      guint32 at = block_address (self, block, length);
      n = readable (self, at, length);
      scripted_memory_read (self, self->alt, at, data, n);
    }
  /* a short block ends the upload */
  self->state = n < length ? DF_STATE_DFU_IDLE : DF_STATE_UPLOAD_IDLE;
  return n;
}

static gboolean
script_control (DfTransport *transport, guint8 request_type, guint8 request, guint16 value,
                guint16 index, guint8 *data, gsize length, gsize *actual, guint timeout_ms,
                GCancellable *cancellable, GError **error)
{
  ScriptTransport *t = (ScriptTransport *) transport;
  ScriptedDevice *self = t->device;
  gboolean in = (request_type & 0x80) != 0;
  gsize short_length = G_MAXSIZE;
  guint8 param;
  guint8 answer;
  guint8 status[6];

  seen (self);
  /* a DNLOAD's status requests end at the next other request */
  if (request != GETSTATUS)
    scripted_device_end_operation (self);
  if (request == DNLOAD)
    self->dnload_us = self->now_us;
  if (t->generation != self->generation)
    return fail (error, DF_ERROR_DISCONNECTED, "gone");
  /* as libusb's transfer in df-usb.c: a cancelled request ends at once */
  if (g_cancellable_is_cancelled (cancellable))
    return fail (error, DF_ERROR_CANCELLED, "cancelled");
  answer = next_answer (self, &param);
  if (!common_faults (self, answer, param, in, &short_length, timeout_ms, error))
    return FALSE;
  *actual = 0;

  if (self->runtime && request != DETACH && request != GETSTATUS && request != GETSTATE)
    return fail (error, DF_ERROR_STALLED, "stall (runtime mode)");
  switch (request)
    {
    case DETACH:
      if (!self->runtime)
        return fail (error, DF_ERROR_STALLED, "stall");
      self->detached = TRUE;
      self->state = DF_STATE_APP_DETACH;
      if (self->described != NULL && (self->described->attributes & DF_ATTR_WILL_DETACH))
        scripted_go_away (self, TRUE);
      return TRUE;
    case DNLOAD:
      if (!(self->flip ? scripted_flip_dnload (self, data, length) : dnload (self, value, data, length)))
        return fail (error, DF_ERROR_STALLED, "stall");
      return TRUE;
    case UPLOAD:
      *actual = self->flip ? scripted_flip_upload (self, answer, param, data, length)
                           : upload (self, value, data, length);
      if (*actual == G_MAXSIZE)
        return fail (error, DF_ERROR_STALLED, "stall");
      break;
    case GETSTATUS:
      if (self->runtime)
        put_status (status, DF_STATUS_OK, 0, self->state);
      else
        get_status (self, answer, param, status);
      *actual = MIN (length, sizeof status);
      memcpy (data, status, *actual);
      break;
    case CLRSTATUS:
      /* LUFA's FLIP bootloader clears the status only */
      if (!self->flip)
        self->state = DF_STATE_DFU_IDLE;
      self->status = DF_STATUS_OK;
      self->pending = PENDING_NONE;
      return TRUE;
    case GETSTATE:
      if (length >= 1)
        {
          data[0] = self->state;
          *actual = 1;
        }
      break;
    case ABORT:
      if (self->state == DF_STATE_ERROR && !self->flip)
        return fail (error, DF_ERROR_STALLED, "stall");
      self->state = DF_STATE_DFU_IDLE;
      self->pending = PENDING_NONE;
      return TRUE;
    default:
      return fail (error, DF_ERROR_STALLED, "stall");
    }
  if (in && short_length < *actual)
    *actual = short_length;
  return TRUE;
}

static gboolean
script_claim (DfTransport *transport, guint8 interface, GError **error)
{
  ScriptTransport *t = (ScriptTransport *) transport;
  guint8 param;
  gsize unused;

  seen (t->device);
  if (t->generation != t->device->generation)
    return fail (error, DF_ERROR_DISCONNECTED, "gone");
  return common_faults (t->device, next_answer (t->device, &param), param, FALSE, &unused, 1000, error);
}

static gboolean
script_set_alt (DfTransport *transport, guint8 interface, guint8 alt, GError **error)
{
  ScriptTransport *t = (ScriptTransport *) transport;
  ScriptedDevice *self = t->device;
  guint8 param;
  gsize unused;

  seen (self);
  if (t->generation != self->generation)
    return fail (error, DF_ERROR_DISCONNECTED, "gone");
  if (!common_faults (self, next_answer (self, &param), param, FALSE, &unused, 1000, error))
    return FALSE;
  if (alt >= self->config.alt_names->len)
    return fail (error, DF_ERROR_STALLED, "no such alt setting");
  self->alt = alt;
  self->state = DF_STATE_DFU_IDLE;
  self->pending = PENDING_NONE;
  return TRUE;
}

static gboolean
script_reset (DfTransport *transport, GError **error)
{
  ScriptTransport *t = (ScriptTransport *) transport;
  ScriptedDevice *self = t->device;
  guint8 param;
  gsize unused;

  seen (self);
  if (t->generation != self->generation)
    return TRUE;  /* re-enumerated already: as libusb says NOT_FOUND */
  if (!common_faults (self, next_answer (self, &param), param, FALSE, &unused, 1000, error))
    return FALSE;
  /* a runtime device told to detach comes back in DFU mode; a device in
   * DFU mode starts its application */
  if (self->runtime && !self->detached)
    return TRUE;
  scripted_go_away (self, self->runtime || self->config.comes_back);
  return TRUE;
}

static void
script_close (DfTransport *transport)
{
  g_free (transport);
}

static const DfTransportVtable script_vtable = {
  .control = script_control,
  .claim = script_claim,
  .set_alt = script_set_alt,
  .reset = script_reset,
  .close = script_close,
};

/* --- descriptors --- */

static DfUsbOpenResult
describe_open (gpointer user_data)
{
  return DF_USB_OPENED;
}

static GBytes *
string_text (ScriptedDevice *self, guint8 index)
{
  if (index == STRING_MANUFACTURER)
    return self->config.manufacturer;
  if (index == STRING_PRODUCT)
    return self->config.product;
  if (index == STRING_SERIAL)
    return self->config.serial;
  if (index >= STRING_FIRST_ALT && index - STRING_FIRST_ALT < (gint) self->config.alt_names->len)
    return g_ptr_array_index (self->config.alt_names, index - STRING_FIRST_ALT);
  return NULL;
}

/* a string descriptor: the text's bytes as UTF-16LE, or the language list */
static gint
describe_get_string (guint8 index, guint16 langid, guint8 *buf, gsize size, gpointer user_data)
{
  ScriptedDevice *self = user_data;
  guint8 desc[256];
  gsize length = 2;
  gsize short_length = G_MAXSIZE;
  g_autoptr(GError) error = NULL;
  guint8 param;
  GBytes *text;

  seen (self);
  if (!common_faults (self, next_answer (self, &param), param, TRUE, &short_length, 1000, &error))
    return -1;
  if (index == 0)
    {
      desc[2] = 0x09;
      desc[3] = 0x04;
      length = 4;
    }
  else if ((text = string_text (self, index)) != NULL)
    {
      gsize n;
      const guint8 *chars = g_bytes_get_data (text, &n);
      for (gsize i = 0; i < n && length + 2 <= sizeof desc - 1; i++)
        {
          desc[length++] = chars[i];
          desc[length++] = 0;
        }
    }
  else
    return -1;
  desc[0] = (guint8) length;
  desc[1] = 0x03;
  length = MIN (MIN (length, size), short_length);
  memcpy (buf, desc, length);
  return (gint) length;
}

GPtrArray *
scripted_device_enumerate (ScriptedDevice *self)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func ((GDestroyNotify) df_device_unref);
  g_autofree DfUsbAltSetting *alts = NULL;
  DfUsbInterface interface;
  DfUsbDescriptors d;
  gsize functional_length;
  const guint8 *functional = g_bytes_get_data (self->config.functional, &functional_length);
  guint n = self->config.alt_names->len;

  seen (self);
  if (!self->present && self->returns)
    enumerate_again (self);
  if (!self->present)
    return devices;
  alts = g_new0 (DfUsbAltSetting, n);
  for (guint a = 0; a < n; a++)
    alts[a] = (DfUsbAltSetting) {
      .number = 0,
      .alt_setting = (guint8) a,
      .class_code = self->config.class_code,
      .subclass = self->config.subclass,
      .protocol = self->runtime ? 1 : 2,
      .name_index = (guint8) (STRING_FIRST_ALT + a),
      .extra = a + 1 == n ? functional : NULL,
      .extra_length = a + 1 == n ? functional_length : 0,
    };
  interface = (DfUsbInterface) { alts, n };
  d = (DfUsbDescriptors) {
    .vid = self->config.vid,
    .pid = self->config.pid,
    .bcd_device = self->config.bcd_device,
    .manufacturer_index = self->config.manufacturer != NULL ? STRING_MANUFACTURER : 0,
    .product_index = self->config.product != NULL ? STRING_PRODUCT : 0,
    .serial_index = self->config.serial != NULL ? STRING_SERIAL : 0,
    .bus = 1,
    .address = self->address,
    .path = "1-1",
    .configuration = 1,
    .interfaces = &interface,
    .n_interfaces = 1,
    .open = describe_open,
    .get_string = describe_get_string,
    .user_data = self,
  };
  df_usb_describe (&d, devices);
  if (devices->len > 0)
    {
      g_clear_pointer (&self->described, df_device_unref);
      self->described = df_device_ref (g_ptr_array_index (devices, 0));
      self->dfuse = self->described->mode == DF_DEVICE_MODE_DFUSE;
      self->flip = self->described->mode == DF_DEVICE_MODE_FLIP;
    }
  return devices;
}

/* --- the bus --- */

static GPtrArray *
bus_enumerate (gpointer user_data, GError **error)
{
  return scripted_device_enumerate (user_data);
}

static DfTransport *
bus_open (DfDevice *device, gpointer user_data, GError **error)
{
  ScriptedDevice *self = user_data;
  ScriptTransport *t;

  seen (self);
  if (!self->present || device->address != self->address)
    {
      fail (error, DF_ERROR_DISCONNECTED, "no such device");
      return NULL;
    }
  t = g_new0 (ScriptTransport, 1);
  t->parent.vtable = &script_vtable;
  t->device = self;
  t->generation = self->generation;
  if (!df_transport_claim (&t->parent, device->interface, error))
    {
      script_close (&t->parent);
      return NULL;
    }
  return &t->parent;
}

ScriptedDevice *
scripted_device_new (ScriptedDeviceConfig *config, FuzzReader *script)
{
  ScriptedDevice *self = g_new0 (ScriptedDevice, 1);

  self->config = *config;
  memset (config, 0, sizeof *config);
  self->script = *script;
  self->ops = g_ptr_array_new_with_free_func (op_free);
  self->cancellable = g_cancellable_new ();
  self->clock = (DfClock) { clock_now, clock_sleep, self };
  self->bus = (DfUsbBus) { bus_enumerate, bus_open, self };
  self->memory = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->download = g_byte_array_new ();
  self->firmware = g_byte_array_new ();
  self->address = FIRST_BUS_ADDRESS;
  self->dnload_us = -1;
  self->present = TRUE;
  self->runtime = self->config.protocol == 1;
  self->state = self->runtime ? DF_STATE_APP_IDLE : DF_STATE_DFU_IDLE;
  /* a plain DFU device's memory before any download */
  g_byte_array_set_size (self->firmware, 64 + self->config.memory_fill);
  memset (self->firmware->data, self->config.memory_fill, self->firmware->len);
  return self;
}

void
scripted_device_free (ScriptedDevice *self)
{
  g_ptr_array_unref (self->ops);
  g_object_unref (self->cancellable);
  g_hash_table_unref (self->memory);
  g_byte_array_unref (self->download);
  g_byte_array_unref (self->firmware);
  g_clear_pointer (&self->write_data, g_bytes_unref);
  g_clear_pointer (&self->described, df_device_unref);
  g_clear_pointer (&self->config.functional, g_bytes_unref);
  g_clear_pointer (&self->config.alt_names, g_ptr_array_unref);
  g_clear_pointer (&self->config.manufacturer, g_bytes_unref);
  g_clear_pointer (&self->config.product, g_bytes_unref);
  g_clear_pointer (&self->config.serial, g_bytes_unref);
  g_free (self);
}

void
scripted_device_install (ScriptedDevice *self)
{
  df_usb_set_bus (&self->bus);
  df_clock_install (&self->clock);
}

void
scripted_device_uninstall (ScriptedDevice *self)
{
  df_usb_set_bus (NULL);
  df_clock_install (NULL);
}

GPtrArray *
scripted_device_get_ops (ScriptedDevice *self)
{
  return self->ops;
}

gint64
scripted_device_elapsed_us (ScriptedDevice *self)
{
  return self->now_us;
}

guint
scripted_device_get_dnloads (ScriptedDevice *self)
{
  return self->dnloads;
}

GCancellable *
scripted_device_get_cancellable (ScriptedDevice *self)
{
  return self->cancellable;
}
