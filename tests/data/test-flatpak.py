#!/usr/bin/env python3
"""The Flatpak manifest cannot be built here (no runtime download), so this
checks what can be checked offline: flatpak-builder itself parses it
(--show-manifest, skipped where flatpak-builder is not installed) and
reads what Python reads; it targets a GNOME runtime with GTK >= 4.8 and
libadwaita >= 1.2, asks for the permissions USB needs and no home access,
builds Defuse without tests, pins every download by sha256, and names only
local files that exist."""
import json
import os
import re
import shutil
import subprocess

from taptest import run, test

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
MANIFEST = os.path.join(SRC, "flatpak", "io.github.defuse.Defuse.json")


def strip_comments(text):
    """Removes /* */ and // comments outside strings."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            end = text.index("*/", i + 2)
            out.append(" ")
            i = end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load():
    with open(MANIFEST, encoding="utf-8") as f:
        return json.loads(strip_comments(f.read()))


def modules(manifest):
    """Every module, nested ones too; a string is a module file's path."""
    for module in manifest.get("modules", []):
        yield module
        if isinstance(module, dict):
            yield from modules(module)


def comments(text):
    """The text of each /* */ comment outside strings."""
    found, i, n = [], 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("/*", i):
            end = text.index("*/", i + 2)
            found.append(text[i + 2:end])
            i = end + 1
        i += 1
    return found


@test
def flatpak_builder_reads_what_python_reads(tmp):
    builder = shutil.which("flatpak-builder")
    if builder is None:
        return "skip"
    # in tmp: flatpak-builder leaves a .flatpak-builder folder where it runs
    proc = subprocess.run([builder, "--show-manifest", MANIFEST], capture_output=True, text=True,
                          timeout=60, cwd=tmp)
    assert proc.returncode == 0, f"flatpak-builder --show-manifest: exit {proc.returncode}\n{proc.stderr}"
    shown = json.loads(proc.stdout)
    ours = load()
    # flatpak-builder prints app-id under its newer name
    ours["id"] = ours.pop("app-id")
    assert shown == ours, f"flatpak-builder read:\n{proc.stdout}"


@test
def comments_have_no_slash(tmp):
    # json-glib 1.6 (Debian 12's flatpak-builder 1.2.3) ends a comment at
    # its first '/' ("unexpected identifier `dev'"): checked here too, for
    # machines without flatpak-builder
    with open(MANIFEST, encoding="utf-8") as f:
        found = comments(f.read())
    assert found, "the manifest explains its permissions in comments"
    for text in found:
        assert "/" not in text, f"a '/' in the comment {text!r}"


@test
def every_download_is_pinned(tmp):
    checked = 0
    for module in modules(load()):
        if not isinstance(module, dict):
            continue
        for source in module.get("sources", []):
            if isinstance(source, str) or source["type"] in ("dir", "patch", "script", "shell"):
                continue  # local files, in this checkout
            if source["type"] == "git":
                assert re.fullmatch(r"[0-9a-f]{40}", source.get("commit", "")), source
            else:
                assert re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")), source
            checked += 1
    assert checked > 0


@test
def parses_as_the_app(tmp):
    m = load()
    assert m["app-id"] == "io.github.defuse.Defuse", m["app-id"]
    assert m["command"] == "defuse", m["command"]
    assert m["runtime"] == "org.gnome.Platform" and m["sdk"] == "org.gnome.Sdk"
    # GNOME 45 ships GTK 4.12 and libadwaita 1.4; anything older than 43
    # (GTK 4.8, libadwaita 1.2) cannot run Defuse
    version = str(m["runtime-version"])
    assert version == "master" or int(version) >= 45, version


@test
def finish_args_give_usb_and_a_display_but_no_home(tmp):
    args = load()["finish-args"]
    for want in ("--device=all", "--socket=wayland", "--socket=fallback-x11", "--share=ipc"):
        assert want in args, f"{want} missing from {args}"
    for arg in args:
        if arg.startswith("--filesystem="):
            place = arg.split("=", 1)[1].split(":")[0]
            assert place not in ("home", "host", "host-os", "/", "~"), arg
            assert not place.startswith(("~/", "home/", "/home")), arg
    assert "--socket=x11" not in args, "fallback-x11, not x11, next to wayland"
    assert "--share=network" not in args, "Defuse needs no network"
    with open(MANIFEST, encoding="utf-8") as f:
        assert "--device=usb" in f.read(), "a note on --device=usb (Flatpak >= 1.16)"


@test
def libusb_is_built_from_a_checksummed_release(tmp):
    libusb = [m for m in modules(load()) if isinstance(m, dict) and m.get("name") == "libusb"]
    assert len(libusb) == 1, libusb
    sources = libusb[0]["sources"]
    for source in sources:
        assert source["type"] == "archive", source
        assert source["url"].startswith("https://"), source
        assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), source
        # the version the engine is tested with (Debian 12's) or newer
        version = tuple(map(int, re.search(r"libusb-(\d+)\.(\d+)\.(\d+)", source["url"]).groups()))
        assert version >= (1, 0, 26), version


@test
def defuse_is_built_with_meson_without_tests(tmp):
    defuse = [m for m in modules(load()) if isinstance(m, dict) and m.get("name") == "defuse"]
    assert len(defuse) == 1, defuse
    module = defuse[0]
    assert module["buildsystem"] == "meson"
    assert "-Dtests=false" in module["config-opts"], module["config-opts"]
    # the last module: the app is built against everything before it
    assert load()["modules"][-1]["name"] == "defuse"


@test
def local_paths_exist(tmp):
    base = os.path.dirname(MANIFEST)
    checked = 0
    for module in modules(load()):
        if isinstance(module, str):
            assert os.path.exists(os.path.join(base, module)), module
            checked += 1
            continue
        for source in module.get("sources", []):
            if isinstance(source, str):
                paths = [source]
            else:
                paths = [source[k] for k in ("path",) if k in source] + source.get("paths", [])
            for path in paths:
                full = os.path.normpath(os.path.join(base, path))
                assert os.path.exists(full), f"{module.get('name')}: {path} ({full}) does not exist"
                checked += 1
    assert checked > 0
    # the source dir is the project itself
    project = os.path.normpath(os.path.join(base, ".."))
    assert os.path.exists(os.path.join(project, "meson.build"))


run()
