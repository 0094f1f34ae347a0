/* defuse-application.h: the AdwApplication: app.* actions, windows, files
 * opened from the command line or a file manager */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DEFUSE_TYPE_APPLICATION (defuse_application_get_type ())
G_DECLARE_FINAL_TYPE (DefuseApplication, defuse_application, DEFUSE, APPLICATION, AdwApplication)

DefuseApplication *defuse_application_new (void);

G_END_DECLS
