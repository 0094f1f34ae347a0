/* fuzz-device: the real engine (describe, plan, job, read, leave, mass
 * erase, detach) against a scripted device whose every answer comes from
 * the input (fuzz-device-script.h), and MicroPython's answer parsing.
 *
 * Input: an operation byte, option bits, the device's descriptors and
 * behaviour, the image's segments, a read's offset and length, then the
 * script (fuzz-device-script.h); see read_device() and read_image_spec().  Properties, each an abort:
 *   - no crash, no undefined behaviour (ASan, UBSan);
 *   - no wait past a bound, in virtual time: no single wait of the engine
 *     longer than MAX_WAIT_MS, no DNLOAD with its status requests longer
 *     than MAX_OPERATION_MS, no whole operation longer than
 *     RUN_BASE_MS + RUN_PER_DNLOAD_MS per DNLOAD;
 *   - no write outside the plan: every page erased lies in a sector the
 *     plan erases, every byte written in a sector it touches, and is the
 *     plan's byte there or 0xFF padding; a plain DFU download is a prefix
 *     of the payload; read, leave and detach erase and write nothing,
 *     only a mass erase mass-erases, and a FLIP chip erase comes with a
 *     plan that erases the whole application section, a mass erase, or
 *     --force (a locked chip's EEPROM). */
#include <string.h>

#include "df-flip-command.h"
#include "df-job.h"
#include "df-micropython.h"
#include "df-usb.h"
#include "fuzz-common.h"
#include "fuzz-device-script.h"

/* The bounds, virtual time.  The longest a device may keep the engine
 * waiting for one operation is an erase: DF_MAX_BUSY_MS (40 s, a mass
 * erase takes seconds), and a status request may be held up to its 5 s
 * timeout beyond it.  An operation that waits longer than twice that
 * obeys a bwPollTimeout it should have capped.  A whole run may retry
 * (8 times), wait for a detached device (up to 65 s + 5 s) and for a
 * reset one (3 x 5 s): ten minutes plus two per DNLOAD covers them. */
#define MAX_WAIT_MS        (DF_MAX_BUSY_MS + 10000)
#define MAX_OPERATION_MS   (2 * (DF_MAX_BUSY_MS + 10000))
#define RUN_BASE_MS        (10 * 60 * 1000)
#define RUN_PER_DNLOAD_MS  (2 * 60 * 1000)

#define MAX_SEGMENT 4096

typedef enum {
  OP_FLASH,
  OP_FLASH_BACKUP,
  OP_READ,
  OP_LEAVE,
  OP_MASS_ERASE,
  OP_LIST,
  OP_MICROPYTHON,
  OP_COUNT,
} Operation;

enum {
  OPT_VERIFY = 1 << 0,
  OPT_LEAVE = 1 << 1,
  OPT_DIFF = 1 << 2,
  OPT_MASS_ERASE = 1 << 3,
  OPT_FORCE = 1 << 4,
  OPT_BLOCK_BY_LENGTH = 1 << 5,
  OPT_COMES_BACK = 1 << 6,
  OPT_RUNTIME = 1 << 7,
};

static gchar *backup_path;
/* FUZZ_DEVICE_VERBOSE=1: say how each input ended, for reading a reproducer */
static gboolean verbose;

static void
report (const gchar *what, const GError *error, ScriptedDevice *device)
{
  if (!verbose)
    return;
  g_printerr ("fuzz-device: %s: %s; %u ops, %u DNLOADs, %" G_GINT64_FORMAT " ms\n", what,
              error != NULL ? error->message : "ok", scripted_device_get_ops (device)->len,
              scripted_device_get_dnloads (device), scripted_device_elapsed_us (device) / 1000);
}

/* the engine's debug lines and warnings would be most of the time spent;
 * errors and criticals (ours and the engine's) are printed as usual */
static void
quiet_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL))
    g_log_default_handler (domain, level, message, user_data);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree gchar *dir = g_dir_make_tmp ("fuzz-device-XXXXXX", NULL);

  backup_path = g_build_filename (dir, "backup.dfu", NULL);
  verbose = g_getenv ("FUZZ_DEVICE_VERBOSE") != NULL;
  /* FUZZ_DEVICE_VERBOSE=2: the engine's transcript too */
  if (g_strcmp0 (g_getenv ("FUZZ_DEVICE_VERBOSE"), "2") != 0)
    {
      g_log_set_handler ("defuse", G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
      g_log_set_default_handler (quiet_log, NULL);
    }
  g_setenv ("DEFUSE_QUIRKS_DIR", "/nonexistent", TRUE);
  g_setenv ("DEFUSE_CATALOG_DIR", "/nonexistent", TRUE);
  return 0;
}

