/* df-usb-names.c: see df-usb-names.h.  udev's hwdb holds usb.ids compiled
 * (systemd's 20-usb-vendor-model.hwdb) and answers in microseconds; the
 * text file is the fallback where there is no udev (containers, other
 * systems).  DEFUSE_USB_IDS names a usb.ids file to use instead of both,
 * for tests. */
#include "df-usb-names.h"

#include <string.h>

#ifdef DF_HAVE_LIBUDEV
#include <libudev.h>
#endif

typedef struct {
  gchar *vendor;   /* NULL: unknown id */
  gchar *product;
} Names;

static void
names_free (gpointer data)
{
  Names *names = data;
  g_free (names->vendor);
  g_free (names->product);
  g_free (names);
}

/* one lock for the cache and the databases: libudev objects are not
 * thread-safe, and a lookup is rare (once per id) */
static GMutex lock;
static GHashTable *cache;       /* (vid << 16 | pid) -> Names */
static gboolean opened;
static GBytes *ids_file;        /* usb.ids, when there is no hwdb */
#ifdef DF_HAVE_LIBUDEV
static struct udev *udev;
static struct udev_hwdb *hwdb;
#endif

static const gchar * const ids_paths[] = {
  "/usr/share/hwdata/usb.ids",  /* Debian's hwdata, Fedora */
  "/usr/share/misc/usb.ids",    /* Debian's usb.ids, usbutils */
  "/var/lib/usbutils/usb.ids",
  "/usr/share/usb.ids",
};

static GBytes *
read_file (const gchar *path)
{
  gchar *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return g_bytes_new_take (contents, length);
}

static void
open_databases (void)
{
  const gchar *override = g_getenv ("DEFUSE_USB_IDS");

  opened = TRUE;
  if (override != NULL)
    {
      ids_file = read_file (override);
      return;
    }
#ifdef DF_HAVE_LIBUDEV
  udev = udev_new ();
  if (udev != NULL)
    hwdb = udev_hwdb_new (udev);
  if (hwdb != NULL)
    return;
  g_clear_pointer (&udev, udev_unref);
#endif
  for (guint i = 0; i < G_N_ELEMENTS (ids_paths) && ids_file == NULL; i++)
    ids_file = read_file (ids_paths[i]);
}

#ifdef DF_HAVE_LIBUDEV
/* the same key udev's own hwdb builtin asks for a USB device */
static void
hwdb_lookup (guint16 vid, guint16 pid, Names *names)
{
  g_autofree gchar *modalias = g_strdup_printf ("usb:v%04Xp%04X*", vid, pid);
  struct udev_list_entry *entry;

  udev_list_entry_foreach (entry, udev_hwdb_get_properties_list_entry (hwdb, modalias, 0))
    {
      const gchar *key = udev_list_entry_get_name (entry);
      const gchar *value = udev_list_entry_get_value (entry);

      if (g_strcmp0 (key, "ID_VENDOR_FROM_DATABASE") == 0)
        names->vendor = g_utf8_make_valid (value, -1);
      else if (g_strcmp0 (key, "ID_MODEL_FROM_DATABASE") == 0)
        names->product = g_utf8_make_valid (value, -1);
    }
}
#endif

/* "0483  STMicroelectronics": four hex digits, two spaces, the name */
static gboolean
parse_entry (const gchar *line, const gchar *end, guint16 *id, gchar **name)
{
  gchar digits[5];
  gchar *rest;

  if (end - line < 7 || line[4] != ' ' || line[5] != ' ')
    return FALSE;
  memcpy (digits, line, 4);
  digits[4] = '\0';
  *id = (guint16) g_ascii_strtoull (digits, &rest, 16);
  if (rest != digits + 4 || !g_ascii_isxdigit (digits[0]))
    return FALSE;
  /* a line may end in "\r\n" */
  while (end > line + 6 && g_ascii_isspace (end[-1]))
    end--;
  *name = g_utf8_make_valid (line + 6, end - (line + 6));
  return TRUE;
}

gboolean
df_usb_ids_lookup (const gchar *text, gsize length, guint16 vid, guint16 pid, gchar **vendor, gchar **product)
{
  const gchar *end = text + length;
  g_autofree gchar *found_vendor = NULL, *found_product = NULL;

  for (const gchar *line = text; line < end;)
    {
      const gchar *eol = memchr (line, '\n', end - line);
      guint16 id;
      gchar *name = NULL;

      if (eol == NULL)
        eol = end;
      if (found_vendor == NULL && line[0] != '\t' && parse_entry (line, eol, &id, &name))
        {
          if (id == vid)
            found_vendor = name;
          else
            g_free (name);
        }
      else if (found_vendor != NULL && line[0] == '\t' && line + 1 < eol && line[1] != '\t')
        {
          if (parse_entry (line + 1, eol, &id, &name) && id == pid)
            {
              found_product = name;
              break;
            }
          g_free (name);
        }
      /* the vendor's block ends at the next line not indented (comments
       * and blank lines aside) */
      else if (found_vendor != NULL && line[0] != '\t' && line[0] != '#' && line < eol && line[0] != '\r')
        break;
      line = eol + 1;
    }
  if (found_vendor == NULL)
    return FALSE;
  if (vendor != NULL)
    *vendor = g_steal_pointer (&found_vendor);
  if (product != NULL)
    *product = g_steal_pointer (&found_product);
  return TRUE;
}

static Names *
lookup_locked (guint16 vid, guint16 pid)
{
  guint key = (guint) vid << 16 | pid;
  Names *names;

  if (cache == NULL)
    cache = g_hash_table_new_full (NULL, NULL, NULL, names_free);
  names = g_hash_table_lookup (cache, GUINT_TO_POINTER (key));
  if (names != NULL)
    return names;

  if (!opened)
    open_databases ();
  names = g_new0 (Names, 1);
#ifdef DF_HAVE_LIBUDEV
  if (hwdb != NULL)
    hwdb_lookup (vid, pid, names);
#endif
  if (ids_file != NULL)
    {
      gsize length;
      const gchar *text = g_bytes_get_data (ids_file, &length);
      df_usb_ids_lookup (text, length, vid, pid, &names->vendor, &names->product);
    }
  /* a product without its vendor is not an answer */
  if (names->vendor == NULL)
    g_clear_pointer (&names->product, g_free);
  g_hash_table_insert (cache, GUINT_TO_POINTER (key), names);
  return names;
}

gboolean
df_usb_names_lookup (guint16 vid, guint16 pid, gchar **vendor, gchar **product)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);  /* held to the return */
  Names *names = lookup_locked (vid, pid);

  if (names->vendor == NULL)
    return FALSE;
  if (vendor != NULL)
    *vendor = g_strdup (names->vendor);
  if (product != NULL)
    *product = g_strdup (names->product);
  return TRUE;
}

gchar *
df_usb_names_describe (guint16 vid, guint16 pid)
{
  g_autofree gchar *vendor = NULL, *product = NULL;

  if (!df_usb_names_lookup (vid, pid, &vendor, &product))
    return NULL;
  if (product == NULL)
    return g_steal_pointer (&vendor);
  /* "Lego Group LEGO Hub" says the vendor twice, as usb.ids often does */
  if (g_str_has_prefix (product, vendor))
    return g_steal_pointer (&product);
  return g_strdup_printf ("%s %s", vendor, product);
}
