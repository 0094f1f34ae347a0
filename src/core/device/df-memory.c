#include <glib/gi18n.h>
#include <string.h>

#include "df-error.h"
#include "df-memory.h"

/* the first block number that carries data in DfuSe (0 is a command) */
#define DFUSE_FIRST_BLOCK 2

static gboolean
check_cancelled (DfConnection *c, GError **error)
{
  if (g_cancellable_is_cancelled (c->cancellable))
    {
      g_set_error (error, DF_ERROR, DF_ERROR_CANCELLED, _("cancelled"));
      return FALSE;
    }
  return TRUE;
}

/* one whole transfer at block (the pointer + (block - 2) x wTransferSize,
 * which is at): the same length every time, so the device's arithmetic
 * places it whatever it multiplies by */
static gboolean
upload_block (DfConnection *c, guint block, guint32 at, guint8 *buf, gsize *actual, GError **error)
{
  if (!df_dfu_upload (c, (guint16) block, buf, c->transfer_size, actual, error))
    {
      g_prefix_error (error, _("reading at 0x%08x: "), at);
      return FALSE;
    }
  return TRUE;
}

/* The device refused an early status request while writing a block (a
 * spec-strict device, now cleared to dfuIDLE): read the block back and
 * write it again unless it is already there.  On NOR flash writing the
 * same bytes again over a partial write gives the same bytes. */
static gboolean
recover_block (DfConnection *c, guint32 at, const guint8 *data, gsize n, GError **error)
{
  g_autofree guint8 *back = g_malloc (n);
  gboolean refused = FALSE;

  if (!df_memory_read (c, at, back, n, NULL, NULL, error))
    return FALSE;
  if (memcmp (back, data, n) == 0)
    return TRUE;
  g_debug ("the block at 0x%08x was not written: writing it again", at);
  if (!df_dfuse_set_address (c, at, error) ||
      !df_dfu_write_block (c, DFUSE_FIRST_BLOCK, data, n, &refused, error))
    return FALSE;
  /* with the spec's timing from the first refusal on, a second one is a
   * device that refuses everything */
  if (refused)
    g_set_error (error, DF_ERROR, DF_ERROR_DEVICE,
                 _("the device refused a status request sent after the time it asked for"));
  return !refused;
}

gboolean
df_memory_write_run (DfConnection *c, guint32 address, const guint8 *data, gsize size,
                     DfChunkFunc func, gpointer user_data, GError **error)
{
  gsize chunk = c->transfer_size;
  gsize done = 0;
  guint block = DFUSE_FIRST_BLOCK;

  if (!df_dfuse_set_address (c, address, error))
    return FALSE;
  while (done < size)
    {
      gsize n = MIN (chunk, size - done);
      guint32 at = address + (guint32) done;
      gboolean refused = FALSE;

      if (!check_cancelled (c, error))
        return FALSE;
      /* a short chunk after full ones, a block number about to wrap, or
       * chunks the device's arithmetic would misplace: restart the pointer */
      if ((n < chunk && block > DFUSE_FIRST_BLOCK) || block > G_MAXUINT16 ||
          (c->address_every_block && done > 0))
        {
          if (!df_dfuse_set_address (c, at, error))
            return FALSE;
          block = DFUSE_FIRST_BLOCK;
        }
      if (!df_dfu_write_block (c, (guint16) block, data + done, n, &refused, error) ||
          (refused && !recover_block (c, at, data + done, n, error)))
        {
          g_prefix_error (error, _("writing %zu bytes at 0x%08x: "), n, at);
          return FALSE;
        }
      /* after a recovery the pointer is somewhere else: set it again */
      block = refused ? G_MAXUINT16 + 1 : block + 1;
      done += n;
      if (func != NULL)
        func (n, at, user_data);
    }
  return TRUE;
}

