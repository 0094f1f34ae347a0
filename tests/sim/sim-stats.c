/* sim-stats.c: statistics of one virtual device, as JSON (defuse-sim
 * --stats) and as a text log (--log).
 *
 * All times are microseconds of the host's monotonic clock, already
 * multiplied by the time scale (so they add up to what the run took).
 * JSON keys:
 *
 *   profile, serial, time_scale
 *   span_us             first request to last answer
 *   transfers           control transfers answered or not, all kinds
 *   by_request          {"GET_DESCRIPTOR": n, "SET_CONFIGURATION": n,
 *                        "DFU_DNLOAD": n, "DFU_GETSTATUS": n, ...}; one key
 *                        per standard and DFU request seen, "OTHER" for the rest
 *   stalled, nodev, no_answer   transfers that ended that way
 *   bytes_out, bytes_in data stage bytes host to device and back
 *   wire_us             time on the wire (per-transfer latency + bytes / rate)
 *   busy_us             time the device spent erasing, writing, manifesting
 *   poll_timeout_us     sum of the bwPollTimeout values it asked the host to
 *                       wait (reported with dfuDNBUSY / dfuMANIFEST)
 *   nak_us              time requests were held because the device was busy:
 *                       the host asked before the device was ready
 *   idle_us             time the device was ready with no request pending
 *   idle_after_poll_us  the part of idle_us after the requested wait had
 *                       also passed: time that is the host's alone
 *   early_polls         GETSTATUS requests sent before bwPollTimeout passed
 *   early_refused       of those, refused with a stall and dfuERROR/
 *                       errSTALLEDPKT (a spec-strict device, early-status=error)
 *   early_polls_after_refused  early GETSTATUS after the first refusal: a
 *                       host that learns from it sends none
 *   connects, disconnects  bus events caused by the device
 *   ops                 per operation ("set_address", "erase", "mass_erase",
 *                       "read_unprotect", "write", "leave", "read"):
 *                       {count, bytes, busy_us, poll_us, wire_us, floor_us,
 *                       busy_floor_us, failed}.  wire_us counts the minimal requests for
 *                       the operation: one DNLOAD and two GETSTATUS (leave:
 *                       one DNLOAD and one GETSTATUS; read: its UPLOAD), not
 *                       what the host actually sent.  floor_us (the spec
 *                       floor) is max (busy, poll) + that wire time per
 *                       operation; busy_floor_us (the busy floor) is busy +
 *                       that wire time.
 *   floor_us            DESIGN.md section 5: the sum of ops floor_us for
 *                       erase, mass_erase, write, read_unprotect, leave and
 *                       read.  set_address is left out because a host needs
 *                       only one per contiguous block (add
 *                       ops.set_address.floor_us / count per block if you
 *                       want that in the floor); enumeration is left out.
 *                       host overhead = wall time - floor_us.
 *   busy_floor_us       the same sum of ops busy_floor_us: the physical
 *                       limit, reachable by a host that asks early where
 *                       the device lets it (it holds or answers the status)
 *   events              [{t_us, event, detail}], t_us from the first event;
 *                       events: connect, disconnect, reset, detach,
 *                       set_configuration, set_interface, op names, error,
 *                       stall, fault.  At most 200000 are kept
 *                       (events_dropped says how many more there were).
 */
#include <json-glib/json-glib.h>

#include "sim-stats.h"

#define LOG_MAX 200000

static void
log_entry_clear (gpointer data)
{
  SimLogEntry *entry = data;
  g_free (entry->event);
  g_free (entry->detail);
}

SimStats *
sim_stats_new (void)
{
  SimStats *stats = g_new0 (SimStats, 1);
  stats->by_request = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  stats->log = g_array_new (FALSE, FALSE, sizeof (SimLogEntry));
  g_array_set_clear_func (stats->log, log_entry_clear);
  stats->first_us = G_MAXUINT64;
  return stats;
}

void
sim_stats_free (SimStats *stats)
{
  if (stats == NULL)
    return;
  g_hash_table_unref (stats->by_request);
  g_array_unref (stats->log);
  g_free (stats);
}

void
sim_stats_count_request (SimStats *stats, const gchar *name)
{
  guint64 *count = g_hash_table_lookup (stats->by_request, name);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (stats->by_request, g_strdup (name), count);
    }
  (*count)++;
  stats->transfers++;
}

void
sim_stats_log (SimStats *stats, guint64 t_us, const gchar *event, const gchar *format, ...)
{
  SimLogEntry entry;
  va_list args;

  if (stats->log->len >= LOG_MAX)
    {
      stats->log_dropped++;
      return;
    }
  entry.t_us = t_us;
  entry.event = g_strdup (event);
  va_start (args, format);
  entry.detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (stats->log, entry);
}

/* the operations both floors count */
static const SimOpKind floor_ops[] = {
  SIM_OP_ERASE, SIM_OP_MASS_ERASE, SIM_OP_WRITE, SIM_OP_READ_UNPROTECT, SIM_OP_LEAVE, SIM_OP_READ,
};