static GBytes *
string_or_null (FuzzReader *r)
{
  GBytes *bytes = fuzz_string (r);

  if (g_bytes_get_size (bytes) > 0)
    return bytes;
  g_bytes_unref (bytes);
  return NULL;
}

/* the descriptors and behaviour, off the input */
static void
read_device (FuzzReader *r, guint8 options, ScriptedDeviceConfig *config)
{
  guint8 class_byte;
  guint n_alts;

  config->memory_fill = fuzz_u8 (r);
  config->busy_poll_ms = fuzz_u16 (r);
  config->vid = fuzz_u16 (r);
  config->pid = fuzz_u16 (r);
  config->bcd_device = fuzz_u16 (r);
  /* 0: DFU's class, anything else a raw class and subclass */
  class_byte = fuzz_u8 (r);
  config->class_code = class_byte == 0 ? 0xFE : class_byte;
  config->subclass = class_byte == 0 ? 0x01 : fuzz_u8 (r);
  config->protocol = options & OPT_RUNTIME ? 1 : 2;
  config->functional = fuzz_string (r);
  n_alts = 1 + fuzz_u8 (r) % 4;
  config->alt_names = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n_alts; i++)
    g_ptr_array_add (config->alt_names, fuzz_string (r));
  config->manufacturer = string_or_null (r);
  config->product = string_or_null (r);
  config->serial = string_or_null (r);
  config->block_by_length = (options & OPT_BLOCK_BY_LENGTH) != 0;
  config->comes_back = (options & OPT_COMES_BACK) != 0;
  config->max_wait_us = (gint64) MAX_WAIT_MS * 1000;
  config->max_operation_us = (gint64) MAX_OPERATION_MS * 1000;
}

/* where a segment's offset counts from: the alt's first region */
static guint32
alt_base (DfDevice *device, guint8 alt)
{
  DfAlt *a = df_device_find_alt (device, alt);

  if (a != NULL && a->layout != NULL && a->layout->regions->len > 0)
    return ((DfRegion *) g_ptr_array_index (a->layout->regions, 0))->start;
  return 0;
}

/* 1 to 3 segments, each an alt, an offset from the alt's first region, a
 * size and a byte pattern; read before the device exists, made into an
 * image once it is described */
typedef struct {
  guint n;
  struct {
    guint8  alt;
    guint32 offset;
    gsize   size;
    guint8  seed;
  } segments[3];
} ImageSpec;

static void
read_image_spec (FuzzReader *r, ImageSpec *spec)
{
  spec->n = 1 + fuzz_u8 (r) % 3;
  for (guint i = 0; i < spec->n; i++)
    {
      spec->segments[i].alt = fuzz_u8 (r) % 4;
      spec->segments[i].offset = fuzz_u32 (r);
      spec->segments[i].size = 1 + fuzz_u16 (r) % MAX_SEGMENT;
      spec->segments[i].seed = fuzz_u8 (r);
    }
}

/* DfuSe, or (a runtime device) DfuSe once detached: as df-usb-describe.c decides */
static gboolean
speaks_dfuse (DfDevice *device)
{
  return device->mode == DF_DEVICE_MODE_DFUSE || device->dfu_version == 0x011A ||
         (device->alts->len > 0 && ((DfAlt *) g_ptr_array_index (device->alts, 0))->layout != NULL);
}

