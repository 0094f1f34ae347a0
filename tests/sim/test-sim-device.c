/* test-sim-device: the virtual DFU device model, in process, with a fake
 * clock: every request is stamped with a chosen host time and the test
 * checks when the device answers. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "df-error.h"
#include "df-layout.h"
#include "df-le.h"
#include "sim-fault.h"
#include "sim-private.h"
#include "sim-flip.h"
#include "sim-stats.h"

#define REQ_OUT_STD   0x00
#define REQ_IN_STD    0x80
#define REQ_OUT_IFACE 0x01
#define REQ_IN_IFACE  0x81
#define REQ_OUT_DFU   0x21
#define REQ_IN_DFU    0xA1

#define FLASH 0x08000000u

/* a host with a fake clock */
typedef struct {
  SimProfile *profile;
  SimDevice  *dev;
  guint64     now;      /* host time; moves to each answer */
  guint64     done;     /* answer time of the last request */
  gsize       actual;
  guint8      status[6];
} Host;

static void
host_init (Host *h, const gchar *profile, gdouble scale)
{
  g_autoptr(GError) error = NULL;
  memset (h, 0, sizeof *h);
  h->profile = sim_profile_load (profile, &error);
  g_assert_no_error (error);
  h->dev = sim_device_new (h->profile, NULL, scale);
  h->now = 1000000;
}

static void
host_clear (Host *h)
{
  g_clear_pointer (&h->dev, sim_device_free);
  g_clear_pointer (&h->profile, sim_profile_free);
}

static SimResult
ctrl (Host *h, guint8 type, guint8 request, guint16 value, guint16 index, guint8 *data, guint16 length)
{
  SimSetup setup = { type, request, value, index, length };
  SimResult result = sim_device_control (h->dev, h->now, &setup, data, &h->actual, &h->done);
  g_assert_cmpuint (h->done, >=, h->now);
  h->now = h->done;
  return result;
}

static void
wait_ms (Host *h, guint ms)
{
  h->now += (guint64) ms * 1000;
}

static SimResult
dnload (Host *h, guint16 block, const guint8 *data, guint16 length)
{
  return ctrl (h, REQ_OUT_DFU, SIM_DFU_DNLOAD, block, 0, (guint8 *) data, length);
}

/* GETSTATUS; returns the state, h->status holds the answer */
static guint
getstatus (Host *h)
{
  memset (h->status, 0xEE, sizeof h->status);
  g_assert_cmpint (ctrl (h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, h->status, 6), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h->actual, ==, 6);
  return h->status[4];
}

static guint
poll_ms (Host *h)
{
  return h->status[1] | h->status[2] << 8 | h->status[3] << 16;
}

static guint
getstate (Host *h)
{
  guint8 state = 0xEE;
  g_assert_cmpint (ctrl (h, REQ_IN_DFU, SIM_DFU_GETSTATE, 0, 0, &state, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h->actual, ==, 1);
  return state;
}

static SimResult
simple (Host *h, guint8 request)
{
  return ctrl (h, REQ_OUT_DFU, request, 0, 0, NULL, 0);
}

/* a DfuSe operation as dfu-util does it: DNLOAD, GETSTATUS (dfuDNBUSY),
 * sleep bwPollTimeout, GETSTATUS until not busy; returns the final state */
static guint
dfuse_op (Host *h, guint16 block, const guint8 *data, guint16 length)
{
  guint state;
  g_assert_cmpint (dnload (h, block, data, length), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (h), ==, SIM_STATE_DNBUSY);
  do
    {
      guint poll = poll_ms (h);
      wait_ms (h, poll);
      /* STM32F0/L4 stall a status request while busy: ask again, as dfu-util does */
      if (ctrl (h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, h->status, 6) == SIM_RESULT_STALL)
        {
          h->status[1] = poll & 0xFF;
          h->status[2] = (poll >> 8) & 0xFF;
          h->status[3] = 0;
          state = SIM_STATE_DNBUSY;
          continue;
        }
      g_assert_cmpuint (h->actual, ==, 6);
      state = h->status[4];
    }
  while (state == SIM_STATE_DNBUSY);
  return state;
}

static guint
dfuse_cmd (Host *h, guint8 command, guint32 address)
{
  guint8 buf[5] = { command };
  df_put_le32 (buf + 1, address);
  return dfuse_op (h, 0, buf, command == 0x41 && address == 0xFFFFFFFF ? 1 : 5);
}

static guint
set_address (Host *h, guint32 address)
{
  return dfuse_cmd (h, 0x21, address);
}

static guint
erase_page (Host *h, guint32 address)
{
  return dfuse_cmd (h, 0x41, address);
}

static guint
mass_erase (Host *h)
{
  guint8 cmd = 0x41;
  return dfuse_op (h, 0, &cmd, 1);
}

static GBytes *
pattern (gsize size, guint seed)
{
  guint8 *data = g_malloc (size);
  guint32 x = seed * 2654435761u + 7;
  for (gsize i = 0; i < size; i++)
    {
      x = x * 1103515245u + 12345u;
      data[i] = (guint8) (x >> 16);
    }
  return g_bytes_new_take (data, size);
}

static void
clear_error (Host *h)
{
  g_assert_cmpint (simple (h, SIM_DFU_CLRSTATUS), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (h), ==, SIM_STATE_DFU_IDLE);
}

/* writes data at address in 2048-byte blocks after one set address, as
 * fwupd does (wBlockNum advancing from 2) */
static void
write_blocks (Host *h, guint32 address, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint16 xfer = h->profile->mode == SIM_MODE_RUNTIME ? 2048 : h->profile->transfer_size;

  g_assert_cmpuint (set_address (h, address), ==, SIM_STATE_DNLOAD_IDLE);
  for (gsize pos = 0, block = 2; pos < size; pos += xfer, block++)
    g_assert_cmpuint (dfuse_op (h, (guint16) block, data + pos, (guint16) MIN (xfer, size - pos)), ==,
                      SIM_STATE_DNLOAD_IDLE);
}

static void
write_mem (Host *h, guint32 address, const guint8 *data, gsize len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  write_blocks (h, address, bytes);
}

static SimEvent *
pop_events (Host *h, guint *n)
{
  SimEvent *events = g_new0 (SimEvent, 8);
  *n = 0;
  while (*n < 8 && sim_device_pop_event (h->dev, &events[*n]))
    (*n)++;
  return events;
}

/* --- profiles and descriptors --- */

static gchar *
utf16_string (GBytes *desc)
{
  gsize size;
  const guint8 *d = g_bytes_get_data (desc, &size);
  g_autofree gunichar2 *units = g_new0 (gunichar2, size / 2 + 1);

  g_assert_cmpuint (size, >=, 2);
  g_assert_cmpuint (d[0], ==, size);
  g_assert_cmpuint (d[1], ==, 3);
  for (gsize i = 2; i + 1 < size; i += 2)
    units[(i - 2) / 2] = (gunichar2) df_le16 (d + i);
  return g_utf16_to_utf8 (units, (glong) (size - 2) / 2, NULL, NULL, NULL);
}

static GBytes *
get_string (Host *h, guint8 index)
{
  guint8 buf[255];
  g_assert_cmpint (ctrl (h, REQ_IN_STD, 6, 0x0300 | index, 0x0409, buf, sizeof buf), ==, SIM_RESULT_OK);
  return g_bytes_new (buf, h->actual);
}

/* An AVR's FLIP bootloader: Atmel's factory one puts class FE/01 at device
 * level, zeros in its interface and no functional descriptor (doc7618);
 * LUFA's and QMK's have an interface FE/01/02 with one, wTransferSize
 * 0x0C00 (LUFA Bootloaders/DFU/Descriptors.c) */
static void
check_flip_descriptors (const SimProfile *p, const guint8 *d, const guint8 *cfg, guint total)
{
  gboolean functional = FALSE, dfu_interface = FALSE;

  for (guint pos = 9; pos < total; pos += cfg[pos])
    {
      g_assert_cmpuint (cfg[pos], >=, 2);
      if (cfg[pos + 1] == 4)
        dfu_interface |= cfg[pos + 5] == 0xFE && cfg[pos + 6] == 0x01 && cfg[pos + 7] == 0x02;
      if (cfg[pos + 1] == 0x21)
        {
          g_assert_cmpuint (df_le16 (cfg + pos + 5), ==, p->transfer_size);
          functional = TRUE;
        }
    }
  g_assert_cmpint (functional, ==, p->flip->lufa);
  g_assert_cmpint (dfu_interface, ==, p->flip->lufa);
  if (!p->flip->lufa)
    {
      g_assert_cmphex (d[4], ==, 0xFE);
      g_assert_cmphex (d[5], ==, 0x01);
    }
}

/* parses the device and configuration descriptors back and checks them
 * against the profile */
static void
check_descriptors (Host *h)
{
  const SimUsbInfo *info = sim_device_get_info (h->dev);
  gsize size;
  const guint8 *d = g_bytes_get_data (info->descriptors, &size);
  const guint8 *cfg;
  guint total, pos, alts = 0, interfaces = 0;
  gboolean functional = FALSE;
  const SimProfile *p = h->profile;
  gboolean runtime = p->mode == SIM_MODE_RUNTIME;
  guint8 buf[512];

  g_assert_cmpuint (size, >=, 18 + 9);
  g_assert_cmpuint (d[0], ==, 18);
  g_assert_cmpuint (d[1], ==, 1);
  g_assert_cmphex (df_le16 (d + 2), ==, p->usb.bcd_usb);
  g_assert_cmpuint (d[7], ==, p->usb.max_packet_size0);
  g_assert_cmphex (df_le16 (d + 8), ==, info->vid);
  g_assert_cmphex (df_le16 (d + 10), ==, info->pid);
  g_assert_cmphex (df_le16 (d + 12), ==, info->bcd_device);
  g_assert_cmphex (info->vid, ==, p->usb.vid);
  g_assert_cmphex (info->pid, ==, p->usb.pid);
  g_assert_cmpuint (d[14], ==, 1);
  g_assert_cmpuint (d[15], ==, 2);
  g_assert_cmpuint (d[16], ==, 3);
  g_assert_cmpuint (d[17], ==, 1);
  g_assert_cmpuint (info->speed_mbps, ==, 12);
  g_assert_cmpuint (info->configuration, ==, 1);

  cfg = d + 18;
  g_assert_cmpuint (cfg[0], ==, 9);
  g_assert_cmpuint (cfg[1], ==, 2);
  total = df_le16 (cfg + 2);
  g_assert_cmpuint (total, ==, size - 18);
  g_assert_cmpuint (cfg[5], ==, 1);
  if (p->mode == SIM_MODE_FLIP)
    {
      check_flip_descriptors (p, d, cfg, total);
      return;
    }
  for (pos = 9; pos < total; pos += cfg[pos])
    {
      g_assert_cmpuint (cfg[pos], >=, 2);
      g_assert_cmpuint (pos + cfg[pos], <=, total);
      if (cfg[pos + 1] == 4)
        {
          if (cfg[pos + 5] == 0xFE)
            {
              g_assert_cmpuint (cfg[pos + 6], ==, 0x01);
              g_assert_cmpuint (cfg[pos + 7], ==, runtime ? 1 : 2);
              g_assert_cmpuint (cfg[pos + 2], ==, runtime ? p->dfu_interface : 0);
              g_assert_cmpuint (cfg[pos + 3], ==, alts);
              g_assert_cmpuint (cfg[pos + 4], ==, 0);
              if (!runtime)
                {
                  SimAltProfile *alt = g_ptr_array_index (p->alts, alts);
                  g_autoptr(GBytes) s = get_string (h, cfg[pos + 8]);
                  g_autofree gchar *name = utf16_string (s);
                  g_assert_cmpstr (name, ==, alt->name);
                  if (alt->reported != NULL)
                    {
                      g_autoptr(DfLayout) layout = df_layout_parse (name, NULL);
                      g_assert_nonnull (layout);
                    }
                }
              alts++;
            }
          if (cfg[pos + 3] == 0)
            interfaces++;
          g_assert_false (functional);  /* ST puts it after every alt */
        }
      else if (cfg[pos + 1] == 0x21)
        {
          g_assert_cmpuint (cfg[pos], ==, 9);
          g_assert_cmphex (cfg[pos + 2], ==, p->dfu_attributes);
          g_assert_cmpuint (df_le16 (cfg + pos + 3), ==, p->detach_timeout_ms);
          g_assert_cmpuint (df_le16 (cfg + pos + 5), ==, p->transfer_size);
          g_assert_cmphex (df_le16 (cfg + pos + 7), ==, p->bcd_dfu);
          functional = TRUE;
        }
    }
  g_assert_cmpuint (pos, ==, total);
  g_assert_true (functional);
  g_assert_cmpuint (cfg[4], ==, interfaces);
  g_assert_cmpuint (alts, ==, runtime ? 1 : p->alts->len);

  /* the same bytes over the wire, and the strings */
  g_assert_cmpint (ctrl (h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_OK);
  g_assert_cmpmem (buf, 18, d, 18);
  g_assert_cmpint (ctrl (h, REQ_IN_STD, 6, 0x0200, 0, buf, 9), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h->actual, ==, 9);
  g_assert_cmpint (ctrl (h, REQ_IN_STD, 6, 0x0200, 0, buf, sizeof buf), ==, SIM_RESULT_OK);
  g_assert_cmpmem (buf, h->actual, cfg, total);
  g_assert_cmpint (ctrl (h, REQ_IN_STD, 6, 0x0300, 0, buf, 255), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h->actual, ==, 4);
  g_assert_cmphex (df_le16 (buf + 2), ==, 0x0409);
  {
    g_autoptr(GBytes) m = get_string (h, 1);
    g_autoptr(GBytes) pr = get_string (h, 2);
    g_autofree gchar *manufacturer = utf16_string (m);
    g_autofree gchar *product = utf16_string (pr);
    g_assert_cmpstr (manufacturer, ==, info->manufacturer);
    g_assert_cmpstr (product, ==, info->product);
    if (!p->usb.serial_8bit)
      {
        g_autoptr(GBytes) s = get_string (h, 3);
        g_autofree gchar *serial = utf16_string (s);
        g_assert_cmpstr (serial, ==, info->serial);
      }
  }
}

static void
test_profiles_all (void)
{
  g_auto(GStrv) names = sim_profile_list_names ();
  static const gchar *const expected[] = {
    "dfu11", "gd32vf103", "runtime", "stm32f072", "stm32f405", "stm32f411", "stm32h743", "stm32l476",
    "stm32g0b1", "stm32h743-rev-v", "stm32l476-empty", "stm32c5", "stm32g431", "mboot-f769",
    "at32f415", "gd32vf103-rom-0100", "u-boot-stm32mp1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_true (g_strv_contains ((const gchar *const *) names, expected[i]));
  for (guint i = 0; names[i] != NULL; i++)
    {
      Host h;
      g_test_message ("profile %s", names[i]);
      host_init (&h, names[i], 1.0);
      g_assert_cmpstr (sim_profile_get_name (h.profile), ==, names[i]);
      g_assert_nonnull (sim_profile_get_description (h.profile));
      g_assert_true (sim_device_is_connected (h.dev));
      /* a MicroPython board has no DFU interface (test-sim-repl checks it) */
      if (h.profile->mode != SIM_MODE_MICROPYTHON)
        check_descriptors (&h);
      host_clear (&h);
    }
}

static gchar *write_temp_profile (const gchar *json);
static void remove_temp_profile (const gchar *path);

/* Every alt name in the corpus (../shared/corpus/dfu-alt-names.tsv), byte
 * for byte as real devices send it, is served as it is by a DfuSe profile;
 * a geometry gives the memory when the name describes none. */
static void
test_profiles_serve_corpus_names (void)
{
  g_autofree gchar *path = g_build_filename (g_getenv ("DEFUSE_CORPUS") != NULL ? g_getenv ("DEFUSE_CORPUS") : "",
                                             "dfu-alt-names.tsv", NULL);
  g_autofree gchar *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint served = 0;

  if (g_getenv ("DEFUSE_CORPUS") == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    {
      g_test_skip ("no corpus next to the checkout (../shared/corpus)");
      return;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree gchar *json = NULL;
      g_autofree gchar *file = NULL;
      Host h;

      if (g_strv_length (fields) < 7)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "usb");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "vid");
      json_builder_add_int_value (b, 0x0483);
      json_builder_set_member_name (b, "pid");
      json_builder_add_int_value (b, 0xdf11);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "alts");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, fields[5]);
      json_builder_set_member_name (b, "geometry");
      json_builder_add_string_value (b, "@Memory /0x08000000/4*1Kg");
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json = json_to_string (root, FALSE);
      file = write_temp_profile (json);
      g_test_message ("%s", fields[5]);
      host_init (&h, file, 1.0);
      check_descriptors (&h);
      host_clear (&h);
      remove_temp_profile (file);
      served++;
    }
  g_assert_cmpuint (served, >=, 40);
}

