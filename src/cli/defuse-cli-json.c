/* Small helpers for the JSON that info, list and --json events print. */
#include <stdio.h>

#include "defuse-cli.h"

void
cli_json_int (JsonBuilder *builder, const gchar *key, gint64 value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_int_value (builder, value);
}

void
cli_json_double (JsonBuilder *builder, const gchar *key, gdouble value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_double_value (builder, value);
}

void
cli_json_bool (JsonBuilder *builder, const gchar *key, gboolean value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_boolean_value (builder, value);
}

void
cli_json_string (JsonBuilder *builder, const gchar *key, const gchar *value)
{
  json_builder_set_member_name (builder, key);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
cli_json_print (JsonBuilder *builder, gboolean pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree gchar *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}