/* a plain DFU device gets the first segment as a payload without address */
static DfImage *
make_image (const ImageSpec *spec, DfDevice *device)
{
  gboolean plain = !speaks_dfuse (device);
  DfImage *image = df_image_new (plain ? DF_FORMAT_DFU : DF_FORMAT_DFUSE, "fuzz");

  for (guint i = 0; i < spec->n; i++)
    {
      guint8 alt = spec->segments[i].alt;
      gsize size = spec->segments[i].size;
      guint8 *data = g_malloc (size);
      g_autoptr(GBytes) bytes = NULL;
      DfTarget *target = NULL;

      for (gsize j = 0; j < size; j++)
        data[j] = (guint8) (spec->segments[i].seed + j * 13);
      bytes = g_bytes_new_take (data, size);
      if (plain)
        {
          df_target_add_payload (df_image_add_target (image, 0, NULL), bytes);
          break;
        }
      for (guint t = 0; t < image->targets->len; t++)
        if (((DfTarget *) g_ptr_array_index (image->targets, t))->alt == alt)
          target = g_ptr_array_index (image->targets, t);
      if (target == NULL)
        target = df_image_add_target (image, alt, NULL);
      df_target_add_segment (target, alt_base (device, alt) + spec->segments[i].offset, bytes);
    }
  return image;
}

static DfPlanTarget *
plan_target (DfPlan *plan, guint8 alt)
{
  for (guint i = 0; i < plan->targets->len; i++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, i);
      if (target->alt == alt)
        return target;
    }
  return NULL;
}

static gboolean
in_sector (const DfPlanSector *s, guint32 address)
{
  return address >= s->start && (guint64) address < (guint64) s->start + s->size;
}

/* Each target's sectors in order of their start, built once per input: a
 * fuzzed layout may hold 65535 tiny sectors, in any order, and a linear
 * search per byte made single inputs run for a minute (libFuzzer timeouts
 * that were the harness's, not Defuse's).  Reset for every input: a freed
 * target's address may come back. */
static GHashTable *sector_indices;   /* DfPlanTarget * → GArray of guint */

static void
sector_index_reset (void)
{
  if (sector_indices == NULL)
    sector_indices = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  g_hash_table_remove_all (sector_indices);
}

static DfPlanSector *
plan_sector_slow (DfPlanTarget *target, guint32 address)
{
  DfPlanSector *found = NULL;

  for (guint i = 0; i < target->sectors->len; i++)
    {
      DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
      if (in_sector (s, address) && (found == NULL || (s->touched && !found->touched)))
        found = s;
    }
  return found;
}

static gint
compare_sector_starts (gconstpointer a, gconstpointer b, gpointer sectors)
{
  guint32 sa = g_array_index ((GArray *) sectors, DfPlanSector, *(const guint *) a).start;
  guint32 sb = g_array_index ((GArray *) sectors, DfPlanSector, *(const guint *) b).start;
  return sa < sb ? -1 : sa > sb;
}

static DfPlanSector *
plan_sector (DfPlanTarget *target, guint32 address)
{
  GArray *order = g_hash_table_lookup (sector_indices, target);
  guint low = 0, high;

  if (order == NULL)
    {
      order = g_array_sized_new (FALSE, FALSE, sizeof (guint), target->sectors->len);
      for (guint i = 0; i < target->sectors->len; i++)
        g_array_append_val (order, i);
      g_array_sort_with_data (order, compare_sector_starts, target->sectors);
      g_hash_table_insert (sector_indices, target, order);
    }
  /* the last sector starting at or before address */
  high = order->len;
  while (low < high)
    {
      guint mid = low + (high - low) / 2;
      if (g_array_index (target->sectors, DfPlanSector, g_array_index (order, guint, mid)).start <= address)
        low = mid + 1;
      else
        high = mid;
    }
  if (low > 0 && in_sector (&g_array_index (target->sectors, DfPlanSector, g_array_index (order, guint, low - 1)),
                            address))
    return &g_array_index (target->sectors, DfPlanSector, g_array_index (order, guint, low - 1));
  /* overlapping regions (a broken layout; the first one wins in
   * df-layout.c): the slow way, preferring a sector the plan touches, since
   * the same bytes then belong to two sectors and the plan may have marked
   * either */
  return plan_sector_slow (target, address);
}

static gboolean
in_write (const DfPlanWrite *write, guint32 address)
{
  return write != NULL && address >= write->address &&
         (guint64) address < (guint64) write->address + g_bytes_get_size (write->data);
}

/* the plan's byte at address, or -1 where the plan writes none; *last
 * keeps the write found, so a run of bytes costs one search */
static gint
plan_byte (DfPlanTarget *target, guint32 address, DfPlanWrite **last)
{
  for (guint i = 0; !in_write (*last, address) && i < target->writes->len; i++)
    *last = g_ptr_array_index (target->writes, i);
  if (!in_write (*last, address))
    return -1;
  return ((const guint8 *) g_bytes_get_data ((*last)->data, NULL))[address - (*last)->address];
}