static gchar *
write_temp_profile (const gchar *json)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("sim-profile-XXXXXX", &error);
  gchar *path = g_build_filename (dir, "custom.json", NULL);
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, json, -1, &error));
  return path;
}

static void
remove_temp_profile (const gchar *path)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_remove (path);
  g_rmdir (dir);
}

static void
test_profiles_bad (void)
{
  static const struct {
    const gchar *json;
    const gchar *words;
  } bad[] = {
    { "[]", "expected a JSON object" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"colour\": 1 }", "unknown key \"colour\"" },
    { "{ \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ] }", "needs a vid and pid" },
    { "{ \"usb\": { \"vid\": \"0x10000\", \"pid\": 2 } }", "not a number in 0..65535" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1K\" } ] }", "describes no memory" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"Flash\" } ] }", "describes no memory" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\", \"geometry\": \"@G/0x0/1*1K\" } ] }", "geometry: " },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"quirks\": { \"clrstatus_outside_error\": \"ignore\" } }", "is not one of error, stall" },
    { "{ \"mode\": \"dfu\", \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"Flash\" } ] }", "needs a \"geometry\"" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 } }", "at least one alt" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"flash\": { \"program_unit\": 3 } }", "power of two" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"flash\": { \"overwrite\": \"or\" } }", "is not one of and, keep" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"flash\": { \"overwrite_status\": \"errBAD\" } }", "not a DFU status" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"timing\": { \"sector_erase_ms\": { \"16K\": 5 } } }", "not a sector size" },
    { "{ \"mode\": \"runtime\", \"usb\": { \"vid\": 1, \"pid\": 2 } }", "names its bootloader profile" },
    { "{ \"mode\": \"runtime\", \"usb\": { \"vid\": 1, \"pid\": 2 }, \"runtime\": { \"bootloader\": \"nonesuch\" } }", "runtime.bootloader" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"quirks\": { \"power_on_state\": \"dfuSLEEPY\" } }", "not a DFU state" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\", \"fill\": \"xyz\" } ] }", "hexadecimal" },
    { "{ \"usb\": { \"vid\": 1, \"pid\": 2 }, \"alts\": [ { \"name\": \"@F/0x0/1*1Kg\" } ], \"wire\": { \"bytes_per_s\": 0 } }", "at least 1" },
    { "{ not json", "custom" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SimProfile) none = sim_profile_load ("nonesuch", &error);

  g_assert_null (none);
  g_assert_error (error, DF_ERROR, DF_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "stm32f405"));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree gchar *path = write_temp_profile (bad[i].json);
      g_autoptr(GError) local = NULL;
      g_autoptr(SimProfile) profile = sim_profile_load (path, &local);
      g_test_message ("%s -> %s", bad[i].json, local != NULL ? local->message : "(loaded)");
      g_assert_null (profile);
      g_assert_nonnull (local);
      g_assert_nonnull (strstr (local->message, bad[i].words));
      remove_temp_profile (path);
    }
}

static void
test_standard_requests (void)
{
  Host h;
  guint8 buf[64];
  SimEvent event;

  host_init (&h, "stm32f405", 1.0);
  /* the 8-byte first read of an enumeration */
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 8), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 8);
  g_assert_cmpuint (buf[7], ==, 64);
  /* no device qualifier (full speed only), no BOS, no such string */
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0600, 0, buf, 10), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0F00, 0, buf, 5), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0320, 0x0409, buf, 64), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0201, 0, buf, 9), ==, SIM_RESULT_STALL);
  /* the DFU functional descriptor asked for directly */
  g_assert_cmpint (ctrl (&h, REQ_IN_IFACE, 6, 0x2100, 0, buf, 9), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 9);
  g_assert_cmpuint (buf[1], ==, 0x21);
  g_assert_cmpuint (df_le16 (buf + 5), ==, 2048);
  /* status, configuration, interface */
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 0, 0, 0, buf, 2), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 2);
  g_assert_cmpuint (buf[0], ==, 1);  /* self powered */
  g_assert_cmpint (ctrl (&h, REQ_IN_IFACE, 0, 0, 0, buf, 2), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_IFACE, 0, 0, 3, buf, 2), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 8, 0, 0, buf, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[0], ==, 1);
  g_assert_cmpint (ctrl (&h, REQ_OUT_STD, 9, 2, 0, NULL, 0), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_OUT_STD, 9, 1, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (sim_device_set_configuration (h.dev, 1), ==, SIM_RESULT_OK);
  g_assert_cmpint (sim_device_set_configuration (h.dev, 7), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_OUT_IFACE, 11, 2, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_IFACE, 10, 0, 0, buf, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[0], ==, 2);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 4), ==, SIM_RESULT_STALL);
  g_assert_cmpint (sim_device_set_interface (h.dev, 1, 0), ==, SIM_RESULT_STALL);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 3), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_IFACE, 10, 0, 0, buf, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[0], ==, 3);
  /* features are accepted, vendor requests and DFU requests to another interface are not */
  g_assert_cmpint (ctrl (&h, REQ_OUT_STD, 1, 1, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, 0xC0, 0x33, 0, 0, buf, 4), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 1, buf, 6), ==, SIM_RESULT_STALL);
  /* a USB reset keeps the bootloader in DFU mode */
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_OK);
  g_assert_false (sim_device_pop_event (h.dev, &event));
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);
}

