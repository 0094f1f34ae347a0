#!/usr/bin/env python3
"""defuse-cli on the virtual FLIP bootloaders (Atmel factory, QMK DFU,
AT90USB1286): flash .hex and .bin, EEPROM write and read, and the files
and chips refused before anything is erased."""
import os

import simtest
from simrun import FLIP_PROFILES, Tap, ihex, random_bytes, write
from simtest import CLI, sim

tap = Tap()
if not simtest.available():
    tap.skip_all("defuse-sim is not built")


def hexfile(tmp, name, data, base=0):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(ihex(data, base))
    return path


for name, (_, _, flash, app) in FLIP_PROFILES.items():
    size = min(app, 0x11000)
    data = random_bytes(size - 5, name)   # ends inside a page: padded with 0xFF
    with simtest.simrun.tmpdir() as tmp:
        hexfile(tmp, "fw.hex", data)
        run = sim(tmp, CLI, "flash", "fw.hex", profile=name)
        memory = run.memory() if run.status == 0 else b""
        tap.ok(run.status == 0 and memory[:len(data)] == data and memory[len(data):app] == b"\xff" * (app - len(data))
               and "start the application" in run.log(),
               f"{name}: defuse-cli flash fw.hex: erased, written, verified, started", run)

# Two pieces in one flash page (an Intel HEX with a gap inside a page):
# LUFA erases a page as it writes it, so writing the page for the second
# piece must carry the first one's bytes too (fuzz-device, run 10: the
# first piece was lost, and the flash said verified)
for name in FLIP_PROFILES:
    with simtest.simrun.tmpdir() as tmp:
        pieces = {0x07: b"\x11", 0x0F: b"\x22\x33", 0x95: b"\x44"}
        with open(os.path.join(tmp, "gap.hex"), "w") as f:
            f.write("".join(ihex(data, at).replace(":00000001FF\n", "") for at, data in pieces.items())
                    + ":00000001FF\n")
        run = sim(tmp, CLI, "flash", "gap.hex", "--no-leave", profile=name)
        memory = run.memory() if run.status == 0 else b""
        want = bytearray(b"\xff" * 0x100)
        for at, data in pieces.items():
            want[at:at + len(data)] = data
        tap.ok(run.status == 0 and memory[:0x100] == bytes(want),
               f"{name}: pieces that share a flash page all land (written and verified)", run)

with simtest.simrun.tmpdir() as tmp:
    data = random_bytes(3000, "bin")
    write(os.path.join(tmp, "fw.bin"), data)
    run = sim(tmp, CLI, "flash", "fw.bin", profile="atmega32u4")
    tap.ok(run.status == 0 and run.memory()[:3000] == data, "atmega32u4: a raw .bin goes at 0", run)

# EEPROM: QMK DFU writes it as it is; the factory bootloader is locked
with simtest.simrun.tmpdir() as tmp:
    hexfile(tmp, "left.eep", bytes(14) + b"\x01")
    run = sim(tmp, "sh", "-c", f"{CLI} flash --eeprom left.eep --no-leave && {CLI} read --eeprom out.eep.bin",
              profile="qmk-dfu-atmega32u4")
    back = open(os.path.join(tmp, "out.eep.bin"), "rb").read() if run.status == 0 else b""
    tap.ok(run.status == 0 and back[:15] == bytes(14) + b"\x01" and len(back) == 1024,
           "qmk-dfu-atmega32u4: flash --eeprom left.eep, read --eeprom gives it back (1 KiB)", run)

# an .eep file is EEPROM contents: without --eeprom it still goes there,
# never over the firmware (the window does the same)
with simtest.simrun.tmpdir() as tmp:
    hexfile(tmp, "left.eep", bytes(14) + b"\x01")
    run = sim(tmp, "sh", "-c", f"{CLI} flash left.eep --no-leave && {CLI} read --eeprom out.eep.bin",
              profile="qmk-dfu-atmega32u4")
    back = open(os.path.join(tmp, "out.eep.bin"), "rb").read() if run.status == 0 else b""
    tap.ok(run.status == 0 and back[:15] == bytes(14) + b"\x01" and "chip erase" not in run.log(),
           "qmk-dfu-atmega32u4: flash left.eep (no --eeprom) writes the EEPROM, the flash is not erased", run)

with simtest.simrun.tmpdir() as tmp:
    hexfile(tmp, "reset.eep", b"\x00")
    run = sim(tmp, CLI, "flash", "--eeprom", "reset.eep", profile="atmega32u4")
    tap.ok(run.status != 0 and "locked" in run.err and "--force" in run.err and "chip erase" not in run.log(),
           "atmega32u4: an EEPROM write on the locked factory bootloader is refused, nothing erased", run)
    run = sim(tmp, CLI, "flash", "--eeprom", "--force", "reset.eep", profile="atmega32u4")
    tap.ok(run.status == 0 and "chip erase" in run.log(), "atmega32u4: ... and done after a chip erase with --force", run)

# refused before anything is erased
with simtest.simrun.tmpdir() as tmp:
    hexfile(tmp, "boot.hex", random_bytes(0x7100, "boot"))
    hexfile(tmp, "big.hex", random_bytes(0x200, "big"), base=0x9000)
    for file, words, what in (("boot.hex", "bootloader section", "a .hex reaching into the bootloader section"),
                              ("big.hex", "bigger chip", "a .hex for a bigger chip")):
        run = sim(tmp, CLI, "flash", file, profile="atmega32u4")
        tap.ok(run.status != 0 and words in run.err and "chip erase" not in run.log(),
               f"atmega32u4: {what} is refused before any erase", run)

# a signature that is not the id's chip (an ATmega16U4 answering as 2ff4)
with simtest.simrun.tmpdir() as tmp:
    prof = simtest.simrun.profile("atmega32u4")
    prof["flip"]["signature"] = "1e9488"
    path = os.path.join(tmp, "wrong.json")
    import json
    with open(path, "w") as f:
        json.dump(prof, f)
    hexfile(tmp, "fw.hex", random_bytes(256, "sig"))
    run = sim(tmp, CLI, "flash", "fw.hex", profile=path)
    tap.ok(run.status != 0 and "ATmega16U4" in run.err and "chip erase" not in run.log(),
           "a signature that does not match the id is refused before any erase", run)

with simtest.simrun.tmpdir() as tmp:
    run = sim(tmp, CLI, "list", profile="atmega32u4")
    tap.ok(run.status == 0 and "ATmega32U4" in run.out, "list names the chip", run)

tap.done()
