/* sim-profile.c: device profiles, tests/sim/profiles/NAME.json.  The keys
 * are documented in tests/sim/profiles/README.md; unknown keys are errors
 * (a typo must not silently give a default), "comment" is allowed anywhere.
 * Numbers may be JSON numbers or strings ("0x0483"). */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "sim-flip.h"

#include "df-error.h"
#include "sim-private.h"

#ifndef SIM_PROFILE_DIR
#define SIM_PROFILE_DIR "tests/sim/profiles"
#endif

#define MAX_NESTING 4

const gchar *
sim_profile_get_dir (void)
{
  const gchar *dir = g_getenv ("DEFUSE_SIM_PROFILES");
  return dir != NULL && dir[0] != '\0' ? dir : SIM_PROFILE_DIR;
}

void
sim_usb_identity_clear (SimUsbIdentity *usb)
{
  g_clear_pointer (&usb->manufacturer, g_free);
  g_clear_pointer (&usb->product, g_free);
  g_clear_pointer (&usb->serial, g_free);
}

static void
alt_free (gpointer data)
{
  SimAltProfile *alt = data;
  g_free (alt->name);
  g_clear_pointer (&alt->reported, df_layout_free);
  g_clear_pointer (&alt->geometry, df_layout_free);
  g_clear_pointer (&alt->fill, g_bytes_unref);
  g_free (alt);
}

SimProfile *
sim_profile_ref (SimProfile *profile)
{
  g_atomic_int_inc (&profile->ref_count);
  return profile;
}

void
sim_profile_free (SimProfile *profile)
{
  if (profile == NULL || !g_atomic_int_dec_and_test (&profile->ref_count))
    return;
  g_free (profile->name);
  g_free (profile->path);
  g_free (profile->description);
  g_free (profile->runtime_name);
  sim_usb_identity_clear (&profile->usb);
  sim_usb_identity_clear (&profile->app);
  g_clear_pointer (&profile->alts, g_ptr_array_unref);
  if (profile->timing.erase_us != NULL)
    g_array_unref (profile->timing.erase_us);
  g_clear_pointer (&profile->bootloader, sim_profile_free);
  g_free (profile->micropython.version);
  g_free (profile->micropython.build_date);
  g_free (profile->micropython.machine);
  g_free (profile->micropython.sysname);
  g_free (profile->micropython.build);
  g_free (profile->version_in_flash);
  g_free (profile->flip);
  g_free (profile);
}

const gchar *
sim_profile_get_name (const SimProfile *profile)
{
  return profile->name;
}

const gchar *
sim_profile_get_description (const SimProfile *profile)
{
  return profile->description;
}

gboolean
sim_profile_serial_is_shared (const SimProfile *profile)
{
  return profile->serial_shared;
}

guint64
sim_profile_wire_us (const SimProfile *profile, gsize data_bytes)
{
  /* the 8-byte setup packet plus the data stage */
  guint64 bytes = 8 + data_bytes;
  return profile->wire_latency_us + (bytes * 1000000 + profile->wire_bytes_per_s - 1) / profile->wire_bytes_per_s;
}

guint64
sim_profile_erase_us (const SimProfile *profile, guint32 size)
{
  GArray *times = profile->timing.erase_us;
  for (guint i = 0; times != NULL && i < times->len; i++)
    if (g_array_index (times, SimEraseTime, i).size == size)
      return g_array_index (times, SimEraseTime, i).us;
  return (guint64) llround (profile->timing.erase_us_per_kib * size / 1024.0);
}

/* --- reading JSON --- */

typedef struct {
  const gchar *name;
  GError     **error;
} Ctx;

static gboolean G_GNUC_PRINTF (3, 4)
fail (Ctx *ctx, const gchar *where, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (ctx->error, DF_ERROR, DF_ERROR_INVALID_FILE, "profile %s: %s: %s", ctx->name, where, what);
  return FALSE;
}

static gboolean
check_keys (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *const *allowed)
{
  g_autoptr(GList) members = json_object_get_members (obj);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const gchar *key = l->data;
      if (g_str_equal (key, "comment") || g_strv_contains (allowed, key))
        continue;
      return fail (ctx, where, "unknown key \"%s\"", key);
    }
  return TRUE;
}

