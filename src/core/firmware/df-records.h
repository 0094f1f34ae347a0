/* df-records.h: text record formats (Intel HEX in df-ihex.c, S-records in
 * df-srec.c): line iteration, hex digits, run building.
 *
 * A format describes itself with a DfRecordsSyntax (the character every
 * record starts with, its words for the diagnostics about the whole file,
 * and a function reading one record) and df_records_parse() does the rest:
 * it skips a UTF-8 byte order mark, splits the lines, ignores blank ones and
 * trailing whitespace, stops after too many errors, and at the end sorts the
 * data into the segments of one target.  Record syntax, checksums and record
 * types stay in each format's own file. */
#pragma once

#include "df-formats.h"

G_BEGIN_DECLS

/* the state of one parse, handed to DfRecordsParseFunc */
typedef struct _DfRecords DfRecords;

/* Reads one record: text is the line without its start character and
 * without trailing whitespace.  Sets *end on the record that ends the file.
 * FALSE after an error diagnostic. */
typedef gboolean (*DfRecordsParseFunc) (DfRecords *records, const guint8 *text, gsize len,
                                        gboolean *end, gpointer user_data);

typedef struct {
  DfFormat            format;
  gchar               start;         /* the character every record starts with */
  const gchar        *name;          /* in "this does not look like <name>" */
  const gchar        *end_record;    /* in "no <end_record> after line N" */
  const gchar        *not_a_record;  /* a line that does not start with start */
  const gchar        *after_end;     /* text after the end record */
  const gchar        *empty;         /* no records at all */
  const gchar        *no_data;       /* an end record but no data */
  DfRecordsParseFunc  parse_record;
} DfRecordsSyntax;

/* always an image; what could not be read is an error diagnostic on it */
DfImage  *df_records_parse (const DfRecordsSyntax *syntax, GBytes *bytes, const gchar *name,
                            DfLoadFlags flags, gpointer user_data);

/* a diagnostic about the current line */
void      df_records_diagnostic (DfRecords *records, DfSeverity severity,
                                 const gchar *format, ...) G_GNUC_PRINTF (3, 4);
/* Decodes hex digits into out (at most max bytes) and sets *n to how many
 * bytes the digits give; column is the 1-based column of text[0] in the
 * line.  FALSE after an error diagnostic. */
gboolean  df_records_decode_hex (DfRecords *records, const guint8 *text, gsize len, gsize column,
                                 guint8 *out, gsize max, gsize *n);
/* TRUE when the checksums agree, or (with a warning) when the load flags
 * say to ignore them; FALSE after an error diagnostic */
gboolean  df_records_check_sum (DfRecords *records, guint8 stored, guint8 computed);
/* size bytes at address from the current line */
void      df_records_add_data (DfRecords *records, guint32 address, const guint8 *data, gsize size);

/* For the writers: FALSE with an error when the image holds no byte, or
 * one without an address.  format_name as for df_image_check_addresses(). */
gboolean  df_records_check_writable (DfImage *image, const gchar *format_name, GError **error);
/* two upper-case hex digits, for the writers */
void      df_records_append_byte (GString *out, guint8 byte);

G_END_DECLS
