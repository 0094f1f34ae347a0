/* df-image.h: the one in-memory firmware model every format reads into and
 * writes from (DESIGN.md section 1).
 *
 * An image holds file metadata (format, DFU suffix, CRC, diagnostics) and
 * targets (one per DfuSe alternate setting), each holding ordered segments
 * (address, bytes).  Formats without targets (Intel HEX, S-record, ELF, raw,
 * plain DFU) parse into a single target with alt 0 and no name.
 *
 * Parsers never give up silently: every problem they see becomes a
 * diagnostic with a severity, the byte offset (or line) where it applies and
 * a sentence saying what is wrong.  An image with an error diagnostic must
 * not be flashed or converted.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DF_FORMAT_UNKNOWN,
  DF_FORMAT_DFUSE,  /* ST DfuSe: prefix, targets, elements, suffix */
  DF_FORMAT_DFU,    /* plain DFU: payload + 16-byte suffix, no address */
  DF_FORMAT_IHEX,   /* Intel HEX */
  DF_FORMAT_SREC,   /* Motorola S-record */
  DF_FORMAT_ELF,    /* ELF, PT_LOAD segments at their physical address */
  DF_FORMAT_RAW,    /* raw binary at a user-given address */
} DfFormat;

const gchar *df_format_to_string (DfFormat format);   /* "dfuse", "dfu", ... */
DfFormat     df_format_from_string (const gchar *str); /* UNKNOWN if not one */

typedef enum {
  DF_SEVERITY_NOTE,     /* the file is fine, but the user should know */
  DF_SEVERITY_WARNING,  /* the file is usable, something is odd */
  DF_SEVERITY_ERROR,    /* the file must not be used */
} DfSeverity;

typedef struct {
  DfSeverity severity;
  gint64     offset;   /* byte offset in the file, -1 when none applies */
  guint      line;     /* 1-based line for text formats, 0 when none */
  gchar     *message;  /* what is wrong, without file name or position */
} DfDiagnostic;

/* The DFU suffix (DFU 1.1 appendix B), last bytes of a .dfu file. */
#define DF_SUFFIX_SIZE        16
#define DF_BCD_DFU_PLAIN      0x0100
#define DF_BCD_DFU_1_1        0x0110
#define DF_BCD_DFU_DFUSE      0x011A
#define DF_ID_ANY             0xFFFF

typedef struct {
  guint16 bcd_device;
  guint16 pid;
  guint16 vid;
  guint16 bcd_dfu;
  guint8  length;        /* bLength; >= 16 */
  guint32 crc_stored;    /* dwCRC as found in the file */
  guint32 crc_computed;  /* what dwCRC should be */
} DfSuffix;

typedef struct {
  guint32  address;
  gboolean has_address;  /* FALSE for a plain DFU payload */
  GBytes  *data;
} DfSegment;

typedef struct {
  guint8     alt;
  gchar     *name;       /* NULL when the target is not named */
  GPtrArray *segments;   /* of DfSegment, in file order */
} DfTarget;

typedef struct {
  /*< private >*/
  gint       ref_count;
  /*< public >*/
  DfFormat   format;
  gchar     *source;      /* display name of where it came from */
  gboolean   has_suffix;
  DfSuffix   suffix;
  GPtrArray *targets;     /* of DfTarget */
  GPtrArray *diagnostics; /* of DfDiagnostic */
} DfImage;

DfImage   *df_image_new (DfFormat format, const gchar *source);
DfImage   *df_image_ref (DfImage *image);
void       df_image_unref (DfImage *image);

DfTarget  *df_image_add_target (DfImage *image, guint8 alt, const gchar *name);
DfTarget  *df_image_find_target (DfImage *image, guint8 alt);
DfSegment *df_target_add_segment (DfTarget *target, guint32 address, GBytes *data);
DfSegment *df_target_add_payload (DfTarget *target, GBytes *data); /* no address */

void       df_image_add_diagnostic (DfImage *image, DfSeverity severity,
                                    gint64 offset, guint line,
                                    const gchar *format, ...) G_GNUC_PRINTF (5, 6);
gboolean   df_image_has_errors (DfImage *image);
/* "name: offset 0x1c: message" or "name: line 3: message" */
gchar     *df_image_format_diagnostic (DfImage *image, const DfDiagnostic *diag);
/* FALSE with the first error diagnostic as a DF_ERROR_INVALID_FILE error */
gboolean   df_image_check (DfImage *image, GError **error);

/* a new image with the file metadata and only the target for alt (which
 * must exist); the bytes are shared, not copied */
DfImage   *df_image_extract_target (DfImage *image, guint8 alt);

gsize      df_image_total_size (DfImage *image);  /* payload bytes, all targets */
/* every segment of every target, in image order; the array is new, the
 * segments are the image's */
GPtrArray *df_image_list_segments (DfImage *image);
gboolean   df_image_has_addresses (DfImage *image);
/* For writers of formats that place every byte at an address: FALSE with
 * DF_ERROR_INVALID_ARGUMENT for a payload without address (it asks for the
 * load address), DF_ERROR_NOT_SUPPORTED for bytes past 4 GiB.
 * format_name is the format's name in the message, e.g. "Intel HEX". */
gboolean   df_image_check_addresses (DfImage *image, const gchar *format_name, GError **error);
/* same targets, names, addresses and bytes (metadata and notes ignored) */
gboolean   df_image_content_equal (DfImage *a, DfImage *b);

/* zlib crc32() of the data, as reported per element in `info --json` */
guint32    df_crc32 (const guint8 *data, gsize size);
/* the DFU suffix CRC over data: start 0xFFFFFFFF, no final XOR */
guint32    df_dfu_crc (const guint8 *data, gsize size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfImage, df_image_unref)

G_END_DECLS