static JsonObject *
get_object (Ctx *ctx, JsonObject *obj, const gchar *member, gboolean *ok)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      *ok = fail (ctx, member, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
get_uint (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, guint64 max, guint64 *out)
{
  JsonNode *node = json_object_get_member (obj, member);
  g_autofree gchar *path = g_strdup_printf ("%s.%s", where, member);

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);
      if (v < 0 || (guint64) v > max)
        return fail (ctx, path, "%" G_GINT64_FORMAT " is out of range 0..%" G_GUINT64_FORMAT, v, max);
      *out = (guint64) v;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const gchar *s = json_node_get_string (node);
      gchar *end = NULL;
      guint64 v = g_ascii_strtoull (s, &end, 0);
      if (s[0] == '\0' || !g_ascii_isdigit (s[0]) || *end != '\0' || v > max)
        return fail (ctx, path, "\"%s\" is not a number in 0..%" G_GUINT64_FORMAT, s, max);
      *out = v;
      return TRUE;
    }
  return fail (ctx, path, "expected a number");
}

#define GET_UINT(ctx, obj, where, member, max, field)                  \
  G_STMT_START {                                                        \
    guint64 _v = (field);                                               \
    if (!get_uint (ctx, obj, where, member, max, &_v))                  \
      return FALSE;                                                     \
    (field) = _v;                                                       \
  } G_STMT_END

static gboolean
get_double (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, gdouble *out)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_INT64 && json_node_get_value_type (node) != G_TYPE_DOUBLE)
      || json_node_get_double (node) < 0)
    return fail (ctx, where, "%s: expected a number >= 0", member);
  *out = json_node_get_double (node);
  return TRUE;
}

/* milliseconds in the file, microseconds in the profile */
static gboolean
get_ms (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, guint64 *us)
{
  gdouble ms = (gdouble) *us / 1000.0;
  if (!get_double (ctx, obj, where, member, &ms))
    return FALSE;
  *us = (guint64) llround (ms * 1000.0);
  return TRUE;
}

static gboolean
get_string (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, gchar **out)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (ctx, where, "%s: expected a string", member);
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
get_bool (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, gboolean *out)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (ctx, where, "%s: expected true or false", member);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_choice (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member,
            const gchar *const *choices, guint *out)
{
  g_autofree gchar *value = NULL;
  g_autofree gchar *list = NULL;

  if (!get_string (ctx, obj, where, member, &value))
    return FALSE;
  if (value == NULL)
    return TRUE;
  for (guint i = 0; choices[i] != NULL; i++)
    if (g_str_equal (value, choices[i]))
      {
        *out = i;
        return TRUE;
      }
  list = g_strjoinv (", ", (gchar **) choices);
  return fail (ctx, where, "%s: \"%s\" is not one of %s", member, value, list);
}

/* a bStatus name ("errVERIFY"), "OK" or a number */
static gboolean
get_status (Ctx *ctx, JsonObject *obj, const gchar *where, const gchar *member, guint8 *out)
{
  g_autofree gchar *value = NULL;
  guint status;

  if (!get_string (ctx, obj, where, member, &value))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!sim_status_from_string (value, &status))
    return fail (ctx, where, "%s: \"%s\" is not a DFU status (OK, errWRITE, errVERIFY, ...)", member, value);
  *out = (guint8) status;
  return TRUE;
}

static gboolean
parse_identity (Ctx *ctx, JsonObject *obj, const gchar *where, SimUsbIdentity *usb)
{
  static const gchar *const keys[] = {
    "vid", "pid", "bcd_device", "bcd_usb", "manufacturer", "product", "serial",
    "serial_encoding", "max_packet_size0", "speed_mbps", "max_power_ma", "self_powered", NULL
  };
  static const gchar *const encodings[] = { "utf16le", "8bit", NULL };
  guint64 power_ma = (guint64) usb->max_power * 2;
  gboolean self_powered = (usb->config_attributes & 0x40) != 0;
  guint encoding = usb->serial_8bit ? 1 : 0;

  if (!check_keys (ctx, obj, where, keys))
    return FALSE;
  GET_UINT (ctx, obj, where, "vid", 0xFFFF, usb->vid);
  GET_UINT (ctx, obj, where, "pid", 0xFFFF, usb->pid);
  GET_UINT (ctx, obj, where, "bcd_device", 0xFFFF, usb->bcd_device);
  GET_UINT (ctx, obj, where, "bcd_usb", 0xFFFF, usb->bcd_usb);
  GET_UINT (ctx, obj, where, "max_packet_size0", 64, usb->max_packet_size0);
  GET_UINT (ctx, obj, where, "speed_mbps", 10000, usb->speed_mbps);
  if (!get_uint (ctx, obj, where, "max_power_ma", 500, &power_ma)
      || !get_bool (ctx, obj, where, "self_powered", &self_powered)
      || !get_string (ctx, obj, where, "manufacturer", &usb->manufacturer)
      || !get_string (ctx, obj, where, "product", &usb->product)
      || !get_string (ctx, obj, where, "serial", &usb->serial)
      || !get_choice (ctx, obj, where, "serial_encoding", encodings, &encoding))
    return FALSE;
  if (usb->max_packet_size0 != 8 && usb->max_packet_size0 != 16 && usb->max_packet_size0 != 32
      && usb->max_packet_size0 != 64)
    return fail (ctx, where, "max_packet_size0 must be 8, 16, 32 or 64");
  usb->max_power = (guint8) (power_ma / 2);
  usb->config_attributes = 0x80 | (self_powered ? 0x40 : 0);
  usb->serial_8bit = encoding == 1;
  return TRUE;
}

