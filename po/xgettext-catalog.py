#!/usr/bin/env python3
"""xgettext, plus the user-visible strings of the bootloader catalog.

The catalog (data/catalog/defuse.catalog) is a key file, which xgettext
would read as C: after the usual run over POTFILES.in, a second run reads
it as a Desktop file with its own keys (name, family, steps) and joins its
messages to the template.  po/meson.build makes meson's `defuse-pot` use
this instead of xgettext; tests/data/test-translations.py uses it too."""
import argparse
import os
import shutil
import subprocess
import sys

CATALOG = "data/catalog/defuse.catalog"
CATALOG_KEYS = ["-k", "-kname", "-kfamily", "-ksteps"]

parser = argparse.ArgumentParser(add_help=False)
parser.add_argument("-D", "--directory", default=".")
parser.add_argument("-p", "--output-dir", default=".")
parser.add_argument("-o", "--output", required=True)
parser.add_argument("--package-name")
known, _ = parser.parse_known_args()

xgettext = shutil.which("xgettext")
pot = os.path.join(known.output_dir, known.output)
rc = subprocess.call([xgettext] + sys.argv[1:])
if rc == 0:
    pkg = ["--package-name=" + known.package_name] if known.package_name else []
    rc = subprocess.call([xgettext, *pkg, "--from-code=UTF-8", "--join-existing",
                          "-L", "Desktop", *CATALOG_KEYS, "-D", known.directory,
                          "-o", pot, CATALOG])
sys.exit(rc)