/* --- the DfuSe state machine --- */

static void
test_dfuse_states (void)
{
  Host h;
  guint8 buf[2048];
  guint8 cmd[5] = { 0x21 };
  guint64 busy_end;

  host_init (&h, "stm32f405", 1.0);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpuint (h.status[0], ==, SIM_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);

  /* dfuIDLE -DNLOAD-> dfuDNLOAD-SYNC -GETSTATUS-> dfuDNBUSY -> dfuDNLOAD-SYNC -GETSTATUS-> dfuDNLOAD-IDLE */
  df_put_le32 (cmd + 1, FLASH + 0x4000);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DNLOAD_SYNC);
  g_assert_cmphex (sim_device_get_pointer (h.dev), ==, FLASH);  /* nothing runs before GETSTATUS */
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (poll_ms (&h), ==, 100);
  busy_end = h.done + 20;  /* command_us */
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DNLOAD_SYNC);
  g_assert_cmpuint (h.done, >, busy_end);  /* held until the end of the busy time */
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (poll_ms (&h), ==, 0);
  g_assert_cmphex (sim_device_get_pointer (h.dev), ==, FLASH + 0x4000);

  /* dfuDNLOAD-IDLE -ABORT-> dfuIDLE */
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);

  /* dfuIDLE -UPLOAD-> dfuUPLOAD-IDLE -ABORT-> dfuIDLE; the command list */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 0, 0, buf, 64), ==, SIM_RESULT_OK);
  g_assert_cmpmem (buf, h.actual, "\x00\x21\x41\x92", 4);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_UPLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);

  /* DNLOAD in dfuUPLOAD-IDLE stalls: dfuERROR/errSTALLEDPKT, CLRSTATUS leaves it */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 0, 0, buf, 4), ==, SIM_RESULT_OK);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_STALLEDPKT);
  /* ABORT does not leave dfuERROR */
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_ERROR);
  /* nor do DNLOAD and UPLOAD */
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 16), ==, SIM_RESULT_STALL);
  clear_error (&h);

  /* CLRSTATUS out of dfuERROR: ST's answer is dfuERROR/errUNKNOWN */
  g_assert_cmpint (simple (&h, SIM_DFU_CLRSTATUS), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_UNKNOWN);
  clear_error (&h);

  /* DNLOAD in dfuDNLOAD-SYNC (no GETSTATUS in between) stalls */
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_ERROR);
  clear_error (&h);

  /* ABORT in dfuDNLOAD-SYNC drops the command */
  df_put_le32 (cmd + 1, FLASH + 0x8000);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmphex (sim_device_get_pointer (h.dev), ==, FLASH + 0x4000);

  /* UPLOAD in dfuDNLOAD-IDLE stalls */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 16), ==, SIM_RESULT_STALL);
  clear_error (&h);

  /* blocks 1, unknown commands, wrong lengths, too long */
  g_assert_cmpint (dnload (&h, 1, cmd, 5), ==, SIM_RESULT_STALL);
  clear_error (&h);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 1, 0, buf, 16), ==, SIM_RESULT_STALL);
  clear_error (&h);
  cmd[0] = 0x55;
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_STALL);
  clear_error (&h);
  cmd[0] = 0x21;
  g_assert_cmpint (dnload (&h, 0, cmd, 3), ==, SIM_RESULT_STALL);
  clear_error (&h);
  cmd[0] = 0x92;
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_STALL);
  clear_error (&h);
  memset (buf, 0, sizeof buf);
  {
    g_autofree guint8 *big = g_malloc0 (4096);
    g_assert_cmpint (dnload (&h, 2, big, 4096), ==, SIM_RESULT_STALL);
  }
  clear_error (&h);
  /* GETSTATUS is an IN request of 6 bytes */
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, SIM_DFU_GETSTATUS, 0, 0, NULL, 0), ==, SIM_RESULT_STALL);
  /* an unknown class request */
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, 9, 0, 0, NULL, 0), ==, SIM_RESULT_STALL);
  clear_error (&h);
  host_clear (&h);
}

static void
test_dfuse_leave (void)
{
  Host h;
  guint8 buf[64];
  guint n;
  g_autofree SimEvent *events = NULL;
  const SimUsbInfo *info;
  guint64 answered;

  host_init (&h, "stm32f405", 1.0);
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_MANIFEST_SYNC);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST);
  g_assert_cmpuint (h.status[0], ==, SIM_OK);
  answered = h.done;

  /* gone right after the answer, back as the application 300 ms later */
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpuint (events[0].at_us, ==, answered);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmpuint (events[1].at_us, ==, answered + 300000);
  g_assert_true (sim_device_is_connected (h.dev));
  info = sim_device_get_info (h.dev);
  g_assert_cmphex (info->vid, ==, 0xf055);
  g_assert_cmphex (info->pid, ==, 0x9800);

  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  wait_ms (&h, 300);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_OK);
  g_assert_cmphex (df_le16 (buf + 8), ==, 0xf055);
  /* the application has no DFU interface */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_STALL);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_OK);
  host_clear (&h);
}

static void
test_dfuse_detach (void)
{
  Host h;
  guint n;
  g_autofree SimEvent *events = NULL;

  /* ST's DETACH in DFU mode with bitWillDetach: stop, start, still a bootloader */
  host_init (&h, "stm32f405", 1.0);
  g_assert_cmpint (simple (&h, SIM_DFU_DETACH), ==, SIM_RESULT_OK);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0xdf11);
  wait_ms (&h, 400);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);
}

/* --- DfuSe commands --- */

static void
test_dfuse_commands (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (5000, 1);
  g_autoptr(GBytes) ob = pattern (16, 2);
  guint8 buf[2048];
  const guint8 *mem;
  guint64 before;

  host_init (&h, "stm32f405", 1.0);

  /* page erase: the sector holding the address, timed by its size */
  mem = sim_device_peek (h.dev, FLASH + 0x10000, 4);
  g_assert_nonnull (mem);
  g_assert_cmpuint (mem[0], ==, 0xFF);
  before = h.now;
  g_assert_cmpuint (erase_page (&h, FLASH + 0x10123), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (h.now - before, >=, 550000);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_ERASE].bytes, ==, 65536);

  /* write with wBlockNum advancing: pointer + (block - 2) * wTransferSize,
   * the short last block included */
  write_blocks (&h, FLASH + 0x10000, data);
  mem = sim_device_peek (h.dev, FLASH + 0x10000, 5000);
  g_assert_cmpmem (mem, 5000, g_bytes_get_data (data, NULL), 5000);
  g_assert_cmpuint (mem[5000], ==, 0xFF);

  /* read back the same way; a short read at the end of the region */
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (set_address (&h, FLASH + 0x10000), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 3, 0, buf, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 2048);
  g_assert_cmpmem (buf, 2048, (const guint8 *) g_bytes_get_data (data, NULL) + 2048, 2048);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_UPLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (set_address (&h, FLASH + 0x100000 - 1000), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 1000);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);  /* a short frame ends the upload */
  /* right at the end: empty; past it: stalled with errTARGET */
  g_assert_cmpuint (set_address (&h, FLASH + 0x100000 - 2048), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 2048);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 3, 0, buf, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 0);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 4, 0, buf, 2048), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
  clear_error (&h);

  /* set address outside the alt's memory: errTARGET after the busy time */
  g_assert_cmpuint (set_address (&h, 0x20000000), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
  clear_error (&h);
  /* erase outside: errTARGET */
  g_assert_cmpuint (erase_page (&h, 0x30000000), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
  clear_error (&h);
  /* a write running past the end of the region: errADDRESS, nothing written */
  g_assert_cmpuint (set_address (&h, FLASH + 0x100000 - 16), ==, SIM_STATE_DNLOAD_IDLE);
  memset (buf, 0x11, sizeof buf);
  g_assert_cmpuint (dfuse_op (&h, 2, buf, 64), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_ADDRESS);
  g_assert_cmpuint (sim_device_peek (h.dev, FLASH + 0x100000 - 16, 1)[0], ==, 0xFF);
  clear_error (&h);

  /* other alts: option bytes are replaced, OTP can be written but not erased */
  g_assert_cmpint (sim_device_set_interface (h.dev, 1, 0) , ==, SIM_RESULT_STALL);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 1), ==, SIM_RESULT_OK);
  mem = sim_device_peek (h.dev, 0x1FFFC000, 16);
  g_assert_cmphex (mem[1], ==, 0xAA);  /* RDP level 0 */
  write_blocks (&h, 0x1FFFC000, ob);
  g_assert_cmpmem (sim_device_peek (h.dev, 0x1FFFC000, 16), 16, g_bytes_get_data (ob, NULL), 16);
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_ERROR);  /* main flash is not in alt 1 */
  clear_error (&h);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 2), ==, SIM_RESULT_OK);
  g_assert_cmpuint (erase_page (&h, 0x1FFF7800), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
  clear_error (&h);
  memset (buf, 0x5A, 16);
  write_mem (&h, 0x1FFF7800, buf, 16);
  g_assert_cmpuint (sim_device_peek (h.dev, 0x1FFF7800, 1)[0], ==, 0x5A);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 0), ==, SIM_RESULT_OK);

  /* mass erase */
  g_assert_cmpuint (mass_erase (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (sim_device_peek (h.dev, FLASH + 0x10000, 1)[0], ==, 0xFF);
  g_assert_cmpuint (sim_device_peek (h.dev, 0x1FFF7800, 1)[0], ==, 0x5A);  /* OTP stays */
  g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_MASS_ERASE].busy_us, ==, 8000000);
  host_clear (&h);
}

/* --- NOR flash --- */