static void
identity_defaults (SimUsbIdentity *usb)
{
  usb->bcd_usb = 0x0200;
  usb->max_packet_size0 = 64;
  usb->speed_mbps = 12;
  usb->max_power = 50;
  usb->config_attributes = 0xC0;
}

static void
identity_copy (SimUsbIdentity *dst, const SimUsbIdentity *src)
{
  sim_usb_identity_clear (dst);
  *dst = *src;
  dst->manufacturer = g_strdup (src->manufacturer);
  dst->product = g_strdup (src->product);
  dst->serial = g_strdup (src->serial);
}

static GBytes *
parse_hex (const gchar *hex)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  for (const gchar *p = hex; *p != '\0';)
    {
      guint8 byte;
      if (g_ascii_isspace (*p))
        {
          p++;
          continue;
        }
      if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]))
        return NULL;
      byte = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      g_byte_array_append (out, &byte, 1);
      p += 2;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
parse_alts (Ctx *ctx, SimProfile *profile, JsonArray *alts)
{
  static const gchar *const keys[] = { "name", "geometry", "memory", "fill", NULL };
  static const gchar *const kinds[] = { "flash", "ram", NULL };

  for (guint i = 0; i < json_array_get_length (alts); i++)
    {
      JsonNode *node = json_array_get_element (alts, i);
      g_autofree gchar *where = g_strdup_printf ("alts[%u]", i);
      SimAltProfile *alt = g_new0 (SimAltProfile, 1);
      g_autofree gchar *geometry = NULL;
      g_autofree gchar *fill = NULL;
      JsonObject *obj;
      guint kind = SIM_MEMORY_FLASH;
      g_autoptr(GError) local = NULL;

      g_ptr_array_add (profile->alts, alt);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail (ctx, where, "expected an object");
      obj = json_node_get_object (node);
      if (!check_keys (ctx, obj, where, keys)
          || !get_string (ctx, obj, where, "name", &alt->name)
          || !get_string (ctx, obj, where, "geometry", &geometry)
          || !get_string (ctx, obj, where, "fill", &fill)
          || !get_choice (ctx, obj, where, "memory", kinds, &kind))
        return FALSE;
      alt->memory = kind;
      if (alt->name == NULL)
        return fail (ctx, where, "an alt setting needs a name (its iInterface string)");
      /* the name is served as it is, whatever it is (real devices send
       * "0*4Kg", unfilled templates, plain names on DfuSe devices); the
       * memory behind it is the geometry, or the name when it describes some */
      if (alt->name[0] == '@')
        alt->reported = df_layout_parse (alt->name, NULL);
      if (geometry != NULL)
        {
          alt->geometry = df_layout_parse (geometry, &local);
          if (alt->geometry == NULL)
            return fail (ctx, where, "geometry: %s", local->message);
        }
      else if (alt->reported != NULL && df_layout_get_size (alt->reported) > 0)
        alt->geometry = df_layout_parse (alt->name, NULL);
      else
        return fail (ctx, where, "\"%s\" describes no memory, so the alt needs a \"geometry\" for it", alt->name);
      if (fill != NULL && (alt->fill = parse_hex (fill)) == NULL)
        return fail (ctx, where, "fill: expected hexadecimal bytes");
    }
  return TRUE;
}

