#!/usr/bin/env python3
"""Debian's unmodified dfu-util against every virtual device, through the
real libusb: listing, downloads of .bin (with leave) and DfuSe .dfu files
compared byte for byte with the expected memory, read-back, the runtime
profile's detach, and a plain DFU 1.1 download.

  test-dfu-util.py [--quick]   --quick: stm32f405 and dfu11 only"""
import os
import re
import shutil
import sys

from simrun import (DFUSE_PROFILES, Tap, dfu_suffix, dfuse_file, expected_after_flash,
                    first_difference, main_flash, profile, random_bytes, sim, skip_reason,
                    tmpdir, usb_ids, write)

DFU_UTIL = shutil.which("dfu-util")
QUICK = "--quick" in sys.argv[1:]


def background(size, seed):
    """Memory as a board may have it: an old firmware and a filesystem."""
    return random_bytes(size, seed)


def image_site(prof):
    """Where the .bin goes: from the second sector, over several sectors
    of the smaller kinds (a length every program unit divides)."""
    base, size, sectors = main_flash(prof)
    address = sectors[1][0]
    length = min(40000, size - (address - base))
    return address, length - length % 32


def test_list(tap, name, prof):
    with tmpdir() as tmp:
        run = sim(tmp, [DFU_UTIL, "-l"], profile=name)
        vid, pid, _ = usb_ids(prof)
        found = [line for line in run.out.splitlines() if line.startswith("Found DFU: ")]
        ok = run.status == 0 and len(found) == len(prof["alts"])
        for alt, entry in enumerate(prof["alts"]):
            pattern = (rf'^Found DFU: \[{vid:04x}:{pid:04x}\] .* alt={alt}, '
                       rf'name="{re.escape(entry["name"])}", serial="{re.escape(prof["usb"]["serial"])}"$')
            ok = ok and any(re.match(pattern, line) for line in found)
        tap.ok(ok, f"{name}: dfu-util -l lists all {len(prof['alts'])} alt settings with their names", run)


def test_download_bin(tap, name, prof):
    base, size, sectors = main_flash(prof)
    address, length = image_site(prof)
    with tmpdir() as tmp:
        before = background(size, name)
        image = random_bytes(length, name + "-image")
        write(os.path.join(tmp, "before.bin"), before)
        write(os.path.join(tmp, "image.bin"), image)
        run = sim(tmp, [DFU_UTIL, "-a", "0", "-s", f"0x{address:08x}:leave", "-D", "image.bin"],
                  profile=name, flash_in=os.path.join(tmp, "before.bin"))
        if not tap.ok(run.status == 0, f"{name}: dfu-util -a 0 -s 0x{address:08x}:leave -D image.bin succeeds", run):
            return
        expected = expected_after_flash(before, base, sectors, [(address, image)])
        memory = run.memory()
        tap.ok(memory == expected,
               f"{name}: memory holds the image, erased sectors around it, the rest untouched",
               first_difference(memory, expected, base))
        stats = run.stats()
        tap.ok(stats["disconnects"] >= 1 and stats["ops"]["leave"]["count"] == 1,
               f"{name}: the device left DFU mode", stats)


def test_download_dfuse(tap, name, prof):
    base, size, sectors = main_flash(prof)
    vid, pid, _ = usb_ids(prof)
    # two elements in different sectors: at the very start, and ending
    # 1 KiB before the end of the flash
    elements = [(base, random_bytes(3072, name + "-e1")),
                (base + size - 1024 - 5120, random_bytes(5120, name + "-e2"))]
    with tmpdir() as tmp:
        before = background(size, name + "-dfu")
        write(os.path.join(tmp, "before.bin"), before)
        write(os.path.join(tmp, "image.dfu"), dfuse_file([(0, "Internal Flash", elements)], vid, pid))
        run = sim(tmp, [DFU_UTIL, "-a", "0", "-D", "image.dfu"], profile=name,
                  flash_in=os.path.join(tmp, "before.bin"))
        if not tap.ok(run.status == 0, f"{name}: dfu-util -a 0 -D image.dfu (two elements) succeeds", run):
            return
        expected = expected_after_flash(before, base, sectors, elements)
        memory = run.memory()
        tap.ok(memory == expected, f"{name}: memory holds both elements, the rest untouched",
               first_difference(memory, expected, base))


