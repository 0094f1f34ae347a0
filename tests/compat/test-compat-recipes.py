#!/usr/bin/env python3
"""The real recipes of COMPAT.md, each run twice on identical virtual
devices: once with Debian's dfu-util (or, for the pydfu rows, the pyusb
pydfu-like host of tests/sim/test-pydfu.py), once with defuse-cli's
personality called by the same name through a link.  The memory after both
must be identical and equal what was asked, and Defuse must exit 0 where
the firmware is in place, also where dfu-util exits 74 after a reset.

Prints the table of results as TAP comments."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

from simrun import (Tap, dfu_suffix, dfuse_file, expected_after_flash, first_difference,  # noqa: E402
                    main_flash, profile, random_bytes, sim, skip_reason, tmpdir, write)

CLI = os.environ["DEFUSE_CLI"]
DFU_UTIL = shutil.which("dfu-util")
PYDFU_HOST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim", "test-pydfu.py")
SYSTEM_PYTHON = "/usr/bin/python3"

F405 = profile("stm32f405")
F405_BASE, F405_SIZE, F405_SECTORS = main_flash(F405)
GD32_BASE, _, GD32_SECTORS = main_flash(profile("gd32vf103"))
DFU11 = profile("dfu11")
DFU11_BASE, DFU11_SIZE, DFU11_SECTORS = main_flash(DFU11)

ELEMENTS = [(F405_BASE, random_bytes(40000, "compat-e1")),
            (F405_BASE + 0x20000 + 256, random_bytes(3000, "compat-e2"))]
APP = random_bytes(20000, "compat-app")
PAYLOAD = random_bytes(5000, "compat-payload")


def links(tmp):
    """dfu-util and pydfu links to defuse-cli in tmp/defuse (argv[0] dispatch)"""
    folder = os.path.join(tmp, "defuse")
    os.makedirs(folder)
    for name in ("dfu-util", "pydfu"):
        os.symlink(CLI, os.path.join(folder, name))
    return folder


def files(tmp):
    """The firmware files the recipes name, as their build systems make them."""
    write(os.path.join(tmp, "firmware.dfu"), dfuse_file([(0, "Internal Flash", ELEMENTS)], 0x0483, 0xdf11))
    # QMK: dfu-suffix -v 0483 -p DF11 -a; PlatformIO: the same with -d 0xffff
    write(os.path.join(tmp, "kb_km.bin"), dfu_suffix(APP, 0x0483, 0xdf11, 0xffff, 0x0100))
    write(os.path.join(tmp, "firmware.bin"), dfu_suffix(APP, 0x0483, 0xdf11, 0xffff, 0x0100))
    write(os.path.join(tmp, "sketch.ino.bin"), APP)
    write(os.path.join(tmp, "blink.dfu"), dfu_suffix(PAYLOAD, 0x1209, 0x5bf0, 0xffff, 0x0100))
    write(os.path.join(tmp, "sketch.bin"), PAYLOAD)


def f405_writes(address_writes):
    return ("stm32f405", lambda before: expected_after_flash(before, F405_BASE, F405_SECTORS, address_writes))


def dfu11_payload():
    return ("dfu11", lambda before: expected_after_flash(before, DFU11_BASE, DFU11_SECTORS, [(DFU11_BASE, PAYLOAD)]))


def pydfu_host(*args):
    return [SYSTEM_PYTHON, PYDFU_HOST, "--inner", *args]


# caller, the reference's command (None: the personality's with dfu-util
# or pydfu from PATH), the personality's, the device and expected memory
RECIPES = [
    ("MicroPython make deploy", pydfu_host("firmware.dfu", "0483", "df11"),
     ["pydfu", "--vid", "0x0483", "--pid", "0xDF11", "-u", "firmware.dfu"], f405_writes(ELEMENTS)),
    ("MicroPython mboot make deploy", pydfu_host("firmware.dfu", "0483", "df11"),
     ["pydfu", "-u", "firmware.dfu"], f405_writes(ELEMENTS)),
    ("MicroPython make deploy USE_PYDFU=0", None,
     ["dfu-util", "-a", "0", "-d", "0x0483:0xDF11", "-D", "firmware.dfu", "-s", ":leave"], f405_writes(ELEMENTS)),
    ("QMK make kb:km:flash", None,
     ["dfu-util", "-d", "0483:DF11", "-a", "0", "-s", "0x08000000:leave", "-D", "kb_km.bin"],
     f405_writes([(0x08000000, APP)])),
    ("PlatformIO ststm32", None,
     ["dfu-util", "-d", "0x0483:0xDF11", "-a", "0", "-s", "0x08000000:leave", "-D", "@/firmware.bin"],
     f405_writes([(0x08000000, APP)])),
    ("Arduino mbed core", None,
     ["dfu-util", "--device", "0x0483:0xdf11", "-D", "sketch.ino.bin", "-a0", "--dfuse-address=0x08040000:leave"],
     f405_writes([(0x08040000, APP)])),
    ("Betaflight make TARGET_flash", None,
     ["dfu-util", "-a", "0", "-D", "firmware.dfu", "-s", ":leave"], f405_writes(ELEMENTS)),
    ("dfu-util without leave", None,
     ["dfu-util", "-a", "0", "-s", "0x08004000", "-D", "sketch.ino.bin"], f405_writes([(0x08004000, APP)])),
    ("Fomu / Tomu", None, ["dfu-util", "-D", "blink.dfu"], dfu11_payload()),
    ("Keyboardio (plain DFU, -R)", None,
     ["dfu-util", "--device", "0x1209:0x5bf0", "-D", "sketch.bin", "-R"], dfu11_payload()),
    ("long options with a space", None,
     ["dfu-util", "--device", "0483:df11", "--alt", "0", "--dfuse-address", "0x08040000:leave",
      "--download", "sketch.ino.bin"], f405_writes([(0x08040000, APP)])),
    ("GD32VF103 (leaves at the zero-length DNLOAD)", None,
     ["dfu-util", "-a", "0", "-s", "0x08000000:leave", "-D", "sketch.ino.bin"],
     ("gd32vf103", lambda before: expected_after_flash(before, GD32_BASE, GD32_SECTORS, [(0x08000000, APP)]))),
    ("mass erase command", None, ["dfu-util", "-a", "0", "-s", ":mass-erase:force"],
     ("stm32f405", lambda before: b"\xff" * len(before))),
    ("read-protected chip, unprotect command", None, ["dfu-util", "-a", "0", "-s", ":unprotect:force"],
     ("stm32f405", lambda before: b"\xff" * len(before), ["rdp"])),
    ("DfuSe file without -a (the file names its alt)", None, ["dfu-util", "-D", "firmware.dfu", "-s", ":leave"],
     f405_writes(ELEMENTS)),
    ("plain DFU, transfer size 512 (-t)", None, ["dfu-util", "-t", "512", "-D", "blink.dfu"], dfu11_payload()),
    ("DfuSe, -t 1024 (not used: the device's own size)", None, ["dfu-util", "-a", "0", "-t", "1024", "-s", "0x08000000:leave", "-D", "sketch.ino.bin"],
     f405_writes([(0x08000000, APP)])),
]


def command(tmp, argv, personality):
    """argv with the tool's name resolved: the link to defuse-cli, or the
    real dfu-util; "@/" marks an absolute path in the folder"""
    out = [a.replace("@/", tmp + "/") for a in argv]
    if out[0] in ("dfu-util", "pydfu"):
        out[0] = os.path.join(tmp, "defuse", out[0]) if personality else DFU_UTIL
    return out


def run_recipe(tap, table, name, reference, ours, device):
    prof_name, expect, *faults = device
    base, size, _ = main_flash(profile(prof_name))
    runs = []
    for personality in (False, True):
        with tmpdir() as tmp:
            links(tmp)
            files(tmp)
            before = random_bytes(size, "compat-before-" + prof_name)
            write(os.path.join(tmp, "before.bin"), before)
            argv = command(tmp, ours if personality or reference is None else reference, personality)
            run = sim(tmp, argv, profile=prof_name, flash_in=os.path.join(tmp, "before.bin"),
                      faults=faults[0] if faults else ())
            runs.append((run, run.memory() if os.path.exists(os.path.join(tmp, "flash.bin")) else b"",
                         run.stats()["disconnects"] >= 1))
    (ref, ref_mem, ref_left), (mine, my_mem, my_left) = runs
    wanted = expect(before)
    ref_ok = ref_mem == wanted
    mine_ok = my_mem == wanted
    table.append((name, " ".join(ours), ref.status, "yes" if ref_ok else "NO", mine.status,
                  "yes" if mine_ok else "NO", "yes" if ref_left else "no", "yes" if my_left else "no"))
    tap.ok(ref_ok, f"{name}: the reference leaves what was asked ({first_difference(ref_mem, wanted, base)})", ref)
    tap.ok(mine_ok and my_mem == ref_mem,
           f"{name}: Defuse's memory equals the reference's and what was asked",
           f"{first_difference(my_mem, wanted, base)}\n{mine}")
    tap.ok(mine.status == 0, f"{name}: Defuse exits 0 (the reference exited {ref.status})", mine)
    tap.ok(my_left == ref_left, f"{name}: the device {'left' if ref_left else 'stayed in'} DFU mode after both",
           f"reference left: {ref_left}, Defuse left: {my_left}")


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_UTIL else "dfu-util is not installed")
    try:
        import usb.core  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.path.exists(SYSTEM_PYTHON):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)])
        reason = reason or "python3-usb (pyusb) is not installed"
    if reason:
        tap.skip_all(reason)
    table = []
    for name, reference, ours, device in RECIPES:
        run_recipe(tap, table, name, reference, ours, device)
    print("# recipe | command | reference exit | reference memory right | Defuse exit | Defuse memory right "
          "| reference left DFU mode | Defuse left DFU mode")
    for row in table:
        print("# " + " | ".join(map(str, row)))
    tap.done()


if __name__ == "__main__":
    main()