static void
test_nor_and (void)
{
  Host h;
  guint8 a[64], b[64], expect[64];

  host_init (&h, "stm32f405", 1.0);
  memset (a, 0xF0, sizeof a);
  memset (b, 0x3C, sizeof b);
  a[8] = 0x0F;
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  write_mem (&h, FLASH, a, sizeof a);
  /* the same data again verifies (programming only clears what is clear) */
  write_mem (&h, FLASH, a, sizeof a);
  /* data that needs bits set: cells become old AND new, the read-back
   * differs at the first word and the device says errVERIFY */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, b, sizeof b), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VERIFY);
  memcpy (expect, a, sizeof a);
  for (guint i = 0; i < 4; i++)
    expect[i] = a[i] & b[i];
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 64), 64, expect, 64);
  clear_error (&h);
  /* after an erase it writes */
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  write_mem (&h, FLASH, b, sizeof b);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 64), 64, b, 64);
  /* two writes that share a word (the first ends, the second starts, inside
   * it): the padding of each is 0xFF, the read-back compares what was sent,
   * so both verify and the word holds both halves */
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  write_mem (&h, FLASH, a, 6);
  write_mem (&h, FLASH + 6, a + 6, 10);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 16), 16, a, 16);
  host_clear (&h);
}

static void
test_nor_keep (void)
{
  Host h;
  guint8 a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  guint8 b[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
  guint8 zero[8] = { 0 };

  /* STM32F072: PGERR refuses a half-word that is not erased, errWRITE */
  host_init (&h, "stm32f072", 1.0);
  write_mem (&h, FLASH, a, sizeof a);
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, b, sizeof b), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_WRITE);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 8), 8, a, 8);
  clear_error (&h);
  /* even the same data is refused; zeros are allowed */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, a, sizeof a), ==, SIM_STATE_ERROR);
  clear_error (&h);
  write_mem (&h, FLASH, zero, sizeof zero);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 8), 8, zero, 8);
  host_clear (&h);

  /* GD32VF103: the same refusal, but the bootloader says nothing */
  host_init (&h, "gd32vf103", 1.0);
  clear_error (&h);  /* it comes up in dfuERROR/errFIRMWARE */
  write_mem (&h, FLASH, a, sizeof a);
  write_mem (&h, FLASH, b, sizeof b);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 8), 8, a, 8);
  host_clear (&h);
}

static void
test_l476_double_words (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (13, 3);
  const guint8 *mem;
  guint8 ff[5];

  /* a write of 13 bytes programs one double word; the last 5 bytes stay
   * erased and the device answers OK (see sim-flash.c for why) */
  host_init (&h, "stm32l476", 1.0);
  write_blocks (&h, FLASH, data);
  mem = sim_device_peek (h.dev, FLASH, 16);
  g_assert_cmpmem (mem, 8, g_bytes_get_data (data, NULL), 8);
  memset (ff, 0xFF, sizeof ff);
  g_assert_cmpmem (mem + 8, 5, ff, 5);
  /* padded to 16, everything arrives */
  {
    g_autoptr(GBytes) padded = pattern (16, 4);
    write_blocks (&h, FLASH + 0x800, padded);
    g_assert_cmpmem (sim_device_peek (h.dev, FLASH + 0x800, 16), 16, g_bytes_get_data (padded, NULL), 16);
  }
  /* reprogramming a double word: PROGERR, errWRITE */
  g_assert_cmpuint (set_address (&h, FLASH + 0x800), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, g_bytes_get_data (data, NULL), 8), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_WRITE);
  clear_error (&h);
  /* 2 KiB pages erase in 22 ms */
  g_assert_cmpuint (erase_page (&h, FLASH + 0x800), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_ERASE].busy_us, ==, 22000);
  host_clear (&h);
}

static void
test_flash_rules (void)
{
  g_autoptr(SimMemory) memory = sim_memory_new ();
  g_autoptr(DfLayout) layout = df_layout_parse ("@F /0x1000/4*16 g", NULL);
  SimFlashRules rules;
  SimProgramResult res;
  guint8 data[16];
  const guint8 *mem;

  sim_flash_rules_init (&rules);
  rules.program_unit = 4;
  rules.partial = SIM_PARTIAL_ERROR;
  rules.partial_status = SIM_ERR_PROG;
  rules.misaligned_status = SIM_ERR_ADDRESS;
  sim_memory_add (memory, 0, layout, SIM_MEMORY_FLASH, &rules, NULL);
  memset (data, 0x42, sizeof data);

  res = sim_memory_program (memory, 0, 0x1002, data, 4, G_MAXSIZE);
  g_assert_cmpuint (res.status, ==, SIM_ERR_ADDRESS);
  res = sim_memory_program (memory, 0, 0x1000, data, 6, G_MAXSIZE);
  g_assert_cmpuint (res.status, ==, SIM_ERR_PROG);
  res = sim_memory_program (memory, 0, 0x1000, data, 8, 5);  /* dies after 5 bytes: one unit */
  g_assert_cmpuint (res.status, ==, SIM_OK);
  g_assert_cmpuint (res.programmed, ==, 4);
  mem = sim_memory_peek (memory, 0x1000, 8);
  g_assert_cmpuint (mem[3], ==, 0x42);
  g_assert_cmpuint (mem[4], ==, 0xFF);
  res = sim_memory_program (memory, 0, 0x0FFF, data, 1, G_MAXSIZE);
  g_assert_cmpuint (res.status, ==, SIM_ERR_TARGET);
  res = sim_memory_program (memory, 0, 0x1030, data, 32, G_MAXSIZE);
  g_assert_cmpuint (res.status, ==, SIM_ERR_ADDRESS);
  res = sim_memory_program (memory, 1, 0x1000, data, 4, G_MAXSIZE);
  g_assert_cmpuint (res.status, ==, SIM_ERR_TARGET);
  g_assert_true (sim_memory_contains (memory, 0, 0x103F));
  g_assert_false (sim_memory_contains (memory, 0, 0x1040));
  g_assert_cmpuint (sim_memory_erase_all (memory, 0), ==, 64);
  g_assert_null (sim_memory_peek (memory, 0x1030, 17));

  /* a read-only sector cannot be written or erased, and ends a read */
  {
    g_autoptr(SimMemory) m2 = sim_memory_new ();
    g_autoptr(DfLayout) l2 = df_layout_parse ("@F /0x0/1*16 g,1*16 a", NULL);
    guint8 buf[64], status;
    sim_flash_rules_init (&rules);
    sim_memory_add (m2, 0, l2, SIM_MEMORY_FLASH, &rules, NULL);
    g_assert_cmpuint (sim_memory_program (m2, 0, 16, data, 4, G_MAXSIZE).status, ==, SIM_ERR_TARGET);
    g_assert_cmpuint (sim_memory_program (m2, 0, 12, data, 8, G_MAXSIZE).status, ==, SIM_ERR_TARGET);
    g_assert_cmpuint (sim_memory_erase_sector (m2, 0, 20, NULL), ==, SIM_ERR_TARGET);
    g_assert_cmpuint (sim_memory_erase_sector (m2, 0, 3, NULL), ==, SIM_OK);
    g_assert_cmpuint (sim_memory_read (m2, 0, 0, buf, 64, &status), ==, 32);
    g_assert_cmpuint (status, ==, SIM_OK);
  }
  {
    g_autoptr(SimMemory) m3 = sim_memory_new ();
    g_autoptr(DfLayout) l3 = df_layout_parse ("@F /0x0/1*16 d,1*16 a", NULL);
    guint8 buf[64], status;
    sim_flash_rules_init (&rules);
    sim_memory_add (m3, 0, l3, SIM_MEMORY_FLASH, &rules, NULL);
    g_assert_cmpuint (sim_memory_read (m3, 0, 0, buf, 64, &status), ==, 0);
    g_assert_cmpuint (status, ==, SIM_ERR_TARGET);
  }
}

/* --- read protection --- */

static void
test_rdp (void)
{
  Host h;
  guint8 buf[64];
  guint8 unprotect = 0x92;
  guint n;
  g_autofree SimEvent *events = NULL;
  g_autoptr(GError) error = NULL;

  host_init (&h, "stm32f405", 1.0);
  g_assert_true (sim_device_add_fault (h.dev, "rdp", &error));
  g_assert_true (sim_device_is_read_protected (h.dev));
  memset (buf, 0, sizeof buf);
  /* a byte is in the flash before; protected, it cannot be read or changed */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VENDOR);
  clear_error (&h);
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VENDOR);
  clear_error (&h);
  g_assert_cmpuint (mass_erase (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VENDOR);
  clear_error (&h);
  g_assert_cmpuint (dfuse_op (&h, 2, buf, 16), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VENDOR);
  clear_error (&h);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 64), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_VENDOR);
  clear_error (&h);
  /* the command list is still there */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 0, 0, buf, 4), ==, SIM_RESULT_OK);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);

  /* read unprotect: busy, then wiped and reset (dfu-util stops after the first GETSTATUS) */
  g_assert_cmpint (dnload (&h, 0, &unprotect, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpuint (events[0].at_us, ==, h.done + 8000000);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0xdf11);
  g_assert_false (sim_device_is_read_protected (h.dev));
  wait_ms (&h, 9000);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  host_clear (&h);
}

/* --- faults --- */

