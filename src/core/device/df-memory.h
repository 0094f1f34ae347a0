/* df-memory.h: reading and writing a device's memory in transfer-size
 * chunks: DfuSe with an address pointer, plain DFU with block numbers.
 * The job (df-job.c) decides what; this file knows how, with the fewest
 * requests the protocol allows. */
#pragma once

#include "df-protocol.h"

G_BEGIN_DECLS

/* called after each chunk with the bytes it moved and where */
typedef void (*DfChunkFunc) (gsize bytes, guint32 address, gpointer user_data);

/* DfuSe: one contiguous run at address.  The address pointer is set once
 * and wBlockNum advances (fwupd's way; dfu-util and pydfu set the address
 * before every chunk, twice the requests).  A short last chunk gets its
 * own SET_ADDRESS and block 2, so its address does not depend on whether
 * the device multiplies the block number by wLength or by wTransferSize. */
gboolean df_memory_write_run (DfConnection *c, guint32 address, const guint8 *data, gsize size,
                              DfChunkFunc func, gpointer user_data, GError **error);

/* DfuSe: reads size bytes at address into data; from dfuIDLE */
gboolean df_memory_read (DfConnection *c, guint32 address, guint8 *data, gsize size,
                         DfChunkFunc func, gpointer user_data, GError **error);

/* DfuSe: one transfer at each of n ascending addresses into data (n x
 * wTransferSize bytes), all from one SET_ADDRESS at the first: the block
 * number alone reaches the others (address = pointer + (wBlockNum - 2) x
 * wTransferSize, ST AN3156), three requests fewer per address than
 * df_memory_read.  FALSE with DF_ERROR_NOT_SUPPORTED, before any request,
 * where that cannot reach them: not whole transfers apart, beyond the block
 * number, or a device that needs an address per block; from dfuIDLE. */
gboolean df_memory_read_blocks (DfConnection *c, const guint32 *addresses, guint n, guint8 *data,
                                GError **error);

/* plain DFU 1.1: the payload in blocks from 0, then the zero-length
 * DNLOAD that starts manifestation */
gboolean df_memory_download_plain (DfConnection *c, const guint8 *data, gsize size,
                                   DfChunkFunc func, gpointer user_data, GError **error);

/* plain DFU 1.1: uploads until a short block, at most max bytes */
GBytes  *df_memory_upload_plain (DfConnection *c, gsize max, DfChunkFunc func,
                                 gpointer user_data, GError **error);

G_END_DECLS