static void G_GNUC_NORETURN
outside_plan (const ScriptOp *op, const gchar *why)
{
  fuzz_violation ("write outside the plan: %s (op %d, alt %u, address 0x%08x, %zu bytes)",
           why, op->kind, op->alt, op->address, op->data != NULL ? g_bytes_get_size (op->data) : 0);
}

static void
check_write (DfPlan *plan, const ScriptOp *op)
{
  DfPlanTarget *target = plan_target (plan, op->alt);
  gsize size;
  const guint8 *data = g_bytes_get_data (op->data, &size);

  DfPlanSector *s = NULL;
  DfPlanWrite *last = NULL;

  if (target == NULL)
    outside_plan (op, "an alt setting the plan does not write");
  for (gsize i = 0; i < size; i++)
    {
      guint32 at = op->address + (guint32) i;
      gint want = plan_byte (target, at, &last);

      /* a run of bytes stays in one sector: searched again only past it */
      if (s == NULL || at < s->start || (guint64) at >= (guint64) s->start + s->size)
        s = plan_sector (target, at);
      if (s != NULL && !s->touched)
        s = plan_sector_slow (target, at);
      if ((guint64) op->address + i > G_MAXUINT32 || s == NULL || !s->touched)
        outside_plan (op, "a byte in a sector the plan does not touch");
      if (want >= 0 ? data[i] != want : data[i] != 0xff)
        outside_plan (op, "a byte that is neither the plan's nor padding");
    }
}

/* FUZZ_DEVICE_VERBOSE=2: the plan and what the device saw, for reading a
 * reproducer */
static void
dump (DfPlan *plan, GPtrArray *ops)
{
  for (guint t = 0; plan != NULL && t < plan->targets->len; t++)
    {
      DfPlanTarget *target = g_ptr_array_index (plan->targets, t);

      g_printerr ("plan: alt %u, %u sectors, %u writes\n", target->alt, target->sectors->len, target->writes->len);
      for (guint i = 0; i < target->sectors->len && i < 64; i++)
        {
          DfPlanSector *s = &g_array_index (target->sectors, DfPlanSector, i);
          g_printerr ("  sector %u: 0x%08x +%u flags %x%s%s\n", i, s->start, s->size, s->flags,
                      s->touched ? " touched" : "", s->erase ? " erase" : "");
        }
      for (guint i = 0; i < target->writes->len && i < 64; i++)
        {
          DfPlanWrite *w = g_ptr_array_index (target->writes, i);
          g_printerr ("  write 0x%08x +%zu\n", w->address, g_bytes_get_size (w->data));
        }
    }
  for (guint i = 0; i < ops->len; i++)
    {
      const ScriptOp *op = g_ptr_array_index (ops, i);
      g_printerr ("op %u: kind %d, alt %u, 0x%08x +%zu\n", i, op->kind, op->alt, op->address,
                  op->data != NULL ? g_bytes_get_size (op->data) : 0);
    }
}

/* a FLIP chip erase clears the whole application section: only for a
 * plan that erases every page of it (a flash of the flash), or asked for
 * (a mass erase; --force on a locked chip, to write its EEPROM) */
static gboolean
chip_erase_planned (DfPlan *plan, Operation operation, guint8 options)
{
  DfPlanTarget *flash = plan != NULL ? plan_target (plan, 0) : NULL;

  if (operation == OP_MASS_ERASE || (plan != NULL && (options & OPT_FORCE)))
    return TRUE;
  if (flash == NULL || flash->writes->len == 0)
    return FALSE;
  for (guint i = 0; i < flash->sectors->len; i++)
    {
      DfPlanSector *s = &g_array_index (flash->sectors, DfPlanSector, i);
      if ((s->flags & DF_SECTOR_WRITEABLE) && !s->erase)
        return FALSE;
    }
  return TRUE;
}

