/* df-micropython-boards.c: the board table and which board a running
 * MicroPython is (by sys.implementation._build or by its machine string). */
#include <string.h>

#include <glib/gi18n.h>

#include "df-error.h"
#include "df-key-table.h"
#include "df-micropython-boards.h"

#define GENERATED "/io/github/defuse/core/micropython/boards.conf"
#define ADDITIONS "/io/github/defuse/core/micropython-boards.conf"
#define SOURCE_GROUP "MicroPython source"

typedef struct {
  DfKeyTable *generated;  /* from MicroPython's sources */
  DfKeyTable *additions;  /* Defuse's and the user's: wins key by key */
} Tables;

static Tables *
tables (void)
{
  static Tables t;
  static gsize loaded;

  if (g_once_init_enter (&loaded))
    {
      /* the user's files ending in .conf in ~/.config/defuse/micropython
       * ($DEFUSE_MICROPYTHON_DIR) add boards or change keys */
      g_autofree gchar *dir = df_key_table_user_dir ("DEFUSE_MICROPYTHON_DIR", "micropython");
      t.generated = df_key_table_load (GENERATED, NULL, ".conf", NULL);
      t.additions = df_key_table_load (ADDITIONS, dir, ".conf", NULL);
      g_once_init_leave (&loaded, 1);
    }
  return &t;
}

/* a key of a board: the additions first, then the generated table */
static gchar *
get (const gchar *id, const gchar *key)
{
  gchar *value = g_key_file_get_string (df_key_table_get_file (tables ()->additions), id, key, NULL);

  if (value == NULL)
    value = g_key_file_get_string (df_key_table_get_file (tables ()->generated), id, key, NULL);
  return value;
}

static gboolean
has_board (const gchar *id)
{
  return g_strcmp0 (id, SOURCE_GROUP) != 0 && g_strcmp0 (id, "MicroPython") != 0 &&
         (g_key_file_has_group (df_key_table_get_file (tables ()->generated), id) ||
          g_key_file_has_key (df_key_table_get_file (tables ()->additions), id, "port", NULL));
}

/* "0x08004000-0x0801ffff" (the first range of a list) */
static void
get_range (const gchar *id, const gchar *key, guint32 *start, guint32 *end)
{
  g_autofree gchar *text = get (id, key);
  g_auto(GStrv) ranges = text != NULL ? g_strsplit (text, ";", -1) : NULL;
  g_auto(GStrv) ends = ranges != NULL ? g_strsplit (ranges[0], "-", 2) : NULL;

  *start = *end = 0;
  if (ends == NULL || g_strv_length (ends) != 2)
    return;
  *start = (guint32) g_ascii_strtoull (ends[0], NULL, 16);
  *end = (guint32) g_ascii_strtoull (ends[1], NULL, 16);
}

DfMpBoard *
df_mp_board_lookup (const gchar *id)
{
  DfMpBoard *board;
  g_autofree gchar *variants = NULL;
  g_autofree gchar *mboot = NULL;

  if (id == NULL || !has_board (id))
    return NULL;
  board = g_new0 (DfMpBoard, 1);
  board->ref_count = 1;
  board->id = g_strdup (id);
  board->port = get (id, "port");
  board->name = get (id, "name");
  board->mcu = get (id, "mcu");
  board->product = get (id, "product");
  board->vendor = get (id, "vendor");
  variants = get (id, "variants");
  board->variants = g_strsplit (variants != NULL ? variants : "", ";", -1);
  /* "a;b;" splits into a trailing empty string */
  for (guint i = 0; board->variants[i] != NULL; i++)
    if (board->variants[i][0] == '\0')
      {
        g_free (board->variants[i]);
        board->variants[i] = NULL;
        break;
      }
  mboot = get (id, "mboot");
  board->mboot = g_strcmp0 (mboot, "true") == 0;
  get_range (id, "flash", &board->flash_start, &board->flash_end);
  get_range (id, "filesystem", &board->fs_start, &board->fs_end);
  board->bootloader_layout = get (id, "bootloader-layout");
  return board;
}

DfMpBoard *
df_mp_board_ref (DfMpBoard *board)
{
  g_atomic_int_inc (&board->ref_count);
  return board;
}

void
df_mp_board_unref (DfMpBoard *board)
{
  if (board == NULL || !g_atomic_int_dec_and_test (&board->ref_count))
    return;
  g_free (board->id);
  g_free (board->port);
  g_free (board->name);
  g_free (board->mcu);
  g_free (board->product);
  g_free (board->vendor);
  g_strfreev (board->variants);
  g_free (board->bootloader_layout);
  g_free (board);
}

/* g_ptr_array_sort hands pointers to the elements */
static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

