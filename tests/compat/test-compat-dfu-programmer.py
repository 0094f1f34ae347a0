#!/usr/bin/env python3
"""The dfu-programmer recipes of QMK and keyboard READMEs, each run twice on
identical virtual FLIP bootloaders: once with Debian's real dfu-programmer
0.6.1, once with defuse-cli called as dfu-programmer through a link.  The
flash afterwards (and the EEPROM, read back by the real dfu-programmer in
both runs) must be identical and what was asked, the exits the same, and
so the lines people and scripts look for ("Validating...", "N bytes used
(P%)").  Then the refusals: a wrong chip name, a file reaching into the
bootloader, no device; the memory untouched, dfu-programmer's exit codes
(Debian's 0.6.1 exits 1 for every failure, 0.7 and the personality 2-8)."""
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))

from simrun import FLIP_PROFILES, Tap, ihex, profile, random_bytes, sim, skip_reason, tmpdir, write  # noqa: E402

CLI = os.environ["DEFUSE_CLI"]
DFU_PROGRAMMER = shutil.which("dfu-programmer")
KEY_LINES = re.compile(r"^(Validating\.\.\.|\d+ bytes used \(\d+\.\d\d%\)|Bootloader and code overlap\.|"
                       r"dfu-programmer: no device present\.)$")


def key_lines(text):
    return [line for line in text.splitlines() if KEY_LINES.match(line)]


def folder(tmp, personality):
    """PATH entry with dfu-programmer: a link to defuse-cli, or Debian's"""
    bin_dir = os.path.join(tmp, "bin")
    os.makedirs(bin_dir)
    os.symlink(CLI if personality else DFU_PROGRAMMER, os.path.join(bin_dir, "dfu-programmer"))
    return bin_dir


def run_one(name, script, files, personality, flash_in=None):
    """script (sh, dfu-programmer from PATH: Debian's or the personality);
    (run, flash memory, eeprom.bin or None)"""
    with tmpdir() as tmp:
        bin_dir = folder(tmp, personality)
        for file, data in files.items():
            write(os.path.join(tmp, file), data)
        extra = {}
        if flash_in is not None:
            extra["flash_in"] = write(os.path.join(tmp, "before.bin"), flash_in)
        run = sim(tmp, f"PATH={bin_dir}:$PATH; {script}", profile=name, shell=True, **extra)
        eeprom_path = os.path.join(tmp, "eeprom.bin")
        eeprom = open(eeprom_path, "rb").read() if os.path.exists(eeprom_path) else None
        flash_path = os.path.join(tmp, "flash.bin")
        log = run.log()
        run.log = lambda: log  # the folder goes away
        return run, open(flash_path, "rb").read() if os.path.exists(flash_path) else b"", eeprom


def run_both(name, script, files, flash_in=None):
    return [run_one(name, script, files, personality, flash_in) for personality in (False, True)]


def test_recipe(tap, name, title, script, reference_script=None):
    """reference_script: what Debian's 0.6.1 runs when the recipe is in 0.7
    syntax, which it does not know (erase --force)"""
    mcu, _, flash, app = FLIP_PROFILES[name]
    size = min(app - 64, 0x9000)   # ends inside a page: the rest of the page stays FF
    data = random_bytes(size, name + "-qmk")
    files = {"kb_km.hex": ihex(data).encode()}
    wanted = data + b"\xff" * (app - size)
    ref, ref_mem, _ = run_one(name, (reference_script or script).replace("MCU", mcu), files, False)
    mine, my_mem, _ = run_one(name, script.replace("MCU", mcu), files, True)
    tap.ok(ref.status == 0 and ref_mem[:app] == wanted, f"{name}: {title}: Debian's dfu-programmer flashes it", ref)
    tap.ok(mine.status == 0 and my_mem == ref_mem,
           f"{name}: {title}: the personality leaves the same memory, exit 0", mine)
    tap.ok(key_lines(mine.err) == key_lines(ref.err) and key_lines(ref.err),
           f"{name}: {title}: the same key lines {key_lines(ref.err)}", f"{ref}\n=== personality\n{mine}")
    tap.ok("start the application" in ref.log() and "start the application" in mine.log(),
           f"{name}: {title}: reset starts the application after both", mine)


