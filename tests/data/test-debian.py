#!/usr/bin/env python3
"""The Debian packaging keeps up with meson: every library meson found
through pkg-config comes from a package that contrib/debian/control's
Build-Depends and build-aux/install-deps both name (a new dependency()
needs both).  Skipped where dpkg is not the package manager."""
import json
import os
import re
import shutil
import subprocess

from taptest import run, test

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
BUILD = os.environ["DEFUSE_BUILD_ROOT"]
DEBIAN = os.path.join(SRC, "contrib", "debian")


def build_depends():
    with open(os.path.join(DEBIAN, "control"), encoding="utf-8") as f:
        m = re.search(r"^Build-Depends:(.*?)^\S", f.read(), re.M | re.S)
    return {re.match(r"\s*([a-z0-9.+-]+)", d).group(1) for d in m.group(1).split(",") if d.strip()}


def install_deps():
    with open(os.path.join(SRC, "build-aux", "install-deps"), encoding="utf-8") as f:
        text = f.read()
    listed = re.search(r"^packages=\((.*?)^\)", text, re.M | re.S).group(1)
    return {w for line in listed.splitlines() for w in line.split("#")[0].split()}


def packages_of_meson_dependencies():
    """{pkg-config name: Debian package} for what meson found"""
    with open(os.path.join(BUILD, "meson-info", "intro-dependencies.json"), encoding="utf-8") as f:
        names = [d["name"] for d in json.load(f)]
    found = {}
    for name in names:
        pc = subprocess.run(["pkg-config", "--path", name], capture_output=True, text=True)
        if pc.returncode != 0:
            continue  # not a pkg-config dependency (a library found by the compiler)
        owner = subprocess.run(["dpkg", "-S", pc.stdout.strip()], capture_output=True, text=True)
        assert owner.returncode == 0, f"no package holds {pc.stdout.strip()}: {owner.stderr}"
        found[name] = owner.stdout.split(":")[0]
    assert "glib-2.0" in found, found
    return found


@test
def build_depends_name_every_library_meson_uses(tmp):
    if not (shutil.which("dpkg") and shutil.which("pkg-config")):
        return "skip"
    wanted = build_depends()
    missing = {n: p for n, p in packages_of_meson_dependencies().items() if p not in wanted}
    assert not missing, f"add to Build-Depends in contrib/debian/control: {missing}"


@test
def install_deps_name_every_library_meson_uses(tmp):
    if not (shutil.which("dpkg") and shutil.which("pkg-config")):
        return "skip"
    listed = install_deps()
    missing = {n: p for n, p in packages_of_meson_dependencies().items() if p not in listed}
    assert not missing, f"add to build-aux/install-deps: {missing}"


run()
