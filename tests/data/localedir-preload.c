/* localedir-preload.c: LD_PRELOAD'ed by the translation test so that a
 * defuse-cli from the build tree finds its catalogs there.  The programs
 * bind the "defuse" domain to the install prefix's locale folder, where an
 * uninstalled build has none; this sends that one domain to
 * $DEFUSE_TEST_LOCALEDIR (the build's po/ folder) and leaves GLib's alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libintl.h>
#include <stdlib.h>
#include <string.h>

char *
bindtextdomain (const char *domain, const char *dirname)
{
  static char *(*real) (const char *, const char *) = NULL;
  const char *dir = getenv ("DEFUSE_TEST_LOCALEDIR");

  if (real == NULL)
    *(void **) &real = dlsym (RTLD_NEXT, "bindtextdomain");
  if (dir != NULL && dirname != NULL && domain != NULL && strcmp (domain, "defuse") == 0)
    dirname = dir;
  return real (domain, dirname);
}