def test_upload(tap, name, prof):
    address, length = image_site(prof)
    base, size, _ = main_flash(prof)
    with tmpdir() as tmp:
        image = random_bytes(length, name + "-readback")
        write(os.path.join(tmp, "before.bin"), background(size, name + "-u"))
        write(os.path.join(tmp, "image.bin"), image)
        script = (f"{DFU_UTIL} -a 0 -s 0x{address:08x} -D image.bin && "
                  f"{DFU_UTIL} -a 0 -s 0x{address:08x}:{length} -U back.bin")
        run = sim(tmp, script, profile=name, shell=True, flash_in=os.path.join(tmp, "before.bin"))
        if not tap.ok(run.status == 0, f"{name}: download then dfu-util -U succeed", run):
            return
        with open(os.path.join(tmp, "back.bin"), "rb") as f:
            back = f.read()
        tap.ok(back == image, f"{name}: dfu-util -U reads back what was written",
               first_difference(back, image, address))


def test_runtime_detach(tap):
    boot = profile(profile("runtime")["runtime"]["bootloader"])
    vid, pid, _ = usb_ids(boot)
    # the bootloader enumerates after its reconnect time: poll for it,
    # a bounded number of times, as a user would run dfu-util -l again
    script = (f"{DFU_UTIL} -l && {DFU_UTIL} -e && "
              f"for i in $(seq 100); do {DFU_UTIL} -l > list.txt 2>&1; "
              f"grep -q '\\[{vid:04x}:{pid:04x}\\]' list.txt && break; sleep 0.05; done; cat list.txt")
    with tmpdir() as tmp:
        run = sim(tmp, script, profile="runtime", shell=True)
        ok = run.status == 0 and re.search(r'^Found Runtime: \[1209:5bf2\] .*name="DFU Runtime"', run.out, re.M)
        tap.ok(bool(ok), "runtime: dfu-util -l shows the DFU runtime interface", run)
        listed = re.search(rf'^Found DFU: \[{vid:04x}:{pid:04x}\] .*alt=0, name="{re.escape(boot["alts"][0]["name"])}"',
                           run.out, re.M)
        tap.ok(run.status == 0 and listed is not None,
               "runtime: dfu-util -e detaches it and the DfuSe bootloader appears", run)
        if run.status == 0:
            stats = run.stats()
            tap.ok(stats["disconnects"] >= 1 and stats["connects"] >= 1,
                   "runtime: it left the bus and came back", stats)


def test_plain_dfu(tap):
    prof = profile("dfu11")
    base, size, sectors = main_flash(prof)
    vid, pid, _ = usb_ids(prof)
    payload = random_bytes(5000, "dfu11-payload")
    with tmpdir() as tmp:
        before = background(size, "dfu11")
        write(os.path.join(tmp, "before.bin"), before)
        write(os.path.join(tmp, "firmware.dfu"), dfu_suffix(payload, vid, pid, 0xFFFF, 0x0100))
        run = sim(tmp, [DFU_UTIL, "-a", "0", "-D", "firmware.dfu"], profile="dfu11",
                  flash_in=os.path.join(tmp, "before.bin"))
        # After manifestation the device waits for a USB reset and comes
        # back as its application.  The kernel answers that reset with
        # ENODEV ("device firmware changed"), libusb_reset_device() with
        # LIBUSB_ERROR_NOT_FOUND, and dfu-util 0.11's dfuload_do_dnload()
        # returns that value: it prints "Done!" and exits EX_IOERR (74), as
        # it does with a real device.
        done = "Download done." in run.out and "Resetting USB to switch back to runtime mode" in run.out \
            and "Done!" in run.out
        if not tap.ok(done and run.status == 74 and "error" not in run.err.lower(),
                      "dfu11: dfu-util -D of a plain DFU file downloads, manifests, resets "
                      "(exit 74, as with a real device that re-enumerates)", run):
            return
        stats = run.stats()
        tap.ok(stats["connects"] >= 1 and stats["ops"]["write"]["count"] == 5,
               "dfu11: five 1 KiB blocks, then the application enumerated", stats)
        expected = expected_after_flash(before, base, sectors, [(base, payload)])
        memory = run.memory()
        tap.ok(memory == expected, "dfu11: memory holds the payload from the start, the rest untouched",
               first_difference(memory, expected, base))
        tap.ok(memory[:len(payload)] == payload, "dfu11: the suffix was not written")


def main():
    tap = Tap()
    reason = skip_reason() or (None if DFU_UTIL else "dfu-util is not installed")
    if reason:
        tap.skip_all(reason)
    for name in (["stm32f405"] if QUICK else DFUSE_PROFILES):
        prof = profile(name)
        test_list(tap, name, prof)
        test_download_bin(tap, name, prof)
        test_download_dfuse(tap, name, prof)
        test_upload(tap, name, prof)
    if not QUICK:
        test_runtime_detach(tap)
    test_plain_dfu(tap)
    tap.done()


if __name__ == "__main__":
    main()
