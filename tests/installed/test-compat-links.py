#!/usr/bin/env python3
"""The installed dfu-util and pydfu links (DEFUSE_COMPAT_DIR, as README's
build recipes call them): each is a link to the installed defuse-cli, keeps
the version line of the program it stands for, lists a virtual STM32 as
the original does, and flashes it: the memory holds the file and the board
left DFU mode.  Run by the installed tests (tests/installed)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

from simrun import (Tap, dfuse_file, first_difference, main_flash, profile, random_bytes,  # noqa: E402
                    sim, skip_reason, tmpdir, write)

CLI = os.environ["DEFUSE_CLI"]
COMPAT = os.environ["DEFUSE_COMPAT_DIR"]
APP = random_bytes(40000, "installed-compat-links")


def link(name):
    return os.path.join(COMPAT, name)


def flashed(tap, run, name):
    base, size, _ = main_flash(profile("stm32f405"))
    memory = run.memory()[:len(APP)]
    stats = run.stats()
    tap.ok(run.status == 0 and memory == APP and stats["disconnects"] >= 1,
           f"{name}: the board holds the file and left DFU mode",
           f"{run}\n{first_difference(memory, APP, base)}")


def main():
    tap = Tap()
    reason = skip_reason()
    if reason:
        tap.skip_all(reason)
    version = subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout.split()[-1]

    names = sorted(os.listdir(COMPAT))
    tap.ok({"dfu-util", "pydfu"} <= set(names), f"{COMPAT} holds dfu-util and pydfu", names)
    for name in names:
        tap.ok(os.path.realpath(link(name)) == os.path.realpath(CLI),
               f"{name} is a link to the installed defuse-cli", os.path.realpath(link(name)))

    run = subprocess.run([link("dfu-util"), "-V"], capture_output=True, text=True)
    first = run.stdout.splitlines()[0] if run.stdout else ""
    tap.ok(run.returncode == 0 and first == f"dfu-util 0.11 (Defuse {version})",
           "dfu-util -V: dfu-util's version line, then Defuse's", run.stdout + run.stderr)

    with tmpdir() as tmp:
        write(os.path.join(tmp, "app.bin"), APP)
        run = sim(tmp, [link("dfu-util"), "-l"])
        found = [line for line in run.out.splitlines() if line.startswith("Found DFU: [0483:df11]")]
        tap.ok(run.status == 0 and len(found) == len(profile("stm32f405")["alts"])
               and any(", alt=0, " in line for line in found),
               "dfu-util -l: a 'Found DFU' line per alt setting", run)
        run = sim(tmp, [link("dfu-util"), "-d", "0483:df11", "-a", "0", "-s", "0x08000000:leave", "-D", "app.bin"])
        flashed(tap, run, "dfu-util -a 0 -s 0x08000000:leave -D app.bin")

    with tmpdir() as tmp:
        write(os.path.join(tmp, "firmware.dfu"),
              dfuse_file([(0, "Internal Flash", [(0x08000000, APP)])], 0x0483, 0xdf11))
        run = sim(tmp, [link("pydfu"), "-l"])
        tap.ok(run.status == 0 and "ID 0483:df11" in run.out, "pydfu -l: the board's USB ids", run)
        run = sim(tmp, [link("pydfu"), "-u", "firmware.dfu"])
        flashed(tap, run, "pydfu -u firmware.dfu")
    tap.done()


main()
