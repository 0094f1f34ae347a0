/* sim-micropython.c: what a virtual MicroPython board says it runs.
 *
 * Every MicroPython firmware carries its banner in flash, the line the
 * REPL prints at start-up: "MicroPython v1.25.0 on 2025-04-15; PYBv1.1
 * with STM32F405RG" (py/modsys.c and shared/runtime/pyexec.c build it from
 * MICROPY_GIT_TAG, MICROPY_BUILD_DATE, MICROPY_HW_BOARD_NAME and
 * MICROPY_HW_MCU_NAME; the corpus file weact-f401-mpy112.dfu holds
 * "MicroPython v1.12-540-gdd65eb920-dirty on 2020-06-16; WeAct_Core with
 * STM32F401CE").  After a flash the board runs what the banner in its
 * flash says, when the profile says to look for one. */
#define _GNU_SOURCE  /* memmem */
#include <string.h>

#include "sim-private.h"

void
sim_micropython_free (SimMicroPython *mp)
{
  if (mp == NULL)
    return;
  g_free (mp->version);
  g_free (mp->build_date);
  g_free (mp->machine);
  g_free (mp->sysname);
  g_free (mp->build);
  g_free (mp);
}

/* the printable run at p, up to stop or a control byte */
static gchar *
field (const guint8 *p, const guint8 *end, const gchar *stop)
{
  gsize stop_len = strlen (stop);
  const guint8 *q = p;

  while (q < end && *q >= 0x20 && *q < 0x7f &&
         !(stop_len > 0 && (gsize) (end - q) >= stop_len && memcmp (q, stop, stop_len) == 0))
    q++;
  return q > p ? g_strndup ((const gchar *) p, (gsize) (q - p)) : NULL;
}

/* "VERSION on DATE; MACHINE" after the prefix; FALSE if it is not one */
static gboolean
parse_banner (const guint8 *p, const guint8 *end, SimMicroPython *mp)
{
  g_autofree gchar *version = field (p, end, " on ");
  g_autofree gchar *date = NULL;
  g_autofree gchar *machine = NULL;
  const guint8 *q;

  if (version == NULL || !g_ascii_isdigit (version[0]))
    return FALSE;
  q = p + strlen (version);
  if (end - q < 4 || memcmp (q, " on ", 4) != 0)
    return FALSE;
  date = field (q + 4, end, "; ");
  if (date == NULL)
    return FALSE;
  q += 4 + strlen (date);
  if (end - q < 2 || memcmp (q, "; ", 2) != 0)
    return FALSE;
  machine = field (q + 2, end, "");
  if (machine == NULL)
    return FALSE;
  g_free (mp->version);
  g_free (mp->build_date);
  g_free (mp->machine);
  mp->version = g_steal_pointer (&version);
  mp->build_date = g_steal_pointer (&date);
  mp->machine = g_steal_pointer (&machine);
  return TRUE;
}

SimMicroPython *
sim_micropython_new (const SimMicroPython *profile, const guint8 *flash, gsize size, const gchar *prefix)
{
  SimMicroPython *mp = g_new0 (SimMicroPython, 1);
  gsize prefix_len = prefix != NULL ? strlen (prefix) : 0;

  mp->version = g_strdup (profile->version);
  mp->build_date = g_strdup (profile->build_date);
  mp->machine = g_strdup (profile->machine);
  mp->sysname = g_strdup (profile->sysname);
  mp->build = g_strdup (profile->build);
  if (flash == NULL || prefix_len == 0)
    return mp;
  for (const guint8 *p = flash; p != NULL && (gsize) (flash + size - p) > prefix_len;)
    {
      p = memmem (p, (gsize) (flash + size - p), prefix, prefix_len);
      if (p == NULL)
        break;
      if (parse_banner (p + prefix_len, flash + size, mp))
        break;
      p++;
    }
  return mp;
}
