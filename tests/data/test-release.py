#!/usr/bin/env python3
"""One version everywhere: meson's project version is what defuse-cli
--version, defuse --version and the dfu-util personality's -V print, NEWS's
first entry, the metainfo's newest release and the Debian changelog's
upstream version; NEWS and the metainfo date the release alike, and it has
notes; the app's manual page documents --version."""
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from taptest import run, test

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
VERSION = os.environ["DEFUSE_VERSION"]
CLI = os.environ["DEFUSE_CLI"]
GUI = os.environ.get("DEFUSE_GUI")


def output(*args):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{' '.join(args)}: exit {proc.returncode}\n{proc.stderr}"
    return proc.stdout


def news():
    """(version, date) of NEWS's first entry"""
    with open(os.path.join(SRC, "NEWS"), encoding="utf-8") as f:
        text = f.read()
    m = re.match(r"Version (\S+)\n=+\nReleased: (\d{4}-\d\d-\d\d)\n", text)
    assert m, f"NEWS starts with 'Version X', a rule and 'Released: YYYY-MM-DD':\n{text[:200]}"
    return m.group(1), m.group(2)


def releases():
    root = ET.parse(os.environ["DEFUSE_METAINFO_FILE"]).getroot()
    return root.findall("./releases/release")


@test
def defuse_cli_says_the_version(tmp):
    assert output(CLI, "--version") == f"defuse-cli {VERSION}\n"


@test
def defuse_says_the_version(tmp):
    if not GUI:
        return "skip"  # the app is not built
    # no display, no installed schema needed
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([GUI, "--version"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0 and proc.stdout == f"defuse {VERSION}\n", proc


@test
def the_apps_manual_page_documents_version_and_renders(tmp):
    page = os.path.join(SRC, "data", "defuse.1")
    with open(page, encoding="utf-8") as f:
        assert "\\-\\-version" in f.read(), "defuse.1 documents --version"
    proc = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@test
def dfu_util_keeps_its_version_line_and_adds_defuses(tmp):
    link = os.path.join(tmp, "dfu-util")
    os.symlink(CLI, link)
    assert output(link, "-V").splitlines()[0] == f"dfu-util 0.11 (Defuse {VERSION})"


@test
def news_starts_with_this_version(tmp):
    version, _ = news()
    assert version == VERSION, f"NEWS: {version}, meson: {VERSION}"


@test
def metainfo_newest_release_is_this_version_with_notes(tmp):
    found = releases()
    assert found, "the metainfo has <releases>"
    newest = found[0]
    assert newest.get("version") == VERSION, f"metainfo: {newest.get('version')}, meson: {VERSION}"
    assert newest.get("date") == news()[1], f"metainfo dates it {newest.get('date')}, NEWS {news()[1]}"
    notes = newest.find("description")
    assert notes is not None and "".join(notes.itertext()).strip(), "the release has notes"


@test
def metainfo_releases_newest_first(tmp):
    dates = [r.get("date") for r in releases()]
    assert dates == sorted(dates, reverse=True), dates


@test
def debian_changelog_packages_this_version(tmp):
    with open(os.path.join(SRC, "contrib", "debian", "changelog"), encoding="utf-8") as f:
        first = f.readline()
    m = re.match(r"defuse \(([^)]+)-(\d+)\) ", first)
    assert m and m.group(1) == VERSION, f"contrib/debian/changelog: {first!r}, meson: {VERSION}"


run()
