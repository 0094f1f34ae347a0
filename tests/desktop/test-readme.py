#!/usr/bin/env python3
"""Runs every command in README.md, so the README cannot rot.

Each ```sh block in the README follows a marker comment that says how it
runs; a block without one fails this test:

  <!-- test: cli -->          each command in a fresh folder holding the files
                              the build makes (firmware.dfu, app.hex, ...),
                              with the built defuse-cli first on PATH
  <!-- test: sim PROFILE [ARGS] -->
                              the same, the whole block under one defuse-sim
                              run (virtual devices of tests/sim, ARGS e.g.
                              --count 2), so later commands see what earlier
                              ones did to the devices
  <!-- test: caller PROFILE [FILE] -->
                              a build system's change to call Defuse's
                              dfu-util or pydfu link: the build system is a
                              stub (readme_callers.py) that runs the command
                              line the real one runs, through links to the
                              built defuse-cli where the README names the
                              installed ones, under defuse-sim; the board
                              must be written and left DFU mode.  With FILE
                              the block is that settings file (platformio.ini)
                              and the stub's usual command runs
  <!-- test: output -->       a ```text block: each line (with ... for what
                              varies) is in the output of the block before it
  <!-- test: build -->        in a copy of the source tree, for real: meson
                              setup, compile, and install (`sudo` is a stub
                              that installs into a DESTDIR)
  <!-- test: system -->       commands that change the system: `sudo` re-roots
                              /etc and /usr into a temporary folder, `udevadm`
                              is a stub that checks its arguments (no udev
                              daemon here); the installed rule is compared
  <!-- test: flatpak -->      no Flatpak runtime can be had here: `flatpak`
                              and `flatpak-builder` are stubs that check their
                              arguments, the remote, and the manifest (parsed,
                              the app id that `flatpak run` names)
  <!-- test: deb -->          build-aux/package builds and lints the Debian
                              packages for real, too slowly for every check:
                              the commands must name what it makes (its
                              folder, contrib/debian/control's packages, the
                              installed tests' name) and the script parse
  <!-- test: ci -->           build-aux/check is what CI runs (.ci/run), so
                              this only checks it exists and parses;
                              build-aux/demo runs without a display (its
                              defuse-cli flash of a virtual board) in the copy

A trailing "# exit status N" comment gives a command's expected status
(default 0)."""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

import readme_callers
from taptest import run, test

SRC = os.environ["DEFUSE_SOURCE_ROOT"]
BUILD = os.environ["DEFUSE_BUILD_ROOT"]
CLI = os.environ["DEFUSE_CLI"]
SIM = os.environ.get("DEFUSE_SIM", "")
README = os.path.join(SRC, "README.md")
SAMPLES = os.path.join(BUILD, "tests", "samples")
SCALE = "0.01"

MARKER = re.compile(r"^<!-- test: (\S+)(.*?) -->$")
FENCE = re.compile(r"^```(\w*)$")
EXIT = re.compile(r"#.*\bexit status (\d+)")


class Block:
    def __init__(self, line, kind, args, lang, text):
        self.line, self.kind, self.args, self.lang, self.text = line, kind, args, lang, text
        self.output = None  # what it printed, for an output block after it

    def commands(self):
        """(command, expected exit status): continuations joined, comments kept
        (bash ignores them), comment-only lines dropped."""
        out, pending = [], ""
        for raw in self.text.splitlines():
            line = pending + raw.strip()
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            if not line or line.startswith("#"):
                continue
            m = EXIT.search(line)
            out.append((line, int(m.group(1)) if m else 0))
        return out


