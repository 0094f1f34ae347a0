#!/usr/bin/env python3
"""Running the app from the build tree (issue 16): started directly, with
no schema installed, `defuse` says how to run it instead of dying on a
GLib trap; `meson devenv -C BUILDDIR defuse` finds the build's schema."""
import os
import shutil
import subprocess
import tempfile

from taptest import run, test

GUI = os.environ["DEFUSE_GUI"]
BUILD = os.environ["DEFUSE_BUILD_ROOT"]


def without_schemas(empty):
    env = dict(os.environ)
    env.pop("GSETTINGS_SCHEMA_DIR", None)
    env["XDG_DATA_DIRS"] = empty  # no installed schema either
    return env


@test
def started_directly_it_says_how_to_run_it(tmp):
    p = subprocess.run([GUI, "--help"], capture_output=True, text=True, env=without_schemas(tmp), timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "meson devenv -C BUILDDIR defuse" in p.stderr and "io.github.defuse.Defuse" in p.stderr, p.stderr
    assert "Trace" not in p.stderr and "ERROR" not in p.stderr, p.stderr


@test
def meson_devenv_finds_the_schema(tmp):
    meson = shutil.which("meson")
    if meson is None:
        return "skip"
    p = subprocess.run([meson, "devenv", "-C", BUILD, "defuse", "--help"], capture_output=True, text=True,
                       env=without_schemas(tmp), timeout=120)
    assert p.returncode == 0 and "Usage:" in p.stdout, (p.returncode, p.stdout, p.stderr)
    assert "not installed" not in p.stderr, p.stderr


if __name__ == "__main__":
    run()