static void
test_fault_specs (void)
{
  static const struct {
    const gchar *spec;
    SimFaultKind kind;
    guint arg;
    SimTriggerKind trigger;
    guint64 at;
  } good[] = {
    { "stall@request=12", SIM_FAULT_STALL, 0, SIM_TRIGGER_REQUEST, 12 },
    { "status=errWRITE@byte=65536", SIM_FAULT_STATUS, SIM_ERR_WRITE, SIM_TRIGGER_BYTE, 65536 },
    { "status=7@write=3", SIM_FAULT_STATUS, SIM_ERR_VERIFY, SIM_TRIGGER_WRITE, 3 },
    { "disconnect@byte=100000", SIM_FAULT_DISCONNECT, 0, SIM_TRIGGER_BYTE, 100000 },
    { "disconnect@byte=0", SIM_FAULT_DISCONNECT, 0, SIM_TRIGGER_BYTE, 0 },
    { "reset@dnload=4", SIM_FAULT_RESET, 0, SIM_TRIGGER_DNLOAD, 4 },
    { "no-answer@request=40", SIM_FAULT_NO_ANSWER, G_MAXUINT, SIM_TRIGGER_REQUEST, 40 },
    { "no-answer=2@getstatus=1", SIM_FAULT_NO_ANSWER, 2, SIM_TRIGGER_GETSTATUS, 1 },
    { "bad-status@request=7", SIM_FAULT_BAD_STATUS, 3, SIM_TRIGGER_REQUEST, 7 },
    { "bad-status=0@upload=1", SIM_FAULT_BAD_STATUS, 0, SIM_TRIGGER_UPLOAD, 1 },
    { "state=dfuERROR@request=3", SIM_FAULT_STATE, SIM_STATE_ERROR, SIM_TRIGGER_REQUEST, 3 },
    { "state=dfuDNLOAD-IDLE@erase=1", SIM_FAULT_STATE, SIM_STATE_DNLOAD_IDLE, SIM_TRIGGER_ERASE, 1 },
    { "rdp", SIM_FAULT_RDP, 0, SIM_TRIGGER_NONE, 0 },
    { "lost@write=7", SIM_FAULT_LOST, 0, SIM_TRIGGER_WRITE, 7 },
    { "status=errWRITE@write=10+", SIM_FAULT_STATUS, SIM_ERR_WRITE, SIM_TRIGGER_WRITE, 10 },
    { "stall@request=0x10", SIM_FAULT_STALL, 0, SIM_TRIGGER_REQUEST, 16 },
    { "early-status=error", SIM_FAULT_EARLY_STATUS, SIM_BUSY_ERROR, SIM_TRIGGER_NONE, 0 },
    { "early-status=answer@write=3", SIM_FAULT_EARLY_STATUS, SIM_BUSY_ANSWER, SIM_TRIGGER_WRITE, 3 },
    { "unplug@erase=2", SIM_FAULT_UNPLUG, G_MAXUINT, SIM_TRIGGER_ERASE, 2 },
    { "unplug=500@leave=1", SIM_FAULT_UNPLUG, 500, SIM_TRIGGER_LEAVE, 1 },
    { "unplug@bootloader=1", SIM_FAULT_UNPLUG, G_MAXUINT, SIM_TRIGGER_BOOTLOADER, 1 },
  };
  static const gchar *const bad[] = {
    "", "stall", "stall@", "stall@request", "stall@request=", "stall@request=0", "stall@request=x",
    "stall@frame=3", "stall=1@request=2", "status@request=1", "status=OK@request=1", "status=errNOPE@request=1",
    "no-answer=0@request=1", "bad-status=6@request=1", "bad-status=99@request=1", "state=sleepy@request=1",
    "rdp@request=1", "explode@request=1", "early-status", "early-status=maybe", "early-status=nak@request",
    "lost=1@write=1", "disconnect@byte=5+", "stall@request=+",
    "unplug", "unplug=x@write=1", "stall@bootloader=1", "unplug@leave=0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SimFault) fault = sim_fault_parse (good[i].spec, &error);
      g_assert_no_error (error);
      g_assert_cmpint (fault->kind, ==, good[i].kind);
      g_assert_cmpuint (fault->arg, ==, good[i].arg);
      g_assert_cmpint (fault->trigger, ==, good[i].trigger);
      g_assert_cmpuint (fault->at, ==, good[i].at);
      g_assert_cmpint (fault->repeat, ==, g_str_has_suffix (good[i].spec, "+"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SimFault) fault = sim_fault_parse (bad[i], &error);
      g_test_message ("%s -> %s", bad[i], error != NULL ? error->message : "(parsed)");
      g_assert_null (fault);
      g_assert_error (error, DF_ERROR, DF_ERROR_INVALID_ARGUMENT);
    }
}

static void
add_fault (Host *h, const gchar *spec)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (sim_device_add_fault (h->dev, spec, &error));
  g_assert_no_error (error);
}

static void
test_fault_stall (void)
{
  Host h;
  guint8 buf[18];

  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "stall@request=2");
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);  /* a stalled standard request leaves DFU alone */
  host_clear (&h);

  /* a stalled DNLOAD puts the device in dfuERROR/errSTALLEDPKT */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "stall@dnload=2");
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 2, buf, 16), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_STALLEDPKT);
  host_clear (&h);
}

static void
test_fault_status (void)
{
  static const gchar *const statuses[] = {
    "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED", "errPROG", "errVERIFY", "errADDRESS",
    "errNOTDONE", "errFIRMWARE", "errVENDOR", "errUSBR", "errPOR", "errUNKNOWN", "errSTALLEDPKT",
  };
  g_autoptr(GBytes) data = pattern (8192, 5);

  /* every bStatus, on a write that then leaves the memory alone */
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      Host h;
      g_autofree gchar *spec = g_strdup_printf ("status=%s@write=2", statuses[i]);
      host_init (&h, "stm32f405", 1.0);
      add_fault (&h, spec);
      g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
      g_assert_cmpuint (dfuse_op (&h, 2, g_bytes_get_data (data, NULL), 2048), ==, SIM_STATE_DNLOAD_IDLE);
      g_assert_cmpuint (dfuse_op (&h, 3, (const guint8 *) g_bytes_get_data (data, NULL) + 2048, 2048), ==,
                        SIM_STATE_ERROR);
      g_assert_cmpuint (h.status[0], ==, i + 1);
      g_assert_cmpuint (sim_device_peek (h.dev, FLASH + 2048, 1)[0], ==, 0xFF);
      g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_WRITE].failed, ==, 1);
      clear_error (&h);
      host_clear (&h);
    }

  /* on an erase, by byte, and on a GETSTATUS or an UPLOAD */
  {
    Host h;
    host_init (&h, "stm32f405", 1.0);
    add_fault (&h, "status=errERASE@erase=2");
    add_fault (&h, "status=errVERIFY@byte=5000");
    g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (erase_page (&h, FLASH + 0x4000), ==, SIM_STATE_ERROR);
    g_assert_cmpuint (h.status[0], ==, SIM_ERR_ERASE);
    clear_error (&h);
    g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (dfuse_op (&h, 2, g_bytes_get_data (data, NULL), 2048), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (dfuse_op (&h, 3, (const guint8 *) g_bytes_get_data (data, NULL) + 2048, 2048), ==,
                      SIM_STATE_DNLOAD_IDLE);
    /* bytes 4096..6143 hold byte 5000 */
    g_assert_cmpuint (dfuse_op (&h, 4, (const guint8 *) g_bytes_get_data (data, NULL) + 4096, 2048), ==,
                      SIM_STATE_ERROR);
    g_assert_cmpuint (h.status[0], ==, SIM_ERR_VERIFY);
    host_clear (&h);
  }
  {
    Host h;
    guint8 buf[16];
    host_init (&h, "stm32f405", 1.0);
    add_fault (&h, "status=errUNKNOWN@getstatus=1");
    add_fault (&h, "status=errTARGET@upload=1");
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
    g_assert_cmpuint (h.status[0], ==, SIM_ERR_UNKNOWN);
    clear_error (&h);
    g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 0, 0, buf, 4), ==, SIM_RESULT_STALL);
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
    g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
    host_clear (&h);
  }
}

static void
test_fault_disconnect (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (8192, 6);
  const guint8 *d = g_bytes_get_data (data, NULL);
  const guint8 *mem;
  guint n;
  g_autofree SimEvent *events = NULL;
  guint8 buf[6];

  /* mid-write: bytes before 3000 are programmed (whole words), then gone */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "disconnect@byte=3000");
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, d, 2048), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 3, d + 2048, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpuint (events[0].at_us, >, h.done);
  g_assert_false (sim_device_is_connected (h.dev));
  wait_ms (&h, 200);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  mem = sim_device_peek (h.dev, FLASH, 4096);
  g_assert_cmpmem (mem, 3000, d, 3000);
  g_assert_cmpuint (mem[3000], ==, 0xFF);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_NODEV);
  g_assert_cmpint (sim_device_set_configuration (h.dev, 1), ==, SIM_RESULT_NODEV);
  host_clear (&h);

  /* on a request: that request gets ENODEV */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "disconnect@request=2");
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->nodev, ==, 1);
  host_clear (&h);

  /* reset: gone and back in DFU mode */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "reset@getstatus=2");
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  g_clear_pointer (&events, g_free);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_true (sim_device_is_connected (h.dev));
  wait_ms (&h, 300);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);
}

/* the cable: pulled by a fault or by the runner, plugged back in */
static void
test_unplug (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (4096, 9);
  const guint8 *d = g_bytes_get_data (data, NULL);
  g_autofree SimEvent *events = NULL;
  guint generation;
  guint64 before;
  guint n;
  guint8 buf[6];

  /* mid-write: gone for good, even from the leave's reconnection */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "unplug@write=2");
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (dfuse_op (&h, 2, d, 2048), ==, SIM_STATE_DNLOAD_IDLE);
  generation = sim_device_get_generation (h.dev);
  g_assert_cmpint (dnload (&h, 3, d + 2048, 2048), ==, SIM_RESULT_NODEV);
  g_assert_true (sim_device_is_unplugged (h.dev));
  g_assert_false (sim_device_is_connected (h.dev));
  g_assert_cmpuint (sim_device_get_generation (h.dev), >, generation);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpuint (events[0].generation, ==, sim_device_get_generation (h.dev));
  wait_ms (&h, 2000);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);

  /* plugged in: DFU mode, idle, what was written kept, a new generation */
  generation = sim_device_get_generation (h.dev);
  g_assert_true (sim_device_plug (h.dev, h.now));
  g_assert_false (sim_device_plug (h.dev, h.now));
  g_assert_false (sim_device_is_unplugged (h.dev));
  g_assert_cmpuint (sim_device_get_generation (h.dev), >, generation);
  g_clear_pointer (&events, g_free);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 2048), 2048, d, 2048);
  g_assert_cmpuint (sim_device_peek (h.dev, FLASH + 2048, 1)[0], ==, 0xFF);
  host_clear (&h);

  /* unplugged while busy erasing: back idle at once, not busy */
  host_init (&h, "stm32f405", 1.0);
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 0, (const guint8 *) "\x41\x00\x00\x00\x08", 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  sim_device_unplug (h.dev, h.now);
  g_assert_true (sim_device_plug (h.dev, h.now));
  before = h.now;
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpuint (h.now - before, <, 10000);
  host_clear (&h);

  /* with a delay: plugged in again by itself */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "unplug=500@request=2");
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  g_assert_false (sim_device_is_unplugged (h.dev));
  g_clear_pointer (&events, g_free);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmpuint (events[1].at_us - events[0].at_us, ==, 500000);
  wait_ms (&h, 600);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);
}