GStrv
df_mp_board_list_ids (void)
{
  g_auto(GStrv) groups = g_key_file_get_groups (df_key_table_get_file (tables ()->generated), NULL);
  g_auto(GStrv) added = g_key_file_get_groups (df_key_table_get_file (tables ()->additions), NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();

  for (guint i = 0; groups[i] != NULL; i++)
    if (has_board (groups[i]))
      g_ptr_array_add (ids, g_strdup (groups[i]));
  for (guint i = 0; added[i] != NULL; i++)
    if (has_board (added[i]) &&
        !g_key_file_has_group (df_key_table_get_file (tables ()->generated), added[i]))
      g_ptr_array_add (ids, g_strdup (added[i]));
  g_ptr_array_sort (ids, compare_strings);
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

const gchar *
df_mp_board_table_version (void)
{
  static gchar *version;
  static gsize done;

  if (g_once_init_enter (&done))
    {
      GKeyFile *file = df_key_table_get_file (tables ()->generated);
      g_autofree gchar *tag = g_key_file_get_string (file, SOURCE_GROUP, "version", NULL);
      g_autofree gchar *commit = g_key_file_get_string (file, SOURCE_GROUP, "commit", NULL);
      version = g_strdup_printf ("%s (%s)", tag != NULL ? tag : "?", commit != NULL ? commit : "?");
      g_once_init_leave (&done, 1);
    }
  return version;
}

gboolean
df_mp_board_has_variant (DfMpBoard *board, const gchar *variant)
{
  return variant == NULL || g_strv_contains ((const gchar *const *) board->variants, variant);
}

gchar *
df_mp_board_machine (DfMpBoard *board, const gchar *variant)
{
  g_autofree gchar *key = variant != NULL ? g_strdup_printf ("variant-%s-name", variant) : NULL;
  g_autofree gchar *renamed = key != NULL ? get (board->id, key) : NULL;
  const gchar *name = renamed != NULL ? renamed : board->name;

  if (name == NULL || board->mcu == NULL)
    return NULL;
  return g_strdup_printf ("%s with %s", name, board->mcu);
}

gboolean
df_mp_board_check_dfu (DfMpBoard *board, GError **error)
{
  static const struct { const gchar *port; const gchar *how; } others[] = {
    /* TRANSLATORS: how boards of a MicroPython port are flashed */
    { "rp2", N_("by copying a .uf2 file to the drive the board shows in BOOTSEL mode") },
    { "samd", N_("by copying a .uf2 file to the drive of its UF2 bootloader") },
    { "nrf", N_("with its vendor's tools or a .uf2 file, depending on the board") },
    { "mimxrt", N_("with its vendor's tools or a .uf2 file, depending on the board") },
    { "esp32", N_("with esptool") },
    { "esp8266", N_("with esptool") },
    { "renesas-ra", N_("with Renesas' flash tools") },
  };

  if (g_strcmp0 (board->port, "stm32") == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    if (g_strcmp0 (board->port, others[i].port) == 0)
      {
        g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
                     _("%s is a MicroPython %s board, flashed %s; Defuse flashes boards with a DFU "
                       "bootloader (MicroPython's stm32 port) only"),
                     board->id, board->port, _(others[i].how));
        return FALSE;
      }
  g_set_error (error, DF_ERROR, DF_ERROR_NOT_SUPPORTED,
               _("%s is a MicroPython %s board, which has no DFU bootloader; Defuse flashes boards with a "
                 "DFU bootloader (MicroPython's stm32 port) only"), board->id, board->port);
  return FALSE;
}

DfMpBuild *
df_mp_build_new (DfMpBoard *board, const gchar *variant)
{
  DfMpBuild *build = g_new0 (DfMpBuild, 1);
  build->board = df_mp_board_ref (board);
  build->variant = g_strdup (variant);
  return build;
}

void
df_mp_build_free (DfMpBuild *build)
{
  if (build == NULL)
    return;
  df_mp_board_unref (build->board);
  g_free (build->variant);
  g_free (build);
}

gchar *
df_mp_build_to_string (const DfMpBuild *build)
{
  if (build->variant == NULL)
    return g_strdup (build->board->id);
  return g_strdup_printf ("%s-%s", build->board->id, build->variant);
}

DfMpBuild *
df_mp_build_parse (const gchar *text, GError **error)
{
  g_autoptr(DfMpBoard) whole = df_mp_board_lookup (text);

  if (whole != NULL)
    return df_mp_build_new (whole, NULL);
  /* BOARD-VARIANT (py/mkrules.mk): ids hold no "-" today, but try every
   * split so that one that does still parses */
  for (const gchar *dash = strchr (text, '-'); dash != NULL; dash = strchr (dash + 1, '-'))
    {
      g_autofree gchar *id = g_strndup (text, (gsize) (dash - text));
      g_autoptr(DfMpBoard) board = df_mp_board_lookup (id);

      if (board != NULL && df_mp_board_has_variant (board, dash + 1))
        return df_mp_build_new (board, dash + 1);
      if (board != NULL)
        {
          g_autofree gchar *known = g_strjoinv (", ", board->variants);
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
                       _("MicroPython board %s has no variant “%s” (it has: %s)"), id, dash + 1,
                       known[0] != '\0' ? known : _("none"));
          return NULL;
        }
    }
  g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND,
               _("“%s” is not a MicroPython board Defuse knows (its table is from MicroPython %s); "
                 "run “defuse-cli micropython boards” for the list"), text, df_mp_board_table_version ());
  return NULL;
}

GPtrArray *
df_mp_builds_for_machine (const gchar *machine)
{
  g_auto(GStrv) ids = df_mp_board_list_ids ();
  GPtrArray *builds = g_ptr_array_new_with_free_func ((GDestroyNotify) df_mp_build_free);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(DfMpBoard) board = df_mp_board_lookup (ids[i]);
      g_autofree gchar *standard = df_mp_board_machine (board, NULL);

      if (g_strcmp0 (standard, machine) == 0)
        g_ptr_array_add (builds, df_mp_build_new (board, NULL));
      for (guint v = 0; board->variants[v] != NULL; v++)
        {
          g_autofree gchar *own = df_mp_board_machine (board, board->variants[v]);
          if (g_strcmp0 (own, machine) == 0)
            g_ptr_array_add (builds, df_mp_build_new (board, board->variants[v]));
        }
    }
  return builds;
}
