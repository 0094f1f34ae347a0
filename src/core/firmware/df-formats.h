/* df-formats.h: reading and writing every firmware format, one file each
 * (df-dfuse.c, df-dfu.c, df-ihex.c, df-srec.c, df-elf.c, df-raw.c), and the
 * dispatch that picks one by content or by name (df-format.c).
 *
 * Parsers take the whole file as bytes and a display name for messages, and
 * always return an image: what they could not accept is an error diagnostic
 * on it.  Writers return the file bytes, or NULL and an error when the image
 * cannot be expressed in that format (no address, address too large...).
 */
#pragma once

#include <gio/gio.h>
#include "df-image.h"

G_BEGIN_DECLS

typedef enum {
  DF_LOAD_NONE         = 0,
  DF_LOAD_IGNORE_CRC   = 1 << 0,  /* a CRC mismatch is a warning, not an error */
} DfLoadFlags;

typedef struct {
  guint16  vid;           /* DF_ID_ANY for any */
  guint16  pid;
  guint16  bcd_device;
  gboolean pad_to_8;      /* DfuSe: pad element sizes to a multiple of 8 */
  guint8   fill;          /* padding and gap byte, usually 0xFF */
} DfWriteOptions;

void     df_write_options_init (DfWriteOptions *options); /* any id, pad, 0xFF */

/* DfuSe (ST UM0391) */
DfImage *df_dfuse_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags);
GBytes  *df_dfuse_write (DfImage *image, const DfWriteOptions *options, GError **error);

/* Plain DFU: payload + suffix.  The suffix helpers also serve DfuSe. */
DfImage *df_dfu_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags);
GBytes  *df_dfu_write (DfImage *image, const DfWriteOptions *options, GError **error);
gboolean df_dfu_has_suffix (GBytes *bytes);
/* reads the suffix of bytes into image->suffix and checks it; returns the
 * size of the content before the suffix, or -1 after an error diagnostic */
gssize   df_dfu_read_suffix (DfImage *image, GBytes *bytes, DfLoadFlags flags);
/* content + suffix with a correct CRC */
GBytes  *df_dfu_append_suffix (const guint8 *content, gsize size,
                               guint16 vid, guint16 pid, guint16 bcd_device,
                               guint16 bcd_dfu);

/* Intel HEX, record types 00-05 */
DfImage *df_ihex_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags);
GBytes  *df_ihex_write (DfImage *image, GError **error);

/* Motorola S-record, S0-S9 */
DfImage *df_srec_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags);
GBytes  *df_srec_write (DfImage *image, GError **error);

/* ELF through libelf: PT_LOAD segments by physical address */
DfImage *df_elf_parse (GBytes *bytes, const gchar *name, DfLoadFlags flags);
GBytes  *df_elf_write (DfImage *image, GError **error);

/* Raw binary.  Writing fills the gaps of a sparse image with options->fill
 * and returns the base address (lowest address) in *base. */
DfImage *df_raw_parse (GBytes *bytes, const gchar *name, guint32 address);
GBytes  *df_raw_write (DfImage *image, const DfWriteOptions *options,
                       guint32 *base, GError **error);

/* Dispatch.  Detection is by content first ("DfuSe" prefix, DFU suffix, ELF
 * magic, ':' or 'S' records) and by extension only for raw binaries. */
DfFormat df_format_detect (GBytes *bytes, const gchar *name);
DfFormat df_format_from_extension (const gchar *path);
/* format UNKNOWN detects; a raw file without has_address becomes a payload
 * with no address (as a plain DFU file), which writers and devices that
 * need an address refuse with a message asking for one */
DfImage *df_image_load_bytes (GBytes *bytes, const gchar *name, DfFormat format,
                              gboolean has_address, guint32 address,
                              DfLoadFlags flags, GError **error);
DfImage *df_image_load_file (const gchar *path, DfFormat format,
                             gboolean has_address, guint32 address,
                             DfLoadFlags flags, GError **error);
GBytes  *df_image_write (DfImage *image, DfFormat format,
                         const DfWriteOptions *options, GError **error);
/* writes to a temporary file and renames it: never a partial file */
gboolean df_image_save_file (DfImage *image, const gchar *path, DfFormat format,
                             const DfWriteOptions *options, GError **error);
/* the same for bytes; the error names path, never the temporary file */
gboolean df_file_save (const gchar *path, const void *data, gsize size, GError **error);

G_END_DECLS