static void
test_fault_answers (void)
{
  Host h;
  guint8 buf[64];

  /* no answer for good */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "no-answer@request=2");
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NO_ANSWER);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->no_answer, ==, 3);
  host_clear (&h);

  /* two requests unanswered, then it recovers */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "no-answer=2@getstatus=1");
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NO_ANSWER);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NO_ANSWER);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);

  /* a status reply of 3 bytes, then normal ones */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "bad-status@request=1");
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 3);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  host_clear (&h);

  /* armed by another request, applied to the next GETSTATUS; longer than asked is cut */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "bad-status=12@request=1");
  g_assert_cmpint (ctrl (&h, REQ_IN_STD, 6, 0x0100, 0, buf, 18), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 64), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.actual, ==, 12);
  host_clear (&h);

  /* an unexpected state: dfuIDLE where dfuDNBUSY belongs */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "state=dfuIDLE@getstatus=1");
  {
    guint8 cmd[5] = { 0x21, 0, 0, 0, 8 };
    g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
    g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);
  }
  host_clear (&h);

  /* dfuERROR out of the blue */
  host_init (&h, "stm32f405", 1.0);
  add_fault (&h, "state=dfuERROR@request=1");
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_UNKNOWN);
  clear_error (&h);
  host_clear (&h);
}

/* --- time --- */

static guint64
wire_us (guint64 bytes)
{
  /* the profiles' default wire: 125 us + (8 + bytes) at 1 MB/s */
  return 125 + 8 + bytes;
}

static void
test_timing (void)
{
  Host h;
  guint8 cmd[5] = { 0x41, 0, 0, 0, 8 };
  guint8 block[2048];
  guint64 t0, answered, ready;
  const SimStats *stats;

  host_init (&h, "stm32f405", 1.0);
  stats = sim_device_get_stats (h.dev);

  /* DNLOAD of 5 bytes: wire time only */
  t0 = h.now;
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.done - t0, ==, wire_us (5));
  /* the first GETSTATUS: dfuDNBUSY, 100 ms asked for; the 16 KiB erase runs 250 ms after it */
  t0 = h.now;
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (h.done - t0, ==, wire_us (6));
  g_assert_cmpuint (poll_ms (&h), ==, 100);
  answered = h.done;
  ready = answered + 250000;
  /* the host waits 100 ms as told; the device holds the request 150 ms more */
  wait_ms (&h, 100);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (h.done, ==, ready + wire_us (6));
  g_assert_cmpuint (stats->nak_us, ==, 150000);
  g_assert_cmpuint (stats->busy_us, ==, 250000);
  g_assert_cmpuint (stats->poll_us, ==, 100000);
  g_assert_cmpuint (stats->early_polls, ==, 0);
  g_assert_cmpuint (stats->ops[SIM_OP_ERASE].floor_us, ==, 250000 + wire_us (5) + 2 * wire_us (6));

  /* a 2048-byte write: 512 words at 16 us + 60 us, but 104 ms asked for */
  memset (block, 0xA5, sizeof block);
  t0 = h.now;
  g_assert_cmpint (dnload (&h, 2, block, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (h.done - t0, ==, wire_us (2048));
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (poll_ms (&h), ==, 104);
  answered = h.done;
  /* polling early (as pydfu does) is held until the write is done */
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (h.done, ==, answered + 512 * 16 + 60 + wire_us (6));
  g_assert_cmpuint (stats->early_polls, ==, 1);
  g_assert_cmpuint (stats->ops[SIM_OP_WRITE].floor_us, ==, 104000 + wire_us (2048) + 2 * wire_us (6));

  /* a host that sleeps past readiness: idle time, part of it past the requested wait */
  g_assert_cmpint (dnload (&h, 3, block, 2048), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  {
    guint64 idle = stats->idle_us, after = stats->idle_after_poll_us;
    wait_ms (&h, 200);
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (stats->idle_us - idle, ==, 200000 - (512 * 16 + 60));
    g_assert_cmpuint (stats->idle_after_poll_us - after, ==, 200000 - 104000);
  }
  g_assert_cmpuint (sim_stats_floor_us (stats), ==,
                    stats->ops[SIM_OP_ERASE].floor_us + stats->ops[SIM_OP_WRITE].floor_us);
  /* the busy floor: busy time, not the reported wait, plus the same wire time */
  g_assert_cmpuint (stats->ops[SIM_OP_ERASE].busy_floor_us, ==, 250000 + wire_us (5) + 2 * wire_us (6));
  g_assert_cmpuint (stats->ops[SIM_OP_WRITE].busy_floor_us, ==,
                    2 * (512 * 16 + 60 + wire_us (2048) + 2 * wire_us (6)));
  g_assert_cmpuint (sim_stats_busy_floor_us (stats), ==,
                    stats->ops[SIM_OP_ERASE].busy_floor_us + stats->ops[SIM_OP_WRITE].busy_floor_us);
  g_assert_cmpuint (stats->bytes_out, ==, 5 + 2048 + 2048);
  g_assert_cmpuint (stats->transfers, ==, 9);
  host_clear (&h);
}

static void
test_timing_scale (void)
{
  Host h;
  guint8 cmd[5] = { 0x41, 0, 0, 0, 8 };
  guint64 answered;

  /* everything a hundred times faster; the reported wait rounds up to 1 ms */
  host_init (&h, "stm32f405", 0.01);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (poll_ms (&h), ==, 1);
  answered = h.done;
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (h.done, ==, answered + 2500 + (wire_us (6) + 50) / 100);
  host_clear (&h);
}

static void
test_busy_quirks (void)
{
  Host h;
  guint8 cmd[5] = { 0x41, 0, 0, 0, 8 };
  guint8 buf[6];
  guint64 answered;

  /* STM32F072: GETSTATUS during the erase stalls, the state stays busy */
  host_init (&h, "stm32f072", 1.0);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (poll_ms (&h), ==, 10);
  answered = h.done;
  wait_ms (&h, 10);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (h.done, <, answered + 25000);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DNLOAD_SYNC);  /* held, not stalled */
  g_assert_cmpuint (h.done, >, answered + 25000);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->stalled, ==, 1);
  /* a write (512 half-words, 27 ms) is held, not stalled */
  {
    guint8 block[1024];
    memset (block, 0x12, sizeof block);
    g_assert_cmpint (dnload (&h, 2, block, sizeof block), ==, SIM_RESULT_OK);
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
    answered = h.done;
    wait_ms (&h, poll_ms (&h));
    g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (h.done, >=, answered + 512 * 53 + 60);
  }
  host_clear (&h);

  /* STM32H743: answers dfuDNBUSY again until done */
  host_init (&h, "stm32h743", 1.0);
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  answered = h.done;
  wait_ms (&h, 5);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpuint (poll_ms (&h), ==, 5);
  g_assert_cmpuint (h.done, <, answered + 1200000);
  h.now = answered + 1200000;
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  host_clear (&h);
}

/* early-status=error: a spec-strict device refuses a GETSTATUS sent before
 * the bwPollTimeout it asked for, write or erase, busy or not; one sent
 * after it is answered (held while still busy) */
static void
test_early_status_error (void)
{
  Host h;
  guint8 cmd[5] = { 0x41, 0, 0, 0, 8 };
  guint8 block[2048];
  guint8 buf[6];
  guint64 answered;
  const SimStats *stats;
  g_autoptr(GError) error = NULL;

  host_init (&h, "stm32f405", 1.0);
  stats = sim_device_get_stats (h.dev);
  g_assert_true (sim_device_add_fault (h.dev, "early-status=error", &error));
  /* a write: done after 8 ms, 104 ms asked for; asked at 20 ms */
  memset (block, 0x5A, sizeof block);
  g_assert_cmpint (dnload (&h, 0, (guint8[]) { 0x21, 0, 0, 0, 8 }, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  wait_ms (&h, poll_ms (&h));
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 2, block, sizeof block), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  answered = h.done;
  wait_ms (&h, 20);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (h.done, <, answered + 21000);  /* refused at once, not held */
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (sim_device_get_status (h.dev), ==, SIM_ERR_STALLEDPKT);
  g_assert_cmpuint (stats->early_refused, ==, 1);
  g_assert_cmpuint (stats->early_polls, ==, 1);
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, SIM_DFU_CLRSTATUS, 0, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);

  /* an erase (250 ms, 100 ms asked for): asked after 100 ms, held until done */
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  answered = h.done;
  wait_ms (&h, 100);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (h.done, >=, answered + 250000);
  g_assert_cmpuint (stats->early_refused, ==, 1);
  g_assert_cmpuint (stats->early_polls_after_refused, ==, 0);
  /* asked early again: counted as such */
  g_assert_cmpint (dnload (&h, 0, cmd, 5), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DNBUSY);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_STALL);
  g_assert_cmpuint (stats->early_refused, ==, 2);
  g_assert_cmpuint (stats->early_polls_after_refused, ==, 1);
  host_clear (&h);
}

static void
test_stats_json (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (4096, 8);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *json = NULL;
  g_autofree gchar *log = NULL;
  JsonObject *root, *ops, *by;
  JsonArray *events;
  guint8 buf[6];

  host_init (&h, "stm32f405", 1.0);
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  write_blocks (&h, FLASH, data);
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);

  json = sim_device_stats_json (h.dev);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "profile"), ==, "stm32f405");
  g_assert_cmpstr (json_object_get_string_member (root, "serial"), ==, "3276365C3235");
  g_assert_cmpint (json_object_get_int_member (root, "transfers"), ==, 15);
  g_assert_cmpint (json_object_get_int_member (root, "nodev"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (root, "bytes_out"), ==, 5 + 5 + 4096);
  g_assert_cmpint (json_object_get_int_member (root, "disconnects"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (root, "connects"), ==, 1);
  by = json_object_get_object_member (root, "by_request");
  g_assert_cmpint (json_object_get_int_member (by, "DFU_DNLOAD"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (by, "DFU_GETSTATUS"), ==, 10);
  ops = json_object_get_object_member (root, "ops");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (ops, "write"), "count"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (ops, "write"), "bytes"), ==, 4096);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (ops, "set_address"), "count"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (ops, "leave"), "count"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (root, "floor_us"), ==,
                   (gint64) sim_stats_floor_us (sim_device_get_stats (h.dev)));
  g_assert_cmpint (json_object_get_int_member (root, "floor_us"), >, 250000 + 2 * 104000);
  g_assert_cmpint (json_object_get_int_member (root, "busy_us"), ==, 250000 + 20 + 2 * (512 * 16 + 60));
  events = json_object_get_array_member (root, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0), "event"), ==, "erase");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (events, 0), "t_us"), >=, 0);

  log = sim_device_event_log (h.dev);
  g_assert_nonnull (strstr (log, "erase"));
  g_assert_nonnull (strstr (log, "write"));
  g_assert_nonnull (strstr (log, "leave"));
  g_assert_nonnull (strstr (log, "disconnect"));
  g_assert_nonnull (strstr (log, "connect"));
  host_clear (&h);
}

