#!/usr/bin/env python3
"""Debian's unmodified dfu-programmer 0.6.1 and avrdude 7.1 (-c flip1)
against the virtual FLIP bootloaders, through the real libusb (1.0 and
0.1): each erases, flashes and verifies a .hex, and the memory is compared
byte for byte; the watchdog reset starts the application."""
import os
import shutil

from simrun import FLIP_PROFILES, Tap, ihex, random_bytes, sim, skip_reason, tmpdir

DFU_PROGRAMMER = shutil.which("dfu-programmer")
AVRDUDE = shutil.which("avrdude")


def image(name, size):
    return random_bytes(size, name + "-fw")


def test_dfu_programmer(tap, name):
    chip, _, flash, app = FLIP_PROFILES[name]
    size = min(app, 0x11000)  # past 64 KiB on the AT90USB1286: page select
    data = image(name, size)
    with tmpdir() as tmp:
        with open(os.path.join(tmp, "fw.hex"), "w") as f:
            f.write(ihex(data))
        run = sim(tmp, f"{DFU_PROGRAMMER} {chip} erase && {DFU_PROGRAMMER} {chip} flash fw.hex && "
                       f"{DFU_PROGRAMMER} {chip} reset", profile=name, shell=True)
        memory = run.memory() if run.status == 0 else b""
        tap.ok(run.status == 0 and memory[:size] == data and memory[size:flash - 0x2000] == b"\xff" * (flash - 0x2000 - size),
               f"{name}: dfu-programmer {chip} erase, flash fw.hex ({size} bytes), reset: memory as written", run)
        tap.ok(run.status == 0 and "start the application" in run.log(),
               f"{name}: dfu-programmer reset starts the application", run)


def test_dfu_programmer_locked(tap, name):
    chip = FLIP_PROFILES[name][0]
    with tmpdir() as tmp:
        with open(os.path.join(tmp, "fw.hex"), "w") as f:
            f.write(ihex(image(name, 256)))
        run = sim(tmp, [DFU_PROGRAMMER, chip, "flash", "fw.hex"], profile=name)
        tap.ok(run.status != 0 and "Error while flashing" in run.err,
               f"{name}: dfu-programmer flash without erase is refused (security lock)", run)


def test_avrdude(tap, name):
    _, part, flash, app = FLIP_PROFILES[name]
    size = min(app, 0x5000)
    data = image(name, size)
    with tmpdir() as tmp:
        with open(os.path.join(tmp, "fw.hex"), "w") as f:
            f.write(ihex(data))
        run = sim(tmp, [AVRDUDE, "-c", "flip1", "-p", part, "-U", "flash:w:fw.hex:i"], profile=name)
        memory = run.memory() if run.status == 0 else b""
        tap.ok(run.status == 0 and memory[:size] == data and "bytes of flash verified" in run.err,
               f"{name}: avrdude -c flip1 -p {part} -U flash:w:fw.hex (erase, write, verify): memory as written", run)


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_PROGRAMMER and AVRDUDE else "dfu-programmer or avrdude missing")
    if reason:
        tap.skip_all(reason)
    for name in FLIP_PROFILES:
        test_dfu_programmer(tap, name)
    test_dfu_programmer_locked(tap, "atmega32u4")
    test_avrdude(tap, "atmega32u4")
    test_avrdude(tap, "qmk-dfu-atmega32u4")
    tap.done()


main()
