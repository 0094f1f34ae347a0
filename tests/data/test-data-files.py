#!/usr/bin/env python3
"""What desktop-file-validate and appstreamcli do not check: that the data
files agree with each other and with the tree (one MIME type everywhere,
the icon and launchable names, screenshots that exist with the size the
metainfo says, the release matching the project version), and that the
icons are of the kind their folders promise."""
import configparser
import os
import re
import struct
import xml.etree.ElementTree as ET

from taptest import run, test

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
APP_ID = "io.github.defuse.Defuse"
MIME_TYPE = "application/x-dfu"
# screenshots are referenced by the URL of their path in the repository
REPO_RAW = "https://raw.githubusercontent.com/defuse/defuse/main/"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
SVG_NS = "{http://www.w3.org/2000/svg}"


def desktop():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(os.environ["DEFUSE_DESKTOP_FILE"], encoding="utf-8")
    return parser["Desktop Entry"]


def metainfo():
    return ET.parse(os.environ["DEFUSE_METAINFO_FILE"]).getroot()


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@test
def one_mime_type_everywhere(tmp):
    types = [t.get("type") for t in ET.parse(os.environ["DEFUSE_MIME_FILE"]).getroot()
             .iter(MIME_NS + "mime-type")]
    assert types == [MIME_TYPE], types
    assert desktop()["MimeType"] == MIME_TYPE + ";", desktop()["MimeType"]
    provided = [m.text for m in metainfo().iter("mediatype")]
    assert provided == [MIME_TYPE], provided


@test
def mime_type_has_the_glob_and_the_dfuse_magic(tmp):
    mime = ET.parse(os.environ["DEFUSE_MIME_FILE"]).getroot().find(MIME_NS + "mime-type")
    assert [g.get("pattern") for g in mime.iter(MIME_NS + "glob")] == ["*.dfu"]
    matches = [(m.get("type"), m.get("offset"), m.get("value")) for m in mime.iter(MIME_NS + "match")]
    assert matches == [("string", "0", "DfuSe")], matches
    assert mime.find(MIME_NS + "comment").text


@test
def desktop_file_starts_defuse_with_uris(tmp):
    entry = desktop()
    assert entry["Exec"] == "defuse %U", entry["Exec"]
    assert entry["Icon"] == APP_ID
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Keywords"].endswith(";")


@test
def metainfo_names_the_desktop_file_and_the_release(tmp):
    root = metainfo()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == APP_ID + ".desktop"
    with open(os.path.join(SRC, "meson.build"), encoding="utf-8") as f:
        version = re.search(r"version:\s*'([^']+)'", f.read()).group(1)
    releases = [r.get("version") for r in root.iter("release")]
    assert releases and releases[0] == version, f"newest release {releases[:1]}, project {version}"
    assert root.find("content_rating").get("type").startswith("oars-")
    controls = sorted(c.text for c in root.find("supports").iter("control"))
    assert controls == ["keyboard", "pointing", "touch"], controls
    assert root.find("requires") is not None


@test
def screenshots_are_in_the_tree_with_their_sizes(tmp):
    shots = list(metainfo().iter("screenshot"))
    assert len(shots) >= 3, len(shots)
    assert sum(1 for s in shots if s.get("type") == "default") == 1
    for shot in shots:
        image = shot.find("image")
        url = image.text.strip()
        assert url.startswith(REPO_RAW), url
        path = os.path.join(SRC, url[len(REPO_RAW):])
        assert os.path.exists(path), f"{url}: {path} is not in the tree"
        width, height = png_size(path)
        assert (width, height) == (int(image.get("width")), int(image.get("height"))), \
            f"{path} is {width}x{height}, the metainfo says {image.get('width')}x{image.get('height')}"
        assert shot.findtext("caption"), url


@test
def icons_are_scalable_and_symbolic(tmp):
    apps = os.path.join(SRC, "data", "icons", "hicolor")
    color = ET.parse(os.path.join(apps, "scalable", "apps", APP_ID + ".svg")).getroot()
    assert color.tag == SVG_NS + "svg" and color.get("viewBox") == "0 0 128 128", color.attrib
    symbolic = ET.parse(os.path.join(apps, "symbolic", "apps", APP_ID + "-symbolic.svg")).getroot()
    assert symbolic.get("viewBox") == "0 0 16 16", symbolic.attrib
    # GTK recolours fills only: a symbolic icon has no strokes, gradients or images
    for element in symbolic.iter():
        name = element.tag.replace(SVG_NS, "")
        assert name not in ("linearGradient", "radialGradient", "image", "text"), name
        assert element.get("stroke") in (None, "none"), f"{name} has a stroke"
        assert "stroke:" not in (element.get("style") or ""), f"{name} has a stroke"


run()