guint64
sim_stats_floor_us (const SimStats *stats)
{
  guint64 floor_us = 0;
  for (guint i = 0; i < G_N_ELEMENTS (floor_ops); i++)
    floor_us += stats->ops[floor_ops[i]].floor_us;
  return floor_us;
}

guint64
sim_stats_busy_floor_us (const SimStats *stats)
{
  guint64 floor_us = 0;
  for (guint i = 0; i < G_N_ELEMENTS (floor_ops); i++)
    floor_us += stats->ops[floor_ops[i]].busy_floor_us;
  return floor_us;
}

static guint64
time_origin (const SimStats *stats)
{
  guint64 t0 = stats->first_us;
  for (guint i = 0; i < stats->log->len; i++)
    t0 = MIN (t0, g_array_index (stats->log, SimLogEntry, i).t_us);
  return t0 == G_MAXUINT64 ? 0 : t0;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

gchar *
sim_stats_to_json (const SimStats *stats, const gchar *profile, const gchar *serial, gdouble time_scale)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  guint64 t0 = time_origin (stats);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "profile");
  json_builder_add_string_value (b, profile);
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, serial);
  json_builder_set_member_name (b, "time_scale");
  json_builder_add_double_value (b, time_scale);
  json_builder_set_member_name (b, "span_us");
  json_builder_add_int_value (b, stats->first_us == G_MAXUINT64 ? 0 : (gint64) (stats->last_us - stats->first_us));

#define INT_MEMBER(name, value) \
  G_STMT_START { json_builder_set_member_name (b, name); json_builder_add_int_value (b, (gint64) (value)); } G_STMT_END

  INT_MEMBER ("transfers", stats->transfers);
  json_builder_set_member_name (b, "by_request");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, stats->by_request);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, key);
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      const gchar *name = g_ptr_array_index (names, i);
      INT_MEMBER (name, *(guint64 *) g_hash_table_lookup (stats->by_request, name));
    }
  json_builder_end_object (b);
  INT_MEMBER ("stalled", stats->stalled);
  INT_MEMBER ("nodev", stats->nodev);
  INT_MEMBER ("no_answer", stats->no_answer);
  INT_MEMBER ("bytes_out", stats->bytes_out);
  INT_MEMBER ("bytes_in", stats->bytes_in);
  INT_MEMBER ("wire_us", stats->wire_us);
  INT_MEMBER ("busy_us", stats->busy_us);
  INT_MEMBER ("poll_timeout_us", stats->poll_us);
  INT_MEMBER ("nak_us", stats->nak_us);
  INT_MEMBER ("idle_us", stats->idle_us);
  INT_MEMBER ("idle_after_poll_us", stats->idle_after_poll_us);
  INT_MEMBER ("early_polls", stats->early_polls);
  INT_MEMBER ("early_refused", stats->early_refused);
  INT_MEMBER ("early_polls_after_refused", stats->early_polls_after_refused);
  INT_MEMBER ("connects", stats->connects);
  INT_MEMBER ("disconnects", stats->disconnects);

  json_builder_set_member_name (b, "ops");
  json_builder_begin_object (b);
  for (guint i = 0; i < SIM_OP_LAST; i++)
    {
      const SimOpStats *op = &stats->ops[i];
      json_builder_set_member_name (b, sim_op_to_string (i));
      json_builder_begin_object (b);
      INT_MEMBER ("count", op->count);
      INT_MEMBER ("bytes", op->bytes);
      INT_MEMBER ("busy_us", op->busy_us);
      INT_MEMBER ("poll_us", op->poll_us);
      INT_MEMBER ("wire_us", op->wire_us);
      INT_MEMBER ("floor_us", op->floor_us);
      INT_MEMBER ("busy_floor_us", op->busy_floor_us);
      INT_MEMBER ("failed", op->failed);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  INT_MEMBER ("floor_us", sim_stats_floor_us (stats));
  INT_MEMBER ("busy_floor_us", sim_stats_busy_floor_us (stats));

  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < stats->log->len; i++)
    {
      const SimLogEntry *entry = &g_array_index (stats->log, SimLogEntry, i);
      json_builder_begin_object (b);
      INT_MEMBER ("t_us", entry->t_us - t0);
      json_builder_set_member_name (b, "event");
      json_builder_add_string_value (b, entry->event);
      json_builder_set_member_name (b, "detail");
      json_builder_add_string_value (b, entry->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  INT_MEMBER ("events_dropped", stats->log_dropped);
#undef INT_MEMBER
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

gchar *
sim_stats_log_text (const SimStats *stats)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint64 t0 = time_origin (stats);

  for (guint i = 0; i < stats->log->len; i++)
    {
      const SimLogEntry *entry = &g_array_index (stats->log, SimLogEntry, i);
      guint64 t = entry->t_us - t0;
      g_string_append_printf (out, "%6" G_GUINT64_FORMAT ".%06u %-17s %s\n",
                              t / 1000000, (guint) (t % 1000000), entry->event, entry->detail);
    }
  if (stats->log_dropped > 0)
    g_string_append_printf (out, "(%u more events not kept)\n", stats->log_dropped);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