/* --- plain DFU 1.1 --- */

static void
test_dfu11 (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (3000, 9);
  const guint8 *d = g_bytes_get_data (data, NULL);
  guint8 buf[1024];
  guint n;
  g_autofree SimEvent *events = NULL;
  GByteArray *readback = g_byte_array_new ();

  host_init (&h, "dfu11", 1.0);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  /* DfuSe commands mean nothing here; DETACH and stray CLRSTATUS stall */
  g_assert_cmpint (simple (&h, SIM_DFU_DETACH), ==, SIM_RESULT_STALL);
  clear_error (&h);
  g_assert_cmpint (simple (&h, SIM_DFU_CLRSTATUS), ==, SIM_RESULT_STALL);
  clear_error (&h);
  /* a zero-length DNLOAD with nothing downloaded stalls */
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_STALL);
  clear_error (&h);

  /* blocks from 0, each at the running offset */
  for (guint16 block = 0; block * 1024 < 3000; block++)
    g_assert_cmpuint (dfuse_op (&h, block, d + block * 1024, (guint16) MIN (1024, 3000 - block * 1024)), ==,
                      SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpmem (sim_device_peek (h.dev, 0, 3000), 3000, d, 3000);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_ERASE].count, ==, 3);

  /* the zero-length DNLOAD ends it: manifestation, then wait for a reset */
  g_assert_cmpint (dnload (&h, 3, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_MANIFEST_SYNC);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST);
  g_assert_cmpuint (poll_ms (&h), ==, 50);
  wait_ms (&h, 50);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST_WAIT_RESET);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_NODEV);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0x5bf1);
  host_clear (&h);

  /* upload: from 0 until a short frame */
  host_init (&h, "dfu11", 1.0);
  for (guint16 block = 0; block < 3; block++)
    g_assert_cmpuint (dfuse_op (&h, block, d + block * 1024, (guint16) MIN (1024, 3000 - block * 1024)), ==,
                      SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  for (guint16 block = 0;; block++)
    {
      g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, block, 0, buf, sizeof buf), ==, SIM_RESULT_OK);
      g_byte_array_append (readback, buf, (guint) h.actual);
      if (h.actual < sizeof buf)
        break;
    }
  g_assert_cmpuint (readback->len, ==, 256 * 1024);
  g_assert_cmpmem (readback->data, 3000, d, 3000);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);
  g_byte_array_unref (readback);
  /* a download running off the end: errADDRESS */
  {
    g_autofree guint8 *zero = g_malloc0 (1024);
    guint16 block;
    for (block = 0; block < 256; block++)
      g_assert_cmpuint (dfuse_op (&h, block, zero, 1024), ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpuint (dfuse_op (&h, block, zero, 1024), ==, SIM_STATE_ERROR);
    g_assert_cmpuint (h.status[0], ==, SIM_ERR_ADDRESS);
  }
  host_clear (&h);
}

/* --- runtime and detach --- */

static void
test_runtime (void)
{
  Host h;
  guint8 buf[64];
  guint n;
  g_autofree SimEvent *events = NULL;

  host_init (&h, "runtime", 1.0);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0x5bf2);
  /* DFU requests go to interface 1 */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_STALL);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 1, buf, 6), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[4], ==, SIM_STATE_APP_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATE, 0, 1, buf, 1), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[0], ==, SIM_STATE_APP_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, SIM_DFU_DNLOAD, 0, 1, buf, 4), ==, SIM_RESULT_STALL);
  g_assert_cmpint (sim_device_set_interface (h.dev, 1, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (sim_device_set_interface (h.dev, 2, 0), ==, SIM_RESULT_STALL);
  /* a reset without DETACH is only a reset */
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_OK);

  /* DETACH, then a reset within wDetachTimeOut: the bootloader appears */
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, SIM_DFU_DETACH, 1000, 1, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 1, buf, 6), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[4], ==, SIM_STATE_APP_DETACH);
  wait_ms (&h, 10);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_NODEV);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (events[0].type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpint (events[1].type, ==, SIM_EVENT_CONNECT);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0xdf11);
  /* the host sees the bootloader and picks an alt before any request */
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 1), ==, SIM_RESULT_OK);
  g_assert_cmpint (sim_device_set_interface (h.dev, 0, 0), ==, SIM_RESULT_OK);
  h.now = events[1].at_us;
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  {
    g_autoptr(GBytes) data = pattern (100, 11);
    write_blocks (&h, FLASH, data);
    g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 100), 100, g_bytes_get_data (data, NULL), 100);
  }
  /* leave: back as the runtime application */
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST);
  g_clear_pointer (&events, g_free);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (sim_device_get_info (h.dev)->pid, ==, 0x5bf2);
  h.now = events[1].at_us;
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 1, buf, 6), ==, SIM_RESULT_OK);
  g_assert_cmpuint (buf[4], ==, SIM_STATE_APP_IDLE);

  /* DETACH, but the reset comes too late: still the application */
  g_assert_cmpint (ctrl (&h, REQ_OUT_DFU, SIM_DFU_DETACH, 200, 1, NULL, 0), ==, SIM_RESULT_OK);
  wait_ms (&h, 500);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_OK);
  g_assert_false (sim_device_pop_event (h.dev, &events[0]));
  host_clear (&h);
}

static void
test_runtime_will_detach (void)
{
  /* a bare name is found in the profile directory */
  const gchar *json = "{ \"mode\": \"runtime\", \"description\": \"will detach\","
                      " \"usb\": { \"vid\": 1, \"pid\": 2 },"
                      " \"dfu\": { \"attributes\": \"0x0f\" },"
                      " \"runtime\": { \"bootloader\": \"stm32f405\" } }";
  g_autofree gchar *path = write_temp_profile (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(SimProfile) profile = sim_profile_load (path, &error);
  g_autoptr(SimDevice) dev = NULL;
  SimSetup detach = { REQ_OUT_DFU, SIM_DFU_DETACH, 1000, 0, 0 };
  gsize actual;
  guint64 done;
  SimEvent event;

  g_assert_no_error (error);
  dev = sim_device_new (profile, "WD-1", 1.0);
  g_assert_cmpstr (sim_device_get_info (dev)->serial, ==, "WD-1");
  g_assert_cmpint (sim_device_control (dev, 5000, &detach, NULL, &actual, &done), ==, SIM_RESULT_OK);
  /* it goes by itself, 10 ms after the DETACH */
  g_assert_true (sim_device_pop_event (dev, &event));
  g_assert_cmpint (event.type, ==, SIM_EVENT_DISCONNECT);
  g_assert_cmpuint (event.at_us, ==, done + 10000);
  g_assert_true (sim_device_pop_event (dev, &event));
  g_assert_cmpint (event.type, ==, SIM_EVENT_CONNECT);
  g_assert_cmphex (sim_device_get_info (dev)->vid, ==, 0x0483);
  remove_temp_profile (path);
}

/* --- GD32VF103 --- */

static void
test_gd32 (void)
{
  Host h;
  guint8 zero[16] = { 0 };
  g_autoptr(GBytes) serial = NULL;
  g_autoptr(GBytes) data = pattern (2048, 12);
  guint8 buf[6];
  guint n;
  g_autofree SimEvent *events = NULL;

  host_init (&h, "gd32vf103", 1.0);
  /* powers up in dfuERROR/errFIRMWARE */
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_FIRMWARE);
  clear_error (&h);
  /* the serial string descriptor holds 8-bit characters */
  serial = get_string (&h, 3);
  g_assert_cmpmem (g_bytes_get_data (serial, NULL), g_bytes_get_size (serial), "\x06\x03" "3CBJ", 6);

  /* the reported layout says 2 KiB pages; the real ones are 1 KiB, so
   * erasing "the page" at 0x08000000 leaves 0x08000400.. as it was */
  write_blocks (&h, FLASH, data);
  g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpuint (sim_device_peek (h.dev, FLASH, 1)[0], ==, 0xFF);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH + 1024, 1024), 1024,
                   (const guint8 *) g_bytes_get_data (data, NULL) + 1024, 1024);
  g_assert_cmpuint (sim_device_get_stats (h.dev)->ops[SIM_OP_ERASE].bytes, ==, 1024);
  /* and nothing is there past 128 KiB, though the layout says 1 MiB */
  g_assert_cmpuint (set_address (&h, FLASH + 0x20000), ==, SIM_STATE_ERROR);
  g_assert_cmpuint (h.status[0], ==, SIM_ERR_TARGET);
  clear_error (&h);
  write_mem (&h, FLASH + 0x1FFF0, zero, sizeof zero);

  /* leave: gone at the zero-length DNLOAD itself */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (dnload (&h, 2, NULL, 0), ==, SIM_RESULT_OK);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (events[0].at_us, ==, h.done);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, buf, 6), ==, SIM_RESULT_NODEV);
  host_clear (&h);
}

/* --- flash files --- */

static void
test_flash_files (void)
{
  Host h;
  g_autoptr(GBytes) data = pattern (70000, 13);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("sim-flash-XXXXXX", &error);
  g_autofree gchar *in = g_build_filename (dir, "in.bin", NULL);
  g_autofree gchar *out = g_build_filename (dir, "out.bin", NULL);
  g_autofree gchar *contents = NULL;
  gsize len;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (in, g_bytes_get_data (data, NULL), 70000, &error));
  host_init (&h, "stm32f405", 1.0);
  g_assert_true (sim_device_load_flash (h.dev, in, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 70000), 70000, g_bytes_get_data (data, NULL), 70000);
  g_assert_true (sim_device_save_flash (h.dev, out, &error));
  g_assert_true (g_file_get_contents (out, &contents, &len, &error));
  g_assert_cmpuint (len, ==, 1024 * 1024);
  g_assert_cmpmem (contents, 70000, g_bytes_get_data (data, NULL), 70000);
  g_assert_cmpuint ((guint8) contents[70000], ==, 0xFF);
  g_assert_null (sim_device_peek (h.dev, FLASH + 1024 * 1024 - 4, 8));
  g_assert_false (sim_device_load_flash (h.dev, "/nonexistent/flash.bin", &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_IO);
  g_clear_error (&error);
  host_clear (&h);

  /* the H743's two banks are one 2 MiB image */
  host_init (&h, "stm32h743", 1.0);
  g_assert_true (sim_device_save_flash (h.dev, out, &error));
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (out, &contents, &len, &error));
  g_assert_cmpuint (len, ==, 2 * 1024 * 1024);
  host_clear (&h);

  /* too large for the part */
  host_init (&h, "stm32f072", 1.0);
  g_assert_false (sim_device_load_flash (h.dev, out, &error));
  g_assert_error (error, DF_ERROR, DF_ERROR_INCOMPATIBLE);
  host_clear (&h);
  g_remove (in);
  g_remove (out);
  g_rmdir (dir);
}

