#!/usr/bin/env python3
"""Double-click: with the data files installed into a temporary prefix, the
desktop's MIME database calls a .dfu file (and a DfuSe file renamed without
its extension) application/x-dfu, Defuse is the default handler for it, and
`gio open FILE` starts the built defuse with that file in its inspector.

Run under xvfb-run and dbus-run-session (tests/desktop/meson.build): the
window is found through X (xdotool, xprop) by polling with a deadline."""
import os
import shutil
import subprocess
import tempfile
import time

from taptest import run, test

BUILD = os.environ["DEFUSE_BUILD_ROOT"]
DEFUSE = os.environ["DEFUSE_GUI"]
CLI = os.environ["DEFUSE_CLI"]
SAMPLE = os.path.join(BUILD, "tests", "samples", "micropython-like.dfu")
APP_ID = "io.github.defuse.Defuse"
MIME_TYPE = "application/x-dfu"
WINDOW_TIMEOUT = 60  # seconds: a bound, not a wait; polling ends at once

PREFIX = tempfile.mkdtemp(prefix="defuse-desktop-")
FILES = os.path.join(PREFIX, "files")
ENV = dict(os.environ)


def sh(*args, check=True, env=None):
    proc = subprocess.run(list(map(str, args)), capture_output=True, text=True, env=env or ENV,
                          timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {proc.returncode}\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def install_prefix():
    """The data files as `meson install` lays them out, in PREFIX/share,
    with a test-only desktop file whose Exec is the defuse in the build
    tree; the user's own settings and mimeapps.list are kept out."""
    share = os.path.join(PREFIX, "share")
    os.makedirs(os.path.join(share, "mime", "packages"))
    os.makedirs(os.path.join(share, "applications"))
    shutil.copy(os.environ["DEFUSE_MIME_FILE"], os.path.join(share, "mime", "packages"))
    with open(os.environ["DEFUSE_DESKTOP_FILE"], encoding="utf-8") as f:
        entry = f.read()
    assert "\nExec=defuse %U\n" in entry, "the installed desktop file runs defuse %U"
    entry = entry.replace("\nExec=defuse %U\n", f"\nExec={DEFUSE} %U\n")
    with open(os.path.join(share, "applications", APP_ID + ".desktop"), "w", encoding="utf-8") as f:
        f.write(entry)
    for d in ("home", "config", "config-dirs", "data-home", "runtime"):
        os.makedirs(os.path.join(PREFIX, d))
    os.chmod(os.path.join(PREFIX, "runtime"), 0o700)
    ENV.update({
        "XDG_DATA_DIRS": f"{share}:/usr/share",
        "XDG_DATA_HOME": os.path.join(PREFIX, "data-home"),
        "XDG_CONFIG_HOME": os.path.join(PREFIX, "config"),
        "XDG_CONFIG_DIRS": os.path.join(PREFIX, "config-dirs"),
        "XDG_RUNTIME_DIR": os.path.join(PREFIX, "runtime"),
        "HOME": os.path.join(PREFIX, "home"),
        "GSETTINGS_BACKEND": "memory",
        "GSETTINGS_SCHEMA_DIR": os.path.join(BUILD, "data"),
        "GDK_BACKEND": "x11",
        "GIO_USE_VFS": "local",
        "GTK_A11Y": "none",
        "NO_AT_BRIDGE": "1",
    })
    sh("update-mime-database", os.path.join(share, "mime"))
    sh("update-desktop-database", os.path.join(share, "applications"))

    os.makedirs(FILES)
    shutil.copy(SAMPLE, os.path.join(FILES, "firmware.dfu"))
    shutil.copy(SAMPLE, os.path.join(FILES, "firmware-renamed"))  # a DfuSe file, no extension
    with open(os.path.join(FILES, "payload.bin"), "wb") as f:
        f.write(bytes(range(256)) * 16)
    sh(CLI, "convert", os.path.join(FILES, "payload.bin"), os.path.join(FILES, "plain.dfu"),
       "--vid", "0x1209", "--pid", "0x5bf0")                   # a plain DFU 1.1 file
    with open(os.path.join(FILES, "notes"), "wb") as f:         # neither: the control
        f.write(b"not firmware\n")


def content_type(name):
    out = sh("gio", "info", "-a", "standard::content-type", os.path.join(FILES, name)).stdout
    for line in out.splitlines():
        if "standard::content-type:" in line:
            return line.split(":", 3)[-1].strip()
    raise AssertionError(f"no content type for {name}: {out}")


def gio_open(name):
    """`gio open` as a file manager does it; the app it starts keeps the
    output files, not the test's pipes."""
    with open(os.path.join(PREFIX, "defuse.log"), "a") as log:
        proc = subprocess.run(["gio", "open", os.path.join(FILES, name)], stdin=subprocess.DEVNULL,
                              stdout=log, stderr=log, env=ENV, timeout=60)
    assert proc.returncode == 0, f"gio open {name}: exit {proc.returncode}"


def windows_named(title):
    proc = sh("xdotool", "search", "--onlyvisible", "--name", f"^{title}$", check=False)
    return proc.stdout.split()


def wait_for_window(title):
    deadline = time.monotonic() + WINDOW_TIMEOUT
    while time.monotonic() < deadline:
        found = windows_named(title)
        if found:
            return found[0]
        time.sleep(0.1)
    listing = sh("xdotool", "search", "--name", ".", check=False).stdout.split()
    names = [sh("xprop", "-id", w, "WM_NAME", check=False).stdout.strip() for w in listing]
    with open(os.path.join(PREFIX, "defuse.log")) as f:
        log = f.read()
    raise AssertionError(f"no window “{title}” after {WINDOW_TIMEOUT} s; windows: {names}\n{log}")


def window_property(window, name):
    return sh("xprop", "-id", window, name).stdout.split("=", 1)[-1].strip()


install_prefix()


@test
def dfu_file_is_the_dfu_type(tmp):
    assert content_type("firmware.dfu") == MIME_TYPE, content_type("firmware.dfu")


@test
def plain_dfu_file_is_the_dfu_type_by_its_name(tmp):
    assert content_type("plain.dfu") == MIME_TYPE, content_type("plain.dfu")


@test
def dfuse_file_without_extension_is_the_dfu_type_by_its_magic(tmp):
    assert content_type("firmware-renamed") == MIME_TYPE, content_type("firmware-renamed")


@test
def other_files_are_not(tmp):
    assert content_type("notes") != MIME_TYPE
    assert content_type("payload.bin") != MIME_TYPE


@test
def the_type_has_a_description(tmp):
    # what file managers show as the type: update-mime-database's per-type file
    with open(os.path.join(PREFIX, "share", "mime", "application", "x-dfu.xml"), encoding="utf-8") as f:
        assert "<comment>DFU firmware</comment>" in f.read()


@test
def defuse_is_the_default_handler(tmp):
    out = sh("gio", "mime", MIME_TYPE).stdout
    first = out.splitlines()[0]
    assert first.endswith(f"{APP_ID}.desktop"), out
    assert "Default application" in first, out


@test
def gio_open_starts_defuse_with_the_file_in_the_inspector(tmp):
    gio_open("firmware.dfu")
    window = wait_for_window(r"firmware\.dfu")
    assert window_property(window, "_NET_WM_NAME") == '"firmware.dfu"'
    # the window is Defuse's: GTK sets WM_CLASS from the program name
    assert "defuse" in window_property(window, "WM_CLASS").lower()


@test
def gio_open_of_a_renamed_dfuse_file_opens_it_too(tmp):
    # the running Defuse (one instance on the session bus) opens a window for it
    gio_open("firmware-renamed")
    window = wait_for_window("firmware-renamed")
    assert window_property(window, "_NET_WM_NAME") == '"firmware-renamed"'


def running(pid):
    """True while PID has not exited (a zombie waiting for its reaper has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@test
def defuse_quits_when_asked(tmp):
    pid = int(window_property(wait_for_window(r"firmware\.dfu"), "_NET_WM_PID"))
    sh("gapplication", "action", APP_ID, "quit")
    deadline = time.monotonic() + WINDOW_TIMEOUT
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = running(pid)
    if alive:
        os.kill(pid, 9)  # the defuse this test started; never leave it behind
    assert not alive, "defuse still running after app.quit"


try:
    run()
finally:
    shutil.rmtree(PREFIX, ignore_errors=True)