def test_eeprom_recipe(tap, name):
    """a split keyboard's half: EEPROM handedness, then the firmware (0.6
    syntax: erase, flash-eeprom, flash, then the EEPROM read by Debian's tool)"""
    mcu, _, _, app = FLIP_PROFILES[name]
    data = random_bytes(0x3000, name + "-split")
    left = bytes(14) + b"\x01"
    files = {"kb_km.hex": ihex(data).encode(), "left.eep": ihex(left).encode()}
    runs = run_both(name, f"dfu-programmer {mcu} erase && dfu-programmer {mcu} flash-eeprom left.eep && "
                          f"dfu-programmer {mcu} flash kb_km.hex && "
                          f"{DFU_PROGRAMMER} {mcu} dump-eeprom > eeprom.bin", files)
    (ref, ref_mem, ref_ee), (mine, my_mem, my_ee) = runs
    tap.ok(ref.status == 0 and ref_ee is not None and ref_ee[:15] == left and ref_mem[:len(data)] == data,
           f"{name}: split half (flash-eeprom left.eep, flash): Debian's dfu-programmer", ref)
    tap.ok(mine.status == 0 and my_ee == ref_ee and my_mem == ref_mem,
           f"{name}: split half: the personality leaves the same flash and EEPROM", mine)
    tap.ok(key_lines(mine.err) == key_lines(ref.err),
           f"{name}: split half: the same key lines {key_lines(ref.err)}", f"{ref}\n=== personality\n{mine}")


def test_eeprom_stdin(tap, name):
    """split keyboard scripts pipe QMK's eeprom-lefthand.eep into
    `flash --force --suppress-validation --eeprom STDIN` (0.7); Debian's
    0.6.1 takes the same as `flash-eeprom --suppress-validation STDIN`"""
    mcu = FLIP_PROFILES[name][0]
    left = ":0F000000000000000000000000000000000001F0\\n:00000001FF\\n"  # echo -e ends with a newline
    dump = f"{DFU_PROGRAMMER} {mcu} dump-eeprom > eeprom.bin"
    ref, _, ref_ee = run_one(name, f"dfu-programmer {mcu} erase && printf '{left}' | "
                                   f"dfu-programmer {mcu} flash-eeprom --suppress-validation STDIN && {dump}", {}, False)
    mine, _, my_ee = run_one(name, f"dfu-programmer {mcu} erase --force && printf '{left}' | "
                                   f"dfu-programmer {mcu} flash --force --suppress-validation --eeprom STDIN && {dump}",
                             {}, True)
    tap.ok(ref.status == 0 and ref_ee is not None and ref_ee[:16] == bytes(14) + b"\x01\xff",
           f"{name}: left-hand EEPROM from STDIN: Debian's dfu-programmer", ref)
    tap.ok(mine.status == 0 and my_ee == ref_ee and key_lines(mine.err) == key_lines(ref.err),
           f"{name}: left-hand EEPROM from STDIN: the personality, the same EEPROM and lines {key_lines(ref.err)}",
           f"{ref}\n=== personality\n{mine}")


def test_read(tap, name):
    """0.6's dump (raw, the application section) matches the real tool's;
    0.7's read prints Intel HEX of what is there"""
    mcu, _, _, app = FLIP_PROFILES[name]
    data = random_bytes(3000, name + "-read")
    files = {"fw.hex": ihex(data).encode()}
    script = (f"{DFU_PROGRAMMER} {mcu} erase && {DFU_PROGRAMMER} {mcu} flash fw.hex && "
              f"{DFU_PROGRAMMER} {mcu} dump > real.bin && dfu-programmer {mcu} dump > ours.bin && "
              f"dfu-programmer {mcu} read > ours.hex")
    with tmpdir() as tmp:
        bin_dir = folder(tmp, True)
        for file, content in files.items():
            write(os.path.join(tmp, file), content)
        run = sim(tmp, f"PATH={bin_dir}:$PATH; {script}", profile=name, shell=True)
        real = open(os.path.join(tmp, "real.bin"), "rb").read() if run.status == 0 else b"?"
        ours = open(os.path.join(tmp, "ours.bin"), "rb").read() if run.status == 0 else b""
        hex_text = open(os.path.join(tmp, "ours.hex")).read() if run.status == 0 else ""
    tap.ok(ours == real and len(real) == app, f"{name}: dump gives the real tool's bytes ({len(real)})", run)
    tap.ok(parse_ihex(hex_text) == {0: data + b"\xff" * (-len(data) % 128)},
           f"{name}: read prints the written pages as Intel HEX", run)