gboolean
df_memory_read_blocks (DfConnection *c, const guint32 *addresses, guint n, guint8 *data, GError **error)
{
  guint32 size = c->transfer_size;

  for (guint i = 0; i < n; i++)
    if (addresses[i] < addresses[0] || (addresses[i] - addresses[0]) % size != 0 ||
        (addresses[i] - addresses[0]) / size > G_MAXUINT16 - DFUSE_FIRST_BLOCK || c->address_every_block)
      {
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                     "0x%08x is out of the block number's reach from 0x%08x", addresses[i], addresses[0]);
        return FALSE;
      }
  if (n == 0)
    return TRUE;
  if (!df_dfuse_set_address (c, addresses[0], error) || !df_dfu_abort (c, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      guint block = DFUSE_FIRST_BLOCK + (addresses[i] - addresses[0]) / size;
      gsize actual = 0;

      if (!check_cancelled (c, error) ||
          !upload_block (c, block, addresses[i], data + (gsize) i * size, &actual, error))
        return FALSE;
      if (actual < size)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
                       _("the device's memory ends at 0x%08x, before the %zu bytes asked for"),
                       addresses[i] + (guint32) actual, (gsize) size);
          return FALSE;
        }
    }
  return df_dfu_abort (c, error);
}

gboolean
df_memory_read (DfConnection *c, guint32 address, guint8 *data, gsize size,
                DfChunkFunc func, gpointer user_data, GError **error)
{
  g_autofree guint8 *buf = g_malloc (c->transfer_size);
  gsize done = 0;
  guint block = DFUSE_FIRST_BLOCK;

  /* SET_ADDRESS leaves dfuDNLOAD-IDLE; UPLOAD needs dfuIDLE (ABORT) */
  if (!df_dfuse_set_address (c, address, error) || !df_dfu_abort (c, error))
    return FALSE;
  while (done < size)
    {
      gsize actual = 0;
      gsize n;
      guint32 at = address + (guint32) done;

      if (!check_cancelled (c, error))
        return FALSE;
      if (block > G_MAXUINT16 || (c->address_every_block && done > 0))
        {
          /* from dfuUPLOAD-IDLE: ABORT first, DNLOAD is refused there */
          if (!df_dfu_abort (c, error) || !df_dfuse_set_address (c, at, error) ||
              !df_dfu_abort (c, error))
            return FALSE;
          block = DFUSE_FIRST_BLOCK;
        }
      if (!upload_block (c, block, at, buf, &actual, error))
        return FALSE;
      n = MIN (actual, size - done);
      memcpy (data + done, buf, n);
      done += n;
      block++;
      if (func != NULL && n > 0)
        func (n, at, user_data);
      if (actual < c->transfer_size && done < size)
        {
          g_set_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE,
                       _("the device's memory ends at 0x%08x, before the %zu bytes asked for"),
                       address + (guint32) done, size);
          return FALSE;
        }
    }
  /* back to dfuIDLE, ready for the next command */
  return df_dfu_abort (c, error);
}

gboolean
df_memory_download_plain (DfConnection *c, const guint8 *data, gsize size,
                          DfChunkFunc func, gpointer user_data, GError **error)
{
  gsize done = 0;
  gsize reported = 0;
  guint16 block = 0;

  while (done < size)
    {
      gsize n = MIN ((gsize) c->transfer_size, size - done);
      gboolean refused = FALSE;

      if (!check_cancelled (c, error))
        return FALSE;
      if (!df_dfu_write_block (c, block, data + done, n, &refused, error))
        {
          g_prefix_error (error, _("writing block %u (bytes %zu-%zu): "),
                          block, done, done + n - 1);
          return FALSE;
        }
      if (refused)
        {
          /* a refused early status request ended the download (the
           * device is back in dfuIDLE): start it again, with the spec's
           * timing from now on */
          done = 0;
          block = 0;
          continue;
        }
      done += n;
      block++;  /* wraps at 65536, as DFU 1.1 allows */
      if (func != NULL && done > reported)
        {
          func (done - reported, (guint32) reported, user_data);
          reported = done;
        }
    }
  return TRUE;
}

GBytes *
df_memory_upload_plain (DfConnection *c, gsize max, DfChunkFunc func, gpointer user_data,
                        GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *buf = g_malloc (c->transfer_size);
  guint16 block = 0;

  while (out->len < max)
    {
      gsize actual = 0;

      if (!check_cancelled (c, error))
        return NULL;
      if (!df_dfu_upload (c, block++, buf, c->transfer_size, &actual, error))
        return NULL;
      g_byte_array_append (out, buf, (guint) MIN (actual, max - out->len));
      if (func != NULL)
        func (actual, out->len, user_data);
      if (actual < c->transfer_size)
        break;
    }
  /* a short block ended the upload: the device is back in dfuIDLE; if we
   * stopped first, abort the upload */
  if (out->len >= max && !df_dfu_abort (c, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