/* --- whole flashes as the peers do them --- */

/* dfu-util and pydfu: SET_ADDRESS before every block, block 2 each time;
 * fwupd: SET_ADDRESS once, wBlockNum advancing.  Same memory, half the
 * DfuSe operations for the second. */
static void
test_host_styles (void)
{
  g_autoptr(GBytes) data = pattern (20000, 14);
  const guint8 *d = g_bytes_get_data (data, NULL);
  guint64 transfers[2], floors[2];

  for (guint style = 0; style < 2; style++)
    {
      Host h;
      const SimStats *stats;
      host_init (&h, "stm32f405", 1.0);
      g_assert_cmpuint (erase_page (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
      g_assert_cmpuint (erase_page (&h, FLASH + 0x4000), ==, SIM_STATE_DNLOAD_IDLE);
      if (style == 0)
        for (gsize pos = 0; pos < 20000; pos += 2048)
          {
            g_assert_cmpuint (set_address (&h, FLASH + (guint32) pos), ==, SIM_STATE_DNLOAD_IDLE);
            g_assert_cmpuint (dfuse_op (&h, 2, d + pos, (guint16) MIN (2048, 20000 - pos)), ==, SIM_STATE_DNLOAD_IDLE);
          }
      else
        write_blocks (&h, FLASH, data);
      g_assert_cmpmem (sim_device_peek (h.dev, FLASH, 20000), 20000, d, 20000);
      stats = sim_device_get_stats (h.dev);
      transfers[style] = stats->transfers;
      floors[style] = sim_stats_floor_us (stats);
      g_assert_cmpuint (stats->ops[SIM_OP_WRITE].count, ==, 10);
      g_assert_cmpuint (stats->ops[SIM_OP_SET_ADDRESS].count, ==, style == 0 ? 10 : 1);
      host_clear (&h);
    }
  g_assert_cmpuint (transfers[0], ==, 2 * 3 + 10 * 6);
  g_assert_cmpuint (transfers[1], ==, 2 * 3 + 3 + 10 * 3);
  /* the floor is the same: set addresses are the host's choice */
  g_assert_cmpuint (floors[0], ==, floors[1]);
}


static SimDevice *
device_from_json (const gchar *json, SimProfile **profile_out)
{
  g_autofree gchar *path = write_temp_profile (json);
  g_autoptr(GError) error = NULL;
  SimProfile *profile = sim_profile_load (path, &error);
  g_assert_no_error (error);
  remove_temp_profile (path);
  *profile_out = profile;
  return sim_device_new (profile, NULL, 1.0);
}

static void
test_more_transitions (void)
{
  Host h;
  guint8 buf[16];
  SimEvent event;
  guint n;
  g_autofree SimEvent *events = NULL;

  host_init (&h, "stm32f405", 1.0);
  /* UPLOAD of length 0 ends an upload */
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 0, 0, buf, 4), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_UPLOAD_IDLE);
  g_assert_cmpint (ctrl (&h, REQ_IN_DFU, SIM_DFU_UPLOAD, 2, 0, buf, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_DFU_IDLE);
  /* dfuMANIFEST-SYNC -ABORT-> dfuIDLE: the leave is called off */
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstate (&h), ==, SIM_STATE_MANIFEST_SYNC);
  g_assert_cmpint (simple (&h, SIM_DFU_ABORT), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  g_assert_false (sim_device_pop_event (h.dev, &event));
  /* a USB reset in the middle of a download: back to dfuIDLE */
  g_assert_cmpuint (set_address (&h, FLASH), ==, SIM_STATE_DNLOAD_IDLE);
  g_assert_cmpint (sim_device_reset (h.dev, h.now), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_DFU_IDLE);
  /* leave straight from dfuIDLE, as dfu-util does without an address */
  g_assert_cmpint (dnload (&h, 0, NULL, 0), ==, SIM_RESULT_OK);
  g_assert_cmpuint (getstatus (&h), ==, SIM_STATE_MANIFEST);
  events = pop_events (&h, &n);
  g_assert_cmpuint (n, ==, 2);
  host_clear (&h);

  /* after leave: gone for good, or back as the bootloader */
  {
    g_autoptr(SimProfile) profile = NULL;
    g_autoptr(SimDevice) dev = device_from_json ("{ \"usb\": { \"vid\": 1, \"pid\": 2 },"
                                                 " \"alts\": [ { \"name\": \"@F/0x0/4*1Kg\" } ],"
                                                 " \"after_leave\": \"gone\" }", &profile);
    SimSetup leave = { REQ_OUT_DFU, SIM_DFU_DNLOAD, 0, 0, 0 };
    SimSetup status = { REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, 6 };
    gsize actual;
    guint64 done;
    g_assert_cmpint (sim_device_control (dev, 10, &leave, NULL, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_true (sim_device_pop_event (dev, &event));
    g_assert_cmpint (event.type, ==, SIM_EVENT_DISCONNECT);
    g_assert_false (sim_device_pop_event (dev, &event));
    g_assert_false (sim_device_is_connected (dev));
  }
  {
    g_autoptr(SimProfile) profile = NULL;
    g_autoptr(SimDevice) dev = device_from_json ("{ \"usb\": { \"vid\": 1, \"pid\": 2 },"
                                                 " \"alts\": [ { \"name\": \"@F/0x0/4*1Kg\" } ],"
                                                 " \"after_leave\": \"bootloader\" }", &profile);
    SimSetup leave = { REQ_OUT_DFU, SIM_DFU_DNLOAD, 0, 0, 0 };
    SimSetup status = { REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, 6 };
    gsize actual;
    guint64 done;
    g_assert_cmpint (sim_device_control (dev, 10, &leave, NULL, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_true (sim_device_pop_event (dev, &event));
    g_assert_true (sim_device_pop_event (dev, &event));
    g_assert_cmpint (event.type, ==, SIM_EVENT_CONNECT);
    g_assert_cmphex (sim_device_get_info (dev)->pid, ==, 2);
    g_assert_true (sim_device_is_connected (dev));
    g_assert_cmpint (sim_device_control (dev, event.at_us, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpuint (buf[4], ==, SIM_STATE_DFU_IDLE);
  }
  /* a manifestation-tolerant plain DFU device goes back to dfuIDLE */
  {
    g_autoptr(SimProfile) profile = NULL;
    g_autoptr(SimDevice) dev = device_from_json ("{ \"mode\": \"dfu\", \"usb\": { \"vid\": 1, \"pid\": 2 },"
                                                 " \"dfu\": { \"attributes\": \"0x07\", \"transfer_size\": 64 },"
                                                 " \"alts\": [ { \"name\": \"Flash\", \"geometry\": \"@F/0x0/4*1Kg\" } ] }",
                                                 &profile);
    SimSetup data = { REQ_OUT_DFU, SIM_DFU_DNLOAD, 0, 0, 16 };
    SimSetup leave = { REQ_OUT_DFU, SIM_DFU_DNLOAD, 1, 0, 0 };
    SimSetup status = { REQ_IN_DFU, SIM_DFU_GETSTATUS, 0, 0, 6 };
    gsize actual;
    guint64 done = 10;
    memset (buf, 0x77, sizeof buf);
    g_assert_cmpint (sim_device_control (dev, done, &data, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpuint (buf[4], ==, SIM_STATE_DNLOAD_IDLE);
    g_assert_cmpint (sim_device_control (dev, done, &leave, NULL, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpuint (buf[4], ==, SIM_STATE_MANIFEST);
    /* back in dfuMANIFEST-SYNC after the manifestation, which this status request leaves */
    g_assert_cmpint (sim_device_control (dev, done, &status, buf, &actual, &done), ==, SIM_RESULT_OK);
    g_assert_cmpuint (buf[4], ==, SIM_STATE_DFU_IDLE);
    g_assert_cmpuint (sim_device_peek (dev, 0, 16)[15], ==, 0x77);
    g_assert_false (sim_device_pop_event (dev, &event));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DEFUSE_SIM_PROFILES") == NULL)
    g_setenv ("DEFUSE_SIM_PROFILES", SIM_TEST_PROFILE_DIR, TRUE);

  g_test_add_func ("/sim/profiles/all", test_profiles_all);
  g_test_add_func ("/sim/profiles/bad", test_profiles_bad);
  g_test_add_func ("/sim/profiles/serve-corpus-names", test_profiles_serve_corpus_names);
  g_test_add_func ("/sim/usb/standard-requests", test_standard_requests);
  g_test_add_func ("/sim/dfuse/states", test_dfuse_states);
  g_test_add_func ("/sim/dfuse/leave", test_dfuse_leave);
  g_test_add_func ("/sim/dfuse/more-transitions", test_more_transitions);
  g_test_add_func ("/sim/dfuse/detach", test_dfuse_detach);
  g_test_add_func ("/sim/dfuse/commands", test_dfuse_commands);
  g_test_add_func ("/sim/flash/nor-and", test_nor_and);
  g_test_add_func ("/sim/flash/nor-keep", test_nor_keep);
  g_test_add_func ("/sim/flash/l476-double-words", test_l476_double_words);
  g_test_add_func ("/sim/timing/early-status-error", test_early_status_error);
  g_test_add_func ("/sim/flash/rules", test_flash_rules);
  g_test_add_func ("/sim/flash/files", test_flash_files);
  g_test_add_func ("/sim/rdp", test_rdp);
  g_test_add_func ("/sim/faults/specs", test_fault_specs);
  g_test_add_func ("/sim/faults/stall", test_fault_stall);
  g_test_add_func ("/sim/faults/status", test_fault_status);
  g_test_add_func ("/sim/faults/disconnect", test_fault_disconnect);
  g_test_add_func ("/sim/faults/answers", test_fault_answers);
  g_test_add_func ("/sim/faults/unplug", test_unplug);
  g_test_add_func ("/sim/time/accounting", test_timing);
  g_test_add_func ("/sim/time/scale", test_timing_scale);
  g_test_add_func ("/sim/time/busy-quirks", test_busy_quirks);
  g_test_add_func ("/sim/stats/json", test_stats_json);
  g_test_add_func ("/sim/dfu11", test_dfu11);
  g_test_add_func ("/sim/runtime/detach-reset", test_runtime);
  g_test_add_func ("/sim/runtime/will-detach", test_runtime_will_detach);
  g_test_add_func ("/sim/gd32vf103", test_gd32);
  g_test_add_func ("/sim/host-styles", test_host_styles);
  return g_test_run ();
}
