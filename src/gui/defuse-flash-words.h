/* defuse-flash-words.h: a flash's progress and failure in the window's words */
#pragma once

#include <glib.h>

#include "df-job.h"

G_BEGIN_DECLS

/* a Cancel, from the engine or from GIO */
gboolean     defuse_flash_words_is_cancel (const GError *error);
/* the message without its parentheses that name a defuse-cli option */
gchar       *defuse_flash_words_without_cli_options (const gchar *message);
/* the message with DFU's state and status names in words */
gchar       *defuse_flash_words_without_jargon (const gchar *message);
/* "120 KiB of 300 KiB · 45 KiB/s · 7 s left" */
gchar       *defuse_flash_words_progress (const DfProgress *progress);
/* what to do after a failure of this kind, or NULL after a Cancel */
const gchar *defuse_flash_words_error_hint (const GError *error);

G_END_DECLS