static gboolean
parse_timing (Ctx *ctx, SimProfile *profile, JsonObject *obj)
{
  static const gchar *const keys[] = {
    "program_us", "write_overhead_us", "sector_erase_ms", "erase_ms_per_kib", "mass_erase_ms",
    "command_us", "read_unprotect_ms", "manifest_ms", "reconnect_ms", "detach_ms", NULL
  };
  SimTiming *t = &profile->timing;
  gdouble per_kib = t->erase_us_per_kib / 1000.0;
  gdouble program_us = (gdouble) t->program_us;
  JsonObject *erase;
  gboolean ok = TRUE;

  if (!check_keys (ctx, obj, "timing", keys)
      || !get_double (ctx, obj, "timing", "program_us", &program_us)
      || !get_double (ctx, obj, "timing", "erase_ms_per_kib", &per_kib)
      || !get_ms (ctx, obj, "timing", "mass_erase_ms", &t->mass_erase_us)
      || !get_ms (ctx, obj, "timing", "read_unprotect_ms", &t->read_unprotect_us)
      || !get_ms (ctx, obj, "timing", "manifest_ms", &t->manifest_us)
      || !get_ms (ctx, obj, "timing", "reconnect_ms", &t->reconnect_us)
      || !get_ms (ctx, obj, "timing", "detach_ms", &t->detach_us))
    return FALSE;
  GET_UINT (ctx, obj, "timing", "write_overhead_us", G_MAXUINT32, t->write_overhead_us);
  GET_UINT (ctx, obj, "timing", "command_us", G_MAXUINT32, t->command_us);
  t->program_us = (guint64) llround (program_us);
  t->erase_us_per_kib = per_kib * 1000.0;

  erase = get_object (ctx, obj, "sector_erase_ms", &ok);
  if (!ok)
    return FALSE;
  if (erase != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (erase);
      for (GList *l = members; l != NULL; l = l->next)
        {
          SimEraseTime et = { 0 };
          gchar *end = NULL;
          guint64 size = g_ascii_strtoull (l->data, &end, 10);
          if (g_str_equal (l->data, "comment"))
            continue;
          if (*end != '\0' || size == 0 || size > G_MAXUINT32)
            return fail (ctx, "timing.sector_erase_ms", "\"%s\" is not a sector size in bytes", (const gchar *) l->data);
          et.size = (guint32) size;
          if (!get_ms (ctx, erase, "timing.sector_erase_ms", l->data, &et.us))
            return FALSE;
          g_array_append_val (t->erase_us, et);
        }
    }
  return TRUE;
}

static gboolean
parse_flash (Ctx *ctx, SimProfile *profile, JsonObject *obj)
{
  static const gchar *const keys[] = {
    "program_unit", "partial_unit", "partial_status", "misaligned_status", "overwrite",
    "overwrite_status", "erased_value", NULL
  };
  static const gchar *const partial[] = { "pad", "drop", "error", NULL };
  static const gchar *const overwrite[] = { "and", "keep", NULL };
  SimFlashRules *r = &profile->rules;
  guint partial_choice = r->partial;
  guint overwrite_choice = r->overwrite;

  if (!check_keys (ctx, obj, "flash", keys)
      || !get_choice (ctx, obj, "flash", "partial_unit", partial, &partial_choice)
      || !get_choice (ctx, obj, "flash", "overwrite", overwrite, &overwrite_choice)
      || !get_status (ctx, obj, "flash", "partial_status", &r->partial_status)
      || !get_status (ctx, obj, "flash", "misaligned_status", &r->misaligned_status)
      || !get_status (ctx, obj, "flash", "overwrite_status", &r->overwrite_status))
    return FALSE;
  GET_UINT (ctx, obj, "flash", "program_unit", 64, r->program_unit);
  GET_UINT (ctx, obj, "flash", "erased_value", 0xFF, r->erased);
  if (r->program_unit == 0 || (r->program_unit & (r->program_unit - 1)) != 0)
    return fail (ctx, "flash", "program_unit must be a power of two from 1 to 64");
  r->partial = partial_choice;
  r->overwrite = overwrite_choice;
  return TRUE;
}

static gboolean
parse_polls (Ctx *ctx, SimProfile *profile, JsonObject *obj)
{
  static const gchar *const keys[] = {
    "set_address", "erase", "mass_erase", "read_unprotect", "write", "leave", NULL
  };
  if (!check_keys (ctx, obj, "poll_timeout_ms", keys))
    return FALSE;
  for (guint op = 0; op < SIM_OP_READ; op++)
    GET_UINT (ctx, obj, "poll_timeout_ms", sim_op_to_string (op), 0xFFFFFF, profile->poll_ms[op]);
  return TRUE;
}

static SimProfile *load_file (const gchar *path, const gchar *name, guint depth, GError **error);

/* the DFU-mode profile a runtime or MicroPython application switches into:
 * a path, or a name next to this profile or in the profile directory */
