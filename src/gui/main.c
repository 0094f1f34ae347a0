/* main.c: the defuse desktop app */
#include "defuse-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "defuse-application.h"

/* Run from the build tree without `meson devenv`, GLib would abort in
 * g_settings_new() with a trap; say how to run it instead. */
static gboolean
settings_schema_found (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema != NULL)
    return TRUE;
  /* TRANSLATORS: %s is the schema id, io.github.defuse.Defuse */
  g_printerr (_("defuse: the settings schema %s is not installed. From the build tree, run "
                "“meson devenv -C BUILDDIR defuse”; otherwise install Defuse again.\n"), APPLICATION_ID);
  return FALSE;
}

int
main (int argc, char *argv[])
{
  g_autoptr(DefuseApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* as defuse-cli does; before the schema check, so it needs no install
   * (GLib 2.74's GApplication has no --version of its own) */
  if (argc == 2 && g_strcmp0 (argv[1], "--version") == 0)
    {
      g_print ("defuse %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (!settings_schema_found ())
    return 1;
  app = defuse_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
