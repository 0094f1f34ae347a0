#!/usr/bin/env python3
"""Translations: every file with user-visible strings is in POTFILES.in,
each catalog in LINGUAS translates every message of a template generated
now from the sources (none missing, none fuzzy, formats matching), and the
programs speak the user's language: LANGUAGE=de defuse-cli --help is German,
and so are the bootloader catalog's steps in defuse-cli list --verbose."""
import configparser
import gettext
import os
import re
import subprocess
import sys

import taptest
from taptest import run, test

_tests_registered = taptest._tests

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
BUILD = os.environ["DEFUSE_BUILD_ROOT"]
CLI = os.environ["DEFUSE_CLI"]
PO = os.path.join(SRC, "po")
CATALOG = os.path.join(SRC, "data", "catalog", "defuse.catalog")
# xgettext plus a second run over the catalog, as `meson compile defuse-pot`
XGETTEXT = os.path.join(PO, "xgettext-catalog.py")

# The keywords and flags of meson's i18n.gettext(preset: 'glib'), which
# makes po/defuse.pot (`meson compile defuse-pot`).
XGETTEXT_ARGS = [
    "--package-name=defuse", "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format", "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format", "--flag=g_sprintf:2:c-format", "--flag=g_snprintf:3:c-format",
]
MARKED = re.compile(r'\b(?:_|N_|C_|NC_|Q_|g_dngettext|ngettext)\s*\(\s*"|translatable="yes"')


def tool(*args, **kwargs):
    proc = subprocess.run(list(map(str, args)), capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {proc.returncode}\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def potfiles():
    with open(os.path.join(PO, "POTFILES.in"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def languages():
    with open(os.path.join(PO, "LINGUAS"), encoding="utf-8") as f:
        return [w for line in f if not line.startswith("#") for w in line.split()]


def template(tmp):
    pot = os.path.join(tmp, "defuse.pot")
    tool(sys.executable, XGETTEXT, *XGETTEXT_ARGS, "-D", SRC, "-f", os.path.join(PO, "POTFILES.in"), "-o", pot)
    return pot


@test
def potfiles_lists_every_file_with_strings(tmp):
    listed = set(potfiles())
    for name in listed:
        assert os.path.exists(os.path.join(SRC, name)), f"POTFILES.in: {name} does not exist"
    missing = []
    for top in ("src", "data"):
        for folder, _, names in os.walk(os.path.join(SRC, top)):
            for name in names:
                path = os.path.relpath(os.path.join(folder, name), SRC)
                if name.endswith((".c", ".ui")):
                    with open(os.path.join(SRC, path), encoding="utf-8") as f:
                        if MARKED.search(f.read()) and path not in listed:
                            missing.append(path)
                elif name.endswith((".desktop.in", ".metainfo.xml.in", ".mime.xml.in",
                                    ".gschema.xml")) and path not in listed:
                    missing.append(path)
    assert not missing, f"files with user-visible strings missing from po/POTFILES.in: {missing}"


@test
def german_is_a_language(tmp):
    assert "de" in languages(), languages()


@test
def every_catalog_is_complete(tmp):
    pot = template(tmp)
    for lang in languages():
        merged = os.path.join(tmp, lang + ".po")
        tool("msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
             os.path.join(PO, lang + ".po"), pot)
        # -c: the format strings of each translation match the original's
        stats = tool("msgfmt", "-c", "--statistics", "-o", os.devnull, merged).stderr.strip()
        assert "untranslated" not in stats and "fuzzy" not in stats, \
            f"po/{lang}.po against the sources: {stats}"
        assert re.fullmatch(r"\d+ translated messages?\.", stats), stats
        # nothing translated twice: no leftover messages the sources lost
        with open(os.path.join(PO, lang + ".po"), encoding="utf-8") as f:
            assert "\n#~ msgid" not in f.read(), f"po/{lang}.po keeps obsolete messages"


def catalog_strings():
    """The user-visible values of the built-in catalog (a key file)."""
    keys = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    keys.read(CATALOG, encoding="utf-8")
    return {keys[group][key] for group in keys.sections()
            for key in ("name", "family", "steps") if key in keys[group]}


def msgids(pot):
    text = tool("msgcat", "--no-wrap", pot).stdout
    return {bytes(m, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            for m in re.findall(r'^msgid "(.*)"$', text, re.M)}


@test
def catalog_strings_are_in_the_template(tmp):
    strings = catalog_strings()
    assert len(strings) > 20 and "STM32F4 system bootloader" in strings, strings
    missing = strings - msgids(template(tmp))
    assert not missing, f"catalog strings missing from the template: {sorted(missing)}"


def german_env():
    return dict(os.environ, LANGUAGE="de", LANG="C.UTF-8", LC_ALL="C.UTF-8",
                DEFUSE_TEST_LOCALEDIR=os.path.join(BUILD, "po"),
                LD_PRELOAD=os.environ["DEFUSE_LOCALEDIR_PRELOAD"],
                ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":"))


def german_catalog():
    with open(os.path.join(BUILD, "po", "de", "LC_MESSAGES", "defuse.mo"), "rb") as f:
        return gettext.GNUTranslations(f)


@test
def defuse_cli_help_is_german(tmp):
    out = tool(CLI, "--help", env=german_env()).stdout
    english = tool(CLI, "--help", env=dict(os.environ, LANGUAGE="en", LC_ALL="C.UTF-8")).stdout
    german = german_catalog()
    # the usage line, the commands' summaries and the closing hint
    for msgid in ("Usage: defuse-cli COMMAND [OPTIONS…]", "Commands:",
                  "Show what is inside firmware files", "Convert a firmware file to another format",
                  "Write a firmware file to devices, verify it and start it"):
        assert msgid in english, english
        assert german.gettext(msgid) != msgid, f"po/de.po does not translate “{msgid}”"
        assert german.gettext(msgid) in out, (
            f"“{german.gettext(msgid)}” not in:\n{out}\n(the catalog has it: does the program's "
            f"main() call textdomain (GETTEXT_PACKAGE) after bindtextdomain? <glib/gi18n.h>'s _() "
            f"looks messages up in the default text domain)")
        assert msgid not in out, out


@test
def catalog_steps_are_german(tmp):
    # with no DFU device on the machine's USB, list --verbose shows each
    # family's steps (an empty DEFUSE_CATALOG_DIR: no user entries)
    english = tool(CLI, "list", "--verbose", env=dict(os.environ, LANGUAGE="en", LC_ALL="C.UTF-8",
                                                        DEFUSE_CATALOG_DIR=tmp)).stdout
    if "How to start the bootloader of known boards:" not in english:
        return "skip"  # a real DFU device is plugged in: the list shows it, not the steps
    out = tool(CLI, "list", "--verbose", env=dict(german_env(), DEFUSE_CATALOG_DIR=tmp)).stdout
    german = german_catalog()
    family = "Kiibohd keyboards"
    steps = ("Press the keyboard's flash key combination (Fn+Esc on many Input Club boards) "
             "or the reset button under the keyboard.")
    assert f"  {family}: {steps}" in english, english
    for msgid in (family, steps):
        assert german.gettext(msgid) != msgid, f"po/de.po does not translate “{msgid}”"
    assert f"  {german.gettext(family)}: {german.gettext(steps)}" in out, out
    assert steps not in out, out


# `test-translations.py cli` runs only the checks of the program, the
# default only the checks of the catalogs: two meson tests, two verdicts
if sys.argv[1:] == ["cli"]:
    del _tests_registered[:-2]
else:
    del _tests_registered[-2:]
run()