static gboolean
load_bootloader (Ctx *ctx, SimProfile *profile, const gchar *where, const gchar *boot, guint depth)
{
  g_autofree gchar *file = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *path = NULL;

  if (boot == NULL)
    return fail (ctx, where, "needs \"bootloader\": the profile it switches into");
  if (depth >= MAX_NESTING)
    return fail (ctx, where, "bootloader profiles nest too deep");
  file = g_str_has_suffix (boot, ".json") ? g_strdup (boot) : g_strconcat (boot, ".json", NULL);
  dir = g_path_get_dirname (profile->path);
  path = g_path_is_absolute (file) ? g_strdup (file) : g_build_filename (dir, file, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && strchr (file, '/') == NULL)
    {
      g_free (path);
      path = g_build_filename (sim_profile_get_dir (), file, NULL);
    }
  profile->bootloader = load_file (path, boot, depth + 1, ctx->error);
  if (profile->bootloader == NULL)
    {
      g_prefix_error (ctx->error, "profile %s: %s.bootloader: ", ctx->name, where);
      return FALSE;
    }
  if (profile->bootloader->mode == SIM_MODE_RUNTIME || profile->bootloader->mode == SIM_MODE_MICROPYTHON)
    return fail (ctx, where, "the bootloader %s is itself an application profile", boot);
  return TRUE;
}

static gboolean
parse_micropython (Ctx *ctx, SimProfile *profile, JsonObject *root, guint depth)
{
  static const gchar *const keys[] = {
    "version", "build_date", "machine", "sysname", "build", "bootloader", "version_in_flash", NULL
  };
  SimMicroPython *mp = &profile->micropython;
  g_autofree gchar *boot = NULL;
  gboolean ok = TRUE;
  JsonObject *obj = get_object (ctx, root, "micropython", &ok);

  if (obj == NULL)
    return ok ? fail (ctx, "micropython", "a micropython profile says what the board runs") : FALSE;
  if (!check_keys (ctx, obj, "micropython", keys)
      || !get_string (ctx, obj, "micropython", "version", &mp->version)
      || !get_string (ctx, obj, "micropython", "build_date", &mp->build_date)
      || !get_string (ctx, obj, "micropython", "machine", &mp->machine)
      || !get_string (ctx, obj, "micropython", "sysname", &mp->sysname)
      || !get_string (ctx, obj, "micropython", "build", &mp->build)
      || !get_string (ctx, obj, "micropython", "version_in_flash", &profile->version_in_flash)
      || !get_string (ctx, obj, "micropython", "bootloader", &boot))
    return FALSE;
  if (mp->version == NULL || mp->machine == NULL)
    return fail (ctx, "micropython", "needs \"version\" and \"machine\"");
  if (mp->build_date == NULL)
    mp->build_date = g_strdup ("2024-01-01");
  if (mp->sysname == NULL)
    mp->sysname = g_strdup ("pyboard");
  return load_bootloader (ctx, profile, "micropython", boot, depth);
}

/* "flip": {"implementation": "atmel"|"lufa", "secure", "signature": "1e9587",
 * "bootloader": "000000", "bootloader_size", "page_size", "page_erase_us",
 * "page_write_us", "eeprom_byte_us", "signature_ff_after_erase"} */
