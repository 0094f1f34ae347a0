/* df-match.h: which devices a table entry is about.  The quirk table
 * (df-quirks.c) and the catalog of known bootloaders (df-catalog.c) are
 * key-files whose entries start with the same match keys:
 *
 *   vid-pid=0483:df11;2b04:*     one of these USB ids ("*": any product)
 *   bcd-device=0x1000            or a range: 0x0200-0x02ff
 *   dfu-version=0x011a           bcdDFUVersion of the functional descriptor
 *   mode=dfuse                   dfu, dfuse or runtime, as enumeration decided
 *   manufacturer=, product=, serial=   glob patterns ('*', '?') on the strings
 *   alt-name=PATTERN;PATTERN     every glob pattern matches at least one alt
 *                                name, e.g. "@Option Bytes*" followed by the
 *                                address of the option bytes
 *
 * All keys given must match.  An entry with no match key matches nothing. */
#pragma once

#include "df-device.h"

G_BEGIN_DECLS

typedef struct _DfMatch DfMatch;

DfMatch  *df_match_new (GKeyFile *file, const gchar *group, GError **error);
void      df_match_free (DfMatch *match);
/* TRUE if the device matches; *reason (may be NULL) says what matched */
gboolean  df_match_device (const DfMatch *match, const DfDevice *device, gchar **reason);
/* whether key is one of the match keys above */
gboolean  df_match_is_key (const gchar *key);
/* a number written "0x1f", "31" */
gboolean  df_match_parse_number (const gchar *text, guint64 max, guint64 *value, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DfMatch, df_match_free)

G_END_DECLS