def parse_ihex(text):
    """{start: bytes} of contiguous runs"""
    mem, upper = {}, 0
    for line in text.split():
        raw = bytes.fromhex(line[1:])
        count, address, kind = raw[0], raw[1] << 8 | raw[2], raw[3]
        if kind == 4:
            upper = raw[4] << 24 | raw[5] << 16
        elif kind == 0:
            for i in range(count):
                mem[upper + address + i] = raw[4 + i]
    runs, start, prev = {}, None, None
    for address in sorted(mem):
        if prev is None or address != prev + 1:
            start = address
            runs[start] = b""
        runs[start] += bytes([mem[address]])
        prev = address
    return runs


def test_refusal(tap, title, name, script, ref_code, my_code, words, before=None):
    """both refuse; the memory as it was; Debian's code, 0.7's code"""
    files = {"boot.hex": ihex(random_bytes(0x7100, "boot")).encode(),
             "fw.hex": ihex(random_bytes(512, "fw")).encode()}
    (ref, ref_mem, _), (mine, my_mem, _) = run_both(name, script, files, flash_in=before)
    untouched = before is None or (ref_mem == before and my_mem == before)
    tap.ok(ref.status == ref_code and mine.status == my_code and untouched,
           f"{title}: Debian's exits {ref_code}, the personality {my_code}, memory untouched",
           f"{ref}\n=== personality\n{mine}")
    tap.ok(all(w in mine.err for w in words) and key_lines(ref.err) and key_lines(mine.err) == key_lines(ref.err),
           f"{title}: the personality says {words}, and dfu-programmer's lines", f"{ref}\n=== personality\n{mine}")


def test_signature(tap):
    """an ATmega16U4 answering as 2ff4: Debian's tool trusts the id and
    would write with the 32U4's sizes; the personality refuses (exit 3)"""
    with tmpdir() as tmp:
        prof = profile("atmega32u4")
        prof["flip"]["signature"] = "1e9488"
        path = os.path.join(tmp, "wrong.json")
        with open(path, "w") as f:
            json.dump(prof, f)
        before = write(os.path.join(tmp, "before.bin"), random_bytes(0x8000, "sig"))
        bin_dir = folder(tmp, True)
        run = sim(tmp, f"PATH={bin_dir}:$PATH; dfu-programmer atmega32u4 erase --force", profile=path, shell=True,
                  flash_in=before)
        untouched = run.memory() == open(before, "rb").read()
    tap.ok(run.status == 3 and untouched and "ATmega16U4" in run.err and "dfu-programmer atmega16u4" in run.err,
           "a chip whose signature is not the named target's: refused (exit 3), nothing erased", run)


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_PROGRAMMER else "dfu-programmer is not installed")
    if reason:
        tap.skip_all(reason)
    qmk_07 = "dfu-programmer MCU erase --force && dfu-programmer MCU flash --force kb_km.hex && dfu-programmer MCU reset"
    qmk_06 = "dfu-programmer MCU erase && dfu-programmer MCU flash kb_km.hex && dfu-programmer MCU reset"
    for name in FLIP_PROFILES:
        test_recipe(tap, name, "QMK 0.7 recipe (erase --force, flash --force, reset)", qmk_07, qmk_06)
        test_recipe(tap, name, "0.6 recipe (erase, flash, reset)", qmk_06)
    test_eeprom_recipe(tap, "qmk-dfu-atmega32u4")
    test_eeprom_stdin(tap, "atmega32u4")
    test_read(tap, "atmega32u4")

    # refusals; QMK DFU is not locked, so a flash without erase would change it
    fw = random_bytes(0x8000, "before")
    test_refusal(tap, "wrong chip name (atmega16u4 for an ATmega32U4)", "qmk-dfu-atmega32u4",
                 "dfu-programmer atmega16u4 erase", 1, 3,
                 ["ATmega32U4", "dfu-programmer atmega32u4"], fw)
    test_refusal(tap, "a .hex reaching into the bootloader", "qmk-dfu-atmega32u4",
                 "dfu-programmer atmega32u4 flash boot.hex", 1, 4, ["bootloader section", "0x7000"], fw)
    test_signature(tap)
    test_refusal(tap, "no device (an STM32 in DFU mode)", "stm32f405", "dfu-programmer atmega32u4 erase", 1, 3,
                 ["QK_BOOT"])
    tap.done()


if __name__ == "__main__":
    main()