static gboolean
parse_hex_bytes (Ctx *ctx, const gchar *what, const gchar *text, guint8 *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      gint hi = text != NULL && strlen (text) == 2 * n ? g_ascii_xdigit_value (text[2 * i]) : -1;
      gint lo = hi >= 0 ? g_ascii_xdigit_value (text[2 * i + 1]) : -1;
      if (hi < 0 || lo < 0)
        return fail (ctx, "flip", "%s: expected %zu hex bytes", what, n);
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

static gboolean
parse_flip (Ctx *ctx, SimProfile *profile, JsonObject *root)
{
  static const gchar *const keys[] = {
    "implementation", "secure", "signature", "bootloader", "bootloader_size", "page_size", "page_erase_us",
    "page_write_us", "eeprom_byte_us", "signature_ff_after_erase", NULL
  };
  static const gchar *const implementations[] = { "atmel", "lufa", NULL };
  g_autofree gchar *signature = NULL;
  g_autofree gchar *bootloader = NULL;
  guint implementation = 0;
  gboolean ok = TRUE;
  SimFlipProfile *f;
  JsonObject *obj = get_object (ctx, root, "flip", &ok);

  if (obj == NULL)
    return ok ? fail (ctx, "flip", "a flip profile describes its bootloader in \"flip\"") : FALSE;
  f = profile->flip = g_new0 (SimFlipProfile, 1);
  f->page_size = 128;
  f->bootloader_size = 4096;
  if (!check_keys (ctx, obj, "flip", keys)
      || !get_choice (ctx, obj, "flip", "implementation", implementations, &implementation)
      || !get_bool (ctx, obj, "flip", "secure", &f->secure)
      || !get_bool (ctx, obj, "flip", "signature_ff_after_erase", &f->signature_ff_after_erase)
      || !get_string (ctx, obj, "flip", "signature", &signature)
      || !get_string (ctx, obj, "flip", "bootloader", &bootloader)
      || !parse_hex_bytes (ctx, "signature", signature, f->signature, 3)
      || !parse_hex_bytes (ctx, "bootloader", bootloader, f->bootloader, 3))
    return FALSE;
  f->lufa = implementation == 1;
  GET_UINT (ctx, obj, "flip", "bootloader_size", 0x100000, f->bootloader_size);
  GET_UINT (ctx, obj, "flip", "page_size", 1024, f->page_size);
  GET_UINT (ctx, obj, "flip", "page_erase_us", 1000000, f->page_erase_us);
  GET_UINT (ctx, obj, "flip", "page_write_us", 1000000, f->page_write_us);
  GET_UINT (ctx, obj, "flip", "eeprom_byte_us", 1000000, f->eeprom_byte_us);
  if (f->page_size == 0 || f->bootloader_size % f->page_size != 0)
    return fail (ctx, "flip", "page_size must divide bootloader_size");
  return TRUE;
}

static gboolean
parse_profile (Ctx *ctx, SimProfile *profile, JsonObject *root, guint depth)
{
  static const gchar *const keys[] = {
    "description", "mode", "usb", "dfu", "alts", "flash", "timing", "poll_timeout_ms", "wire",
    "quirks", "read_protected", "after_leave", "app", "runtime", "micropython", "flip", NULL
  };
  static const gchar *const modes[] = { "dfuse", "dfu", "runtime", "micropython", "flip", NULL };
  static const gchar *const leaves[] = { "app", "bootloader", "gone", NULL };
  static const gchar *const dfu_keys[] = {
    "attributes", "detach_timeout_ms", "transfer_size", "bcd_dfu", "interface", "runtime_name", NULL
  };
  static const gchar *const wire_keys[] = { "latency_us", "bytes_per_s", NULL };
  static const gchar *const quirk_keys[] = {
    "getstatus_while_busy", "getstatus_while_writing", "leave_on_dnload", "power_on_state",
    "power_on_status", "wedge_after_erase_from", "clrstatus_outside_error", "max_dnload_size",
    "serial_shared", NULL
  };
  static const gchar *const clrstatus_choices[] = { "error", "stall", NULL };
  static const gchar *const runtime_keys[] = { "bootloader", NULL };
  static const gchar *const busy_choices[] = { "nak", "stall", "answer", "error", NULL };
  JsonObject *obj;
  JsonNode *node;
  gboolean ok = TRUE;
  guint mode = SIM_MODE_DFUSE, after = SIM_AFTER_LEAVE_APP;

  if (!check_keys (ctx, root, "top level", keys)
      || !get_string (ctx, root, "top level", "description", &profile->description)
      || !get_choice (ctx, root, "top level", "mode", modes, &mode)
      || !get_choice (ctx, root, "top level", "after_leave", leaves, &after)
      || !get_bool (ctx, root, "top level", "read_protected", &profile->read_protected))
    return FALSE;
  profile->mode = mode;
  profile->after_leave = after;

  if ((obj = get_object (ctx, root, "usb", &ok)) != NULL && !parse_identity (ctx, obj, "usb", &profile->usb))
    return FALSE;
  if (!ok)
    return FALSE;
  if (profile->usb.vid == 0 && profile->usb.pid == 0)
    return fail (ctx, "usb", "needs a vid and pid");

  /* the application after leave: the same vendor unless said otherwise */
  identity_copy (&profile->app, &profile->usb);
  g_clear_pointer (&profile->app.product, g_free);
  profile->app.product = g_strdup ("Application");
  profile->app.bcd_device = 0x0100;
  profile->app.pid = (guint16) (profile->usb.pid + 1);
  if ((obj = get_object (ctx, root, "app", &ok)) != NULL && !parse_identity (ctx, obj, "app", &profile->app))
    return FALSE;
  if (!ok)
    return FALSE;

  if ((obj = get_object (ctx, root, "dfu", &ok)) != NULL)
    {
      if (!check_keys (ctx, obj, "dfu", dfu_keys)
          || !get_string (ctx, obj, "dfu", "runtime_name", &profile->runtime_name))
        return FALSE;
      GET_UINT (ctx, obj, "dfu", "attributes", 0xFF, profile->dfu_attributes);
      GET_UINT (ctx, obj, "dfu", "detach_timeout_ms", 0xFFFF, profile->detach_timeout_ms);
      GET_UINT (ctx, obj, "dfu", "transfer_size", 0xFFFF, profile->transfer_size);
      GET_UINT (ctx, obj, "dfu", "bcd_dfu", 0xFFFF, profile->bcd_dfu);
      GET_UINT (ctx, obj, "dfu", "interface", 7, profile->dfu_interface);
    }
  if (!ok)
    return FALSE;
  if (profile->transfer_size == 0)
    return fail (ctx, "dfu", "transfer_size must be at least 1");

  if ((obj = get_object (ctx, root, "flash", &ok)) != NULL && !parse_flash (ctx, profile, obj))
    return FALSE;
  if ((obj = get_object (ctx, root, "timing", &ok)) != NULL && !parse_timing (ctx, profile, obj))
    return FALSE;
  if ((obj = get_object (ctx, root, "poll_timeout_ms", &ok)) != NULL && !parse_polls (ctx, profile, obj))
    return FALSE;
  if ((obj = get_object (ctx, root, "wire", &ok)) != NULL)
    {
      if (!check_keys (ctx, obj, "wire", wire_keys))
        return FALSE;
      GET_UINT (ctx, obj, "wire", "latency_us", G_MAXUINT32, profile->wire_latency_us);
      GET_UINT (ctx, obj, "wire", "bytes_per_s", G_MAXUINT32, profile->wire_bytes_per_s);
      if (profile->wire_bytes_per_s == 0)
        return fail (ctx, "wire", "bytes_per_s must be at least 1");
    }
  if ((obj = get_object (ctx, root, "quirks", &ok)) != NULL)
    {
      g_autofree gchar *state = NULL;
      guint8 status = (guint8) profile->power_on_status;
      guint busy = profile->getstatus_while_busy;
      guint writing = profile->getstatus_while_writing;
      guint clrstatus = profile->clrstatus_stalls ? 1 : 0;
      if (!check_keys (ctx, obj, "quirks", quirk_keys)
          || !get_choice (ctx, obj, "quirks", "getstatus_while_busy", busy_choices, &busy)
          || !get_choice (ctx, obj, "quirks", "getstatus_while_writing", busy_choices, &writing)
          || !get_choice (ctx, obj, "quirks", "clrstatus_outside_error", clrstatus_choices, &clrstatus)
          || !get_bool (ctx, obj, "quirks", "serial_shared", &profile->serial_shared)
          || !get_bool (ctx, obj, "quirks", "leave_on_dnload", &profile->leave_on_dnload)
          || !get_string (ctx, obj, "quirks", "power_on_state", &state)
          || !get_status (ctx, obj, "quirks", "power_on_status", &status))
        return FALSE;
      if (state != NULL && !sim_state_from_string (state, &profile->power_on_state))
        return fail (ctx, "quirks", "power_on_state: \"%s\" is not a DFU state", state);
      GET_UINT (ctx, obj, "quirks", "wedge_after_erase_from", G_MAXUINT32, profile->wedge_after_erase_from);
      GET_UINT (ctx, obj, "quirks", "max_dnload_size", 0xFFFF, profile->max_dnload);
      profile->power_on_status = status;
      profile->getstatus_while_busy = busy;
      profile->getstatus_while_writing = writing;
      profile->clrstatus_stalls = clrstatus == 1;
    }
  if (!ok)
    return FALSE;

  node = json_object_get_member (root, "alts");
  if (node != NULL && !JSON_NODE_HOLDS_ARRAY (node))
    return fail (ctx, "alts", "expected an array");
  if (node != NULL && !parse_alts (ctx, profile, json_node_get_array (node)))
    return FALSE;

  if (profile->mode == SIM_MODE_RUNTIME)
    {
      g_autofree gchar *boot = NULL;
      obj = get_object (ctx, root, "runtime", &ok);
      if (obj == NULL)
        return ok ? fail (ctx, "runtime", "a runtime profile names its bootloader profile") : FALSE;
      if (!check_keys (ctx, obj, "runtime", runtime_keys)
          || !get_string (ctx, obj, "runtime", "bootloader", &boot)
          || !load_bootloader (ctx, profile, "runtime", boot, depth))
        return FALSE;
      if (profile->runtime_name == NULL)
        profile->runtime_name = g_strdup ("DFU Runtime");
    }
  else if (profile->mode == SIM_MODE_MICROPYTHON)
    {
      if (json_object_has_member (root, "runtime"))
        return fail (ctx, "runtime", "a micropython profile names its bootloader in \"micropython\"");
      if (!parse_micropython (ctx, profile, root, depth))
        return FALSE;
    }
  else
    {
      if (profile->mode == SIM_MODE_FLIP && !parse_flip (ctx, profile, root))
        return FALSE;
      if (json_object_has_member (root, "runtime") || json_object_has_member (root, "micropython"))
        return fail (ctx, "runtime", "only runtime and micropython profiles name a bootloader");
      if (profile->alts->len == 0)
        return fail (ctx, "alts", "a bootloader needs at least one alt setting");
      if (profile->alts->len > 255)
        return fail (ctx, "alts", "at most 255 alt settings");
    }
  return TRUE;
}

static SimProfile *
profile_new (void)
{
  SimProfile *profile = g_new0 (SimProfile, 1);

  profile->ref_count = 1;
  identity_defaults (&profile->usb);
  identity_defaults (&profile->app);
  profile->dfu_attributes = 0x0B;
  profile->detach_timeout_ms = 255;
  profile->transfer_size = 2048;
  profile->bcd_dfu = 0x011A;
  profile->alts = g_ptr_array_new_with_free_func (alt_free);
  sim_flash_rules_init (&profile->rules);
  profile->timing.erase_us = g_array_new (FALSE, FALSE, sizeof (SimEraseTime));
  profile->timing.reconnect_us = 300000;
  profile->timing.detach_us = 10000;
  /* full speed: a control transfer costs about a frame's scheduling and
   * the bytes at roughly 1 MB/s, what a 12 Mbit/s bus gives after protocol
   * overhead */
  profile->wire_latency_us = 125;
  profile->wire_bytes_per_s = 1000000;
  profile->power_on_state = SIM_STATE_DFU_IDLE;
  profile->power_on_status = SIM_OK;
  profile->after_leave = SIM_AFTER_LEAVE_APP;
  return profile;
}

static SimProfile *
load_file (const gchar *path, const gchar *name, guint depth, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SimProfile) profile = profile_new ();
  g_autoptr(GError) local = NULL;
  g_autofree gchar *base = g_path_get_basename (path);
  JsonNode *root;
  Ctx ctx = { NULL, error };

  if (g_str_has_suffix (base, ".json"))
    base[strlen (base) - 5] = '\0';
  profile->name = g_strdup (name != NULL && strchr (name, '/') == NULL && !g_str_has_suffix (name, ".json") ? name : base);
  profile->path = g_strdup (path);
  ctx.name = profile->name;

  if (!json_parser_load_from_file (parser, path, &local))
    {
      g_set_error (error, DF_ERROR, g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? DF_ERROR_NOT_FOUND
                                                                                             : DF_ERROR_INVALID_FILE,
                   "profile %s: %s", profile->name, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (&ctx, "top level", "expected a JSON object");
      return NULL;
    }
  if (!parse_profile (&ctx, profile, json_node_get_object (root), depth))
    return NULL;
  return g_steal_pointer (&profile);
}

SimProfile *
sim_profile_load (const gchar *name_or_path, GError **error)
{
  g_autofree gchar *path = NULL;

  g_return_val_if_fail (name_or_path != NULL, NULL);
  if (strchr (name_or_path, '/') != NULL || g_str_has_suffix (name_or_path, ".json"))
    path = g_strdup (name_or_path);
  else
    {
      g_autofree gchar *file = g_strconcat (name_or_path, ".json", NULL);
      path = g_build_filename (sim_profile_get_dir (), file, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_auto(GStrv) names = sim_profile_list_names ();
          g_autofree gchar *list = g_strjoinv (", ", names);
          g_set_error (error, DF_ERROR, DF_ERROR_NOT_FOUND, "no device profile \"%s\" in %s; there are: %s",
                       name_or_path, sim_profile_get_dir (), list);
          return NULL;
        }
    }
  return load_file (path, name_or_path, 0, error);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

gchar **
sim_profile_list_names (void)
{
  g_autoptr(GDir) dir = g_dir_open (sim_profile_get_dir (), 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const gchar *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".json"))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - 5));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}