static void
check_ops (ScriptedDevice *device, DfPlan *plan, Operation operation, guint8 options)
{
  GPtrArray *ops = scripted_device_get_ops (device);

  if (g_strcmp0 (g_getenv ("FUZZ_DEVICE_VERBOSE"), "2") == 0)
    dump (plan, ops);
  sector_index_reset ();
  for (guint i = 0; i < ops->len; i++)
    {
      const ScriptOp *op = g_ptr_array_index (ops, i);
      DfPlanTarget *target;
      DfPlanSector *s;

      if (op->kind == SCRIPT_MASS_ERASE && operation == OP_MASS_ERASE)
        continue;
      if (op->kind == SCRIPT_CHIP_ERASE)
        {
          if (!chip_erase_planned (plan, operation, options))
            outside_plan (op, "a chip erase the plan does not ask for");
          continue;
        }
      if (plan == NULL)
        outside_plan (op, "a change with no plan");
      switch (op->kind)
        {
        case SCRIPT_ERASE:
          target = plan_target (plan, op->alt);
          s = target != NULL ? plan_sector (target, op->address) : NULL;
          if (s != NULL && !s->touched)
            s = plan_sector_slow (target, op->address);
          if (s == NULL || !(s->erase || (plan->options.mass_erase && s->touched)))
            outside_plan (op, "an erase of a sector the plan does not erase");
          break;
        case SCRIPT_MASS_ERASE:
          if (!plan->options.mass_erase)
            outside_plan (op, "a mass erase the plan does not ask for");
          break;
        case SCRIPT_UNPROTECT:
          outside_plan (op, "a read unprotect");
          break;
        case SCRIPT_WRITE:
          check_write (plan, op);
          break;
        case SCRIPT_DOWNLOAD:
        default:
          {
            DfPlanTarget *t = g_ptr_array_index (plan->targets, 0);
            DfPlanWrite *w = t->writes->len > 0 ? g_ptr_array_index (t->writes, 0) : NULL;
            gsize size, have;
            const guint8 *data = g_bytes_get_data (op->data, &size);
            const guint8 *payload = w != NULL ? g_bytes_get_data (w->data, &have) : NULL;

            if (payload == NULL || (guint64) op->address + size > have ||
                memcmp (payload + op->address, data, size) != 0)
              outside_plan (op, "a download that is not the payload's");
          }
          break;
        }
    }
}

static void
check_time (ScriptedDevice *device)
{
  gint64 elapsed_ms = scripted_device_elapsed_us (device) / 1000;
  gint64 bound_ms = RUN_BASE_MS + (gint64) RUN_PER_DNLOAD_MS * scripted_device_get_dnloads (device);

  scripted_device_end_operation (device);
  if (elapsed_ms > bound_ms)
    fuzz_violation ("the run took %" G_GINT64_FORMAT " ms of device time (bound %" G_GINT64_FORMAT " ms)",
             elapsed_ms, bound_ms);
}

/* what `defuse-cli list` shows of each */
static void
describe_all (GPtrArray *devices)
{
  for (guint i = 0; i < devices->len; i++)
    {
      DfDevice *device = g_ptr_array_index (devices, i);
      g_autofree gchar *text = df_device_describe (device);

      g_assert (text != NULL);
      for (guint a = 0; a < device->alts->len; a++)
        {
          DfAlt *alt = g_ptr_array_index (device->alts, a);
          g_autofree gchar *layout = alt->layout != NULL ? df_layout_describe (alt->layout) : NULL;

          g_assert (alt->layout == NULL || layout != NULL);
        }
    }
}

static void
identify_flip (DfDevice *device, GCancellable *cancellable)
{
  DfFlipIdentity identity;
  gboolean blank = FALSE;
  guint32 used = 0;
  g_autoptr(GError) error = NULL;

  if (df_flip_device_identify (device, &identity, cancellable, &error))
    df_flip_device_blank_check (device, &blank, &used, cancellable, &error);
}

static DfPlan *
run_job (DfDevice *device, DfImage *image, guint8 options, gboolean backup, ScriptedDevice *scripted)
{
  DfPlanOptions plan_options;
  g_autoptr(DfJob) job = NULL;
  g_autoptr(GError) error = NULL;
  DfPlan *plan;

  df_plan_options_init (&plan_options);
  plan_options.verify = (options & OPT_VERIFY) != 0;
  plan_options.leave = (options & OPT_LEAVE) != 0;
  plan_options.diff = (options & OPT_DIFF) != 0;
  plan_options.mass_erase = (options & OPT_MASS_ERASE) != 0;
  job = df_job_new (device, image, &plan_options);
  df_job_set_force (job, (options & OPT_FORCE) != 0);
  if (backup)
    df_job_set_backup (job, backup_path);
  df_job_run (job, scripted_device_get_cancellable (scripted), &error);
  report ("flash", error, scripted);
  plan = df_job_get_plan (job);
  return plan != NULL ? df_plan_ref (plan) : NULL;
}