def parse():
    """The fenced blocks of the README, each with the marker before it."""
    with open(README, encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, marker, i = [], None, 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if m:
            marker = (m.group(1), m.group(2).split())
            i += 1
            continue
        m = FENCE.match(lines[i])
        if m and m.group(1):
            start, body = i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            kind, args = marker if marker else (None, [])
            blocks.append(Block(start, kind, args, m.group(1), "\n".join(body)))
            marker = None
        elif lines[i].strip():
            marker = None if lines[i].startswith("```") else marker
        i += 1
    return blocks


BLOCKS = parse()


def sh(*args, cwd=None, env=None, check=True):
    proc = subprocess.run(list(map(str, args)), capture_output=True, text=True, cwd=cwd, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {proc.returncode}\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def inputs(folder):
    """The files the README's examples name, made from the build's sample
    firmware (tests/samples) and by the built defuse-cli."""
    shutil.copy(os.path.join(SAMPLES, "micropython-like.dfu"), os.path.join(folder, "firmware.dfu"))
    shutil.copy(os.path.join(SAMPLES, "sample-part1.bin"), os.path.join(folder, "firmware0.bin"))
    shutil.copy(os.path.join(SAMPLES, "sample-part2.bin"), os.path.join(folder, "firmware1.bin"))
    shutil.copy(os.path.join(SAMPLES, "sample-part1.bin"), os.path.join(folder, "app.bin"))
    sh(CLI, "convert", os.path.join(folder, "firmware.dfu"), os.path.join(folder, "app.hex"))
    with open(os.path.join(folder, "options.bin"), "wb") as f:
        f.write(bytes([0xaa, 0xf8, 0x55, 0x07, 0xff, 0xff, 0x00, 0x00] * 2))
    with open(os.path.join(folder, "payload.bin"), "wb") as f:
        f.write(bytes(range(256)) * 16)
    with open(os.path.join(folder, "vendor-blob.dfu"), "wb") as f:  # no prefix, no suffix
        f.write(b"VNDR" + bytes((i * 7) & 0xff for i in range(4092)))


def run_block(block, folder, env, wrap=()):
    """Runs the block's commands in FOLDER as one script (under WRAP, e.g.
    defuse-sim); checks each exit status; keeps the output for an output
    block."""
    commands = block.commands()
    assert commands, f"README line {block.line}: an empty block"
    logs = os.path.join(folder, ".readme-test")
    os.makedirs(logs)
    script = ["#!/bin/bash"]
    for n, (command, _) in enumerate(commands):
        script.append(f"( {command}\n) > {logs}/out-{n} 2>&1; echo $? > {logs}/rc-{n}")
    path = os.path.join(logs, "block.sh")
    with open(path, "w") as f:
        f.write("\n".join(script) + "\n")
    proc = subprocess.run([*wrap, "bash", path], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)
    outputs = []
    for n, (command, want) in enumerate(commands):
        try:
            with open(f"{logs}/rc-{n}") as f:
                status = int(f.read())
            with open(f"{logs}/out-{n}", encoding="utf-8", errors="replace") as f:
                out = f.read()
        except FileNotFoundError:
            raise AssertionError(f"README line {block.line}: `{command}` did not run\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        outputs.append(out)
        assert status == want, (f"README line {block.line}: `{command}`: exit status {status}, "
                                f"expected {want}\n{out}")
    assert proc.returncode == 0, f"README line {block.line}: {proc.stdout}\n{proc.stderr}"
    block.output = "\n".join(outputs)


def cli_env():
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(CLI), os.path.join(BUILD, "src", "gui"),
                                   env.get("PATH", "")])
    env["DEFUSE_SIM_PROFILES"] = os.path.join(SRC, "tests", "sim", "profiles")
    return env


def write_stub(folder, name, body):
    """A Python stub for a system command, in FOLDER (first on PATH)."""
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(f"#!{sys.executable}\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


# `sudo CMD`: runs CMD as it is, but with the system folders it names under
# $README_ROOT, and `meson install` into DESTDIR=$README_ROOT.
SUDO = r'''
import os, sys
root = os.environ["README_ROOT"]
args = []
for a in sys.argv[1:]:
    if a.startswith(("/etc/", "/usr/", "/lib/", "/opt/")):
        a = root + a
        os.makedirs(a if a.endswith("/") else os.path.dirname(a), exist_ok=True)
    args.append(a)
if args[:2] == ["meson", "install"]:
    os.environ["DESTDIR"] = root
with open(os.path.join(root, "sudo.log"), "a") as log:
    log.write(" ".join(args) + "\n")
os.execvp(args[0], args)
'''

UDEVADM = r'''
import os, sys
args = sys.argv[1:]
ok = args in (["control", "--reload"], ["control", "--reload-rules"], ["trigger"],
              ["trigger", "--action=add"], ["trigger", "--subsystem-match=usb"])
if not ok:
    sys.exit(f"udevadm stub: unknown command {args}")
with open(os.path.join(os.environ["README_ROOT"], "udevadm.log"), "a") as log:
    log.write(" ".join(args) + "\n")
'''

APT = r'''
import sys
sys.exit("the README test installs no packages: run build-aux/install-deps first")
'''

FLATPAK = r'''
import json, os, sys
state = os.path.join(os.environ["README_ROOT"], "flatpak.json")
s = json.load(open(state)) if os.path.exists(state) else {"remotes": {}, "installed": []}
args = sys.argv[1:]
if args[:1] == ["remote-add"]:
    opts = [a for a in args[1:] if a.startswith("--")]
    pos = [a for a in args[1:] if not a.startswith("--")]
    assert set(opts) <= {"--user", "--system", "--if-not-exists"}, opts
    assert len(pos) == 2, pos
    assert pos[1].startswith("https://") and pos[1].endswith(".flatpakrepo"), pos[1]
    s["remotes"][pos[0]] = pos[1]
elif args[:1] == ["run"]:
    app = [a for a in args[1:] if not a.startswith("--")][0]
    assert app in s["installed"], f"flatpak run {app}: not installed (installed: {s['installed']})"
else:
    sys.exit(f"flatpak stub: unknown command {args}")
json.dump(s, open(state, "w"))
'''

FLATPAK_BUILDER = r'''
import json, os, re, sys
state = os.path.join(os.environ["README_ROOT"], "flatpak.json")
s = json.load(open(state)) if os.path.exists(state) else {"remotes": {}, "installed": []}
opts = [a for a in sys.argv[1:] if a.startswith("--")]
pos = [a for a in sys.argv[1:] if not a.startswith("--")]
known = {"--user", "--install", "--force-clean", "--install-deps-from", "--repo", "--sandbox"}
for o in opts:
    assert o.split("=")[0] in known, f"flatpak-builder: unknown option {o}"
assert len(pos) == 2, f"flatpak-builder DIR MANIFEST, got {pos}"
builddir, manifest = pos
assert os.path.isfile(manifest), f"no manifest {manifest}"
for o in opts:
    if o.startswith("--install-deps-from="):
        remote = o.split("=", 1)[1]
        assert remote in s["remotes"], f"remote {remote} not added (remotes: {list(s['remotes'])})"
text = open(manifest).read()
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # json-glib accepts C comments
m = json.loads(text)
if "--install" in opts:
    s["installed"].append(m["app-id"])
os.makedirs(builddir, exist_ok=True)
json.dump(s, open(state, "w"))
'''


def stubbed_env(folder, root, stubs):
    bin_dir = os.path.join(folder, ".stubs")
    os.makedirs(bin_dir, exist_ok=True)
    for name, body in stubs.items():
        write_stub(bin_dir, name, body)
    env = dict(os.environ)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["README_ROOT"] = root
    return env


def source_copy(folder):
    """The source tree as a checkout has it (tracked and new files, not the
    ignored build folders)."""
    proc = sh("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=SRC, check=False)
    if proc.returncode == 0 and proc.stdout:
        for name in proc.stdout.split("\0"):
            if name and os.path.isfile(os.path.join(SRC, name)):
                dest = os.path.join(folder, name)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(os.path.join(SRC, name), dest)
    else:
        shutil.copytree(SRC, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("_build", "build", ".git"))


@test
def every_shell_block_is_marked(tmp):
    unmarked = [b.line for b in BLOCKS if b.lang == "sh" and b.kind is None]
    assert not unmarked, f"README.md: ```sh blocks with no <!-- test: ... --> marker at lines {unmarked}"
    kinds = {b.kind for b in BLOCKS if b.kind}
    assert kinds <= {"cli", "sim", "caller", "output", "build", "system", "flatpak", "deb", "ci"}, kinds
    for b in BLOCKS:
        if b.kind == "output":
            assert b.lang == "text", f"line {b.line}: an output block is ```text"


@test
def links_and_images_exist(tmp):
    with open(README, encoding="utf-8") as f:
        text = f.read()
    targets = re.findall(r"\]\(([^)#\s]+)\)", text)
    local = [t for t in targets if "://" not in t]
    assert any(t.startswith("data/screenshots/") for t in local), "README shows the screenshots"
    for t in local:
        assert os.path.exists(os.path.join(SRC, t)), f"README links to {t}, which does not exist"


def block_test(index, block):
    def check(tmp):
        if block.kind == "output":
            before = BLOCKS[index - 1]
            if before.output is None:
                return "skip"  # the block it checks was skipped
            have = [" ".join(line.split()) for line in before.output.splitlines()]
            for want in block.text.splitlines():
                want = " ".join(want.split())
                if not want:
                    continue
                pattern = ".*".join(map(re.escape, want.split("...")))
                assert any(re.search(pattern, line) for line in have), \
                    f"README line {block.line}: “{want}” is not in the output:\n{before.output}"
        elif block.kind == "cli":
            inputs(tmp)
            run_block(block, tmp, cli_env())
        elif block.kind == "sim":
            if not (SIM and os.path.exists(SIM)):
                return "skip"
            inputs(tmp)
            profile, extra = block.args[0], block.args[1:]
            wrap = [SIM, "--profile", profile, "--time-scale", SCALE, *extra,
                    "--log", os.path.join(tmp, "sim.log"), "--"]
            run_block(block, tmp, cli_env(), wrap)
        elif block.kind == "caller":
            if not (SIM and os.path.exists(SIM)):
                return "skip"
            caller_block(block, tmp)
        elif block.kind == "system":
            root = os.path.join(tmp, "root")
            os.makedirs(root)
            src = os.path.join(tmp, "src")
            source_copy(src)
            run_block(block, src, stubbed_env(tmp, root, {"sudo": SUDO, "udevadm": UDEVADM}))
            with open(os.path.join(SRC, "data", "60-defuse.rules"), "rb") as a, \
                    open(os.path.join(root, "etc", "udev", "rules.d", "60-defuse.rules"), "rb") as b:
                assert a.read() == b.read(), "the installed rule is data/60-defuse.rules"
            assert "reload" in open(os.path.join(root, "udevadm.log")).read()
        elif block.kind == "flatpak":
            root = os.path.join(tmp, "root")
            os.makedirs(root)
            src = os.path.join(tmp, "src")
            source_copy(src)
            run_block(block, src, stubbed_env(tmp, root, {"flatpak": FLATPAK,
                                                           "flatpak-builder": FLATPAK_BUILDER}))
        elif block.kind == "build":
            return build_block(block)
        elif block.kind == "deb":
            deb_block(block)
        elif block.kind == "ci":
            for command, _ in block.commands():
                script = os.path.join(SRC, command.split()[0])
                assert os.access(script, os.X_OK), f"{script} is not executable"
                sh("bash", "-n", script)
            # build-aux/check is what CI runs: it cannot run inside itself
            with open(os.path.join(SRC, ".ci", "run")) as f:
                assert "build-aux/check" in f.read(), "CI runs build-aux/check"
            # build-aux/demo runs for real, in the copy of the tree, without a
            # display: it builds and flashes a virtual board with defuse-cli
            if any(c.split()[0] == "build-aux/demo" for c, _ in block.commands()):
                return demo()
        else:
            raise AssertionError(f"README line {block.line}: unknown marker {block.kind}")
    check.__name__ = f"readme_line_{block.line}_{block.kind}" + \
        (f"_{block.args[0]}" if block.args else "")
    return check


COMPAT_DIR = "/usr/local/libexec/defuse/compat"


def caller_block(block, tmp):
    """The build system's stub runs its command line through links to the
    built defuse-cli (where the README names the installed links), against
    a virtual board, which must be written and leave DFU mode."""
    inputs(tmp)
    compat = os.path.join(tmp, "compat")
    os.makedirs(compat)
    for name in ("dfu-util", "pydfu"):
        os.symlink(CLI, os.path.join(compat, name))
    text = block.text.replace(COMPAT_DIR, compat)
    if len(block.args) > 1:
        with open(os.path.join(tmp, block.args[1]), "w") as f:
            f.write(text + "\n")
        text = readme_callers.COMMAND_FOR_FILE[block.args[1]]
    stats = os.path.join(tmp, "stats.json")
    wrap = [SIM, "--profile", block.args[0], "--time-scale", SCALE, "--stats", stats,
            "--log", os.path.join(tmp, "sim.log"), "--"]
    run_block(Block(block.line, block.kind, block.args, "sh", text), tmp,
              stubbed_env(tmp, tmp, readme_callers.STUBS), wrap)
    with open(stats) as f:
        device = json.load(f)
    assert device["ops"]["write"]["count"] > 0 and device["disconnects"] >= 1, \
        f"README line {block.line}: the board was not written, or did not leave DFU mode: {device['ops']}"


# The build blocks share one copy of the tree, in order: setup, compile and
# install, then what needs the build (the translation template).
BUILD_TREE = tempfile.mkdtemp(prefix="defuse-readme-build-")


def build_block(block):
    src = os.path.join(BUILD_TREE, "src")
    root = os.path.join(BUILD_TREE, "root")
    if not os.path.exists(src):
        source_copy(src)
        os.makedirs(root)
    run_block_in_place(block, src, stubbed_env(BUILD_TREE, root, {"sudo": SUDO, "apt-get": APT}))
    if "meson install" in block.text:
        for path in ("usr/local/bin/defuse-cli", "usr/local/share/mime/packages/io.github.defuse.Defuse.xml",
                     "usr/local/share/applications/io.github.defuse.Defuse.desktop",
                     "usr/local/share/metainfo/io.github.defuse.Defuse.metainfo.xml",
                     "usr/local/share/icons/hicolor/scalable/apps/io.github.defuse.Defuse.svg",
                     "usr/local/lib/udev/rules.d/60-defuse.rules",
                     "usr/local/share/man/man1/defuse-cli.1",
                     "usr/local/libexec/defuse/compat/dfu-util", "usr/local/libexec/defuse/compat/pydfu",
                     "usr/local/libexec/defuse/compat/dfu-programmer"):
            assert os.path.exists(os.path.join(root, path)), f"meson install did not install /{path}"
    if "msginit" in block.text:
        assert os.path.exists(os.path.join(src, "po", "fr.po"))


def deb_block(block):
    with open(os.path.join(SRC, "build-aux", "package"), encoding="utf-8") as f:
        out = re.search(r"^out=(\S+)$", f.read(), re.M).group(1)
    with open(os.path.join(SRC, "contrib", "debian", "control"), encoding="utf-8") as f:
        packages = re.findall(r"^Package: (\S+)$", f.read(), re.M)
    with open(os.path.join(SRC, "tests", "meson.build"), encoding="utf-8") as f:
        installed_tests = "'installed-tests' / meson.project_name()" in f.read()
    for command, _ in block.commands():
        words = command.split("#")[0].split()
        where = f"README line {block.line}: `{command}`"
        if words == ["build-aux/package"]:
            script = os.path.join(SRC, words[0])
            assert os.access(script, os.X_OK), f"{script} is not executable"
            sh("bash", "-n", script)
        elif words[0] == "cd":
            assert words[1:] == [out], f"{where}: build-aux/package writes to {out}"
        elif words[:3] == ["sudo", "apt", "install"] and len(words) > 3:
            for arg in words[3:]:
                m = re.fullmatch(r"\./([a-z0-9.+-]+)_\*\.deb", arg)
                assert m and m.group(1) in packages, f"{where}: the packages are {packages}"
        elif words[0] == "gnome-desktop-testing-runner":
            assert installed_tests and words[1:] == ["defuse"], f"{where}: the installed tests are 'defuse'"
        else:
            raise AssertionError(f"{where}: not a command a deb block knows")


def demo():
    src = os.path.join(BUILD_TREE, "src")
    root = os.path.join(BUILD_TREE, "root")
    if not os.path.exists(src):
        source_copy(src)
        os.makedirs(root)
    env = stubbed_env(BUILD_TREE, root, {"sudo": SUDO, "apt-get": APT})
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    proc = subprocess.run(["build-aux/demo"], cwd=src, env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=900)
    assert proc.returncode == 0, f"build-aux/demo: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out = proc.stdout + proc.stderr
    assert "No display found" in out, out
    assert re.search(r"done: .* USB requests", out), f"the demo flashed nothing:\n{out}"


def run_block_in_place(block, folder, env):
    # a build block may run twice (a retry): its logs go to a fresh folder
    logs = os.path.join(folder, ".readme-test")
    shutil.rmtree(logs, ignore_errors=True)
    run_block(block, folder, env)


for index, block in enumerate(BLOCKS):
    if block.kind is not None:
        test(block_test(index, block))

try:
    run()
finally:
    shutil.rmtree(BUILD_TREE, ignore_errors=True)