static void
run_on_device (FuzzReader *r, Operation operation, guint8 options)
{
  ScriptedDeviceConfig config = { 0 };
  ImageSpec spec;
  ScriptedDevice *scripted;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(DfImage) image = NULL;
  g_autoptr(DfPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  DfDevice *device;
  guint32 offset;
  guint16 length;

  read_device (r, options, &config);
  read_image_spec (r, &spec);
  offset = fuzz_u32 (r) % (64 * 1024);
  length = fuzz_u16 (r) % (16 * 1024);
  scripted = scripted_device_new (&config, r);
  cancellable = scripted_device_get_cancellable (scripted);
  scripted_device_install (scripted);
  devices = df_usb_enumerate (NULL);
  describe_all (devices);
  if (devices->len == 0)
    goto done;
  device = g_ptr_array_index (devices, 0);
  if (operation == OP_LIST)
    {
      /* FLIP: what `defuse-cli info` and dfu-programmer's checks ask */
      if (device->mode == DF_DEVICE_MODE_FLIP)
        identify_flip (device, cancellable);
      goto done;
    }

  image = make_image (&spec, device);
  switch (operation)
    {
    case OP_FLASH:
    case OP_FLASH_BACKUP:
      plan = run_job (device, image, options, operation == OP_FLASH_BACKUP, scripted);
      break;
    case OP_READ:
      {
        g_autoptr(GBytes) read = df_device_read_memory (device, 0, alt_base (device, 0) + offset, length,
                                                        NULL, NULL, cancellable, &error);
        g_assert (read != NULL || error != NULL);
      }
      break;
    case OP_LEAVE:
      df_device_leave (device, 0, options & OPT_VERIFY, alt_base (device, 0) + offset, cancellable, &error);
      break;
    case OP_MASS_ERASE:
      /* FLIP: dfu-programmer's erase, the chip erase and its blank check */
      if (device->mode == DF_DEVICE_MODE_FLIP)
        df_flip_device_erase (device, cancellable, &error);
      else
        df_device_mass_erase (device, 0, cancellable, &error);
      break;
    default:
      break;
    }
  if (operation != OP_FLASH && operation != OP_FLASH_BACKUP)
    report ("operation", error, scripted);

done:
  check_time (scripted);
  check_ops (scripted, plan, operation, options);
  scripted_device_uninstall (scripted);
  scripted_device_free (scripted);
}

/* the rest of the input as what a board answers the query in raw mode:
 * its output up to the first Ctrl-D, then the exception up to "\x04>" */
static void
run_micropython (FuzzReader *r)
{
  DfSerialPort port = { .ref_count = 1, .name = "ttyACM0", .devnode = "/dev/ttyACM0", .path = "1-1" };
  g_autoptr(GByteArray) got = g_byte_array_new ();
  g_autoptr(GByteArray) err = g_byte_array_new ();
  g_autoptr(DfMicroPython) board = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *end = memchr (r->data, 0x04, r->left);
  gsize rest;

  if (end == NULL)
    return;
  g_byte_array_append (got, r->data, (guint) (end - r->data + 1));
  rest = r->left - got->len;
  for (gsize i = 0; i + 1 < rest; i++)
    if (end[1 + i] == 0x04 && end[2 + i] == '>')
      {
        g_byte_array_append (err, end + 1, (guint) (i + 2));
        break;
      }
  if (err->len == 0)
    return;
  board = df_micropython_parse_answer (&port, got, err, &error);
  if (verbose)
    g_printerr ("fuzz-device: micropython: %s\n", board != NULL ? board->machine : error->message);
  if (board != NULL)
    {
      g_autofree gchar *text = df_micropython_describe (board);
      g_assert (text != NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r = { data, size };
  Operation operation = fuzz_u8 (&r) % OP_COUNT;
  guint8 options = fuzz_u8 (&r);

  if (operation == OP_MICROPYTHON)
    run_micropython (&r);
  else
    run_on_device (&r, operation, options);
  return 0;
}
